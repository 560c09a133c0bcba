"""Powers: pow (tensor ** number, tensor ** tensor, number ** tensor) and square."""
from __future__ import annotations

import math

from .. import dtypes
from .._declare import op
from ..autograd.function import Function
from ..tensor import Tensor
from ._common import binary_dtype, check_fits, check_number, same_device
from .inplace import inplace_binary
from .arith import _binary, _no_bool, _other


class PowBackward0(Function):
    """a ** scalar exponent: d/da = e * a^(e-1)."""

    @staticmethod
    def forward(ctx, a, exponent):
        dtype = binary_dtype(a, exponent)
        if not dtype.is_floating_point and exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        check_fits(exponent, dtype)
        ctx.save_for_backward(a)
        ctx.exponent = exponent
        if dtype is dtypes.bool:  # x ** False is all True, x ** True is x
            be = a._backend
            return be.full(a._data.shape, True, dtype) if not exponent else be.copy(a._data)
        return _binary("pow", a, exponent, dtype)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        e = ctx.exponent
        if e == 0:  # zeros, not grad * 0: an infinite incoming gradient stays 0 (as PyTorch)
            return Tensor._wrap(grad._backend.zeros(grad._data.shape, grad.dtype), grad._backend), None
        # PyTorch's grad * (e * a.pow(e - 1)), with e - 1 a float: a.pow(-0.5) is rsqrt(a), so
        # (-0.) ** 0.5 has gradient -inf; the grouping keeps grad's inf/0 products the same.
        return grad * (e * a ** (float(e) - 1)), None


class PowBackward1(Function):
    """a ** b for tensors: d/da = b a^(b-1), d/db = a^b log(a) (0 where a == 0 and b >= 0)."""

    @staticmethod
    def forward(ctx, a, b):
        same_device(a, b)
        dtype = binary_dtype(a, b)
        _no_bool(dtype, "pow")
        ctx.save_for_backward(a, b)
        return _binary("pow", a, b, dtype)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        grad_a = grad * b * a ** (b - 1) if a._requires_grad else None
        grad_b = None
        if b._requires_grad:
            grad_b = grad * (a ** b) * a.log()
            grad_b = grad_b.masked_fill((a == 0) & (b >= 0), 0)
        return grad_a, grad_b


class PowBackward2(Function):
    """scalar ** b: d/db = scalar^b log(scalar)."""

    @staticmethod
    def forward(ctx, b, base):
        ctx.save_for_backward(b)
        ctx.base = base
        dtype = binary_dtype(b, base)
        _no_bool(dtype, "pow")
        return b._backend.rbinary("pow", base, b._data, dtype)

    @staticmethod
    def backward(ctx, grad):
        (b,) = ctx.saved_tensors
        base = ctx.base
        if base == 0:
            return (grad * 0).masked_fill(b < 0, float("-inf")), None
        return grad * (base ** b) * math.log(base), None


def _pow_(self, exponent):
    """In-place version of :meth:`pow`."""
    return inplace_binary(self, "pow", pow, exponent)


@op(inplace=_pow_, out=True, checked=False)
def pow(input, exponent) -> Tensor:  # noqa: A001
    """input ** exponent elementwise; either may be a number."""
    _other(exponent, "pow")
    if not isinstance(input, Tensor):
        if not isinstance(exponent, Tensor):
            raise TypeError(f"pow(): argument 'input' must be Tensor or Number, not {type(input).__name__}")
        return PowBackward2.apply(exponent, check_number(input, "input"))
    if isinstance(exponent, Tensor):
        return PowBackward1.apply(input, exponent)
    return PowBackward0.apply(input, exponent)


@op
def square(input) -> Tensor:
    """input ** 2 elementwise."""
    return pow(input, 2)
