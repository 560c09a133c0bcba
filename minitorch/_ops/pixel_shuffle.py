"""``pixel_shuffle`` / ``pixel_unshuffle``: channels traded for resolution (sub-pixel
convolution, Shi et al. 2016), as PyTorch computes them.

pixel_shuffle: (*, C*r*r, H, W) -> (*, C, H*r, W*r), output[c, h*r + i, w*r + j] =
input[c*r*r + i*r + j, h, w]; pixel_unshuffle is its inverse. Both are a reshape, a
permutation and a contiguous copy; each one's backward is the other.
"""
from __future__ import annotations

import numbers

from .._declare import function
from ..autograd.function import Function
from ..tensor import Tensor


def _shuffled(be, data, shape: tuple, r: int):
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r) on raw arrays."""
    *batch, c, h, w = shape
    lead = len(batch)
    split = be.view(be.contiguous(data), (*batch, c // (r * r), r, r, h, w))
    order = tuple(range(lead)) + (lead, lead + 3, lead + 1, lead + 4, lead + 2)
    return be.reshape(be.contiguous(be.permute(split, order)), (*batch, c // (r * r), h * r, w * r))


def _unshuffled(be, data, shape: tuple, r: int):
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W) on raw arrays."""
    *batch, c, h, w = shape
    lead = len(batch)
    split = be.view(be.contiguous(data), (*batch, c, h // r, r, w // r, r))
    order = tuple(range(lead)) + (lead, lead + 2, lead + 4, lead + 1, lead + 3)
    return be.reshape(be.contiguous(be.permute(split, order)), (*batch, c * r * r, h // r, w // r))


class PixelShuffleBackward0(Function):
    tensor_inputs = 1

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.factor = inputs[1]

    @staticmethod
    def forward(a, r):
        return _shuffled(a._backend, a._data, tuple(a.shape), r)

    @staticmethod
    def backward(ctx, grad):
        return pixel_unshuffle(grad, ctx.factor), None


class PixelUnshuffleBackward0(Function):
    tensor_inputs = 1

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.factor = inputs[1]

    @staticmethod
    def forward(a, r):
        return _unshuffled(a._backend, a._data, tuple(a.shape), r)

    @staticmethod
    def backward(ctx, grad):
        return pixel_shuffle(grad, ctx.factor), None


def _check(name: str, input, factor, what: str) -> int:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if not isinstance(factor, numbers.Integral) or isinstance(factor, bool):
        raise TypeError(f"{name}(): argument '{what}' (position 2) must be int, not {type(factor).__name__}")
    if input.dim() < 3:
        raise RuntimeError(f"{name} expects input to have at least 3 dimensions, but got input with "
                           f"{input.dim()} dimension(s)")
    if factor <= 0:
        raise RuntimeError(f"{name} expects a positive {what}, but got {factor}")
    return int(factor)


@function(functional=True)
def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r) with r = upscale_factor."""
    r = _check("pixel_shuffle", input, upscale_factor, "upscale_factor")
    channels = input.shape[-3]
    if channels % (r * r):
        raise RuntimeError("pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={channels} is not divisible by {r * r}")
    return PixelShuffleBackward0.apply(input, r)


@function(functional=True)
def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W) with r = downscale_factor."""
    r = _check("pixel_unshuffle", input, downscale_factor, "downscale_factor")
    for axis, size in (("height", input.shape[-2]), ("width", input.shape[-1])):
        if size % r:
            raise RuntimeError(f"pixel_unshuffle expects {axis} to be divisible by downscale_factor, but "
                               f"input.size({-2 if axis == 'height' else -1})={size} is not divisible by {r}")
    return PixelUnshuffleBackward0.apply(input, r)
