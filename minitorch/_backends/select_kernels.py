"""PyTorch's CPU selection algorithms, step for step, so that ties come out in its order.

``sort(stable=False)``, ``topk`` and ``kthvalue`` do not define which of several equal
elements comes first, but PyTorch's CPU kernels are deterministic: ``sort`` runs
``std::sort`` (libstdc++'s introsort), ``topk`` ``std::partial_sort`` or ``std::nth_element``
then ``std::sort``, ``kthvalue`` ATen's own median-of-three quickselect, all on (value,
index) pairs compared by value with NaN above everything. These kernels replay those
algorithms on one row at a time, so the indices (and the gradients routed through them)
are PyTorch's. Each kernel works on C-contiguous 2-D ``keys`` (rows, n), float64 or int64
(every dtype converts to one of them without changing its order), and writes int64
positions. The comparator is ``less(a, b)``: ascending, NaN last; ``desc`` flips it
to descending, NaN first.
"""
from __future__ import annotations

import numpy as np
from numba import njit

_THRESHOLD = 16  # libstdc++'s _S_threshold: introsort leaves runs this short to insertion sort


@njit(cache=True)
def _before(a, b, desc):
    """Whether key a goes before key b: a < b with NaN largest, or a > b with NaN first."""
    if desc:
        return (a != a and b == b) or a > b
    return (a == a and b != b) or a < b


@njit(cache=True)
def _swap(k, ix, i, j):
    k[i], k[j] = k[j], k[i]
    ix[i], ix[j] = ix[j], ix[i]


@njit(cache=True)
def _move_median_to_first(k, ix, result, a, b, c, desc):
    if _before(k[a], k[b], desc):
        if _before(k[b], k[c], desc):
            _swap(k, ix, result, b)
        elif _before(k[a], k[c], desc):
            _swap(k, ix, result, c)
        else:
            _swap(k, ix, result, a)
    elif _before(k[a], k[c], desc):
        _swap(k, ix, result, a)
    elif _before(k[b], k[c], desc):
        _swap(k, ix, result, c)
    else:
        _swap(k, ix, result, b)


@njit(cache=True)
def _partition_pivot(k, ix, first, last, desc):
    """libstdc++'s __unguarded_partition_pivot: median of three to first, then partition."""
    mid = first + (last - first) // 2
    _move_median_to_first(k, ix, first, first + 1, mid, last - 1, desc)
    lo, hi = first + 1, last
    while True:
        while _before(k[lo], k[first], desc):
            lo += 1
        hi -= 1
        while _before(k[first], k[hi], desc):
            hi -= 1
        if not lo < hi:
            return lo
        _swap(k, ix, lo, hi)
        lo += 1


@njit(cache=True)
def _linear_insert(k, ix, last, desc):
    """libstdc++'s __unguarded_linear_insert: move element last left past the larger ones."""
    val, vi = k[last], ix[last]
    nxt = last - 1
    while _before(val, k[nxt], desc):
        k[last], ix[last] = k[nxt], ix[nxt]
        last = nxt
        nxt -= 1
    k[last], ix[last] = val, vi


@njit(cache=True)
def _insertion_sort(k, ix, first, last, desc):
    for i in range(first + 1, last):
        if _before(k[i], k[first], desc):
            val, vi = k[i], ix[i]
            for j in range(i, first, -1):
                k[j], ix[j] = k[j - 1], ix[j - 1]
            k[first], ix[first] = val, vi
        else:
            _linear_insert(k, ix, i, desc)


@njit(cache=True)
def _adjust_heap(k, ix, first, hole, length, val, vi, desc):
    top = hole
    child = hole
    while child < (length - 1) // 2:
        child = 2 * (child + 1)
        if _before(k[first + child], k[first + child - 1], desc):
            child -= 1
        k[first + hole], ix[first + hole] = k[first + child], ix[first + child]
        hole = child
    if length % 2 == 0 and child == (length - 2) // 2:
        child = 2 * (child + 1)
        k[first + hole], ix[first + hole] = k[first + child - 1], ix[first + child - 1]
        hole = child - 1
    parent = (hole - 1) // 2  # __push_heap
    while hole > top and _before(k[first + parent], val, desc):
        k[first + hole], ix[first + hole] = k[first + parent], ix[first + parent]
        hole = parent
        parent = (hole - 1) // 2
    k[first + hole], ix[first + hole] = val, vi


@njit(cache=True)
def _pop_heap(k, ix, first, last, result, desc):
    val, vi = k[result], ix[result]
    k[result], ix[result] = k[first], ix[first]
    _adjust_heap(k, ix, first, 0, last - first, val, vi, desc)


@njit(cache=True)
def _heap_select(k, ix, first, middle, last, desc):
    length = middle - first
    if length >= 2:  # __make_heap
        parent = (length - 2) // 2
        while True:
            _adjust_heap(k, ix, first, parent, length, k[first + parent], ix[first + parent], desc)
            if parent == 0:
                break
            parent -= 1
    for i in range(middle, last):
        if _before(k[i], k[first], desc):
            _pop_heap(k, ix, first, middle, i, desc)


