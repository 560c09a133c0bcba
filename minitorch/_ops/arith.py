"""Elementwise arithmetic with broadcasting: + - * / // % ** maximum minimum where.

Each Function's backward states the local derivative next to its forward; the engine
sums each gradient back to its input's shape (un-broadcasting). The declarations at the
end make them the Tensor methods and operators, the ``minitorch.*`` functions and the
in-place forms.
"""
from __future__ import annotations

import builtins
import math

import numpy as np

from .. import dtypes
from .._declare import op
from ..dtypes import FROM_NP as _FROM_NP
from ..autograd.function import Function
from ..tensor import Tensor
from ._common import (NUMBER, binary_dtype, broadcast_error, broadcast_shapes, check_fits, check_number, same_device,
                      scalar_tensor)
from .inplace import inplace_binary


def _binary(op: str, a: Tensor, b, dtype: dtypes.dtype | None = None):
    """The raw result of op(a, b) through a's op table, computed in dtype (PyTorch's result
    dtype when None), with PyTorch's errors for other devices and shapes that do not broadcast."""
    data = a._data
    kind = b.__class__
    if kind is Tensor or (kind is not float and kind is not int and isinstance(b, Tensor)):
        if b._backend is not a._backend:
            same_device(a, b)
        raw = b._data
        if dtype is None:
            dtype = _FROM_NP[data.dtype] if data.dtype is raw.dtype else binary_dtype(a, b)
    else:
        raw = b
        if dtype is None:
            dtype = (_FROM_NP[data.dtype] if (kind is float or kind is int) and data.dtype.kind == "f"
                     else binary_dtype(a, b))
    try:
        return a._backend.binary(op, data, raw, dtype)
    except ValueError:
        raise broadcast_error(a.shape, b.shape) from None


def _is_bool(x) -> bool:
    return x._data.dtype.kind == "b" if isinstance(x, Tensor) else isinstance(x, bool)


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


def _save_operands(ctx, inputs, output) -> None:
    """setup_context of div (b may be a number). As PyTorch, a is kept only for b's gradient,
    so changing a in place afterwards is no error when b needs no gradient."""
    a, b = inputs
    if isinstance(b, Tensor):
        ctx.save_for_backward(a if b._requires_grad else None, b)
    else:
        ctx.save_for_backward(None, None)
    ctx.scalar = b
    ctx.a_needs_grad = a._requires_grad


def _save_factors(ctx, inputs, output) -> None:
    """setup_context of mul (b may be a number): each factor is kept only for the other's
    gradient, as PyTorch does (``g = grad + p * wd`` and then ``p.mul_(2)`` is no error when
    wd needs no gradient)."""
    a, b = inputs
    if isinstance(b, Tensor):
        ctx.save_for_backward(a if b._requires_grad else None, b if a._requires_grad else None)
    else:
        ctx.save_for_backward(None, None)
    ctx.scalar = b


class AddBackward0(Function):
    tensor_inputs = 2

    @staticmethod
    def forward(a, b):
        return _binary("add", a, b)

    @staticmethod
    def setup_context(ctx, inputs, output):
        pass

    @staticmethod
    def backward(ctx, grad):
        return grad, grad


