"""Dropout: dropout (one fused pass), the channel-wise dropout1d/2d/3d, alpha_dropout and
feature_alpha_dropout.

dropout draws one float64 uniform per element, as PyTorch's bernoulli_(1 - p) does, and
keeps and scales in one kernel (masked_scale is its fused backward). The others:

The draws are PyTorch's CPU path (ATen's _dropout_impl): a noise tensor, of shape (N, C, 1, ..)
for the channel-wise ("feature") forms and of the input's shape otherwise, filled by
``bernoulli_(1 - p)`` (one float64 uniform per element, in order), so the same seed zeroes
the same channels. The noise is scaled by 1 / (1 - p), rounded in the input's dtype as
PyTorch rounds it, and multiplied into the input, which gives the graph PyTorch shows
(MulBackward0).
"""
from __future__ import annotations

import math
import warnings

from .. import _creation, dtypes, random
from .._declare import functional
from ..autograd.function import Function, kernel
from ..tensor import Tensor
from ._common import bool_arg, check_tensor, number_arg

class MulBackward0(Function):
    """Dropout: x * mask / (1 - p) fused in one pass (PyTorch shows this node as MulBackward0)."""

    fused = kernel("masked_scale", "mask", "scale")

    @staticmethod
    def forward(ctx, a, uniform, p):
        # torch: noise = bernoulli_(1 - p) (kept where a float64 uniform < 1 - p), then
        # noise.div_(1 - p) in a's dtype, so the scale is rounded as dtype(1) / dtype(1 - p)
        scale = float(a.dtype.np.type(1) / a.dtype.np.type(1.0 - p))
        out, mask = a._backend.dropout(a._data, uniform, 1.0 - p, scale)
        ctx.mask, ctx.scale = mask, scale
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad * Tensor._wrap(ctx.mask, grad._backend) * ctx.scale, None, None


@functional
def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1 / (1 - p) (identity when not training)."""
    return _dropout(input, p, training, inplace)


def _dropout(a: Tensor, p: float, training: bool, inplace: bool, generator=None) -> Tensor:
    check_tensor(a, "dropout")
    _check_p(p)
    training = bool_arg(training, "dropout", "train", 3)
    if training and p > 0 and not a.is_floating_point():
        raise RuntimeError(f"result type Float can't be cast to the desired output type {a.dtype.legacy_name}")
    if not training or p == 0.0:
        return a
    if p == 1.0:
        out = a * 0
    else:
        # The draws fill the noise in the input's memory order, as PyTorch's (its noise is an
        # empty_like of the input): a transposed input gets them in another order.
        be, perm = a._backend, _memory_order(a)
        shape = a.shape if perm is None else tuple(a.shape[d] for d in perm)
        uniform = be.random_uniform(shape, dtypes.float64, 0.0, 1.0, random._state(generator))
        if perm is not None:
            uniform = be.permute(uniform, tuple(sorted(range(len(perm)), key=perm.__getitem__)))
        out = MulBackward0.apply(a, uniform, p)
    if inplace:
        return a.copy_(out)
    return out


def _memory_order(a: Tensor):
    """The permutation listing a's dims from the largest stride to the smallest, when that
    differs from the logical order and no dim of size > 1 is broadcast (stride 0); else None."""
    strides, shape = a.stride(), a.shape
    if any(s == 0 and n > 1 for s, n in zip(strides, shape)):
        return None
    perm = sorted(range(len(shape)), key=lambda d: -strides[d])
    return None if perm == sorted(perm) else perm


# SELU's negative saturation value, -scale * alpha, as ATen spells it for alpha dropout
_ALPHA = 1.7580993408473766


def _check_p(p: float) -> None:
    number_arg(p, "dropout", "p", 2, "float")
    if not 0.0 <= p <= 1.0:  # (NaN too)
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _noise(input: Tensor, p: float, feature: bool) -> Tensor:
    """bernoulli_(1 - p) noise: (N, C, 1, ..) for channel-wise dropout, else input's shape."""
    if feature:
        if input.dim() < 2:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        shape = tuple(input.shape[:2]) + (1,) * (input.dim() - 2)
    else:
        shape = tuple(input.shape)
    noise = _creation.empty(shape, dtype=input.dtype, device=input.device)
    return noise.bernoulli_(1.0 - p)


def _in_dtype(input: Tensor, value: float) -> float:
    """value rounded to input's dtype, as PyTorch casts a Python scalar for a float kernel."""
    return float(input.dtype.np.type(value))


