"""SummaryWriter and FileWriter: torch.utils.tensorboard.writer's classes, writing event files.

Queueing. torch hands each event to a writer thread through a queue of ``max_queue`` items; the
thread writes them to a buffered file that it flushes every ``flush_secs``. minitorch keeps the
same promises without a thread: ``FileWriter`` holds encoded records in a list and writes them
out when ``max_queue`` are pending, when an event arrives ``flush_secs`` or more after the last
write, and on ``flush()``/``close()``. Records still pending when a writer that was never closed
is garbage-collected, or when the program ends, are written by a finalizer. The difference from
torch: an idle writer does not wake up on its own after ``flush_secs``; its pending events wait
for the next add_*, flush(), close() or the end of the program. In exchange there is no thread
to start per file, and an error writing the file is raised at the call that wrote it.

``FileWriter.add_event`` takes the event's parts as keywords (minitorch has no protobuf classes
to pass an ``Event`` in); ``get_logdir``, ``add_summary``, ``flush`` and ``close`` are torch's.
"""
from __future__ import annotations

import itertools
import os
import socket
import threading
import time
import weakref

import numpy as np

from ..._unsupported import NotSupportedError
from ...tensor import Tensor
from . import _embedding, _summaries, _tensors
from ._hparams import hparams
from ._records import bytes_field, frame_record, opt_double, opt_varint, string_field, varint_field

# torch's SummaryWriter methods minitorch does not have, and what to do instead.
_NOT_AVAILABLE = {
    "add_image_with_boxes": "draw the boxes into the image array yourself, then add_image",
    "add_video": "log frames with add_images, or write the video with another library",
    "add_mesh": "save the mesh with another library",
    "add_onnx_graph": "open the ONNX file (minitorch.onnx.export) in Netron (netron.app)",
}
_file_numbers = itertools.count()  # the <n> of event file names, unique in this process
_WRITER_NAME = "minitorch.utils.tensorboard"


def encode_event(wall_time: float, step: int | None = None, *, file_version: str | None = None,
                 summary: bytes | None = None, session_start: bool = False,
                 source: str | None = None) -> bytes:
    """A serialized ``tensorboard.Event``: wall_time, step, then what it carries."""
    out = opt_double(1, wall_time) + opt_varint(2, 0 if step is None else int(step))
    if file_version is not None:
        out += string_field(3, file_version)
    if summary is not None:
        out += bytes_field(5, summary)
    if session_start:
        out += bytes_field(7, varint_field(1, 1))  # SessionLog{status: START}
    if source is not None:
        out += bytes_field(10, string_field(1, source))  # SourceMetadata{writer}
    return out


class _EventFile:
    """An open event file and the records not yet written to it (shared with the finalizer).

    Only the process that opened the file writes to it: a forked child (a DataLoader worker)
    inherits the queue too, and must not write the parent's events a second time."""

    def __init__(self, path: str) -> None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0)
        self.fd = os.open(path, flags, 0o644)
        self.pid = os.getpid()
        self.pending: list[bytes] = []
        self.lock = threading.Lock()

    def write_pending(self) -> None:
        with self.lock:
            records, self.pending = self.pending, []
            if os.getpid() != self.pid:
                return
            for record in records:
                # One write call per record, so a reader never sees a record cut between calls;
                # the loop only continues after a short write (a full disk, a signal).
                view = memoryview(record)
                while view:
                    view = view[os.write(self.fd, view):]

    def close(self) -> None:
        if self.fd is not None:
            try:
                self.write_pending()
            finally:
                fd, self.fd = self.fd, None
                os.close(fd)


