"""PyTorch's checkpoint format (torch.save's zip layout), read and written without torch.

A torch checkpoint is a zip archive whose names share a prefix directory::

    archive/data.pkl       the object, pickled with protocol 2
    archive/data/<key>     the raw bytes of each storage
    archive/byteorder      "little" or "big" (absent in old files: little)
    archive/version        the format version, "3\\n"

Each tensor in data.pkl is a call ``torch._utils._rebuild_tensor_v2(storage, offset,
size, stride, requires_grad, backward_hooks)`` whose storage is a persistent id
``('storage', torch.FloatStorage, key, location, numel)``.

Reading runs that pickle on a restricted virtual machine: globals come from an
allowlist (the tensor rebuild functions, storage and dtype names, OrderedDict, Size,
device, set, complex, bytes), everything else is refused with ``UnpicklingError``,
the opcodes that build arbitrary objects (NEWOBJ, INST, OBJ, EXT) are refused too, and
BUILD may only set attributes of an OrderedDict (the ``_metadata`` of a module's
state_dict). Only allowlisted callables ever run, so a file can't execute code.
Writing (``_torch_writer.py``) emits the pickle opcodes directly: torch need not be installed.
"""
from __future__ import annotations

import io
import math
import pickle
import pickletools
import sys
from collections import OrderedDict
from typing import IO, Any, Callable

import numpy as np

from . import _checkpoint_pickle, dtypes
from ._checkpoint_zip import Archive, CheckpointError, Refused
from ._size import Size
from .device import device

_PREFIX = "archive/"
_STORAGE_DTYPES = {
    "FloatStorage": dtypes.float32, "DoubleStorage": dtypes.float64, "HalfStorage": dtypes.float16,
    "LongStorage": dtypes.int64, "IntStorage": dtypes.int32, "ShortStorage": dtypes.int16,
    "CharStorage": dtypes.int8, "ByteStorage": dtypes.uint8, "BoolStorage": dtypes.bool,
}
_STORAGE_NAMES = {dt: name for name, dt in _STORAGE_DTYPES.items()}
_UNSUPPORTED_STORAGES = {"BFloat16Storage": "bfloat16", "ComplexFloatStorage": "complex64",
                         "ComplexDoubleStorage": "complex128"}


# ----- reading ---------------------------------------------------------------------------
def prefix(archive: Archive) -> str | None:
    """The directory holding data.pkl ("archive/" for torch.save(obj, file_object)), if any."""
    for name in archive.names:
        if name.endswith("/data.pkl") and name.count("/") == 1:
            return name[:-len("data.pkl")]
    return None


def read(archive: Archive, prefix: str, make_tensor: Callable, weights_only: bool = True) -> Any:
    """The object in a torch checkpoint; make_tensor(array, requires_grad, location) places tensors.

    weights_only=False unpickles any object the file names (see _FullUnpickler).

    Errors are left to the caller (load), which reports anything unexpected as a corrupt file.
    """
    byteorder = b"little"
    if prefix + "byteorder" in archive:
        byteorder = archive.read(prefix + "byteorder")
        if byteorder not in (b"little", b"big"):
            raise _corrupt(f"unknown byte order {byteorder[:20]!r}")
    kind = _WeightsOnlyUnpickler if weights_only else _FullUnpickler
    unpickler = kind(io.BytesIO(archive.read(prefix + "data.pkl")), archive, prefix, byteorder.decode(),
                     make_tensor)
    return unpickler.load()


def _corrupt(what: str) -> CheckpointError:
    return CheckpointError(f"corrupt torch checkpoint: {what}")


class _StorageType:
    """What the global torch.FloatStorage (etc.) stands for: a dtype for persistent ids."""

    __slots__ = ("name", "dtype")

    def __init__(self, name: str, dtype: dtypes.dtype) -> None:
        self.name, self.dtype = name, dtype

    def __repr__(self) -> str:
        return f"torch.{self.name}"


class _Storage:
    """A loaded storage: its elements as a 1-d array, and the device it was saved from."""

    __slots__ = ("array", "location")

    def __init__(self, array: np.ndarray, location: str) -> None:
        self.array, self.location = array, location


def _encode_bytes(text: str, encoding: str = "latin1") -> bytes:
    # Protocol 2 pickles bytes as _codecs.encode(text, "latin1"); allow only that.
    if type(text) is not str or encoding not in ("latin1", "latin-1"):
        raise Refused(f"weights-only load refused _codecs.encode with encoding {encoding!r}")
    return text.encode("latin1")


def _rebuild_parameter(data, requires_grad: bool, backward_hooks) -> Any:
    """A saved nn.Parameter loads as a plain tensor with its requires_grad."""
    data.requires_grad_(bool(requires_grad))
    return data


