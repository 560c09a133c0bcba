"""conv2d: PyTorch's argument checks and output size, and its graph nodes (named as PyTorch
names them). Each gradient is itself an op (``ConvolutionBackwardBackward0``), so
``create_graph=True`` differentiates through a convolution again."""
from __future__ import annotations

import warnings

from .._declare import op
from .._size import Size
from ..autograd.function import Function
from ..autograd.grad_mode import _enabled
from ..tensor import Tensor


def _check_tensor(fn: str, name: str, position: int, value) -> None:
    if not isinstance(value, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be Tensor, "
                        f"not {type(value).__name__}")


def _int_list(fn: str, name: str, value) -> list:
    """An int or a sequence of ints as a list (an int stays a 1-list)."""
    if isinstance(value, bool) or not isinstance(value, (int, tuple, list, Size)):
        raise TypeError(f"{fn}(): argument '{name}' must be tuple of ints, not {type(value).__name__}")
    values = [value] if isinstance(value, int) else list(value)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise TypeError(f"{fn}(): argument '{name}' must be tuple of ints, but found element of "
                        f"type {type(next(v for v in values if not isinstance(v, int))).__name__}")
    return values


def _dims(shape) -> str:
    return "[" + ", ".join(map(str, shape)) + "]"


# ----- conv2d -------------------------------------------------------------------------------

class ConvolutionBackward0(Function):
    """out = conv2d(x, weight) + bias; x: (N, C, H, W), weight: (O, C/groups, kh, kw).

    d/dx is the transposed convolution of grad, d/dweight the correlation of x with grad,
    d/dbias the sum of grad over (N, oh, ow).
    """

    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding, dilation, groups, out_hw):
        ctx.save_for_backward(x, weight)
        ctx.conv = (stride, padding, dilation, groups)
        ctx.bias_needs_grad = bias is not None and bias._requires_grad
        # The weight's gradient reuses the forward's im2col columns (kept only when it will be needed).
        keep = _enabled[0] and weight._requires_grad
        bias_data = None if bias is None else bias._data
        out, ctx.cols = x._backend.conv2d(x._data, weight._data, bias_data, stride, padding, dilation,
                                          groups, out_hw, keep_cols=keep)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        cols, ctx.cols = ctx.cols, None  # free the columns; a second backward recomputes them
        grad_x = grad_w = grad_b = None
        if x._requires_grad:
            grad_x = ConvolutionBackwardBackward0.apply(grad, weight, "input", x.shape, *ctx.conv, None)
        if weight._requires_grad:
            grad_w = ConvolutionBackwardBackward0.apply(grad, x, "weight", weight.shape, *ctx.conv, cols)
        if ctx.bias_needs_grad:
            grad_b = grad.sum((0, 2, 3))
        return grad_x, grad_w, grad_b, None, None, None, None, None


class ConvolutionBackwardBackward0(Function):
    """One gradient of conv2d as an op: wrt="input": (grad, weight) -> d/dx, a transposed
    convolution; wrt="weight": (grad, x) -> d/dweight. Both are linear in each argument,
    so their own gradients are conv2d and the other one of the pair again."""

    @staticmethod
    def forward(ctx, grad, other, wrt, shape, stride, padding, dilation, groups, cols):
        ctx.save_for_backward(grad, other)
        ctx.wrt = wrt
        ctx.conv = (stride, padding, dilation, groups)
        be = grad._backend
        if wrt == "input":
            return be.conv2d_input_grad(grad._data, other._data, shape, stride, padding, dilation, groups)
        return be.conv2d_weight_grad(grad._data, other._data, shape, stride, padding, dilation, groups, cols)

    @staticmethod
    def backward(ctx, gg):
        grad, other = ctx.saved_tensors
        out_hw = grad.shape[2:]
        d_grad = d_other = None
        if ctx.wrt == "input":
            # <conv_T(grad, w), gg> = <grad, conv2d(gg, w)>
            if grad._requires_grad:
                d_grad = ConvolutionBackward0.apply(gg, other, None, *ctx.conv, out_hw)
            if other._requires_grad:
                d_other = ConvolutionBackwardBackward0.apply(grad, gg, "weight", other.shape, *ctx.conv, None)
        else:
            # <dweight(grad, x), gg> = <grad, conv2d(x, gg)>
            if grad._requires_grad:
                d_grad = ConvolutionBackward0.apply(other, gg, None, *ctx.conv, out_hw)
            if other._requires_grad:
                d_other = ConvolutionBackwardBackward0.apply(grad, gg, "input", other.shape, *ctx.conv, None)
        return d_grad, d_other, None, None, None, None, None, None, None


