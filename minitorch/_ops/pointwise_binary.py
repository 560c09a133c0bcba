"""Pointwise functions of two tensors (or a tensor and a number), broadcast: logaddexp,
logaddexp2, hypot, float_power, fmod, copysign, heaviside, xlogy. Each node's forward is
PyTorch's CPU formula in Tensor ops, run without recording (as activation_smooth.py's), its
backward PyTorch's derivative in Tensor ops."""
from __future__ import annotations

import math

from .. import dtypes
from .._declare import op
from ..autograd.function import Function
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from ._common import NUMBER, binary_dtype, broadcast_shapes, check_tensor, same_device
from .activation_smooth import _Pointwise
from .arith import maximum, minimum, where
from .special_math import signbit, torch_inplace


class _Pointwise2(Function):
    """An elementwise op of two tensors (broadcast) and number parameters (ctx.params)."""

    tensor_inputs = 2

    @classmethod
    def forward(cls, a, b, *params):
        with no_grad():
            return cls.formula(Tensor._wrap(a._data, a._backend), Tensor._wrap(b._data, b._backend), *params)._data

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0], inputs[1])
        ctx.params = inputs[2:]

    @classmethod
    def backward(cls, ctx, grad):
        a, b = ctx.saved_tensors
        return cls.derivatives(a, b, grad, *ctx.params) + (None,) * len(ctx.params)


def _operands(name: str, input: Tensor, other, arg: str = "other", need_float: str | None = None):
    """input and other (a tensor, or a number where the op takes one) converted to their result
    dtype; need_float: the kernel PyTorch names when that dtype is not floating point (None:
    integer results compute in the default float dtype)."""
    check_tensor(input, name)
    if isinstance(other, Tensor):
        same_device(input, other)
        broadcast_shapes(input.shape, other.shape)
    elif not isinstance(other, NUMBER):
        raise TypeError(f"{name}(): argument '{arg}' (position 2) must be Tensor, not {type(other).__name__}")
    dtype = binary_dtype(input, other)
    if not dtype.is_floating_point:
        if need_float is not None:
            raise NotImplementedError(f"\"{need_float}\" not implemented for '{dtype.legacy_name}'")
        dtype = dtypes.get_default_dtype()
    input = input if input.dtype is dtype else input.to(dtype)
    if isinstance(other, Tensor) and other.dtype is not dtype:
        other = other.to(dtype)
    return input, other


def _tensor_other(name: str, other, arg: str = "other") -> None:
    if not isinstance(other, Tensor):
        raise TypeError(f"{name}(): argument '{arg}' (position 2) must be Tensor, not {type(other).__name__}")


# ----- logaddexp, logaddexp2, hypot -----------------------------------------------------------------
class LogaddexpBackward0(_Pointwise2):
    """log(exp(a) + exp(b)), computed as max(a, b) + log1p(exp(-|a - b|))."""

    @staticmethod
    def formula(a, b):
        out = maximum(a, b) + (-(a - b).abs()).exp().log1p()
        return where(a.isinf() & (a == b), a, out)

    @staticmethod
    def derivatives(a, b, grad):
        return grad / ((b - a).exp() + 1), grad / ((a - b).exp() + 1)


class Logaddexp2Backward0(_Pointwise2):
    """log2(2^a + 2^b), computed as max(a, b) + log1p(2^-|a - b|) / ln 2."""

    @staticmethod
    def formula(a, b):
        out = maximum(a, b) + (2 ** -(a - b).abs()).log1p() * (1 / math.log(2))
        return where(a.isinf() & (a == b), a, out)

    @staticmethod
    def derivatives(a, b, grad):
        return grad / (2 ** (b - a) + 1), grad / (2 ** (a - b) + 1)


@op(out=True)
def logaddexp(input: Tensor, other: Tensor) -> Tensor:
    """log(exp(input) + exp(other)) elementwise, without overflow, broadcast."""
    _tensor_other("logaddexp", other)
    return LogaddexpBackward0.apply(*_operands("logaddexp", input, other, need_float="logaddexp_cpu"))


@op(out=True)
def logaddexp2(input: Tensor, other: Tensor) -> Tensor:
    """log2(2^input + 2^other) elementwise, without overflow, broadcast."""
    _tensor_other("logaddexp2", other)
    return Logaddexp2Backward0.apply(*_operands("logaddexp2", input, other, need_float="logaddexp2_cpu"))


