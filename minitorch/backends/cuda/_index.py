"""CUDA index ops: advanced indexing (get, set, accumulate), gather/scatter_add,
concatenate/stack and nonzero.

Advanced indexing follows NumPy's rules (the autograd layer has applied the ints and
slices that PyTorch applies first). An index is turned into a *plan*:

* a view ``v`` of the array with the slices and new axes applied;
* the index arrays (bool masks become integer arrays through ``nonzero``; a Python
  bool is a new axis indexed by ``[0]`` or ``[]``; an int among index arrays is a 0-d
  index array), each checked against its dim, all broadcast to one shape ``B``;
* ``boff``: for each of the ``nb`` broadcast positions, the buffer offset
  ``sum_j wrap(idx_j[b]) * v.estrides[dim_j]``, summed on the device by one small
  kernel per index array;
* the result layout ``L + B + R``: ``B`` replaces the indexed dims in place when they
  are adjacent, otherwise it goes first (``L`` empty), as in NumPy.

Element ``i = (l * nb + b) * nr + r`` of the result then lives at
``v.offset + off_L(l) + boff[b] + off_R(r)``: getitem gathers from there, setitem
stores there, index_put_add adds there with ``cuda.atomic.add``.

Range checks: index arrays from the host (Python lists) are checked with NumPy;
device index arrays with a two-pass min/max reduction and ONE host copy of the
(min, max) pairs of all index arrays of the index. Out-of-range indices raise
NumPy's IndexError ("index 5 is out of bounds for axis 0 with size 3"); on the
device the reported index is the largest one when it is too large, else the
smallest (NumPy reports the first bad one in order: the same one when only one is
bad).

Repeated indices in advanced_setitem: the last write in row-major order of the
indexed result wins, as in NumPy. When the value differs between the broadcast
index positions and an integer index array can repeat, a "winner" pass records,
for every distinct indexed position (key = the row-major position in the indexed
dims), the largest broadcast position ``b`` that targets it (``cuda.atomic.max``
into an int64 array of prod(indexed dim sizes) entries, never more entries than
``v`` has); only that ``b`` stores. Scalar values and bool masks need no such pass.

nonzero: flags (a != 0) in row-major order, an inclusive prefix sum on the device
(block scans with a carry inside each block's chunk, a scan of the block sums, and
an add pass), one host copy of the count, then every set flag writes its coordinates
at position ``scan - 1``: row-major order, as NumPy.
"""
from __future__ import annotations

import numpy as np
from numba import cuda, int64

from ._array import CudaArray
from ._kernels import offset_of
from ._launch import (MAX_BLOCKS, THREADS, broadcast_strides, check_device, collapse, device_operand,
                      launch, launch_blocks, size_of)

_T = THREADS                      # threads per block of the scan and min/max kernels
_I64_MAX = 9223372036854775807
_I64_MIN = -9223372036854775807 - 1

# dtypes cuda.atomic.add handles; others accumulate in a wider temporary
_ATOMIC = {np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.int32), np.dtype(np.int64)}
_I64 = np.dtype(np.int64)


def _acc_dtype(np_dtype: np.dtype) -> np.dtype:
    if np_dtype in _ATOMIC:
        return np_dtype
    if np_dtype.kind == "f":
        return np.dtype(np.float64) if np_dtype.itemsize > 4 else np.dtype(np.float32)
    return _I64


# ----- kernels -----------------------------------------------------------------------
@cuda.jit(cache=True)
def k_index_offsets(acc, idx, io, istr, bshape, size, stride, nb):
    """acc[b] += wrap(idx[b]) * stride for the nb positions of the broadcast index shape."""
    b = cuda.grid(1)
    step = cuda.gridsize(1)
    while b < nb:
        v = int(idx[offset_of(b, bshape, istr, io)])
        if v < 0:
            v += size
        acc[b] += v * stride
        b += step


@cuda.jit(cache=True)
def k_index_get(out, src, so, boff, lshape, lstr, nb, rshape, rstr, nr, n):
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        r = i % nr
        t = i // nr
        b = t % nb
        li = t // nb
        out[i] = src[offset_of(li, lshape, lstr, so) + boff[b] + offset_of(r, rshape, rstr, 0)]
        i += step


