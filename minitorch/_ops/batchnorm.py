"""batch_norm: per-channel normalisation with batch or running statistics, one graph node
(NativeBatchNormBackward0) whose fused kernel is the backward unless create_graph."""
from __future__ import annotations

from .._declare import op
from ..autograd.function import Function
from ..tensor import Tensor
from .conv import _check_tensor


class NativeBatchNormBackward0(Function):
    """y = (x - mean) / sqrt(var + eps) * weight + bias per channel of x: (N, C, *).

    training: mean and biased var of this batch (and the running stats, when given, move
    toward it by momentum, with the unbiased var); otherwise the running stats.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, training, momentum, eps):
        be = x._backend
        dtype = x.dtype
        if training:
            mean, var = be.batch_norm_stats(x._data)
            if running_mean is not None:
                count = x.numel() // x.shape[1]
                be.batch_norm_update_stats(running_mean._data, running_var._data, mean, var, momentum, count)
                running_mean._vbox[0] += 1  # (the in-place update PyTorch's version counters see)
                running_var._vbox[0] += 1
        else:
            # Copies: the running stats may move before this node's backward runs.
            mean, var = be.copy(running_mean._data), running_var._data
        invstd = be.unary("rsqrt", be.binary("add", var, eps, dtype))
        ctx.save_for_backward(x, weight)
        ctx.stats = (mean, invstd)
        ctx.training = training
        ctx.eps = eps
        ctx.needs = (weight is not None and weight._requires_grad, bias is not None and bias._requires_grad)
        return be.batch_norm_apply(x._data, mean, invstd, None if weight is None else weight._data,
                                   None if bias is None else bias._data)

    @staticmethod
    def backward(ctx, grad):
        # In training the batch statistics are recomputed from x, so that their dependence on
        # x is differentiated too under create_graph.
        x, weight = ctx.saved_tensors
        dims = (0,) + tuple(range(2, x.dim()))
        stat_shape = (1, x.shape[1]) + (1,) * (x.dim() - 2)
        if ctx.training:
            centered = x - x.mean(dims, keepdim=True)
            invstd = ((centered * centered).mean(dims, keepdim=True) + ctx.eps).rsqrt()
        else:
            mean, invstd_raw = ctx.stats
            centered = x - _wrap(mean, x).view(stat_shape)
            invstd = _wrap(invstd_raw, x).view(stat_shape)
        xhat = centered * invstd
        scale = invstd if weight is None else invstd * weight.view(stat_shape)
        if ctx.training:
            gx = (grad - grad.mean(dims, keepdim=True) - xhat * (grad * xhat).mean(dims, keepdim=True)) * scale
        else:
            gx = grad * scale
        return _needed(ctx, x, gx, (grad * xhat).sum(dims), grad.sum(dims))

    @staticmethod
    def fused(ctx, grad):
        x, weight = ctx.saved_tensors
        mean, invstd = ctx.stats
        raw = grad._backend.batch_norm_backward(grad._data, x._data, mean, invstd,
                                                None if weight is None else weight._data, ctx.training)
        return _needed(ctx, x, *(_wrap(r, grad) for r in raw))


def _wrap(data, like: Tensor) -> Tensor:
    return Tensor._wrap(data, like._backend)


def _needed(ctx, x, gx, gw, gb) -> tuple:
    """The gradients of (x, weight, bias) that are needed, None for the rest."""
    need_w, need_b = ctx.needs
    return (gx if x._requires_grad else None, gw if need_w else None, gb if need_b else None,
            None, None, None, None, None)
@op(method=False, functional=True)
def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-05) -> Tensor:
    """Normalise each channel of input: (N, C, *) by the batch's mean and biased var (training;
    running stats, when given, are updated in place with momentum and the unbiased var) or by
    running_mean/running_var (eval), then scale by weight: (C,) and shift by bias: (C,)."""
    _check_tensor("batch_norm", "input", 1, input)
    for position, (name, t) in enumerate((("running_mean", running_mean), ("running_var", running_var),
                                          ("weight", weight), ("bias", bias)), 2):
        if t is not None:
            _check_tensor("batch_norm", name, position, t)
    if training:
        size = input.shape
        count = size[0] if len(size) else 1
        for s in size[2:]:
            count *= s
        if count == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {size!r}")
    if input.dim() < 2:
        n = max(input.dim(), 1)
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got 1)")
    channels = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is None and not training:
            raise RuntimeError(f"{name} must be defined in evaluation mode")
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        if t is not None and t.numel() != channels:
            raise RuntimeError(f"{name} should contain {channels} elements not {t.numel()}")
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"\"batch_norm\" not implemented for '{input.dtype.legacy_name}'")
    if any(t is not None and t.dtype is not input.dtype for t in (running_mean, running_var, weight, bias)):
        raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")
    if input.numel() == 0:
        return input.clone()
    return NativeBatchNormBackward0.apply(input, weight, bias, running_mean, running_var, bool(training),
                                          float(momentum), float(eps))
