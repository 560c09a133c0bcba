"""max_pool3d and avg_pool3d on the 2-D pooling (pool.py), with PyTorch's checks and nodes.

Both pool separably, which is exact: a 3-D window is a run of depth taps of one 2-D window.

- max: the 2-D max pool of every depth slice, then the maximum over each window's depth taps
  (a tap in the padding reads a slice of the dtype's lowest value). Scanning depth first
  keeps PyTorch's argmax: the first maximum in (d, h, w) order, the last NaN. A window
  whose maximum is that lowest value (no input in it, or only -inf) keeps PyTorch's start
  index: the first in-range position of each dim, which is past the input when a dilated
  window steps over the whole of it. The backward adds each output's gradient at its argmax
  and drops an index outside the input (PyTorch's CPU backward writes past its buffer there).
- avg: the 2-D window sums of every depth slice (divisor 1), summed over the depth taps and
  divided as PyTorch divides (divisor_override, else the window's size with or without the
  padding; a window with nothing inside gives 0).
"""
from __future__ import annotations

import numpy as np

from .. import _creation, dtypes
from .._declare import functional, op
from ..autograd.function import Function
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from .conv import _check_tensor, _dims
from .adaptive_pool import _last_nan_wins
from .joins import cat
from .pool import AvgPool2DBackwardBackward0, _pool_output_size, avg_pool2d, max_pool2d


# ----- geometry -----------------------------------------------------------------------------

def _depth_taps(depth: int, out: int, kernel: int, stride: int, pad: int, dilation: int) -> list:
    """The input depth of each (output depth, tap), depth itself for a tap in the padding."""
    taps = []
    for o in range(out):
        for k in range(kernel):
            d = o * stride - pad + k * dilation
            taps.append(d if 0 <= d < depth else depth)
    return taps


def _first_inside(o: int, stride: int, pad: int, dilation: int) -> int:
    """PyTorch's window start: the first tap at or past 0 (which may lie past the input)."""
    start = o * stride - pad
    while start < 0:
        start += dilation
    return start


def _along(taps: list, like: Tensor) -> Tensor:
    return _creation.tensor(taps, dtype=dtypes.int64, device=like.device)


def _gather_depth(planes: Tensor, fill, taps: list, out_d: int, kernel_d: int) -> Tensor:
    """planes (P, D, h, w) -> (P, OD, KD, h, w), the padding's taps reading fill."""
    p, _, h, w = planes.shape
    extra = planes.new_full((p, 1, h, w), fill)
    return cat([planes, extra], 1).index_select(1, _along(taps, planes)).reshape(p, out_d, kernel_d, h, w)


# ----- max pooling --------------------------------------------------------------------------

def _lowest(dtype):
    return float("-inf") if dtype.is_floating_point else int(np.iinfo(dtype.np).min)


def _max_pool3d_raw(x: Tensor, kernel, stride, padding, dilation, ceil_mode, out_size):
    """(values, indices) of the 3-D max pool of x (N, C, D, H, W), without a graph."""
    n, c, d, h, w = x.shape
    od, oh, ow = out_size
    planes = x.reshape(n * c, d, h, w)
    v2, i2 = max_pool2d(planes, kernel[1:], stride[1:], padding[1:], dilation[1:], ceil_mode, True)
    taps = _depth_taps(d, od, kernel[0], stride[0], padding[0], dilation[0])
    lowest = _lowest(x.dtype)
    values = _gather_depth(v2, lowest, taps, od, kernel[0])            # (P, OD, KD, oh, ow)
    best, k = values.max(2, keepdim=True)
    if x.dtype.is_floating_point:  # the last NaN wins, as in PyTorch's scan
        k = _last_nan_wins(values, k, 2)
        best = values.gather(2, k)
    depth = _along(taps, x).reshape(1, od, kernel[0], 1, 1).expand(values.shape).gather(2, k)
    plane_index = _gather_depth(i2, 0, taps, od, kernel[0]).gather(2, k)
    index = (depth * (h * w) + plane_index).squeeze(2)
    best = best.squeeze(2)
    start = np.add.outer(np.add.outer(
        [_first_inside(o, stride[0], padding[0], dilation[0]) * h * w for o in range(od)],
        [_first_inside(o, stride[1], padding[1], dilation[1]) * w for o in range(oh)]),
        [_first_inside(o, stride[2], padding[2], dilation[2]) for o in range(ow)])
    index = _creation.tensor(start, dtype=dtypes.int64, device=x.device).expand(index.shape).where(
        best == lowest, index)
    return best.reshape(n, c, od, oh, ow), index.reshape(n, c, od, oh, ow)


