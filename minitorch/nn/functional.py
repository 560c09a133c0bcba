"""nn.functional: layers and losses as functions (``import minitorch.nn.functional as F``)."""
from __future__ import annotations

import warnings

from .. import dtypes
from ..autograd.function import Function
from ..autograd.ops import nn as _nn
from ..autograd.ops._common import broadcast_shapes
from ..tensor import Tensor

_CONV = ("conv2d", "max_pool2d", "avg_pool2d", "batch_norm")
_ATTENTION = ("scaled_dot_product_attention", "multi_head_attention_forward", "layer_norm", "rms_norm", "group_norm")


__all__ = [
    "relu",
    "leaky_relu",
    "gelu",
    "sigmoid",
    "tanh",
    "softmax",
    "log_softmax",
    "dropout",
    "linear",
    "embedding",
    "one_hot",
    "flatten",
    "mse_loss",
    "l1_loss",
    "nll_loss",
    "cross_entropy",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
]

def __getattr__(name: str):
    # Convolution, pooling and batch norm live in _functional_conv.py, loaded on first use.
    if name in _CONV:
        from . import _functional_conv
        return getattr(_functional_conv, name)
    if name in _ATTENTION:
        from . import _functional_attention
        return getattr(_functional_attention, name)
    raise AttributeError(f"module 'minitorch.nn.functional' has no attribute '{name}'")

# ----- activations ------------------------------------------------------------------------


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0) elementwise (in place with inplace=True)."""
    return input.relu_() if inplace else input.relu()


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, else negative_slope * x, elementwise."""
    out = _nn.leaky_relu(input, negative_slope)
    return input.copy_(out) if inplace else out


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x) elementwise (approximate='tanh': PyTorch's tanh formula)."""
    return _nn.gelu(input, approximate)


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-x)) elementwise."""
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent elementwise."""
    return input.tanh()


