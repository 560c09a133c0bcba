"""adaptive_avg_pool3d and adaptive_max_pool3d.

An adaptive 3-D window is a run of depths [floor(i D / od), ceil((i + 1) D / od)) of one 2-D
adaptive window, the same in every depth slice. The average is computed separably on the 2-D
one (adaptive_pool.py): every slice's window has the same size, so the mean of the slices'
means is the mean (A_d (od, D) marks each window's depths: A_d @ slices / counts). The maximum
is the backend's adaptive_max_pool3d (PyTorch's first maximum in (d, h, w) order, every NaN
replacing the maximum), its argmax returned as d * H * W + h * W + w.

Their nodes are PyTorch's (AdaptiveAvgPool3DBackward0, AdaptiveMaxPool3DBackward0); the
gradients are the adjoints (the transposed window matrices; a scatter to the argmaxes),
written in differentiable ops.
"""
from __future__ import annotations

import math

from .. import _creation, dtypes
from .._declare import functional
from ..autograd.function import Function
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from .adaptive_pool import (_check_float, _check_input, _check_nonempty, _empty_like_graph, _int_or_ints,
                            _window_sum_matrix, adaptive_avg_pool2d)
from .conv import _dims
from .pool import MaxPool2DWithIndicesBackwardBackward0


def _output_size_3d(fn: str, output_size, input: Tensor) -> list:
    """PyTorch's _list_with_default (None takes the input's size), then the int[3] parser."""
    if isinstance(output_size, int):  # bool included: the parser below refuses it
        return _int_or_ints(fn, output_size) * 3
    if len(input.shape) <= len(output_size):  # TypeError for objects without len(), as in PyTorch
        raise ValueError(f"Input dimension should be at least {len(output_size) + 1}")
    tail = input.shape[-len(output_size):]
    output_size = [d if v is None else v for v, d in zip(output_size, tail)]
    return _int_or_ints(fn, output_size)


def _planes(input: Tensor) -> Tensor:
    """(.., D, H, W) -> (P, D, H, W)."""
    return input.reshape((-1,) + tuple(input.shape[-3:]))


@functional
def adaptive_avg_pool3d(input: Tensor, output_size) -> Tensor:
    """Mean over adaptive windows. input: (N, C, D, H, W) or (C, D, H, W) -> (N, C, od, oh, ow);
    output_size is an int or a triple (None keeps the input's size)."""
    _check_input("adaptive_avg_pool3d", input)
    sizes = _output_size_3d("adaptive_avg_pool3d", output_size, input)
    if len(sizes) != 3:
        raise RuntimeError("adaptive_avg_pool3d: output_size must be 3")
    od, oh, ow = sizes
    if od < 0 or oh < 0 or ow < 0:
        raise RuntimeError("adaptive_avg_pool3d: elements of output_size must be greater than or equal to 0 but "
                           f"received {{{od}, {oh},{ow}}}")
    if od == 1 and oh == 1 and ow == 1:
        return input.mean((-1, -2, -3), keepdim=True)  # what PyTorch computes for a 1x1x1 output
    _check_nonempty("adaptive_avg_pool3d", input, range(1, input.dim()))
    if input.dim() not in (4, 5):
        raise RuntimeError(f"adaptive_avg_pool3d(): Expected 4D or 5D tensor, but got {_dims(input.shape)}")
    _check_float("adaptive_avg_pool3d_cpu", input)
    lead = tuple(input.shape[:-3])
    if input.numel() == 0 or 0 in sizes:
        return _empty_like_graph(input, lead + (od, oh, ow))
    return AdaptiveAvgPool3DBackward0.apply(input, (od, oh, ow))


