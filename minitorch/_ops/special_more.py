"""The rest of torch.special that is elementary: erfc and exp2 (also top-level ops and Tensor
methods, as in PyTorch), and the torch.special-only erfcx, ndtr, log_ndtr, ndtri, i0e, i1,
i1e, entr, xlog1py, multigammaln.

erfc, erfcx, log_ndtr, ndtri, i0e, i1 and i1e run the backend's ``special`` extra
(special_kernels.py); the others are composed in Tensor ops. Each backward is PyTorch's
derivative in Tensor ops. The torch.special-only names are plain functions with ``out=``
(``SPECIAL``), which minitorch.special exports.
"""
from __future__ import annotations

import math

import numpy as np

from .._declare import _function_form, op
from ..tensor import Tensor
from .activation_smooth import _Pointwise
from .pointwise_binary import _operands, _Pointwise2
from .special_math import SpecialI1Backward0, _Special, as_float, torch_inplace
from .unary import _Unary, unary
from .where import where

_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)
_SQRT_2PI = math.sqrt(2 * math.pi)


class ErfcBackward0(_Special):
    """1 - erf(x), exact where erf is near 1; derivative -2 / sqrt(pi) exp(-x^2)."""

    op = "erfc"

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return -_TWO_OVER_SQRT_PI * (-(x * x)).exp() * grad


@op(inplace=True, out=True)
def erfc(input: Tensor) -> Tensor:
    """The complementary error function 1 - erf(input) elementwise."""
    return ErfcBackward0.apply(as_float(input))


@unary("exp2")
class Exp2Backward0(_Unary):
    """2 ** input elementwise."""

    saves_output = True

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.saved_output * math.log(2.0)


class SpecialErfcxBackward0(_Special):
    """exp(x^2) erfc(x); derivative 2 x erfcx(x) - 2 / sqrt(pi)."""

    op = "erfcx"

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return (2 * x * SpecialErfcxBackward0.apply(x) - _TWO_OVER_SQRT_PI) * grad


class SpecialLogNdtrBackward0(_Special):
    """log of the standard normal CDF; derivative exp(-x^2/2) / sqrt(2 pi) / ndtr(x)."""

    op = "log_ndtr"

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        result = SpecialLogNdtrBackward0.apply(x)
        return grad / _SQRT_2PI * (-(result + x * x / 2)).exp()


class SpecialNdtriBackward0(_Special):
    """The inverse of the standard normal CDF; derivative sqrt(2 pi) exp(ndtri(p)^2 / 2)."""

    op = "ndtri"

    @staticmethod
    def backward(ctx, grad):
        result = SpecialNdtriBackward0.apply(ctx.saved_tensors[0])
        return grad * _SQRT_2PI * (result * result / 2).exp()


class SpecialI0EBackward0(_Special):
    """exp(-|x|) I0(x); derivative i1e(x) - sgn(x) i0e(x)."""

    op = "i0e"

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (SpecialI1EBackward0.apply(x) - x.sign() * SpecialI0EBackward0.apply(x))


class SpecialI1EBackward0(_Special):
    """exp(-|x|) I1(x); derivative i0e(x) - i1e(x) (sgn(x) + 1 / x) (1/2 at 0)."""

    op = "i1e"

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        i1e = SpecialI1EBackward0.apply(x)
        out = grad * (SpecialI0EBackward0.apply(x) - i1e * (x.sign() + x.reciprocal()))
        return where(x.abs() < float(np.finfo(x._data.dtype).eps), grad * 0.5, out)


class SpecialEntrBackward0(_Pointwise):
    """-x log x for x > 0, 0 at 0, -inf below; derivative -(1 + log x)."""

    @staticmethod
    def formula(x):
        return where(x.isnan(), x, where(x > 0, -x * x.log(), where(x == 0, 0.0, -math.inf)))

    @staticmethod
    def derivative(x, grad):
        return grad * -(1 + x.log())


class SpecialNdtrBackward0(_Pointwise):
    """The standard normal CDF (1 + erf(x / sqrt 2)) / 2, PyTorch's formula (so 0 below about
    -8.3, where log_ndtr still has the value); derivative exp(-x^2 / 2) / sqrt(2 pi)."""

    @staticmethod
    def formula(x):
        return (1 + (x * 0.7071067811865476).erf()) * 0.5

    @staticmethod
    def derivative(x, grad):
        return grad * (-(x * x) / 2).exp() / _SQRT_2PI


def _log1p_masked(x, y):
    """x * log1p(y), 0 where x is 0 (unless y is NaN)."""
    return where(y.isnan(), math.nan, where(x == 0, 0.0, x * y.log1p()))


