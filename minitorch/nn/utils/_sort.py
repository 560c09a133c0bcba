"""The order in which PyTorch's CPU ``torch.sort(lengths, descending=True)`` leaves equal keys.

PyTorch sorts (key, index) pairs with ``std::sort`` and a key-only comparison, which is not
stable: for more than 16 elements, equal lengths come out in an order decided by libstdc++'s
introsort. pack_padded_sequence(enforce_sorted=False) exposes that order (the packed rows,
``sorted_indices``, and the dropout mask a multi-layer RNN draws over the packed rows), so
this module replays the same algorithm step for step: median-of-three quicksort down to
runs of 16, a heapsort where the recursion gets too deep, then one insertion sort.
O(n log n) Python operations on the batch's lengths (a few dozen numbers).
"""
from __future__ import annotations

_THRESHOLD = 16  # libstdc++'s _S_threshold


def sort_descending(keys: list) -> list[int]:
    """The permutation torch.sort(torch.tensor(keys), descending=True) returns as indices."""
    items = [(k, i) for i, k in enumerate(keys)]
    n = len(items)
    if n > 1:
        _introsort_loop(items, 0, n, 2 * (n.bit_length() - 1))
        _final_insertion_sort(items, 0, n)
    return [i for _, i in items]


def _before(a, b) -> bool:
    """The comparison: a goes first when its key is larger (PyTorch's KeyValueCompDesc)."""
    return a[0] > b[0]


def _introsort_loop(a: list, first: int, last: int, depth: int) -> None:
    while last - first > _THRESHOLD:
        if depth == 0:
            _heap_sort(a, first, last)
            return
        depth -= 1
        cut = _partition_pivot(a, first, last)
        _introsort_loop(a, cut, last, depth)
        last = cut


def _partition_pivot(a: list, first: int, last: int) -> int:
    mid = first + (last - first) // 2
    _move_median_to_first(a, first, first + 1, mid, last - 1)
    return _unguarded_partition(a, first + 1, last, first)


def _move_median_to_first(a: list, result: int, x: int, y: int, z: int) -> None:
    if _before(a[x], a[y]):
        if _before(a[y], a[z]):
            pick = y
        elif _before(a[x], a[z]):
            pick = z
        else:
            pick = x
    elif _before(a[x], a[z]):
        pick = x
    elif _before(a[y], a[z]):
        pick = z
    else:
        pick = y
    a[result], a[pick] = a[pick], a[result]


def _unguarded_partition(a: list, first: int, last: int, pivot: int) -> int:
    while True:
        while _before(a[first], a[pivot]):
            first += 1
        last -= 1
        while _before(a[pivot], a[last]):
            last -= 1
        if not first < last:
            return first
        a[first], a[last] = a[last], a[first]
        first += 1


def _final_insertion_sort(a: list, first: int, last: int) -> None:
    if last - first > _THRESHOLD:
        _insertion_sort(a, first, first + _THRESHOLD)
        for i in range(first + _THRESHOLD, last):
            _unguarded_linear_insert(a, i)
    else:
        _insertion_sort(a, first, last)


def _insertion_sort(a: list, first: int, last: int) -> None:
    for i in range(first + 1, last):
        if _before(a[i], a[first]):
            val = a[i]
            a[first + 1:i + 1] = a[first:i]
            a[first] = val
        else:
            _unguarded_linear_insert(a, i)


def _unguarded_linear_insert(a: list, last: int) -> None:
    val = a[last]
    nxt = last - 1
    while _before(val, a[nxt]):
        a[last] = a[nxt]
        last = nxt
        nxt -= 1
    a[last] = val


def _heap_sort(a: list, first: int, last: int) -> None:
    """std::__partial_sort(first, last, last): make_heap, then sort_heap."""
    n = last - first
    for parent in range((n - 2) // 2, -1, -1):
        _adjust_heap(a, first, parent, n, a[first + parent])
    while n > 1:
        n -= 1
        val = a[first + n]
        a[first + n] = a[first]
        _adjust_heap(a, first, 0, n, val)


def _adjust_heap(a: list, first: int, hole: int, length: int, val) -> None:
    top = hole
    child = hole
    while child < (length - 1) // 2:
        child = 2 * (child + 1)
        if _before(a[first + child], a[first + child - 1]):
            child -= 1
        a[first + hole] = a[first + child]
        hole = child
    if length % 2 == 0 and child == (length - 2) // 2:
        child = 2 * (child + 1)
        a[first + hole] = a[first + child - 1]
        hole = child - 1
    # __push_heap
    parent = (hole - 1) // 2
    while hole > top and _before(a[first + parent], val):
        a[first + hole] = a[first + parent]
        hole = parent
        parent = (hole - 1) // 2
    a[first + hole] = val