class HypotBackward0(_Pointwise2):
    """sqrt(a^2 + b^2) without overflow: float32 through float64, float64 scaled by max(|a|, |b|)."""

    @staticmethod
    def formula(a, b):
        if a.dtype is not dtypes.float64:
            wide_a, wide_b = a.to(dtypes.float64), b.to(dtypes.float64)
            return (wide_a * wide_a + wide_b * wide_b).sqrt().to(a.dtype)
        big, small = maximum(a.abs(), b.abs()), minimum(a.abs(), b.abs())
        ratio = small / big
        return where(big == 0, 0.0, big * (ratio * ratio + 1).sqrt())

    @staticmethod
    def derivatives(a, b, grad):
        result = HypotBackward0.apply(a, b)
        return grad * a / result, grad * b / result


@op(inplace=True, out=True)
def hypot(input: Tensor, other: Tensor) -> Tensor:
    """sqrt(input^2 + other^2) elementwise, broadcast."""
    _tensor_other("hypot", other)
    return HypotBackward0.apply(*_operands("hypot", input, other, need_float="hypot_cpu"))


# ----- float_power ---------------------------------------------------------------------------------
def _float_power(input, exponent) -> Tensor:
    if isinstance(input, Tensor):
        base = input.to(dtypes.float64)
        return base.pow(exponent.to(dtypes.float64) if isinstance(exponent, Tensor) else float(exponent))
    if not isinstance(exponent, Tensor):
        raise TypeError(f"float_power(): argument 'input' must be Tensor, not {type(input).__name__}")
    return exponent.to(dtypes.float64).__rpow__(float(input))


def _float_power_(self: Tensor, exponent) -> Tensor:
    """float_power in place: only a float64 tensor can hold the result."""
    if self.dtype is not dtypes.float64:
        raise RuntimeError(f"the base given to float_power_ has dtype {self.dtype.legacy_name} but the operation's "
                           "result requires dtype Double")
    return self._inplace(_float_power, exponent)


@op(inplace=_float_power_, out=True, checked=False)
def float_power(input, exponent) -> Tensor:
    """input ** exponent elementwise in float64 (either may be a number), broadcast."""
    return _float_power(input, exponent)


# ----- fmod, copysign -----------------------------------------------------------------------------
def _fmod(a: Tensor, b) -> Tensor:
    """C's fmod: the remainder of a / b truncated, with a's sign (sign(a) * (|a| mod |b|), exact)."""
    r = a.abs().remainder(b.abs() if isinstance(b, Tensor) else abs(b))
    return where(signbit(a), -r, r)


class FmodBackward0(_Pointwise):
    """fmod by a number: the gradient passes to the dividend."""

    formula = staticmethod(_fmod)

    @staticmethod
    def derivative(a, grad, b):
        return grad


class FmodBackward1(_Pointwise2):
    """fmod by a tensor: d/db = -trunc(a / b)."""

    formula = staticmethod(_fmod)

    @staticmethod
    def derivatives(a, b, grad):
        return grad, -grad * a.div(b, rounding_mode="trunc")


@op(inplace=True, out=True)
def fmod(input: Tensor, other) -> Tensor:
    """The remainder of input / other rounded toward zero (the sign of input), broadcast."""
    check_tensor(input, "fmod")
    if isinstance(other, Tensor):
        same_device(input, other)
        dtype = binary_dtype(input, other)
    elif isinstance(other, NUMBER):
        dtype = binary_dtype(input, other)
    else:
        raise TypeError(f"fmod(): argument 'other' (position 2) must be Tensor or Number, not {type(other).__name__}")
    if dtype is dtypes.bool:
        raise NotImplementedError("\"fmod_cpu\" not implemented for 'Bool'")
    if not dtype.is_floating_point and bool((other == 0).any() if isinstance(other, Tensor) else other == 0):
        raise RuntimeError("ZeroDivisionError")
    a = input if input.dtype is dtype else input.to(dtype)
    if isinstance(other, Tensor):
        broadcast_shapes(input.shape, other.shape)
        return FmodBackward1.apply(a, other if other.dtype is dtype else other.to(dtype))
    return FmodBackward0.apply(a, other)