def softmax(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """exp(x) / sum(exp(x)) along dim, computed stably."""
    return _nn.softmax(input, dim, dtype)


def log_softmax(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """x - log(sum(exp(x))) along dim, computed stably in one fused pass."""
    return _nn.log_softmax(input, dim, dtype)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1 / (1 - p) (identity when not training)."""
    return _nn.dropout(input, p, training, inplace)


def linear(input: Tensor, weight: Tensor, bias=None) -> Tensor:
    """input (*, in) @ weight^T + bias, weight (out, in), bias (out,)."""
    return _nn.linear(input, weight, bias)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False) -> Tensor:
    """weight[input]: input (*) integer indices, weight (num_embeddings, dim) -> (*, dim)."""
    return _nn.embedding(input, weight, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding: (*) class indices -> (*, num_classes)."""
    if tensor.dtype is not dtypes.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        num_classes = int(tensor.max().item()) + 1 if tensor.numel() else 0
    if tensor.numel() and (int(tensor.min().item()) < 0 or int(tensor.max().item()) >= num_classes):
        raise RuntimeError("Class values must be smaller than num_classes." if tensor.numel() and
                           int(tensor.min().item()) >= 0 else "Class values must be non-negative.")
    from .._creation import arange
    return (tensor.unsqueeze(-1) == arange(num_classes)).long()


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Dims start_dim..end_dim of input folded into one."""
    return input.flatten(start_dim, end_dim)


# ----- losses -------------------------------------------------------------------------------


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _same_shape(input: Tensor, target: Tensor, name: str):
    if input.shape != target.shape:
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
            "This will likely lead to incorrect results due to broadcasting. Please ensure they have "
            "the same size.", stacklevel=3)
        shape = broadcast_shapes(input.shape, target.shape)
        input, target = input.expand(shape), target.expand(shape)
    return input, target


class MseLossBackward0(Function):
    """(input - target)^2, reduced by mean/sum or kept: d/dinput = 2 (input - target) [/ n]."""

    @staticmethod
    def forward(ctx, input, target, reduction):
        ctx.save_for_backward(input, target)
        ctx.reduction = reduction
        be = input._backend
        dtype = dtypes.promote_types(input.dtype, target.dtype)
        diff = be.binary("sub", input._data, target._data, dtype)
        sq = be.binary("mul", diff, diff, dtype)
        if reduction == "mean":
            return be.mean(sq, None, False, dtype)
        if reduction == "sum":
            return be.reduce("sum", sq, None, False, dtype)
        return sq

    @staticmethod
    def backward(ctx, grad):
        input, target = ctx.saved_tensors
        diff = input - target
        scale = 2.0 / diff.numel() if ctx.reduction == "mean" else 2.0
        g = grad * scale * diff
        return g, -g if target.requires_grad else None, None


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Mean squared error between input and target of the same shape."""
    _nn._check_reduction(reduction)
    input, target = _same_shape(input, target, "mse_loss")
    return MseLossBackward0.apply(input, target, reduction)


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Mean absolute error between input and target of the same shape."""
    _nn._check_reduction(reduction)
    input, target = _same_shape(input, target, "l1_loss")
    return _reduce((input - target).abs(), reduction)


def nll_loss(input: Tensor, target: Tensor, weight=None, size_average=None, ignore_index: int = -100,
             reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood: input (N, C) log-probabilities, target (N,) class indices."""
    return _nn.nll_loss(input, target, weight, ignore_index, reduction)


def cross_entropy(input: Tensor, target: Tensor, weight=None, size_average=None, ignore_index: int = -100,
                  reduce=None, reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """log_softmax over the class dim, then NLL (class-index targets) or -sum(target * logp)
    (class-probability targets of the input's shape), with optional label smoothing."""
    _nn._check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    class_dim = 0 if input.dim() == 1 else 1
    logp = input.log_softmax(class_dim)
    n_classes = input.shape[class_dim]
    w = None
    if weight is not None:
        shape = [1] * input.dim()
        shape[class_dim] = n_classes
        w = weight.reshape(shape)
    if input.shape == target.shape:
        if not target.dtype.is_floating_point:
            raise RuntimeError(
                f"Expected floating point type for target with class probabilities, got {target.dtype.legacy_name}")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / n_classes
        terms = logp * target if w is None else logp * target * w
        if reduction == "none":
            return -terms.sum(class_dim)
        if reduction == "sum":
            return -terms.sum()
        return -terms.sum() / (input.numel() // n_classes) if input.numel() else -terms.sum() * float("nan")
    nll = _nn.nll_loss(logp, target, weight, ignore_index, reduction)
    if label_smoothing <= 0:
        return nll
    smooth = -(logp if w is None else logp * w).sum(class_dim)
    ignored = target == ignore_index
    smooth = smooth.masked_fill(ignored, 0.0)
    if reduction == "mean":
        if weight is not None:
            kept = target[~ignored]
            smooth = smooth.sum() / weight[kept].sum()
        else:
            smooth = smooth.sum() / (~ignored).sum()
    elif reduction == "sum":
        smooth = smooth.sum()
    return (1 - label_smoothing) * nll + smooth * (label_smoothing / n_classes)


class BinaryCrossEntropyBackward0(Function):
    """-w (t log(x) + (1 - t) log(1 - x)), logs clamped at -100 as in PyTorch."""

    @staticmethod
    def forward(ctx, input, target, weight, reduction):
        ctx.save_for_backward(input, target, weight)
        ctx.reduction = reduction
        from ..autograd.grad_mode import no_grad
        with no_grad():
            loss = _bce_terms(input, target, weight)
            return _reduce(loss, reduction)._data

    @staticmethod
    def backward(ctx, grad):
        x, t, w = ctx.saved_tensors
        eps = 1e-12
        g = (x - t) / ((1 - x) * x).clamp(min=eps)
        if w is not None:
            g = g * w
        if ctx.reduction == "mean":
            g = g / x.numel()
        grad_t = None
        if t.requires_grad:
            # d loss / dt = log(1 - x) - log(x), with PyTorch's clamp of the logs at -100
            gt = (1 - x).log().clamp(min=-100) - x.log().clamp(min=-100)
            if w is not None:
                gt = gt * w
            if ctx.reduction == "mean":
                gt = gt / x.numel()
            grad_t = grad * gt
        return grad * g, grad_t, None, None


def _bce_terms(x: Tensor, t: Tensor, w) -> Tensor:
    loss = -(t * x.log().clamp(min=-100) + (1 - t) * (1 - x).log().clamp(min=-100))
    return loss * w if w is not None else loss


def binary_cross_entropy(input: Tensor, target: Tensor, weight=None, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    """BCE of probabilities input in [0, 1] against targets of the same shape."""
    _nn._check_reduction(reduction)
    if input.shape != target.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size "
                         f"({input.shape}) is deprecated. Please ensure they have the same size.")
    if input.numel() and (bool((input < 0).any()) or bool((input > 1).any())):
        raise RuntimeError("all elements of input should be between 0 and 1")
    return BinaryCrossEntropyBackward0.apply(input, target, weight, reduction)


class BinaryCrossEntropyWithLogitsBackward0(Function):
    """BCE on logits, stably: (1 - t) x + (1 + (p - 1) t) log(1 + exp(-x)), p = pos_weight."""

    @staticmethod
    def forward(ctx, input, target, weight, pos_weight, reduction):
        ctx.save_for_backward(input, target, weight, pos_weight)
        ctx.reduction = reduction
        from ..autograd.grad_mode import no_grad
        with no_grad():
            return _reduce(_bce_logits_terms(input, target, weight, pos_weight), reduction)._data

    @staticmethod
    def backward(ctx, grad):
        x, t, w, pw = ctx.saved_tensors
        s = x.sigmoid()
        g = s - t if pw is None else (pw * t + 1 - t) * s - pw * t
        if w is not None:
            g = g * w
        if ctx.reduction == "mean":
            g = g / x.numel()
        grad_t = None
        if t.requires_grad:
            # d loss / dt = -x - (pos_weight - 1) log(sigmoid(x))
            gt = -x if pw is None else -x - (pw - 1) * _log_sigmoid(x)
            if w is not None:
                gt = gt * w
            if ctx.reduction == "mean":
                gt = gt / x.numel()
            grad_t = grad * gt
        return grad * g, grad_t, None, None, None


def _log_sigmoid(x: Tensor) -> Tensor:
    # log(sigmoid(x)) = min(x, 0) - log(1 + exp(-|x|)), stable for large |x|.
    return x.clamp(max=0) - (-x.abs()).exp().log1p()


def _bce_logits_terms(x: Tensor, t: Tensor, w, pw) -> Tensor:
    if pw is None:
        loss = (1 - t) * x - _log_sigmoid(x)
    else:
        loss = (1 - t) * x - (1 + (pw - 1) * t) * _log_sigmoid(x)
    return loss * w if w is not None else loss


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight=None, size_average=None,
                                     reduce=None, reduction: str = "mean", pos_weight=None) -> Tensor:
    """sigmoid + BCE in one numerically stable expression; input and target of the same shape."""
    _nn._check_reduction(reduction)
    if input.shape != target.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    return BinaryCrossEntropyWithLogitsBackward0.apply(input, target, weight, pos_weight, reduction)
