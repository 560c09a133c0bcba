"""Writing through an index tensor: scatter (src and value forms, reduce=), scatter_reduce;
and through a bool mask: masked_select, masked_scatter.

scatter writes ``out[..., index[..., i, ...], ...] = src[..., i, ...]`` along dim: the
other coordinates are index's own, so the whole write is one advanced-index assignment on
the device (the last of repeated indices wins, as in PyTorch's CPU loop).
"""
from __future__ import annotations

import warnings

from .. import dtypes
from .._creation import arange
from .._declare import op
from ..autograd.function import Function
from ..tensor import Tensor
from ._common import NUMBER, broadcast_error, broadcast_shapes, check_tensor, wrap_dim


def _coords(index: Tensor, dim: int) -> tuple:
    """The advanced index (raw arrays, broadcasting to index's shape) of the elements that
    scatter along dim writes: index itself along dim, each element's own position elsewhere."""
    nd = index.dim()
    out = []
    for k in range(nd):
        if k == dim:
            out.append(index._data)
        else:
            shape = [1] * nd
            shape[k] = index.shape[k]
            out.append(arange(index.shape[k], device=index.device).view(shape)._data)
    return tuple(out)


def _window(src: Tensor, index: Tensor):
    """The part of src that lines up with index (src may be larger in every dim)."""
    if src.shape == index.shape:
        return src._data
    return src._backend.getitem(src._data, tuple(slice(0, s) for s in index.shape))