@cuda.jit(cache=True)
def k_index_set(dst, do, boff, lshape, lstr, nb, rshape, rstr, nr, val, vo, vshape, vstr,
                winner, key, use_winner, n):
    """dst at the plan's positions = val (broadcast); with use_winner only the last writer stores."""
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        r = i % nr
        t = i // nr
        b = t % nb
        li = t // nb
        if not use_winner or winner[key[b]] == b:
            dst[offset_of(li, lshape, lstr, do) + boff[b] + offset_of(r, rshape, rstr, 0)] = \
                val[offset_of(i, vshape, vstr, vo)]
        i += step


@cuda.jit(cache=True)
def k_index_set_scalar(dst, do, boff, lshape, lstr, nb, rshape, rstr, nr, value, n):
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        r = i % nr
        t = i // nr
        b = t % nb
        li = t // nb
        dst[offset_of(li, lshape, lstr, do) + boff[b] + offset_of(r, rshape, rstr, 0)] = value
        i += step


@cuda.jit(cache=True)
def k_index_add(dst, do, boff, lshape, lstr, nb, rshape, rstr, nr, val, vo, vshape, vstr, n):
    """dst at the plan's positions += val (broadcast), repeated positions accumulating."""
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        r = i % nr
        t = i // nr
        b = t % nb
        li = t // nb
        cuda.atomic.add(dst, offset_of(li, lshape, lstr, do) + boff[b] + offset_of(r, rshape, rstr, 0),
                        val[offset_of(i, vshape, vstr, vo)])
        i += step


@cuda.jit(cache=True)
def k_winner(winner, key, nb):
    """winner[key[b]] = the largest b with that key (the last write in row-major order)."""
    b = cuda.grid(1)
    step = cuda.gridsize(1)
    while b < nb:
        cuda.atomic.max(winner, key[b], b)
        b += step


@cuda.jit(cache=True)
def k_fill_i64(out, value, n):
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        out[i] = value
        i += step


@cuda.jit(cache=True)
def k_gather(out, a, ao, astr, dstride, size, idx, io, istr, shape, n):
    """out[i] = a[coords(i) with dim replaced by wrap(index[i])] (0 where out of range: the
    autograd layer checks the range first; this only keeps the kernel inside a)."""
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        v = int(idx[offset_of(i, shape, istr, io)])
        if v < 0:
            v += size
        if v >= 0 and v < size:
            out[i] = a[offset_of(i, shape, astr, ao) + v * dstride]
        else:
            out[i] = 0
        i += step


@cuda.jit(cache=True)
def k_scatter_add(out, oo, ostr, dstride, size, idx, io, istr, src, so, sstr, shape, n):
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        v = int(idx[offset_of(i, shape, istr, io)])
        if v < 0:
            v += size
        if v >= 0 and v < size:
            cuda.atomic.add(out, offset_of(i, shape, ostr, oo) + v * dstride, src[offset_of(i, shape, sstr, so)])
        i += step


@cuda.jit(cache=True)
def k_minmax_partial(x, xo, xst, xshape, n, pmin, pmax):
    """Per block: the min and max of (its grid-stride share of) a strided integer array."""
    smin = cuda.shared.array(_T, int64)
    smax = cuda.shared.array(_T, int64)
    tid = cuda.threadIdx.x
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    lo = _I64_MAX
    hi = _I64_MIN
    while i < n:
        v = int(x[offset_of(i, xshape, xst, xo)])
        if v < lo:
            lo = v
        if v > hi:
            hi = v
        i += step
    smin[tid] = lo
    smax[tid] = hi
    cuda.syncthreads()
    s = _T // 2
    while s > 0:
        if tid < s:
            if smin[tid + s] < smin[tid]:
                smin[tid] = smin[tid + s]
            if smax[tid + s] > smax[tid]:
                smax[tid] = smax[tid + s]
        cuda.syncthreads()
        s //= 2
    if tid == 0:
        pmin[cuda.blockIdx.x] = smin[0]
        pmax[cuda.blockIdx.x] = smax[0]


@cuda.jit(cache=True)
def k_minmax_final(pmin, pmax, nparts, res, slot):
    """One block: res[2 slot], res[2 slot + 1] = min(pmin), max(pmax)."""
    smin = cuda.shared.array(_T, int64)
    smax = cuda.shared.array(_T, int64)
    tid = cuda.threadIdx.x
    lo = _I64_MAX
    hi = _I64_MIN
    j = tid
    while j < nparts:
        if pmin[j] < lo:
            lo = pmin[j]
        if pmax[j] > hi:
            hi = pmax[j]
        j += _T
    smin[tid] = lo
    smax[tid] = hi
    cuda.syncthreads()
    s = _T // 2
    while s > 0:
        if tid < s:
            if smin[tid + s] < smin[tid]:
                smin[tid] = smin[tid + s]
            if smax[tid + s] > smax[tid]:
                smax[tid] = smax[tid + s]
        cuda.syncthreads()
        s //= 2
    if tid == 0:
        res[2 * slot] = smin[0]
        res[2 * slot + 1] = smax[0]


