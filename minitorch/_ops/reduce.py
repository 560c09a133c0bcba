"""Reductions over dims: sum, mean, prod, var, std, logsumexp, all/any (the extremes are in
minmax.py, the norms in norms.py)."""
from __future__ import annotations

import builtins
import warnings

from .. import dtypes
from .._declare import op
from ..dtypes import FROM_NP as _FROM_NP
from ..autograd.function import Function
from ..tensor import Tensor
from ._common import bool_arg, wrap_dim, wrap_dims


def _expand_back(grad: Tensor, shape, dims, keepdim: bool) -> Tensor:
    """Broadcast a reduced gradient back over the reduced dims of the input's shape."""
    if not keepdim and dims and len(shape) > 0:
        kept = [1 if i in dims else s for i, s in enumerate(shape)]
        grad = grad.reshape(kept)
    return grad.expand(shape)


def _count(shape, dims) -> int:
    n = 1
    for d in dims:
        n *= shape[d]
    return n


def _keep_shape(ctx, inputs, output) -> None:
    """setup_context of the reductions: backward needs the input's shape, dims and keepdim."""
    ctx.shape = inputs[0]._data.shape
    if len(inputs) == 4:
        ctx.dims, ctx.keepdim = inputs[1], inputs[2]


class SumBackward0(Function):
    """Sum of all elements."""

    tensor_inputs = 1
    setup_context = staticmethod(_keep_shape)

    @staticmethod
    def forward(a, dtype):
        return a._backend.reduce("sum", a._data, None, False, dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad.expand(ctx.shape), None


class SumBackward1(Function):
    """Sum over dims."""

    tensor_inputs = 1
    setup_context = staticmethod(_keep_shape)

    @staticmethod
    def forward(a, dims, keepdim, dtype):
        return a._backend.reduce("sum", a._data, dims, keepdim, dtype)

    @staticmethod
    def backward(ctx, grad):
        return _expand_back(grad, ctx.shape, ctx.dims, ctx.keepdim), None, None, None


class MeanBackward0(Function):
    tensor_inputs = 1
    setup_context = staticmethod(_keep_shape)

    @staticmethod
    def forward(a, dtype):
        return a._backend.mean(a._data, None, False, dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad.expand(ctx.shape) / builtins.max(_count(ctx.shape, range(len(ctx.shape))), 1), None


class MeanBackward1(Function):
    tensor_inputs = 1
    setup_context = staticmethod(_keep_shape)

    @staticmethod
    def forward(a, dims, keepdim, dtype):
        return a._backend.mean(a._data, dims, keepdim, dtype)

    @staticmethod
    def backward(ctx, grad):
        n = _count(ctx.shape, ctx.dims)
        return _expand_back(grad, ctx.shape, ctx.dims, ctx.keepdim) / n, None, None, None


class ProdBackward0(Function):
    """Product of all elements. The backward is PyTorch's prod_backward: grad * (result / a)
    when no element is zero (so an inf or NaN element spreads NaN, as in PyTorch), zeros when
    two or more are zero, else the exclusive products. Like PyTorch it saves its output, so
    modifying the output in place before backward is an error."""

    saves_output = True

    @staticmethod
    def forward(ctx, a, dtype):
        ctx.save_for_backward(a)
        ctx.dtype = dtype
        return a._backend.reduce("prod", a._data, None, False, dtype)

    @staticmethod
    def backward(ctx, grad):
        return _prod_grad(ctx, grad, None, False), None

    @staticmethod
    def fused(ctx, grad):
        return _prod_grad(ctx, grad, None, True), None


class ProdBackward1(Function):
    """Product over one dim: PyTorch's prod_backward (grad * (result / a) when the input has no
    zero at all, else the exclusive products). Saves its output, as PyTorch."""

    saves_output = True

    @staticmethod
    def forward(ctx, a, dim, keepdim, dtype):
        ctx.save_for_backward(a)
        ctx.dim, ctx.keepdim, ctx.dtype = dim, keepdim, dtype
        return a._backend.reduce("prod", a._data, (dim,) if a.dim() else (), keepdim, dtype)

    @staticmethod
    def backward(ctx, grad):
        return _prod_grad(ctx, grad, ctx.dim, False), None, None, None

    @staticmethod
    def fused(ctx, grad):
        return _prod_grad(ctx, grad, ctx.dim, True), None, None, None


def _prod_grad(ctx, grad: Tensor, dim, fused: bool) -> Tensor:
    """grad times d prod / d a, over dim or (dim None) over every element: grad * (result / a)
    when a has no zero (so an inf or NaN spreads NaN, as in PyTorch), else the exclusive
    products: the backend's prod_of_others kernel (fused) or the differentiable formula."""
    (a,) = ctx.saved_tensors
    result = ctx.saved_output
    if a.dim() == 0:
        return grad
    zeros = _count_zeros(a)
    if zeros == 0:
        if dim is not None and not ctx.keepdim:
            grad, result = grad.unsqueeze(dim), result.unsqueeze(dim)
        return grad * (result / a)
    if dim is None:
        if zeros > 1:  # PyTorch's product of all: zeros, even where grad is inf
            return a.new_zeros(a.shape)
        return _prod_grad_with_zeros(grad, a.reshape(-1), 0, fused).reshape(a.shape)
    return _prod_grad_with_zeros(grad if ctx.keepdim else grad.unsqueeze(dim), a, dim, fused)


def _prod_grad_with_zeros(grad: Tensor, a: Tensor, dim: int, fused: bool) -> Tensor:
    if not fused:
        return _prod_safe_zeros_backward(grad, a, dim)
    if a.shape[dim] == 1:
        return grad.expand(a.shape)
    return grad * Tensor._wrap(a._backend.prod_of_others(a._data, dim), a._backend)


def _count_zeros(a: Tensor) -> int:
    be = a._backend
    return int(be.scalar(be.reduce("sum", be.compare("eq", a._data, 0, a.dtype), None, False, dtypes.int64)))


def _prod_safe_zeros_backward(grad: Tensor, a: Tensor, dim: int) -> Tensor:
    """grad * (the product of the other elements along dim), exact when some are zero: the
    exclusive cumulative products from the left times those from the right (PyTorch's
    prod_safe_zeros_backward, in its order of multiplication; the fused kernel is
    the backend's prod_of_others)."""
    n = a.shape[dim]
    if a.numel() == 0:
        return grad.expand(a.shape)
    if n == 1:
        return grad
    ones = Tensor._wrap(a._backend.full(a.narrow(dim, 0, 1)._data.shape, 1, a.dtype), a._backend)
    left, right = [ones], [ones]
    for k in range(1, n):
        left.append(left[-1] * a.narrow(dim, k - 1, 1))
        right.append(right[-1] * a.narrow(dim, n - k, 1))
    from .joins import cat
    return grad * (cat(left, dim) * cat(right[::-1], dim))


class VarBackward0(Function):
    """Variance with Bessel-style correction: d/da = 2 (a - mean) / (N - correction)."""

    @staticmethod
    def forward(ctx, a, dims, correction, keepdim):
        ctx.save_for_backward(a)
        ctx.dims, ctx.correction, ctx.keepdim = dims, correction, keepdim
        return a._backend.var(a._data, dims, correction, keepdim)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        dims = ctx.dims
        n = _count(a.shape, dims)
        centered = a - a.mean(dim=dims, keepdim=True)
        g = _expand_back(grad, a.shape, dims, ctx.keepdim)
        return g * centered * (2.0 / (n - ctx.correction)), None, None, None


class StdBackward0(Function):
    """Standard deviation: d/da = (a - mean) / ((N - correction) std)."""

    saves_output = True

    @staticmethod
    def forward(ctx, a, dims, correction, keepdim):
        ctx.save_for_backward(a)
        ctx.dims, ctx.correction, ctx.keepdim = dims, correction, keepdim
        return a._backend.unary("sqrt", a._backend.var(a._data, dims, correction, keepdim))

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        dims = ctx.dims
        n = _count(a.shape, dims)
        std = _keep(ctx.saved_output, a.shape, dims, ctx.keepdim)
        centered = a - a.mean(dim=dims, keepdim=True)
        g = _expand_back(grad, a.shape, dims, ctx.keepdim)
        return g * centered / (std * (n - ctx.correction)), None, None, None


def _keep(t: Tensor, shape, dims, keepdim: bool) -> Tensor:
    if keepdim or not dims or len(shape) == 0:
        return t
    return t.reshape([1 if i in dims else s for i, s in enumerate(shape)])


class LogsumexpBackward0(Function):
    """log(sum(exp(a))) over dims: d/da = exp(a - result) (the softmax)."""

    saves_output = True

    @staticmethod
    def forward(ctx, a, dims, keepdim):
        ctx.save_for_backward(a)
        ctx.dims, ctx.keepdim = dims, keepdim
        return _logsumexp(a, dims, keepdim)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        out = _keep(ctx.saved_output, a.shape, ctx.dims, ctx.keepdim)
        g = _expand_back(grad, a.shape, ctx.dims, ctx.keepdim)
        return g * (a - out).exp(), None, None


def _logsumexp(a: Tensor, dims, keepdim):
    be = a._backend
    data = a._data
    if not dtypes.FROM_NP[data.dtype].is_floating_point:
        data = data.astype(dtypes.get_default_dtype().np)
    ndim = data.ndim
    # Move the reduced dims last and fold them into one axis of a 2-D array.
    rest = [i for i in range(ndim) if i not in dims]
    moved = be.permute(data, rest + list(dims))
    outer = tuple(data.shape[i] for i in rest)
    n = _count(data.shape, dims)
    m = 1
    for s in outer:
        m *= s
    if n == 0:
        out = be.full(outer, float("-inf"), dtypes.FROM_NP[data.dtype])
    else:
        out = be.reshape(be.logsumexp_lastdim(be.reshape(moved, (m, n))), outer)
    if keepdim:
        out = be.reshape(out, tuple(1 if i in dims else s for i, s in enumerate(data.shape)))
    return out


# ----- the declarations ----------------------------------------------------------------------
def _sum_dtype(a: Tensor, dtype):
    if dtype is not None:
        return dtype
    return a.dtype if a.dtype.is_floating_point else dtypes.int64


def _check_dtype(dtype, name: str) -> None:
    if dtype is not None and not isinstance(dtype, dtypes.dtype):
        raise TypeError(f"{name}(): argument 'dtype' must be torch.dtype, not {type(dtype).__name__}")


@op(out=True)
def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:  # noqa: A001
    """Sum over dim (an int, a tuple, or all when None), keeping reduced dims as size 1 with keepdim."""
    if keepdim.__class__ is not bool:
        keepdim = bool_arg(keepdim, "sum", "keepdim", 2)
    if dtype is None:
        kind = input._data.dtype.kind
        dtype = _FROM_NP[input._data.dtype] if kind == "f" else dtypes.int64
    else:
        _check_dtype(dtype, "sum")
    if dim is None:
        return SumBackward0.apply(input, dtype)
    return SumBackward1.apply(input, wrap_dims(dim, input._data.ndim), keepdim, dtype)


@op(out=True)
def mean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Mean over dim (all when None) of a floating-point tensor."""
    if keepdim.__class__ is not bool:
        keepdim = bool_arg(keepdim, "mean", "keepdim", 2)
    _check_dtype(dtype, "mean")
    dtype = dtype or _FROM_NP[input._data.dtype]
    if not dtype.is_floating_point:
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {input.dtype.legacy_name}")
    if dim is None:
        return MeanBackward0.apply(input, dtype)
    return MeanBackward1.apply(input, wrap_dims(dim, input._data.ndim), keepdim, dtype)


@op(out=True)
def prod(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Product over dim (all when None)."""
    if keepdim.__class__ is not bool:
        keepdim = bool_arg(keepdim, "prod", "keepdim", 2)
    _check_dtype(dtype, "prod")
    dtype = _sum_dtype(input, dtype)
    if dim is None:
        return ProdBackward0.apply(input, dtype)
    return ProdBackward1.apply(input, wrap_dim(dim, input.dim()), keepdim, dtype)


def _correction(unbiased, correction) -> int:
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


def _warn_dof(name: str, a: Tensor, dims, correction) -> None:
    if _count(a.shape, dims) - correction <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than "
                      "the reduction factor (input numel divided by output numel).", stacklevel=4)


@op(out=True)
def var(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    """Variance over dim with Bessel's correction by default (correction=1)."""
    if keepdim.__class__ is not bool:
        keepdim = bool_arg(keepdim, "var", "keepdim", 3)
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    _need_float(input, "var")
    dims, correction = wrap_dims(dim, input.dim()), _correction(unbiased, correction)
    _warn_dof("var", input, dims, correction)
    return VarBackward0.apply(input, dims, correction, keepdim)


@op(out=True)
def std(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    """Standard deviation over dim with Bessel's correction by default (correction=1)."""
    if keepdim.__class__ is not bool:
        keepdim = bool_arg(keepdim, "std", "keepdim", 3)
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    _need_float(input, "std")
    dims, correction = wrap_dims(dim, input.dim()), _correction(unbiased, correction)
    _warn_dof("std", input, dims, correction)
    return StdBackward0.apply(input, dims, correction, keepdim)


def _need_float(a: Tensor, name: str) -> None:
    if not a.dtype.is_floating_point:
        raise RuntimeError("std and var only support floating point and complex dtypes")


@op(out=True)
def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    """log(sum(exp(input))) over dim, computed stably."""
    if keepdim.__class__ is not bool:
        keepdim = bool_arg(keepdim, "logsumexp", "keepdim", 2)
    return LogsumexpBackward0.apply(input, wrap_dims(dim, input.dim()), keepdim)


def _truth(a: Tensor, name: str, dim, keepdim: bool) -> Tensor:
    """all/any: bool results (computed on the truth values of any dtype)."""
    dims = None if dim is None else wrap_dims(dim, a.dim())
    return Tensor._wrap(a._backend.reduce(name, a._data, dims, keepdim if dim is not None else False), a._backend)


@op(out=True)
def all(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """True where every element (over dim, or all) is non-zero."""
    if keepdim.__class__ is not bool:
        keepdim = bool_arg(keepdim, "all", "keepdim", 2)
    return _truth(input, "all", dim, keepdim)


@op(out=True)
def any(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """True where some element (over dim, or all) is non-zero."""
    if keepdim.__class__ is not bool:
        keepdim = bool_arg(keepdim, "any", "keepdim", 2)
    return _truth(input, "any", dim, keepdim)
