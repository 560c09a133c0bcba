"""tril and triu: the lower / upper triangle of the last two dims, the rest set to 0."""
from __future__ import annotations

from .._creation import arange
from .._declare import op
from ..autograd.function import Function
from ..tensor import Tensor


class _Band(Function):
    """Keep one triangle of the last two dims, zero the rest; backward: the same triangle of grad.
    ``lower``: tril keeps j - i <= diagonal, triu keeps j - i >= diagonal (i, j: row, column)."""

    tensor_inputs = 1
    lower = True

    @classmethod
    def forward(cls, input, diagonal):
        rows, cols = input.shape[-2], input.shape[-1]
        offset = arange(cols, device=input.device) - arange(rows, device=input.device).unsqueeze(-1)
        outside = offset > diagonal if cls.lower else offset < diagonal
        return input._backend.where(outside._data, 0, input._data, input.dtype)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.diagonal = inputs[1]

    @staticmethod
    def backward(ctx, grad):
        return _band(grad, ctx.diagonal, type(ctx)), None


class TrilBackward0(_Band):
    lower = True


class TriuBackward0(_Band):
    lower = False


def _band(input: Tensor, diagonal, fn: type[_Band]) -> Tensor:
    name = "tril" if fn.lower else "triu"
    if isinstance(diagonal, bool) or not isinstance(diagonal, int):
        raise TypeError(f"{name}(): argument 'diagonal' (position 2) must be int, not {type(diagonal).__name__}")
    if input.dim() < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
    return fn.apply(input, diagonal)


@op(inplace=True, out=True)
def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of input (*, m, n): elements with j - i > diagonal set to 0."""
    return _band(input, diagonal, TrilBackward0)


@op(inplace=True, out=True)
def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of input (*, m, n): elements with j - i < diagonal set to 0."""
    return _band(input, diagonal, TriuBackward0)
