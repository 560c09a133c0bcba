"""conv1d and conv2d: PyTorch's argument checks and output sizes, and the graph node of every
convolution (ConvolutionBackward0, as PyTorch names it), the transposed ones of
conv_transpose.py included. Each gradient is itself an op (``ConvolutionBackwardBackward0``),
so ``create_graph=True`` differentiates through a convolution again.

The backend knows 2-D convolutions only: a 1-D one runs as a 2-D one with a unit height (the
raw arrays are reshaped inside the nodes, the tensors keep their 1-D shapes), and a transposed
convolution is the input-gradient of the convolution it transposes (``conv2d_input_grad``).
"""
from __future__ import annotations

import warnings
from typing import NamedTuple

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


def _per_channel(sizes) -> str:
    """Spatial sizes as PyTorch's conv messages print them: (5 x 5), (7)."""
    return "(" + " x ".join(map(str, sizes)) + ")"


# ----- the graph nodes ----------------------------------------------------------------------

class ConvParams(NamedTuple):
    """A convolution's geometry in the 2-D backend's terms (a 1-D one with a unit height)."""
    stride: tuple
    padding: tuple  # (top, left): the zeros before the first row/column; 'same' may add more after
    dilation: tuple
    groups: int


def _as2d(be, a):
    """A 1-D convolution's array (N, C, L) or weight (O, C/g, k) with a unit height inserted."""
    if a.ndim == 3:
        return be.reshape(a, (a.shape[0], a.shape[1], 1, a.shape[2]))
    return a


def _shape2d(shape) -> tuple:
    shape = tuple(shape)
    return shape if len(shape) == 4 else (shape[0], shape[1], 1, shape[2])


class ConvolutionBackward0(Function):
    """out = conv(x, weight) + bias with x: (N, C, *) and weight (O, C/groups, *k), or, with
    transposed, its transpose conv_T(x, weight) + bias with weight (C, O/groups, *k).

    conv: d/dx is the transposed convolution of grad, d/dweight the correlation of x with grad.
    conv_T: d/dx is the convolution of grad, d/dweight the correlation of grad with x. d/dbias
    is the sum of grad over (N, *spatial) for both. out_shape is the output's full shape.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, conv, transposed, out_shape):
        ctx.save_for_backward(x, weight)
        ctx.conv, ctx.transposed = conv, transposed
        ctx.bias_needs_grad = bias is not None and bias._requires_grad
        be = x._backend
        x2, w2, out2 = _as2d(be, x._data), _as2d(be, weight._data), _shape2d(out_shape)
        if transposed:
            ctx.cols = None
            out = be.conv2d_input_grad(x2, w2, out2, *conv)
            if bias is not None:
                be.inplace("add", out, be.reshape(bias._data, (1, out2[1], 1, 1)))
        else:
            # The weight's gradient reuses the forward's im2col columns (kept only when it will be needed).
            keep = _enabled[0] and weight._requires_grad
            bias_data = None if bias is None else bias._data
            out, ctx.cols = be.conv2d(x2, w2, bias_data, *conv, out2[2:], keep_cols=keep)
        return be.reshape(out, tuple(out_shape))

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        cols, ctx.cols = ctx.cols, None  # free the columns; a second backward recomputes them
        conv = ctx.conv
        grad_x = grad_w = grad_b = None
        if ctx.transposed:
            if x._requires_grad:
                grad_x = ConvolutionBackward0.apply(grad, weight, None, conv, False, x.shape)
            if weight._requires_grad:
                grad_w = ConvolutionBackwardBackward0.apply(x, grad, "weight", weight.shape, conv, None)
        else:
            if x._requires_grad:
                grad_x = ConvolutionBackwardBackward0.apply(grad, weight, "input", x.shape, conv, None)
            if weight._requires_grad:
                grad_w = ConvolutionBackwardBackward0.apply(grad, x, "weight", weight.shape, conv, cols)
        if ctx.bias_needs_grad:
            grad_b = grad.sum((0,) + tuple(range(2, grad.dim())))
        return grad_x, grad_w, grad_b, None, None, None


class ConvolutionBackwardBackward0(Function):
    """One gradient of a convolution as an op: wrt="input": (grad, weight) -> d/dx, a transposed
    convolution; wrt="weight": (grad, x) -> d/dweight. Both are linear in each argument,
    so their own gradients are the convolution and the other one of the pair again."""

    @staticmethod
    def forward(ctx, grad, other, wrt, shape, conv, cols):
        ctx.save_for_backward(grad, other)
        ctx.wrt, ctx.conv = wrt, conv
        be = grad._backend
        g2, o2 = _as2d(be, grad._data), _as2d(be, other._data)
        if wrt == "input":
            out = be.conv2d_input_grad(g2, o2, _shape2d(shape), *conv)
        else:
            out = be.conv2d_weight_grad(g2, o2, _shape2d(shape), *conv, cols)
        return be.reshape(out, tuple(shape))

    @staticmethod
    def backward(ctx, gg):
        grad, other = ctx.saved_tensors
        conv = ctx.conv
        d_grad = d_other = None
        if ctx.wrt == "input":
            # <conv_T(grad, w), gg> = <grad, conv(gg, w)>
            if grad._requires_grad:
                d_grad = ConvolutionBackward0.apply(gg, other, None, conv, False, grad.shape)
            if other._requires_grad:
                d_other = ConvolutionBackwardBackward0.apply(grad, gg, "weight", other.shape, conv, None)
        else:
            # <dweight(grad, x), gg> = <grad, conv(x, gg)>
            if grad._requires_grad:
                d_grad = ConvolutionBackward0.apply(other, gg, None, conv, False, grad.shape)
            if other._requires_grad:
                d_other = ConvolutionBackwardBackward0.apply(grad, gg, "input", other.shape, conv, None)
        return d_grad, d_other, None, None, None, None


# ----- argument checks (shared with conv_transpose.py) --------------------------------------

def _conv_param(fn: str, name: str, value, spatial: int, n: int) -> tuple:
    """stride/padding/dilation/output_padding as n values: an int is first repeated for the
    function's own spatial dims (conv2d's ints are pairs before the weight is looked at), a
    1-list is then repeated for the weight's n spatial dims."""
    values = _int_list(fn, name, value)
    if isinstance(value, int):
        values = values * spatial
    if len(values) == 1:
        values = values * n
    if len(values) != n:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} values to "
                           f"match the convolution dimensions, but got {name}={_dims(values)}")
    return tuple(values)


