"""A caching allocator for the CPU backend's large arrays.

glibc serves allocations above its mmap threshold (128 KiB at start) with fresh
pages from the kernel and gives them back on free, so every large temporary of a
training step pays a page fault per 4 KiB page touched (~1,100 faults, 20-30% of a
784-512-512-10 step at batch 256 on the 2-core machine of docs/benchmarks.md).
PyTorch's CUDA allocator solved the same problem on the GPU by keeping freed
blocks; this does it for NumPy arrays.

A pooled buffer is a 1-D uint8 array the pool keeps in a list per byte size; the
arrays handed out are views of it, so NumPy's reference counting says when the
buffer is free again: its reference count falls back to the pool's own references.
No hook runs when an array dies and nothing is ever freed twice. Only arrays of at
least THRESHOLD bytes are pooled (small ones are cheap, glibc keeps them in its
heap); at most CAPACITY bytes stay cached, beyond which the free buffers are dropped.
"""
from __future__ import annotations

import sys

import numpy as np

THRESHOLD = 128 * 1024
CAPACITY = 1 << 30

_buckets: dict[int, list] = {}
_cached = [0]
_getrefcount = sys.getrefcount
_empty = np.empty
_uint8 = np.uint8
_ndarray = np.ndarray


def _free_count() -> int:
    """The reference count a free buffer shows inside empty()'s loop (its bucket list, the
    loop variable, getrefcount's argument: 3 on CPython 3.10-3.13), measured rather than
    assumed, since how CPython counts borrowed references changes between versions."""
    bucket = [np.empty(1, np.uint8)]
    for raw in bucket:
        return _getrefcount(raw)


_FREE = _free_count()


def _pooled(raw) -> bool:
    bucket = _buckets.get(raw.size)
    if bucket is not None:
        for b in bucket:
            if b is raw:
                return True
    return False


def unshared(holder) -> bool:
    """Whether holder._data (an array) is the only reference to its memory: no other array,
    view or object holds it, so its owner may hand it on instead of copying it (autograd
    does, for a leaf's first gradient). The counts are those of _sole_counts' call chain."""
    arr = holder._data
    base = arr.base
    if base is None:
        return _getrefcount(arr) == _SOLE[0]
    if type(base) is not _ndarray or not _pooled(base):
        return False
    return _getrefcount(arr) == _SOLE[0] and _getrefcount(base) == _SOLE[1]


class _Holder:
    __slots__ = ("_data",)


def _sole_counts() -> list:
    """The reference counts unshared() sees for an array that one object alone holds, and
    for a pooled buffer whose one live view that is, measured on this interpreter (how
    CPython counts borrowed references changes between versions)."""
    holder = _Holder()
    holder._data = np.empty(1, np.uint8)
    arr = holder._data
    counts = [_getrefcount(arr)]
    raw = np.empty(1, np.uint8)
    bucket = [raw]
    view = _ndarray((1,), np.uint8, bucket[0])
    del raw
    base = view.base
    counts.append(_getrefcount(base))
    return counts


_SOLE = _sole_counts()


def empty(shape, dtype) -> np.ndarray:
    """np.empty(shape, dtype), reusing a cached buffer for large sizes (dtype: a NumPy dtype)."""
    n = dtype.itemsize
    for s in shape:
        n *= s
    if n < THRESHOLD:
        return _empty(shape, dtype)
    bucket = _buckets.get(n)
    if bucket is None:
        bucket = _buckets[n] = []
    else:
        for raw in bucket:
            if _getrefcount(raw) == _FREE:
                return _ndarray(shape, dtype, raw)
    if _cached[0] + n > CAPACITY:
        _trim(n)
        if _cached[0] + n > CAPACITY:
            return _empty(shape, dtype)
    raw = _empty(n, _uint8)
    bucket.append(raw)
    _cached[0] += n
    return _ndarray(shape, dtype, raw)


def zeros(shape, dtype) -> np.ndarray:
    """np.zeros(shape, dtype) through the pool (a fill pass instead of fresh zeroed pages)."""
    out = empty(shape, dtype)
    out.fill(0)
    return out


def _trim(needed: int) -> None:
    """Drop free buffers until `needed` more bytes fit under CAPACITY."""
    for size, bucket in list(_buckets.items()):
        keep = []
        for raw in bucket:
            if _getrefcount(raw) == _FREE and _cached[0] + needed > CAPACITY:
                _cached[0] -= size
            else:
                keep.append(raw)
        bucket[:] = keep


def empty_cache() -> None:
    """Release every free cached buffer (buffers in use stay until their arrays die)."""
    _trim(CAPACITY + 1)


def cached_bytes() -> int:
    """Bytes held by the pool, in use or free."""
    return _cached[0]