class FileWriter:
    """Writes ``Event`` records to a new event file in ``log_dir`` (created if missing)."""

    def __init__(self, log_dir, max_queue: int = 10, flush_secs: float = 120, filename_suffix: str = "") -> None:
        log_dir = str(log_dir)
        os.makedirs(log_dir, exist_ok=True)
        self._log_dir = log_dir
        self.max_queue = max_queue
        self.flush_secs = flush_secs
        name = "events.out.tfevents.%010d.%s.%s.%s" % (time.time(), socket.gethostname(), os.getpid(),
                                                        next(_file_numbers))
        self.path = os.path.join(log_dir, name) + filename_suffix
        self._file = _EventFile(self.path)
        self._finalizer = weakref.finalize(self, _EventFile.close, self._file)
        self._next_flush = time.monotonic() + flush_secs
        self._add_record(encode_event(time.time(), file_version="brain.Event:2", source=_WRITER_NAME))
        self.flush()

    def get_logdir(self) -> str:
        """The directory the event file is in."""
        return self._log_dir

    def _add_record(self, event: bytes) -> None:
        if self._file.fd is None:
            raise OSError("Writer is closed")
        self._file.pending.append(frame_record(event))
        if len(self._file.pending) >= self.max_queue or time.monotonic() >= self._next_flush:
            self.flush()

    def add_event(self, step=None, walltime=None, **what) -> None:
        """One Event carrying ``what`` (file_version=, summary=, session_start=), stamped now
        or at ``walltime``."""
        self._add_record(encode_event(time.time() if walltime is None else walltime, step, **what))

    def add_summary(self, summary: bytes, global_step=None, walltime=None) -> None:
        """One Event carrying a serialized ``Summary``."""
        self.add_event(global_step, walltime, summary=summary)

    def flush(self) -> None:
        """Write the pending events to the file."""
        if self._file.fd is None:
            raise OSError("Writer is closed")
        self._file.write_pending()
        self._next_flush = time.monotonic() + self.flush_secs

    def close(self) -> None:
        """Write the pending events and close the file (a second close does nothing)."""
        self._finalizer()


