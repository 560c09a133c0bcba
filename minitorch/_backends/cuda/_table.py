"""The CUDA op table: CudaArray values, numba.cuda kernels for every op.

The method names and contracts are the CPU table's (_backends/cpu): the autograd
layer calls them without knowing the device. Values stay on the GPU; only
``to_numpy`` and ``scalar`` copy to the host (what ``.cpu()``, ``.numpy()``,
``.item()`` and printing use).
"""
from __future__ import annotations

from sys import getrefcount as _getrefcount

import numpy as np

from ...device import device as _device
from ..base import Backend
from . import _device_errors
from . import _kernels as K
from ._array import POOL, CudaArray, contiguous_strides, read, to_device
from ._conv import ConvOps
from ._index import IndexOps
from ._matmul import MatmulOps
from ._nn import NnOps
from ._optim import OptimOps
from ._reduce import ReduceOps
from ._launch import (SIMULATOR, broadcast_strides, check_device, collapse, device_operand, launch,
                      memset, size_of)


def _cast_scalar(value, np_dtype):
    """A Python number as the kernel's scalar of np_dtype (NumPy wraps out-of-range ints)."""
    if np_dtype.kind == "b":
        return np.bool_(value)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.array(value).astype(np_dtype)[()]


def _unshared(holder) -> bool:
    arr = holder._data
    return _getrefcount(arr) == _SOLE[0] and _getrefcount(arr.block) == _SOLE[1]


class _SimBuf:
    """Stands in for a simulator buffer (which holds its block) when counting references."""


def _sole_counts() -> tuple:
    """The reference counts _unshared sees for an array one object alone holds and for its
    block (held by the array, and on a GPU by its buffer), on this interpreter."""
    from ._array import DevBuf, _Block, _Pool

    class Holder:
        __slots__ = ("_data",)
    pool = _Pool()
    pool.live[0] = None
    block = _Block(0, 512, pool)
    holder = Holder()
    buf = _SimBuf() if SIMULATOR else DevBuf(block, np.dtype(np.float32))
    if SIMULATOR:
        buf.minitorch_block = block
    holder._data = CudaArray(block, buf, (128,),
                             (1,), 0, np.dtype(np.float32))
    del block, buf
    arr = holder._data
    counts = (_getrefcount(arr), _getrefcount(arr.block))
    del arr
    _SOLE[:] = counts
    ok = _unshared(holder)
    view = holder._data.view_as((128,), (1,), 0)
    shared = _unshared(holder)
    del view
    assert ok and not shared
    return counts


def _memset_pattern(value):
    """(word, width, words per element) of a driver memset that writes value (a NumPy
    scalar) into every element, or None (an 8-byte value whose halves differ)."""
    raw = value.tobytes()
    if len(raw) == 8:
        if raw[:4] != raw[4:]:
            return None
        return int.from_bytes(raw[:4], "little"), 4, 2
    return int.from_bytes(raw, "little"), len(raw), 1


def _view_strides(shape, strides, new_shape):
    """Strides that let new_shape view the same memory, or None (PyTorch's computeStride)."""
    if size_of(shape) == 0 or not shape:
        return contiguous_strides(new_shape)
    new_strides = [0] * len(new_shape)
    view_d = len(new_shape) - 1
    chunk_base_stride = strides[-1]
    tensor_numel = 1
    view_numel = 1
    for d in range(len(shape) - 1, -1, -1):
        tensor_numel *= shape[d]
        if d == 0 or (shape[d - 1] != 1 and strides[d - 1] != tensor_numel * chunk_base_stride):
            while view_d >= 0 and (view_numel < tensor_numel or new_shape[view_d] == 1):
                new_strides[view_d] = view_numel * chunk_base_stride
                view_numel *= new_shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if d > 0:
                chunk_base_stride = strides[d - 1]
                tensor_numel = 1
                view_numel = 1
    if view_d != -1:
        return None
    return tuple(new_strides)


