"""Shape ops: views (view, permute, transpose, squeeze, unsqueeze, expand) and copies
(reshape of a non-contiguous layout, clone, dtype conversion), cat and stack.

A view shares its input's memory and version counter, as in PyTorch; its backward
only rearranges the gradient.
"""
from __future__ import annotations

from ... import dtypes
from ...tensor import Tensor
from ..function import Function
from ..grad_mode import _enabled
from ._common import wrap_dim


def infer_shape(shape, numel: int) -> tuple:
    """shape with one -1 resolved for numel elements, or PyTorch's RuntimeError."""
    shape = tuple(int(s) for s in shape)
    unknown = [i for i, s in enumerate(shape) if s == -1]
    if len(unknown) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s}")
        if s != -1:
            known *= s
    spec = "[" + ", ".join(map(str, shape)) + "]"
    if unknown:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{spec}' is invalid for input of size {numel}")
        i = unknown[0]
        return shape[:i] + (numel // known,) + shape[i + 1:]
    if known != numel:
        raise RuntimeError(f"shape '{spec}' is invalid for input of size {numel}")
    return shape


class ViewBackward0(Function):
    is_view = True

    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        out = a._backend.view(a._data, shape)
        if out is None:
            raise RuntimeError(
                "view size is not compatible with input tensor's size and stride (at least one "
                "dimension spans across two contiguous subspaces). Use .reshape(...) instead.")
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape), None


class UnsafeViewBackward0(Function):
    """reshape of a layout that no view can express: a copy with the new shape."""

    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return a._backend.reshape(a._backend.contiguous(a._data), shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape), None


def view(a: Tensor, shape) -> Tensor:
    return ViewBackward0.apply(a, infer_shape(shape, a.numel()))


def reshape(a: Tensor, shape) -> Tensor:
    shape = infer_shape(shape, a.numel())
    if a._backend.view(a._data, shape) is not None:
        return ViewBackward0.apply(a, shape)
    return UnsafeViewBackward0.apply(a, shape)


class PermuteBackward0(Function):
    is_view = True

    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return a._backend.permute(a._data, dims)

    @staticmethod
    def backward(ctx, grad):
        inverse = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inverse[d] = i
        return grad.permute(inverse), None


def permute(a: Tensor, dims) -> Tensor:
    n = a.dim()
    if len(dims) != n:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {n} is not equal to "
            f"len(dims) = {len(dims)}")
    dims = tuple(wrap_dim(d, n) for d in dims)
    if len(set(dims)) != n:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return PermuteBackward0.apply(a, dims)


class TransposeBackward0(Function):
    is_view = True

    @staticmethod
    def forward(ctx, a, dim0, dim1):
        ctx.dims = (dim0, dim1)
        order = list(range(a.dim()))
        order[dim0], order[dim1] = order[dim1], order[dim0]
        return a._backend.permute(a._data, order)

    @staticmethod
    def backward(ctx, grad):
        return grad.transpose(*ctx.dims), None, None


class TBackward0(Function):
    is_view = True

    @staticmethod
    def forward(ctx, a):
        if a.dim() > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {a.dim()}D")
        return a._backend.permute(a._data, tuple(reversed(range(a.dim()))))

    @staticmethod
    def backward(ctx, grad):
        return grad.t()


def transpose(a: Tensor, dim0: int, dim1: int) -> Tensor:
    n = a.dim()
    if n == 0:
        wrap_dim(dim0, 0), wrap_dim(dim1, 0)
        return ViewBackward0.apply(a, ())
    return TransposeBackward0.apply(a, wrap_dim(dim0, n), wrap_dim(dim1, n))


class _Reshaping(Function):
    """A view that only inserts or removes size-1 dims; backward reshapes back."""

    is_view = True

    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return a._backend.view(a._data, shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape), None


class SqueezeBackward0(_Reshaping):
    pass


class SqueezeBackward1(_Reshaping):
    pass


class SqueezeBackward2(_Reshaping):
    pass


class UnsqueezeBackward0(_Reshaping):
    pass