def _check_scatter(name: str, a: Tensor, dim: int, index, src) -> int:
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' (position 3) must be Tensor, not {type(index).__name__}")
    if index.dtype is not dtypes.int64:
        raise RuntimeError(f"{name}(): Expected dtype int64 for index")
    d = wrap_dim(dim, a.dim())
    if index.dim() != a.dim() and not (a.dim() == 0 and index.dim() <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if isinstance(src, Tensor):
        if src.dtype is not a.dtype:
            raise RuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype")
        if src.dim() != index.dim() and index.numel():
            raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    too_big = any(index.shape[k] > a.shape[k] for k in range(index.dim()) if k != d)
    if isinstance(src, Tensor) and index.numel():
        too_big = too_big or any(index.shape[k] > src.shape[k] for k in range(index.dim()))
    if too_big:
        tail = f" and to be no larger size than src {list(src.shape)}" if isinstance(src, Tensor) else ""
        raise RuntimeError(f"Expected index {list(index.shape)} to be no larger than self {list(a.shape)} apart "
                           f"from dimension {d}{tail}")
    if index.numel():
        size = a.shape[d] if a.dim() else 1
        bad = (index < 0) | (index >= size)
        if bool(bad.any()):
            raise RuntimeError(f"index {int(index[bad][0])} is out of bounds for dimension {d} with size {size}")
    return d


class ScatterBackward0(Function):
    """a with src written at index along dim; the overwritten positions get no gradient."""

    tensor_inputs = None

    @staticmethod
    def forward(a, dim, index, src):
        be = a._backend
        out = be.copy(a._data)
        be.setitem(out, _coords(index, dim), _window(src, index))
        return out

    @staticmethod
    def setup_context(ctx, inputs, output):
        _, ctx.dim, ctx.index, _ = inputs

    @staticmethod
    def backward(ctx, grad):
        return grad.scatter(ctx.dim, ctx.index, 0), None, None, grad.gather(ctx.dim, ctx.index)


class ScatterBackward1(Function):
    """a with a number written at index along dim; those positions get no gradient."""

    tensor_inputs = 1

    @staticmethod
    def forward(a, dim, index, value):
        be = a._backend
        out = be.copy(a._data)
        be.setitem(out, _coords(index, dim), value)
        return out

    @staticmethod
    def setup_context(ctx, inputs, output):
        _, ctx.dim, ctx.index, _ = inputs

    @staticmethod
    def backward(ctx, grad):
        return grad.scatter(ctx.dim, ctx.index, 0), None, None, None


class NotImplemented(Function):  # noqa: A001 - PyTorch's node name for ops without a derivative
    """scatter with reduce=: PyTorch defines no derivative."""

    tensor_inputs = None

    @staticmethod
    def forward(ctx, a, dim, index, src, reduce):
        be = a._backend
        out = be.copy(a._data)
        if not isinstance(src, Tensor):
            src = Tensor._wrap(be.full(tuple(index.shape), src, a.dtype), be)
        if reduce == "add":
            be.index_put_add(out, _coords(index, dim), _window(src, index))
        else:
            be.scatter_reduce(out, dim, index._data, _window(src, index), "prod")
        return out

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("derivative for aten::scatter with reduce is not implemented")


def _scatter_(self, dim: int, index: Tensor, src=None, value=None, *, reduce=None) -> Tensor:
    return self._inplace(scatter, dim, index, src, value, reduce=reduce)


@op(inplace=_scatter_, out=True)
def scatter(input: Tensor, dim: int, index: Tensor, src=None, value=None, *, reduce=None) -> Tensor:
    """input with src[..., i, ...] (or the number value) written at index[..., i, ...] along
    dim; reduce="add" or "multiply" combines instead of overwriting."""
    a = input
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter() missing 1 required positional argument: 'src' or 'value'")
    if not isinstance(src, (Tensor,) + NUMBER):
        raise TypeError(f"scatter(): argument 'src' must be Tensor or Number, not {type(src).__name__}")
    d = _check_scatter("scatter", a, dim, index, src)
    if a.dim() == 0:
        out = scatter(a.reshape(1), 0, index.reshape(-1), src.reshape(-1) if isinstance(src, Tensor) else src,
                      reduce=reduce)
        return out.reshape(())
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise RuntimeError("reduce argument must be either add or multiply.")
        if isinstance(src, Tensor):
            warnings.warn("The reduce argument of torch.scatter with Tensor src is deprecated and will be removed "
                          "in a future PyTorch release. Use torch.scatter_reduce instead for more reduction "
                          "options.", UserWarning, stacklevel=3)
        return NotImplemented.apply(a, d, index, src, reduce)
    if isinstance(src, Tensor):
        return ScatterBackward0.apply(a, d, index, src)
    return ScatterBackward1.apply(a, d, index, src)


# ----- scatter_reduce -------------------------------------------------------------------------
_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def _scatter_count(a: Tensor, dim: int, index: Tensor, include_self: bool) -> Tensor:
    """How many values each position of a combines (itself when include_self, plus its src)."""
    ones = index.new_ones(index.shape, dtype=a.dtype)
    base = a.new_ones(a.shape) if include_self else a.new_zeros(a.shape)
    return base.scatter_add(dim, index, ones)


class ScatterReduceBackward0(Function):
    """a combined with src at index along dim by sum, prod, mean, amax or amin (ATen's
    scatter_reduce.two). Gradients: sum passes them through; mean divides by the count;
    amax/amin share them among the elements equal to the result; prod multiplies by the
    product of the others (inputs without zeros)."""

    tensor_inputs = None

    @staticmethod
    def forward(a, dim, index, src, reduce, include_self):
        be = a._backend
        out = be.copy(a._data)
        coords = _coords(index, dim)
        window = _window(src, index)
        if not include_self:
            identity = {"sum": 0, "mean": 0, "prod": 1}.get(reduce)
            if identity is None:  # amax/amin: the first src value replaces self
                be.setitem(out, coords, window)
            else:
                be.setitem(out, coords, identity)
        if reduce in ("sum", "mean"):
            be.index_put_add(out, coords, window)
        else:
            be.scatter_reduce(out, dim, index._data, window, reduce)
        if reduce == "mean":
            count = _scatter_count(Tensor._wrap(out, be), dim, index, include_self)
            mean = be.binary("div", out, count._data, a.dtype) if a.dtype.is_floating_point \
                else be.binary("floordiv", out, count._data, a.dtype)
            out = be.where(be.compare("gt", count._data, 0, a.dtype), mean, out, a.dtype)
        return out

    @staticmethod
    def setup_context(ctx, inputs, output):
        a, ctx.dim, ctx.index, src, ctx.reduce, ctx.include_self = inputs
        ctx.src_shape = src.shape
        if ctx.reduce in ("prod", "amax", "amin"):
            ctx.save_for_backward(a, src, output)
        elif ctx.reduce == "mean":
            ctx.count = _scatter_count(a, ctx.dim, ctx.index, ctx.include_self)

    @staticmethod
    def backward(ctx, grad):
        dim, index, reduce = ctx.dim, ctx.index, ctx.reduce
        hit = grad.new_zeros(grad.shape).scatter(dim, index, 1.0) > 0  # positions src reaches
        if reduce == "sum":
            grad_self = grad if ctx.include_self else grad.masked_fill(hit, 0)
            grad_src = grad.gather(dim, index)
        elif reduce == "mean":
            scaled = grad / ctx.count.clamp(min=1)
            grad_self = scaled if ctx.include_self else grad.masked_fill(hit, 0)
            grad_src = scaled.gather(dim, index)
        else:
            a, src, out = ctx.saved_tensors
            src = src[tuple(slice(0, s) for s in index.shape)]
            if reduce == "prod":
                if bool((a == 0).any()) or bool((src == 0).any()):
                    raise RuntimeError("scatter_reduce(reduce='prod'): the gradient of inputs with zeros is not "
                                       "implemented in minitorch")
                grad_self = grad * out / a if ctx.include_self else grad.masked_fill(hit, 0)
                grad_src = (grad * out).gather(dim, index) / src
            else:
                self_hit = (a == out) if ctx.include_self else a.new_zeros(a.shape, dtype=dtypes.bool)
                src_hit = src == out.gather(dim, index)
                count = self_hit.to(grad.dtype).scatter_add(dim, index, src_hit.to(grad.dtype))
                share = grad / count.clamp(min=1)
                grad_self = share.masked_fill(~self_hit, 0) if ctx.include_self else grad.masked_fill(hit, 0)
                grad_src = share.gather(dim, index).masked_fill(~src_hit, 0)
        grad_src_full = grad_src.new_zeros(ctx.src_shape)
        grad_src_full[tuple(slice(0, s) for s in index.shape)] = grad_src
        return grad_self, None, None, grad_src_full, None, None


def _scatter_reduce_(self, dim: int, index: Tensor, src: Tensor, reduce: str, *, include_self: bool = True):
    return self._inplace(scatter_reduce, dim, index, src, reduce, include_self=include_self)


@op(inplace=_scatter_reduce_, out=True)
def scatter_reduce(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    """input with src[..., i, ...] combined into index[..., i, ...] along dim by reduce ("sum",
    "prod", "mean", "amax", "amin"); include_self=False leaves input's own values out at the
    positions src reaches."""
    a = input
    check_tensor(src, "scatter_reduce", "src", 4)
    if reduce not in _REDUCTIONS:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    d = _check_scatter("scatter_reduce", a, dim, index, src)
    if a.dim() == 0:
        return scatter_reduce(a.reshape(1), 0, index.reshape(-1), src.reshape(-1), reduce,
                              include_self=include_self).reshape(())
    return ScatterReduceBackward0.apply(a, d, index, src, reduce, bool(include_self))


# ----- masks ----------------------------------------------------------------------------------
def _check_mask(name: str, mask) -> None:
    if not isinstance(mask, Tensor):
        raise TypeError(f"{name}(): argument 'mask' (position 2) must be Tensor, not {type(mask).__name__}")


class MaskedSelectBackward0(Function):
    """The elements of a (broadcast with mask) where mask is True, as a 1-D tensor."""

    tensor_inputs = 1

    @staticmethod
    def forward(a, mask, shape):
        be = a._backend
        return be.getitem(be.expand(a._data, shape), (be.expand(mask._data, shape),))

    @staticmethod
    def setup_context(ctx, inputs, output):
        a, ctx.mask, ctx.shape = inputs
        ctx.input_shape = a.shape

    @staticmethod
    def backward(ctx, grad):
        mask = ctx.mask.expand(ctx.shape)
        full = grad.new_zeros(ctx.shape).masked_scatter(mask, grad)
        return full.sum_to_size(ctx.input_shape), None, None


@op(out=True)
def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The elements of input where the bool mask is True (both broadcast), as a 1-D tensor."""
    _check_mask("masked_select", mask)
    if mask.dtype is not dtypes.bool:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    try:
        shape = tuple(broadcast_shapes(input.shape, mask.shape))
    except RuntimeError:
        raise broadcast_error(mask.shape, input.shape) from None
    return MaskedSelectBackward0.apply(input, mask, shape)


class MaskedScatterBackward0(Function):
    """a with source's elements, in order, written where mask is True."""

    tensor_inputs = None

    @staticmethod
    def forward(a, mask, source, count):
        be = a._backend
        out = be.copy(a._data)
        flat = be.reshape(source._data, (source.numel(),))
        be.setitem(out, (be.expand(mask._data, a.shape),), be.getitem(flat, (slice(0, count),)))
        return out

    @staticmethod
    def setup_context(ctx, inputs, output):
        _, ctx.mask, source, ctx.count = inputs
        ctx.source_shape = source.shape

    @staticmethod
    def backward(ctx, grad):
        mask = ctx.mask.expand(grad.shape)
        n = 1
        for s in ctx.source_shape:
            n *= s
        taken = grad.masked_select(mask)
        grad_source = grad.new_zeros(n)
        grad_source[:ctx.count] = taken
        return grad.masked_fill(mask, 0), None, grad_source.view(ctx.source_shape), None


@op(inplace=True)
def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """input with the elements of source, in row-major order, written where the bool mask
    (broadcast to input's shape) is True."""
    a = input
    _check_mask("masked_scatter", mask)
    check_tensor(source, "masked_scatter", "source", 3)
    if mask.dtype is not dtypes.bool:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype {mask.dtype}")
    if source.dtype is not a.dtype:
        raise RuntimeError("masked_scatter: expected self and source to have same dtypes but got"
                           f"{a.dtype.legacy_name} and {source.dtype.legacy_name}")
    try:
        shape = tuple(broadcast_shapes(a.shape, mask.shape))
    except RuntimeError:
        raise broadcast_error(a.shape, mask.shape) from None
    if shape != tuple(a.shape):
        a = a.expand(shape)
    count = int(mask.expand(shape).sum().item()) if mask.numel() else 0
    if count > source.numel():
        raise RuntimeError("Number of elements of source < number of ones in mask")
    return MaskedScatterBackward0.apply(a, mask, source, count)
