"""Host implementations of the sorting, selection, scan and counting extras (NumPy arrays in
and out): what the defaults of ``defaults_nn.py`` run after a device's arrays are copied to
the host. On the CPU that copy is free, so these are the CPU's kernels too.

Each follows PyTorch's CPU kernel where the result is not fully defined by the maths: the
order of ties (``select_kernels.py``), NaN sorting above everything, and float32 scans
accumulated in float64 (ATen's ``acc_type`` on the CPU), rounded once per element.
"""
from __future__ import annotations

import numpy as np

from . import select_kernels

# ATen sorts 1-D integer tensors of at least this many elements ascending with a (stable)
# radix sort when stable=False; shorter ones, other dtypes and descending go to std::sort.
_RADIX_MIN = 32768


def _rows(a: np.ndarray, dim: int) -> np.ndarray:
    """a with dim moved last, as a new C-contiguous 2-D (rows, n) array of keys of one
    comparable dtype (float64 for floating point, int64 otherwise: both keep every value's
    order); the kernels reorder it in place."""
    moved = np.moveaxis(a, dim, -1)
    keys = moved.reshape(-1, moved.shape[-1]) if moved.size else np.empty((0, moved.shape[-1]))
    return np.array(keys, np.float64 if a.dtype.kind == "f" else np.int64, order="C", copy=True)


def _back(flat: np.ndarray, a: np.ndarray, dim: int, n: int) -> np.ndarray:
    """(rows, n) results as a's layout with n along dim."""
    shape = np.moveaxis(a, dim, -1).shape[:-1] + (n,)
    return np.ascontiguousarray(np.moveaxis(flat.reshape(shape), -1, dim))


def _values(a: np.ndarray, dim: int, indices: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.take_along_axis(a, indices, axis=dim))


def _stable_order(keys: np.ndarray, descending: bool) -> np.ndarray:
    """Stable argsort of each row, NaN above every number (std::stable_sort's order)."""
    if not descending:
        return np.argsort(keys, axis=-1, kind="stable")
    if keys.dtype.kind == "f":
        # NaN first, then the numbers largest first; equal keys keep their order.
        return np.lexsort((-keys, ~np.isnan(keys)), axis=-1)
    return np.argsort(~keys, axis=-1, kind="stable")  # ~x reverses the order of integers


def sort(a: np.ndarray, dim: int, descending: bool, stable: bool):
    """(values, int64 indices) of a sorted along dim in PyTorch's CPU order."""
    if a.ndim == 0:
        return a.copy(), np.zeros((), np.int64)
    n = a.shape[dim]
    keys = _rows(a, dim)
    radix = a.ndim == 1 and n >= _RADIX_MIN and a.dtype.kind in "iu" and not descending
    if stable or radix:
        order = _stable_order(keys, descending)
    else:
        order = np.empty(keys.shape, np.int64)
        select_kernels.sort_rows(keys, descending, order)
    indices = _back(order, a, dim, n)
    return _values(a, dim, indices), indices


def topk(a: np.ndarray, k: int, dim: int, largest: bool, sorted_: bool):
    """(values, int64 indices) of the k largest (smallest) along dim, PyTorch's order on ties."""
    if a.ndim == 0:
        return a.copy(), np.zeros((), np.int64)
    keys = _rows(a, dim)
    order = np.empty((keys.shape[0], k), np.int64)
    if k:
        select_kernels.topk_rows(keys, k, largest, sorted_, order)
    indices = _back(order, a, dim, k)
    return _values(a, dim, indices), indices


def kthvalue(a: np.ndarray, k: int, dim: int):
    """(values, int64 indices) of the k-th smallest (k from 1) along dim, the dim removed."""
    if a.ndim == 0:
        return a.copy(), np.zeros((), np.int64)
    keys = _rows(a, dim)
    order = np.empty(keys.shape[0], np.int64)
    select_kernels.kthvalue_rows(keys, k - 1, order)
    indices = _back(order, a, dim, 1)
    return np.squeeze(_values(a, dim, indices), dim), np.squeeze(indices, dim)


_KERNEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.int64))
# Accumulation dtypes of ATen's CPU scans: float16 in float32, float32 in float64.
_ACC = {np.dtype(np.float16): np.float32, np.dtype(np.float32): np.float64, np.dtype(np.float64): np.float64}