def squeeze(a: Tensor, dim=None) -> Tensor:
    shape = a.shape
    if dim is None:
        return SqueezeBackward0.apply(a, tuple(s for s in shape if s != 1))
    if isinstance(dim, (tuple, list)):
        dims = {wrap_dim(d, a.dim()) for d in dim}
        return SqueezeBackward2.apply(a, tuple(s for i, s in enumerate(shape) if not (i in dims and s == 1)))
    d = wrap_dim(dim, a.dim())
    if a.dim() == 0:
        return SqueezeBackward1.apply(a, ())
    return SqueezeBackward1.apply(a, tuple(s for i, s in enumerate(shape) if not (i == d and s == 1)))


def unsqueeze(a: Tensor, dim: int) -> Tensor:
    d = wrap_dim(dim, a.dim() + 1)
    shape = tuple(a.shape)
    return UnsqueezeBackward0.apply(a, shape[:d] + (1,) + shape[d:])


class ExpandBackward0(Function):
    is_view = True

    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return a._backend.expand(a._data, shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.sum_to_size(ctx.shape), None


def expand(a: Tensor, sizes) -> Tensor:
    sizes = tuple(int(s) for s in sizes)
    shape = tuple(a.shape)
    if len(sizes) < len(shape):
        raise RuntimeError(
            f"expand(torch.FloatTensor{{[{', '.join(map(str, shape))}]}}, size=[{', '.join(map(str, sizes))}]): "
            f"the number of sizes provided ({len(sizes)}) must be greater or equal to the number of "
            f"dimensions in the tensor ({len(shape)})")
    lead = len(sizes) - len(shape)
    out = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(
                    f"The expanded size of the tensor ({s}) isn't allowed in a leading, "
                    f"non-existing dimension {i}")
            out.append(s)
            continue
        have = shape[i - lead]
        if s == -1:
            s = have
        elif have != s and have != 1:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({have}) at "
                f"non-singleton dimension {i}.  Target sizes: [{', '.join(map(str, sizes))}].  "
                f"Tensor sizes: [{', '.join(map(str, shape))}]")
        out.append(s)
    return ExpandBackward0.apply(a, tuple(out))


def sum_to_size(a: Tensor, shape) -> Tensor:
    """Sum a broadcast tensor down to shape (the reverse of expand)."""
    shape = tuple(shape)
    if tuple(a.shape) == shape:
        return a
    lead = a.dim() - len(shape)
    dims = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(shape) if s == 1 and a.shape[lead + i] != 1)
    out = a.sum(dim=dims, keepdim=True) if dims else a
    return out.view(shape) if lead or tuple(out.shape) != shape else out


class CloneBackward0(Function):
    @staticmethod
    def forward(ctx, a):
        return a._backend.copy(a._data)

    @staticmethod
    def backward(ctx, grad):
        return grad


