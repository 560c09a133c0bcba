"""Counting and summary statistics: searchsorted, bucketize, histc, count_nonzero, std_mean,
var_mean, aminmax."""
from __future__ import annotations

import math

from .. import dtypes
from .._declare import function, op
from ..tensor import Tensor
from ._common import check_tensor, is_number
from .reduce import _ReturnType


class aminmax_return(_ReturnType):  # noqa: N801 - torch.return_types.aminmax
    """(min, max), like torch.return_types.aminmax."""

    _name = "aminmax"

    @property
    def min(self):
        return self[0]

    @property
    def max(self):
        return self[1]

    def __repr__(self) -> str:
        return f"torch.return_types.aminmax(\nmin={self[0]!r},\nmax={self[1]!r})"


@function(out=True)
def searchsorted(sorted_sequence: Tensor, input, *, out_int32: bool = False, right: bool = False,
                 side: str | None = None, sorter: Tensor | None = None) -> Tensor:
    """Where each value of input would be inserted in sorted_sequence's last dim to keep it sorted:
    the first such index (the last with right=True or side='right'). sorted_sequence is 1-D or
    has input's leading dims; int64 (int32 with out_int32) indices of input's shape."""
    check_tensor(sorted_sequence, "searchsorted", "sorted_sequence", 1)
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of "
                               "left while right was True")
        right = side == "right"
    scalar = is_number(input)
    values = sorted_sequence.new_tensor(input) if scalar else check_tensor(input, "searchsorted", "input", 2)
    seq = sorted_sequence
    if seq.dim() != 1 and (seq.dim() != values.dim() or seq.shape[:-1] != values.shape[:-1]):
        raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                           "dimensions of boundaries tensor and input value tensor must match, but we got "
                           f"boundaries tensor {list(seq.shape)} and input value tensor {list(values.shape)}")
    if sorter is not None:
        check_tensor(sorter, "searchsorted", "sorter")
        if sorter.shape != seq.shape:
            raise RuntimeError("torch.searchsorted(): boundary and sorter must have the same size, but got "
                               f"boundary tensor {list(seq.shape)}and got sorter tensor {list(sorter.shape)}")
        if sorter.dtype is not dtypes.int64:
            raise RuntimeError("torch.searchsorted(): sorter must be a tensor of long dtype but got dtype "
                               f"{sorter.dtype}")
    common = dtypes.promote_types(seq.dtype, values.dtype)
    seq_data = seq.to(common).detach()._data
    value_data = values.to(common).detach()._data
    be = seq._backend
    result = Tensor._wrap(be.searchsorted(seq_data, value_data, bool(right),
                                          None if sorter is None else sorter._data), be)
    return result.to(dtypes.int32) if out_int32 else result


@function(out=True)
def bucketize(input, boundaries: Tensor, *, out_int32: bool = False, right: bool = False) -> Tensor:
    """The bucket of each value of input between the sorted 1-D boundaries: the index i with
    boundaries[i-1] < x <= boundaries[i] (boundaries[i-1] <= x < boundaries[i] with right=True)."""
    check_tensor(boundaries, "bucketize", "boundaries", 2)
    if boundaries.dim() != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.dim()})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


@op(out=True)
def histc(input: Tensor, bins: int = 100, min=0, max=0) -> Tensor:
    """A histogram of input in `bins` equal-width bins over [min, max] (the data's range when both
    are 0), as input's dtype; values outside are ignored and max falls in the last bin."""
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{input.dtype.legacy_name}'")
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    data = input.detach().reshape(-1)
    lo, hi = float(min), float(max)
    if lo > hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    if lo == hi and data.numel():
        lo, hi = data.min().item(), data.max().item()
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{lo:g}, {hi:g}] is not finite")
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    # The bounds and their span as the dtype holds them; each value's bin is
    # trunc((x - lo) * bins / span) in the dtype's arithmetic (PyTorch's histc: no search of the edges).
    bounds = data.new_tensor([lo, hi])
    lo, hi = bounds[0].item(), bounds[1].item()
    span = (bounds[1] - bounds[0]).item()
    inside = data[(data >= lo) & (data <= hi)]
    position = inside.sub(lo).mul(bins).div(span).floor().long().clamp(max=bins - 1)
    return position.bincount(minlength=bins).to(input.dtype)


@op
def count_nonzero(input: Tensor, dim=None) -> Tensor:
    """How many elements are not zero, over dim (an int or a tuple; all dims by default): int64."""
    if dim is None:
        return (input != 0).sum()
    return (input != 0).sum(dim)


def _split_unbiased(dim, unbiased):
    """std_mean(input, True) passes `unbiased` where dim would be."""
    if isinstance(dim, bool):
        return None, dim
    return dim, unbiased


@function
def std_mean(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> tuple:
    """(std, mean) over dim, with std's correction rules."""
    check_tensor(input, "std_mean", "input")
    dim, unbiased = _split_unbiased(dim, unbiased)
    std = input.std(dim, unbiased, keepdim, correction=correction)
    return std, input.mean(dim, keepdim) if dim is not None else input.mean().reshape(std.shape)


@function
def var_mean(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> tuple:
    """(var, mean) over dim, with var's correction rules."""
    check_tensor(input, "var_mean", "input")
    dim, unbiased = _split_unbiased(dim, unbiased)
    var = input.var(dim, unbiased, keepdim, correction=correction)
    return var, input.mean(dim, keepdim) if dim is not None else input.mean().reshape(var.shape)


@op
def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False) -> aminmax_return:
    """(amin, amax) over dim (all elements when dim is None), as torch.return_types.aminmax."""
    if input.numel() == 0 and (dim is None or input.dim() == 0 or input.shape[dim] == 0):
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has "
                           "no identity.")
    if dim is None:
        low, high = input.amin(), input.amax()
        if keepdim:
            shape = (1,) * input.dim()
            low, high = low.reshape(shape), high.reshape(shape)
        return aminmax_return(low, high)
    return aminmax_return(input.amin(dim, keepdim), input.amax(dim, keepdim))
