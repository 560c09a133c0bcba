"""CUDA index ops: advanced indexing (get, set, accumulate), gather/scatter_add,
concatenate/stack and nonzero.

An index becomes a plan (where each element of the result lives in the indexed array)
in _index_prepare.py; the kernels that gather, store and add through it, and nonzero's
device prefix sum, are _index_kernels.py.
"""
from __future__ import annotations

import numpy as np

from ._array import CudaArray, read
from ._index_kernels import (_T, k_gather, k_index_add, k_index_get, k_index_set, k_index_set_scalar,
                             k_nz_flags, k_nz_write, k_scan_add, k_scan_chunks, k_scatter_add)
from ._index_prepare import _I64, IndexPlanOps, _blocks_for, _check_device_ranges, _fmt_shape
from ._launch import broadcast_strides, check_device, collapse, device_operand, launch, launch_blocks, size_of

# dtypes cuda.atomic.add handles; others accumulate in a wider temporary
_ATOMIC = {np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.int32), np.dtype(np.int64)}


def _acc_dtype(np_dtype: np.dtype) -> np.dtype:
    if np_dtype in _ATOMIC:
        return np_dtype
    if np_dtype.kind == "f":
        return np.dtype(np.float64) if np_dtype.itemsize > 4 else np.dtype(np.float32)
    return _I64


