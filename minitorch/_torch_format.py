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
Writing emits the pickle opcodes directly: torch need not be installed.
"""
from __future__ import annotations

import io
import pickle
import pickletools
import struct
import sys
import zipfile
from collections import OrderedDict
from typing import IO, Any, Callable

import numpy as np

from . import dtypes
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


# ----- writing ---------------------------------------------------------------------------
def write(fileobj: IO[bytes], root: Any, arrays: list) -> None:
    """Write the value ``root`` (serialization's manifest form) as torch.save would.

    arrays: one ``(ndarray, requires_grad, location)`` per ``{"tensor": i}`` in root.
    """
    with zipfile.ZipFile(fileobj, "w", zipfile.ZIP_STORED) as archive:
        _write_record(archive, _PREFIX + "data.pkl", _Pickler(arrays).dump(root))
        _write_record(archive, _PREFIX + "byteorder", sys.byteorder.encode())
        for key, (array, _, _) in enumerate(arrays):
            raw = np.ascontiguousarray(array).reshape(-1).view(np.uint8)
            _write_record(archive, f"{_PREFIX}data/{key}", memoryview(raw))
        _write_record(archive, _PREFIX + "version", b"3\n")


def _write_record(archive: zipfile.ZipFile, name: str, data) -> None:
    """A stored (uncompressed) zip entry whose data starts at a multiple of 64 bytes.

    torch aligns its records so that ``torch.load(mmap=True)`` can map them; the
    padding goes in the local header's extra field, as torch's writer does it.
    """
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_STORED
    zip64_extra = 20 if len(data) * 1.05 > zipfile.ZIP64_LIMIT else 0  # zipfile adds it itself
    header_end = archive.fp.tell() + 30 + len(name.encode()) + 4 + zip64_extra
    padding = -header_end % 64
    info.extra = struct.pack("<HH", 0x4246, padding) + b"Z" * padding  # 0x4246 is "FB"
    archive.writestr(info, data)


class _Pickler:
    """Writes a manifest value as the protocol-2 pickle torch.save would write."""

    def __init__(self, arrays: list) -> None:
        self.arrays = arrays
        self.out = bytearray(pickle.PROTO + b"\x02")
        self.memo: dict[int, int] = {}  # tensor index -> memo slot, so a shared tensor loads as one

    def dump(self, root: Any) -> bytes:
        self.emit(root)
        self.out += pickle.STOP
        return bytes(self.out)

    def emit(self, value: Any) -> None:
        out = self.out
        if value is None:
            out += pickle.NONE
        elif value is True or value is False:
            out += pickle.NEWTRUE if value else pickle.NEWFALSE
        elif type(value) is int:
            self.emit_int(value)
        elif type(value) is float:
            out += pickle.BINFLOAT + struct.pack(">d", value)
        elif type(value) is str:
            data = value.encode("utf-8", "surrogatepass")
            out += pickle.BINUNICODE + struct.pack("<I", len(data)) + data
        else:
            (kind, body), = value.items()
            if kind == "float":
                self.emit(float(body))
            elif kind == "tensor":
                self.emit_tensor(body)
            elif kind == "tuple":
                self.emit_tuple(body)
            elif kind == "list":
                out += pickle.EMPTY_LIST
                if body:
                    out += pickle.MARK
                    for item in body:
                        self.emit(item)
                    out += pickle.APPENDS
            else:  # dict or OrderedDict
                out += self.ORDERED_DICT if kind == "OrderedDict" else pickle.EMPTY_DICT
                if body:
                    out += pickle.MARK
                    for key, item in body:
                        self.emit(key)
                        self.emit(item)
                    out += pickle.SETITEMS

    ORDERED_DICT = pickle.GLOBAL + b"collections\nOrderedDict\n" + pickle.EMPTY_TUPLE + pickle.REDUCE

    def emit_tuple(self, items) -> None:
        self.out += pickle.MARK
        for item in items:
            self.emit(item)
        self.out += pickle.TUPLE

    def emit_tensor(self, index: int) -> None:
        """_rebuild_tensor_v2(storage, 0, size, contiguous stride, requires_grad, OrderedDict())."""
        out = self.out
        if index in self.memo:
            out += pickle.LONG_BINGET + struct.pack("<I", self.memo[index])
            return
        array, requires_grad, location = self.arrays[index]
        stride, step = [], 1
        for n in reversed(array.shape):
            stride.insert(0, step)
            step *= max(n, 1)
        storage_type = _STORAGE_NAMES[dtypes.FROM_NP[array.dtype]]
        out += pickle.GLOBAL + b"torch._utils\n_rebuild_tensor_v2\n" + pickle.MARK
        out += pickle.MARK
        self.emit("storage")
        out += pickle.GLOBAL + f"torch\n{storage_type}\n".encode()
        for item in (str(index), location, int(array.size)):
            self.emit(item)
        out += pickle.TUPLE + pickle.BINPERSID
        self.emit(0)
        self.emit_tuple(array.shape)
        self.emit_tuple(stride)
        self.emit(requires_grad)
        out += self.ORDERED_DICT + pickle.TUPLE + pickle.REDUCE
        self.memo[index] = len(self.memo)
        out += pickle.LONG_BINPUT + struct.pack("<I", self.memo[index])

    def emit_int(self, n: int) -> None:
        out = self.out
        if 0 <= n < 256:
            out += pickle.BININT1 + bytes([n])
        elif 0 <= n < 65536:
            out += pickle.BININT2 + struct.pack("<H", n)
        elif -2**31 <= n < 2**31:
            out += pickle.BININT + struct.pack("<i", n)
        else:
            data = n.to_bytes((n.bit_length() >> 3) + 1, "little", signed=True)
            if len(data) < 256:
                out += pickle.LONG1 + bytes([len(data)]) + data
            else:
                out += pickle.LONG4 + struct.pack("<i", len(data)) + data


# ----- reading ---------------------------------------------------------------------------
def is_torch_archive(archive: zipfile.ZipFile) -> bool:
    return _prefix(archive) is not None


def read(archive: zipfile.ZipFile, make_tensor: Callable) -> Any:
    """The object in a torch checkpoint; make_tensor(array, requires_grad, location) places tensors."""
    prefix = _prefix(archive)
    byteorder = b"little"
    if prefix + "byteorder" in archive.namelist():
        byteorder = archive.read(prefix + "byteorder")
        if byteorder not in (b"little", b"big"):
            raise RuntimeError(f"corrupt torch checkpoint: unknown byte order {byteorder[:20]!r}")
    unpickler = _WeightsOnlyUnpickler(io.BytesIO(archive.read(prefix + "data.pkl")), archive, prefix,
                                      byteorder.decode(), make_tensor)
    try:
        return unpickler.load()
    except (pickle.UnpicklingError, RuntimeError, zipfile.BadZipFile):
        raise
    except (EOFError, TypeError, ValueError, KeyError, IndexError, AttributeError, struct.error,
            RecursionError) as e:
        raise pickle.UnpicklingError(f"malformed data.pkl in the torch checkpoint: "
                                     f"{type(e).__name__}: {e}") from None


def _prefix(archive: zipfile.ZipFile) -> str | None:
    """The directory holding data.pkl ("archive/" for torch.save(obj, file_object))."""
    for name in archive.namelist():
        if name.endswith("/data.pkl") and name.count("/") == 1:
            return name[:-len("data.pkl")]
    return None


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
        raise pickle.UnpicklingError(f"refused _codecs.encode with encoding {encoding!r}")
    return text.encode("latin1")


def _rebuild_parameter(data, requires_grad: bool, backward_hooks) -> Any:
    """A saved nn.Parameter loads as a plain tensor with its requires_grad."""
    data.requires_grad_(bool(requires_grad))
    return data


_GLOBALS = {
    ("collections", "OrderedDict"): OrderedDict,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
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
        raise pickle.UnpicklingError(
            f"weights-only load refused the pickle opcode {_OPCODE_NAMES.get(code, hex(code))}: "
            "a checkpoint may only hold tensors, containers and scalars")


class _WeightsOnlyUnpickler(pickle._Unpickler):
    """Python's pickle machine with an allowlist of globals and of opcodes.

    The pure-Python unpickler is used because its dispatch table can be replaced:
    the C one can't be kept from running BUILD on any object it has made.
    """

    def load_build(self) -> None:
        """BUILD only as torch.save uses it: attributes (``_metadata``) of a state_dict's OrderedDict."""
        state = self.stack.pop()
        target = self.stack[-1]
        if not (type(target) is OrderedDict and type(state) is dict and all(type(k) is str for k in state)):
            raise pickle.UnpicklingError(
                f"weights-only load refused the pickle opcode BUILD on a {type(target).__name__}: "
                "only an OrderedDict's attributes may be set")
        target.__dict__.update(state)

    dispatch = _OpcodeTable({getattr(pickle, name)[0]: pickle._Unpickler.dispatch[getattr(pickle, name)[0]]
                             for name in _ALLOWED_OPCODES})
    dispatch[pickle.BUILD[0]] = load_build

    def __init__(self, file: IO[bytes], archive: zipfile.ZipFile, prefix: str, byteorder: str,
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
            raise RuntimeError(f"the checkpoint holds {_UNSUPPORTED_STORAGES[name]} tensors, a dtype "
                               "minitorch does not have")
        raise pickle.UnpicklingError(
            f"weights-only load refused the global {module}.{name}: a checkpoint may only hold "
            "tensors, dicts, lists, tuples and scalars, and minitorch never calls other code from a file")

    def persistent_load(self, pid: Any) -> _Storage:
        """('storage', storage type, key, location, numel) -> the storage, read once per key."""
        if not (type(pid) is tuple and len(pid) == 5 and pid[0] == "storage"
                and isinstance(pid[1], _StorageType) and type(pid[2]) is str
                and type(pid[3]) is str and type(pid[4]) is int):
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r:.100} in the torch checkpoint")
        _, storage_type, key, location, numel = pid
        if key not in self._storages:
            self._storages[key] = _Storage(self._read_storage(key, storage_type.dtype, numel), location)
        storage = self._storages[key]
        if storage.array.dtype != storage_type.dtype.np:
            raise pickle.UnpicklingError(f"storage {key} is used as two dtypes in the torch checkpoint")
        return storage

    def _read_storage(self, key: str, dtype: dtypes.dtype, numel: int) -> np.ndarray:
        name = f"{self._prefix}data/{key}"
        try:
            info = self._archive.getinfo(name)
        except KeyError:
            raise RuntimeError(f"corrupt torch checkpoint: storage record {name!r} is missing") from None
        if numel < 0 or info.file_size != numel * dtype.itemsize:
            raise RuntimeError(f"corrupt torch checkpoint: {name!r} has {info.file_size} bytes, "
                               f"{numel} {dtype.name} elements need {max(numel, 0) * dtype.itemsize}")
        raw = np.empty(info.file_size, np.uint8)
        with self._archive.open(info) as src:  # read in chunks; zipfile checks the CRC at the end
            view, done = memoryview(raw), 0
            while done < len(raw):
                n = src.readinto(view[done:done + (1 << 24)])
                if not n:
                    raise RuntimeError(f"corrupt torch checkpoint: {name!r} is truncated")
                done += n
        array = raw.view(dtype.np)
        return array if self._byteorder == sys.byteorder else array.byteswap()

    def _rebuild_tensor(self, storage, storage_offset, size, stride, requires_grad, backward_hooks,
                        metadata=None):
        """torch._utils._rebuild_tensor_v2: a view of the storage, checked to lie inside it."""
        if not (isinstance(storage, _Storage) and _is_index(storage_offset) and _is_sizes(size)
                and _is_sizes(stride) and len(size) == len(stride) and type(requires_grad) is bool
                and not backward_hooks):
            raise pickle.UnpicklingError("malformed tensor in the torch checkpoint: "
                                         f"{(storage, storage_offset, size, stride)!r:.200}")
        extent = 0 if 0 in size else 1 + sum((n - 1) * s for n, s in zip(size, stride))
        if storage_offset + extent > len(storage.array):
            raise RuntimeError(f"corrupt torch checkpoint: a tensor of size {list(size)}, stride "
                               f"{list(stride)} and offset {storage_offset} overruns its storage of "
                               f"{len(storage.array)} elements")
        itemsize = storage.array.itemsize
        view = np.lib.stride_tricks.as_strided(storage.array[storage_offset:], tuple(size),
                                               tuple(s * itemsize for s in stride))
        return self._make_tensor(view, requires_grad, storage.location)


def _is_index(n: Any) -> bool:
    return type(n) is int and n >= 0


def _is_sizes(seq: Any) -> bool:
    return isinstance(seq, (tuple, list)) and all(_is_index(n) for n in seq)
