"""conv_transpose1d and conv_transpose2d: PyTorch's argument checks and output sizes. A
transposed convolution is the input-gradient of the convolution it transposes, so it runs
through the backend's ``conv2d_input_grad`` in the shared node ``ConvolutionBackward0``
(conv.py), whose gradients are the convolution itself and a weight-gradient."""
from __future__ import annotations

from .._declare import op
from ..tensor import Tensor
from .conv import (ConvolutionBackward0, ConvParams, _as_engine, _check_groups, _check_groups_arg,
                   _check_input_dim, _check_tensor, _check_weight_dims, _conv_param, _dims, _per_channel,
                   _same_device)


def _transposed(fn: str, spatial: int, input, weight, bias, stride, padding, output_padding, groups,
                dilation):
    """conv_transpose1d/2d: PyTorch's checks in PyTorch's order, then the node."""
    _check_tensor(fn, "input", 1, input)
    _check_tensor(fn, "weight", 2, weight)
    if bias is not None:
        _check_tensor(fn, "bias", 3, bias)
    _check_input_dim(fn, input, spatial)
    if input.dim() == spatial + 1:
        out = _transposed(fn, spatial, input.unsqueeze(0), weight, bias, stride, padding, output_padding,
                          groups, dilation)
        return out.squeeze(0)
    if weight.dim() < 3:
        raise RuntimeError("weight should have at least three dimensions")
    n = weight.dim() - 2
    stride = _conv_param(fn, "stride", stride, spatial, n)
    padding = _conv_param(fn, "padding", padding, spatial, n)
    output_padding = _conv_param(fn, "output_padding", output_padding, spatial, n)
    dilation = _conv_param(fn, "dilation", dilation, spatial, n)
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(p < 0 for p in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    _check_groups_arg(fn, groups)
    _check_weight_dims(input, weight, n)
    _check_groups(groups, weight)
    if input.shape[1] != weight.shape[0]:
        raise RuntimeError(f"Given transposed=1, weight of size {_dims(weight.shape)}, expected "
                           f"input{_dims(input.shape)} to have {weight.shape[0]} channels, but got "
                           f"{input.shape[1]} channels instead")
    out_channels = weight.shape[1] * groups
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != out_channels):
        raise RuntimeError(f"Given transposed=1, weight of size {_dims(weight.shape)}, expected bias to be "
                           f"1-dimensional with {out_channels} elements, but got bias of size "
                           f"{_dims(bias.shape)} instead")
    if n == 3:
        return _transposed3d(input, weight, bias, stride, padding, output_padding, groups, dilation)
    # PyTorch's remaining checks speak of the 2-D form (a 1-D one has a unit height).
    s2, p2, op2, d2 = (_as_engine(stride, 1), _as_engine(padding, 0), _as_engine(output_padding, 0),
                       _as_engine(dilation, 1))
    if any(d <= 0 for d in d2):
        raise RuntimeError(f"dilation should be greater than zero, but got dilation_height: {d2[0]}, "
                           f"dilation_width: {d2[1]}")
    if any(o >= s and o >= d for o, s, d in zip(op2, s2, d2)):
        raise RuntimeError("output padding must be smaller than either stride or dilation, but got "
                           f"output_padding_height: {op2[0]} output_padding_width: {op2[1]} stride_height: "
                           f"{s2[0]} stride_width: {s2[1]} dilation_height: {d2[0]} dilation_width: {d2[1]}")
    if weight.numel() == 0:
        raise RuntimeError(f"non-empty 2D or 4D weight tensor expected, but got: {_dims(weight.shape)}")
    if any(s == 0 for s in input.shape[2:]):
        raise RuntimeError("Only zero batch or zero channel inputs are supported, but got input shape: "
                           f"{_dims(input.shape)}")
    in2 = _as_engine(tuple(input.shape[2:]), 1)
    k2 = _as_engine(tuple(weight.shape[2:]), 1)
    out2 = tuple((i - 1) * s - 2 * p + d * (k - 1) + o + 1 for i, s, p, d, k, o in zip(in2, s2, p2, d2, k2, op2))
    if any(o < 1 for o in out2):
        raise RuntimeError(f"Given input size per channel: {_per_channel(in2)}. Calculated output size per "
                           f"channel: {_per_channel(out2)}. Output size is too small")
    if input.dtype is not weight.dtype:
        raise RuntimeError(f"expected scalar type {input.dtype.c_name.capitalize()} but found "
                           f"{weight.dtype.c_name.capitalize()}")
    _same_device(input, weight, bias)
    if bias is not None and bias.dtype is not input.dtype:
        bias = bias.to(input.dtype)  # PyTorch adds a bias of another float type in the input's
    out_shape = (input.shape[0], out_channels) + out2[2 - n:]
    return ConvolutionBackward0.apply(input, weight, bias, ConvParams(s2, p2, d2, groups), True, out_shape)


