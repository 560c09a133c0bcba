"""Joins: cat and stack (many tensors into one), repeat (one tensor tiled)."""
from __future__ import annotations

from .. import dtypes
from .._declare import function, method
from .._size import sizes as _sizes
from ..autograd.function import Function
from ..tensor import Tensor
from ._common import wrap_dim


class CatBackward0(Function):
    """apply(*tensors, dim, dtype): the tensors joined along dim (tensors first, so that the
    output's device is the first tensor's and apply looks for gradients there first)."""

    tensor_inputs = -2

    @staticmethod
    def forward(*args):
        tensors, dim, dtype = args[:-2], args[-2], args[-1]
        return tensors[0]._backend.concatenate([t._data for t in tensors], dim, dtype)

    @staticmethod
    def setup_context(ctx, inputs, output):
        dim = ctx.dim = inputs[-2]
        ctx.sizes = [t._data.shape[dim] for t in inputs[:-2]]

    @staticmethod
    def backward(ctx, grad):
        grads, start = [], 0
        for n in ctx.sizes:
            grads.append(grad.narrow(ctx.dim, start, n))
            start += n
        return tuple(grads) + (None, None)


def _check_list(tensors, name: str) -> tuple[list, bool]:
    """tensors as a list, checked (tensors, on one device), and whether all of them have the
    first one's number of dims and dtype (then NumPy's own checks of cat suffice)."""
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}(): argument 'tensors' must be tuple of Tensors, not {type(tensors).__name__}")
    if not tensors:
        if name == "stack":
            raise RuntimeError("stack expects a non-empty TensorList")
        raise ValueError(f"torch.{name}(): expected a non-empty list of Tensors")
    first = tensors[0]
    if not isinstance(first, Tensor):
        raise TypeError(f"expected Tensor as element 0 in argument 0, but got {type(first).__name__}")
    be, ndim, dtype = first._backend, first._data.ndim, first._data.dtype
    uniform = True
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
        if t._backend is not be:
            raise RuntimeError(
                f"Expected all tensors to be on the same device, but found at least two devices, "
                f"{first.device} and {t.device}!")
        data = t._data
        if data.ndim != ndim or data.dtype is not dtype:
            uniform = False
    return list(tensors), uniform


def _promote_all(tensors):
    dtype = tensors[0].dtype
    for t in tensors[1:]:
        dtype = dtypes.promote_types(dtype, t.dtype)
    return dtype


@function(out=True, aliases=("concat", "concatenate"))
def cat(tensors, dim: int = 0) -> Tensor:
    """Tensors of the same shape except in dim, joined along dim."""
    tensors, uniform = _check_list(tensors, "cat")
    ref = tensors[0]
    if uniform and ref._data.ndim:
        # The common case: NumPy's own checks suffice; PyTorch's messages only on failure.
        try:
            return CatBackward0.apply(*tensors, wrap_dim(dim, ref._data.ndim), ref.dtype)
        except ValueError:
            pass
    if ref.dim() == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    d = wrap_dim(dim, ref.dim())
    for i, t in enumerate(tensors):
        if t.dim() != ref.dim():
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {ref.dim()} and {t.dim()}")
        for k in range(ref.dim()):
            if k != d and t.shape[k] != ref.shape[k]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{ref.shape[k]} but got size {t.shape[k]} for tensor number {i} in the list.")
    return CatBackward0.apply(*tensors, d, _promote_all(tensors))


class StackBackward0(Function):
    """apply(*tensors, dim, dtype): the tensors stacked along a new dim (tensors first, as cat)."""

    tensor_inputs = -2

    @staticmethod
    def forward(*args):
        tensors, dim, dtype = args[:-2], args[-2], args[-1]
        return tensors[0]._backend.stack([t._data for t in tensors], dim, dtype)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.dim = inputs[-2]

    @staticmethod
    def backward(ctx, grad):
        return tuple(grad.unbind(ctx.dim)) + (None, None)


@function(out=True)
def stack(tensors, dim: int = 0) -> Tensor:
    """Tensors of one shape, stacked along a new dim."""
    tensors, _ = _check_list(tensors, "stack")
    ref = tensors[0]
    d = wrap_dim(dim, ref.dim() + 1)
    for i, t in enumerate(tensors):
        if t.shape != ref.shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(ref.shape)} at entry 0 "
                f"and {list(t.shape)} at entry {i}")
    return StackBackward0.apply(*tensors, d, _promote_all(tensors))


class RepeatBackward0(Function):
    """Tile a tensor; backward sums the gradient over the copies."""

    @staticmethod
    def forward(ctx, a, reps):
        ctx.shape, ctx.reps = a.shape, reps
        lead = len(reps) - a.dim()
        return a._backend.tile(a._backend.reshape(a._data, (1,) * lead + tuple(a.shape)), reps)

    @staticmethod
    def backward(ctx, grad):
        lead = len(ctx.reps) - len(ctx.shape)
        sizes = (1,) * lead + tuple(ctx.shape)
        # Split each dim d into (reps[d], size[d]) and sum the copies away.
        split = []
        for r, s in zip(ctx.reps, sizes):
            split += [r, s]
        g = grad.reshape(split).sum(dim=tuple(range(0, 2 * len(sizes), 2)))
        return g.reshape(ctx.shape), None


@method
def repeat(self, *sizes) -> Tensor:
    """Tile the tensor sizes[i] times along each dim."""
    a = self
    reps = _sizes(sizes, "repeat", "repeats")
    if len(reps) < a.dim():
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor")
    shape = (1,) * (len(reps) - a.dim()) + tuple(a.shape)
    out = [s * r for s, r in zip(shape, reps)]
    if any(r < 0 for r in reps):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(out)}: {out}")
    return RepeatBackward0.apply(a, reps)