@functional
def adaptive_max_pool3d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    """(max, argmax) over adaptive windows: input (N, C, D, H, W) or (C, D, H, W) -> two
    (N, C, od, oh, ow) tensors, the argmax as int64 positions d * H * W + h * W + w."""
    _check_input("adaptive_max_pool3d", input)
    sizes = _output_size_3d("adaptive_max_pool3d", output_size, input)
    if input.dim() not in (4, 5):
        raise RuntimeError(f"adaptive_max_pool3d(): Expected 4D or 5D tensor, but got: {_dims(input.shape)}")
    _check_nonempty("adaptive_max_pool3d", input, range(1, input.dim()))
    if len(sizes) != 3:
        raise RuntimeError("adaptive_max_pool3d(): internal error: output_size.size() must be 3")
    od, oh, ow = sizes
    lead = tuple(input.shape[:-3])
    out_shape = lead + (od, oh, ow)
    if min(sizes) < 0:
        negative = next(s for s in sizes if s < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {negative}: {_dims(out_shape)}")
    _check_float("adaptive_max_pool3d_cpu", input)
    if input.numel() == 0 or 0 in sizes:
        return (_empty_like_graph(input, out_shape),
                _creation.zeros(out_shape, dtype=dtypes.int64, device=input.device))
    indices = []
    values = AdaptiveMaxPool3DBackward0.apply(input, (od, oh, ow), indices)
    return values, indices[0]


class AdaptiveAvgPool3DBackward0(Function):
    """out = the mean of x (.., D, H, W) over each adaptive window; separable, so the gradient is
    A_d^T (grad / counts) A_h A_w per volume, A_* (out, in) marking each window's positions."""

    @staticmethod
    def forward(ctx, x, sizes):
        od, oh, ow = sizes
        d = x.shape[-3]
        ctx.input_shape = x.shape
        with no_grad():
            slices = adaptive_avg_pool2d(_planes(x), (oh, ow))             # (P, D, oh, ow)
            depths = _window_sum_matrix(d, od, x)                           # (od, D)
            pooled = (depths @ slices.reshape(slices.shape[0], d, oh * ow)) / depths.sum(1, keepdim=True)
        return pooled.reshape(tuple(x.shape[:-3]) + (od, oh, ow))._data

    @staticmethod
    def backward(ctx, grad):
        d, h, w = ctx.input_shape[-3:]
        od, oh, ow = grad.shape[-3:]
        a_d, a_h, a_w = (_window_sum_matrix(n, o, grad) for n, o in ((d, od), (h, oh), (w, ow)))
        counts = (a_d.sum(1).reshape(-1, 1, 1) * a_h.sum(1).reshape(1, -1, 1) * a_w.sum(1).reshape(1, 1, -1))
        g = (grad / counts).reshape(-1, od, oh * ow)
        g = (a_d.t() @ g).reshape(-1, d, oh, ow)                            # (P, D, oh, ow)
        g = a_h.t() @ g @ a_w                                               # (P, D, H, W)
        return g.reshape(ctx.input_shape), None


class AdaptiveMaxPool3DBackward0(Function):
    """out = the max of x (.., D, H, W) over each adaptive window; the gradient goes to each
    window's argmax. ``indices_out``, an empty list, receives the argmax positions."""

    @staticmethod
    def forward(ctx, x, sizes, indices_out):
        values, indices = x._backend.adaptive_max_pool3d(x._data, sizes)
        ctx.indices, ctx.input_shape = Tensor._wrap(indices, x._backend), x.shape
        indices_out.append(ctx.indices)
        return values

    @staticmethod
    def backward(ctx, grad):
        # max_pool2d's scatter (a backend kernel) with each volume as one plane of D*H*W
        planes, volume = math.prod(ctx.input_shape[:-3]), math.prod(ctx.input_shape[-3:])
        flat = MaxPool2DWithIndicesBackwardBackward0.apply(grad.reshape(planes, 1, -1),
                                                          ctx.indices.reshape(planes, 1, -1), (planes, 1, volume))
        return flat.reshape(ctx.input_shape), None, None


@functional
def adaptive_max_pool3d(input: Tensor, output_size, return_indices: bool = False):
    """Max over adaptive windows. input: (N, C, D, H, W) or (C, D, H, W) -> (N, C, od, oh, ow),
    plus the argmax positions (d * H * W + h * W + w in each volume) with return_indices."""
    out, indices = adaptive_max_pool3d_with_indices(input, output_size)
    return (out, indices) if return_indices else out
