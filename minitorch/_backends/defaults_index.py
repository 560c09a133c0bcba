"""Defaults of the index extras of the backend interface (see base.py): the diagonal view and
sorting, selection, scans and counting (sort, topk, kthvalue, cumsum/cumprod, unique, bincount,
scatter_reduce), which run PyTorch's CPU algorithms on the host (selection.py): each is a NumPy
round trip through to_numpy / from_numpy, so any backend has them from its core."""
from __future__ import annotations

from . import scans_host, selection
from .defaults_linalg import LinalgDefaults


class IndexDefaults(LinalgDefaults):
    """Mixin of Backend: the index extras (and, through LinalgDefaults, the linear-algebra ones
    until base.py names that mixin among Backend's own)."""

    # ----- views ---------------------------------------------------------------------------
    def diagonal(self, a, offset: int, dim1: int, dim2: int):
        """A view of a's diagonal over dims dim1, dim2 (shifted by offset), as the last dim of
        the other dims; None when the device cannot describe it (the op then copies)."""
        return None

    # ----- sorting, selection, scans and counting (host: selection.py) ---------------------
    def _host_pair(self, pair):
        return self.from_numpy(pair[0]), self.from_numpy(pair[1])

    def sort(self, a, dim: int, descending: bool, stable: bool):
        """(values, int64 indices) of a sorted along dim; ties in PyTorch's CPU order (host)."""
        return self._host_pair(selection.sort(self.to_numpy(a), dim, descending, stable))

    def topk(self, a, k: int, dim: int, largest: bool, sorted_: bool):
        """(values, int64 indices) of the k largest (smallest) along dim (host)."""
        return self._host_pair(selection.topk(self.to_numpy(a), k, dim, largest, sorted_))

    def kthvalue(self, a, k: int, dim: int):
        """(values, int64 indices) of the k-th smallest along dim, dim removed (host)."""
        return self._host_pair(selection.kthvalue(self.to_numpy(a), k, dim))

    def cumulative(self, op: str, a, dim: int, dtype):
        """Running "sum" or "prod" along dim as dtype, accumulated as PyTorch's CPU (host)."""
        return self.from_numpy(selection.cumulative(op, self.to_numpy(a), dim, dtype.np))

    def cumulative_extreme(self, op: str, a, dim: int):
        """(running "max" or "min" along dim, int64 indices where each was reached), ties and
        NaN as PyTorch's CPU (host)."""
        return self._host_pair(scans_host.cumulative_extreme(op, self.to_numpy(a), dim))

    def logcumsumexp(self, a, dim: int):
        """log(cumsum(exp(a))) along dim, a running log-add-exp as PyTorch's CPU (host)."""
        return self.from_numpy(scans_host.logcumsumexp(self.to_numpy(a), dim))

    def searchsorted(self, sorted_sequence, values, right: bool, sorter):
        """int64 insertion points of values in sorted_sequence's last dim (host)."""
        order = None if sorter is None else self.to_numpy(sorter)
        return self.from_numpy(scans_host.searchsorted(self.to_numpy(sorted_sequence), self.to_numpy(values),
                                                       right, order))

    def unique(self, a, return_inverse: bool, return_counts: bool, dim):
        """(sorted unique values, int64 inverse, int64 counts), of elements or of slices along
        dim (host)."""
        return tuple(self.from_numpy(x) for x in selection.unique(self.to_numpy(a), return_inverse,
                                                                 return_counts, dim))

    def unique_consecutive(self, a, dim):
        """(values, int64 inverse, int64 counts) of runs of equal elements or slices (host)."""
        return tuple(self.from_numpy(x) for x in selection.unique_consecutive(self.to_numpy(a), dim))

    def bincount(self, a, weights, minlength: int, dtype):
        """Occurrences of each value of a 1-D non-negative integer array, or their summed
        weights as dtype (host)."""
        w = None if weights is None else self.to_numpy(weights)
        return self.from_numpy(selection.bincount(self.to_numpy(a), w, minlength, dtype.np))

    def scatter_reduce(self, out, dim: int, index, src, reduce: str) -> None:
        """out[..., index[..., i, ...], ...] = reduce(it, src[..., i, ...]) along dim, in place;
        reduce is "sum", "prod", "amax" or "amin" (host)."""
        host = self.to_numpy(out).copy()
        selection.scatter_reduce(host, dim, self.to_numpy(index), self.to_numpy(src), reduce)
        self.copy_into(out, self.from_numpy(host))
