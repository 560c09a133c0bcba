"""The extremes over dims: max/min (with their indices), amax/amin, argmax/argmin."""
from __future__ import annotations

from .. import dtypes
from .._declare import op
from ..autograd.function import Function
from ..tensor import Tensor
from ._common import bool_arg, wrap_dim, wrap_dims
from .reduce import _expand_back, _keep


class _AllExtreme(Function):
    """max()/min() of all elements: the gradient is shared evenly among tied extremes."""

    op = ""

    @classmethod
    def forward(cls, ctx, a):
        if a.numel() == 0:
            raise RuntimeError(
                f"{cls.op[1:]}(): Expected reduction dim to be specified for input.numel() == 0. "
                "Specify the reduction dim with the 'dim' argument.")
        ctx.save_for_backward(a)
        return a._backend.reduce(cls.op, a._data, None, False, last_on_ties=True)

    @staticmethod
    def backward(ctx, grad):
        # PyTorch's evenly_distribute_backward: grad / count at the elements equal to the
        # result (the NaNs when it is NaN), zero elsewhere (an infinite grad stays there).
        (a,) = ctx.saved_tensors
        out = ctx.saved_output
        mask = a.isnan() if bool(out.isnan()) else (a == out)
        from .where import where
        return where(mask, grad / mask.sum(), 0)


class MaxBackward1(_AllExtreme):
    op = "amax"
    saves_output = True


class MinBackward1(_AllExtreme):
    op = "amin"
    saves_output = True


class AmaxBackward0(Function):
    """amax/amin over dims: the gradient is shared evenly among ties."""

    op = "amax"
    saves_output = True

    @classmethod
    def forward(cls, ctx, a, dims, keepdim):
        ctx.save_for_backward(a)
        ctx.dims, ctx.keepdim = dims, keepdim
        return a._backend.reduce(cls.op, a._data, dims, keepdim)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        out = _keep(ctx.saved_output, a.shape, ctx.dims, ctx.keepdim)
        mask = a == out
        count = _keep(mask.sum(ctx.dims, keepdim=True), a.shape, (), True)
        g = _expand_back(grad, a.shape, ctx.dims, ctx.keepdim)
        return (g / count) * mask, None, None  # PyTorch's scale_grad_by_count


class AminBackward0(AmaxBackward0):
    op = "amin"


class MaxBackward0(Function):
    """max(dim) values: the gradient goes to the index the forward chose."""

    op = "argmax"

    @classmethod
    def forward(cls, ctx, a, dim, keepdim, indices):
        ctx.shape, ctx.dim, ctx.keepdim = a.shape, dim, keepdim
        ctx.indices = indices
        be = a._backend
        idx = indices._data if keepdim else be.view(indices._data, _kept_shape(a.shape, dim))
        values = be.take_along(a._data, idx, dim)
        return values if keepdim else be.view(values, indices._data.shape)

    @staticmethod
    def backward(ctx, grad):
        idx = ctx.indices
        if not ctx.keepdim and len(ctx.shape) > 0:
            idx = idx.unsqueeze(ctx.dim)
            grad = grad.unsqueeze(ctx.dim)
        return grad.new_zeros(ctx.shape).scatter_add(ctx.dim, idx, grad) if len(ctx.shape) else grad, None, None, None


class MinBackward0(MaxBackward0):
    op = "argmin"


def _kept_shape(shape, dim):
    return tuple(1 if i == dim else s for i, s in enumerate(shape)) if len(shape) else ()


def _extreme_dims(a: Tensor, dim, name: str) -> tuple:
    """amax/amin's dims, after PyTorch's checks that no reduced dim is empty."""
    everything = dim is None or (isinstance(dim, tuple) and dim == ())
    dims = wrap_dims(None if everything else dim, a.dim())
    if a.numel() == 0:
        if everything:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                               "Specify the reduction dim with the 'dim' argument.")
        for d in dims:
            if a.shape[d] == 0:
                raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    return dims


