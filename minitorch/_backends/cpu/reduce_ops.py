"""The reduction entries of the CPU op table (a mixin of CPUBackend): sum, prod, amax/amin,
all/any over any dims, mean, var, argmax/argmin, and the fused logsumexp over rows. Raw NumPy
arrays in and out."""
import numpy as np

from . import kernels
from .elementwise_ops import _arr

# The ufuncs' own reduce: np.sum & co. add a Python layer that costs a microsecond.
_REDUCE = {"sum": np.add.reduce, "prod": np.multiply.reduce, "amax": np.maximum.reduce,
           "amin": np.minimum.reduce, "all": np.logical_and.reduce, "any": np.logical_or.reduce}


def _signed_zero_of_ties(a, dims, out, last: bool):
    """amax/amin results that are zero take the sign of the first zero of their slice (row-major
    order), as PyTorch's reduction loop keeps its accumulator on ties (NumPy's takes the new
    element): amax of (0., -0.) is 0., of (-0., 0.) is -0. With last, the last zero's sign (the
    whole-tensor max()/min() of PyTorch reduces in vector registers, which keep the newer value)."""
    nd = a.ndim
    dims = tuple(range(nd)) if dims is None else tuple(d % nd for d in dims) if nd else ()
    if not dims:
        return out
    rest = [i for i in range(nd) if i not in dims]
    n = 1
    for d in dims:
        n *= a.shape[d]
    rows = np.transpose(a, rest + list(dims)).reshape(-1, n)
    if not out.flags.c_contiguous:  # NumPy keeps a transposed input's layout in the result
        out = out.copy(order="C")
    flat = out.reshape(-1)
    hit = np.flatnonzero(flat == 0)
    sub = rows[hit]
    if last:
        pick = n - 1 - np.argmax(sub[:, ::-1] == 0, axis=1)
    else:
        pick = np.argmax(sub == 0, axis=1)
    flat[hit] = sub[np.arange(hit.size), pick]
    return out


class ReduceOps:
    def reduce(self, op: str, a, dims: tuple, keepdim: bool, dtype=None, last_on_ties: bool = False):
        """op over the axes dims (a tuple), keeping them as size 1 when keepdim.

        A zero result of amax/amin takes the sign of the first zero of its slice, or of the
        last one with last_on_ties (PyTorch's max()/min() of a whole tensor)."""
        if op in ("sum", "prod"):
            out = _REDUCE[op](a, axis=dims, keepdims=keepdim, dtype=None if dtype is None else dtype.np)
        elif op in ("all", "any"):
            out = _REDUCE[op](a.astype(bool, copy=False), axis=dims, keepdims=keepdim)
        else:
            out = _arr(_REDUCE[op](a, axis=dims, keepdims=keepdim))
            if out.dtype.kind == "f" and out.size and (out == 0).any():
                out = _signed_zero_of_ties(a, dims, out, last_on_ties)
        return _arr(out)

    def prod_of_others(self, a, dim: int):
        """For each element, the product of the others along dim (exclusive cumulative products)."""
        if a.ndim == 0:
            return np.ones_like(a)
        n = a.shape[dim]
        ones = np.ones_like(np.take(a, [0], axis=dim)) if n else a
        # The ufunc's own accumulate: np.cumprod's Python layer would attribute inf * 0
        # warnings to NumPy's frame, outside the filter on minitorch's frames.
        before = np.multiply.accumulate(np.concatenate([ones, np.take(a, range(n - 1), axis=dim)], axis=dim), axis=dim)
        rev = np.flip(a, dim)
        after = np.multiply.accumulate(np.concatenate([ones, np.take(rev, range(n - 1), axis=dim)], axis=dim), axis=dim)
        return before * np.flip(after, dim)

    def mean(self, a, dims, keepdim, dtype):
        """sum / count (NumPy's mean costs twice as much and warns on empty input)."""
        total = _arr(np.add.reduce(a, axis=dims, keepdims=keepdim, dtype=dtype.np))
        count = a.size if dims is None else int(np.prod([a.shape[d] for d in dims]))
        return np.divide(total, count, out=total, casting="unsafe") if total.ndim else _arr(total / count)

    def var(self, a, dims, correction, keepdim):
        """Two-pass variance: sum((a - mean)^2) / (count - correction)."""
        count = a.size if dims is None else int(np.prod([a.shape[d] for d in dims]))
        centered = a - _arr(np.sum(a, axis=dims, keepdims=True)) / count
        squares = _arr(np.add.reduce(centered * centered, axis=dims, keepdims=keepdim))
        with np.errstate(invalid="ignore", divide="ignore"):  # no degrees of freedom: nan, as PyTorch
            return _arr(squares / a.dtype.type(max(count - correction, 0)))

    def arg_reduce(self, op: str, a, dim: int, keepdim: bool):
        """argmax/argmin along one axis as int64 (first occurrence, NaN counts as the extreme)."""
        fn = np.argmax if op == "argmax" else np.argmin
        return np.asarray(fn(a, axis=dim, keepdims=keepdim)).astype(np.int64, copy=False)

    def take_along(self, a, index, dim: int):
        return np.take_along_axis(a, index, axis=dim)

    def logsumexp_lastdim(self, a):
        """logsumexp over the last axis of a 2-D array with at least one column."""
        out = np.empty(a.shape[0], a.dtype)
        kernels.logsumexp_rows(np.ascontiguousarray(a), out)
        return out