_GLOBALS = {
    ("collections", "OrderedDict"): OrderedDict,
    ("builtins", "set"): set,
    ("builtins", "complex"): complex,
    ("_codecs", "encode"): _encode_bytes,
    ("torch", "Size"): Size,
    ("torch", "device"): device,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    **{("torch", name): _StorageType(name, dt) for name, dt in _STORAGE_DTYPES.items()},
    **{("torch", dt.name): dt for dt in dtypes.ALL},
}

_ALLOWED_OPCODES = (
    "PROTO", "FRAME", "STOP", "MARK", "POP", "POP_MARK", "DUP", "GLOBAL", "STACK_GLOBAL", "BINPERSID",
    "REDUCE", "NONE", "NEWTRUE", "NEWFALSE", "BININT", "BININT1", "BININT2", "LONG1", "LONG4",
    "BINFLOAT", "BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8", "BINBYTES", "SHORT_BINBYTES",
    "BINBYTES8", "EMPTY_TUPLE", "TUPLE", "TUPLE1", "TUPLE2", "TUPLE3", "EMPTY_LIST", "APPEND",
    "APPENDS", "EMPTY_DICT", "SETITEM", "SETITEMS", "EMPTY_SET", "ADDITEMS", "FROZENSET", "BINPUT",
    "LONG_BINPUT", "BINGET", "LONG_BINGET", "MEMOIZE",
)
_OPCODE_NAMES = {ord(op.code): op.name for op in pickletools.opcodes}


class _OpcodeTable(dict):
    """The unpickler's dispatch table: an opcode missing from it is refused."""

    def __missing__(self, code: int):
        raise Refused(
            f"weights-only load refused the pickle opcode {_OPCODE_NAMES.get(code, hex(code))}: "
            "a checkpoint may only hold tensors, containers and scalars")