@njit(cache=True)
def _partial_sort(k, ix, first, middle, last, desc):
    _heap_select(k, ix, first, middle, last, desc)
    while middle - first > 1:  # __sort_heap
        middle -= 1
        _pop_heap(k, ix, first, middle, middle, desc)


@njit(cache=True)
def _log2(n):
    out = 0
    while n > 1:
        n >>= 1
        out += 1
    return out


@njit(cache=True)
def _std_sort(k, ix, first, last, desc):
    """std::sort: introsort to runs of 16 (heap sort when too deep), then insertion sort.
    The recursion of __introsort_loop becomes a stack: its ranges are disjoint, so the order
    they are handled in does not change the result."""
    if last - first < 2:
        return
    stack = np.empty((2 * 64 + 2, 3), np.int64)
    top = 0
    stack[0, 0], stack[0, 1], stack[0, 2] = first, last, 2 * _log2(last - first)
    top = 1
    while top > 0:
        top -= 1
        lo, hi, depth = stack[top, 0], stack[top, 1], stack[top, 2]
        while hi - lo > _THRESHOLD:
            if depth == 0:
                _partial_sort(k, ix, lo, hi, hi, desc)
                break
            depth -= 1
            cut = _partition_pivot(k, ix, lo, hi, desc)
            stack[top, 0], stack[top, 1], stack[top, 2] = cut, hi, depth
            top += 1
            hi = cut
    if last - first > _THRESHOLD:
        _insertion_sort(k, ix, first, first + _THRESHOLD, desc)
        for i in range(first + _THRESHOLD, last):
            _linear_insert(k, ix, i, desc)
    else:
        _insertion_sort(k, ix, first, last, desc)


@njit(cache=True)
def _nth_element(k, ix, first, nth, last, desc):
    """std::nth_element: introselect, insertion sort on the last short range."""
    if first == last or nth == last:
        return
    depth = 2 * _log2(last - first)
    while last - first > 3:
        if depth == 0:
            _heap_select(k, ix, first, nth + 1, last, desc)
            _swap(k, ix, first, nth)
            return
        depth -= 1
        cut = _partition_pivot(k, ix, first, last, desc)
        if cut <= nth:
            first = cut
        else:
            last = cut
    _insertion_sort(k, ix, first, last, desc)


@njit(cache=True)
def sort_rows(keys, desc, out):
    """out[r] = the positions of keys[r] in std::sort's order (keys is sorted in place)."""
    rows, n = keys.shape
    for r in range(rows):
        ix = out[r]
        for j in range(n):
            ix[j] = j
        _std_sort(keys[r], ix, 0, n, desc)


@njit(cache=True)
def topk_rows(keys, k, largest, sorted_, out):
    """out[r] = the positions of the k largest (smallest) keys of row r, as PyTorch's
    topk_impl_loop orders them: partial_sort when k * 64 <= n, else nth_element and (sorted)
    std::sort of the first k - 1."""
    rows, n = keys.shape
    ix = np.empty(n, np.int64)
    for r in range(rows):
        row = keys[r]
        for j in range(n):
            ix[j] = j
        if k * 64 <= n:
            _partial_sort(row, ix, 0, k, n, largest)
        else:
            _nth_element(row, ix, 0, k - 1, n, largest)
            if sorted_:
                _std_sort(row, ix, 0, k - 1, largest)
        for j in range(k):
            out[r, j] = ix[j]


@njit(cache=True)
def kthvalue_rows(keys, k, out):
    """out[r] = the position of the k-th smallest key (k from 0) of row r, as ATen's
    quick_select_template finds it (median of three, NaN largest)."""
    rows, n = keys.shape
    ix = np.empty(n, np.int64)
    for r in range(rows):
        v = keys[r]
        for j in range(n):
            ix[j] = j
        lo, hi = 0, n - 1
        while hi > lo:
            if hi == lo + 1:
                if _before(v[hi], v[lo], False):
                    _swap(v, ix, lo, hi)
                break
            mid = lo + (hi - lo) // 2
            _swap(v, ix, mid, lo + 1)
            if _before(v[hi], v[lo + 1], False):
                _swap(v, ix, lo + 1, hi)
            if _before(v[hi], v[lo], False):
                _swap(v, ix, lo, hi)
            if _before(v[lo], v[lo + 1], False):
                _swap(v, ix, lo + 1, lo)
            i, j = lo + 1, hi
            pivot = v[lo]
            while True:
                i += 1
                while _before(v[i], pivot, False):
                    i += 1
                j -= 1
                while _before(pivot, v[j], False):
                    j -= 1
                if j < i:
                    break
                _swap(v, ix, i, j)
            _swap(v, ix, lo, j)
            if j <= k:
                lo = i
            if j >= k:
                hi = j - 1
        out[r] = ix[k]


@njit(cache=True)
def scan_rows(src, out, acc, product):
    """out[r, j] = src[r, 0] + ... + src[r, j] (or their product), accumulated in acc's dtype
    (float64 for float32 data, as ATen's CPU scan) and rounded to out's dtype at each store.
    O(rows * n), one pass."""
    rows, n = src.shape
    for r in range(rows):
        a = acc[0]
        for j in range(n):
            if product:
                a = a * src[r, j]
            else:
                a = a + src[r, j]
            out[r, j] = a
