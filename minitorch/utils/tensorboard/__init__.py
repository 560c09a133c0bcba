"""TensorBoard logging with torch.utils.tensorboard's interface: ``from minitorch.utils.tensorboard
import SummaryWriter``. No dependency: minitorch writes TensorBoard's files itself.

The files are TensorBoard's event files, ``events.out.tfevents.<time>.<hostname>.<pid>.<n><suffix>``
in the writer's log directory: a sequence of TFRecords (length, CRC-32C, payload, CRC-32C), each
payload an ``Event`` protobuf (the first says ``file_version: "brain.Event:2"``).

An event file is an append-only stream, not a document: TensorBoard reads it while training
still writes it, record by record. So it is not written to a temporary name and renamed, as
minitorch's other files are (a rename would hide every event until the run ends); instead each
record goes to the file in one write call, whole, so a reader never sees half a record.

Layout: ``_records.py`` (CRC-32C, TFRecord framing, protobuf wire encoding), ``_png.py`` (the
PNG encoder), ``_summaries.py``, ``_hparams.py`` and ``_tensors.py`` (one Summary per add_*
call, as torch builds it), ``_embedding.py`` (the projector's files, which are whole files and
renamed into place), ``writer.py`` (SummaryWriter, FileWriter, how events are queued).
"""
from .writer import FileWriter, SummaryWriter

__all__ = ["FileWriter", "SummaryWriter"]
