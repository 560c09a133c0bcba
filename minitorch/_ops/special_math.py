"""Pointwise functions of one tensor beyond the elementary ones: lgamma, digamma, polygamma,
erfinv, i0 (through the backend's ``special`` extra), sinc, deg2rad, rad2deg, logit,
nan_to_num, signbit (composed in Tensor ops, as activation_smooth.py's nodes are).

Each backward is PyTorch's derivative in Tensor ops (lgamma's is digamma, digamma's is
polygamma(1), polygamma(n)'s is polygamma(n + 1), i0's is i1), so create_graph works to any order.
"""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes
from .._declare import function, method, op
from ..autograd.function import Function
from ..tensor import Tensor
from ._common import check_tensor, number_arg
from .activation_smooth import _Pointwise
from .arith import where


def as_float(input: Tensor) -> Tensor:
    """input, or its values in the default float dtype (integer and bool inputs, as PyTorch)."""
    return input if input.dtype.is_floating_point else input.to(dtypes.get_default_dtype())


class _Special(Function):
    """The backend's special function ``op`` of the first argument (of order n for polygamma)."""

    tensor_inputs = 1
    op = ""

    @classmethod
    def forward(cls, a, n=0):
        return a._backend.special(cls.op, a._data, n)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])
        ctx.n = inputs[1] if len(inputs) > 1 else 0


class LgammaBackward0(_Special):
    """log |Gamma(x)|; derivative digamma(x)."""

    op = "lgamma"

    @staticmethod
    def backward(ctx, grad):
        return grad * DigammaBackward0.apply(ctx.saved_tensors[0])


class DigammaBackward0(_Special):
    """psi(x) = Gamma'(x) / Gamma(x); derivative polygamma(1, x)."""

    op = "digamma"

    @staticmethod
    def backward(ctx, grad):
        return grad * PolygammaBackward0.apply(ctx.saved_tensors[0], 1)


class PolygammaBackward0(_Special):
    """The n-th derivative of digamma; derivative polygamma(n + 1, x)."""

    op = "polygamma"

    @staticmethod
    def backward(ctx, grad):
        return grad * PolygammaBackward0.apply(ctx.saved_tensors[0], ctx.n + 1), None


class ErfinvBackward0(_Special):
    """The inverse of erf; derivative sqrt(pi) / 2 * exp(erfinv(x)^2)."""

    op = "erfinv"

    @staticmethod
    def backward(ctx, grad):
        y = ErfinvBackward0.apply(ctx.saved_tensors[0])
        return 0.5 * math.sqrt(math.pi) * (y * y).exp() * grad


class I0Backward0(_Special):
    """The modified Bessel function I0; derivative I1."""

    op = "i0"

    @staticmethod
    def backward(ctx, grad):
        return grad * SpecialI1Backward0.apply(ctx.saved_tensors[0])


class SpecialI1Backward0(_Special):
    """The modified Bessel function I1; derivative I0(x) - I1(x) / x (1/2 at 0)."""

    op = "i1"

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        out = grad * (I0Backward0.apply(x) - SpecialI1Backward0.apply(x) / x)
        return where(x.abs() < float(np.finfo(x._data.dtype).eps), grad * 0.5, out)


@op(inplace=True, out=True)
def lgamma(input: Tensor) -> Tensor:
    """log |Gamma(input)| elementwise (inf at 0 and the negative integers)."""
    return LgammaBackward0.apply(as_float(input))


@op(inplace=True, out=True)
def digamma(input: Tensor) -> Tensor:
    """The logarithmic derivative of Gamma elementwise (NaN at the negative integers)."""
    return DigammaBackward0.apply(as_float(input))


def _polygamma(input: Tensor, n: int) -> Tensor:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"polygamma(): argument 'n' (position 1) must be int, not {type(n).__name__}")
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return PolygammaBackward0.apply(as_float(input), int(n))


@function(out=True)
def polygamma(n: int, input: Tensor) -> Tensor:
    """The n-th derivative of digamma elementwise (n = 0: digamma itself)."""
    check_tensor(input, "polygamma", "input", 2)
    return _polygamma(input, n)


@method(name="polygamma")
def _polygamma_method(self, n: int) -> Tensor:
    """The n-th derivative of digamma elementwise."""
    return _polygamma(self, n)


@method(name="polygamma_")
def _polygamma_inplace(self, n: int) -> Tensor:
    """polygamma in place."""
    return self._inplace(_polygamma, n)


@op(inplace=True, out=True)
def erfinv(input: Tensor) -> Tensor:
    """The inverse error function elementwise, on [-1, 1] (+-inf at +-1, NaN outside)."""
    return ErfinvBackward0.apply(as_float(input))


@op(inplace=True, out=True)
def i0(input: Tensor) -> Tensor:
    """The zeroth-order modified Bessel function of the first kind elementwise."""
    return I0Backward0.apply(as_float(input))


