"""Reorderings: permute, transpose, t / T / mT, movedim (views that permute dims) and flip
(a copy with the elements of dims reversed)."""
from __future__ import annotations

from .._declare import op, tensor_property
from .._size import sizes as _sizes
from ..autograd.function import Function
from ..tensor import Tensor
from ._common import wrap_dim
from .shape import ViewBackward0


class PermuteBackward0(Function):
    is_view = True
    tensor_inputs = 1

    @staticmethod
    def forward(a, dims):
        return a._backend.permute(a._data, dims)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.dims = inputs[1]

    @staticmethod
    def backward(ctx, grad):
        inverse = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inverse[d] = i
        return grad.permute(inverse), None


@op
def permute(input: Tensor, *dims) -> Tensor:
    """A view with the dims reordered: output dim i is input dim dims[i]."""
    if not dims:
        raise TypeError('permute() missing 1 required positional arguments: "dims"')
    a = input
    dims = _sizes(dims, "permute", "dims")
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
    tensor_inputs = 1

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.dims = inputs[1:]

    @staticmethod
    def forward(a, dim0, dim1):
        order = list(range(a.dim()))
        order[dim0], order[dim1] = order[dim1], order[dim0]
        return a._backend.permute(a._data, order)

    @staticmethod
    def backward(ctx, grad):
        return grad.transpose(*ctx.dims), None, None


class TBackward0(Function):
    is_view = True
    tensor_inputs = 1

    @staticmethod
    def setup_context(ctx, inputs, output):
        pass

    @staticmethod
    def forward(a):
        if a.dim() > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {a.dim()}D")
        return a._backend.permute(a._data, tuple(reversed(range(a.dim()))))

    @staticmethod
    def backward(ctx, grad):
        return grad.t()


@op(aliases=("swapaxes", "swapdims"))
def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """A view with dim0 and dim1 swapped."""
    n = input.dim()
    if n == 0:
        wrap_dim(dim0, 0), wrap_dim(dim1, 0)
        return ViewBackward0.apply(input, ())
    return TransposeBackward0.apply(input, wrap_dim(dim0, n), wrap_dim(dim1, n))


@op
def t(input: Tensor) -> Tensor:
    """The transpose of a matrix (0-d and 1-d inputs are returned as they are)."""
    return TBackward0.apply(input)


@tensor_property
def T(self) -> Tensor:  # noqa: N802
    """The tensor with its dims reversed."""
    return PermuteBackward0.apply(self, tuple(reversed(range(self.dim()))))


@tensor_property
def mT(self) -> Tensor:  # noqa: N802
    """The last two dims swapped (a batch of matrices transposed)."""
    return transpose(self, -2, -1)


@op(aliases=("moveaxis",))
def movedim(input: Tensor, source, destination) -> Tensor:
    """Move dims from source positions to destination positions (a view)."""
    n = input.dim()
    src = [wrap_dim(d, n) for d in ((source,) if isinstance(source, int) else source)]
    dst = [wrap_dim(d, n) for d in ((destination,) if isinstance(destination, int) else destination)]
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) "
                           f"should contain the same number of dims as destination ({list(dst)} dims)")
    for name, dims in (("source", src), ("destination", dst)):
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({list(dims)})")
    order = [d for d in range(n) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(input, *order)


class FlipBackward0(Function):
    """Reverse the order along dims (a copy, as in PyTorch); backward flips back."""

    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return a._backend.flip(a._data, dims)

    @staticmethod
    def backward(ctx, grad):
        return grad.flip(ctx.dims), None


@op
def flip(input: Tensor, *dims) -> Tensor:
    """A copy with the order of elements reversed along dims."""
    a = input
    dims = tuple(wrap_dim(d, a.dim()) for d in _sizes(dims, "flip", "dims"))
    if len(set(dims)) != len(dims):
        repeated = next(d for i, d in enumerate(dims) if d in dims[:i])
        raise RuntimeError(f"dim {repeated} appears multiple times in the list of dims")
    if a.dim() == 0:
        return a.clone()
    return FlipBackward0.apply(a, dims)
