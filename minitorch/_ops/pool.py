"""max_pool2d and avg_pool2d: PyTorch's size checks (pool2d_shape_check,
pooling_output_shape) and their graph nodes; each backward is itself an op, so
``create_graph=True`` differentiates through pooling again."""
from __future__ import annotations

from .._declare import op
from ..autograd.function import Function
from ..tensor import Tensor
from .conv import _check_tensor, _dims, _int_list


# ----- max pooling --------------------------------------------------------------------------

class MaxPool2DWithIndicesBackward0(Function):
    """out = max over each window of x: (*, H, W); the gradient goes to each window's argmax.

    ``indices_out`` is an empty list that forward fills with the argmax positions (an int64
    array shaped like out, flat within each plane), for ``return_indices=True``.
    """

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, dilation, out_hw, indices_out):
        out, indices = x._backend.max_pool2d(x._data, kernel, stride, padding, dilation, out_hw)
        ctx.indices = indices
        ctx.input_shape = x.shape
        indices_out.append(indices)
        return out

    @staticmethod
    def backward(ctx, grad):
        indices = Tensor._wrap(ctx.indices, grad._backend)
        return MaxPool2DWithIndicesBackwardBackward0.apply(grad, indices, ctx.input_shape), *(None,) * 6


class MaxPool2DWithIndicesBackwardBackward0(Function):
    """Scatter-add of grad (*, oh, ow) to the argmax positions; its gradient is the gather back."""

    @staticmethod
    def forward(ctx, grad, indices, input_shape):
        ctx.save_for_backward(indices)
        return grad._backend.max_pool2d_backward(grad._data, indices._data, input_shape)

    @staticmethod
    def backward(ctx, gg):
        (indices,) = ctx.saved_tensors
        flat = gg.flatten(-2).gather(-1, indices.flatten(-2))
        return flat.view(indices.shape), None, None


# ----- average pooling ----------------------------------------------------------------------

class AvgPool2DBackward0(Function):
    """out = mean over each window of x: (*, H, W), divided as PyTorch divides
    (divisor_override, or the window size with or without padding); d/dx spreads grad back."""

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, out_hw, count_include_pad, divisor):
        ctx.pool = (kernel, stride, padding, count_include_pad, divisor)
        ctx.input_shape = x.shape
        return x._backend.avg_pool2d(x._data, kernel, stride, padding, out_hw, count_include_pad, divisor)

    @staticmethod
    def backward(ctx, grad):
        return AvgPool2DBackwardBackward0.apply(grad, ctx.input_shape, *ctx.pool), *(None,) * 6


class AvgPool2DBackwardBackward0(Function):
    """The gradient of avg_pool2d as an op; being linear, its own gradient is avg_pool2d."""

    @staticmethod
    def forward(ctx, grad, input_shape, kernel, stride, padding, count_include_pad, divisor):
        ctx.pool = (kernel, stride, padding)
        ctx.counting = (count_include_pad, divisor)
        ctx.out_hw = grad.shape[-2:]
        return grad._backend.avg_pool2d_backward(grad._data, input_shape, kernel, stride, padding,
                                                 count_include_pad, divisor)

    @staticmethod
    def backward(ctx, gg):
        return AvgPool2DBackward0.apply(gg, *ctx.pool, ctx.out_hw, *ctx.counting), *(None,) * 6


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


@op(method=False, functional=True)
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


@op(method=False, functional=True)
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




# ----- 1-D pooling: the 2-D pooling of (N, C, 1, L) ------------------------------------------

def _pool1d_list(fn: str, name: str, position: int, value) -> list:
    """An int or a sequence of ints as a list, with PyTorch's TypeError for anything else."""
    if isinstance(value, bool) or not isinstance(value, (int, tuple, list)):
        raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be tuple of ints, "
                        f"not {type(value).__name__}")
    values = [value] if isinstance(value, int) else list(value)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        bad = next(v for v in values if not isinstance(v, int) or isinstance(v, bool))
        raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be tuple of ints, but "
                        f"found element of type {type(bad).__name__}")
    return values


def _pool1d_one(fn: str, name: str, values: list) -> int:
    """The one value of a 1-D pooling size argument (the message of the 2-D path)."""
    if len(values) != 1:
        raise RuntimeError(f"{fn}() argument '{name}' should contain one int (got {len(values)})")
    return values[0]


def _check_pool1d_dims(fn: str, input: Tensor) -> None:
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional tensor for "
                           f"argument #1 'self' (while checking arguments for {fn})")


