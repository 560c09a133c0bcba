"""conv2d, max_pool2d, avg_pool2d and batch_norm: argument checks with PyTorch's messages,
output sizes, then one graph node each (``minitorch.autograd.ops.conv``).

Re-exported by ``minitorch.nn.functional``.
"""
from __future__ import annotations

import warnings

from .._size import Size
from ..autograd.ops.conv import (AvgPool2DBackward0, ConvolutionBackward0, MaxPool2DWithIndicesBackward0,
                                 NativeBatchNormBackward0)
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

def _conv_param(name: str, value, n: int) -> tuple:
    values = _int_list("conv2d", name, value)
    if len(values) == 1:
        values = values * 2  # conv2d's int arguments are pairs before the weight is looked at
    if len(values) != n:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} values to "
                           f"match the convolution dimensions, but got {name}={_dims(values)}")
    return tuple(values)


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
        raise RuntimeError("non-positive dilation is not supported")
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
    if input.dtype is not weight.dtype:
        raise RuntimeError(f"Input type (torch.{input.dtype.legacy_name}Tensor) and weight type "
                           f"(torch.{weight.dtype.legacy_name}Tensor) should be the same or input "
                           "should be a MKLDNN tensor and weight is a dense tensor")
    if bias is not None and bias.dtype is not input.dtype:
        raise RuntimeError(f"Input type ({input.dtype.c_name}) and bias type "
                           f"({bias.dtype.c_name}) should be the same")
    _same_device(input, weight, bias)
    out_hw = tuple((p - e) // s + 1 for p, e, s in zip(padded, effective, stride))
    return ConvolutionBackward0.apply(input, weight, bias, stride, offsets, dilation, groups, out_hw)


def _same_device(*tensors) -> None:
    devices = [t.device for t in tensors if t is not None]
    if any(d != devices[0] for d in devices):
        raise RuntimeError("Expected all tensors to be on the same device, but found at least two devices, "
                           f"{devices[0]} and {next(d for d in devices if d != devices[0])}!")


# ----- pooling ------------------------------------------------------------------------------

def _pool_pair(fn: str, name: str, value, default=None) -> tuple:
    """kernel_size/stride/padding/dilation as a pair, with PyTorch's message for a bad length."""
    if value is None or (default is not None and isinstance(value, (tuple, list)) and len(value) == 0):
        return default
    values = _int_list(fn, name, value)
    if len(values) not in (1, 2):
        what = {"kernel_size": "must either be a single int, or a tuple of two ints",
                "stride": "must either be omitted, a single int, or a tuple of two ints",
                "padding": "must either be a single int, or a tuple of two ints",
                "dilation": "must be either a single int, or a tuple of two ints"}[name]
        raise RuntimeError(f"{fn}: {name} {what}")
    return (values[0], values[-1])


def _pool_output_size(size: int, kernel: int, pad: int, stride: int, dilation: int, ceil_mode: bool) -> int:
    """PyTorch's pooling_output_shape, with its checks."""
    if stride == 0:
        raise RuntimeError("stride should not be zero")
    if pad < 0:
        raise RuntimeError(f"pad must be non-negative, but got pad: {pad}")
    effective = (kernel - 1) * dilation + 1
    if pad > int(effective / 2):  # C++ integer division truncates toward zero
        raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={pad}, "
                           f"kernel_size={kernel} and dilation={dilation}")
    out = (size + 2 * pad - dilation * (kernel - 1) - 1 + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1  # the last window must start inside the input or its left padding
    return out


def _pool_check(input: Tensor, kernel, stride, padding, dilation, out_hw) -> None:
    """PyTorch's pool2d_shape_check."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    if kh <= 0 or kw <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {kh} kW: {kw}")
    if sh <= 0 or sw <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got dH: {sh} dW: {sw}")
    if dh <= 0 or dw <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {dh} dilationW: {dw}")
    s = input.shape
    valid = input.dim() >= 3 and s[1] != 0 and s[2] != 0
    ok = valid if input.dim() == 3 and s[0] != 0 else (input.dim() == 4 and valid and s[3] != 0)
    if not ok:
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, "
                           f"but got:{_dims(s)}")
    if kw // 2 < pw or kh // 2 < ph:
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got padW = {pw}, "
                           f"padH = {ph}, kW = {kw}, kH = {kh}")
    if out_hw[0] < 1 or out_hw[1] < 1:
        planes, h, w = s[-3:]
        raise RuntimeError(f"Given input size: ({planes}x{h}x{w}). Calculated output size: "
                           f"({planes}x{out_hw[0]}x{out_hw[1]}). Output size is too small")


def _pool_sizes(fn: str, kernel_size, stride, padding, dilation):
    """The four size arguments of a pooling call as pairs; stride defaults to the kernel."""
    kernel = _pool_pair(fn, "kernel_size", kernel_size)
    stride = _pool_pair(fn, "stride", stride, default=kernel)
    padding = _pool_pair(fn, "padding", padding)
    dilation = _pool_pair(fn, "dilation", dilation)
    return kernel, stride, padding, dilation


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """Max over (dilated) kh x kw windows. input: (N, C, H, W) or (C, H, W) -> (N, C, oh, ow),
    plus the int64 argmax positions (flat in each H x W plane) with return_indices."""
    _check_tensor("max_pool2d", "input", 1, input)
    kernel, stride, padding, dilation = _pool_sizes("max_pool2d", kernel_size, stride, padding, dilation)
    if input.dim() not in (3, 4):
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    out_hw = tuple(_pool_output_size(input.shape[-2 + i], kernel[i], padding[i], stride[i], dilation[i],
                                     ceil_mode) for i in range(2))
    _pool_check(input, kernel, stride, padding, dilation, out_hw)
    indices = []  # forward puts the argmax positions here
    out = MaxPool2DWithIndicesBackward0.apply(input, kernel, stride, padding, dilation, out_hw, indices)
    if return_indices:
        return out, Tensor._wrap(indices[0], input._backend)
    return out


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """Mean over kh x kw windows. input: (N, C, H, W) or (C, H, W) -> (N, C, oh, ow); each window
    is divided by divisor_override, else by its size counting (count_include_pad) the padding or not."""
    _check_tensor("avg_pool2d", "input", 1, input)
    kernel, stride, padding, _ = _pool_sizes("avg_pool2d", kernel_size, stride, padding, 1)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    if input.dim() < 3:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-max(input.dim(), 1)}, "
                         f"{max(input.dim(), 1) - 1}], but got -3)")
    out_hw = tuple(_pool_output_size(input.shape[-2 + i], kernel[i], padding[i], stride[i], 1, ceil_mode)
                   for i in range(2))
    _pool_check(input, kernel, stride, padding, (1, 1), out_hw)
    divisor = 0 if divisor_override is None else int(divisor_override)
    return AvgPool2DBackward0.apply(input, kernel, stride, padding, out_hw, bool(count_include_pad), divisor)


# ----- batch norm ---------------------------------------------------------------------------

def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-05) -> Tensor:
    """Normalise each channel of input: (N, C, *) by the batch's mean and biased var (training;
    running stats, when given, are updated in place with momentum and the unbiased var) or by
    running_mean/running_var (eval), then scale by weight: (C,) and shift by bias: (C,)."""
    _check_tensor("batch_norm", "input", 1, input)
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
    if input.numel() == 0:
        return input.clone()
    return NativeBatchNormBackward0.apply(input, weight, bias, running_mean, running_var, bool(training),
                                          float(momentum), float(eps))
