"""How an advanced index becomes a plan: the index-conversion part of the CUDA index ops.

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
``v.offset + off_L(l) + boff[b] + off_R(r)``: the kernels of _index_kernels.py gather,
store and add there.

Range checks: index arrays from the host (Python lists) are checked with NumPy;
device index arrays with a two-pass min/max reduction and ONE host copy of the
(min, max) pairs of all index arrays of the index. Out-of-range indices raise
NumPy's IndexError ("index 5 is out of bounds for axis 0 with size 3"); on the
device the reported index is the largest one when it is too large, else the
smallest (NumPy reports the first bad one in order: the same one when only one is
bad).

Repeated indices in _advanced_setitem: the last write in row-major order of the
indexed result wins, as in NumPy. When the value differs between the broadcast
index positions and an integer index array can repeat, a "winner" pass records,
for every distinct indexed position (key = the row-major position in the indexed
dims), the largest broadcast position ``b`` that targets it (``cuda.atomic.max``
into an int64 array of prod(indexed dim sizes) entries, never more entries than
``v`` has); only that ``b`` stores. Scalar values and bool masks need no such pass.
"""
from __future__ import annotations

import numpy as np

from ._array import CudaArray, read
from ._index_kernels import _T, k_fill_i64, k_index_offsets, k_minmax_final, k_minmax_partial, k_winner
from ._launch import MAX_BLOCKS, broadcast_strides, collapse, launch, launch_blocks, size_of

_I64 = np.dtype(np.int64)


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
    host = read(res, 0, 2 * len(arrays))
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
                return "bool", bool(read(item, 0, 1)[0])
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


class IndexPlanOps:
    """The index-conversion part of the CUDA op table (IndexOps builds on it)."""

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