@cuda.jit(cache=True)
def k_nz_flags(flags, a, ao, ast, shape, n):
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        flags[i] = 1 if a[offset_of(i, shape, ast, ao)] != 0 else 0
        i += step


@cuda.jit(cache=True)
def k_scan_chunks(vals, n, chunk, sums):
    """Inclusive prefix sum of vals within each block's chunk [b chunk, (b+1) chunk), in
    tiles of _T with a running carry; sums[b] = the chunk's total."""
    sh = cuda.shared.array(_T, int64)
    tid = cuda.threadIdx.x
    lo = cuda.blockIdx.x * chunk
    hi = min(lo + chunk, n)
    carry = 0
    start = lo
    while start < hi:
        j = start + tid
        x = 0
        if j < hi:
            x = vals[j]
        sh[tid] = x
        cuda.syncthreads()
        off = 1
        while off < _T:
            t = 0
            if tid >= off:
                t = sh[tid - off]
            cuda.syncthreads()
            sh[tid] += t
            cuda.syncthreads()
            off *= 2
        if j < hi:
            vals[j] = sh[tid] + carry
        carry += sh[_T - 1]
        cuda.syncthreads()
        start += _T
    if tid == 0:
        sums[cuda.blockIdx.x] = carry


@cuda.jit(cache=True)
def k_scan_add(vals, n, chunk, sums):
    """vals[i] += the total of the chunks before i's (sums holds their inclusive scan)."""
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        b = i // chunk
        if b > 0:
            vals[i] += sums[b - 1]
        i += step


@cuda.jit(cache=True)
def k_nz_write(out, count, scan, shape, n):
    """Every set flag (scan steps up at i) writes i's coordinates at row scan[i] - 1."""
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        prev = 0
        if i > 0:
            prev = scan[i - 1]
        if scan[i] != prev:
            t = i
            for d in range(len(shape) - 1, -1, -1):
                out[d * count + prev] = t % shape[d]
                t //= shape[d]
        i += step


# ----- helpers -----------------------------------------------------------------------
def _fmt_shape(shape) -> str:
    """A shape as NumPy's messages print it: (2,3), (2,), ()."""
    shape = tuple(shape)
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "(" + ",".join(str(s) for s in shape) + ")"


def _i64_zeros(n: int) -> CudaArray:
    out = CudaArray.empty((n,), _I64)
    launch(k_fill_i64, n, out.buf, 0, n)
    return out