def cumulative(op: str, a: np.ndarray, dim: int, dtype: np.dtype) -> np.ndarray:
    """The running sum ("sum") or product ("prod") along dim, as dtype; each element is the
    accumulator rounded to dtype."""
    ufunc = np.add if op == "sum" else np.multiply
    if a.ndim == 0:
        return a.astype(dtype)
    acc = np.dtype(_ACC.get(np.dtype(dtype), dtype))
    if (dim == a.ndim - 1 or dim == -1) and a.flags.c_contiguous and a.size and a.dtype == dtype \
            and a.dtype in _KERNEL_DTYPES:
        # the common case (a vector, or rows): one pass of a numba kernel
        rows = a.reshape(-1, a.shape[-1])
        out = np.empty(rows.shape, dtype)
        select_kernels.scan_rows(rows, out, np.full(1, 1 if op == "prod" else 0, acc), op == "prod")
        return out.reshape(a.shape)
    return np.ascontiguousarray(ufunc.accumulate(a, axis=dim, dtype=acc).astype(dtype, copy=False))


def unique(a: np.ndarray, return_inverse: bool, return_counts: bool, dim):
    """(sorted unique values, inverse, counts) of a's elements (dim None, every NaN distinct)
    or of its slices along dim (then sorted lexicographically)."""
    if dim is not None:
        values, inverse, counts = np.unique(a, axis=dim, return_inverse=True, return_counts=True)
        return np.ascontiguousarray(values), inverse.reshape(-1).astype(np.int64), counts.astype(np.int64)
    flat = a.reshape(-1)
    # A stable order where it shows: -0. and 0. are one value, represented by the first.
    stable = "stable" if a.dtype.kind == "f" else None
    order = np.argsort(flat, kind=stable) if return_inverse else None
    ordered = flat[order] if return_inverse else np.sort(flat, kind=stable)
    first = np.ones(flat.size, bool)
    if flat.size:
        first[1:] = ordered[1:] != ordered[:-1]  # NaN != NaN: each NaN its own value
    values = ordered[first]
    counts = np.diff(np.append(np.flatnonzero(first), flat.size)).astype(np.int64)
    inverse = np.zeros(a.shape, np.int64)
    if return_inverse:
        inverse = np.empty(flat.size, np.int64)
        inverse[order] = np.cumsum(first) - 1
        inverse = inverse.reshape(a.shape)
    return values, inverse, counts


def unique_consecutive(a: np.ndarray, dim):
    """(values, inverse, counts) of runs of equal elements (dim None) or slices along dim."""
    if dim is None:
        flat = a.reshape(-1)
        start = np.ones(flat.size, bool)
        start[1:] = flat[1:] != flat[:-1]
        group = np.cumsum(start) - 1
        counts = np.diff(np.append(np.flatnonzero(start), flat.size)).astype(np.int64)
        return flat[start], group.reshape(a.shape).astype(np.int64), counts
    moved = np.moveaxis(a, dim, 0)
    n = moved.shape[0]
    start = np.ones(n, bool)
    if n > 1:
        start[1:] = (moved[1:] != moved[:-1]).reshape(n - 1, -1).any(axis=1)
    group = np.cumsum(start) - 1
    counts = np.diff(np.append(np.flatnonzero(start), n)).astype(np.int64)
    return np.ascontiguousarray(np.moveaxis(moved[start], 0, dim)), group.astype(np.int64), counts


def bincount(a: np.ndarray, weights, minlength: int, dtype) -> np.ndarray:
    """Counts (or summed weights, as dtype) of each value of a 1-D non-negative integer array.
    Weights are summed in float64, in order, as ATen's CPU kernel does."""
    n = max(int(a.max()) + 1 if a.size else 0, minlength)
    if weights is None:
        return np.bincount(a, minlength=n).astype(np.int64)
    return np.bincount(a, weights=weights.astype(np.float64), minlength=n).astype(dtype)


_REDUCE_AT = {"sum": np.add, "prod": np.multiply, "amax": np.maximum, "amin": np.minimum}


def scatter_reduce(out: np.ndarray, dim: int, index: np.ndarray, src: np.ndarray, reduce: str) -> None:
    """out[..., index[..., i, ...], ...] = reduce(it, src[..., i, ...]) along dim, in place
    ("sum", "prod", "amax", "amin"; NaN propagates through amax/amin)."""
    coords = list(np.indices(index.shape, sparse=True))
    coords[dim] = index
    _REDUCE_AT[reduce].at(out, tuple(coords), src[tuple(slice(0, s) for s in index.shape)])
