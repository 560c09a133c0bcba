"""Running sums and products along a dim (cumsum, cumprod) and finite differences (diff).

Scans accumulate as PyTorch's CPU kernels do (float32 in float64, each output rounded once),
so long cumsums agree with PyTorch's to the last bit; integer and bool inputs give int64.
"""
from __future__ import annotations

from .. import dtypes
from .._declare import op
from ..autograd.function import Function
from ..tensor import Tensor
from ._common import check_tensor, wrap_dim
from .joins import cat


def _scan_dtype(a: Tensor, dtype):
    if dtype is not None:
        return dtype
    return a.dtype if a.dtype.is_floating_point else dtypes.int64


def _reversed_cumsum(t: Tensor, dim: int) -> Tensor:
    """sum over j >= i along dim, for every i."""
    return t.flip(dim).cumsum(dim).flip(dim)


class CumsumBackward0(Function):
    """Running sum along dim; the gradient of element i is the sum of the gradients from i on."""

    tensor_inputs = 1

    @staticmethod
    def forward(a, dim, dtype):
        return a._backend.cumulative("sum", a._data, dim, dtype)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.dim, ctx.dtype = inputs[1], inputs[0].dtype

    @staticmethod
    def backward(ctx, grad):
        if grad.dim() == 0:
            return grad.to(ctx.dtype), None, None
        return _reversed_cumsum(grad, ctx.dim).to(ctx.dtype), None, None


class CumprodBackward0(Function):
    """Running product along dim. The gradient of x_k is sum_{j>=k} g_j * out_j / x_k where x_k
    is not zero; at the first zero of a slice, the products with that zero left out; after it, 0."""

    tensor_inputs = 1

    @staticmethod
    def forward(a, dim, dtype):
        return a._backend.cumulative("prod", a._data, dim, dtype)

    @staticmethod
    def setup_context(ctx, inputs, output):
        a, ctx.dim, _ = inputs
        ctx.save_for_backward(a)
        ctx.dtype = a.dtype

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        d = ctx.dim
        if x.dim() == 0 or x.shape[d] <= 1:
            return grad.to(ctx.dtype), None, None
        x = x.to(grad.dtype)
        out = x.cumprod(d)
        is_zero = x == 0
        if not bool(is_zero.any()):
            return (_reversed_cumsum(grad * out, d) / x).to(ctx.dtype), None, None
        zeros_so_far = is_zero.cumsum(d)
        before = zeros_so_far == 0
        first_zero = is_zero & (zeros_so_far == 1)
        grad_before = (_reversed_cumsum(grad * out, d) / x.masked_fill(~before, 1)).masked_fill(~before, 0)
        skip_zero = x.masked_fill(first_zero, 1).cumprod(d)  # products with the first zero left out
        grad_zero = _reversed_cumsum((grad * skip_zero).masked_fill(before, 0), d).masked_fill(~first_zero, 0)
        return (grad_before + grad_zero).to(ctx.dtype), None, None


def _scan(fn, a: Tensor, dim: int, dtype) -> Tensor:
    d = wrap_dim(dim, a.dim())
    if dtype is not None and not isinstance(dtype, dtypes.dtype):
        raise TypeError(f"dtype must be a minitorch dtype, not {type(dtype).__name__}")
    target = _scan_dtype(a, dtype)
    source = a if dtype is None or dtype is a.dtype else a.to(dtype)
    return fn.apply(source, d, target)


def _cumsum_(self, dim: int, *, dtype=None) -> Tensor:
    return self._inplace(cumsum, dim, dtype=dtype if dtype is not None else self.dtype)


def _cumprod_(self, dim: int, *, dtype=None) -> Tensor:
    return self._inplace(cumprod, dim, dtype=dtype if dtype is not None else self.dtype)


@op(out=True, inplace=_cumsum_)
def cumsum(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """The running sum of input along dim (int64 for integer and bool input unless dtype)."""
    return _scan(CumsumBackward0, input, dim, dtype)


@op(out=True, inplace=_cumprod_)
def cumprod(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """The running product of input along dim (int64 for integer and bool input unless dtype)."""
    return _scan(CumprodBackward0, input, dim, dtype)


@op(out=True)
def diff(input: Tensor, n: int = 1, dim: int = -1, prepend=None, append=None) -> Tensor:
    """The n-th forward difference along dim (out[i] = input[i + 1] - input[i], repeated n
    times; != for bool), after joining prepend and append to input along dim."""
    a = input
    if a.dim() == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = wrap_dim(dim, a.dim())
    parts = []
    for name, extra in (("prepend", prepend), ("append", append)):
        if extra is None:
            continue
        check_tensor(extra, "diff", name)
        if extra.dim() != a.dim():
            raise RuntimeError(f"diff expects {name} or input to be the same dimension as input")
        parts.append((name, extra))
    if parts:
        joined = [e for k, e in parts if k == "prepend"] + [a] + [e for k, e in parts if k == "append"]
        a = cat(joined, d)
    for _ in range(n):
        length = a.shape[d]
        if length == 0:
            break
        upper, lower = a.narrow(d, 1, length - 1), a.narrow(d, 0, length - 1)
        a = upper.logical_xor(lower) if a.dtype is dtypes.bool else upper - lower
    return a