class ToCopyBackward0(Function):
    """A conversion to another dtype; the gradient converts back."""

    @staticmethod
    def forward(ctx, a, dtype):
        ctx.dtype = a.dtype
        return a._backend.astype(a._data, dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad.to(ctx.dtype), None


def to_dtype(a: Tensor, dtype, copy: bool = False) -> Tensor:
    if dtype is a.dtype and not copy:
        return a
    if dtype is a.dtype:
        return CloneBackward0.apply(a)
    return ToCopyBackward0.apply(a, dtype)


class CatBackward0(Function):
    @staticmethod
    def forward(ctx, dim, dtype, *tensors):
        ctx.sizes = [t._data.shape[dim] for t in tensors]
        ctx.dim = dim
        return tensors[0]._backend.concatenate([t._data for t in tensors], dim, dtype)

    @staticmethod
    def backward(ctx, grad):
        grads, start = [None, None], 0
        for n in ctx.sizes:
            grads.append(grad.narrow(ctx.dim, start, n))
            start += n
        return tuple(grads)


def _check_list(tensors, name: str) -> list:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}(): argument 'tensors' must be tuple of Tensors, not {type(tensors).__name__}")
    tensors = list(tensors)
    if not tensors:
        raise ValueError(f"torch.{name}(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
        if t._backend is not tensors[0]._backend:
            raise RuntimeError(
                f"Expected all tensors to be on the same device, but found at least two devices, "
                f"{tensors[0].device} and {t.device}!")
    return tensors


def _promote_all(tensors):
    dtype = tensors[0].dtype
    for t in tensors[1:]:
        dtype = dtypes.promote_types(dtype, t.dtype)
    return dtype


def cat(tensors, dim: int = 0) -> Tensor:
    tensors = _check_list(tensors, "cat")
    ref = tensors[0]
    if ref.dim() and all(t._data.ndim == ref._data.ndim and t._data.dtype is ref._data.dtype for t in tensors):
        # The common case: NumPy's own checks suffice; PyTorch's messages only on failure.
        try:
            if _enabled[0] and any(t._requires_grad for t in tensors):
                return CatBackward0.apply(wrap_dim(dim, ref.dim()), ref.dtype, *tensors)
            be = ref._backend  # no graph to record: the op-table call alone
            return Tensor._wrap(be.concatenate([t._data for t in tensors], wrap_dim(dim, ref.dim()), ref.dtype), be)
        except ValueError:
            pass
    if ref.dim() == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    d = wrap_dim(dim, ref.dim())
    for i, t in enumerate(tensors):
        if t.dim() != ref.dim():
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {ref.dim()} and {t.dim()}")
        for k in range(ref.dim()):
            if k != d and t.shape[k] != ref.shape[k]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{ref.shape[k]} but got size {t.shape[k]} for tensor number {i} in the list.")
    return CatBackward0.apply(d, _promote_all(tensors), *tensors)


class StackBackward0(Function):
    @staticmethod
    def forward(ctx, dim, dtype, *tensors):
        ctx.dim = dim
        return tensors[0]._backend.stack([t._data for t in tensors], dim, dtype)

    @staticmethod
    def backward(ctx, grad):
        return (None, None) + tuple(grad.unbind(ctx.dim))


def stack(tensors, dim: int = 0) -> Tensor:
    tensors = _check_list(tensors, "stack")
    ref = tensors[0]
    d = wrap_dim(dim, ref.dim() + 1)
    for i, t in enumerate(tensors):
        if t.shape != ref.shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(ref.shape)} at entry 0 "
                f"and {list(t.shape)} at entry {i}")
    return StackBackward0.apply(d, _promote_all(tensors), *tensors)


class RepeatBackward0(Function):
    """Tile a tensor; backward sums the gradient over the copies."""

    @staticmethod
    def forward(ctx, a, reps):
        ctx.shape, ctx.reps = a.shape, reps
        lead = len(reps) - a.dim()
        return a._backend.tile(a._backend.reshape(a._data, (1,) * lead + tuple(a.shape)), reps)

    @staticmethod
    def backward(ctx, grad):
        lead = len(ctx.reps) - len(ctx.shape)
        sizes = (1,) * lead + tuple(ctx.shape)
        # Split each dim d into (reps[d], size[d]) and sum the copies away.
        split = []
        for r, s in zip(ctx.reps, sizes):
            split += [r, s]
        g = grad.reshape(split).sum(dim=tuple(range(0, 2 * len(sizes), 2)))
        return g.reshape(ctx.shape), None


def repeat(a: Tensor, reps) -> Tensor:
    reps = tuple(reps)
    if len(reps) < a.dim():
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor")
    if any(r < 0 for r in reps):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(reps)}: {list(reps)}")
    return RepeatBackward0.apply(a, reps)


class FlipBackward0(Function):
    """Reverse the order along dims (a copy, as in PyTorch); backward flips back."""

    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return a._backend.flip(a._data, dims)

    @staticmethod
    def backward(ctx, grad):
        return grad.flip(ctx.dims), None


def flip(a: Tensor, dims) -> Tensor:
    dims = tuple(wrap_dim(d, a.dim()) for d in dims)
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"dims has duplicates, original flip dims size={len(dims)}, but unique flip dims size={len(set(dims))}")
    return FlipBackward0.apply(a, dims)
