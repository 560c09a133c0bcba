"""Elementwise arithmetic with broadcasting: + - * / // % ** maximum minimum where.

Each Function's backward states the local derivative next to its forward; the
engine sums each gradient back to its input's shape (un-broadcasting).
"""
from __future__ import annotations

import math

from ... import dtypes
from ...tensor import Tensor
from ..function import Function
from ._common import binary_dtype, broadcast_error, check_number, same_device, scalar_tensor


def _same_float(a: Tensor, b) -> bool:
    """Both tensors of one floating dtype on one device: NumPy's result dtype is PyTorch's."""
    return (isinstance(b, Tensor) and a._data.dtype is b._data.dtype and a._data.dtype.kind == "f"
            and a._backend is b._backend)


def _fast(method, a: Tensor, b: Tensor):
    """op(a, b) through the op table's same-dtype entry point (no promotion work)."""
    try:
        return method(a._data, b._data)
    except ValueError:
        raise broadcast_error(a.shape, b.shape) from None


def _binary(op: str, a: Tensor, b, dtype: dtypes.dtype):
    """The raw result of op(a, b) through a's op table, with PyTorch's broadcast error."""
    try:
        if isinstance(b, Tensor):
            return a._backend.binary(op, a._data, b._data, dtype)
        return a._backend.binary(op, a._data, b, dtype)
    except ValueError:
        raise broadcast_error(a.shape, b.shape) from None


def _is_bool(x) -> bool:
    return x.dtype is dtypes.bool if isinstance(x, Tensor) else isinstance(x, bool)


def _no_bool_sub(a: Tensor, b) -> None:
    """PyTorch refuses subtraction with a bool operand (a Python bool counts as one)."""
    if _is_bool(a) and _is_bool(b):
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. "
            "Use the `^` or `logical_xor()` operator instead.")
    if _is_bool(a) or _is_bool(b):
        raise RuntimeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. "
            "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")


class AddBackward0(Function):
    @staticmethod
    def forward(ctx, a, b):
        if _same_float(a, b):
            return _fast(a._backend.add, a, b)
        same_device(a, b)
        return _binary("add", a, b, binary_dtype(a, b))

    @staticmethod
    def backward(ctx, grad):
        return grad, grad


class SubBackward0(Function):
    @staticmethod
    def forward(ctx, a, b):
        if _same_float(a, b):
            return _fast(a._backend.sub, a, b)
        same_device(a, b)
        _no_bool_sub(a, b)
        return _binary("sub", a, b, binary_dtype(a, b))

    @staticmethod
    def backward(ctx, grad):
        return grad, -grad


class RsubBackward1(Function):
    """scalar - a."""

    @staticmethod
    def forward(ctx, a, scalar):
        _no_bool_sub(a, scalar)
        return a._backend.rbinary("sub", scalar, a._data, binary_dtype(a, scalar))

    @staticmethod
    def backward(ctx, grad):
        return -grad, None


class MulBackward0(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b if isinstance(b, Tensor) else None)
        ctx.scalar = b
        if _same_float(a, b):
            return _fast(a._backend.mul, a, b)
        same_device(a, b)
        return _binary("mul", a, b, binary_dtype(a, b))

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        if b is None:
            return grad * ctx.scalar, None
        return grad * b, grad * a


class DivBackward0(Function):
    @staticmethod
    def forward(ctx, a, b):
        same_device(a, b)
        dtype = binary_dtype(a, b)
        if not dtype.is_floating_point:
            dtype = dtypes.get_default_dtype()
        ctx.save_for_backward(a, b if isinstance(b, Tensor) else None)
        ctx.scalar = b
        return _binary("div", a, b, dtype)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        if b is None:
            return grad / ctx.scalar, None
        # PyTorch's div_tensor_other_backward: -grad * ((a / b) / b), which overflows, underflows
        # and makes NaN where PyTorch does (-grad * a / (b * b) does not always).
        return (grad / b if a._requires_grad else None), (-grad * (a / b / b) if b._requires_grad else None)


class NotImplemented(Function):  # noqa: A001 - PyTorch's node name for ops without a derivative
    """The node of floor division: its derivative is not defined, as in PyTorch."""

    @staticmethod
    def forward(ctx, a, b):
        same_device(a, b)
        dtype = binary_dtype(a, b)
        if dtype is dtypes.bool:
            raise NotImplementedError("\"div_floor_cpu\" not implemented for 'Bool'")
        _check_int_zero_division(b, dtype)
        return _binary("floordiv", a, b, dtype)

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("derivative for aten::floor_divide is not implemented")