def _scan_inplace(vals: CudaArray) -> None:
    """Inclusive prefix sum of a contiguous int64 array (offset 0) on the device."""
    n = vals.size
    if n == 0:
        return
    blocks = _blocks_for(n)
    chunk = -(-n // blocks)
    sums = CudaArray.empty((blocks,), _I64)
    launch_blocks(k_scan_chunks, blocks, _T, vals.buf, n, chunk, sums.buf)
    if blocks > 1:
        dummy = CudaArray.empty((1,), _I64)
        launch_blocks(k_scan_chunks, 1, _T, sums.buf, blocks, blocks, dummy.buf)
        launch(k_scan_add, n, vals.buf, n, chunk, sums.buf)


def _strip_to(value: CudaArray, shape: tuple, what: str) -> tuple:
    """value's strides broadcast to shape (leading size-1 dims of value dropped, as NumPy's
    assignment does), or NumPy's ValueError."""
    vshape, vstr = list(value.shape), list(value.estrides)
    while len(vshape) > len(shape) and vshape[0] == 1:
        vshape.pop(0)
        vstr.pop(0)
    ok = len(vshape) <= len(shape) and all(
        n == 1 or n == t for n, t in zip(reversed(vshape), reversed(shape)))
    if not ok:
        raise ValueError(f"shape mismatch: {what} of shape {_fmt_shape(value.shape)} could not be "
                         f"broadcast to indexing result of shape {_fmt_shape(shape)}")
    view = value.view_as(tuple(vshape), tuple(vstr), value.offset)
    return broadcast_strides(view, shape)


class IndexOps(IndexPlanOps):
    """The index part of the CUDA op table."""

    # ----- advanced indexing ------------------------------------------------------------
    def _advanced_getitem(self, a, index):
        """a[index] with index arrays (a copy), NumPy's rules and errors."""
        check_device(a)
        plan = self._plan(a, index)
        v = plan.view
        out = CudaArray.empty(plan.out_shape, a.dtype)
        n = out.size
        launch(k_index_get, n, out.buf, v.buf, v.offset, *plan.kernel_args(), n)
        return out

    def _advanced_setitem(self, a, index, value) -> None:
        """a[index] = value (a CudaArray broadcast to the indexed shape, or a scalar); for
        repeated indices the last write in row-major order wins, as NumPy."""
        check_device(a)
        value = device_operand(value)
        if not a.writeable:
            raise ValueError("assignment destination is read-only")
        plan = self._plan(a, index)
        v = plan.view
        shape = plan.out_shape
        n = size_of(shape)
        if value.__class__ is not CudaArray:
            from ._table import _cast_scalar
            launch(k_index_set_scalar, n, v.buf, v.offset, *plan.kernel_args(),
                   _cast_scalar(value, a.dtype), n)
            return
        vstr = _strip_to(value, shape, "value array")
        if n == 0:
            return
        if value.block is a.block:      # x[idx] = (a view of x): read a copy, as NumPy does
            value = self.copy(value)
            vstr = _strip_to(value, shape, "value array")
        nlead = len(shape) - len(plan.bshape) - len(plan.rshape)
        varies = any(s != 0 for s in vstr[nlead:nlead + len(plan.bshape)])
        if varies and plan.nb > 1 and not all(plan.from_mask):
            winner, key = self._winner(plan)
            use = True
        else:
            winner = key = CudaArray.empty((1,), _I64)
            use = False
        vshape, (vst,) = collapse(shape, vstr)
        launch(k_index_set, n, v.buf, v.offset, *plan.kernel_args(), value.buf, value.offset, vshape, vst,
               winner.buf, key.buf, use, n)

    def index_put_add(self, out, index, values) -> None:
        """out[index] += values with repeated indices accumulated (cuda.atomic.add). index is
        one index array (int or bool, device or host) or a tuple as _advanced_getitem takes."""
        check_device(out)
        values = device_operand(values)
        acc = _acc_dtype(out.dtype)
        target = out if acc == out.dtype else self.astype(out, _Dt(acc))
        plan = self._plan(target, index if isinstance(index, tuple) else (index,))
        v = plan.view
        shape = plan.out_shape
        n = size_of(shape)
        if values.__class__ is not CudaArray:
            values = self.full((), values, _Dt(acc))
        elif values.dtype != acc:
            values = self.astype(values, _Dt(acc))
        vstr = _strip_to(values, shape, "value array")
        vshape, (vst,) = collapse(shape, vstr)
        launch(k_index_add, n, v.buf, v.offset, *plan.kernel_args(), values.buf, values.offset, vshape, vst, n)
        if target is not out:
            self.copy_into(out, target)

    # ----- gather / scatter -------------------------------------------------------------
    @staticmethod
    def _along(a, dim, index):
        """(a strides with dim's zeroed, dim's stride, dim's size, index shape, index strides),
        0-d operands as one element."""
        if a.ndim == 0 or index.ndim == 0:
            return (0,), 0, 1, (1,), (0,)
        astr = tuple(0 if d == dim else s for d, s in enumerate(a.estrides))
        return astr, a.estrides[dim], a.shape[dim], index.shape, index.estrides

    def gather(self, a, dim: int, index):
        """out[..., i, ...] = a[..., index[..., i, ...], ...] along dim; index may be smaller
        than a in the other dims (the autograd layer checks the index range)."""
        check_device(a, index)
        out = CudaArray.empty(index.shape, a.dtype)
        n = out.size
        astr, dstride, size, shape, istr = self._along(a, dim, index)
        cs, (ast, ist) = collapse(shape, astr, istr)
        launch(k_gather, n, out.buf, a.buf, a.offset, ast, dstride, size, index.buf, index.offset, ist, cs, n)
        return out

    def scatter_add(self, out, dim: int, index, src) -> None:
        """out[..., index[..., i, ...], ...] += src[..., i, ...] along dim, repeats accumulating."""
        check_device(out, index, src)
        n = index.size
        if n == 0:
            return
        size = out.shape[dim] if out.ndim else 1
        _check_device_ranges([(index, dim, size)])
        acc = _acc_dtype(out.dtype)
        target = out if acc == out.dtype else self.astype(out, _Dt(acc))
        if src.dtype != acc:
            src = self.astype(src, _Dt(acc))
        ostr, dstride, size, shape, istr = self._along(target, dim, index)
        sstr = src.estrides if src.ndim and index.ndim else (0,)
        cs, (ost, ist, sst) = collapse(shape, ostr, istr, sstr)
        launch(k_scatter_add, n, target.buf, target.offset, ost, dstride, size, index.buf, index.offset, ist,
               src.buf, src.offset, sst, cs, n)
        if target is not out:
            self.copy_into(out, target)

    # ----- joining ----------------------------------------------------------------------
    def concatenate(self, arrays, dim: int, dtype):
        """The arrays joined along dim, cast to dtype (NumPy's ValueErrors on bad shapes)."""
        arrays = list(arrays)
        check_device(*arrays)
        ref = arrays[0]
        if ref.ndim == 0:
            raise ValueError("zero-dimensional arrays cannot be concatenated")
        if not -ref.ndim <= dim < ref.ndim:
            raise np.exceptions.AxisError(dim, ref.ndim)
        dim %= ref.ndim
        for i, x in enumerate(arrays):
            if x.ndim != ref.ndim:
                raise ValueError(
                    f"all the input arrays must have same number of dimensions, but the array at index 0 has "
                    f"{ref.ndim} dimension(s) and the array at index {i} has {x.ndim} dimension(s)")
            for d in range(ref.ndim):
                if d != dim and x.shape[d] != ref.shape[d]:
                    raise ValueError(
                        f"all the input array dimensions except for the concatenation axis must match "
                        f"exactly, but along dimension {d}, the array at index 0 has size {ref.shape[d]} "
                        f"and the array at index {i} has size {x.shape[d]}")
        shape = list(ref.shape)
        shape[dim] = sum(x.shape[dim] for x in arrays)
        out = CudaArray.empty(shape, dtype.np)
        start = 0
        for x in arrays:
            if x.size:
                self.copy_into(out.view_as(x.shape, out.estrides, out.offset + start * out.estrides[dim]), x)
            start += x.shape[dim]
        return out

    def stack(self, arrays, dim: int, dtype):
        """The arrays (one shape) stacked along a new dim, cast to dtype."""
        arrays = list(arrays)
        check_device(*arrays)
        ref = arrays[0]
        if any(x.shape != ref.shape for x in arrays):
            raise ValueError("all input arrays must have the same shape")
        nd = ref.ndim + 1
        if not -nd <= dim < nd:
            raise np.exceptions.AxisError(dim, nd)
        dim %= nd
        shape = ref.shape[:dim] + (len(arrays),) + ref.shape[dim:]
        out = CudaArray.empty(shape, dtype.np)
        strides = out.estrides[:dim] + out.estrides[dim + 1:]
        for k, x in enumerate(arrays):
            if x.size:
                self.copy_into(out.view_as(ref.shape, strides, out.offset + k * out.estrides[dim]), x)
        return out

    # ----- nonzero ----------------------------------------------------------------------
    def nonzero(self, a):
        """A tuple of int64 arrays (one per dim) of the coordinates of the non-zero elements,
        in row-major order, as np.nonzero."""
        check_device(a)
        if a.ndim == 0:
            raise ValueError("Calling nonzero on 0d arrays is not allowed. Use np.atleast_1d(scalar).nonzero() "
                             "instead.")
        n = a.size
        if n == 0:
            return tuple(CudaArray.empty((0,), _I64) for _ in range(a.ndim))
        if a.dtype == np.float16:
            a = self.astype(a, _Dt(np.float32))
        scan = CudaArray.empty((n,), _I64)
        shape, (st,) = collapse(a.shape, a.estrides)
        launch(k_nz_flags, n, scan.buf, a.buf, a.offset, st, shape, n)
        _scan_inplace(scan)
        count = int(read(scan, n - 1, 1)[0])
        out = CudaArray.empty((a.ndim, count), _I64)
        launch(k_nz_write, n, out.buf, count, scan.buf, tuple(a.shape), n)
        return tuple(out.view_as((count,), (1,), d * count) for d in range(a.ndim))


class _Dt:
    """A stand-in for a minitorch dtype where only ``.np`` is read."""

    __slots__ = ("np",)

    def __init__(self, np_dtype) -> None:
        self.np = np.dtype(np_dtype)
