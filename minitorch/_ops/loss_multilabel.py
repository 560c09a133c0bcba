"""multilabel_margin_loss: the multi-class multi-label hinge loss, PyTorch's formula, node name,
checks and messages.

Each row of target lists the sample's classes and ends at its first -1. Per sample, the loss is
the sum, over its listed classes y and the classes i it does not list, of max(0, 1 - x[y] + x[i]),
divided by the number of classes C (a class listed twice counts twice, as PyTorch). The (N, C, C)
margins are formed at once: O(N C^2) time and memory.
"""
from __future__ import annotations

from .. import dtypes
from .._declare import functional
from ..autograd.function import Function
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from ._common import check_tensor
from .loss import _check_reduction, _reduce, legacy_reduction


def _margins(x: Tensor, t: Tensor):
    """z[n, j, i] = 1 - x[n, t[n, j]] + x[n, i] and where it counts: j before the row's first -1,
    i not a listed class, z > 0. x: (N, C), t: (N, C) int64."""
    listed = (t != -1).to(dtypes.int64).cumprod(1)  # 1 up to the first -1
    index = t.clamp_min(0)
    is_target = x.new_zeros(x.shape, dtype=dtypes.int64).scatter_add(1, index, listed) > 0
    z = 1 - x.gather(1, index).unsqueeze(2) + x.unsqueeze(1)
    active = (listed > 0).unsqueeze(2) & ~is_target.unsqueeze(1) & (z > 0)
    return z, active.to(x.dtype), index


class MultilabelMarginLossBackward0(Function):
    """Per sample: sum over listed y and unlisted i of max(0, 1 - x[y] + x[i]) / C."""

    @staticmethod
    def forward(ctx, input, target, reduction, out_shape):
        ctx.save_for_backward(input, target)
        ctx.reduction = reduction
        with no_grad():
            z, active, _ = _margins(input, target)
            loss = (z * active).sum((1, 2)) / input.shape[1]
            out = _reduce(loss, reduction)
            return out.reshape(out_shape)._data if reduction == "none" else out._data

    @staticmethod
    def backward(ctx, grad):
        x, t = ctx.saved_tensors
        rows, n_classes = x.shape
        _, active, index = _margins(x, t)
        g = grad.reshape(-1).expand(rows)
        g = g / rows if ctx.reduction == "mean" else g
        dz = active * (g / n_classes).reshape(rows, 1, 1)
        # each active margin pulls x[i] up and x[y] down
        g_x = dz.sum(1).scatter_add(1, index, -dz.sum(2))
        return g_x, None, None, None


@functional
def multilabel_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                           reduction: str = "mean") -> Tensor:
    """Multi-label hinge loss: input (N, C) or (C,) scores, target of the same shape holding each
    sample's class indices, padded with -1 after the last."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    check_tensor(input, "multilabel_margin_loss")
    check_tensor(target, "multilabel_margin_loss", "target", 2)
    if input.dim() > 2 or (input.dim() == 2 and input.shape[1] == 0) or (input.dim() == 1 and input.numel() == 0):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{list(input.shape)}")
    rows = input.shape[0] if input.dim() == 2 else 1
    n_classes = input.shape[-1] if input.dim() else 1
    if target.shape != input.shape:
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: "
                           f"{list(input.shape)}")
    if target.dtype is not dtypes.int64:
        raise RuntimeError(f"expected scalar type Long but found {target.dtype.legacy_name}")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(
            f"\"multilabel_margin_loss_forward_out_frame\" not implemented for '{input.dtype.legacy_name}'")
    if target.numel() and (bool((target < -1).any()) or bool((target >= n_classes).any())):
        raise RuntimeError("argument #2 'target' is out of range")
    out_shape = tuple(input.shape[:1]) if input.dim() == 2 else ()
    return MultilabelMarginLossBackward0.apply(input.reshape(rows, n_classes), target.reshape(rows, n_classes),
                                               reduction, out_shape)