class DivBackward2(Function):
    """Division rounded down ("floor") or toward zero ("trunc"): zero gradient almost everywhere."""

    @staticmethod
    def forward(ctx, a, b, rounding_mode):
        same_device(a, b)
        dtype = binary_dtype(a, b)
        _check_int_zero_division(b, dtype)
        if rounding_mode == "floor":
            return _binary("floordiv", a, b, dtype)
        if dtype.is_floating_point:
            return a._backend.unary("trunc", _binary("div", a, b, dtype))
        q = _binary("div", a, b, dtypes.float64)
        return a._backend.astype(a._backend.unary("trunc", q), dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad * 0, grad * 0, None


def _check_int_zero_division(b, dtype) -> None:
    if dtype.is_floating_point:
        return
    if isinstance(b, Tensor):
        if bool((b == 0).any()):
            raise RuntimeError("ZeroDivisionError")
    elif b == 0:
        raise RuntimeError("ZeroDivisionError")


def _no_bool(dtype, name: str) -> None:
    if dtype is dtypes.bool:
        raise NotImplementedError(f"\"{name}\" not implemented for 'Bool'")


class RemainderBackward0(Function):
    """a % scalar."""

    @staticmethod
    def forward(ctx, a, scalar):
        dtype = binary_dtype(a, scalar)
        _no_bool(dtype, "remainder_cpu")
        _check_int_zero_division(scalar, dtype)
        return _binary("remainder", a, scalar, dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad, None


class RemainderBackward1(Function):
    """a % b for tensors: d/db = -floor(a / b)."""

    @staticmethod
    def forward(ctx, a, b):
        same_device(a, b)
        dtype = binary_dtype(a, b)
        _no_bool(dtype, "remainder_cpu")
        _check_int_zero_division(b, dtype)
        ctx.save_for_backward(a, b)
        return _binary("remainder", a, b, dtype)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad, -grad * (a // b).detach()


class PowBackward0(Function):
    """a ** scalar exponent: d/da = e * a^(e-1)."""

    @staticmethod
    def forward(ctx, a, exponent):
        dtype = binary_dtype(a, exponent)
        if not dtype.is_floating_point and exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
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


class MaximumBackward0(Function):
    """maximum(a, b): the gradient goes to the larger input, split evenly at ties."""

    op = "maximum"

    @classmethod
    def forward(cls, ctx, a, b):
        same_device(a, b)
        ctx.save_for_backward(a, b)
        return _binary(cls.op, a, b, binary_dtype(a, b))

    @staticmethod
    def backward(ctx, grad):
        # PyTorch's formula: where(a == b, grad / 2, grad), zeroed where the other input wins.
        # A NaN input compares false both ways, so both inputs get the full gradient.
        a, b = ctx.saved_tensors
        shared = where(a == b, grad / 2, grad)
        a_loses, b_loses = (a < b, a > b) if ctx.op == "maximum" else (a > b, a < b)
        grad_a = shared.masked_fill(a_loses, 0) if a._requires_grad else None
        grad_b = shared.masked_fill(b_loses, 0) if b._requires_grad else None
        return grad_a, grad_b


class MinimumBackward0(MaximumBackward0):
    op = "minimum"


class WhereBackward0(Function):
    @staticmethod
    def forward(ctx, condition, a, b):
        same_device(a, b)
        same_device(a, condition)
        dtype = binary_dtype(a, b)
        ctx.save_for_backward(condition)
        try:
            return a._backend.where(condition._data, a._data, b._data, dtype)
        except ValueError:
            raise broadcast_error(a.shape, b.shape) from None

    @staticmethod
    def backward(ctx, grad):
        (c,) = ctx.saved_tensors
        return None, grad.masked_fill(~c, 0), grad.masked_fill(c, 0)


# ----- public functions (the Tensor methods and minitorch.* call these) ------------------
def add(a: Tensor, b, alpha=1) -> Tensor:
    if alpha != 1:
        b = b * alpha
    return AddBackward0.apply(a, b)


def sub(a: Tensor, b, alpha=1) -> Tensor:
    if alpha != 1:
        b = b * alpha
    return SubBackward0.apply(a, b)


def rsub(a: Tensor, scalar) -> Tensor:
    return RsubBackward1.apply(a, scalar)


def mul(a: Tensor, b) -> Tensor:
    if isinstance(b, Tensor) and a._data.ndim == 0 and b._data.ndim > 0:
        return MulBackward0.apply(b, a)
    return MulBackward0.apply(a, b)


def div(a: Tensor, b, rounding_mode=None) -> Tensor:
    if rounding_mode is None:
        return DivBackward0.apply(a, b)
    if rounding_mode in ("floor", "trunc"):
        return DivBackward2.apply(a, b, rounding_mode)
    raise RuntimeError(
        f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'")


def floor_divide(a: Tensor, b) -> Tensor:
    return NotImplemented.apply(a, b)


def remainder(a: Tensor, b) -> Tensor:
    if isinstance(b, Tensor):
        return RemainderBackward1.apply(a, b)
    return RemainderBackward0.apply(a, b)


def pow(a: Tensor, exponent) -> Tensor:  # noqa: A001
    if isinstance(exponent, Tensor):
        return PowBackward1.apply(a, exponent)
    return PowBackward0.apply(a, exponent)


def rpow(base, exponent: Tensor) -> Tensor:
    return PowBackward2.apply(exponent, base)


def maximum(a: Tensor, b: Tensor) -> Tensor:
    return MaximumBackward0.apply(a, b)


def minimum(a: Tensor, b: Tensor) -> Tensor:
    return MinimumBackward0.apply(a, b)


def where(condition: Tensor, a, b) -> Tensor:
    if condition.dtype is not dtypes.bool:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype {condition.dtype.legacy_name}")
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        dtype = dtypes.promote_types(dtypes.scalar_dtype(check_number(a)), dtypes.scalar_dtype(check_number(b)))
        a, b = scalar_tensor(a, condition, dtype), scalar_tensor(b, condition, dtype)
    elif not isinstance(a, Tensor):
        a = scalar_tensor(a, b, binary_dtype(b, check_number(a)))
    elif not isinstance(b, Tensor):
        b = scalar_tensor(b, a, binary_dtype(a, check_number(b)))
    return WhereBackward0.apply(condition, a, b)
