"""Adaptive pooling: adaptive_avg_pool1d/2d and adaptive_max_pool1d/2d, with PyTorch's
argument checks and messages (nn.functional's).

Output cell (i, j) pools input rows [floor(i H / oh), ceil((i + 1) H / oh)) and columns
[floor(j W / ow), ceil((j + 1) W / ow)), PyTorch's formula. Gradients (and gradients of
gradients) come from the graph:

- an output of 1x1 (average) is a mean over H and W, as PyTorch computes it;
- when H and W are multiples of the output size, the windows are a plain pooling grid
  (kernel = stride = H / oh), computed by avg_pool2d / max_pool2d;
- otherwise the average is A_h @ x @ A_w^T / counts, A_h (oh, H) marking each window's rows,
  and the maximum is the backend's adaptive_max_pool2d (a numba kernel on the CPU), its
  argmax as positions h * W + w in the input plane, its gradient max_pool2d's scatter.
"""
from __future__ import annotations

import functools

import numpy as np

from .. import _creation, dtypes
from .._backends._table_errors import call_translating
from .._declare import functional
from ..autograd.function import Function
from ..tensor import Tensor
from . import pool as _pool
from .conv import _dims


# ----- argument checks ----------------------------------------------------------------------

def _check_input(fn: str, input) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")


def _check_float(fn: str, input: Tensor) -> None:
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"{fn}\" not implemented for '{input.dtype.legacy_name}'")


def _int_or_ints(fn: str, value) -> list:
    """output_size as PyTorch's int[] argument parser reads it."""
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    if not isinstance(value, (tuple, list)):
        raise TypeError(f"{fn}(): argument 'output_size' (position 2) must be tuple of ints, not "
                        f"{type(value).__name__}")
    for pos, v in enumerate(value):
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError(f"{fn}(): argument 'output_size' (position 2) must be tuple of ints, but found "
                            f"element of type {type(v).__name__} at pos {pos}")
    return list(value)


def _output_size_2d(fn: str, output_size, input: Tensor) -> list:
    """PyTorch's _list_with_default (None takes the input's size), then the int[2] parser."""
    if isinstance(output_size, int):  # bool included: the parser below refuses it
        return _int_or_ints(fn, output_size) * 2
    if len(input.shape) <= len(output_size):  # TypeError for objects without len(), as in PyTorch
        raise ValueError(f"Input dimension should be at least {len(output_size) + 1}")
    tail = input.shape[-len(output_size):]
    output_size = [d if v is None else v for v, d in zip(output_size, tail)]
    return _int_or_ints(fn, output_size)


def _check_nonempty(fn: str, input: Tensor, dims) -> None:
    for i in dims:
        if input.shape[i] == 0:
            raise RuntimeError(f"{fn}(): Expected input to have non-zero size for non-batch dimensions, but input "
                               f"has sizes {_dims(input.shape)} with dimension {i} being empty")


def _check_dim_range_1d(fn: str, input: Tensor) -> None:
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional tensor for argument #1 "
                           f"'self' (while checking arguments for {fn})")


def _output_size_1d(fn: str, output_size) -> int:
    sizes = _int_or_ints(fn, output_size)
    if len(sizes) != 1:
        raise RuntimeError(f"{fn}() argument 'output_size' should contain one int (got {len(sizes)})")
    return sizes[0]


# ----- the windows --------------------------------------------------------------------------