# ----- composed in Tensor ops ---------------------------------------------------------------------
class SincBackward0(_Pointwise):
    """sin(pi x) / (pi x), 1 at 0."""

    @staticmethod
    def formula(x):
        product = x * math.pi
        return where(x == 0, 1.0, product.sin() / product)

    @staticmethod
    def derivative(x, grad):
        product = x * math.pi
        slope = (product * product.cos() - product.sin()) / (product * x)
        return where(x == 0, 0.0, slope) * grad


@op(inplace=True, out=True)
def sinc(input: Tensor) -> Tensor:
    """The normalised sinc function sin(pi x) / (pi x) elementwise."""
    return SincBackward0.apply(as_float(input))


_PI_180 = math.pi / 180  # (PyTorch's constants, rounded to double)
_180_PI = 180 / math.pi


class Deg2RadBackward0(_Pointwise):
    """x * pi / 180."""

    @staticmethod
    def formula(x):
        return x * _PI_180

    @staticmethod
    def derivative(x, grad):
        return grad * _PI_180


class Rad2DegBackward0(_Pointwise):
    """x * 180 / pi."""

    @staticmethod
    def formula(x):
        return x * _180_PI

    @staticmethod
    def derivative(x, grad):
        return grad * _180_PI


@op(inplace=True, out=True)
def deg2rad(input: Tensor) -> Tensor:
    """Degrees to radians elementwise."""
    return Deg2RadBackward0.apply(as_float(input))


@op(inplace=True, out=True)
def rad2deg(input: Tensor) -> Tensor:
    """Radians to degrees elementwise."""
    return Rad2DegBackward0.apply(as_float(input))


class LogitBackward0(_Pointwise):
    """log(x / (1 - x)), x first clamped to [eps, 1 - eps] when eps is given."""

    @staticmethod
    def _bounds(x, eps):
        dt = x._data.dtype.type
        return float(dt(eps)), float(dt(1) - dt(eps))

    @staticmethod
    def formula(x, eps):
        if eps is not None:
            lo, hi = LogitBackward0._bounds(x, eps)
            x = where(x < lo, lo, where(x > hi, hi, x))
        return (x / (1 - x)).log()

    @staticmethod
    def derivative(x, grad, eps):
        slope = grad / (x * (1 - x))
        if eps is None:
            return where((x < 0) | (x > 1), math.nan, slope)
        lo, hi = LogitBackward0._bounds(x, eps)
        return where((x < lo) | (x > hi), 0.0, slope)


@op(inplace=True, out=True)
def logit(input: Tensor, eps=None) -> Tensor:
    """log(p / (1 - p)) elementwise; with eps, p is clamped to [eps, 1 - eps] first."""
    if eps is not None:
        eps = number_arg(eps, "logit", "eps", 2, "float")
        if eps < 0:
            eps = None  # (PyTorch's convention: a negative eps means none)
    return LogitBackward0.apply(as_float(input), eps)


class NanToNumBackward0(_Pointwise):
    """x with NaN, +inf and -inf replaced; the gradient passes where x is finite."""

    @staticmethod
    def formula(x, nan, posinf, neginf):
        return where(x.isnan(), nan, where(x == math.inf, posinf, where(x == -math.inf, neginf, x)))

    @staticmethod
    def derivative(x, grad, nan, posinf, neginf):
        return grad * x.isfinite()


@op(inplace=True, out=True)
def nan_to_num(input: Tensor, nan: float = 0.0, posinf=None, neginf=None) -> Tensor:
    """NaN, +inf and -inf replaced by nan, posinf and neginf (default: the dtype's largest and
    lowest finite values); integer tensors are returned as a copy."""
    nan = number_arg(nan, "nan_to_num", "nan", 2, "float")
    if not input.dtype.is_floating_point:
        return input.clone()
    info = np.finfo(input._data.dtype)
    posinf = float(info.max) if posinf is None else number_arg(posinf, "nan_to_num", "posinf", 3, "float")
    neginf = float(info.min) if neginf is None else number_arg(neginf, "nan_to_num", "neginf", 4, "float")
    return NanToNumBackward0.apply(input, nan, posinf, neginf)


@op(out=True)
def signbit(input: Tensor) -> Tensor:
    """A bool tensor: True where the sign bit is set (negative numbers and -0.0; a NaN counts as
    positive, whatever its sign bit)."""
    if input.dtype is dtypes.bool:
        return Tensor._wrap(input._backend.zeros(input._data.shape, dtypes.bool), input._backend)
    negative = input < 0
    if not input.dtype.is_floating_point:
        return negative
    return negative | ((input == 0) & (input.reciprocal() < 0))


# ----- the in-place forms PyTorch also has as functions (torch.sinc_(x) is x.sinc_()) ----------
def torch_inplace(name: str) -> None:
    """Declare minitorch.<name> (an in-place method's name) as that method of its first argument."""
    def fn(input: Tensor, *args, **kwargs) -> Tensor:
        return getattr(check_tensor(input, name), name)(*args, **kwargs)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"In-place version of :func:`{name[:-1]}`."
    function(fn)


for _name in ("nan_to_num_", "sinc_", "deg2rad_", "rad2deg_", "logit_", "i0_"):
    torch_inplace(_name)