class MaxPool3DWithIndicesBackward0(Function):
    """out = max over each (dilated) 3-D window of x (N, C, D, H, W); the gradient goes to each
    window's argmax. ``indices_out``, an empty list, receives the argmax positions."""

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, dilation, ceil_mode, out_size, indices_out):
        with no_grad():
            out, indices = _max_pool3d_raw(_batched(x), kernel, stride, padding, dilation, ceil_mode, out_size)
        if x.dim() == 4:
            out, indices = out.squeeze(0), indices.squeeze(0)
        ctx.indices = indices
        ctx.input_shape = x.shape
        indices_out.append(indices)
        return out._data

    @staticmethod
    def backward(ctx, grad):
        return _max_unpool_grad(grad, ctx.indices, ctx.input_shape), *(None,) * 7


def _max_unpool_grad(grad: Tensor, indices: Tensor, input_shape) -> Tensor:
    """Each output's gradient added at its argmax (flat in the D*H*W volume); an index outside
    the volume (a window wholly in the padding) reaches no input. Differentiable."""
    planes = int(np.prod(input_shape[:-3]))
    volume = int(np.prod(input_shape[-3:]))
    flat = indices.reshape(planes, -1)
    inside = (flat >= 0) & (flat < volume)
    g = grad.reshape(planes, -1) * inside.to(grad.dtype)
    out = grad.new_zeros((planes, volume)).scatter_add(1, flat.where(inside, flat.new_zeros(())), g)
    return out.reshape(input_shape)


# ----- average pooling ----------------------------------------------------------------------

def _avg_divisors(size, kernel, stride, padding, out_size, count_include_pad: bool, divisor: int) -> np.ndarray:
    """(OD, OH, OW) divisor of each window as PyTorch computes it (1 for an empty window,
    whose sum is 0, giving PyTorch's 0)."""
    per_dim = []
    for s, k, st, p, o in zip(size, kernel, stride, padding, out_size):
        start = np.arange(o) * st - p
        end = np.minimum(start + k, s + p)
        with_pad = end - start
        inside = np.minimum(end, s) - np.maximum(start, 0)
        per_dim.append((with_pad, np.maximum(inside, 0)))
    (a, ai), (b, bi), (c, ci) = per_dim
    inside = np.multiply.outer(np.multiply.outer(ai, bi), ci)
    if divisor:
        counts = np.full(inside.shape, divisor)
    elif count_include_pad:
        counts = np.multiply.outer(np.multiply.outer(a, b), c)
    else:
        counts = inside
    return np.where(inside > 0, counts, 1)