class _WeightsOnlyUnpickler(pickle._Unpickler):
    """Python's pickle machine with an allowlist of globals and of opcodes.

    The pure-Python unpickler is used because its dispatch table can be replaced:
    the C one can't be kept from running BUILD on any object it has made.
    """

    def load_build(self) -> None:
        """BUILD only as torch.save uses it: attributes (``_metadata``) of a state_dict's OrderedDict,
        or the state of an object of a class add_safe_globals allowed."""
        if len(self.stack) > 1 and type(self.stack[-2]) in _checkpoint_pickle.user_classes():
            self._classes = _checkpoint_pickle.user_classes()
            return _checkpoint_pickle._WeightsOnly.load_build(self)
        state = self.stack.pop()
        target = self.stack[-1]
        if not (type(target) is OrderedDict and type(state) is dict and all(type(k) is str for k in state)):
            raise Refused(
                f"weights-only load refused the pickle opcode BUILD on a {type(target).__name__}: "
                "only an OrderedDict's attributes may be set")
        target.__dict__.update(state)

    dispatch = _OpcodeTable({getattr(pickle, name)[0]: pickle._Unpickler.dispatch[getattr(pickle, name)[0]]
                             for name in _ALLOWED_OPCODES})
    dispatch[pickle.BUILD[0]] = load_build

    def load_newobj(self) -> None:
        """NEWOBJ only for a class add_safe_globals allowed."""
        if self.stack[-2] not in _checkpoint_pickle.user_classes():
            raise Refused("weights-only load refused the pickle opcode NEWOBJ of "
                          f"{self.stack[-2]!r:.80}: add_safe_globals did not allow it")
        self._classes = _checkpoint_pickle.user_classes()
        _checkpoint_pickle._WeightsOnly.load_newobj(self)

    dispatch[pickle.NEWOBJ[0]] = load_newobj

    def __init__(self, file: IO[bytes], archive: Archive, prefix: str, byteorder: str,
                 make_tensor: Callable) -> None:
        super().__init__(file)
        self._archive, self._prefix, self._byteorder = archive, prefix, byteorder
        self._make_tensor = make_tensor
        self._storages: dict[str, _Storage] = {}

    def find_class(self, module: str, name: str) -> Any:
        module = "builtins" if module == "__builtin__" else module  # protocol 2's spelling
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return self._rebuild_tensor
        if (module, name) in _GLOBALS:
            return _GLOBALS[module, name]
        if module == "torch" and name in _UNSUPPORTED_STORAGES:
            raise CheckpointError(f"the checkpoint holds {_UNSUPPORTED_STORAGES[name]} tensors, a dtype "
                               "minitorch does not have")
        allowed = _checkpoint_pickle.user_global(module, name)
        if allowed is None:
            raise _checkpoint_pickle.unsupported_global(module, name)
        return allowed

    def persistent_load(self, pid: Any) -> _Storage:
        """('storage', storage type, key, location, numel) -> the storage, read once per key."""
        if not (type(pid) is tuple and len(pid) == 5 and pid[0] == "storage"
                and isinstance(pid[1], _StorageType) and type(pid[2]) is str
                and type(pid[3]) is str and type(pid[4]) is int):
            raise _corrupt(f"unsupported persistent id {pid!r:.100}")
        _, storage_type, key, location, numel = pid
        if key not in self._storages:
            self._storages[key] = _Storage(self._read_storage(key, storage_type.dtype, numel), location)
        storage = self._storages[key]
        if storage.array.dtype != storage_type.dtype.np:
            raise _corrupt(f"storage {key} is used as two dtypes")
        return storage

    def _read_storage(self, key: str, dtype: dtypes.dtype, numel: int) -> np.ndarray:
        """A storage's elements, its size checked against its record before anything is read."""
        name = f"{self._prefix}data/{key}"
        info = self._archive.info(name)
        if numel < 0 or info.file_size != numel * dtype.itemsize:
            raise _corrupt(f"{name!r} has {info.file_size} bytes, {numel} {dtype.name} elements "
                           f"need {max(numel, 0) * dtype.itemsize}")
        array = self._archive.read_array(name, info.file_size).view(dtype.np)
        return array if self._byteorder == sys.byteorder else array.byteswap()

    def _rebuild_tensor(self, storage, storage_offset, size, stride, requires_grad, backward_hooks,
                        metadata=None):
        """torch._utils._rebuild_tensor_v2: a view of the storage, checked to lie inside it.

        Nothing is copied: an expanded tensor (stride 0) stays a view of its small storage
        (read-only, as torch refuses to write into one), and tensors of one storage share it.
        """
        if not (isinstance(storage, _Storage) and _is_index(storage_offset) and _is_sizes(size)
                and _is_sizes(stride) and len(size) == len(stride) and type(requires_grad) is bool
                and not backward_hooks):
            raise _corrupt(f"malformed tensor {(storage, storage_offset, size, stride)!r:.200}")
        itemsize = storage.array.itemsize
        if len(size) > _MAX_DIMS or math.prod(size) * itemsize >= 2**63:
            raise _corrupt(f"a tensor of size {list(size)[:_MAX_DIMS + 1]!r:.200} is larger than any tensor can be")
        extent = 0 if 0 in size else 1 + sum((n - 1) * s for n, s in zip(size, stride))
        if storage_offset + extent > len(storage.array):
            raise _corrupt(f"a tensor of size {list(size)}, stride {list(stride)} and offset "
                           f"{storage_offset} overruns its storage of {len(storage.array)} elements")
        overlapping = any(n > 1 and s == 0 for n, s in zip(size, stride))
        view = np.lib.stride_tricks.as_strided(
            storage.array[storage_offset:], tuple(size), tuple(s * itemsize for s in stride),
            writeable=storage.array.flags.writeable and not overlapping)
        return self._make_tensor(view, requires_grad, storage.location)


class _FullUnpickler(_WeightsOnlyUnpickler):
    """weights_only=False: every opcode, and any global the file names is imported (it can run
    code: for trusted files only). torch's tensor and storage names still map to minitorch's;
    a saved Parameter loads as a Parameter, as in torch. PyTorch's own classes (a whole
    torch.nn module, an optimizer) can't be rebuilt from minitorch objects and are refused."""

    dispatch = pickle._Unpickler.dispatch

    def find_class(self, module: str, name: str) -> Any:
        module = "builtins" if module == "__builtin__" else module
        if (module, name) == ("torch._utils", "_rebuild_parameter"):
            return _rebuild_full_parameter
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2") or (module, name) in _GLOBALS:
            return super().find_class(module, name)
        if module == "torch" or module.startswith("torch."):
            raise CheckpointError(
                f"the checkpoint holds a PyTorch {module}.{name} object, which minitorch can't rebuild: "
                "save its state_dict() in PyTorch and load_state_dict() it into the minitorch object")
        return pickle._Unpickler.find_class(self, module, name)


def _rebuild_full_parameter(data, requires_grad: bool, backward_hooks) -> Any:
    from .nn.parameter import Parameter
    return Parameter(data, bool(requires_grad))


_MAX_DIMS = 64  # NumPy's limit


def _is_index(n: Any) -> bool:
    return type(n) is int and 0 <= n < 2**63


def _is_sizes(seq: Any) -> bool:
    return isinstance(seq, (tuple, list)) and all(_is_index(n) for n in seq)