class SubBackward0(Function):
    tensor_inputs = 2

    @staticmethod
    def forward(a, b):
        if a._data.dtype.kind == "b" or _is_bool(b):
            _no_bool_sub(a, b)
        return _binary("sub", a, b)

    @staticmethod
    def setup_context(ctx, inputs, output):
        pass

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
    tensor_inputs = 2
    setup_context = staticmethod(_save_factors)

    @staticmethod
    def forward(a, b):
        return _binary("mul", a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        if not isinstance(ctx.scalar, Tensor):
            return grad * ctx.scalar, None
        return (grad * b if b is not None else None), (grad * a if a is not None else None)


class DivBackward0(Function):
    tensor_inputs = 2
    setup_context = staticmethod(_save_operands)

    @staticmethod
    def forward(a, b):
        if a._data.dtype.kind == "f" and (b.__class__ is not Tensor or b._data.dtype is a._data.dtype):
            return _binary("div", a, b)  # a float result already: no promotion to the default float
        same_device(a, b)
        dtype = binary_dtype(a, b)
        if not dtype.is_floating_point:
            dtype = dtypes.get_default_dtype()
        return _binary("div", a, b, dtype)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        if b is None:
            return grad / ctx.scalar, None
        # PyTorch's div_tensor_other_backward: -grad * ((a / b) / b), which overflows, underflows
        # and makes NaN where PyTorch does (-grad * a / (b * b) does not always).
        return (grad / b if ctx.a_needs_grad else None), (-grad * (a / b / b) if a is not None else None)


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
        broadcast_shapes(condition.shape, a.shape, b.shape)  # PyTorch's message, in its order
        dtype = binary_dtype(a, b)
        ctx.save_for_backward(condition)
        return a._backend.where(condition._data, a._data, b._data, dtype)

    @staticmethod
    def backward(ctx, grad):
        (c,) = ctx.saved_tensors
        return None, grad.masked_fill(~c, 0), grad.masked_fill(c, 0)


# ----- the declarations: methods, operators, minitorch.* and in-place forms ------------------
def _other(other, name: str):
    """The second operand of a named arithmetic op: a tensor or a number, else TypeError."""
    if not isinstance(other, _OPERAND):
        raise TypeError(f"{name}(): argument 'other' must be Tensor or Number, not {type(other).__name__}")
    return other


def _first(input, other, name: str) -> Tensor:
    """The tensor an op of (input, other) is computed on: input, or a number input as a 0-d
    tensor beside the tensor other (``minitorch.sub(2, t)``)."""
    if isinstance(input, Tensor):
        return input
    if not isinstance(other, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    return scalar_tensor(check_number(input, "input"), other, binary_dtype(other, input))


def _scaled(a: Tensor, other, alpha, name: str):
    """alpha * other for add/sub, after PyTorch's checks of alpha against the result dtype."""
    if alpha == 1 and alpha.__class__ is int:
        return other
    if isinstance(alpha, Tensor) and alpha.dim() == 0:
        alpha = alpha.item()  # a 0-d tensor passes as a Number, as PyTorch's argument parser takes it
    if not isinstance(alpha, NUMBER):
        raise TypeError(f"{name}(): argument 'alpha' must be Number, not {type(alpha).__name__}")
    dtype = binary_dtype(a, _other(other, name))
    if not dtype.is_floating_point and isinstance(alpha, (float, np.floating)):
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")
    if dtype is not dtypes.bool and isinstance(alpha, (bool, np.bool_)):
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    return other * alpha


def _add_(self, other, *, alpha=1):
    """In-place version of :meth:`add`."""
    return inplace_binary(self, "add", add, _scaled(self, other, alpha, "add_"))


def _sub_(self, other, *, alpha=1):
    """In-place version of :meth:`sub`."""
    return inplace_binary(self, "sub", sub, _scaled(self, other, alpha, "sub_"))


def _mul_(self, other):
    """In-place version of :meth:`mul`."""
    return inplace_binary(self, "mul", mul, other)


def _div_(self, other, *, rounding_mode=None):
    """In-place version of :meth:`div`."""
    if rounding_mode is not None:
        return self._inplace(div, other, rounding_mode=rounding_mode)
    return inplace_binary(self, "div", div, other)


def _pow_(self, exponent):
    """In-place version of :meth:`pow`."""
    return inplace_binary(self, "pow", pow, exponent)


@op(inplace=_add_, out=True, checked=False)
def add(input, other, *, alpha=1) -> Tensor:
    """input + alpha * other, broadcast; either operand may be a number."""
    a = _first(input, _other(other, "add"), "add")
    other = _scaled(a, other, alpha, "add")
    return AddBackward0.apply(a, other) if a is input else AddBackward0.apply(other, a)


@op(inplace=_sub_, out=True, checked=False, aliases=("subtract",))
def sub(input, other, *, alpha=1) -> Tensor:
    """input - alpha * other, broadcast; either operand may be a number."""
    a = _first(input, _other(other, "sub"), "sub")
    return SubBackward0.apply(a, _scaled(a, other, alpha, "sub"))


@op(inplace=_mul_, out=True, checked=False, aliases=("multiply",))
def mul(input, other) -> Tensor:
    """input * other elementwise, broadcast; either operand may be a number."""
    a = _first(input, _other(other, "mul"), "mul")
    if a is not input:
        return MulBackward0.apply(other, a)
    if isinstance(other, Tensor) and a._data.ndim == 0 and other._data.ndim > 0:
        return MulBackward0.apply(other, a)
    return MulBackward0.apply(a, other)


@op(inplace=_div_, out=True, checked=False, aliases=("divide", "true_divide"))
def div(input, other, *, rounding_mode=None) -> Tensor:
    """input / other elementwise, broadcast; rounding_mode None (true division), 'trunc' or 'floor'."""
    a = _first(input, _other(other, "div"), "div")
    if rounding_mode is None:
        return DivBackward0.apply(a, other)
    if rounding_mode in ("floor", "trunc"):
        return DivBackward2.apply(a, other, rounding_mode)
    raise RuntimeError(
        f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'")


@op(out=True, checked=False)
def floor_divide(input, other) -> Tensor:
    """floor(input / other) elementwise, broadcast (no gradient, as in PyTorch)."""
    return NotImplemented.apply(_first(input, _other(other, "floor_divide"), "floor_divide"), other)


@op(out=True, checked=False)
def remainder(input, other) -> Tensor:
    """input mod other with the sign of other (Python's %), broadcast."""
    a = _first(input, _other(other, "remainder"), "remainder")
    if isinstance(other, Tensor):
        return RemainderBackward1.apply(a, other)
    return RemainderBackward0.apply(a, other)


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


@op(out=True)
def maximum(input, other) -> Tensor:
    """The larger of input and other elementwise, broadcast (NaN propagates)."""
    if not isinstance(other, Tensor):
        raise TypeError(f"maximum(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    return MaximumBackward0.apply(input, other)


@op(out=True)
def minimum(input, other) -> Tensor:
    """The smaller of input and other elementwise, broadcast (NaN propagates)."""
    if not isinstance(other, Tensor):
        raise TypeError(f"minimum(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    return MinimumBackward0.apply(input, other)


def _where_method(self, condition, other) -> Tensor:
    """Elements of self where condition holds, else of other."""
    return where(condition, self, other)


@op(method=_where_method, checked=False)
def where(condition, input=None, other=None) -> Tensor:
    """Elements of input where condition holds, else of other; ``where(condition)`` gives the
    indices of its non-zero elements (as ``nonzero(condition, as_tuple=True)``)."""
    if not isinstance(condition, Tensor):
        raise TypeError(f"where(): argument 'condition' (position 1) must be Tensor, not {type(condition).__name__}")
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    if not isinstance(condition, Tensor):
        raise TypeError(f"where(): argument 'condition' (position 1) must be Tensor, not {type(condition).__name__}")
    if condition.dtype is not dtypes.bool:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype {condition.dtype.legacy_name}")
    a, b = input, other
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        dtype = dtypes.promote_types(dtypes.scalar_dtype(check_number(a)), dtypes.scalar_dtype(check_number(b)))
        a, b = scalar_tensor(a, condition, dtype), scalar_tensor(b, condition, dtype)
    elif not isinstance(a, Tensor):
        a = scalar_tensor(a, b, binary_dtype(b, check_number(a)))
    elif not isinstance(b, Tensor):
        b = scalar_tensor(b, a, binary_dtype(a, check_number(b)))
    return WhereBackward0.apply(condition, a, b)


@op
def square(input) -> Tensor:
    """input ** 2 elementwise."""
    return pow(input, 2)


# The operators: a number or a tensor on the right, NotImplemented for anything else (so
# Python tries the other operand's reflected method).
_OPERAND = (Tensor,) + NUMBER


def _operator(name: str, fn):
    def operator(self, other):
        kind = other.__class__
        if kind is not Tensor and kind is not float and kind is not int and not isinstance(other, _OPERAND):
            return builtins.NotImplemented  # (NotImplemented here is floor division's node)
        return fn(self, other)
    operator.__name__ = operator.__qualname__ = name
    operator.__doc__ = fn.__doc__
    setattr(Tensor, name, operator)


_operator("__add__", AddBackward0.apply)
_operator("__radd__", AddBackward0.apply)
_operator("__sub__", SubBackward0.apply)
_operator("__rsub__", RsubBackward1.apply)
_operator("__mul__", MulBackward0.apply)
_operator("__rmul__", MulBackward0.apply)
_operator("__truediv__", DivBackward0.apply)
_operator("__rtruediv__", lambda a, b: a.reciprocal() * b)
_operator("__floordiv__", NotImplemented.apply)
_operator("__rfloordiv__", lambda a, b: NotImplemented.apply(scalar_tensor(b, a, binary_dtype(a, b)), a))
_operator("__mod__", remainder)
_operator("__rmod__", lambda a, b: RemainderBackward1.apply(scalar_tensor(b, a, binary_dtype(a, b)), a))
_operator("__pow__", pow)
_operator("__rpow__", lambda a, b: PowBackward2.apply(a, b))
Tensor.__iadd__ = _add_
Tensor.__isub__ = _sub_
Tensor.__imul__ = _mul_
Tensor.__itruediv__ = _div_
Tensor.__ipow__ = _pow_
