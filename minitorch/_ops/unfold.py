"""``Tensor.unfold(dimension, size, step)``: the windows of length size, step apart, along a
dimension, as a new last dimension (the patches of a vision transformer).

input (..., L, ...) -> (..., (L - size) // step + 1, ..., size). The windows are gathered
with one advanced index (a copy: PyTorch returns a view, so writing into the result does not
reach the input here); backward adds each window's gradient back at its positions, overlapping
windows accumulating.
"""
from __future__ import annotations

from .._creation import arange
from .._declare import method
from .. import dtypes
from ..autograd.function import Function
from ..tensor import Tensor
from ._common import wrap_dim


def _window_index(a: Tensor, dim: int, windows: int, size: int, step: int) -> tuple:
    """The getitem index taking a[..., windows x size positions, ...] along dim."""
    starts = arange(windows, dtype=dtypes.int64, device=a.device).mul(step).unsqueeze(1)
    positions = starts + arange(size, dtype=dtypes.int64, device=a.device).unsqueeze(0)
    return (slice(None),) * dim + (positions._data,)


class UnfoldBackward0(Function):
    tensor_inputs = 1

    @staticmethod
    def setup_context(ctx, inputs, output):
        a, ctx.dim, ctx.windows, ctx.size, ctx.step = inputs
        ctx.shape, ctx.dtype = tuple(a.shape), a.dtype

    @staticmethod
    def forward(a, dim, windows, size, step):
        be = a._backend
        taken = be.getitem(a._data, _window_index(a, dim, windows, size, step))  # (..., windows, size, ...)
        order = list(range(a.dim() + 1))
        order.append(order.pop(dim + 1))
        return be.contiguous(be.permute(taken, order))

    @staticmethod
    def backward(ctx, grad):
        return _UnfoldGrad.apply(grad, ctx.shape, ctx.dim, ctx.windows, ctx.size, ctx.step), None, None, None, None


class _UnfoldGrad(Function):
    """zeros(shape) with each window's gradient added back at its positions (differentiable:
    its own backward is unfold again)."""

    tensor_inputs = 1

    @staticmethod
    def setup_context(ctx, inputs, output):
        _, _, ctx.dim, ctx.windows, ctx.size, ctx.step = inputs

    @staticmethod
    def forward(grad, shape, dim, windows, size, step):
        be = grad._backend
        order = list(range(grad.dim()))
        order.insert(dim + 1, order.pop())  # (..., windows, ..., size) -> (..., windows, size, ...)
        values = be.permute(grad._data, order)
        out = be.zeros(shape, grad.dtype)
        be.index_put_add(out, _window_index(grad, dim, windows, size, step), values)
        return out

    @staticmethod
    def backward(ctx, grad):
        return UnfoldBackward0.apply(grad, ctx.dim, ctx.windows, ctx.size, ctx.step), None, None, None, None, None


@method
def unfold(self, dimension: int, size: int, step: int) -> Tensor:
    """The windows of length size, step apart, along dimension, as a new last dimension."""
    if self.dim() == 0:
        wrap_dim(dimension, 0)
        length, dim = 1, 0
    else:
        dim = wrap_dim(dimension, self.dim())
        length = self.shape[dim]
    if size > length:
        raise RuntimeError(f"maximum size for tensor at dimension {dim} is {length} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if self.dim() == 0:
        return self.reshape(1)
    return UnfoldBackward0.apply(self, dim, (length - size) // step + 1, size, step)