def _check_input_dim(fn: str, input: Tensor, spatial: int) -> None:
    if input.dim() not in (spatial + 1, spatial + 2):
        raise RuntimeError(f"Expected {spatial + 1}D (unbatched) or {spatial + 2}D (batched) input to {fn}, "
                           f"but got input of size: {_dims(input.shape)}")


def _check_weight_dims(input: Tensor, weight: Tensor, n: int) -> None:
    if input.dim() != n + 2:
        raise RuntimeError(f"Expected {weight.dim()}-dimensional input for {weight.dim()}-dimensional weight "
                           f"{_dims(weight.shape)}, but got {input.dim()}-dimensional input of size "
                           f"{_dims(input.shape)} instead")


def _check_groups(groups: int, weight: Tensor) -> None:
    if weight.shape[0] < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, "
                           f"but got weight of size {_dims(weight.shape)} instead")
    if weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                           f"but got weight of size [{_dims(weight.shape)}] instead")


def _check_groups_arg(fn: str, groups) -> None:
    if isinstance(groups, bool) or not isinstance(groups, int):
        raise TypeError(f"{fn}(): argument 'groups' must be int, not {type(groups).__name__}")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")


def _check_dtypes(input: Tensor, weight: Tensor, bias) -> None:
    """PyTorch compares the bias first; its weight message depends on the kernel it picks: the
    oneDNN path (a batch of more than one) or the native one (a single sample)."""
    if bias is not None and bias.dtype is not input.dtype:
        raise RuntimeError(f"Input type ({input.dtype.c_name}) and bias type "
                           f"({bias.dtype.c_name}) should be the same")
    if input.dtype is weight.dtype:
        return
    if input.shape[0] > 1:
        raise RuntimeError(f"Input type (torch.{input.dtype.legacy_name}Tensor) and weight type "
                           f"(torch.{weight.dtype.legacy_name}Tensor) should be the same or input "
                           "should be a MKLDNN tensor and weight is a dense tensor")
    raise RuntimeError(f"expected scalar type {input.dtype.legacy_name} but found {weight.dtype.legacy_name}")


def _same_device(*tensors) -> None:
    devices = [t.device for t in tensors if t is not None]
    if any(d != devices[0] for d in devices):
        raise RuntimeError("Expected all tensors to be on the same device, but found at least two devices, "
                           f"{devices[0]} and {next(d for d in devices if d != devices[0])}!")


def _as_engine(values: tuple, fill: int) -> tuple:
    """A 1-D convolution's values in the 2-D engine's terms: the unit height's value first."""
    return tuple(values) if len(values) == 2 else (fill,) + tuple(values)


# ----- conv1d / conv2d ----------------------------------------------------------------------

