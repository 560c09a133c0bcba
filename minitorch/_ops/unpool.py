"""F.max_unpool1d / max_unpool2d: the partial inverse of max pooling (each value put back at its
argmax, zeros elsewhere), PyTorch's output-size arithmetic and checks, and its node
MaxUnpool2DBackward0 (the 1-D form is the 2-D one on (N, C, L, 1), as in PyTorch)."""
from __future__ import annotations

import numpy as np

from .. import dtypes
from .._declare import functional
from ..autograd.function import Function
from ..tensor import Tensor
from ._common import check_tensor
from .conv import _dims


class MaxUnpool2DBackward0(Function):
    """out (*, oh, ow) zeros with out[..., indices[..., k]] = x[..., k] per plane (a later value
    wins where indices repeat); d/dx gathers grad at indices."""

    @staticmethod
    def forward(ctx, x, indices, out_hw):
        be = x._backend
        lead = tuple(x.shape[:-2])
        planes, area = int(np.prod(lead)), out_hw[0] * out_hw[1]
        ctx.save_for_backward(indices)
        ctx.area = area
        out = be.zeros((planes, area), x.dtype)
        rows = be.from_numpy(np.arange(planes, dtype=np.int64).reshape(-1, 1))
        cells = x.shape[-2] * x.shape[-1]  # (spelled out, not -1: planes may be 0)
        flat_index = be.reshape(be.contiguous(indices._data), (planes, cells))
        be.setitem(out, (rows, flat_index), be.reshape(be.contiguous(x._data), (planes, cells)))
        return be.reshape(out, lead + tuple(out_hw))

    @staticmethod
    def backward(ctx, grad):
        (indices,) = ctx.saved_tensors
        planes = indices.numel() // (indices.shape[-2] * indices.shape[-1]) if indices.numel() else 0
        flat = grad.reshape(planes, ctx.area)
        taken = flat.gather(1, indices.reshape(planes, indices.shape[-2] * indices.shape[-1]))
        return taken.view(indices.shape), None, None


def _is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _tuple(value, n: int, fn: str = "max_unpool", name: str = "kernel_size") -> tuple:
    """An int or a sequence of ints as an n-tuple of ints, or TypeError naming the argument."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * n
    if not all(_is_int(v) for v in values):
        raise TypeError(f"{fn}(): argument '{name}' must be tuple of ints, not {type(value).__name__}")
    return tuple(int(v) for v in values)


def _sizes(fn: str, output_size):
    """output_size: None or a sequence of ints (TypeError otherwise)."""
    if output_size is None:
        return None
    if not isinstance(output_size, (tuple, list)) or not all(_is_int(v) for v in output_size):
        raise TypeError(f"{fn}(): argument 'output_size' must be a sequence of ints, not "
                        f"{type(output_size).__name__}")
    return output_size


def _unpool_output_size(input: Tensor, kernel: tuple, stride: tuple, padding: tuple, output_size) -> list:
    """PyTorch's _unpool_output_size: the default size, or output_size checked against it."""
    n = len(kernel)
    default = [(input.shape[-n + d] - 1) * stride[d] + kernel[d] - 2 * padding[d] for d in range(n)]
    if output_size is None:
        sizes = default
    else:
        given = output_size
        if len(given) == n + 2:
            given = given[2:]
        if len(given) != n:
            raise ValueError(f"output_size should be a sequence containing {n} or {n + 2} elements, but it has a "
                             f"length of '{len(given)}'")
        for d in range(n):
            low, high = default[d] - stride[d], default[d] + stride[d]
            if not low < given[d] < high:
                raise ValueError(f'invalid output_size "{given}" (dim {d} must be between {low} and {high})')
        sizes = [int(s) for s in given]
    for d in range(n):
        if sizes[d] < 0:
            raise ValueError("max_unpooling: output_size must contain non-negative spatial dimensions, but got "
                             f"output_size[{d}]={sizes[d]}")
    return sizes


def _max_unpool2d(input: Tensor, indices: Tensor, out_hw) -> Tensor:
    """ATen's max_unpool2d with its checks."""
    if indices.dtype is not dtypes.int64:
        raise RuntimeError(f"elements in indices should be type int64 but got: {indices.dtype.legacy_name}")
    if input.dim() not in (3, 4):
        raise RuntimeError("Input to max_unpooling2d should be a 3d or 4d Tensor, but got a tensor with "
                           f"{input.dim()} dimensions.")
    if tuple(input.shape) != tuple(indices.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor ({_dims(input.shape)}) "
                           f"but got indices tensor with shape: {_dims(indices.shape)}")
    for i in range(1, input.dim()):
        if input.shape[i] == 0:
            raise RuntimeError("max_unpooling2d_forward_out_cpu(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but got {_dims(input.shape)} with dimension {i} being empty.")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"max_unpool2d\" not implemented for '{input.dtype.legacy_name}'")
    if input._backend is not indices._backend:
        raise RuntimeError(f"Expected all tensors to be on the same device, but found at least two devices, "
                           f"{input.device} and {indices.device}!")
    area = out_hw[0] * out_hw[1]
    host = indices._backend.to_numpy(indices._data).reshape(-1)
    bad = np.flatnonzero((host < 0) | (host >= area))
    if bad.size:
        raise RuntimeError(f"Found an invalid max index: {host[bad[0]]} (output volumes are of size "
                           f"{out_hw[0]}x{out_hw[1]})")
    return MaxUnpool2DBackward0.apply(input, indices, tuple(out_hw))


@functional
def max_unpool2d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """The inverse of max_pool2d(return_indices=True): input (N, C, h, w) or (C, h, w) and its
    indices -> (N, C, H, W), zeros except at the indices."""
    check_tensor(input, "max_unpool2d", attribute_error=True)
    check_tensor(indices, "max_unpool2d", "indices", 2)
    fn = "max_unpool2d"
    kernel = _tuple(kernel_size, 2, fn, "kernel_size")
    step = _tuple(stride, 2, fn, "stride") if stride is not None else kernel
    sizes = _unpool_output_size(input, kernel, step, _tuple(padding, 2, fn, "padding"), _sizes(fn, output_size))
    return _max_unpool2d(input, indices, sizes)


@functional
def max_unpool1d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """The inverse of max_pool1d(return_indices=True): input (N, C, l) or (C, l) and its indices
    -> (N, C, L), zeros except at the indices."""
    check_tensor(input, "max_unpool1d", attribute_error=True)
    check_tensor(indices, "max_unpool1d", "indices", 2)
    fn = "max_unpool1d"
    kernel = _tuple(kernel_size, 1, fn, "kernel_size")
    step = _tuple(stride, 1, fn, "stride") if stride is not None else kernel
    sizes = _unpool_output_size(input, kernel, step, _tuple(padding, 1, fn, "padding"), _sizes(fn, output_size))
    return _max_unpool2d(input.unsqueeze(-1), indices.unsqueeze(-1), sizes + [1]).squeeze(-1)