def _blocks_for(n: int) -> int:
    return max(1, min((n + _T - 1) // _T, MAX_BLOCKS))


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


def _minmax(arrays) -> list:
    """[(min, max)] of each (non-empty) integer CudaArray, with one host copy for all."""
    if not arrays:
        return []
    res = CudaArray.empty((2 * len(arrays),), _I64)
    for slot, x in enumerate(arrays):
        n = x.size
        blocks = _blocks_for(n)
        pmin = CudaArray.empty((blocks,), _I64)
        pmax = CudaArray.empty((blocks,), _I64)
        shape, (st,) = collapse(x.shape, x.estrides)
        launch_blocks(k_minmax_partial, blocks, _T, x.buf, x.offset, st, shape, n, pmin.buf, pmax.buf)
        launch_blocks(k_minmax_final, 1, _T, pmin.buf, pmax.buf, blocks, res.buf, slot)
    host = res.buf[:2 * len(arrays)].copy_to_host()
    return [(int(host[2 * k]), int(host[2 * k + 1])) for k in range(len(arrays))]


def _oob(value, axis, size) -> IndexError:
    return IndexError(f"index {value} is out of bounds for axis {axis} with size {size}")


def _check_host_range(arr: np.ndarray, axis: int, size: int) -> None:
    if arr.size:
        bad = (arr >= size) | (arr < -size)
        if bad.any():
            raise _oob(int(arr[bad].reshape(-1)[0]), axis, size)


def _check_device_ranges(checks) -> None:
    """checks: [(CudaArray, axis, size)]; one host copy for all of them."""
    checks = [c for c in checks if c[0].size]
    for (x, axis, size), (lo, hi) in zip(checks, _minmax([c[0] for c in checks])):
        if hi >= size:
            raise _oob(hi, axis, size)
        if lo < -size:
            raise _oob(lo, axis, size)


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


class _Plan:
    """Where advanced indexing reads and writes (see the module docstring)."""

    __slots__ = ("view", "lshape", "lstr", "bshape", "nb", "rshape", "rstr", "nr", "boff",
                 "out_shape", "arrays", "sizes", "from_mask", "nl")

    def kernel_args(self):
        return (self.boff.buf, self.lshape, self.lstr, self.nb, self.rshape, self.rstr, self.nr)


def _to_index_entry(item):
    """One entry of an index as (kind, payload): kinds None, Ellipsis, slice, bool, int, mask."""
    if item is None or item is Ellipsis:
        return item, None
    if isinstance(item, slice):
        return "slice", item
    if isinstance(item, (bool, np.bool_)):
        return "bool", bool(item)
    if isinstance(item, (int, np.integer)):
        return "int", np.array(int(item), np.int64)
    if item.__class__ is not CudaArray and hasattr(item, "_data") and hasattr(item, "_backend"):
        item = item._data    # a Tensor inside a raw index (the Python-bool path of convert_index)
    if item.__class__ is CudaArray:
        if item.dtype.kind == "b":
            if item.ndim == 0:
                return "bool", bool(item.buf[item.offset:item.offset + 1].copy_to_host()[0])
            return "mask", item
        if item.dtype.kind in "iu":
            return "int", item
        raise IndexError("arrays used as indices must be of integer (or boolean) type")
    arr = np.asarray(item)
    if arr.dtype.kind == "b":
        return ("bool", bool(arr)) if arr.ndim == 0 else ("mask", arr)
    if arr.dtype.kind in "iu":
        return "int", arr.astype(np.int64, copy=False)
    if arr.size == 0 and arr.dtype.kind == "f":   # a[[]]: NumPy takes an empty list as integers
        return "int", arr.astype(np.int64)
    if arr.dtype.kind in "fc" or arr.ndim:
        raise IndexError("arrays used as indices must be of integer (or boolean) type")
    raise IndexError("only integers, slices (`:`), ellipsis (`...`), numpy.newaxis (`None`) and "
                     "integer or boolean arrays are valid indices")


class IndexOps:
    """The index part of the CUDA op table."""

    # ----- the plan ---------------------------------------------------------------------
    def _plan(self, a: CudaArray, index) -> _Plan:
        if not isinstance(index, tuple):
            index = (index,)
        entries = [_to_index_entry(item) for item in index]
        n_ellipsis = sum(1 for k, _ in entries if k is Ellipsis)
        if n_ellipsis > 1:
            raise IndexError("an index can only have a single ellipsis ('...')")
        used = sum(1 if k in ("slice", "int") else p.ndim if k == "mask" else 0 for k, p in entries)
        if used > a.ndim:
            raise IndexError(f"too many indices for array: array is {a.ndim}-dimensional, "
                             f"but {used} were indexed")
        fill = [("slice", slice(None))] * (a.ndim - used)
        if n_ellipsis:
            at = next(i for i, (k, _) in enumerate(entries) if k is Ellipsis)
            entries = entries[:at] + fill + entries[at + 1:]
        else:
            entries = entries + fill
        # the basic part (slices and new axes) as a view; where each index array applies
        basic, pending = [], []   # pending: (kind, payload, view dim, original axis)
        vdim = odim = 0
        for kind, payload in entries:
            if kind is None or kind == "bool":
                basic.append(None)
                if kind == "bool":
                    pending.append(("bool", payload, vdim, None))
                vdim += 1
            elif kind == "slice":
                basic.append(payload)
                vdim += 1
                odim += 1
            elif kind == "int":
                basic.append(slice(None))
                pending.append(("int", payload, vdim, odim))
                vdim += 1
                odim += 1
            else:  # mask
                k = payload.ndim
                basic.extend([slice(None)] * k)
                pending.append(("mask", payload, vdim, odim))
                vdim += k
                odim += k
        v = self._basic_index(a, tuple(basic))
        arrays, dims, from_mask, host_checks, device_checks = [], [], [], [], []
        for kind, payload, vd, axis in pending:
            if kind == "bool":
                arrays.append(np.zeros(1 if payload else 0, np.int64))
                dims.append(vd)
                from_mask.append(True)
            elif kind == "mask":
                for j, m in enumerate(payload.shape):
                    if m != v.shape[vd + j]:
                        raise IndexError(
                            f"boolean index did not match indexed array along axis {axis + j}; size of "
                            f"axis is {v.shape[vd + j]} but size of corresponding boolean axis is {m}")
                parts = np.nonzero(payload) if isinstance(payload, np.ndarray) else self.nonzero(payload)
                for j, part in enumerate(parts):
                    arrays.append(part)
                    dims.append(vd + j)
                    from_mask.append(True)
            else:
                size = v.shape[vd]
                if isinstance(payload, np.ndarray):
                    host_checks.append((payload, axis, size))
                else:
                    device_checks.append((payload, axis, size))
                arrays.append(payload)
                dims.append(vd)
                from_mask.append(False)
        for arr, axis, size in host_checks:
            _check_host_range(arr, axis, size)
        _check_device_ranges(device_checks)
        try:
            bshape = tuple(np.broadcast_shapes(*(x.shape for x in arrays)))
        except ValueError:
            raise IndexError("shape mismatch: indexing arrays could not be broadcast together with shapes "
                             + "".join(_fmt_shape(x.shape) + " " for x in arrays)) from None
        arrays = [self.from_numpy(x) if isinstance(x, np.ndarray) else x for x in arrays]
        nb = size_of(bshape)
        boff = _i64_zeros(nb)
        sizes = [v.shape[d] for d in dims]
        for x, d, size in zip(arrays, dims, sizes):
            cs, (st,) = collapse(bshape, broadcast_strides(x, bshape))
            launch(k_index_offsets, nb, boff.buf, x.buf, x.offset, st, cs, size, v.estrides[d], nb)
        adjacent = dims == list(range(dims[0], dims[0] + len(dims)))
        rest = [d for d in range(v.ndim) if d not in dims]
        left = [d for d in rest if d < dims[0]] if adjacent else []
        right = [d for d in rest if d not in left]
        plan = _Plan()
        plan.view, plan.bshape, plan.nb, plan.boff = v, bshape, nb, boff
        lshape = tuple(v.shape[d] for d in left)
        rshape = tuple(v.shape[d] for d in right)
        plan.lshape, (plan.lstr,) = collapse(lshape, tuple(v.estrides[d] for d in left))
        plan.rshape, (plan.rstr,) = collapse(rshape, tuple(v.estrides[d] for d in right))
        plan.nl, plan.nr = size_of(lshape), size_of(rshape)
        plan.out_shape = lshape + bshape + rshape
        plan.arrays, plan.sizes, plan.from_mask = arrays, sizes, from_mask
        return plan

    def _winner(self, plan: _Plan):
        """(winner, key): key[b] is b's row-major position among the indexed dims; winner[k]
        the largest b with key k."""
        nb = plan.nb
        key = _i64_zeros(nb)
        kstride = 1
        for x, size in reversed(list(zip(plan.arrays, plan.sizes))):
            cs, (st,) = collapse(plan.bshape, broadcast_strides(x, plan.bshape))
            launch(k_index_offsets, nb, key.buf, x.buf, x.offset, st, cs, size, kstride, nb)
            kstride *= size
        winner = CudaArray.empty((kstride,), _I64)
        launch(k_fill_i64, kstride, winner.buf, -1, kstride)
        launch(k_winner, nb, winner.buf, key.buf, nb)
        return winner, key

    # ----- advanced indexing ------------------------------------------------------------
    def advanced_getitem(self, a, index):
        """a[index] with index arrays (a copy), NumPy's rules and errors."""
        check_device(a)
        plan = self._plan(a, index)
        v = plan.view
        out = CudaArray.empty(plan.out_shape, a.dtype)
        n = out.size
        launch(k_index_get, n, out.buf, v.buf, v.offset, *plan.kernel_args(), n)
        return out

    def advanced_setitem(self, a, index, value) -> None:
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
        one index array (int or bool, device or host) or a tuple as advanced_getitem takes."""
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
        count = int(scan.buf[n - 1:n].copy_to_host()[0])
        out = CudaArray.empty((a.ndim, count), _I64)
        launch(k_nz_write, n, out.buf, count, scan.buf, tuple(a.shape), n)
        return tuple(out.view_as((count,), (1,), d * count) for d in range(a.ndim))


class _Dt:
    """A stand-in for a minitorch dtype where only ``.np`` is read."""

    __slots__ = ("np",)

    def __init__(self, np_dtype) -> None:
        self.np = np.dtype(np_dtype)
