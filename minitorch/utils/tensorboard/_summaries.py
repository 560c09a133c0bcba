"""The ``Summary`` protobufs SummaryWriter logs, encoded as torch.utils.tensorboard builds them.

Each function returns the serialized ``tensorboard.Summary`` (one ``Value``) for one add_* call.
Field numbers are those of tensorboard's summary.proto, tensor.proto and the hparams and text
plugins' protos; values are computed as torch 2.13 computes them (same bins, same scaling).
"""
from __future__ import annotations

import io
import wave

import numpy as np

from ...tensor import Tensor
from ._png import encode_png
from ._records import (bytes_field, float_field, opt_bytes, opt_double, opt_string,
                       packed_doubles, packed_floats, string_field, varint_field)

_DT_FLOAT, _DT_DOUBLE, _DT_STRING = 1, 2, 7


def make_np(x) -> np.ndarray:
    """A NumPy array of a tensor, an array or a number (a number becomes shape (1,))."""
    if isinstance(x, np.ndarray):
        return x
    if np.isscalar(x):
        return np.array([x])
    if isinstance(x, Tensor):
        return x.detach().cpu().numpy()
    raise NotImplementedError(f"Got {type(x)}, but numpy array or torch tensor are expected.")


def _plugin_metadata(plugin_name: str, content: bytes = b"") -> bytes:
    """SummaryMetadata{plugin_data: PluginData{plugin_name, content}}."""
    return bytes_field(1, opt_string(1, plugin_name) + opt_bytes(2, content))


def _summary(tag: str, *, metadata: bytes | None = None, simple_value: float | None = None,
             image: bytes | None = None, histo: bytes | None = None, audio: bytes | None = None,
             tensor: bytes | None = None) -> bytes:
    """Summary{value: [Value{tag, simple_value | image | histo | audio | tensor, metadata}]}."""
    value = opt_string(1, tag)
    if simple_value is not None:
        value += float_field(2, simple_value)
    if image is not None:
        value += bytes_field(4, image)
    if histo is not None:
        value += bytes_field(5, histo)
    if audio is not None:
        value += bytes_field(6, audio)
    if tensor is not None:
        value += bytes_field(8, tensor)
    if metadata is not None:
        value += bytes_field(9, metadata)
    return bytes_field(1, value)


# ---- scalars


def scalar(tag: str, value, new_style: bool = False, double_precision: bool = False) -> bytes:
    """One number: ``simple_value`` (float32) or, new style, a scalar TensorProto."""
    array = make_np(value).squeeze()
    if array.ndim != 0:
        raise AssertionError(f"Tensor should contain one element (0 dimensions). "
                             f"Was given size: {array.size} and {array.ndim} dimensions.")
    number = float(array)
    if not new_style:
        return _summary(tag, simple_value=number)
    if double_precision:
        tensor = varint_field(1, _DT_DOUBLE) + packed_doubles(6, [number])
    else:
        tensor = varint_field(1, _DT_FLOAT) + packed_floats(5, [number])
    return _summary(tag, tensor=tensor, metadata=_plugin_metadata("scalars"))


# ---- histograms


def default_bins() -> list[float]:
    """TensorFlow's histogram edges: +-1e-12 growing by 1.1x to 1e20, and 0 in the middle."""
    edges, edge = [], 1e-12
    while edge < 1e20:
        edges.append(edge)
        edge *= 1.1
    return [-e for e in reversed(edges)] + [0] + edges


def histogram_proto(min, max, num, sum, sum_squares, bucket_limits, bucket_counts) -> bytes:
    """HistogramProto: the five statistics, then packed right bucket edges and counts."""
    return (opt_double(1, min) + opt_double(2, max) + opt_double(3, num) + opt_double(4, sum)
            + opt_double(5, sum_squares)
            + (packed_doubles(6, bucket_limits) if len(bucket_limits) else b"")
            + (packed_doubles(7, bucket_counts) if len(bucket_counts) else b""))


def histogram(tag: str, values, bins, max_bins=None) -> bytes:
    """Counts of ``values`` in ``bins`` (edges, a count, or a NumPy bin rule such as 'auto'),
    trimmed to the bins that hold values: TensorBoard keeps right edges only, so one empty bin
    is kept on the left to carry the leftmost edge."""
    values = make_np(values).astype(float)
    if values.size == 0:
        raise ValueError("The input has no element.")
    values = values.reshape(-1)
    counts, limits = np.histogram(values, bins=bins)
    if max_bins is not None and len(counts) > max_bins:
        # Merge every `group` neighbouring bins (the last group padded with empty bins).
        group = len(counts) // max_bins
        short = len(counts) % group
        if short:
            counts = np.concatenate([counts, np.zeros(group - short, counts.dtype)])
        counts = counts.reshape(-1, group).sum(axis=-1)
        limits = np.concatenate([limits[:-1:group], limits[-1:]])
    occupied = np.cumsum(counts > 0)
    first, last = np.searchsorted(occupied, [0, occupied[-1] - 1], side="right")
    first, stop = int(first), int(last) + 1
    counts = counts[first - 1:stop] if first > 0 else np.concatenate([[0], counts[:stop]])
    limits = limits[first:stop + 1]
    if counts.size == 0 or limits.size == 0:
        raise ValueError("The histogram is empty, please file a bug report.")
    histo = histogram_proto(values.min(), values.max(), len(values), values.sum(), values.dot(values),
                            limits, counts)
    return _summary(tag, histo=histo)


