"""CudaArray: what a CUDA tensor holds, and the caching allocator behind it.

A CudaArray is a strided view of one device allocation: shape, strides and offset
(counted in elements) over a 1-D typed buffer. Views (reshape, permute, expand,
slicing, diagonal) only change that metadata, as PyTorch's views do, and every kernel
reads its operands through the strides, so a transposed or broadcast operand is never
copied. (numba's own DeviceNDArray can express some of these views but not
broadcasting or negative-free general strides with offsets, and the simulator's
stand-in cannot express them at all; one explicit view type works on both.)

Allocations come from a per-size free list, as PyTorch's CUDA caching allocator does:
a training step allocates the same sizes every step, so after the first step no
allocation reaches the driver. Kernels run in stream order, so a later kernel that
reuses a buffer cannot overtake an earlier one that still reads it.

Ownership (why the pool holds every allocation itself): numba frees device memory from
a weakref finalizer of its DeviceNDArray. When a tensor dies inside a reference cycle,
CPython runs such finalizers before any ``__del__`` of the cycle, so a pool that got its
buffers back from ``__del__`` could cache (and hand out again) memory numba had already
freed. Here the pool keeps each allocation's DeviceNDArray in ``live`` from allocation
until ``empty_cache()``; a ``_Block`` only carries the device address, and its
``__del__`` moves that address back to a free list, whenever it runs.

On a real GPU the kernels' buffers are ``DevBuf``s: (block, dtype) with the launch
arguments numba's ABI wants precomputed, and a strong reference to the block, so a
buffer passed to a launch keeps its memory out of the pool until the launch is queued
(no DeviceNDArray is made per op). In the simulator the buffers are the simulator's
arrays, which numba's dispatcher needs, holding their block in an attribute likewise.
"""
from __future__ import annotations

import itertools

import numpy as np

from . import _runtime

_SMALL = 1 << 20          # below 1 MiB: round sizes to 512 bytes
_SMALL_ROUND = 512
_LARGE_ROUND = 1 << 20    # above: round to whole MiB

SIMULATOR = _runtime.simulator()

# Host<->device copies (read by the host-tier tests' budgets and the benchmarks).
STATS = {"d2h": 0, "h2d": 0}