class AvgPool3DBackward0(Function):
    """out = each 3-D window's sum over x (N, C, D, H, W) / its divisor; d/dx spreads grad
    back (the adjoint of each step, so it is differentiable again)."""

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, ceil_mode, out_size, divisors):
        d, h, w = x.shape[-3:]
        n, c = (1,) * (5 - x.dim()) + tuple(x.shape[:-3])
        od, oh, ow = out_size
        taps = _depth_taps(d, od, kernel[0], stride[0], padding[0], 1)
        ctx.pool = (kernel, stride, padding, taps, divisors)
        ctx.input_shape = x.shape
        with no_grad():
            sums = avg_pool2d(x.reshape(n * c, d, h, w), kernel[1:], stride[1:], padding[1:], ceil_mode, True, 1)
            total = _gather_depth(sums, 0, taps, od, kernel[0]).sum(2)
            if x.dtype.is_floating_point:
                out = total / divisors.to(x.dtype)
            else:  # PyTorch's integer division of the window's sum (toward zero)
                out = total.div(divisors, rounding_mode="trunc")
            out = out.reshape(tuple(x.shape[:-3]) + out_size)
        return out._data

    @staticmethod
    def backward(ctx, grad):
        kernel, stride, padding, taps, divisors = ctx.pool
        d, h, w = ctx.input_shape[-3:]
        n, c = (1,) * (5 - len(ctx.input_shape)) + tuple(ctx.input_shape[:-3])
        od, oh, ow = grad.shape[-3:]
        g = (grad / divisors.to(grad.dtype)).reshape(n * c, od, 1, oh, ow).expand(n * c, od, kernel[0], oh, ow)
        slices = grad.new_zeros((n * c, d + 1, oh, ow)).index_add(1, _along(taps, grad),
                                                                 g.reshape(n * c, od * kernel[0], oh, ow))
        grad_x = AvgPool2DBackwardBackward0.apply(slices[:, :d].contiguous(), (n * c, d, h, w), kernel[1:],
                                                  stride[1:], padding[1:], True, 1)
        return grad_x.reshape(ctx.input_shape), *(None,) * 6


# ----- argument checks ----------------------------------------------------------------------

def _triple(fn: str, name: str, value, default=None) -> tuple:
    """kernel_size/stride/padding/dilation as a triple, with PyTorch's message for a bad length."""
    if name == "stride" and (value is None or (isinstance(value, (tuple, list)) and len(value) == 0)):
        return default
    position = {"kernel_size": 2, "stride": 3, "padding": 4, "dilation": 5}[name]
    if not isinstance(value, (int, tuple, list)):  # (bool is an int here, as in PyTorch)
        raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be tuple of ints, "
                        f"not {type(value).__name__}")
    values = [value] if isinstance(value, int) else list(value)
    for i, v in enumerate(values):
        if not isinstance(v, int):
            raise TypeError(f"{fn}(): argument '{name}' failed to unpack the object at pos {i + 1} with error "
                            f"\"type must be tuple of ints,but got {type(v).__name__}\"")
    values = [int(v) for v in values]
    if len(values) not in (1, 3):
        verb = "must be" if fn == "avg_pool3d" or name == "dilation" else "must either be"
        what = {"kernel_size": "a single int, or a tuple of three ints",
                "stride": "omitted, a single int, or a tuple of three ints",
                "padding": "a single int, or a tuple of three ints",
                "dilation": "a single int, or a tuple of three ints"}[name]
        if name == "dilation":
            verb = "must be either"
        raise RuntimeError(f"{fn}: {name} {verb} {what}")
    return tuple(values) if len(values) == 3 else (values[0],) * 3


def _sizes(fn: str, input: Tensor, kernel_size, stride, padding, dilation, ceil_mode):
    kernel = _triple(fn, "kernel_size", kernel_size)
    stride = _triple(fn, "stride", stride, default=kernel)
    padding = _triple(fn, "padding", padding)
    dilation = _triple(fn, "dilation", dilation)
    if input.dim() not in (4, 5):
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    out = tuple(_pool_output_size(input.shape[-3 + i], kernel[i], padding[i], stride[i], dilation[i], ceil_mode)
                for i in range(3))
    return kernel, stride, padding, dilation, out