class SummaryWriter:
    """Writes scalars, histograms, images, text and hyperparameters to event files in
    ``log_dir`` (default ``runs/<Mon DD_HH-MM-SS>_<hostname><comment>``) for TensorBoard."""

    def __init__(self, log_dir=None, comment: str = "", purge_step=None, max_queue: int = 10,
                 flush_secs: float = 120, filename_suffix: str = "") -> None:
        if not log_dir:
            from datetime import datetime
            log_dir = os.path.join("runs", datetime.now().strftime("%b%d_%H-%M-%S") + "_"
                                   + socket.gethostname() + comment)
        self.log_dir = log_dir
        self.purge_step = purge_step
        self.max_queue = max_queue
        self.flush_secs = flush_secs
        self.filename_suffix = filename_suffix
        self.file_writer = self.all_writers = None
        self._get_file_writer()
        self.default_bins = _summaries.default_bins()
        self._projector_configs: list[str] = []  # add_embedding's entries of projector_config.pbtxt

    def _get_file_writer(self) -> FileWriter:
        """The main file writer, opened again (a new file) after close()."""
        if self.all_writers is None or self.file_writer is None:
            self.file_writer = FileWriter(self.log_dir, self.max_queue, self.flush_secs, self.filename_suffix)
            self.all_writers = {self.file_writer.get_logdir(): self.file_writer}
            if self.purge_step is not None:
                # Tells TensorBoard to hide the events of an earlier run from this step on.
                self.file_writer.add_event(self.purge_step, file_version="brain.Event:2")
                self.file_writer.add_event(self.purge_step, session_start=True)
                self.purge_step = None
        return self.file_writer

    def get_logdir(self):
        """The directory of this writer's main run, as given (or the default one)."""
        return self.log_dir

    def add_scalar(self, tag: str, scalar_value, global_step=None, walltime=None, new_style: bool = False,
                   double_precision: bool = False) -> None:
        """One number (a Python number or a one-element tensor) under ``tag`` at ``global_step``."""
        summary = _summaries.scalar(tag, scalar_value, new_style=new_style, double_precision=double_precision)
        self._get_file_writer().add_summary(summary, global_step, walltime)

    def add_scalars(self, main_tag: str, tag_scalar_dict: dict, global_step=None, walltime=None) -> None:
        """Several numbers on one chart: each key's values go to their own run,
        ``<log_dir>/<main_tag>_<key>`` (slashes of main_tag become underscores), under ``main_tag``."""
        walltime = time.time() if walltime is None else walltime
        log_dir = self._get_file_writer().get_logdir()
        for tag, scalar_value in tag_scalar_dict.items():
            sub_dir = log_dir + "/" + main_tag.replace("/", "_") + "_" + tag
            writer = self.all_writers.get(sub_dir)
            if writer is None:
                writer = FileWriter(sub_dir, self.max_queue, self.flush_secs, self.filename_suffix)
                self.all_writers[sub_dir] = writer
            writer.add_summary(_summaries.scalar(main_tag, scalar_value), global_step, walltime)

    def add_histogram(self, tag: str, values, global_step=None, bins="tensorflow", walltime=None,
                      max_bins=None) -> None:
        """A histogram of ``values``; bins 'tensorflow' (the default: 1.1x-spaced edges from 1e-12
        to 1e20, both signs), a NumPy rule ('auto', 'fd', 'sturges', ...), a count, or edges."""
        if isinstance(bins, str) and bins == "tensorflow":
            bins = self.default_bins
        self._get_file_writer().add_summary(_summaries.histogram(tag, values, bins, max_bins=max_bins),
                                            global_step, walltime)

    def add_histogram_raw(self, tag: str, min, max, num, sum, sum_squares, bucket_limits, bucket_counts,
                          global_step=None, walltime=None) -> None:
        """A histogram computed elsewhere: its statistics, right bucket edges and counts."""
        if len(bucket_limits) != len(bucket_counts):
            raise ValueError("len(bucket_limits) != len(bucket_counts), see the document.")
        summary = _summaries.histogram_raw(tag, min, max, num, sum, sum_squares, bucket_limits, bucket_counts)
        self._get_file_writer().add_summary(summary, global_step, walltime)

    def add_image(self, tag: str, img_tensor, global_step=None, walltime=None, dataformats: str = "CHW") -> None:
        """One image: uint8 in [0, 255] or float in [0, 1], laid out as ``dataformats``
        (CHW, HWC, HW; one channel is grey, three RGB, four RGBA)."""
        self._get_file_writer().add_summary(_summaries.image(tag, img_tensor, dataformats), global_step,
                                            walltime)

    def add_images(self, tag: str, img_tensor, global_step=None, walltime=None, dataformats: str = "NCHW") -> None:
        """A batch of images (NCHW, NHWC, ...), shown as one grid eight images wide."""
        self._get_file_writer().add_summary(_summaries.image(tag, img_tensor, dataformats), global_step,
                                            walltime)

    def add_figure(self, tag: str, figure, global_step=None, close: bool = True, walltime=None) -> None:
        """A matplotlib figure (or a list of them, shown as a grid), drawn to an image."""
        pixels = _summaries.figure_to_image(figure, close)
        self.add_image(tag, pixels, global_step, walltime, dataformats="NCHW" if isinstance(figure, list) else "CHW")

    def add_audio(self, tag: str, snd_tensor, global_step=None, sample_rate: float = 44100, walltime=None) -> None:
        """Mono sound, samples in [-1, 1] (louder ones are clipped), as a 16-bit WAV."""
        self._get_file_writer().add_summary(_summaries.audio(tag, snd_tensor, sample_rate=sample_rate),
                                            global_step, walltime)

    def add_custom_scalars(self, layout: dict) -> None:
        """Charts that combine scalar tags, for the CUSTOM SCALARS tab: {category: {title:
        ["Multiline", [tag regexes]] or ["Margin", [value, lower, upper]]}}."""
        self._get_file_writer().add_summary(_tensors.custom_scalars(layout))

    def add_custom_scalars_multilinechart(self, tags, category: str = "default", title: str = "untitled") -> None:
        """One custom chart with a line per tag."""
        self._get_file_writer().add_summary(_tensors.custom_scalars({category: {title: ["Multiline", tags]}}))

    def add_custom_scalars_marginchart(self, tags, category: str = "default", title: str = "untitled") -> None:
        """One custom chart of a value between a lower and an upper tag."""
        if len(tags) != 3:
            raise AssertionError(f"Expected 3 tags, got {len(tags)}.")
        self._get_file_writer().add_summary(_tensors.custom_scalars({category: {title: ["Margin", tags]}}))

    def add_text(self, tag: str, text_string: str, global_step=None, walltime=None) -> None:
        """A string (Markdown in TensorBoard's TEXT tab) under ``<tag>/text_summary``."""
        self._get_file_writer().add_summary(_summaries.text(tag, text_string), global_step, walltime)

    def add_tensor(self, tag: str, tensor, global_step=None, walltime=None) -> None:
        """A whole tensor (its dtype, shape and values), for the tensor plugin."""
        self._get_file_writer().add_summary(_tensors.tensor_summary(tag, tensor), global_step, walltime)

    def add_pr_curve(self, tag: str, labels, predictions, global_step=None, num_thresholds: int = 127,
                     weights=None, walltime=None) -> None:
        """A precision-recall curve of ``predictions`` (probabilities in [0, 1]) against binary
        ``labels``, at ``num_thresholds`` (at most 127) evenly spaced thresholds."""
        num_thresholds = min(num_thresholds, 127)
        labels, predictions = _summaries.make_np(labels), _summaries.make_np(predictions)
        if isinstance(weights, Tensor):
            weights = _summaries.make_np(weights)
        table = _tensors.compute_curve(labels, predictions, num_thresholds, weights)
        self._get_file_writer().add_summary(_tensors.pr_curve_summary(tag, table, num_thresholds),
                                            global_step, walltime)

    def add_pr_curve_raw(self, tag: str, true_positive_counts, false_positive_counts, true_negative_counts,
                         false_negative_counts, precision, recall, global_step=None, num_thresholds: int = 127,
                         weights=None, walltime=None) -> None:
        """A precision-recall curve from counts computed elsewhere (six equal-length sequences)."""
        columns = [_summaries.make_np(c) if isinstance(c, Tensor) else c
                   for c in (true_positive_counts, false_positive_counts, true_negative_counts,
                             false_negative_counts, precision, recall)]
        summary = _tensors.pr_curve_summary(tag, np.stack(columns), min(num_thresholds, 127))
        self._get_file_writer().add_summary(summary, global_step, walltime)

    def add_embedding(self, mat, metadata=None, label_img=None, global_step=None, tag: str = "default",
                      metadata_header=None) -> None:
        """Points for the PROJECTOR tab: ``mat`` (N, D), optional labels (N of them, or rows under
        ``metadata_header``) and label images (N, C, H, W), in ``<log_dir>/<step>/<tag>/``."""
        _embedding.add_embedding(self._get_file_writer().get_logdir(), self._projector_configs, mat, metadata,
                                 label_img, global_step, tag, metadata_header)

    def add_hparams(self, hparam_dict: dict, metric_dict: dict, hparam_domain_discrete=None, run_name=None,
                    global_step=None) -> None:
        """Hyperparameters and their metrics for the HPARAMS tab, in a run of their own,
        ``<log_dir>/<run_name>`` (default: the current time), the metrics logged there as scalars."""
        if type(hparam_dict) is not dict or type(metric_dict) is not dict:
            raise TypeError("hparam_dict and metric_dict should be dictionary.")
        experiment, start, end = hparams(hparam_dict, metric_dict, hparam_domain_discrete)
        if not run_name:
            run_name = str(time.time())
        log_dir = os.path.join(self._get_file_writer().get_logdir(), run_name)
        with SummaryWriter(log_dir=log_dir) as run:
            for summary in (experiment, start, end):
                run.file_writer.add_summary(summary, global_step)
            for key, value in metric_dict.items():
                run.add_scalar(key, value, global_step)

    def add_graph(self, model, input_to_model=None, verbose: bool = False, use_strict_trace: bool = True) -> None:
        """Not available: minitorch has no tracer to record a graph for TensorBoard."""
        raise NotImplementedError(
            "SummaryWriter.add_graph is not supported by minitorch: it has no JIT tracer to record the "
            "model's graph. Use minitorch.onnx.export(model, (input,), 'model.onnx') and open the file "
            "in Netron (netron.app) to see the graph.")

    def __getattr__(self, name: str):
        advice = _NOT_AVAILABLE.get(name)
        if advice is None:
            raise AttributeError(f"'SummaryWriter' object has no attribute '{name}'")
        raise NotSupportedError(f"SummaryWriter.{name} is not supported by minitorch yet: {advice}")

    def flush(self) -> None:
        """Write every pending event of every run of this writer to disk."""
        if self.all_writers is None:
            return
        for writer in self.all_writers.values():
            writer.flush()

    def close(self) -> None:
        """Write what is pending and close the files; a later add_* opens a new file."""
        if self.all_writers is None:
            return
        for writer in self.all_writers.values():
            writer.close()
        self.file_writer = self.all_writers = None

    def __enter__(self) -> "SummaryWriter":
        return self

    def __exit__(self, exc_type, exc_val, exc_tb) -> None:
        self.close()