@functools.lru_cache(maxsize=256)
def _windows(size: int, out: int) -> tuple:
    """(index (out, k), valid (out, k)) of each output cell's input positions, k = the longest
    window; a shorter window repeats its last position, marked invalid."""
    cells = call_translating(np.arange, out, dtype=np.int64)  # (an output no memory holds fails here)
    starts = (cells * size) // out if out else cells
    ends = -(-((cells + 1) * size) // out) if out else cells
    k = int((ends - starts).max()) if out else 1
    offsets = np.arange(k, dtype=np.int64)
    index = np.minimum(starts[:, None] + offsets, ends[:, None] - 1) if out else np.zeros((0, k), np.int64)
    valid = (starts[:, None] + offsets) < ends[:, None] if out else np.zeros((0, k), bool)
    return index, valid


def _tensor(array: np.ndarray, like: Tensor, dtype=None) -> Tensor:
    return _creation.tensor(array, dtype=dtype, device=like.device)


def _window_sum_matrix(size: int, out: int, like: Tensor) -> Tensor:
    """(out, size) matrix with 1 where input position j is in output cell i's window."""
    index, valid = _windows(size, out)
    matrix = np.zeros((out, size), dtype=like.dtype.np)
    rows = np.repeat(np.arange(out), index.shape[1])
    matrix[rows[valid.reshape(-1)], index[valid]] = 1
    return _tensor(matrix, like, like.dtype)


# ----- adaptive average pooling -------------------------------------------------------------

@functional
def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Mean over adaptive windows. input: (N, C, H, W) or (C, H, W) -> (N, C, oh, ow); output_size
    is an int or a pair (None keeps the input's size)."""
    _check_input("adaptive_avg_pool2d", input)
    sizes = _output_size_2d("adaptive_avg_pool2d", output_size, input)
    if len(sizes) != 2:
        raise RuntimeError("adaptive_avg_pool2d: output_size must be 2")
    oh, ow = sizes
    if oh < 0 or ow < 0:
        raise RuntimeError("adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but "
                           f"received {{{oh}, {ow}}}")
    if oh == 1 and ow == 1:
        return input.mean((-1, -2), keepdim=True)  # what PyTorch computes for a 1x1 output
    _check_nonempty("adaptive_avg_pool2d", input, range(max(input.dim() - 2, 0), input.dim()))
    if input.dim() not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {_dims(input.shape)}")
    _check_float("adaptive_avg_pool2d", input)
    h, w = input.shape[-2:]
    if input.numel() == 0 or oh == 0 or ow == 0:
        return _empty_like_graph(input, tuple(input.shape[:-2]) + (oh, ow))
    if h % oh == 0 and w % ow == 0:
        return _pool.avg_pool2d(input, (h // oh, w // ow))
    rows = _window_sum_matrix(h, oh, input)   # (oh, H)
    cols = _window_sum_matrix(w, ow, input)   # (ow, W)
    counts = rows.sum(1, keepdim=True) * cols.sum(1)
    return rows @ (input @ cols.t()) / counts


@functional
def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """Mean over adaptive windows. input: (N, C, L) or (C, L) -> (N, C, output_size)."""
    _check_input("adaptive_avg_pool1d", input)
    _check_dim_range_1d("adaptive_avg_pool1d", input)
    size = _output_size_1d("adaptive_avg_pool1d", output_size)
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, size)).squeeze(-2)


# ----- adaptive max pooling -----------------------------------------------------------------

@functional
def adaptive_max_pool2d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    """(max, argmax) over adaptive windows: input (N, C, H, W) or (C, H, W) -> two (N, C, oh, ow)
    tensors, the argmax as int64 positions h * W + w in each input plane."""
    _check_input("adaptive_max_pool2d", input)
    sizes = _output_size_2d("adaptive_max_pool2d", output_size, input)
    if input.dim() not in (3, 4):
        raise RuntimeError(f"adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: {_dims(input.shape)}")
    _check_nonempty("adaptive_max_pool2d", input, range(1, input.dim()))
    if len(sizes) != 2:
        raise RuntimeError("adaptive_max_pool2d(): internal error: output_size.size() must be 2")
    oh, ow = sizes
    out_shape = tuple(input.shape[:-2]) + (oh, ow)
    if oh < 0 or ow < 0:
        negative = oh if oh < 0 else ow
        raise RuntimeError(f"Trying to create tensor with negative dimension {negative}: {_dims(out_shape)}")
    _check_float("adaptive_max_pool2d", input)
    h, w = input.shape[-2:]
    if input.numel() == 0 or oh == 0 or ow == 0:
        return _empty_like_graph(input, out_shape), _creation.zeros(out_shape, dtype=dtypes.int64,
                                                                      device=input.device)
    if h % oh == 0 and w % ow == 0:
        return _pool.max_pool2d(input, (h // oh, w // ow), return_indices=True)
    indices_out = []
    values = AdaptiveMaxPool2DBackward0.apply(input, (oh, ow), indices_out)
    return values, Tensor._wrap(indices_out[0], input._backend)


class AdaptiveMaxPool2DBackward0(Function):
    """out = max over each adaptive window of x (*, H, W) (the backend's adaptive_max_pool2d
    kernel); the gradient goes to each window's argmax, as max_pool2d's does.

    ``indices_out`` is an empty list that forward fills with the argmax positions (an int64
    array shaped like out, h * W + w within each plane).
    """

    @staticmethod
    def forward(ctx, x, out_hw, indices_out):
        out, indices = x._backend.adaptive_max_pool2d(x._data, out_hw)
        ctx.indices = indices
        ctx.input_shape = x.shape
        indices_out.append(indices)
        return out

    @staticmethod
    def backward(ctx, grad):
        indices = Tensor._wrap(ctx.indices, grad._backend)
        return _pool.MaxPool2DWithIndicesBackwardBackward0.apply(grad, indices, ctx.input_shape), None, None


@functional
def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """Max over adaptive windows. input: (N, C, H, W) or (C, H, W) -> (N, C, oh, ow), plus the
    argmax positions (h * W + w in each plane) with return_indices."""
    out, indices = adaptive_max_pool2d_with_indices(input, output_size)
    return (out, indices) if return_indices else out


@functional
def adaptive_max_pool1d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    """(max, argmax) over adaptive windows: input (N, C, L) or (C, L) -> two (N, C, output_size) tensors."""
    _check_input("adaptive_max_pool1d", input)
    _check_dim_range_1d("adaptive_max_pool1d", input)
    _check_nonempty("adaptive_max_pool1d", input, range(1, input.dim()))
    size = _output_size_1d("adaptive_max_pool1d", output_size)
    out, indices = adaptive_max_pool2d_with_indices(input.unsqueeze(-2), (1, size))
    return out.squeeze(-2), indices.squeeze(-2)


@functional
def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    """Max over adaptive windows. input: (N, C, L) or (C, L) -> (N, C, output_size), plus the
    argmax positions with return_indices."""
    out, indices = adaptive_max_pool1d_with_indices(input, output_size)
    return (out, indices) if return_indices else out


def _last_nan_wins(values: Tensor, index: Tensor, dim: int) -> Tensor:
    """index (keepdim) of the maximum along dim, moved to the last NaN of values along dim where
    there is one: PyTorch's adaptive max kernels let every NaN they scan replace the maximum
    (max(dim) keeps the first)."""
    n = values.shape[dim]
    shape = [1] * values.dim()
    shape[dim] = n
    rank = values.isnan().to(dtypes.int64) * _creation.arange(1, n + 1, device=values.device).reshape(shape)
    last = rank.amax(dim, keepdim=True)
    return (last - 1).where(last > 0, index)


def _empty_like_graph(input: Tensor, shape: tuple) -> Tensor:
    """Zeros of shape that still hang off input's graph (an empty output's gradient is zero)."""
    return input.new_zeros(shape) + input.reshape(-1)[:0].sum()
