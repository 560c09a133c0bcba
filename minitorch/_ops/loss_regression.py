"""Regression and distribution losses: smooth_l1_loss, huber_loss, kl_div, poisson_nll_loss,
gaussian_nll_loss, with PyTorch's formulas, node names, checks and messages.

smooth_l1 and huber are graph nodes of their own (as PyTorch's kernels); the others are
composed of ops exactly as PyTorch composes them, so their gradients and ``grad_fn`` are
those of the composition.
"""
from __future__ import annotations

import math
import warnings

from .._declare import functional
from ..autograd.function import Function
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from ._common import broadcast_shapes, check_tensor
from .loss import _check_reduction, _reduce, l1_loss, legacy_reduction
from .where import where


def warn_and_broadcast(input: Tensor, target: Tensor) -> tuple:
    """PyTorch's warning for a target of another size than the input, then both broadcast."""
    if target.shape != input.shape:
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
            "This will likely lead to incorrect results due to broadcasting. Please ensure they have "
            "the same size.", stacklevel=3)
        shape = broadcast_shapes(input.shape, target.shape)
        input, target = input.expand(shape), target.expand(shape)
    return input, target


def _mean_scale(grad: Tensor, ctx) -> Tensor:
    """The incoming gradient of each element's loss (divided by n for the mean)."""
    return grad / ctx.numel if ctx.reduction == "mean" else grad


class SmoothL1LossBackward0(Function):
    """0.5 z^2 / beta where |z| < beta, else |z| - 0.5 beta (z = input - target);
    d/dinput = clamp(z / beta, -1, 1)."""

    @staticmethod
    def forward(ctx, input, target, reduction, beta):
        ctx.save_for_backward(input, target)
        ctx.reduction, ctx.beta, ctx.numel = reduction, beta, input.numel()
        with no_grad():
            z = input - target
            absolute = z.abs()
            loss = where(absolute < beta, 0.5 * z * z / beta, absolute - 0.5 * beta)
            return _reduce(loss, reduction)._data

    @staticmethod
    def backward(ctx, grad):
        input, target = ctx.saved_tensors
        z = input - target
        beta = ctx.beta
        slope = where(z < -beta, -1.0, where(z > beta, 1.0, z / beta))
        g = _mean_scale(grad, ctx) * slope
        return g, (-g if target.requires_grad else None), None, None


class HuberLossBackward0(Function):
    """0.5 z^2 where |z| < delta, else delta (|z| - 0.5 delta); d/dinput = clamp(z, -delta, delta)."""

    @staticmethod
    def forward(ctx, input, target, reduction, delta):
        ctx.save_for_backward(input, target)
        ctx.reduction, ctx.delta, ctx.numel = reduction, delta, input.numel()
        with no_grad():
            z = input - target
            absolute = z.abs()
            loss = where(absolute < delta, 0.5 * z * z, delta * (absolute - 0.5 * delta))
            return _reduce(loss, reduction)._data

    @staticmethod
    def backward(ctx, grad):
        input, target = ctx.saved_tensors
        z = input - target
        delta = ctx.delta
        slope = where(z < -delta, -delta, where(z > delta, delta, z))
        g = _mean_scale(grad, ctx) * slope
        return g, (-g if target.requires_grad else None), None, None


@functional
def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """Squared error below beta, absolute error above it (L1 for beta = 0); same shapes."""
    check_tensor(input, "smooth_l1_loss", attribute_error=True)  # (PyTorch's Python code calls .size())
    check_tensor(target, "smooth_l1_loss", "target", 2, attribute_error=True)
    input, target = warn_and_broadcast(input, target)
    reduction = legacy_reduction(size_average, reduce, reduction)
    if beta == 0.0:
        return l1_loss(input, target, reduction=reduction)
    _check_reduction(reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    return SmoothL1LossBackward0.apply(input, target, reduction, beta)


@functional
def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """Squared error below delta, delta-scaled absolute error above it; optional per-element weight."""
    check_tensor(input, "huber_loss", attribute_error=True)  # (PyTorch's Python code calls .size())
    check_tensor(target, "huber_loss", "target", 2, attribute_error=True)
    input, target = warn_and_broadcast(input, target)
    if weight is None:
        _check_reduction(reduction)
    elif weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    if weight is None:
        return HuberLossBackward0.apply(input, target, reduction, delta)
    loss = HuberLossBackward0.apply(input, target, "none", delta) * weight
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")
    return _reduce(loss, reduction)


def _xlogy(x: Tensor, y: Tensor) -> Tensor:
    """x * log(y), 0 where x == 0 (PyTorch's xlogy, NaN where y is)."""
    return where((x == 0) & ~y.isnan(), 0.0, x * y.log())


@functional
def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """KL(target || exp(input)) pointwise: input log-probabilities, target probabilities (or
    log-probabilities with log_target); reduction also 'batchmean' (the sum over the batch size)."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, reduction)
    elif reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support size."
            "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
            "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
            stacklevel=2)
    _check_reduction("sum" if reduction == "batchmean" else reduction)
    check_tensor(input, "kl_div")
    check_tensor(target, "kl_div", "target", 2)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = _xlogy(target, target) - target * input
    if reduction == "batchmean":
        reduced = loss.sum()
        return reduced / input.shape[0] if input.dim() != 0 else reduced
    return _reduce(loss, reduction)


@functional
def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average=None, eps: float = 1e-8, reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of target under Poisson(rate): rate = exp(input) with log_input,
    else input; full adds Stirling's approximation of log(target!) (where target > 1)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    check_tensor(input, "poisson_nll_loss")
    check_tensor(target, "poisson_nll_loss", "target", 2)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + (2 * math.pi * target).log() * 0.5
        loss = loss + stirling.masked_fill(target <= 1, 0)
    return _reduce(loss, reduction)


@functional
def gaussian_nll_loss(input: Tensor, target: Tensor, var, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of target under N(input, var): 0.5 (log var + (input - target)^2 / var)
    (+ 0.5 log(2 pi) when full); var of input's shape, one dim short, or broadcastable in one dim."""
    check_tensor(input, "gaussian_nll_loss", attribute_error=True)  # (PyTorch's Python code calls .size())
    check_tensor(target, "gaussian_nll_loss", "target", 2)
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * input.new_ones(input.shape)
    elif not isinstance(var, Tensor):
        raise TypeError(f"any() received an invalid combination of arguments - got ({type(var < 0).__name__}), "
                        "but expected one of:\n * (Tensor input, *, Tensor out = None)\n"
                        " * (Tensor input, tuple of ints dim = None, bool keepdim = False, *, Tensor out = None)\n"
                        " * (Tensor input, int dim, bool keepdim = False, *, Tensor out = None)\n")
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if var.shape != input.shape:
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)  # one variance per row of the last dim
        elif not (input.dim() == var.dim()
                  and sum(v for i, v in zip(input.shape, var.shape) if i != v) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not valid")
    var = var.clone()
    with no_grad():
        var.clamp_(min=eps)  # for stability, without changing the gradient's path
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)
