"""Activations with their own node: softmax, log_softmax, gelu, leaky_relu, hardtanh, erf; and
the nn.functional forms of relu, sigmoid and tanh (the ops themselves are in unary.py)."""
from __future__ import annotations

import math
import warnings

from .. import dtypes
from .._declare import functional, op
from ..autograd.function import Function, kernel
from ..tensor import Tensor
from ._common import check_tensor, float_input, number_arg, wrap_dim
from .unary import _Unary, unary


# ----- softmax and log_softmax ----------------------------------------------------------------
class LogSoftmaxBackward0(Function):
    """log_softmax along dim in one fused pass; backward: grad - softmax * sum(grad)."""

    saves_output = True
    fused = kernel("log_softmax_backward", "output", "dim")

    @staticmethod
    def forward(ctx, a, dim):
        ctx.dim = dim
        return a._backend.log_softmax(a._data, dim)

    @staticmethod
    def backward(ctx, grad):
        out = ctx.saved_output
        return grad - out.exp() * grad.sum(ctx.dim, keepdim=True), None


class SoftmaxBackward0(Function):
    """softmax along dim; backward: y * (grad - sum(grad * y))."""

    saves_output = True
    fused = kernel("softmax_backward", "output", "dim")

    @staticmethod
    def forward(ctx, a, dim):
        ctx.dim = dim
        return a._backend.softmax(a._data, dim)

    @staticmethod
    def backward(ctx, grad):
        y = ctx.saved_output
        return y * (grad - (grad * y).sum(ctx.dim, keepdim=True)), None


def _softmax_input(a: Tensor, dim, dtype, name: str) -> tuple[Tensor, int]:
    if dim is None:
        # PyTorch's legacy implicit dim (nn.functional only): 0 for 0-, 1- and 3-d input, else 1.
        dim = 0 if a.dim() in (0, 1, 3) else 1
    d = wrap_dim(dim, a.dim())  # PyTorch checks the dim before the dtype
    if dtype is not None:
        if not isinstance(dtype, dtypes.dtype):
            raise TypeError(f"{name}(): argument 'dtype' must be torch.dtype, not {type(dtype).__name__}")
        a = a.to(dtype)
    if not a.dtype.is_floating_point:
        raise NotImplementedError(
            f"\"{name}_lastdim_kernel_impl\" not implemented for '{a.dtype.legacy_name}'")
    return a, d


def _required_dim(dim, name: str) -> None:
    if dim is None:
        raise TypeError(f'{name}() missing 1 required positional arguments: "dim"')


def _implicit_dim(dim, name: str, stacklevel: int) -> None:
    if dim is None:
        warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
                      "dim=X as an argument.", UserWarning, stacklevel=stacklevel)


def _log_softmax(input: Tensor, dim, dtype) -> Tensor:
    a, d = _softmax_input(check_tensor(input, "log_softmax", attribute_error=True), dim, dtype, "log_softmax")
    if a.dim() == 0:  # one element: log_softmax is 0
        return LogSoftmaxBackward0.apply(a.unsqueeze(0), 0).squeeze(0)
    return LogSoftmaxBackward0.apply(a, d)


def _softmax(input: Tensor, dim, dtype) -> Tensor:
    a, d = _softmax_input(check_tensor(input, "softmax", attribute_error=True), dim, dtype, "softmax")
    if a.dim() == 0:  # one element: softmax is 1
        return SoftmaxBackward0.apply(a.unsqueeze(0), 0).squeeze(0)
    return SoftmaxBackward0.apply(a, d)


@op
def log_softmax(input: Tensor, dim=None, dtype=None) -> Tensor:
    """input - log(sum(exp(input))) along dim, in one fused pass (any shape)."""
    _required_dim(dim, "log_softmax")
    return _log_softmax(input, dim, dtype)


@op
def softmax(input: Tensor, dim=None, dtype=None) -> Tensor:
    """exp(input) / sum(exp(input)) along dim, computed stably (any shape)."""
    _required_dim(dim, "softmax")
    return _softmax(input, dim, dtype)


