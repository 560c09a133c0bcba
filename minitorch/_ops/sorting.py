"""Sorting and selection: sort, argsort, msort, topk, kthvalue, unique, unique_consecutive,
bincount.

Which of several equal elements comes first is PyTorch's CPU order (the backend replays
its algorithms: ``_backends/select_kernels.py``), so indices, and the gradients they route,
match PyTorch's; NaN sorts above every number. The gradient of a selected value goes back
to the position it was selected from.
"""
from __future__ import annotations

from .. import dtypes
from .._declare import _into_out, op
from ..autograd.function import Function
from ..tensor import Tensor
from ._common import check_tensor, wrap_dim
from .minmax import _ReturnType


class sort_return(_ReturnType):  # noqa: N801 - torch.return_types.sort
    _name = "sort"


class topk_return(_ReturnType):  # noqa: N801
    _name = "topk"


class kthvalue_return(_ReturnType):  # noqa: N801
    _name = "kthvalue"


class _Selection(Function):
    """Values selected from a along dim at indices (computed with them by the backend);
    backward puts each gradient back at its index, zeros elsewhere."""

    tensor_inputs = 1

    @staticmethod
    def forward(a, dim, indices, values):
        return values

    @staticmethod
    def setup_context(ctx, inputs, output):
        a, ctx.dim, ctx.indices, _ = inputs
        ctx.shape = a.shape

    @staticmethod
    def backward(ctx, grad):
        if not ctx.shape:
            return grad, None, None, None
        indices = ctx.indices
        if indices.dim() < len(ctx.shape):  # kthvalue without keepdim: the dim was removed
            indices, grad = indices.unsqueeze(ctx.dim), grad.unsqueeze(ctx.dim)
        return grad.new_zeros(ctx.shape).scatter_add(ctx.dim, indices, grad), None, None, None


class SortBackward0(_Selection):
    pass


class TopkBackward0(_Selection):
    pass


class KthvalueBackward0(_Selection):
    pass


def _pair(a: Tensor, raw) -> tuple:
    be = a._backend
    return raw[0], Tensor._wrap(raw[1], be)


def _into(name: str, out, result):
    """result (a (values, indices) named tuple) written into out=(values, indices), with the
    rules of every out= (resize warning, no autograd), as the same named tuple of out's tensors."""
    if out is None:
        return result
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError(f"{name}(): argument 'out' must be tuple of Tensors, not {type(out).__name__}")
    values = _into_out(name, out[0], lambda: result[0], (), {})
    indices = _into_out(name, out[1], lambda: result[1], (), {})
    return type(result)(values, indices)


@op
def sort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False, out=None):
    """The named tuple (values, indices) of input sorted along dim (ascending unless
    descending; NaN above every number). stable keeps equal elements in their order;
    otherwise ties come out as PyTorch's CPU sort leaves them."""
    if out is not None:
        return _into("sort", out, sort(input, dim, descending, stable=stable))
    a = input
    d = wrap_dim(dim, a.dim())
    if a.dim() and a.numel() and a.stride(d) == 0:
        # an expanded dim: all equal, and PyTorch's kernel leaves them in place
        from .._creation import arange
        n = a.shape[d]
        idx = arange(n, device=a.device).view([n if i == d else 1 for i in range(a.dim())]).expand(a.shape)
        idx = idx.contiguous()
        return sort_return(SortBackward0.apply(a, d, idx, a._backend.copy(a._data)), idx)
    values, indices = _pair(a, a._backend.sort(a._data, d, bool(descending), bool(stable)))
    return sort_return(SortBackward0.apply(a, d, indices, values), indices)


@op
def argsort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Tensor:
    """The indices that sort input along dim (see sort)."""
    return sort(input, dim, descending, stable=stable).indices


@op
def msort(input: Tensor) -> Tensor:
    """input sorted along its first dim."""
    return sort(input, 0).values


