"""Elementwise arithmetic with broadcasting: add, sub, mul, div, floor_divide, remainder.

Each Function's backward states the local derivative next to its forward; the engine
sums each gradient back to its input's shape (un-broadcasting). The declarations at the
end make them the Tensor methods, the ``minitorch.*`` functions and the in-place forms;
the operators are bound in operators.py, pow and square are in power.py, maximum,
minimum and where in where.py.
"""
from __future__ import annotations

import numpy as np

from .. import dtypes
from .._declare import op
from ..dtypes import FROM_NP as _FROM_NP
from ..autograd.function import Function
from ..tensor import Tensor
from ._common import NUMBER, binary_dtype, broadcast_error, check_number, same_device, scalar_tensor
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


# ----- the declarations: methods, minitorch.* and in-place forms -----------------------------
# The second operand: a number or a tensor (the operators in operators.py return NotImplemented
# for anything else, so that Python tries the other operand's reflected method).
_OPERAND = (Tensor,) + NUMBER


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