def _dropout_impl(input: Tensor, p: float, training: bool, inplace: bool, feature: bool, alpha: bool) -> Tensor:
    """ATen's _dropout_impl: the one body behind every dropout variant."""
    check_tensor(input, "dropout")
    _check_p(p)
    training = bool_arg(training, "dropout", "train", 3)
    if training and p > 0 and not input.is_floating_point() and input.numel():
        raise RuntimeError(f"result type Float can't be cast to the desired output type {input.dtype.legacy_name}")
    if p == 0 or not training or input.numel() == 0:
        return input
    if p == 1:
        zero = _creation.zeros((), dtype=input.dtype, device=input.device)
        out = input.mul_(zero) if inplace else input * zero
        return out
    noise = _noise(input, p, feature)
    if alpha:
        a = 1.0 / math.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
        shift = (noise - 1) * _in_dtype(input, _ALPHA * a) + _in_dtype(input, _ALPHA * a * p)
        noise = noise * _in_dtype(input, a)
    else:
        # noise.div_(1 - p) in the input's dtype: each kept element becomes dtype(1) / dtype(1 - p)
        np_type = input.dtype.np.type
        noise = noise * float(np_type(1) / np_type(1.0 - p))
        shift = None
    out = input.mul_(noise) if inplace else input * noise
    if shift is not None:
        out = out.add_(shift) if inplace else out + shift
    return out


@functional
def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels with probability p, scaling the rest by 1 / (1 - p).
    input: (N, C, L) or (C, L)."""
    check_tensor(input, "dropout1d", attribute_error=True)
    _check_p(p)
    if input.dim() not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.dim()}D input. Note that "
                           "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a "
                           "channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    if input.dim() == 3:
        return _dropout_impl(input, p, training, inplace, feature=True, alpha=False)
    return _unbatched(input, p, training, inplace)


@functional
def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels with probability p, scaling the rest by 1 / (1 - p). input: (N, C, H, W);
    a 3-D input is read as (N, C, L), as PyTorch still does (with its warning)."""
    check_tensor(input, "dropout2d", attribute_error=True)
    _check_p(p)
    ndim = input.dim()
    if ndim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {ndim}-D input to dropout2d, which is deprecated and will result in "
                      "an error in a future release. To retain the behavior and silence this warning, please use "
                      "dropout instead. Note that dropout2d exists to provide channel-wise dropout on inputs with 2 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 3D or 4D "
                      "inputs).", stacklevel=2)
    if ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
                      "This behavior will change in a future release to interpret the input as one without a "
                      "batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, "
                      "please switch to using dropout1d instead.", stacklevel=2)
    return _dropout_impl(input, p, training, inplace, feature=True, alpha=False)


@functional
def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels with probability p, scaling the rest by 1 / (1 - p).
    input: (N, C, D, H, W) or (C, D, H, W)."""
    check_tensor(input, "dropout3d", attribute_error=True)
    _check_p(p)
    ndim = input.dim()
    if ndim not in (4, 5):
        warnings.warn(f"dropout3d: Received a {ndim}-D input to dropout3d, which is deprecated and will result in "
                      "an error in a future release. To retain the behavior and silence this warning, please use "
                      "dropout instead. Note that dropout3d exists to provide channel-wise dropout on inputs with 3 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 4D or 5D "
                      "inputs).", stacklevel=2)
    if ndim == 5:
        return _dropout_impl(input, p, training, inplace, feature=True, alpha=False)
    return _unbatched(input, p, training, inplace)


def _unbatched(input: Tensor, p: float, training: bool, inplace: bool) -> Tensor:
    """Channel-wise dropout of an input without its batch dim: a batch dim of 1 is added, then
    removed (in place, the input itself receives the result and is returned)."""
    out = _dropout_impl(input.unsqueeze(0), p, training, False, feature=True, alpha=False).squeeze(0)
    if inplace and training and p > 0 and input.numel():
        return input.copy_(out)
    return input if inplace else out


@functional
def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Dropout for SELU networks: dropped elements take SELU's saturation value and the result is
    scaled and shifted to keep zero mean and unit variance (identity when not training)."""
    return _dropout_impl(input, p, training, inplace, feature=False, alpha=True)


@functional
def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """alpha_dropout with whole channels dropped: input (N, C, *)."""
    return _dropout_impl(input, p, training, inplace, feature=True, alpha=True)
