"""Picking elements by position: take (of the flattened tensor), take_along_dim (gather with
broadcasting), repeat_interleave (each element or slice repeated in place)."""
from __future__ import annotations

from .. import dtypes
from .._declare import op
from ..autograd.function import Function
from ..tensor import Tensor
from ._common import broadcast_shapes, wrap_dim
from .index_ops import _out_of_range, _wrapped


# ----- take / take_along_dim ------------------------------------------------------------------
class TakeBackward0(Function):
    """input's elements, counted row-major, at index (in index's shape); backward adds back."""

    tensor_inputs = 1

    @staticmethod
    def forward(a, index):
        be = a._backend
        return be.getitem(be.reshape(a._data, (a.numel(),)), (index._data,))

    @staticmethod
    def setup_context(ctx, inputs, output):
        a, ctx.index = inputs
        ctx.shape = a.shape

    @staticmethod
    def backward(ctx, grad):
        n = 1
        for s in ctx.shape:
            n *= s
        flat = grad.new_zeros(n).index_add(0, ctx.index.reshape(-1), grad.reshape(-1))
        return flat.view(ctx.shape), None


@op(out=True)
def take(input: Tensor, index: Tensor) -> Tensor:
    """The elements of input (counted row-major, as if flattened) at index, in index's shape."""
    a = input
    if not isinstance(index, Tensor):
        raise TypeError(f"take(): argument 'index' (position 2) must be Tensor, not {type(index).__name__}")
    if index.dtype is not dtypes.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got {index.dtype.legacy_name}")
    n = a.numel()
    bad = _out_of_range(index, n, True)
    if bad is not None:
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    return TakeBackward0.apply(a, _wrapped(index, n))


@op(out=True)
def take_along_dim(input: Tensor, indices: Tensor, dim=None) -> Tensor:
    """The values of input at indices along dim (gather, with input and indices broadcast in
    the other dims); without dim, at indices of the flattened input."""
    a = input
    if not isinstance(indices, Tensor):
        raise TypeError(f"take_along_dim(): argument 'indices' (position 2) must be Tensor, not "
                        f"{type(indices).__name__}")
    if indices.dtype is not dtypes.int64:
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{indices.dtype.legacy_name}")
    if dim is None:
        return a.reshape(-1).gather(0, indices.reshape(-1))
    d = wrap_dim(dim, a.dim())
    if a.dim() != indices.dim():
        raise RuntimeError(
            "torch.take_along_dim(): input and indices should have the same number of dimensions, but got "
            f"{a.dim()} dimensions for input, and {indices.dim()} dimensions for indices")
    a_shape, i_shape = list(a.shape), list(indices.shape)
    a_shape[d] = i_shape[d] = 1
    common = list(broadcast_shapes(a_shape, i_shape))
    a_target, i_target = list(common), list(common)
    a_target[d], i_target[d] = a.shape[d], indices.shape[d]
    a = a if list(a.shape) == a_target else a.expand(a_target)
    indices = indices if list(indices.shape) == i_target else indices.expand(i_target)
    return a.gather(d, indices)


# ----- repeat_interleave ----------------------------------------------------------------------
def _repeat_index(repeats: Tensor) -> Tensor:
    """0, 1, 1, 2, 2, 2 for repeats (1, 2, 3): each position repeats[i] times (device ops only)."""
    ends = repeats.cumsum(0)
    total = int(ends[-1].item()) if repeats.numel() else 0
    marks = repeats.new_zeros(total)
    starts = ends[:-1]
    starts = starts[starts < total]
    if starts.numel():
        marks = marks.index_add(0, starts, starts.new_ones(starts.numel()))
    return marks.cumsum(0)


@op
def repeat_interleave(input: Tensor, repeats=None, dim=None, *, output_size=None) -> Tensor:
    """Each element (or slice along dim) of input repeated repeats times in place (repeats: an
    int or a tensor of one count per slice); without dim, of the flattened input.
    ``repeat_interleave(repeats)`` alone gives the index 0, ..., 0, 1, ... it implies."""
    if repeats is None:
        return _repeat_counts(input)
    a = input
    if dim is None:
        a = a.reshape(-1)
        d = 0
    else:
        d = wrap_dim(dim, a.dim())
    if isinstance(repeats, Tensor) and repeats.numel() == 1 and repeats.dim() <= 1:
        repeats = int(repeats.item())
    if isinstance(repeats, Tensor):
        if repeats.dim() != 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        if repeats.shape[0] != a.shape[d]:
            raise RuntimeError(f"repeats must have the same size as input along dim, but got repeats.size(0) = "
                               f"{repeats.shape[0]} and input.size({d}) = {a.shape[d]}")
        index = _repeat_counts(repeats)
        if output_size is not None and index.numel() != output_size:
            raise RuntimeError("allocated size does not match required size")
        return a.index_select(d, index)
    if not isinstance(repeats, int) or isinstance(repeats, bool):
        raise TypeError(f"repeat_interleave(): argument 'repeats' must be int or Tensor, not {type(repeats).__name__}")
    if repeats < 0:
        raise RuntimeError("Repeats must be non-negative")
    shape = list(a.shape)
    expanded = shape[:d + 1] + [repeats] + shape[d + 1:]
    out_shape = shape[:d] + [shape[d] * repeats] + shape[d + 1:]
    return a.unsqueeze(d + 1).expand(expanded).contiguous().view(out_shape)


def _repeat_counts(repeats: Tensor) -> Tensor:
    """repeat_interleave(repeats): the positions 0.. each repeated repeats[i] times."""
    if not isinstance(repeats, Tensor):
        raise TypeError(f"repeat_interleave(): argument 'repeats' must be Tensor, not {type(repeats).__name__}")
    if repeats.dtype not in (dtypes.int64, dtypes.int32):
        raise RuntimeError("repeats has to be Long or Int tensor")
    if repeats.dim() != 1:
        raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
    if repeats.numel() and int(repeats.min()) < 0:
        raise RuntimeError("repeats can not be negative")
    return _repeat_index(repeats.to(dtypes.int64))
