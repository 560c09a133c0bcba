"""adaptive_avg_pool3d and adaptive_max_pool3d, separably on the 2-D ones (adaptive_pool.py).

An adaptive 3-D window is a run of depths [floor(i D / od), ceil((i + 1) D / od)) of one 2-D
adaptive window, the same in every depth slice. So the 2-D adaptive pool of every depth slice
followed by pooling over each window's depths is exact:

- average: every slice's window has the same size, so the mean of the slices' means is the
  mean (A_d (od, D) marks each window's depths: A_d @ slices / counts);
- maximum: the maximum over the depths of each slice's maximum, the argmax being the first
  depth holding it and that slice's argmax (PyTorch's first maximum in (d, h, w) order),
  returned as d * H * W + h * W + w.

Both are composed from differentiable ops, so their gradients come from the graph.
"""
from __future__ import annotations

from .. import _creation, dtypes
from .._declare import functional
from ..tensor import Tensor
from .adaptive_pool import (_check_float, _check_input, _check_nonempty, _empty_like_graph, _int_or_ints,
                            _tensor, _window_sum_matrix, _windows, adaptive_avg_pool2d,
                            adaptive_max_pool2d_with_indices)
from .conv import _dims


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
    lead, d = tuple(input.shape[:-3]), input.shape[-3]
    if input.numel() == 0 or 0 in sizes:
        return _empty_like_graph(input, lead + (od, oh, ow))
    slices = adaptive_avg_pool2d(_planes(input), (oh, ow))             # (P, D, oh, ow)
    depths = _window_sum_matrix(d, od, input)                         # (od, D)
    pooled = (depths @ slices.reshape(slices.shape[0], d, oh * ow)) / depths.sum(1, keepdim=True)
    return pooled.reshape(lead + (od, oh, ow))


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
    d, h, w = input.shape[-3:]
    values, plane_index = adaptive_max_pool2d_with_indices(_planes(input), (oh, ow))   # (P, D, oh, ow)
    p = values.shape[0]
    depth_index, _ = _windows(d, od)            # (od, kd); a short window repeats its last depth
    kd = depth_index.shape[1]
    taps = _tensor(depth_index.reshape(-1), input)
    gathered = values.index_select(1, taps).reshape(p, od, kd, oh, ow)
    best, k = gathered.max(2, keepdim=True)
    depth = taps.reshape(1, od, kd, 1, 1).expand(gathered.shape).gather(2, k)
    within = plane_index.index_select(1, taps).reshape(p, od, kd, oh, ow).gather(2, k)
    index = depth * (h * w) + within
    return best.reshape(out_shape), index.reshape(out_shape)


@functional
def adaptive_max_pool3d(input: Tensor, output_size, return_indices: bool = False):
    """Max over adaptive windows. input: (N, C, D, H, W) or (C, D, H, W) -> (N, C, od, oh, ow),
    plus the argmax positions (d * H * W + h * W + w in each volume) with return_indices."""
    out, indices = adaptive_max_pool3d_with_indices(input, output_size)
    return (out, indices) if return_indices else out