def _max_pool1d_checked(input: Tensor, kernel: list, stride: list, padding: list, dilation: list,
                        ceil_mode: bool) -> None:
    """ATen's max_pool1d checks (the path without indices)."""
    s = input.shape
    if not ((input.dim() == 2 and s[0] != 0 and s[1] != 0) or (input.dim() == 3 and s[1] != 0 and s[2] != 0)):
        raise RuntimeError("max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size "
                           f"for input, but got:{_dims(s)}")
    if len(kernel) != 1:
        raise RuntimeError("max_pool1d() kernel_size must be an int, list of ints or tuple of ints of size 1 "
                           f"but got size {len(kernel)}")
    if len(stride) > 1:
        raise RuntimeError("max_pool1d() stride must be None, an int, list of ints, or tuple of ints of size 1 "
                           f"but got size {len(stride)}")
    if len(padding) != 1:
        raise RuntimeError("max_pool1d() padding must be an int, list of ints, or tuple of ints of size 1 but "
                           f"got size {len(padding)}")
    if len(dilation) != 1:
        raise RuntimeError("max_pool1d() dilation must be an int, list of ints or tuple of ints of size 1 but "
                           f"got size {len(dilation)}")
    k, st, p, d = kernel[0], (stride or kernel)[0], padding[0], dilation[0]
    if k <= 0:
        raise RuntimeError(f"max_pool1d() kernel_size must be greater than zero, but got {k}")
    if st <= 0:
        raise RuntimeError(f"max_pool1d() stride must be greater than zero, but got {st}")
    if p < 0:
        raise RuntimeError(f"max_pool1d() padding must be non-negative, but got {p}")
    if p > k // 2:
        raise RuntimeError(f"max_pool1d() padding should be at most half of kernel size, but got padding={p} "
                           f"and kernel_size={k}")
    if d <= 0:
        raise RuntimeError(f"max_pool1d() dilation must be greater than zero, but got {d}")
    out = _pool_output_size(s[-1], k, p, st, d, ceil_mode)
    if out <= 0:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {out}")


@op(method=False, functional=True, checked=False)
def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """Max over (dilated) windows of the last dim. input: (N, C, L) or (C, L) -> (N, C, out),
    plus the int64 argmax positions along L with return_indices; max_pool2d of (N, C, 1, L)."""
    fn = "max_pool1d_with_indices" if return_indices else "max_pool1d"
    _check_tensor(fn, "input", 1, input)
    kernel = _pool1d_list(fn, "kernel_size", 2, kernel_size)
    stride = [] if stride is None else _pool1d_list(fn, "stride", 3, stride)
    padding = _pool1d_list(fn, "padding", 4, padding)
    dilation = _pool1d_list(fn, "dilation", 5, dilation)
    if return_indices:  # PyTorch's path with indices checks as the 2-D pooling does
        _check_pool1d_dims("max_pool1d", input)
        kernel, padding, dilation = ([_pool1d_one("max_pool1d", n, v)] for n, v in
                                     (("kernel_size", kernel), ("padding", padding), ("dilation", dilation)))
        stride = [_pool1d_one("max_pool1d", "stride", stride)] if stride else []
    else:
        _max_pool1d_checked(input, kernel, stride, padding, dilation, ceil_mode)
    out = max_pool2d(input.unsqueeze(-2), (1, kernel[0]), (1, (stride or kernel)[0]), (0, padding[0]),
                     (1, dilation[0]), ceil_mode, return_indices)
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


@op(method=False, functional=True, checked=False)
def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """Mean over windows of the last dim. input: (N, C, L) or (C, L) -> (N, C, out); each window
    is divided by its size counting (count_include_pad) the padding or not; avg_pool2d of
    (N, C, 1, L)."""
    _check_tensor("avg_pool1d", "input", 1, input)
    kernel = _pool1d_list("avg_pool1d", "kernel_size", 2, kernel_size)
    stride = [] if stride is None else _pool1d_list("avg_pool1d", "stride", 3, stride)
    padding = _pool1d_list("avg_pool1d", "padding", 4, padding)
    _check_pool1d_dims("avg_pool1d", input)
    k = _pool1d_one("avg_pool1d", "kernel_size", kernel)
    st = _pool1d_one("avg_pool1d", "stride", stride) if stride else k
    p = _pool1d_one("avg_pool1d", "padding", padding)
    out = avg_pool2d(input.unsqueeze(-2), (1, k), (1, st), (0, p), ceil_mode, count_include_pad)
    return out.squeeze(-2)
