"""tril and triu: the lower / upper triangle of the last two dims, the rest set to 0."""
from __future__ import annotations

from .._creation import arange
from .._declare import op
from ..autograd.function import Function
from ..tensor import Tensor


def _check_diagonal(fn: str, diagonal) -> None:
    if isinstance(diagonal, bool) or not isinstance(diagonal, int):
        raise TypeError(f"{fn}(): argument 'diagonal' (position 2) must be int, not {type(diagonal).__name__}")


def _outside_band(input: Tensor, diagonal: int, lower: bool) -> Tensor:
    """Bool (rows, cols) mask of the elements tril (lower) / triu zeroes: j - i > diagonal for
    tril, j - i < diagonal for triu, where i, j index the last two dims."""
    rows, cols = input.shape[-2], input.shape[-1]
    offset = arange(cols, device=input.device) - arange(rows, device=input.device).unsqueeze(-1)
    return offset > diagonal if lower else offset < diagonal


class TrilBackward0(Function):
    """Lower triangle of the last two dims (j - i <= diagonal kept); backward: grad.tril(diagonal)."""

    tensor_inputs = 1

    @staticmethod
    def forward(input, diagonal):
        return input._backend.where(_outside_band(input, diagonal, True)._data, 0, input._data, input.dtype)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.diagonal = inputs[1]

    @staticmethod
    def backward(ctx, grad):
        return tril(grad, ctx.diagonal), None


class TriuBackward0(Function):
    """Upper triangle of the last two dims (j - i >= diagonal kept); backward: grad.triu(diagonal)."""

    tensor_inputs = 1

    @staticmethod
    def forward(input, diagonal):
        return input._backend.where(_outside_band(input, diagonal, False)._data, 0, input._data, input.dtype)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.diagonal = inputs[1]

    @staticmethod
    def backward(ctx, grad):
        return triu(grad, ctx.diagonal), None


@op(inplace=True, out=True)
def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of input (*, m, n): elements with j - i > diagonal set to 0."""
    _check_diagonal("tril", diagonal)
    if input.dim() < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return TrilBackward0.apply(input, diagonal)


@op(inplace=True, out=True)
def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of input (*, m, n): elements with j - i < diagonal set to 0."""
    _check_diagonal("triu", diagonal)
    if input.dim() < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return TriuBackward0.apply(input, diagonal)
