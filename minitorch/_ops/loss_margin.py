"""Margin and embedding losses: soft_margin_loss, margin_ranking_loss, hinge_embedding_loss,
cosine_embedding_loss, triplet_margin_loss (and its distance-function form), multi_margin_loss,
multilabel_soft_margin_loss, with PyTorch's formulas, node names, checks and messages.

soft_margin_loss and multi_margin_loss are graph nodes of their own (as PyTorch's kernels);
the others are composed of ops as PyTorch composes them.
"""
from __future__ import annotations

from .. import dtypes
from .._declare import functional
from ..autograd.function import Function
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from ._common import check_tensor
from .distance import pairwise_distance
from .loss import _check_reduction, _log_sigmoid, _reduce, legacy_reduction
from .where import where


class SoftMarginLossBackward0(Function):
    """log(1 + exp(-y x)): d/dx = -y e / (1 + e), e = exp(-y x)."""

    @staticmethod
    def forward(ctx, input, target, reduction):
        ctx.save_for_backward(input, target)
        ctx.reduction, ctx.numel = reduction, max(input.numel(), target.numel())
        with no_grad():
            return _reduce((-input * target).exp().log1p(), reduction)._data

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        e = (-y * x).exp()
        g = grad / ctx.numel if ctx.reduction == "mean" else grad
        share = e / (1 + e) * g
        return -y * share, (-x * share if y.requires_grad else None), None


@functional
def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """Two-class logistic loss log(1 + exp(-target * input)), target in {-1, 1}."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    check_tensor(input, "soft_margin_loss")
    check_tensor(target, "soft_margin_loss", "target", 2)
    return SoftMarginLossBackward0.apply(input, target, reduction)


@functional
def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0, size_average=None,
                        reduce=None, reduction: str = "mean") -> Tensor:
    """max(0, -target * (input1 - input2) + margin): target 1 ranks input1 higher, -1 input2."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    for position, (arg, x) in enumerate((("input1", input1), ("input2", input2), ("target", target)), 1):
        check_tensor(x, "margin_ranking_loss", arg, position, attribute_error=True)  # (PyTorch calls .dim())
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(
            f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {input1.shape}, input2: {input2.shape}, target: {target.shape} ")
    return _reduce((-target * (input1 - input2) + margin).clamp_min(0), reduction)


@functional
def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    """input where target is 1, max(0, margin - input) where target is -1 (input: distances)."""
    check_tensor(input, "hinge_embedding_loss")
    check_tensor(target, "hinge_embedding_loss", "target", 2)
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    zeros = input.new_zeros(input.shape)
    output_margin = where(target != 1, (margin - input).clamp_min(0), zeros)
    output_self = where(target != -1, input, zeros)
    return _reduce(output_margin + output_self, reduction)


@functional
def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0, size_average=None,
                          reduce=None, reduction: str = "mean") -> Tensor:
    """1 - cos(input1, input2) where target is 1, max(0, cos - margin) where it is -1;
    inputs (N, D) or (D,), target (N,) or ()."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    for position, (arg, x) in enumerate((("input1", input1), ("input2", input2), ("target", target)), 1):
        check_tensor(x, "cosine_embedding_loss", arg, position)
    targ_dim = target.dim()
    if targ_dim != 1 and targ_dim != 0:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if targ_dim == 1:
        if input1.dim() != 2 or input2.dim() != 2:
            raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs with sizes "
                               f"{list(input1.shape)} and {list(input2.shape)}.")
    elif input1.dim() != 1 or input2.dim() != 1:
        raise RuntimeError(f"0D target tensor expects 1D input tensors, but found inputs with sizes "
                           f"{list(input1.shape)} and {list(input2.shape)}.")
    eps = 1e-12
    prod_sum = (input1 * input2).sum(targ_dim)
    mag_square1 = (input1 * input1).sum(targ_dim) + eps
    mag_square2 = (input2 * input2).sum(targ_dim) + eps
    cos = prod_sum / (mag_square1 * mag_square2).sqrt()
    zeros = cos.new_zeros(cos.shape)
    output_pos = where(target == 1, 1 - cos, zeros)
    output_neg = where(target == -1, (cos - margin).clamp_min(0), zeros)
    return _reduce(output_pos + output_neg, reduction)


@functional
def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean") -> Tensor:
    """max(0, d(a, p) - d(a, n) + margin) with the p-norm distance; swap uses min(d(a, n), d(p, n))."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    for position, (arg, x) in enumerate((("anchor", anchor), ("positive", positive), ("negative", negative)), 1):
        check_tensor(x, "triplet_margin_loss", arg, position)
    dims = (anchor.dim(), positive.dim(), negative.dim())
    if len(set(dims)) != 1:
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number of dimensions, "
            f"but got: anchor {dims[0]}D, positive {dims[1]}D, and negative {dims[2]}D inputs")
    dist_pos = pairwise_distance(anchor, positive, p, eps)
    dist_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        dist_neg = dist_neg.minimum(pairwise_distance(positive, negative, p, eps))
    return _reduce((margin + dist_pos - dist_neg).clamp_min(0), reduction)


