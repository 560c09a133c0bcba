"""Diagonals: diagonal (a view), diagonal_scatter, diag_embed, diag, trace.

``diagonal`` is a view, as in PyTorch: writing into it (``x.diagonal().fill_(0)``) writes
into x. The backends describe it with strides (``Backend.diagonal``); one that cannot gets
a copy.
"""
from __future__ import annotations

from .. import dtypes
from .._declare import function, op
from ..autograd.function import Function
from ..tensor import Tensor
from ._common import check_tensor, wrap_dim


def _dims(ndim: int, dim1: int, dim2: int) -> tuple:
    d1, d2 = wrap_dim(dim1, ndim), wrap_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


def _diag_index(be, shape, offset: int, d1: int, d2: int):
    """For a backend without strided views: the advanced index of the diagonal and the
    permutation that moves NumPy's result dim last (as a strided view would have it)."""
    from .._creation import arange
    n1, n2 = shape[d1], shape[d2]
    length = max(0, min(n1, n2 - offset) if offset >= 0 else min(n1 + offset, n2))
    i = arange(length, device=be.device) + max(-offset, 0)
    j = arange(length, device=be.device) + max(offset, 0)
    index = [slice(None)] * len(shape)
    index[d1], index[d2] = i._data, j._data
    rest = len(shape) - 2
    first = min(d1, d2) if abs(d1 - d2) == 1 else 0  # where NumPy puts the indexed dim
    perm = [k for k in range(rest + 1) if k != first] + [first]
    return tuple(index), perm


def _diagonal_raw(a: Tensor, offset: int, d1: int, d2: int):
    be = a._backend
    view = be.diagonal(a._data, offset, d1, d2)
    if view is not None:
        return view
    index, perm = _diag_index(be, a.shape, offset, d1, d2)
    return be.permute(be.getitem(a._data, index), perm)


class DiagonalBackward0(Function):
    """The diagonal of a over dims d1, d2 (offset above, negative below), as the last dim: a
    view. Backward writes the gradient onto the diagonal of zeros."""

    is_view = True
    tensor_inputs = 1

    @staticmethod
    def forward(a, offset, d1, d2):
        return _diagonal_raw(a, offset, d1, d2)

    @staticmethod
    def setup_context(ctx, inputs, output):
        a, ctx.offset, ctx.d1, ctx.d2 = inputs
        ctx.shape = a.shape

    @staticmethod
    def backward(ctx, grad):
        zeros = grad.new_zeros(ctx.shape)
        return diagonal_scatter(zeros, grad, ctx.offset, ctx.d1, ctx.d2), None, None, None


class DiagonalBackward0_copy(DiagonalBackward0):  # noqa: N801 - PyTorch's node name for diag of a matrix
    """The diagonal of a matrix as a new tensor (torch.diag of a 2-D input)."""

    is_view = False

    @staticmethod
    def forward(a, offset, d1, d2):
        return a._backend.copy(_diagonal_raw(a, offset, d1, d2))


@op
def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """A view of the diagonal of input over dims dim1 and dim2 (offset > 0 above it, < 0
    below), appended as the last dim."""
    d1, d2 = _dims(input.dim(), dim1, dim2)
    return DiagonalBackward0.apply(input, int(offset), d1, d2)


class DiagonalScatterBackward0(Function):
    """a with src written onto its diagonal over d1, d2."""

    tensor_inputs = 2

    @staticmethod
    def forward(a, src, offset, d1, d2):
        be = a._backend
        out = be.copy(a._data)
        view = be.diagonal(out, offset, d1, d2)
        if view is not None:
            be.copy_into(view, src._data)
        else:
            index, perm = _diag_index(be, a.shape, offset, d1, d2)
            inverse = [perm.index(k) for k in range(len(perm))]
            be.setitem(out, index, be.permute(src._data, inverse))
        return out

    @staticmethod
    def setup_context(ctx, inputs, output):
        _, _, ctx.offset, ctx.d1, ctx.d2 = inputs

    @staticmethod
    def backward(ctx, grad):
        off, d1, d2 = ctx.offset, ctx.d1, ctx.d2
        diag = grad.diagonal(off, d1, d2)
        return diagonal_scatter(grad, diag.new_zeros(diag.shape), off, d1, d2), diag, None, None, None


@op
def diagonal_scatter(input: Tensor, src: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """input with src written onto its diagonal over dim1 and dim2 (src has the diagonal's shape)."""
    check_tensor(src, "diagonal_scatter", "src", 2)
    d1, d2 = _dims(input.dim(), dim1, dim2)
    expected = tuple(diagonal(input.detach(), offset, d1, d2).shape)
    if tuple(src.shape) != expected:
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = {list(src.shape)}, "
                           f"slice size = {list(expected)}")
    return DiagonalScatterBackward0.apply(input, src.to(input.dtype), int(offset), d1, d2)


