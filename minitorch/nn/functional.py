"""nn.functional: the functional forms of layers and losses."""
from __future__ import annotations

from ..autograd.function import Function
from ..tensor import Tensor


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction")


class MseLossBackward0(Function):
    """mean/sum of (input - target)^2 in one node: d/dinput = 2 (input - target) / n."""

    @staticmethod
    def forward(ctx, input, target, reduction):
        ctx.save_for_backward(input, target)
        ctx.reduction = reduction
        be = input._backend
        dtype = input.dtype
        diff = be.binary("sub", input._data, target._data, dtype)
        sq = be.binary("mul", diff, diff, dtype)
        if reduction == "mean":
            return be.mean(sq, None, False, dtype)
        return be.reduce("sum", sq, None, False, dtype)

    @staticmethod
    def backward(ctx, grad):
        input, target = ctx.saved_tensors
        diff = input - target
        scale = 2.0 / diff.numel() if ctx.reduction == "mean" else 2.0
        g = grad * scale * diff
        return g, -g if target.requires_grad else None, None


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Mean squared error; input and target of the same shape (broadcasting warns in PyTorch)."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if input.shape != target.shape:
        import warnings
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
            "This will likely lead to incorrect results due to broadcasting. Please ensure they have "
            "the same size.", stacklevel=2)
        from ..autograd.ops._common import broadcast_shapes
        shape = broadcast_shapes(input.shape, target.shape)
        input, target = input.expand(shape), target.expand(shape)
    if reduction == "none":
        return (input - target) ** 2
    return MseLossBackward0.apply(input, target, reduction)
