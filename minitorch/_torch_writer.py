"""Writing PyTorch's checkpoint format (see ``_torch_format.py``) without torch.

Like torch.save, this writes storages, not tensor values: a tensor is a storage, an
offset, a size and strides. Tensors whose memory overlaps (views of one buffer) share
one storage, the span of memory they cover together, so they load as views of one
storage again; an expanded tensor (stride 0) costs the memory it really uses; strides
and offsets are kept. Only a layout torch can't express (negative strides) is written
as a copy of its values, its stride-0 dims kept expanded.
"""
from __future__ import annotations

import io
import pickle
import struct
import sys
import zipfile
from typing import IO, Any

import numpy as np

from . import dtypes
from ._torch_format import _PREFIX, _STORAGE_NAMES


def write(fileobj: IO[bytes], root: Any, arrays: list) -> None:
    """Write the value ``root`` (serialization's manifest form) as torch.save would.

    arrays: one ``(ndarray, requires_grad, location)`` per ``{"tensor": i}`` in root.
    """
    storages, layouts = plan_storages(arrays)
    with zipfile.ZipFile(fileobj, "w", zipfile.ZIP_STORED) as archive:
        _write_record(archive, _PREFIX + "data.pkl", _Pickler(arrays, storages, layouts).dump(root))
        _write_record(archive, _PREFIX + "byteorder", sys.byteorder.encode())
        for key, (storage, _) in enumerate(storages):
            _write_record(archive, f"{_PREFIX}data/{key}", memoryview(storage.view(np.uint8)))
        _write_record(archive, _PREFIX + "version", b"3\n")


def write_objects(fileobj: IO[bytes], obj: Any, host_array) -> None:
    """Write any picklable obj as torch.save would: tensors as storages (as in write), a
    Parameter as ``torch._utils._rebuild_parameter``, every other object pickled by its own
    class's name (so only processes that can import that class can load it)."""
    from .nn.parameter import Parameter
    from .tensor import Tensor

    def is_tensor(value: Any) -> bool:
        return type(value) is Tensor or type(value) is Parameter

    tensors: list = []  # (pass 1 collects them, which also keeps their ids unique)
    index: dict[int, int] = {}

    class Pickler(pickle._Pickler):
        def __init__(self, file, emit=None) -> None:
            super().__init__(file, protocol=2)
            self.emit = emit

        def save(self, value: Any, save_persistent_id: bool = True) -> None:
            if not is_tensor(value):
                return super().save(value, save_persistent_id)
            if self.emit is None:  # the first pass: list the tensors
                if id(value) not in index:
                    index[id(value)] = len(tensors)
                    tensors.append(value)
                return super().save(None)
            memo = self.memo.get(id(value))
            if memo is not None:
                self.write(self.get(memo[0]))
                return
            opcodes = self.emit.tensor_opcodes(index[id(value)])
            if type(value) is Parameter:
                opcodes = (pickle.GLOBAL + b"torch._utils\n_rebuild_parameter\n" + pickle.MARK + opcodes
                           + (pickle.NEWTRUE if value.requires_grad else pickle.NEWFALSE)
                           + _Pickler.ORDERED_DICT + pickle.TUPLE + pickle.REDUCE)
            self.write(opcodes)
            self.memoize(value)

    Pickler(io.BytesIO()).dump(obj)
    arrays = [(host_array(t), t.requires_grad, str(t.device)) for t in tensors]
    storages, layouts = plan_storages(arrays)
    buffer = io.BytesIO()
    Pickler(buffer, _Pickler(arrays, storages, layouts)).dump(obj)
    with zipfile.ZipFile(fileobj, "w", zipfile.ZIP_STORED) as archive:
        _write_record(archive, _PREFIX + "data.pkl", buffer.getvalue())
        _write_record(archive, _PREFIX + "byteorder", sys.byteorder.encode())
        for key, (storage, _) in enumerate(storages):
            _write_record(archive, f"{_PREFIX}data/{key}", memoryview(storage.view(np.uint8)))
        _write_record(archive, _PREFIX + "version", b"3\n")