class CUDABackend(ReduceOps, IndexOps, MatmulOps, NnOps, ConvOps, OptimOps, Backend):
    """The op table of one CUDA device."""

    name = "cuda"

    def __init__(self, index: int = 0) -> None:
        self.index = index
        self.device = _device("cuda", index)

    # ----- memory ---------------------------------------------------------------------
    def empty(self, shape, dtype):
        return CudaArray.empty(shape, dtype.np)

    def full(self, shape, value, dtype):
        out = CudaArray.empty(shape, dtype.np)
        self.fill(out, value)
        return out

    def zeros(self, shape, dtype):
        return self.full(shape, 0, dtype)

    def from_numpy(self, array: np.ndarray) -> CudaArray:
        """A device copy of a host array."""
        host = np.ascontiguousarray(array)
        out = CudaArray.empty(np.shape(array), host.dtype)  # ascontiguousarray makes 0-d arrays 1-d
        if host.size:
            to_device(out.block, 0, host)
        return out

    def to_numpy(self, a: CudaArray) -> np.ndarray:
        """A host copy (always C-contiguous)."""
        if a.__class__ is not CudaArray:
            return a
        c = a if a.is_contiguous() else self.contiguous(a)
        n = c.size
        if n == 0:
            _device_errors.check()
            return np.empty(a.shape, a.dtype)
        host = read(c, 0, n).reshape(a.shape)
        _device_errors.check()
        return host

    def astype(self, a, dtype):
        out = CudaArray.empty(a.shape, dtype.np)
        self.copy_into(out, a)
        return out

    def can_adopt(self, tensor) -> bool:
        """Whether tensor's memory may become another tensor's without a copy (autograd
        adopts a leaf's first gradient this way, as PyTorch's AccumulateGrad steals it): a
        writable contiguous array starting at its block, that no other array, view or
        tensor holds (reference counts of the array and of its block, as measured for an
        array one object alone holds)."""
        a = tensor._data
        if a.__class__ is not CudaArray or not a.writeable or a.offset or not a.is_contiguous():
            return False
        del a  # (the counts are measured without this frame's reference)
        return _unshared(tensor)

    def copy(self, a):
        out = CudaArray.empty(a.shape, a.dtype)
        self.copy_into(out, a)
        return out

    def contiguous(self, a):
        return a if a.is_contiguous() else self.copy(a)

    def copy_into(self, dst, src) -> None:
        """dst[...] = src, src broadcast to dst's shape and cast to dst's dtype."""
        src = device_operand(src)
        if src.__class__ is not CudaArray:
            self.fill(dst, src)
            return
        n = dst.size
        if dst.is_contiguous() and src.is_contiguous() and src.shape == dst.shape:
            launch(K.k_assign_flat, n, dst.buf, dst.offset, src.buf, src.offset, n)
            return
        shape, (ds, ss) = collapse(dst.shape, dst.estrides, broadcast_strides(src, dst.shape))
        launch(K.k_assign, n, dst.buf, dst.offset, ds, src.buf, src.offset, ss, shape, n)

    def fill(self, dst, value) -> None:
        n = dst.size
        value = _cast_scalar(value, dst.dtype)
        if not SIMULATOR and n and dst.is_contiguous():
            pattern = _memset_pattern(value)
            if pattern is not None:
                word, width, per_item = pattern
                memset(dst.block.ptr + dst.offset * dst.dtype.itemsize, word, n * per_item, width)
                return
        shape, (ds,) = collapse(dst.shape, dst.estrides)
        launch(K.k_fill, n, dst.buf, dst.offset, ds, value, shape, n)

    def scalar(self, a):
        """The single value of a one-element array as a Python number."""
        return self.to_numpy(a).reshape(-1)[0].item()

    # ----- views (share memory) -------------------------------------------------------
    def view(self, a, shape):
        """A view with a new shape, or None when the layout needs a copy."""
        shape = _infer_size(tuple(shape), a.size)
        strides = _view_strides(a.shape, a.estrides, shape)
        return None if strides is None else a.view_as(shape, strides, a.offset)

    def reshape(self, a, shape):
        shape = _infer_size(tuple(shape), a.size)
        out = self.view(a, shape)
        return out if out is not None else self.view(self.copy(a), shape)

    def permute(self, a, dims):
        return a.view_as(tuple(a.shape[d] for d in dims), tuple(a.estrides[d] for d in dims), a.offset)

    def expand(self, a, shape):
        shape = tuple(shape)
        if shape == a.shape:
            return a.view_as(shape, a.estrides, a.offset)
        return a.view_as(shape, broadcast_strides(a, shape), a.offset, writeable=False)

    def view_positions(self, base, view):
        """For each element of view (a view of base's buffer), its flat row-major index in
        base, as a host int64 array of view's shape; None when view is not inside base."""
        if view.block is not base.block or view.dtype != base.dtype:
            return None
        from ..cpu import layout_positions
        return layout_positions(base.shape, base.estrides, base.is_contiguous(), view.shape,
                                view.estrides, view.offset - base.offset, 1)

    def _basic_index(self, a, index):
        """a[index] for ints, slices, None and Ellipsis: a view, with NumPy's IndexErrors."""
        index = tuple(index)
        n_ellipsis = sum(1 for i in index if i is Ellipsis)
        if n_ellipsis > 1:
            raise IndexError("an index can only have a single ellipsis ('...')")
        used = sum(1 for i in index if i is not None and i is not Ellipsis)
        if used > a.ndim:
            raise IndexError(f"too many indices for array: array is {a.ndim}-dimensional, "
                             f"but {used} were indexed")
        if n_ellipsis:
            at = index.index(Ellipsis)
            index = index[:at] + (slice(None),) * (a.ndim - used) + index[at + 1:]
        else:
            index = index + (slice(None),) * (a.ndim - used)
        shape, strides, offset, d = [], [], a.offset, 0
        for item in index:
            if item is None:
                shape.append(1)
                strides.append(0)
                continue
            n, s = a.shape[d], a.estrides[d]
            if isinstance(item, slice):
                start, stop, step = item.indices(n)
                length = max(0, (stop - start + (step - (1 if step > 0 else -1))) // step)
                if length:
                    offset += start * s
                shape.append(length)
                strides.append(s * step)
            else:
                i = int(item)
                if not -n <= i < n:
                    raise IndexError(f"index {i} is out of bounds for axis {d} with size {n}")
                offset += (i + n if i < 0 else i) * s
            d += 1
        return a.view_as(tuple(shape), tuple(strides), offset)

    def diagonal(self, a, offset: int, dim1: int, dim2: int):
        """A view of a's diagonal over dim1, dim2 (shifted by offset), as the last dim."""
        n1, n2 = a.shape[dim1], a.shape[dim2]
        e1, e2 = a.estrides[dim1], a.estrides[dim2]
        length = max(0, min(n1, n2 - offset) if offset >= 0 else min(n1 + offset, n2))
        rest = [d for d in range(a.ndim) if d not in (dim1, dim2)]
        shape = tuple(a.shape[d] for d in rest) + (length,)
        strides = tuple(a.estrides[d] for d in rest) + (e1 + e2,)
        start = a.offset + (offset * e2 if offset >= 0 else -offset * e1) if length else a.offset
        return a.view_as(shape, strides, start)

    def _is_basic(self, index) -> bool:
        return all(i is None or i is Ellipsis or isinstance(i, (slice, int, np.integer))
                   and not isinstance(i, (bool, np.bool_)) for i in index)

    def getitem(self, a, index):
        """a[index]; basic indices give a view, index arrays a copy (NumPy's rules)."""
        if not isinstance(index, tuple):
            index = (index,)
        if self._is_basic(index):
            return self._basic_index(a, index)
        return self._advanced_getitem(a, index)

    def setitem(self, a, index, value) -> None:
        if not isinstance(index, tuple):
            index = (index,)
        if self._is_basic(index):
            self.copy_into(self._basic_index(a, index), value)
        else:
            self._advanced_setitem(a, index, value)

    # ----- elementwise ----------------------------------------------------------------
    def _arith(self, code, a, b, np_dtype, out=None):
        """out = code(a, b); a is a CudaArray of np_dtype, b a CudaArray of np_dtype or a scalar."""
        if b.__class__ is CudaArray:
            shape = _broadcast_shape(a.shape, b.shape)
            if out is None:
                out = CudaArray.empty(shape, np_dtype)
            n = out.size
            if (a.shape == b.shape == shape and out.is_contiguous() and a.is_contiguous()
                    and b.is_contiguous()):
                launch(K.k_arith_flat, n, code, out.buf, out.offset, a.buf, a.offset, b.buf, b.offset, n)
                return out
            cs, (os_, as_, bs) = collapse(shape, out.estrides, broadcast_strides(a, shape),
                                         broadcast_strides(b, shape))
            launch(K.k_arith, n, code, out.buf, out.offset, os_, a.buf, a.offset, as_,
                   b.buf, b.offset, bs, cs, n)
            return out
        return self._arith_scalar(code, a, b, False, np_dtype, out)

    def _arith_scalar(self, code, a, s, swap, np_dtype, out=None):
        if out is None:
            out = CudaArray.empty(a.shape, np_dtype)
        n = out.size
        s = _cast_scalar(s, np_dtype)
        if out.is_contiguous() and a.is_contiguous():
            launch(K.k_arith_scalar_flat, n, code, out.buf, out.offset, a.buf, a.offset, s, swap, n)
            return out
        cs, (os_, as_) = collapse(a.shape, out.estrides, a.estrides)
        launch(K.k_arith_scalar, n, code, out.buf, out.offset, os_, a.buf, a.offset, as_, s, swap, cs, n)
        return out

    def _as(self, a, np_dtype):
        return a if a.dtype == np_dtype else self.astype(a, _Dt(np_dtype))

    def binary(self, op: str, a, b, dtype):
        """op(a, b) with broadcasting, computed in (and returning) dtype; b may be a Python number."""
        check_device(a)
        b = device_operand(b)
        np_dtype = dtype.np
        if op in K.BITWISE:
            return self._bitwise(op, a, b, np_dtype)
        if np_dtype.kind == "b" or np_dtype == np.float16:
            # bool arithmetic is computed in uint8 (add = or, mul = and); float16 in float32
            work = np.dtype(np.uint8) if np_dtype.kind == "b" else np.dtype(np.float32)
            return self.astype(self.binary(op, a, b, _Dt(work)), dtype)
        code = K.ARITH[op]
        if code == K.POW and np_dtype.kind in "iu":
            code = K.IPOW
        a = self._as(a, np_dtype)
        if b.__class__ is CudaArray:
            b = self._as(b, np_dtype)
        return self._arith(code, a, b, np_dtype)

    def rbinary(self, op: str, scalar, b, dtype):
        """op(scalar, b) for a Python-number left operand."""
        check_device(b)
        np_dtype = dtype.np
        if np_dtype.kind == "b" or np_dtype == np.float16 or op in K.BITWISE:
            return self.binary(op, self.full((), scalar, dtype), b, dtype)
        code = K.ARITH[op]
        if code == K.POW and np_dtype.kind in "iu":
            code = K.IPOW
        return self._arith_scalar(code, self._as(b, np_dtype), scalar, True, np_dtype)

    def _bitwise(self, op, a, b, np_dtype):
        if op.startswith("logical"):
            a = self._as(a, np.dtype(bool))
            b = self._as(b, np.dtype(bool)) if b.__class__ is CudaArray else bool(b)
            np_dtype = np.dtype(bool)
        else:
            a = self._as(a, np_dtype)
        if b.__class__ is not CudaArray:
            b = self.full((), b, _Dt(np_dtype))
        else:
            b = self._as(b, np_dtype)
        shape = _broadcast_shape(a.shape, b.shape)
        out = CudaArray.empty(shape, np_dtype)
        n = out.size
        cs, (os_, as_, bs) = collapse(shape, out.estrides, broadcast_strides(a, shape),
                                     broadcast_strides(b, shape))
        launch(K.k_bitwise, n, K.BITWISE[op], out.buf, out.offset, os_, a.buf, a.offset, as_,
               b.buf, b.offset, bs, cs, n)
        return out

    def compare(self, op: str, a, b, dtype):
        """A bool array of op(a, b), both compared as dtype."""
        check_device(a)
        b = device_operand(b)
        np_dtype = dtype.np
        a = self._as(a, np_dtype)
        code = K.COMPARE[op]
        if b.__class__ is CudaArray:
            b = self._as(b, np_dtype)
            shape = _broadcast_shape(a.shape, b.shape)
            out = CudaArray.empty(shape, np.bool_)
            n = out.size
            cs, (as_, bs) = collapse(shape, broadcast_strides(a, shape), broadcast_strides(b, shape))
            launch(K.k_compare, n, code, out.buf, a.buf, a.offset, as_, b.buf, b.offset, bs, cs, n)
            return out
        out = CudaArray.empty(a.shape, np.bool_)
        n = out.size
        cs, (as_,) = collapse(a.shape, a.estrides)
        launch(K.k_compare_scalar, n, code, out.buf, a.buf, a.offset, as_, _cast_scalar(b, np_dtype),
               False, cs, n)
        return out

    def inplace(self, op: str, a, b) -> None:
        """a = op(a, b) in place, computed in a's dtype."""
        check_device(a)
        b = device_operand(b)
        if a.dtype.kind == "b" or a.dtype == np.float16 or op in K.BITWISE:
            self.copy_into(a, self.binary(op, a, b, _Dt(a.dtype)))
            return
        code = K.ARITH[op]
        if code == K.POW and a.dtype.kind in "iu":
            code = K.IPOW
        if b.__class__ is CudaArray:
            b = self._as(b, a.dtype)
            if b.shape != a.shape:
                b = self.expand(b, a.shape)
        self._arith(code, a, b, a.dtype, out=a)

    def unary(self, op: str, a):
        check_device(a)
        if op in K.PREDICATE:
            out = CudaArray.empty(a.shape, np.bool_)
            cs, (as_,) = collapse(a.shape, a.estrides)
            launch(K.k_predicate, out.size, K.PREDICATE[op], out.buf, a.buf, a.offset, as_, cs, out.size)
            return out
        if op == "bitwise_not":
            if a.dtype.kind == "b":
                return self.unary("logical_not", a)
            return self._arith_scalar(K.SUB, self._arith_scalar(K.MUL, a, -1, False, a.dtype), 1, False,
                                      a.dtype)  # ~x == -x - 1
        if a.dtype.kind in "iub":
            out = CudaArray.empty(a.shape, a.dtype)
            cs, (as_,) = collapse(a.shape, a.estrides)
            launch(K.k_unary_int, out.size, K.INT_UNARY[op], out.buf, a.buf, a.offset, as_, cs, out.size)
            return out
        if a.dtype == np.float16:
            return self.astype(self.unary(op, self.astype(a, _Dt(np.float32))), _Dt(np.float16))
        out = CudaArray.empty(a.shape, a.dtype)
        code = K.UNARY[op]
        if a.is_contiguous():
            launch(K.k_unary_float_flat, out.size, code, out.buf, a.buf, a.offset, out.size)
            return out
        cs, (as_,) = collapse(a.shape, a.estrides)
        launch(K.k_unary_float, out.size, code, out.buf, a.buf, a.offset, as_, cs, out.size)
        return out

    def clamp(self, a, lo, hi):
        out = CudaArray.empty(a.shape, a.dtype)
        cs, (as_,) = collapse(a.shape, a.estrides)
        zero = _cast_scalar(0, a.dtype)
        launch(K.k_clamp, out.size, out.buf, a.buf, a.offset, as_,
               zero if lo is None else _cast_scalar(lo, a.dtype),
               zero if hi is None else _cast_scalar(hi, a.dtype), lo is not None, hi is not None, cs, out.size)
        return out

    def where(self, cond, a, b, dtype):
        check_device(cond)
        a, b = device_operand(a), device_operand(b)
        np_dtype = dtype.np
        a = self._as(a, np_dtype) if a.__class__ is CudaArray else self.full((), a, dtype)
        b = self._as(b, np_dtype) if b.__class__ is CudaArray else self.full((), b, dtype)
        cond = self._as(cond, np.dtype(bool))
        shape = _broadcast_shape(_broadcast_shape(cond.shape, a.shape), b.shape)
        out = CudaArray.empty(shape, np_dtype)
        n = out.size
        cs, (c_s, as_, bs) = collapse(shape, broadcast_strides(cond, shape), broadcast_strides(a, shape),
                                      broadcast_strides(b, shape))
        launch(K.k_where, n, out.buf, cond.buf, cond.offset, c_s, a.buf, a.offset, as_,
               b.buf, b.offset, bs, cs, n)
        return out

    def _grad_op(self, code, grad, y):
        check_device(grad, y)
        return self._arith(code, grad, self._as(y, grad.dtype), grad.dtype)

    def relu_backward(self, grad, x):
        return self._grad_op(K.RELU_BWD, grad, x)

    def tanh_backward(self, grad, y):
        return self._grad_op(K.TANH_BWD, grad, y)

    def sigmoid_backward(self, grad, y):
        return self._grad_op(K.SIGMOID_BWD, grad, y)

    # ----- memory statistics (minitorch.cuda.memory_allocated & co.) -------------------

def _infer_size(shape: tuple, numel: int) -> tuple:
    """shape with its one -1 (if any) replaced by what makes numel elements (NumPy's reshape rule)."""
    if -1 not in shape:
        return shape
    known = size_of(s for s in shape if s != -1)
    return tuple(numel // known if s == -1 and known else (0 if s == -1 else s) for s in shape)


class _Dt:
    """A stand-in for a minitorch dtype where only ``.np`` is read."""

    __slots__ = ("np",)

    def __init__(self, np_dtype) -> None:
        self.np = np.dtype(np_dtype)


def _broadcast_shape(s1: tuple, s2: tuple) -> tuple:
    if s1 == s2:
        return s1
    try:
        return tuple(np.broadcast_shapes(s1, s2))
    except ValueError:
        raise ValueError(f"operands could not be broadcast together with shapes {s1} {s2}") from None


_SOLE = [0, 0]
_sole_counts()

_BACKENDS: dict = {}


def backend(index: int) -> CUDABackend:
    """The op table of cuda:index (one per device, made on first use)."""
    be = _BACKENDS.get(index)
    if be is None:
        be = _BACKENDS[index] = CUDABackend(index)
    return be