def _round(nbytes: int) -> int:
    if nbytes <= _SMALL:
        return max(_SMALL_ROUND, -(-nbytes // _SMALL_ROUND) * _SMALL_ROUND)
    return -(-nbytes // _LARGE_ROUND) * _LARGE_ROUND


def _address(raw) -> int:
    """The device address of a numba device array (a stable counter in the simulator)."""
    if SIMULATOR:
        return next(_SIM_ADDRESSES)
    return int(raw.__cuda_array_interface__["data"][0])


_SIM_ADDRESSES = itertools.count(0x10000, 1 << 20)


class _Pool:
    """Free device buffers by rounded size; statistics for minitorch.cuda.memory_*.

    live: address -> the numba DeviceNDArray that owns the allocation (in use or free);
    free: rounded size -> addresses ready to hand out."""

    def __init__(self) -> None:
        self.live: dict[int, object] = {}
        self.free: dict[int, list] = {}
        self.allocated = 0       # bytes held by live arrays
        self.reserved = 0        # bytes obtained from the driver
        self.peak = 0
        self.poison = None       # debug: fn(raw) run on every block given back (tests)

    def take(self, nbytes: int) -> "_Block":
        size = _round(nbytes)
        stack = self.free.get(size)
        if stack:
            ptr = stack.pop()
        else:
            raw = self._driver_alloc(size)
            ptr = _address(raw)
            self.live[ptr] = raw
            self.reserved += size
        self.allocated += size
        if self.allocated > self.peak:
            self.peak = self.allocated
        return _Block(ptr, size, self)

    def _driver_alloc(self, size: int):
        cuda = _runtime.load()
        try:
            return cuda.device_array(size, np.uint8)
        except Exception:  # noqa: BLE001 - the driver's out-of-memory error has no stable type
            self.empty_cache()
            try:
                return cuda.device_array(size, np.uint8)
            except Exception as exc:  # noqa: BLE001
                raise RuntimeError(
                    f"CUDA out of memory. Tried to allocate {size / 2**20:.2f} MiB "
                    f"(minitorch holds {self.allocated / 2**20:.2f} MiB in live tensors; "
                    f"driver error: {exc})") from None

    def give_back(self, ptr: int, size: int) -> None:
        self.allocated -= size
        if self.poison is not None:
            self.poison(self.live[ptr])
        self.free.setdefault(size, []).append(ptr)

    def is_free(self, ptr: int) -> bool:
        """True when ptr is a cached free block (a kernel must not be given it)."""
        return any(ptr in stack for stack in self.free.values())

    def empty_cache(self) -> None:
        for size, stack in self.free.items():
            self.reserved -= size * len(stack)
            for ptr in stack:
                del self.live[ptr]      # the last reference: numba frees the allocation
        self.free.clear()


POOL = _Pool()


class _Block:
    """One allocation in use: its device address goes back to the pool's free list when
    no array uses it any more (the pool owns the memory itself, see the module doc)."""

    __slots__ = ("ptr", "size", "pool")

    def __init__(self, ptr: int, size: int, pool: _Pool) -> None:
        self.ptr, self.size, self.pool = ptr, size, pool

    @property
    def raw(self):
        """The numba uint8 device array of the whole allocation (for host copies)."""
        return self.pool.live[self.ptr]

    def __del__(self) -> None:
        try:
            self.pool.give_back(self.ptr, self.size)
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass


class DevBuf:
    """A kernel's view of a block as a 1-D array of dtype (real GPU only).

    ``flat`` is how numba's ABI passes a 1-D C-contiguous array argument: meminfo,
    parent, nitems, itemsize, data pointer, shape[0], strides[0]."""

    __slots__ = ("block", "dtype", "flat", "ptr")

    def __init__(self, block: _Block, dtype) -> None:
        self.block = block
        self.dtype = dtype
        item = dtype.itemsize
        n = block.size // item
        self.ptr = block.ptr
        self.flat = (0, 0, n, item, block.ptr, n, item)

    def view(self, dtype) -> "DevBuf":
        return DevBuf(self.block, np.dtype(dtype))

    @property
    def shape(self) -> tuple:
        return (self.flat[2],)


def buffer_of(block: _Block, dtype):
    """The buffer kernels are given for block read as dtype."""
    if SIMULATOR:
        buf = block.raw.view(dtype)
        buf.minitorch_block = block      # the same lifetime as a GPU's DevBuf
        return buf
    return DevBuf(block, dtype)


def to_host(block: _Block, byte_offset: int, shape, dtype) -> np.ndarray:
    """A host copy of prod(shape) elements of dtype at byte_offset in block (synchronous)."""
    n = 1
    for s in shape:
        n *= s
    nbytes = n * np.dtype(dtype).itemsize
    STATS["d2h"] += 1
    host = block.raw[byte_offset:byte_offset + nbytes].copy_to_host()
    return host.view(dtype).reshape(shape)


def read(a, start: int, n: int) -> np.ndarray:
    """A host copy of n elements of a's buffer from element a.offset + start (1-D)."""
    return to_host(a.block, (a.offset + start) * a.dtype.itemsize, (n,), a.dtype)


def to_device(block: _Block, byte_offset: int, host: np.ndarray) -> None:
    """Copy a C-contiguous host array into block at byte_offset."""
    STATS["h2d"] += 1
    data = host.reshape(-1).view(np.uint8)
    block.raw[byte_offset:byte_offset + data.size].copy_to_device(data)


def contiguous_strides(shape) -> tuple:
    strides = []
    step = 1
    for n in reversed(shape):
        strides.append(step)
        step *= max(n, 1)
    return tuple(reversed(strides))


class _Flags:
    __slots__ = ("writeable", "c_contiguous")

    def __init__(self, writeable: bool, c_contiguous: bool) -> None:
        self.writeable, self.c_contiguous = writeable, c_contiguous


class CudaArray:
    """A strided view (element strides, element offset) of a device buffer."""

    __slots__ = ("block", "buf", "shape", "estrides", "offset", "dtype", "writeable")

    def __init__(self, block, buf, shape, estrides, offset, dtype, writeable=True) -> None:
        self.block = block
        self.buf = buf
        self.shape = tuple(shape)
        self.estrides = tuple(estrides)
        self.offset = offset
        self.dtype = dtype
        self.writeable = writeable

    @staticmethod
    def empty(shape, dtype) -> "CudaArray":
        dtype = np.dtype(dtype)
        shape = tuple(int(s) for s in shape)
        n = 1
        for s in shape:
            n *= s
        block = POOL.take(max(n, 1) * dtype.itemsize)
        return CudaArray(block, buffer_of(block, dtype), shape, contiguous_strides(shape), 0, dtype)

    def view_as(self, shape, estrides, offset, writeable=None) -> "CudaArray":
        """Another view of the same buffer."""
        return CudaArray(self.block, self.buf, shape, estrides, offset, self.dtype,
                         self.writeable if writeable is None else writeable)

    # ----- the NumPy-like attributes the device-independent layers read --------------
    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        n = 1
        for s in self.shape:
            n *= s
        return n

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return self.size * self.dtype.itemsize

    @property
    def strides(self) -> tuple:
        """Strides in bytes, as NumPy reports them."""
        return tuple(s * self.dtype.itemsize for s in self.estrides)

    @property
    def flags(self) -> _Flags:
        return _Flags(self.writeable, self.is_contiguous())

    def is_contiguous(self) -> bool:
        expected = 1
        for n, s in zip(reversed(self.shape), reversed(self.estrides)):
            if n != 1 and s != expected:
                return False
            expected *= n
        return True

    def data_ptr(self) -> int:
        """A stable identity of the first element (buffer address + offset)."""
        return self.block.ptr + self.offset * self.dtype.itemsize

    def astype(self, dtype, copy: bool = True) -> "CudaArray":
        """A cast copy (NumPy's signature; the device-independent layers call it)."""
        np_dtype = np.dtype(dtype)
        if not copy and np_dtype == self.dtype:
            return self
        from ._table import _Dt, backend
        return backend(0).astype(self, _Dt(np_dtype))

    def max(self):
        """The largest element as a NumPy scalar (a host copy: for argument checks)."""
        from ._table import backend
        be = backend(0)
        return be.to_numpy(be.reduce("amax", self, None, False))[()]

    def min(self):
        from ._table import backend
        be = backend(0)
        return be.to_numpy(be.reduce("amin", self, None, False))[()]

    def __repr__(self) -> str:
        return f"CudaArray(shape={self.shape}, dtype={self.dtype}, strides={self.estrides}, offset={self.offset})"

    # A CUDA array reaching NumPy means a CPU op was given a CUDA tensor.
    def __array__(self, *args, **kwargs):
        raise RuntimeError("Expected all tensors to be on the same device, but found at least two "
                           "devices, cuda:0 and cpu!")

    def __array_ufunc__(self, *args, **kwargs):
        raise RuntimeError("Expected all tensors to be on the same device, but found at least two "
                           "devices, cuda:0 and cpu!")

    def __array_function__(self, *args, **kwargs):
        raise RuntimeError("Expected all tensors to be on the same device, but found at least two "
                           "devices, cuda:0 and cpu!")