class DiagEmbedBackward0(Function):
    """A tensor of zeros with input's last dim written onto the diagonal of two new dims."""

    tensor_inputs = 1

    @staticmethod
    def forward(a, offset, d1, d2, shape):
        be = a._backend
        out = be.zeros(shape, a.dtype)
        view = be.diagonal(out, offset, d1, d2)
        if view is not None:
            be.copy_into(view, a._data)
            return out
        index, perm = _diag_index(be, shape, offset, d1, d2)
        be.setitem(out, index, be.permute(a._data, [perm.index(k) for k in range(len(perm))]))
        return out

    @staticmethod
    def setup_context(ctx, inputs, output):
        _, ctx.offset, ctx.d1, ctx.d2, _ = inputs

    @staticmethod
    def backward(ctx, grad):
        return grad.diagonal(ctx.offset, ctx.d1, ctx.d2), None, None, None, None


@op
def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Zeros with the last dim of input on the diagonal of the dims dim1 and dim2 of the
    result (which has one more dim; offset > 0 above the diagonal, < 0 below)."""
    a = input
    nd = a.dim() + 1
    d1, d2 = _dims(nd, dim1, dim2)
    n = (a.shape[-1] if a.dim() else 1) + abs(int(offset))
    rest = list(a.shape[:-1])
    shape = []
    for k in range(nd):
        shape.append(n if k in (d1, d2) else rest.pop(0))
    return DiagEmbedBackward0.apply(a if a.dim() else a.reshape(1), int(offset), d1, d2, tuple(shape))


@op(out=True)
def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """For a vector, the square matrix with it on the diagonal (above it for diagonal > 0,
    below for < 0); for a matrix, its diagonal as a vector (a copy)."""
    a = input
    if a.dim() == 1:
        return diag_embed(a, diagonal, 0, 1)
    if a.dim() == 2:
        return DiagonalBackward0_copy.apply(a, int(diagonal), 0, 1)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {a.dim()}D")


class TraceBackward0(Function):
    """The sum of a matrix's diagonal; the gradient is grad on the diagonal, zeros elsewhere."""

    tensor_inputs = 1

    @staticmethod
    def forward(a):
        be = a._backend
        dtype = a.dtype if a.dtype.is_floating_point else dtypes.int64
        return be.reduce("sum", _diagonal_raw(a, 0, 0, 1), None, False, dtype)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.shape = inputs[0].shape

    @staticmethod
    def backward(ctx, grad):
        n = min(ctx.shape)
        return diagonal_scatter(grad.new_zeros(ctx.shape), grad.expand(n), 0, 0, 1)


@op
def trace(input: Tensor) -> Tensor:
    """The sum of the diagonal of a matrix (int64 for integer input)."""
    a = input
    if a.dim() != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {a.dim()}")
    if a.dtype is dtypes.bool:
        raise NotImplementedError("\"trace\" not implemented for 'Bool'")
    return TraceBackward0.apply(a)


def _triangle_indices(name: str, row: int, col: int, offset: int, dtype, device, lower: bool) -> Tensor:
    from .._creation import arange
    from ..device import factory_device
    if row < 0:
        raise RuntimeError(f"row must be non-negative, got{row}")
    if col < 0:
        raise RuntimeError(f"col must be non-negative, got{col}")
    device = factory_device(device)
    rows = arange(row, device=device).view(-1, 1).expand(row, col)
    cols = arange(col, device=device).view(1, -1).expand(row, col)
    keep = (cols - rows <= offset) if lower else (cols - rows >= offset)
    from .joins import stack
    return stack([rows[keep], cols[keep]]).to(dtype)


@function
def tril_indices(row: int, col: int, offset: int = 0, *, dtype=dtypes.int64, device=None, layout=None) -> Tensor:
    """The (2, N) coordinates, row-major, of the lower triangle of a row x col matrix (the
    elements with column - row <= offset)."""
    return _triangle_indices("tril_indices", row, col, offset, dtype, device, True)


@function
def triu_indices(row: int, col: int, offset: int = 0, *, dtype=dtypes.int64, device=None, layout=None) -> Tensor:
    """The (2, N) coordinates, row-major, of the upper triangle of a row x col matrix (the
    elements with column - row >= offset)."""
    return _triangle_indices("triu_indices", row, col, offset, dtype, device, False)