def _shape_check(fn_name: str, input: Tensor, kernel, stride, padding, dilation, out, check_input_size=False):
    """PyTorch's pool3d_shape_check."""
    kt, kh, kw = kernel
    if kt <= 0 or kh <= 0 or kw <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kT: {kt} kH: {kh} kW: {kw}")
    if min(stride) <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got dT: {stride[0]} dH: {stride[1]} "
                           f"dW: {stride[2]}")
    if min(dilation) <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilationT: {dilation[0]} "
                           f"dilationH: {dilation[1]} dilationW: {dilation[2]}")
    for i, size in enumerate(input.shape):
        if size == 0 and not (input.dim() == 5 and i == 0):
            raise RuntimeError(f"{fn_name}: Expected input's non-batch dimensions to have positive length, but "
                               f"input has a shape of {_dims(input.shape)} and non-batch dimension {size} has "
                               "length zero!")
    t, h, w = input.shape[-3:]
    if check_input_size and (t < kt or h < kh or w < kw):
        raise RuntimeError(f"input image (T: {t} H: {h} W: {w}) smaller than kernel size (kT: {kt} kH: {kh} "
                           f"kW: {kw})")
    if kt // 2 < padding[0] or kw // 2 < padding[2] or kh // 2 < padding[1]:
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got kT: {kt} kW: {kw} "
                           f"kH: {kh} padT: {padding[0]} padW: {padding[2]} padH: {padding[1]}")
    if min(out) < 1:
        planes = input.shape[-4]
        raise RuntimeError(f"Given input size: ({planes}x{t}x{h}x{w}). Calculated output size: "
                           f"({planes}x{out[0]}x{out[1]}x{out[2]}). Output size is too small")


def _batched(input: Tensor) -> Tensor:
    return input.unsqueeze(0) if input.dim() == 4 else input


# ----- the public functions -----------------------------------------------------------------

@op(method=False, functional=True, checked=False)
def max_pool3d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """Max over (dilated) kd x kh x kw windows. input: (N, C, D, H, W) or (C, D, H, W) ->
    (N, C, od, oh, ow), plus the int64 argmax positions (flat in each D x H x W volume) with
    return_indices."""
    _check_tensor("max_pool3d", "input", 1, input)
    kernel, stride, padding, dilation, out = _sizes("max_pool3d", input, kernel_size, stride, padding, dilation,
                                                    ceil_mode)
    _shape_check("max_pool3d_with_indices_out_cpu_template()", input, kernel, stride, padding, dilation, out)
    indices = []
    if input.numel() == 0:
        values = input.new_zeros(tuple(input.shape[:-3]) + out) + input.sum() * 0
        indices.append(_creation.zeros(values.shape, dtype=dtypes.int64, device=input.device))
    else:
        values = MaxPool3DWithIndicesBackward0.apply(input, kernel, stride, padding, dilation, bool(ceil_mode), out,
                                                     indices)
    index = indices[0]
    return (values, index) if return_indices else values


@functional
def max_pool3d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = False):
    """max_pool3d's (values, indices)."""
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


@functional
def avg_pool3d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """Mean over kd x kh x kw windows. input: (N, C, D, H, W) or (C, D, H, W) -> (N, C, od, oh, ow);
    each window is divided by divisor_override, else by its size counting (count_include_pad)
    the padding or not."""
    _check_tensor("avg_pool3d", "input", 1, input)
    kernel = _triple("avg_pool3d", "kernel_size", kernel_size)
    stride = _triple("avg_pool3d", "stride", stride, default=kernel)
    padding = _triple("avg_pool3d", "padding", padding)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    kernel, stride, padding, dilation, out = _sizes("avg_pool3d", input, kernel, stride, padding, 1, ceil_mode)
    _shape_check("avg_pool3d()", input, kernel, stride, padding, dilation, out, check_input_size=True)
    if not (input.dtype.is_floating_point or input.dtype is dtypes.int64):
        raise NotImplementedError(f"\"avg_pool3d_out_frame\" not implemented for '{input.dtype.legacy_name}'")
    divisors = _avg_divisors(input.shape[-3:], kernel, stride, padding, out, bool(count_include_pad),
                             0 if divisor_override is None else int(divisor_override))
    if input.numel() == 0:
        return input.new_zeros(tuple(input.shape[:-3]) + out) + input.sum() * 0
    return AvgPool3DBackward0.apply(input, kernel, stride, padding, bool(ceil_mode), out,
                                    _creation.tensor(divisors, device=input.device))