def plan_storages(arrays: list) -> tuple[list, list]:
    """The storages to write and, per array, (storage key, offset, size, stride) in elements.

    Arrays whose memory overlaps (views of one buffer) share a storage: the span of
    memory they cover together. An array whose layout torch can't express (negative
    strides) gets a storage of its own holding a copy of its values, its stride-0 dims
    kept expanded.
    """
    storages: list = []
    layouts: list = [None] * len(arrays)
    spans: dict = {}  # (dtype, address mod itemsize) -> [(start, end, index, array, strides)]
    for index, (array, _, location) in enumerate(arrays):
        if array.size == 0:
            layouts[index] = (len(storages), 0, array.shape, _contiguous_strides(array.shape))
            storages.append((np.empty(0, array.dtype), location))
            continue
        array, strides = _referencable(array)
        start = array.__array_interface__["data"][0]
        end = start + array.itemsize * (1 + sum((n - 1) * s for n, s in zip(array.shape, strides)))
        spans.setdefault((array.dtype, start % array.itemsize), []).append((start, end, index, array, strides))
    groups = []
    for members in spans.values():
        members.sort(key=lambda member: member[0])
        merged = [[[members[0]], members[0][1]]]
        for member in members[1:]:  # spans that overlap lie in one buffer: one storage
            if member[0] < merged[-1][1]:
                merged[-1][0].append(member)
                merged[-1][1] = max(merged[-1][1], member[1])
            else:
                merged.append([[member], member[1]])
        groups += merged
    groups.sort(key=lambda group: min(member[2] for member in group[0]))
    for members, end in groups:
        first = members[0][3]
        start, itemsize = members[0][0], first.itemsize
        storage = np.lib.stride_tricks.as_strided(first, ((end - start) // itemsize,), (itemsize,))
        for member_start, _, index, array, strides in members:
            layouts[index] = (len(storages), (member_start - start) // itemsize, array.shape, strides)
        storages.append((storage, arrays[members[0][2]][2]))
    return storages, layouts


def _referencable(array: np.ndarray) -> tuple[np.ndarray, tuple]:
    """(array, element strides), or a copy when torch can't reference array's memory as it is.

    torch strides are non-negative element counts; a dim of size 1 gets the contiguous stride.
    """
    itemsize = array.itemsize
    fine = all(n <= 1 or (s >= 0 and s % itemsize == 0) for n, s in zip(array.shape, array.strides))
    if not fine:
        broadcast = tuple(slice(0, 1) if n > 1 and s == 0 else slice(None)
                          for n, s in zip(array.shape, array.strides))
        array = np.broadcast_to(np.ascontiguousarray(array[broadcast]), array.shape)
    contiguous = _contiguous_strides(array.shape)
    return array, tuple(s // itemsize if n > 1 else c
                        for n, s, c in zip(array.shape, array.strides, contiguous))


def _contiguous_strides(shape) -> tuple:
    strides, step = [], 1
    for n in reversed(shape):
        strides.insert(0, step)
        step *= max(n, 1)
    return tuple(strides)


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

    def __init__(self, arrays: list, storages: list, layouts: list) -> None:
        self.arrays, self.storages, self.layouts = arrays, storages, layouts
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
        """_rebuild_tensor_v2(storage, offset, size, stride, requires_grad, OrderedDict())."""
        if index in self.memo:
            self.out += pickle.LONG_BINGET + struct.pack("<I", self.memo[index])
            return
        self.out += self.tensor_opcodes(index)
        self.memo[index] = len(self.memo)
        self.out += pickle.LONG_BINPUT + struct.pack("<I", self.memo[index])

    def tensor_opcodes(self, index: int) -> bytes:
        """The opcodes that rebuild tensor index (not memoized)."""
        saved, self.out = self.out, bytearray()
        try:
            self._emit_tensor_body(index)
            return bytes(self.out)
        finally:
            self.out = saved

    def _emit_tensor_body(self, index: int) -> None:
        out = self.out
        _, requires_grad, _ = self.arrays[index]
        key, offset, size, stride = self.layouts[index]
        storage, location = self.storages[key]
        storage_type = _STORAGE_NAMES[dtypes.FROM_NP[storage.dtype]]
        out += pickle.GLOBAL + b"torch._utils\n_rebuild_tensor_v2\n" + pickle.MARK
        out += pickle.MARK
        self.emit("storage")
        out += pickle.GLOBAL + f"torch\n{storage_type}\n".encode()
        for item in (str(key), location, int(storage.size)):
            self.emit(item)
        out += pickle.TUPLE + pickle.BINPERSID
        self.emit(int(offset))
        self.emit_tuple([int(n) for n in size])
        self.emit_tuple([int(n) for n in stride])
        self.emit(requires_grad)
        out += self.ORDERED_DICT + pickle.TUPLE + pickle.REDUCE

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
