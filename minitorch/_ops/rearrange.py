"""Moving elements around without changing them: roll, rot90, fliplr, flipud, meshgrid."""
from __future__ import annotations

import warnings

from .._declare import function, op
from .._size import _is_int
from ..autograd.function import Function
from ..tensor import Tensor
from ._common import wrap_dim
from .permute import flip


def _as_tuple(x, fn: str = "roll", arg: str = "shifts", position: int = 2) -> tuple:
    """An int or a sequence of ints (shifts, dims) as a tuple of ints; PyTorch's TypeError for
    anything else (a float, a string, a float inside the sequence)."""
    where = f"{fn}(): argument '{arg}' (position {position}) must be tuple of ints"
    if not isinstance(x, (tuple, list)):
        if not _is_int(x):
            raise TypeError(f"{where}, not {type(x).__name__}")
        return (int(x),)
    for i, v in enumerate(x):
        if not _is_int(v):
            raise TypeError(f"{where}, but found element of type {type(v).__name__} at pos {i}")
    return tuple(int(v) for v in x)


class RollBackward0(Function):
    """a rolled by shifts along dims (elements pushed past the end come back at the start);
    backward rolls the gradient back."""

    tensor_inputs = 1

    @staticmethod
    def forward(a, shifts, dims):
        be = a._backend
        data = a._data
        if not dims:  # the flattened tensor, rolled, in the original shape
            n = a.numel()
            flat = be.reshape(data, (n,))
            return be.reshape(_roll_raw(be, flat, shifts[0], 0, a.dtype), tuple(a.shape))
        out = data
        for shift, dim in zip(shifts, dims):
            out = _roll_raw(be, out, shift, dim, a.dtype)
        return out if out is not data else be.copy(data)

    @staticmethod
    def setup_context(ctx, inputs, output):
        _, ctx.shifts, ctx.dims = inputs

    @staticmethod
    def backward(ctx, grad):
        back = tuple(-s for s in ctx.shifts)
        return (grad.roll(back[0]) if not ctx.dims else grad.roll(back, ctx.dims)), None, None


def _roll_raw(be, data, shift: int, dim: int, dtype):
    n = data.shape[dim]
    if n == 0 or shift % n == 0:
        return data
    s = shift % n
    head = (slice(None),) * dim + (slice(n - s, None),)
    tail = (slice(None),) * dim + (slice(0, n - s),)
    return be.concatenate([be.getitem(data, head), be.getitem(data, tail)], dim, dtype)


@op
def roll(input: Tensor, shifts, dims=None) -> Tensor:
    """input with its elements shifted by shifts along dims (wrapping around); without dims,
    the flattened tensor is rolled and the shape restored."""
    a = input
    shifts = _as_tuple(shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
        return RollBackward0.apply(a, shifts, ())
    dims = _as_tuple(dims, arg="dims", position=3)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    dims = tuple(wrap_dim(d, a.dim()) for d in dims)
    return RollBackward0.apply(a, tuple(int(s) for s in shifts), dims)


class Rot90Backward0(Function):
    """a rotated k quarter turns in the plane of dims (from the first toward the second);
    backward rotates back."""

    tensor_inputs = 1

    @staticmethod
    def forward(a, k, dims):
        be = a._backend
        d0, d1 = dims
        perm = list(range(a.dim()))
        perm[d0], perm[d1] = perm[d1], perm[d0]
        if k == 1:
            return be.permute(be.flip(a._data, (d1,)), perm)
        if k == 2:
            return be.flip(a._data, (d0, d1))
        if k == 3:
            return be.permute(be.flip(a._data, (d0,)), perm)
        return be.copy(a._data)

    @staticmethod
    def setup_context(ctx, inputs, output):
        _, ctx.k, ctx.dims = inputs

    @staticmethod
    def backward(ctx, grad):
        return grad.rot90(-ctx.k, ctx.dims), None, None


@op
def rot90(input: Tensor, k: int = 1, dims=(0, 1)) -> Tensor:
    """input rotated by k * 90 degrees in the plane of dims, from the first dim toward the second."""
    a = input
    dims = list(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if a.dim() < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {a.dim()}")
    if dims[0] == dims[1] or abs(dims[0] - dims[1]) == a.dim():
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} and dim1 = {dims[1]}")
    d0, d1 = wrap_dim(dims[0], a.dim()), wrap_dim(dims[1], a.dim())
    return Rot90Backward0.apply(a, int(k) % 4, (d0, d1))


@op
def fliplr(input: Tensor) -> Tensor:
    """input reversed along its second dim (left to right)."""
    if input.dim() < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, 1)


@op
def flipud(input: Tensor) -> Tensor:
    """input reversed along its first dim (up to down)."""
    if input.dim() < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, 0)


@function
def meshgrid(*tensors, indexing: str | None = None) -> tuple:
    """Coordinate grids from 1-D tensors: output i holds tensors[i] along dim i, repeated along
    the others ("ij" indexing; "xy" swaps the first two dims, as NumPy's default)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.",
                      UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"meshgrid(): argument 'tensors' must be tuple of Tensors, but found element of type "
                            f"{type(t).__name__} at pos {i}")
        if t.dim() > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t}")
        if t.dtype is not tensors[0].dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
        if t._backend is not tensors[0]._backend:
            raise RuntimeError("meshgrid expects all tensors to have the same device")
    swap = indexing == "xy" and len(tensors) >= 2
    order = list(tensors)
    if swap:
        order[0], order[1] = order[1], order[0]
    sizes = [t.numel() for t in order]
    grids = []
    for i, t in enumerate(order):
        shape = [1] * len(order)
        shape[i] = -1
        grids.append(t.reshape(shape).expand(sizes))
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)