def _convolution(fn: str, spatial: int, input, weight, bias, stride, padding, dilation, groups):
    """conv1d/conv2d: PyTorch's checks in PyTorch's order, then the node."""
    _check_tensor(fn, "input", 1, input)
    _check_tensor(fn, "weight", 2, weight)
    if bias is not None:
        _check_tensor(fn, "bias", 3, bias)
    _check_input_dim(fn, input, spatial)
    if input.dim() == spatial + 1:
        out = _convolution(fn, spatial, input.unsqueeze(0), weight, bias, stride, padding, dilation, groups)
        return out.squeeze(0)
    if weight.dim() < 3:
        raise RuntimeError("weight should have at least three dimensions")
    n = weight.dim() - 2
    stride = _conv_param(fn, "stride", stride, spatial, n)
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        if padding == "same" and any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
    else:
        padding = _conv_param(fn, "padding", padding, spatial, n)
    dilation = _conv_param(fn, "dilation", dilation, spatial, n)
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if not isinstance(padding, str) and any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(d <= 0 for d in dilation):  # (worded by the kernel PyTorch picks, as in _check_dtypes)
        if input.dim() == spatial + 2 and input.shape[0] > 1:
            raise RuntimeError("non-positive dilation is not supported")
        raise RuntimeError(f"dilation should be greater than zero, but got "
                           f"{list(dilation) if n == 3 else list(_as_engine(dilation, 1))}")
    _check_groups_arg(fn, groups)
    _check_weight_dims(input, weight, n)
    kernel = tuple(weight.shape[2:])
    # Padding as offsets before the first element and the total added per dim ('same' may pad
    # one more at the end).
    if padding == "valid":
        offsets, totals = (0,) * n, (0,) * n
    elif padding == "same":
        totals = tuple(d * (k - 1) for d, k in zip(dilation, kernel))
        offsets = tuple(t // 2 for t in totals)
        if any(t % 2 for t in totals):
            warnings.warn("Using padding='same' with even kernel lengths and odd dilation may require a "
                          "zero-padded copy of the input be created", stacklevel=3)
    else:
        offsets, totals = padding, tuple(2 * p for p in padding)
    _check_groups(groups, weight)
    if input.shape[1] != weight.shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {_dims(weight.shape)}, expected "
                           f"input{_dims(input.shape)} to have {weight.shape[1] * groups} channels, but "
                           f"got {input.shape[1]} channels instead")
    out_channels = weight.shape[0]
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != out_channels):
        raise RuntimeError(f"Given weight of size {_dims(weight.shape)}, expected bias to be 1-dimensional "
                           f"with {out_channels} elements, but got bias of size {_dims(bias.shape)} instead")
    padded = tuple(s + t for s, t in zip(input.shape[2:], totals))
    effective = tuple(d * (k - 1) + 1 for d, k in zip(dilation, kernel))
    if any(p < e for p, e in zip(padded, effective)):
        raise RuntimeError(f"Calculated padded input size per channel: {_per_channel(padded)}. "
                           f"Kernel size: {_per_channel(effective)}. Kernel size can't be greater "
                           "than actual input size")
    _check_dtypes(input, weight, bias)
    _same_device(input, weight, bias)
    out_size = tuple((p - e) // s + 1 for p, e, s in zip(padded, effective, stride))
    if n == 3:  # the 2-D machinery with the depth taps as channels (conv3d.py)
        from . import conv3d as _c3  # noqa: PLC0415  (conv3d.py builds on this module)
        g = _c3.geometry(input.shape[2], out_size[0], kernel[0], stride[0], offsets[0], dilation[0],
                         ConvParams(stride[1:], offsets[1:], dilation[1:], groups))
        out_shape = (input.shape[0], out_channels) + out_size
        return _c3.ConvolutionBackward0.apply(input, weight, bias, g, False, out_shape)
    conv = ConvParams(_as_engine(stride, 1), _as_engine(offsets, 0), _as_engine(dilation, 1), groups)
    out_shape = (input.shape[0], out_channels) + out_size
    return ConvolutionBackward0.apply(input, weight, bias, conv, False, out_shape)


@op(method=False, functional=True, checked=False)
def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """1-D cross-correlation. input: (N, C, L) or (C, L); weight: (O, C/groups, k); bias: (O,)
    -> (N, O, out) with out = (L + 2 padding - dilation (k - 1) - 1) // stride + 1; padding may
    be 'valid' or 'same'."""
    return _convolution("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


@op(method=False, functional=True, checked=False)
def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """2-D cross-correlation. input: (N, C, H, W) or (C, H, W); weight: (O, C/groups, kh, kw);
    bias: (O,) -> (N, O, oh, ow) with oh = (H + 2 padding - dilation (kh - 1) - 1) // stride + 1;
    padding may be 'valid' or 'same'."""
    return _convolution("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


@op(method=False, functional=True, checked=False)
def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """3-D cross-correlation. input: (N, C, D, H, W) or (C, D, H, W); weight: (O, C/groups, kd, kh,
    kw); bias: (O,) -> (N, O, od, oh, ow) with od = (D + 2 padding - dilation (kd - 1) - 1) // stride
    + 1; padding may be 'valid' or 'same'. Runs as a 2-D convolution (conv3d.py)."""
    return _convolution("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)
