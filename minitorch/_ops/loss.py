"""The losses, each a graph node or composed of ops: nll_loss, cross_entropy, mse_loss,
l1_loss, binary_cross_entropy (with logits), with PyTorch's checks and messages."""
from __future__ import annotations

import warnings

from .. import dtypes
from .._declare import functional
from ..autograd.function import Function
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from ._common import broadcast_shapes, check_tensor, float_input, number_arg, same_device


class NllLossBackward0(Function):
    """Negative log-likelihood of (N, C) log-probabilities at class-index targets.

    mean: sum(-w[t_i] logp[i, t_i]) / sum(w[t_i]) over non-ignored rows (PyTorch's
    weighted mean); sum; none: one loss per row.
    """

    @staticmethod
    def forward(ctx, logp, target, weight, reduction, ignore_index, out_shape=None):
        be = logp._backend
        w = None if weight is None else weight._data
        ctx.save_for_backward(target, weight)
        ctx.reduction, ctx.ignore_index = reduction, ignore_index
        ctx.shape, ctx.dtype = logp.shape, logp.dtype
        if reduction != "none":
            # The loss and its weight total stay on the device (a bad target raises here on
            # the CPU, at the next sync point on a GPU, as PyTorch's device-side asserts).
            out, ctx.weight_sum = be.nll_loss_reduced(logp._data, target._data, w, ignore_index,
                                                      reduction == "mean")
            return out
        losses, _, _, bad = be.nll_forward(logp._data, target._data, w, ignore_index)
        if bad >= 0:
            raise IndexError(f"Target {int(target.reshape(-1)[bad].item())} is out of bounds.")
        return losses if out_shape is None else be.reshape(losses, out_shape)

    @staticmethod
    def backward(ctx, grad):
        # d loss_i / d logp[i, t_i] = -w[t_i] (times the incoming gradient of row i), 0 elsewhere
        # and on ignored rows.
        target, weight = ctx.saved_tensors
        kept = target != ctx.ignore_index
        t = target.masked_fill(~kept, 0)
        w = kept.to(ctx.dtype) if weight is None else weight[t].masked_fill(~kept, 0)
        values = -(w * _per_row(ctx, grad))
        zeros = grad.new_zeros(ctx.shape)
        return zeros.scatter_add(1, t.unsqueeze(1), values.unsqueeze(1)), None, None, None, None, None

    @staticmethod
    def fused(ctx, grad):
        target, weight = ctx.saved_tensors
        be, w = grad._backend, None if weight is None else weight._data
        if ctx.reduction == "none":
            out = be.nll_backward(be.reshape(grad._data, (ctx.shape[0],)), target._data, w, ctx.ignore_index,
                                  ctx.shape, ctx.dtype)
        else:
            out = be.nll_backward_reduced(grad._data, ctx.weight_sum, target._data, w, ctx.ignore_index,
                                          ctx.reduction == "mean", ctx.shape, ctx.dtype)
        return Tensor._wrap(out, be), None, None, None, None, None


def _per_row(ctx, grad: Tensor) -> Tensor:
    """The incoming gradient of each row's loss (n,), the mean's division included."""
    n = ctx.shape[0]
    if ctx.reduction == "none":
        return grad.reshape(n)
    if ctx.reduction == "mean":
        grad = grad / Tensor._wrap(ctx.weight_sum, grad._backend).to(ctx.dtype)
    return grad.reshape(1).expand(n)


class NllLoss2DBackward0(NllLossBackward0):
    """NLL over (N, C, H, W) log-probabilities, as rows (N*H*W, C) (PyTorch's 2-D node name)."""


def _nll_loss(input: Tensor, target: Tensor, weight=None, ignore_index: int = -100,
              reduction: str = "mean") -> Tensor:
    """input: (N, C) or (C,) or (N, C, d1, ...) log-probabilities; target: class indices (N,) / () / (N, d1, ...)."""
    _check_reduction(reduction)
    if not isinstance(target, Tensor):
        raise TypeError(f"nll_loss_nd(): argument 'target' (position 2) must be Tensor, not {type(target).__name__}")
    same_device(input, target)
    if input.dim() < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.dim()})")
    if input.dim() == 1:
        if target.dim() > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        out = _nll_loss(input.unsqueeze(0), target.reshape(1), weight, ignore_index, reduction)
        return out.squeeze(0) if reduction == "none" else out
    if target.dim() == 0 or input.shape[0] != target.shape[0]:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                         f"({target.shape[0] if target.dim() else 0}).")
    c = input.shape[1]
    if weight is not None and (weight.dim() != 1 or weight.shape[0] != c):
        raise RuntimeError(
            f"weight tensor should be defined either for all {c} classes or no classes but got "
            f"weight tensor of shape: {list(weight.shape)}")
    if input.dim() > 2:
        # (N, C, d1, ...): classes last, one row per position.
        if tuple(target.shape[1:]) != tuple(input.shape[2:]):
            raise RuntimeError(f"Expected target size {[input.shape[0]] + list(input.shape[2:])}, "
                               f"got {list(target.shape)}")
        _check_target_dtype(target)
        rows = input.movedim(1, -1).reshape(-1, c)
        node = NllLoss2DBackward0 if input.dim() == 4 else NllLossBackward0
        return node.apply(rows, target.reshape(-1), weight, reduction, ignore_index, tuple(target.shape))
    if target.dim() != 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    _check_target_dtype(target)
    return NllLossBackward0.apply(input, target, weight, reduction, ignore_index)