@functional
def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *,
                                      distance_function=None, margin: float = 1.0, swap: bool = False,
                                      reduction: str = "mean") -> Tensor:
    """max(0, d(a, p) - d(a, n) + margin) for any distance function (pairwise_distance by default)."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    for position, (arg, x) in enumerate((("anchor", anchor), ("positive", positive), ("negative", negative)), 1):
        check_tensor(x, "triplet_margin_with_distance_loss", arg, position, attribute_error=True)
    dims = (anchor.dim(), positive.dim(), negative.dim())
    if len(set(dims)) != 1:
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number of dimensions, "
            f"but got: anchor {dims[0]}D, positive {dims[1]}D, and negative {dims[2]}D inputs")
    distance = distance_function if distance_function is not None else pairwise_distance
    dist_pos = distance(anchor, positive)
    dist_neg = distance(anchor, negative)
    if swap:
        dist_neg = dist_neg.minimum(distance(positive, negative))
    return _reduce((margin + dist_pos - dist_neg).clamp_min(0), reduction)


class MultiMarginLossBackward0(Function):
    """Per sample: sum over j != y of w[y] max(0, margin - x[y] + x[j])^p / C."""

    @staticmethod
    def forward(ctx, input, target, p, margin, weight, reduction, out_shape):
        ctx.save_for_backward(input, target, weight)
        ctx.p, ctx.margin, ctx.reduction = p, margin, reduction
        with no_grad():
            out = _reduce(_multi_margin_terms(input, target, p, margin, weight)[0], reduction)
            return out.reshape(out_shape)._data if reduction == "none" else out._data

    @staticmethod
    def backward(ctx, grad):
        x, t, w = ctx.saved_tensors
        rows, n_classes = x.shape
        _, z, active, scale = _multi_margin_terms(x, t, ctx.p, ctx.margin, w)
        g = grad.reshape(-1).expand(rows)
        g = g / rows if ctx.reduction == "mean" else g
        dz = active * (z * 2 if ctx.p == 2 else 1) * (scale * g / n_classes).unsqueeze(1)
        # each active margin pulls x[j] up and x[y] down
        g_x = dz.scatter_add(1, t.unsqueeze(1), -dz.sum(1, keepdim=True))
        return g_x, None, None, None, None, None, None


def _multi_margin_terms(x: Tensor, t: Tensor, p: int, margin: float, w):
    """The per-sample losses (N,), the margins z (N, C), where they count (z > 0, j != y) and
    each sample's weight w[y] (or 1)."""
    n_classes = x.shape[1]
    z = margin - x.gather(1, t.unsqueeze(1)) + x
    active = (z > 0) & (t.unsqueeze(1) != _arange(x, n_classes))
    active = active.to(x.dtype)
    h = z * z if p == 2 else z
    scale = w[t] if w is not None else x.new_ones(x.shape[0])
    return (h * active).sum(1) * scale / n_classes, z, active, scale


def _arange(like: Tensor, n: int) -> Tensor:
    from .._creation import arange
    return arange(n, device=like.device)


@functional
def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0, weight=None,
                      size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Multi-class hinge loss: input (N, C) or (C,) scores, target (N,) or () class indices."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    check_tensor(input, "multi_margin_loss")
    check_tensor(target, "multi_margin_loss", "target", 2)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    if input.dim() > 2 or (input.dim() == 2 and input.shape[1] == 0) or (input.dim() == 1 and input.numel() == 0):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{list(input.shape)}")
    rows = input.shape[0] if input.dim() == 2 else 1
    n_classes = input.shape[-1] if input.dim() else 1
    if target.dim() > 1 or target.numel() != rows:
        raise RuntimeError(
            "multi_margin_loss: target tensor should be 1-D with size equal to the number of input samples "
            f"(batch size). Expected target size [{rows}], but got {list(target.shape)}. Input has shape "
            f"{list(input.shape)}.")
    if target.dtype is not dtypes.int64:
        raise RuntimeError(f"expected scalar type Long but found {target.dtype.legacy_name}")
    if weight is not None and weight.numel() != n_classes:
        raise RuntimeError(f"inconsistent weight size, expected {n_classes} but got {list(weight.shape)}")
    if rows and (bool((target < 0).any()) or bool((target >= n_classes).any())):
        raise RuntimeError("target out of range")
    x = input.reshape(rows, n_classes)
    return MultiMarginLossBackward0.apply(x, target.reshape(rows), p, margin, weight, reduction,
                                          tuple(target.shape))


@functional
def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight=None, size_average=None, reduce=None,
                                reduction: str = "mean") -> Tensor:
    """Per sample, the mean over classes of the logistic losses of input against 0/1 targets."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_tensor(input, "log_sigmoid")  # (PyTorch's first use of input)
    check_tensor(target, "multilabel_soft_margin_loss", "target", 2)
    loss = -(target * _log_sigmoid(input) + (1 - target) * _log_sigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    loss = loss.sum(class_dim) / input.shape[class_dim]
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not valid")
    return _reduce(loss, reduction)