# ----- conv2d -------------------------------------------------------------------------------

def _conv_param(name: str, value, n: int) -> tuple:
    values = _int_list("conv2d", name, value)
    if len(values) == 1:
        values = values * 2  # conv2d's int arguments are pairs before the weight is looked at
    if len(values) != n:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} values to "
                           f"match the convolution dimensions, but got {name}={_dims(values)}")
    return tuple(values)


@op(method=False, functional=True)
def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """2-D cross-correlation. input: (N, C, H, W) or (C, H, W); weight: (O, C/groups, kh, kw);
    bias: (O,) -> (N, O, oh, ow) with oh = (H + 2 padding - dilation (kh - 1) - 1) // stride + 1."""
    _check_tensor("conv2d", "input", 1, input)
    _check_tensor("conv2d", "weight", 2, weight)
    if bias is not None:
        _check_tensor("conv2d", "bias", 3, bias)
    if input.dim() not in (3, 4):
        raise RuntimeError("Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of "
                           f"size: {_dims(input.shape)}")
    if input.dim() == 3:
        return conv2d(input.unsqueeze(0), weight, bias, stride, padding, dilation, groups).squeeze(0)
    if weight.dim() < 3:
        raise RuntimeError("weight should have at least three dimensions")
    n = weight.dim() - 2
    stride = _conv_param("stride", stride, n)
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        if padding == "same" and any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
    else:
        padding = _conv_param("padding", padding, n)
    dilation = _conv_param("dilation", dilation, n)
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if not isinstance(padding, str) and any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dilation)}")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if n != 2:
        raise RuntimeError(f"Expected {weight.dim()}-dimensional input for {weight.dim()}-dimensional weight "
                           f"{_dims(weight.shape)}, but got 4-dimensional input of size "
                           f"{_dims(input.shape)} instead")
    kernel = tuple(weight.shape[2:])
    # Padding as (top, left) offsets and the total added per dim ('same' may pad one more on the right).
    if padding == "valid":
        offsets, totals = (0, 0), (0, 0)
    elif padding == "same":
        totals = tuple(d * (k - 1) for d, k in zip(dilation, kernel))
        offsets = tuple(t // 2 for t in totals)
        if any(t % 2 for t in totals):
            warnings.warn("Using padding='same' with even kernel lengths and odd dilation may require a "
                          "zero-padded copy of the input be created", stacklevel=2)
    else:
        offsets, totals = padding, tuple(2 * p for p in padding)
    out_channels = weight.shape[0]
    if out_channels < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, "
                           f"but got weight of size {_dims(weight.shape)} instead")
    if out_channels % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                           f"but got weight of size [{_dims(weight.shape)}] instead")
    if input.shape[1] != weight.shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {_dims(weight.shape)}, expected "
                           f"input{_dims(input.shape)} to have {weight.shape[1] * groups} channels, but "
                           f"got {input.shape[1]} channels instead")
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != out_channels):
        raise RuntimeError(f"Given weight of size {_dims(weight.shape)}, expected bias to be 1-dimensional "
                           f"with {out_channels} elements, but got bias of size {_dims(bias.shape)} instead")
    padded = tuple(s + t for s, t in zip(input.shape[2:], totals))
    effective = tuple(d * (k - 1) + 1 for d, k in zip(dilation, kernel))
    if any(p < e for p, e in zip(padded, effective)):
        raise RuntimeError(f"Calculated padded input size per channel: ({padded[0]} x {padded[1]}). "
                           f"Kernel size: ({effective[0]} x {effective[1]}). Kernel size can't be greater "
                           "than actual input size")
    if bias is not None and bias.dtype is not input.dtype:  # PyTorch compares the bias first
        raise RuntimeError(f"Input type ({input.dtype.c_name}) and bias type "
                           f"({bias.dtype.c_name}) should be the same")
    if input.dtype is not weight.dtype:
        raise RuntimeError(f"expected scalar type {input.dtype.legacy_name} but found {weight.dtype.legacy_name}")
    _same_device(input, weight, bias)
    out_hw = tuple((p - e) // s + 1 for p, e, s in zip(padded, effective, stride))
    return ConvolutionBackward0.apply(input, weight, bias, stride, offsets, dilation, groups, out_hw)


def _same_device(*tensors) -> None:
    devices = [t.device for t in tensors if t is not None]
    if any(d != devices[0] for d in devices):
        raise RuntimeError("Expected all tensors to be on the same device, but found at least two devices, "
                           f"{devices[0]} and {next(d for d in devices if d != devices[0])}!")