def _check_target_dtype(target: Tensor) -> None:
    """Class indices are int64 or uint8 (PyTorch's check, after the shape checks)."""
    if target.dtype is not dtypes.int64 and target.dtype is not dtypes.uint8:
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {target.dtype.legacy_name}")


def _check_reduction(reduction: str) -> None:
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")



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


def legacy_reduction(size_average, reduce, reduction: str) -> str:
    """The reduction the deprecated size_average/reduce arguments ask for (with PyTorch's
    warning), or reduction when neither is given."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    result = "none" if not reduce else ("mean" if size_average else "sum")
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{result}' instead.",
                  stacklevel=3)
    return result


@functional
def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Mean squared error between input and target of the same shape."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_loss_args(input, target, None, "mse_loss")
    _check_reduction(reduction)
    input, target = _same_shape(input, target, "mse_loss")
    return MseLossBackward0.apply(input, target, reduction)


@functional
def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Mean absolute error between input and target of the same shape."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_loss_args(input, target, None, "l1_loss")
    _check_reduction(reduction)
    input, target = _same_shape(input, target, "l1_loss")
    return _reduce((input - target).abs(), reduction)


@functional
def nll_loss(input: Tensor, target: Tensor, weight=None, size_average=None, ignore_index: int = -100,
             reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood: input (N, C) or (N, C, d1, ...) log-probabilities, target (N,)
    or (N, d1, ...) class indices."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_loss_args(input, target, weight, "nll_loss")
    return _nll_loss(input, target, weight, ignore_index, reduction)


@functional
def cross_entropy(input: Tensor, target: Tensor, weight=None, size_average=None, ignore_index: int = -100,
                  reduce=None, reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """log_softmax over the class dim, then NLL (class-index targets) or -sum(target * logp)
    (class-probability targets of the input's shape), with optional label smoothing."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_loss_args(input, target, weight, "cross_entropy")
    _check_reduction(reduction)
    label_smoothing = number_arg(label_smoothing, "cross_entropy", "label_smoothing", 8, "float")
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if input.shape == target.shape and not target.dtype.is_floating_point:
        raise RuntimeError(
            f"Expected floating point type for target with class probabilities, got {target.dtype.legacy_name}")
    class_dim = 0 if input.dim() == 1 else 1
    logp = input.log_softmax(class_dim)
    n_classes = input.shape[class_dim]
    w = None
    if weight is not None:
        if weight.dim() != 1 or weight.shape[0] != n_classes:
            raise RuntimeError(
                f"weight tensor should be defined either for all {n_classes} classes or no classes but got "
                f"weight tensor of shape: {list(weight.shape)}")
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
    nll = _nll_loss(logp, target, weight, ignore_index, reduction)
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


@functional
def binary_cross_entropy(input: Tensor, target: Tensor, weight=None, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    """BCE of probabilities input in [0, 1] against targets of the same shape."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_loss_args(input, target, weight, "binary_cross_entropy")
    _check_reduction(reduction)
    if input.shape != target.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size "
                         f"({input.shape}) is deprecated. Please ensure they have the same size.")
    if target.dtype is not input.dtype:
        raise RuntimeError(f"Found dtype {target.dtype.legacy_name} but expected {input.dtype.legacy_name}")
    # (written as "not inside" so that NaN fails too, as in PyTorch's check)
    if input.numel() and not bool(((input >= 0) & (input <= 1)).all()):
        raise RuntimeError("all elements of input should be between 0 and 1")
    if target.numel() and not bool(((target >= 0) & (target <= 1)).all()):
        raise RuntimeError("all elements of target should be between 0 and 1")
    return BinaryCrossEntropyBackward0.apply(input, target, weight, reduction)


def _check_loss_args(input, target, weight, name: str) -> None:
    """PyTorch's errors for a loss given something else than tensors (an AttributeError from
    its Python-level losses, a TypeError from the others), and its device check."""
    python_level = name not in ("cross_entropy", "nll_loss")
    check_tensor(input, name, attribute_error=python_level)
    check_tensor(target, name, "target", 2, attribute_error=python_level)
    same_device(input, target)
    if weight is not None:
        check_tensor(weight, name, "weight", 3, attribute_error=python_level)
        same_device(input, weight)


class BinaryCrossEntropyWithLogitsBackward0(Function):
    """BCE on logits, stably: (1 - t) x + (1 + (p - 1) t) log(1 + exp(-x)), p = pos_weight."""

    @staticmethod
    def forward(ctx, input, target, weight, pos_weight, reduction):
        ctx.save_for_backward(input, target, weight, pos_weight)
        ctx.reduction = reduction
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


@functional
def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight=None, size_average=None,
                                     reduce=None, reduction: str = "mean", pos_weight=None) -> Tensor:
    """sigmoid + BCE in one numerically stable expression; input and target of the same shape."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_loss_args(input, target, weight, "binary_cross_entropy_with_logits")
    if pos_weight is not None:
        check_tensor(pos_weight, "binary_cross_entropy_with_logits", "pos_weight", 6)
    _check_reduction(reduction)
    if input.shape != target.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    if not target.dtype.is_floating_point:
        raise RuntimeError(f"result type {input.dtype.legacy_name} can't be cast to the desired output type "
                           f"{target.dtype.legacy_name}")
    float_input(input, "binary_cross_entropy_with_logits")
    return BinaryCrossEntropyWithLogitsBackward0.apply(input, target, weight, pos_weight, reduction)