@op(out=True)
def amax(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """The largest values over dim (all when empty), gradient shared among ties."""
    if keepdim.__class__ is not bool:
        keepdim = bool_arg(keepdim, "amax", "keepdim", 2)
    return AmaxBackward0.apply(input, _extreme_dims(input, dim, "amax"), keepdim)


@op(out=True)
def amin(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """The smallest values over dim (all when empty), gradient shared among ties."""
    if keepdim.__class__ is not bool:
        keepdim = bool_arg(keepdim, "amin", "keepdim", 2)
    return AminBackward0.apply(input, _extreme_dims(input, dim, "amin"), keepdim)


class _ReturnType(tuple):
    """A (values, indices) pair, like torch.return_types.max."""

    __slots__ = ()
    _name = "max"

    def __new__(cls, values, indices):
        return tuple.__new__(cls, (values, indices))

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]

    def __repr__(self) -> str:
        return f"torch.return_types.{self._name}(\nvalues={self[0]!r},\nindices={self[1]!r})"


class max_return(_ReturnType):
    _name = "max"


class min_return(_ReturnType):
    _name = "min"


def _extreme_dim(a: Tensor, dim, keepdim: bool, which: str):
    d = wrap_dim(dim, a.dim())
    if a.dim() and a.shape[d] == 0:
        raise IndexError(
            f"{which}(): Expected reduction dim {dim} to have non-zero size.")
    op = "argmax" if which == "max" else "argmin"
    indices = Tensor._wrap(a._backend.arg_reduce(op, a._data, d if a.dim() else None, keepdim)
                           if a.dim() else a._backend.full((), 0, dtypes.int64), a._backend)
    fn = MaxBackward0 if which == "max" else MinBackward0
    values = fn.apply(a, d, keepdim, indices) if a.dim() else a.clone()
    return (max_return if which == "max" else min_return)(values, indices)


@op
def max(input: Tensor, dim=None, keepdim: bool = False):  # noqa: A001
    """The largest element; with dim, the named tuple (values, indices) along dim; with a tensor, maximum."""
    if keepdim.__class__ is not bool:
        keepdim = bool_arg(keepdim, "max", "keepdim", 2)
    if dim is None:
        return MaxBackward1.apply(input)
    if isinstance(dim, Tensor):
        return input.maximum(dim)
    return _extreme_dim(input, dim, keepdim, "max")


@op
def min(input: Tensor, dim=None, keepdim: bool = False):  # noqa: A001
    """The smallest element; with dim, the named tuple (values, indices) along dim; with a tensor, minimum."""
    if keepdim.__class__ is not bool:
        keepdim = bool_arg(keepdim, "min", "keepdim", 2)
    if dim is None:
        return MinBackward1.apply(input)
    if isinstance(dim, Tensor):
        return input.minimum(dim)
    return _extreme_dim(input, dim, keepdim, "min")


@op(out=True)
def argmax(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """int64 index of the largest element (of the flattened input when dim is None)."""
    if keepdim.__class__ is not bool:
        keepdim = bool_arg(keepdim, "argmax", "keepdim", 2)
    return _arg_extreme(input, dim, keepdim, "argmax")


@op(out=True)
def argmin(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """int64 index of the smallest element (of the flattened input when dim is None)."""
    if keepdim.__class__ is not bool:
        keepdim = bool_arg(keepdim, "argmin", "keepdim", 2)
    return _arg_extreme(input, dim, keepdim, "argmin")


def _arg_extreme(a: Tensor, dim, keepdim: bool, op: str) -> Tensor:
    """argmax/argmin: over the flattened tensor when dim is None."""
    be = a._backend
    if dim is None and a.numel() == 0:
        raise IndexError(f"{op}(): Expected reduction dim to be specified for input.numel() == 0.")
    if dim is not None and a.dim() and a.shape[wrap_dim(dim, a.dim())] == 0:
        raise IndexError(f"{op}(): Expected reduction dim {dim} to have non-zero size.")
    if dim is None:
        out = be.arg_reduce(op, be.reshape(a._data, (-1,)), 0, False)
        if keepdim:
            out = be.reshape(out, (1,) * a.dim())
        return Tensor._wrap(out, be)
    d = wrap_dim(dim, a.dim())
    if a.dim() == 0:
        return Tensor._wrap(be.full((), 0, dtypes.int64), be)
    return Tensor._wrap(be.arg_reduce(op, a._data, d, keepdim), be)