@op
def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True, *,  # noqa: A002
         out=None):
    """The named tuple (values, indices) of the k largest elements along dim (smallest with
    largest=False), largest first when sorted."""
    if out is not None:
        return _into("topk", out, topk(input, k, dim, largest, sorted))
    a = input
    d = wrap_dim(dim, a.dim())
    n = a.shape[d] if a.dim() else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    if a.dtype is dtypes.bool:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    values, indices = _pair(a, a._backend.topk(a._data, int(k), d, bool(largest), bool(sorted)))
    return topk_return(TopkBackward0.apply(a, d, indices, values), indices)


@op
def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False, *, out=None):
    """The named tuple (values, indices) of the k-th smallest element (k from 1) along dim."""
    if out is not None:
        return _into("kthvalue", out, kthvalue(input, k, dim, keepdim))
    a = input
    d = wrap_dim(dim, a.dim())
    if a.dtype is dtypes.bool:
        raise NotImplementedError("\"kthvalue_cpu\" not implemented for 'Bool'")
    n = a.shape[d] if a.dim() else 1
    if n == 0:
        raise IndexError(f"kthvalue(): Expected reduction dim {d} to have non-zero size.")
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    if a.numel() == 0:
        shape = list(a.shape)
        if keepdim:
            shape[d] = 1
        else:
            del shape[d]
        empty = a.new_empty(shape)
        return kthvalue_return(empty, empty.new_empty(shape, dtype=dtypes.int64))
    values, indices = _pair(a, a._backend.kthvalue(a._data, int(k), d))
    if keepdim and a.dim():
        indices = indices.unsqueeze(d)
        values = a._backend.reshape(values, tuple(indices.shape))
    return kthvalue_return(KthvalueBackward0.apply(a, d, indices, values), indices)


# ----- counting -------------------------------------------------------------------------------
@op
def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False,  # noqa: A002
           dim=None):
    """The distinct elements of input, sorted (each NaN distinct); with dim, its distinct
    slices along dim. With return_inverse, also where each element went (input's shape);
    with return_counts, how often each occurs."""
    a = input
    be = a._backend
    d = None if dim is None else wrap_dim(dim, a.dim())
    values, inverse, counts = be.unique(a._data, bool(return_inverse), bool(return_counts), d)
    out = Tensor._wrap(values, be)
    extra = []
    if return_inverse:
        extra.append(Tensor._wrap(inverse, be))
    if return_counts:
        extra.append(Tensor._wrap(counts, be))
    return (out, *extra) if extra else out


@op
def unique_consecutive(input: Tensor, return_inverse: bool = False, return_counts: bool = False, dim=None):
    """input with each run of equal consecutive elements (or slices along dim) kept once."""
    a = input
    be = a._backend
    d = None if dim is None else wrap_dim(dim, a.dim())
    values, inverse, counts = be.unique_consecutive(a._data, d)
    out = Tensor._wrap(values, be)
    extra = []
    if return_inverse:
        extra.append(Tensor._wrap(inverse, be))
    if return_counts:
        extra.append(Tensor._wrap(counts, be))
    return (out, *extra) if extra else out


class NotImplemented(Function):  # noqa: A001 - PyTorch's node name for ops without a derivative
    """bincount with weights that require grad: PyTorch records a node without a derivative."""

    @staticmethod
    def forward(ctx, weights, counts):
        return counts

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("derivative for aten::_bincount is not implemented")


@op
def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """How often each value 0..max(input) occurs in the 1-D non-negative integer input (at least
    minlength entries): int64 counts, or the summed weights (float64 for integer weights)."""
    a = input
    if a.dtype.is_floating_point or a.dtype is dtypes.bool:
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{a.dtype.legacy_name}'")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if a.dim() != 1 or (a.numel() and int(a.min()) < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    be = a._backend
    if weights is None:
        return Tensor._wrap(be.bincount(a._data, None, int(minlength), dtypes.int64), be)
    check_tensor(weights, "bincount", "weights", 2)
    if weights.dim() != 1 or weights.shape[0] != a.shape[0]:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    dtype = weights.dtype if weights.dtype.is_floating_point else dtypes.float64
    counts = be.bincount(a._data, weights._data, int(minlength), dtype)
    return NotImplemented.apply(weights, counts)