@functional(name="softmax")
def _f_softmax(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """exp(x) / sum(exp(x)) along dim, computed stably (without dim: PyTorch's legacy
    implicit choice, with its deprecation warning)."""
    _implicit_dim(dim, "softmax", _stacklevel)
    return _softmax(input, dim, dtype)


@functional(name="log_softmax")
def _f_log_softmax(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """x - log(sum(exp(x))) along dim, computed stably in one fused pass (without dim: PyTorch's
    legacy implicit choice, with its deprecation warning)."""
    _implicit_dim(dim, "log_softmax", _stacklevel)
    return _log_softmax(input, dim, dtype)


# ----- relu, sigmoid, tanh as nn.functional has them -----------------------------------------
@functional(name="relu")
def _f_relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0) elementwise (in place with inplace=True)."""
    check_tensor(input, "relu")
    return input.relu_() if inplace else input.relu()


@functional(name="sigmoid")
def _f_sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-x)) elementwise."""
    return check_tensor(input, "sigmoid", attribute_error=True).sigmoid()


@functional(name="tanh")
def _f_tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent elementwise."""
    return check_tensor(input, "tanh", attribute_error=True).tanh()


# ----- erf and gelu ------------------------------------------------------------------------------
@unary("erf")
class ErfBackward0(_Unary):
    """The error function 2/sqrt(pi) * integral of exp(-t^2) from 0 to input, elementwise."""

    saves_input = True

    @staticmethod
    def backward(ctx, grad):
        a = ctx.saved_tensors[0]
        return grad * (2.0 / math.sqrt(math.pi)) * (-(a * a)).exp()


class GeluBackward0(Function):
    """x * Phi(x), Phi the normal CDF (exact, through erf), or PyTorch's tanh approximation."""

    fused = kernel("gelu_backward", "saved", "tanh")

    @staticmethod
    def forward(ctx, a, approximate):
        ctx.save_for_backward(a)
        ctx.tanh = approximate == "tanh"
        return a._backend.gelu(a._data, ctx.tanh)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        if not ctx.tanh:
            cdf = 0.5 * (1 + (x * 0.7071067811865476).erf())
            pdf = (-0.5 * x * x).exp() * 0.3989422804014327
            return grad * (cdf + x * pdf), None
        # PyTorch's tanh-approximation derivative, term by term
        beta, kappa = math.sqrt(2.0) * (2.0 / math.sqrt(math.pi)) * 0.5, 0.044715
        inner = beta * (x + kappa * x * x * x)
        t = inner.tanh()
        left, right = 0.5 * x, 1 + t
        right_derivative = left * (1 - t * t) * (beta * (1 + 3 * kappa * x * x))
        return grad * (0.5 * right + right_derivative), None


@functional
def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x) elementwise (approximate='tanh': PyTorch's tanh formula)."""
    check_tensor(input, "gelu")
    if not isinstance(approximate, str):
        raise TypeError(f"gelu(): argument 'approximate' must be str, not {type(approximate).__name__}")
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return GeluBackward0.apply(input, approximate)


# ----- leaky_relu and hardtanh -----------------------------------------------------------------
class LeakyReluBackward0(Function):
    """x where x > 0, else negative_slope * x."""

    fused = kernel("leaky_relu_backward", "saved", "slope")

    @staticmethod
    def forward(ctx, a, slope):
        ctx.save_for_backward(a)
        ctx.slope = slope
        return a._backend.leaky_relu(a._data, slope)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * ((a > 0) + (a <= 0) * ctx.slope), None


_NEGATIVE_SLOPE_INPLACE = (
    "In-place leakyReLu backward calculation is triggered with a negative slope which is not supported. This "
    "is caused by calling in-place forward function with a negative slope, please call out-of-place version "
    "instead. File an issue at https://github.com/pytorch/pytorch if you do require supporting in-place "
    "leakRelu backward calculation with negative slope")


_LEAKY_RELU_FROM_OUTPUT = kernel("leaky_relu_backward", "output", "slope")


class LeakyReluBackward1(Function):
    """leaky_relu_ (in place): the input is overwritten, so backward reads the result instead,
    whose sign is the input's for a positive slope (PyTorch's node of the in-place form)."""

    saves_output = True

    @staticmethod
    def forward(ctx, a, slope):
        ctx.slope = slope
        return a._backend.leaky_relu(a._data, slope)

    @staticmethod
    def backward(ctx, grad):
        if ctx.slope < 0:
            raise RuntimeError(_NEGATIVE_SLOPE_INPLACE)
        out = ctx.saved_output
        return grad * ((out > 0) + (out <= 0) * ctx.slope), None

    @staticmethod
    def fused(ctx, grad):
        if ctx.slope < 0:
            raise RuntimeError(_NEGATIVE_SLOPE_INPLACE)
        return _LEAKY_RELU_FROM_OUTPUT(ctx, grad)


@functional
def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, else negative_slope * x, elementwise (in place with inplace=True)."""
    check_tensor(input, "leaky_relu")
    negative_slope = number_arg(negative_slope, "leaky_relu", "negative_slope", 2)
    float_input(input, "leaky_relu_cpu")
    if inplace:
        return input._inplace(LeakyReluBackward1.apply, float(negative_slope))
    return LeakyReluBackward0.apply(input, float(negative_slope))


class HardtanhBackward0(Function):
    """min(max(x, min_val), max_val); the gradient passes strictly inside (min_val, max_val)."""

    @staticmethod
    def forward(ctx, a, lo, hi):
        ctx.save_for_backward(a)
        ctx.bounds = (lo, hi)
        be = a._backend
        if a._data.dtype.kind != "f":  # an integer input keeps its dtype: clamped as floats, then truncated
            return be.astype(be.clamp(be.astype(a._data, dtypes.float64), float(lo), float(hi)), a.dtype)
        return be.clamp(a._data, lo, hi)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        lo, hi = ctx.bounds
        return grad.masked_fill((a <= lo) | (a >= hi), 0), None, None


@functional
def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """x clipped to [min_val, max_val] elementwise (in place with inplace=True)."""
    check_tensor(input, "hardtanh")
    min_val = number_arg(min_val, "hardtanh", "min_val", 2)
    max_val = number_arg(max_val, "hardtanh", "max_val", 3)
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if inplace:
        return input._inplace(HardtanhBackward0.apply, min_val, max_val)
    return HardtanhBackward0.apply(input, min_val, max_val)


@functional
def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6) elementwise (in place with inplace=True)."""
    return hardtanh(input, 0.0, 6.0, inplace)