class CopysignBackward0(_Pointwise2):
    """|a| with the sign of b; d/da = copysign(a, b) / a (0 where a is 0), d/db = 0."""

    @staticmethod
    def formula(a, b):
        return where(signbit(b), -a.abs(), a.abs())

    @staticmethod
    def derivatives(a, b, grad):
        ratio = CopysignBackward0.apply(a, b) / a
        return grad * ratio.masked_fill(a == 0, 0), grad * 0


class CopysignBackward1(_Pointwise):
    """copysign by a number."""

    @staticmethod
    def formula(a, b):
        return -a.abs() if math.copysign(1.0, b) < 0 else a.abs()

    @staticmethod
    def derivative(a, grad, b):
        ratio = CopysignBackward1.apply(a, b) / a
        return grad * ratio.masked_fill(a == 0, 0)


@op(inplace=True, out=True)
def copysign(input: Tensor, other) -> Tensor:
    """|input| with the sign (bit) of other elementwise, broadcast; float result."""
    a, b = _operands("copysign", input, other)
    if isinstance(b, Tensor):
        return CopysignBackward0.apply(a, b)
    return CopysignBackward1.apply(a, float(b))


# ----- heaviside, xlogy ---------------------------------------------------------------------------
class HeavisideNotImplemented(Function):
    """The Heaviside step: 0 below zero, 1 above, values at zero. No derivative (as PyTorch)."""

    tensor_inputs = 2

    @staticmethod
    def forward(a, b):
        with no_grad():
            x, values = Tensor._wrap(a._data, a._backend), Tensor._wrap(b._data, b._backend)
            return where(x == 0, values, (x > 0).to(x.dtype))._data

    @staticmethod
    def setup_context(ctx, inputs, output):
        pass

    def name(self) -> str:
        return "torch::autograd::NotImplemented"

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("derivative for aten::heaviside is not implemented")


@op(inplace=True, out=True)
def heaviside(input: Tensor, values: Tensor) -> Tensor:
    """0 where input < 0, 1 where input > 0, values where input == 0, broadcast."""
    _tensor_other("heaviside", values, "values")
    same_device(input, values)
    if input.dtype is not values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    broadcast_shapes(input.shape, values.shape)
    return HeavisideNotImplemented.apply(input, values)


def _xlogy(x, y):
    """x * log(y), 0 where x is 0 (unless y is NaN)."""
    return where(y.isnan(), math.nan, where(x == 0, 0.0, x * y.log()))


class XlogyBackward0(_Pointwise2):
    """xlogy of two tensors: d/dx = xlogy(x != 0, y), d/dy = x / y."""

    formula = staticmethod(_xlogy)

    @staticmethod
    def derivatives(x, y, grad):
        return grad * xlogy((x != 0).to(x.dtype), y), grad * x / y


class XlogyBackward1(_Pointwise):
    """xlogy(number, tensor): the tensor is the argument of the log."""

    @staticmethod
    def formula(y, x):
        return _xlogy(Tensor._wrap(y._backend.full((), x, y.dtype), y._backend), y)

    @staticmethod
    def derivative(y, grad, x):
        return grad * x / y


class XlogyBackward2(_Pointwise):
    """xlogy(tensor, number)."""

    @staticmethod
    def formula(x, y):
        return _xlogy(x, Tensor._wrap(x._backend.full((), y, x.dtype), x._backend))

    @staticmethod
    def derivative(x, grad, y):
        return grad * xlogy((x != 0).to(x.dtype), y)


@op(inplace=True, out=True, checked=False)
def xlogy(input, other) -> Tensor:
    """input * log(other) elementwise, 0 where input is 0 (other NaN gives NaN), broadcast;
    either may be a number."""
    if not isinstance(input, Tensor):
        if not isinstance(other, Tensor):
            raise TypeError(f"xlogy(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
        if not isinstance(input, NUMBER):
            raise TypeError(f"xlogy(): argument 'self' (position 1) must be Number, not {type(input).__name__}")
        y, _ = _operands("xlogy", other, input)
        return XlogyBackward1.apply(y, float(input))
    x, y = _operands("xlogy", input, other)
    if isinstance(y, Tensor):
        return XlogyBackward0.apply(x, y)
    return XlogyBackward2.apply(x, float(y))



torch_inplace("xlogy_")