def histogram_raw(tag: str, min, max, num, sum, sum_squares, bucket_limits, bucket_counts) -> bytes:
    return _summary(tag, histo=histogram_proto(min, max, num, sum, sum_squares, bucket_limits,
                                               bucket_counts))


# ---- images


def _make_grid(batch: np.ndarray, ncols: int = 8) -> np.ndarray:
    """(N, C, H, W) images laid out on one (3, rows*H, ncols*W) canvas, row by row."""
    if batch.shape[1] == 1:
        batch = np.concatenate([batch, batch, batch], 1)
    if batch.ndim != 4 or batch.shape[1] != 3:
        raise AssertionError("Input should be a 4D numpy array with 3 channels")
    count, _, height, width = batch.shape
    ncols = min(count, ncols)
    nrows = int(np.ceil(count / ncols))
    canvas = np.zeros((3, height * nrows, width * ncols), dtype=batch.dtype)
    for i in range(count):
        y, x = divmod(i, ncols)
        canvas[:, y * height:(y + 1) * height, x * width:(x + 1) * width] = batch[i]
    return canvas


def convert_to_hwc(array: np.ndarray, dataformats: str) -> np.ndarray:
    """``array`` laid out as ``dataformats`` (NCHW, NHWC, CHW, HWC, HW, ...) as one (H, W, C) image;
    one channel becomes three (grey as RGB), a batch becomes a grid of eight columns."""
    if len(set(dataformats)) != len(dataformats):
        raise AssertionError(f"You can not use the same dimension shorthand twice. "
                             f"input_format: {dataformats}")
    if array.ndim != len(dataformats):
        raise AssertionError(f"size of input tensor and input format are different. "
                             f"tensor shape: {array.shape}, input_format: {dataformats}")
    dataformats = dataformats.upper()
    if len(dataformats) == 4:
        nchw = array.transpose([dataformats.find(c) for c in "NCHW"])
        return _make_grid(nchw).transpose(1, 2, 0)
    if len(dataformats) == 3:
        hwc = array.transpose([dataformats.find(c) for c in "HWC"])
        return np.concatenate([hwc, hwc, hwc], 2) if hwc.shape[2] == 1 else hwc
    if len(dataformats) == 2:
        hw = array.transpose([dataformats.find(c) for c in "HW"])
        return np.stack([hw, hw, hw], 2)
    raise ValueError(f"dataformats must name 2, 3 or 4 dimensions (HW, CHW, NCHW, ...), got '{dataformats}'")


def image(tag: str, img, dataformats: str) -> bytes:
    """Summary.Image of ``img``: uint8 kept as is, any other dtype read as [0, 1] and scaled by
    255 in float32, clipped to [0, 255] and truncated to uint8 (as torch does), PNG-encoded."""
    hwc = convert_to_hwc(make_np(img), dataformats)
    scale = 1 if hwc.dtype == np.uint8 else 255
    pixels = (hwc.astype(np.float32) * scale).clip(0, 255).astype(np.uint8)
    height, width, channels = pixels.shape
    proto = (varint_field(1, height) if height else b"") + (varint_field(2, width) if width else b"") \
        + (varint_field(3, channels) if channels else b"") + bytes_field(4, encode_png(pixels))
    return _summary(tag, image=proto)


def figure_to_image(figures, close: bool = True) -> np.ndarray:
    """A matplotlib figure (or a list of them) drawn to uint8 pixels, (3, H, W) (or (N, 3, H, W))."""
    import matplotlib.backends.backend_agg as backend_agg
    import matplotlib.pyplot as plt

    def render(figure):
        canvas = backend_agg.FigureCanvasAgg(figure)
        canvas.draw()
        rgba = np.frombuffer(canvas.buffer_rgba(), dtype=np.uint8)
        width, height = figure.canvas.get_width_height()
        chw = np.moveaxis(rgba.reshape(height, width, 4)[:, :, :3], 2, 0)
        if close:
            plt.close(figure)
        return chw

    if isinstance(figures, list):
        return np.stack([render(figure) for figure in figures])
    return render(figures)


# ---- audio


def audio(tag: str, sound, sample_rate: float = 44100) -> bytes:
    """Summary.Audio: mono samples in [-1, 1] (clipped, with torch's warning, when louder) as
    16-bit WAV bytes."""
    samples = make_np(sound).squeeze()
    if abs(samples).max() > 1:
        print("warning: audio amplitude out of range, auto clipped.")
        samples = samples.clip(-1, 1)
    if samples.ndim != 1:
        raise AssertionError("input tensor should be 1 dimensional.")
    samples = (samples * np.iinfo(np.int16).max).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(samples.tobytes())
    proto = ((float_field(1, sample_rate) if sample_rate else b"") + varint_field(2, 1)
             + (varint_field(3, samples.shape[-1]) if samples.shape[-1] else b"")
             + bytes_field(4, buffer.getvalue()) + string_field(5, "audio/wav"))
    return _summary(tag, audio=proto)


# ---- text


def text(tag: str, text_string: str) -> bytes:
    """A one-element string tensor for the text plugin, under ``<tag>/text_summary``."""
    tensor = (varint_field(1, _DT_STRING) + bytes_field(2, bytes_field(2, varint_field(1, 1)))
              + bytes_field(8, text_string.encode(encoding="utf_8")))
    return _summary(tag + "/text_summary", tensor=tensor, metadata=_plugin_metadata("text"))