class SpecialXlog1PyBackward0(_Pointwise2):
    """xlog1py of two tensors: d/dx = xlog1py(x != 0, y), d/dy = x / (1 + y)."""

    formula = staticmethod(_log1p_masked)

    @staticmethod
    def derivatives(x, y, grad):
        return grad * _log1p_masked((x != 0).to(x.dtype), y), grad * x / (y + 1)


def _scalar_like(value: float, like: Tensor) -> Tensor:
    return Tensor._wrap(like._backend.full((), value, like.dtype), like._backend)


class SpecialXlog1PyBackward1(_Pointwise):
    """xlog1py(number, tensor)."""

    @staticmethod
    def formula(y, x):
        return _log1p_masked(_scalar_like(x, y), y)

    @staticmethod
    def derivative(y, grad, x):
        return grad * x / (y + 1)


class SpecialXlog1PyBackward2(_Pointwise):
    """xlog1py(tensor, number)."""

    @staticmethod
    def formula(x, y):
        return _log1p_masked(x, _scalar_like(y, x))

    @staticmethod
    def derivative(x, grad, y):
        return grad * _log1p_masked((x != 0).to(x.dtype), _scalar_like(y, x))


# ----- the torch.special-only functions ----------------------------------------------------------
def erfcx(input: Tensor) -> Tensor:
    """The scaled complementary error function exp(input^2) erfc(input) elementwise."""
    return SpecialErfcxBackward0.apply(as_float(input))


def ndtr(input: Tensor) -> Tensor:
    """The standard normal CDF elementwise."""
    return SpecialNdtrBackward0.apply(as_float(input))


def log_ndtr(input: Tensor) -> Tensor:
    """The log of the standard normal CDF elementwise, accurate far into the lower tail."""
    return SpecialLogNdtrBackward0.apply(as_float(input))


def ndtri(input: Tensor) -> Tensor:
    """The inverse of the standard normal CDF elementwise, on [0, 1]."""
    return SpecialNdtriBackward0.apply(as_float(input))


def i0e(input: Tensor) -> Tensor:
    """The exponentially scaled modified Bessel function exp(-|input|) I0(input) elementwise."""
    return SpecialI0EBackward0.apply(as_float(input))


def i1(input: Tensor) -> Tensor:
    """The first-order modified Bessel function of the first kind elementwise."""
    return SpecialI1Backward0.apply(as_float(input))


def i1e(input: Tensor) -> Tensor:
    """The exponentially scaled modified Bessel function exp(-|input|) I1(input) elementwise."""
    return SpecialI1EBackward0.apply(as_float(input))


def entr(input: Tensor) -> Tensor:
    """The entropy term -input * log(input) elementwise (0 at 0, -inf below 0)."""
    return SpecialEntrBackward0.apply(as_float(input))


def xlog1py(input, other) -> Tensor:
    """input * log1p(other) elementwise, 0 where input is 0 (other NaN gives NaN), broadcast;
    either may be a number."""
    if not isinstance(input, Tensor):
        if not isinstance(other, Tensor):
            raise TypeError(f"special_xlog1py(): argument 'input' (position 1) must be Tensor, "
                            f"not {type(input).__name__}")
        y, _ = _operands("special_xlog1py", other, input)
        return SpecialXlog1PyBackward1.apply(y, float(input))
    x, y = _operands("special_xlog1py", input, other)
    if isinstance(y, Tensor):
        return SpecialXlog1PyBackward0.apply(x, y)
    return SpecialXlog1PyBackward2.apply(x, float(y))


def multigammaln(input: Tensor, p: int) -> Tensor:
    """The log of the multivariate gamma function of dimension p: the sum of
    lgamma(input - j / 2) over j < p, plus p (p - 1) / 4 log(pi)."""
    if isinstance(p, bool) or not isinstance(p, (int, np.integer)):
        raise TypeError(f"special_multigammaln(): argument 'p' (position 2) must be int, not {type(p).__name__}")
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    input = as_float(input)
    total = None
    for j in range(int(p) - 1, -1, -1):  # (PyTorch's order: from input - (p - 1) / 2 up to input)
        term = (input - j / 2).lgamma()
        total = term if total is None else total + term
    return total + p * (p - 1) * math.log(math.pi) / 4


SPECIAL = {}
for _fn in (erfcx, ndtr, log_ndtr, ndtri, i0e, i1, i1e, entr, xlog1py, multigammaln):
    SPECIAL[_fn.__name__] = _function_form(_fn, "special_" + _fn.__name__, _fn is not xlog1py, True)

for _name in ("erfc_", "exp2_"):
    torch_inplace(_name)