@op(method=False, functional=True, checked=False)
def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """1-D transposed convolution (the gradient of conv1d wrt its input). input: (N, C, L) or
    (C, L); weight: (C, O/groups, k); bias: (O,) -> (N, O, out) with
    out = (L - 1) stride - 2 padding + dilation (k - 1) + output_padding + 1."""
    return _transposed("conv_transpose1d", 1, input, weight, bias, stride, padding, output_padding, groups,
                       dilation)


@op(method=False, functional=True, checked=False)
def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """2-D transposed convolution (the gradient of conv2d wrt its input). input: (N, C, H, W) or
    (C, H, W); weight: (C, O/groups, kh, kw); bias: (O,) -> (N, O, oh, ow) with
    oh = (H - 1) stride - 2 padding + dilation (kh - 1) + output_padding + 1."""
    return _transposed("conv_transpose2d", 2, input, weight, bias, stride, padding, output_padding, groups,
                       dilation)


@op(method=False, functional=True, checked=False)
def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """3-D transposed convolution (the gradient of conv3d wrt its input). input: (N, C, D, H, W) or
    (C, D, H, W); weight: (C, O/groups, kd, kh, kw); bias: (O,) -> (N, O, od, oh, ow) with
    od = (D - 1) stride - 2 padding + dilation (kd - 1) + output_padding + 1."""
    return _transposed("conv_transpose3d", 3, input, weight, bias, stride, padding, output_padding, groups,
                       dilation)


def _transposed3d(input, weight, bias, stride, padding, output_padding, groups, dilation):
    """conv_transpose3d's remaining checks (PyTorch's single-sample wording), then the node."""
    from . import conv3d as _c3  # noqa: PLC0415  (conv3d.py builds on conv.py)
    names = ("depth", "height", "width")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero, but got "
                           + ", ".join(f"dilation_{n}: {d}" for n, d in zip(names, dilation)))
    if any(o >= s and o >= d for o, s, d in zip(output_padding, stride, dilation)):
        raise RuntimeError("output padding must be smaller than either stride or dilation, but got "
                           + " ".join(f"output_padding_{n}: {o}" for n, o in zip(names, output_padding)) + " "
                           + " ".join(f"stride_{n}: {s}" for n, s in zip(names, stride)) + " "
                           + " ".join(f"dilation_{n}: {d}" for n, d in zip(names, dilation)))
    if weight.numel() == 0:
        raise RuntimeError("non-empty 5D (n_output_plane x n_input_plane x kernel_depth x kernel_height x "
                           f"kernel_width) tensor expected for weight, but got: {_dims(weight.shape)}")
    if any(s == 0 for s in input.shape[2:]):
        raise RuntimeError("Only zero batch or zero channel inputs are supported, but got input shape: "
                           f"{_dims(input.shape)}")
    size = tuple(input.shape[2:])
    kernel = tuple(weight.shape[2:])
    out = tuple((i - 1) * s - 2 * p + d * (k - 1) + o + 1
                for i, s, p, d, k, o in zip(size, stride, padding, dilation, kernel, output_padding))
    if any(o < 1 for o in out):
        raise RuntimeError(f"Given input size per channel: {_per_channel(size)}. Calculated output size per "
                           f"channel: {_per_channel(out)}. Output size is too small")
    if input.dtype is not weight.dtype:
        raise RuntimeError(f"expected scalar type {input.dtype.c_name.capitalize()} but found "
                           f"{weight.dtype.c_name.capitalize()}")
    _same_device(input, weight, bias)
    if bias is not None and bias.dtype is not input.dtype:
        bias = bias.to(input.dtype)
    g = _c3.geometry(out[0], size[0], kernel[0], stride[0], padding[0], dilation[0],
                     ConvParams(stride[1:], padding[1:], dilation[1:], groups))
    out_shape = (input.shape[0], weight.shape[1] * groups) + out
    return _c3.ConvolutionBackward0.apply(input, weight, bias, g, True, out_shape)
