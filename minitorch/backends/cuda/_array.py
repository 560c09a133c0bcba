"""CudaArray: what a CUDA tensor holds, and the caching allocator behind it.

A CudaArray is a strided view of one device allocation: shape, strides and offset
(counted in elements) over a 1-D typed ``DeviceNDArray``. Views (reshape, permute,
expand, slicing, diagonal) only change that metadata, as PyTorch's views do, and
every kernel reads its operands through the strides, so a transposed or broadcast
operand is never copied. (numba's own DeviceNDArray can express some of these views
but not broadcasting or negative-free general strides with offsets, and the
simulator's stand-in cannot express them at all; one explicit view type works on both.)

Allocations come from a per-size free list, as PyTorch's CUDA caching allocator does:
a training step allocates the same sizes every step, so after the first step no
allocation reaches the driver. A buffer returns to its free list when the last array
viewing it is garbage; kernels run in stream order, so a later kernel that reuses it
cannot overtake an earlier one that still reads it.
"""
from __future__ import annotations

import numpy as np

from . import _runtime

_SMALL = 1 << 20          # below 1 MiB: round sizes to 512 bytes
_SMALL_ROUND = 512
_LARGE_ROUND = 1 << 20    # above: round to whole MiB


def _round(nbytes: int) -> int:
    if nbytes <= _SMALL:
        return max(_SMALL_ROUND, -(-nbytes // _SMALL_ROUND) * _SMALL_ROUND)
    return -(-nbytes // _LARGE_ROUND) * _LARGE_ROUND


class _Pool:
    """Free device buffers by rounded size; statistics for minitorch.cuda.memory_*."""

    def __init__(self) -> None:
        self.free: dict[int, list] = {}
        self.allocated = 0       # bytes held by live arrays
        self.reserved = 0        # bytes obtained from the driver
        self.peak = 0

    def take(self, nbytes: int) -> "_Block":
        size = _round(nbytes)
        stack = self.free.get(size)
        if stack:
            raw = stack.pop()
        else:
            raw = self._driver_alloc(size)
            self.reserved += size
        self.allocated += size
        if self.allocated > self.peak:
            self.peak = self.allocated
        return _Block(raw, size, self)

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

    def give_back(self, raw, size: int) -> None:
        self.allocated -= size
        self.free.setdefault(size, []).append(raw)

    def empty_cache(self) -> None:
        for size, stack in self.free.items():
            self.reserved -= size * len(stack)
        self.free.clear()


POOL = _Pool()


class _Block:
    """One allocation; returns itself to the pool when no array uses it any more."""

    __slots__ = ("raw", "size", "pool")

    def __init__(self, raw, size: int, pool: _Pool) -> None:
        self.raw, self.size, self.pool = raw, size, pool

    def __del__(self) -> None:
        try:
            self.pool.give_back(self.raw, self.size)
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass


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
        buf = block.raw.view(dtype)
        return CudaArray(block, buf, shape, contiguous_strides(shape), 0, dtype)

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
        return id(self.block) * 1024 + self.offset * self.dtype.itemsize

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
