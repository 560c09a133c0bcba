"""Smooth activations with their own node: silu, mish, softplus, logsigmoid, elu (and selu,
celu), hardswish, hardsigmoid.

Each is a node named as PyTorch names it. silu, mish, softplus and elu run the backend's
one-pass extras of the same names (their fused backwards too); the others are ``_Pointwise``
nodes whose ``formula`` is the forward as PyTorch's CPU kernel computes it, written in Tensor
ops and run without recording a graph (so it runs on every device). ``backward`` is always
PyTorch's derivative in Tensor ops, so ``create_graph=True`` differentiates it again.
"""
from __future__ import annotations

import numpy as np

from .._declare import function, functional
from ..autograd.function import Function, kernel
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from .arith import where
from ._common import bool_arg, check_tensor, float_input, number_arg


class _Pointwise(Function):
    """An elementwise op of its first argument and number parameters (kept on ctx.params)."""

    tensor_inputs = 1

    @classmethod
    def forward(cls, a, *params):
        with no_grad():
            return cls.formula(Tensor._wrap(a._data, a._backend), *params)._data

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])
        ctx.params = inputs[1:]

    @staticmethod
    def formula(x: Tensor, *params) -> Tensor:
        raise NotImplementedError

    @classmethod
    def backward(cls, ctx, grad):
        """derivative(x, grad, *params) for the input, None for each number parameter."""
        return (cls.derivative(ctx.saved_tensors[0], grad, *ctx.params),) + (None,) * len(ctx.params)


def in_dtype(value: float, like: Tensor) -> float:
    """value rounded to like's float dtype (PyTorch's kernels hold their coefficients in it)."""
    return float(np.asarray(value, like._data.dtype))


def activation(node, name: str, input: Tensor, *params, inplace: bool = False):
    """input checked, then node applied to it (in place with inplace=True)."""
    check_tensor(input, name)
    float_input(input, f"{name}_cpu")
    if bool_arg(inplace, name, "inplace"):
        return input._inplace(node.apply, *params)
    return node.apply(input, *params)


# ----- silu and mish -----------------------------------------------------------------------------
class SiluBackward0(_Pointwise):
    """x * sigmoid(x), computed as x / (1 + exp(-x))."""

    fused = kernel("silu_backward", "saved")

    @classmethod
    def forward(cls, a):
        return a._backend.silu(a._data)

    @staticmethod
    def derivative(x, grad):
        s = ((-x).exp() + 1).reciprocal()
        return grad * s * (1 + x * (1 - s))


@functional
def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) elementwise, the swish (in place with inplace=True)."""
    return activation(SiluBackward0, "silu", input, inplace=inplace)


class MishBackward0(_Pointwise):
    """x * tanh(softplus(x))."""

    fused = kernel("mish_backward", "saved")

    @classmethod
    def forward(cls, a):
        return a._backend.mish(a._data)

    @staticmethod
    def derivative(x, grad):
        s = ((-x).exp() + 1).reciprocal()
        t = x.exp().log1p().tanh()
        return grad * (t + x * s * (1 - t * t))


@functional
def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x)) elementwise (in place with inplace=True)."""
    return activation(MishBackward0, "mish", input, inplace=inplace)


# ----- softplus and logsigmoid -------------------------------------------------------------------
class SoftplusBackward0(_Pointwise):
    """log(1 + exp(beta * x)) / beta, or x itself where beta * x > threshold."""

    @classmethod
    def forward(cls, a, beta, threshold):
        return a._backend.softplus(a._data, beta, threshold)

    @staticmethod
    def fused(ctx, grad):
        x = ctx.saved_tensors[0]
        be = grad._backend
        return Tensor._wrap(be.softplus_backward(grad._data, x._data, *ctx.params), be), None, None

    @staticmethod
    def derivative(x, grad, beta, threshold):
        bx = x * beta
        z = bx.exp()
        return where(bx > threshold, grad, grad * z / (z + 1))


@functional
def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta * x)) / beta elementwise, linear above threshold (as beta * x)."""
    check_tensor(input, "softplus")
    beta = number_arg(beta, "softplus", "beta", 2)
    threshold = number_arg(threshold, "softplus", "threshold", 3)
    float_input(input, "softplus_cpu")
    return SoftplusBackward0.apply(input, beta, threshold)


class LogSigmoidBackward0(_Pointwise):
    """log(sigmoid(x)), computed stably as min(x, 0) - log1p(exp(-|x|))."""

    @staticmethod
    def formula(x):
        return x.clamp_max(0) - (-x.abs()).exp().log1p()

    @staticmethod
    def derivative(x, grad):
        negative = x < 0
        z = (-x.abs()).exp()
        ratio = z / (z + 1)
        return grad * where(negative, 1 - ratio, ratio)


@functional
def logsigmoid(input: Tensor) -> Tensor:
    """log(1 / (1 + exp(-x))) elementwise."""
    check_tensor(input, "log_sigmoid_forward")
    float_input(input, "log_sigmoid_cpu")
    return LogSigmoidBackward0.apply(input)


# ----- elu, selu, celu ---------------------------------------------------------------------------
# PyTorch's SELU constants
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _elu_coefficients(x: Tensor, alpha, scale, input_scale) -> tuple:
    """(alpha * scale, scale, input_scale) in x's dtype, as PyTorch's kernel holds them."""
    dt = x._data.dtype
    negcoef = float(np.asarray(alpha, dt) * np.asarray(scale, dt))
    return negcoef, in_dtype(scale, x), in_dtype(input_scale, x)


def _elu_derivative(x, grad, alpha, scale, input_scale):
    negcoef, poscoef, negiptcoef = _elu_coefficients(x, alpha, scale, input_scale)
    return where(x <= 0, grad * negiptcoef * negcoef * (x * negiptcoef).exp(), grad * poscoef)


def _elu_forward(a: Tensor, alpha, scale, input_scale):
    return a._backend.elu(a._data, *_elu_coefficients(a, alpha, scale, input_scale))


def _elu_fused(ctx, grad, x: Tensor, is_result: bool):
    be = grad._backend
    coefficients = _elu_coefficients(x, *ctx.params)
    return (Tensor._wrap(be.elu_backward(grad._data, x._data, *coefficients, is_result), be), None, None, None)


class EluBackward0(_Pointwise):
    """scale * x where x > 0, else scale * alpha * (exp(input_scale * x) - 1)."""

    derivative = staticmethod(_elu_derivative)

    @classmethod
    def forward(cls, a, alpha, scale, input_scale):
        return _elu_forward(a, alpha, scale, input_scale)

    @staticmethod
    def fused(ctx, grad):
        return _elu_fused(ctx, grad, ctx.saved_tensors[0], False)


class CeluBackward0(EluBackward0):
    """elu with input_scale 1 / alpha (PyTorch's node of celu)."""


_ELU_NEGATIVE_INPLACE = (
    "In-place elu backward calculation is triggered with a negative slope which is not supported. This is "
    "caused by calling in-place forward function with a negative slope, please call out-of-place version "
    "instead.")


class EluBackward1(Function):
    """elu_ (in place): the input is overwritten, so backward reads the result, as PyTorch's node."""

    saves_output = True

    @staticmethod
    def forward(ctx, a, alpha, scale, input_scale):
        ctx.params = (alpha, scale, input_scale)
        return _elu_forward(a, alpha, scale, input_scale)

    @staticmethod
    def fused(ctx, grad):
        if ctx.params[0] < 0:
            raise RuntimeError(_ELU_NEGATIVE_INPLACE)
        return _elu_fused(ctx, grad, ctx.saved_output, True)

    @staticmethod
    def backward(ctx, grad):
        alpha, scale, input_scale = ctx.params
        if alpha < 0:
            raise RuntimeError(_ELU_NEGATIVE_INPLACE)
        out = ctx.saved_output
        negcoef, poscoef, negiptcoef = _elu_coefficients(out, alpha, scale, input_scale)
        return where(out <= 0, grad * negiptcoef * (out + negcoef), grad * poscoef), None, None, None


class CeluBackward1(EluBackward1):
    """celu_ (in place)."""


def _elu(name: str, input: Tensor, alpha, scale, input_scale, inplace: bool, nodes) -> Tensor:
    check_tensor(input, name)
    float_input(input, "elu_cpu")
    if bool_arg(inplace, name, "inplace"):
        return input._inplace(nodes[1].apply, alpha, scale, input_scale)
    return nodes[0].apply(input, alpha, scale, input_scale)


@functional
def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x where x > 0, else alpha * (exp(x) - 1), elementwise (in place with inplace=True)."""
    alpha = number_arg(alpha, "elu", "alpha", 2)
    return _elu("elu", input, alpha, 1.0, 1.0, inplace, (EluBackward0, EluBackward1))


@functional
def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """elu in place."""
    return elu(input, alpha, True)


@function(functional=True)
def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with PyTorch's self-normalising constants (in place with inplace=True)."""
    return _elu("selu", input, _SELU_ALPHA, _SELU_SCALE, 1.0, inplace, (EluBackward0, EluBackward1))


@function(functional=True)
def selu_(input: Tensor) -> Tensor:
    """selu in place."""
    return selu(input, True)


@function(functional=True)
def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1)) elementwise (in place with inplace=True)."""
    alpha = number_arg(alpha, "celu", "alpha", 2)
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _elu("celu", input, alpha, 1.0, 1.0 / alpha, inplace, (CeluBackward0, CeluBackward1))


@function(functional=True)
def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """celu in place."""
    return celu(input, alpha, True)


# ----- hardswish, hardsigmoid --------------------------------------------------------------------
class HardswishBackward0(_Pointwise):
    """x * min(max(x + 3, 0), 6) / 6."""

    @staticmethod
    def formula(x):
        return x * (x + 3).clamp(0, 6) / 6

    @staticmethod
    def derivative(x, grad):
        middle = where(x < 3, grad * (x / 3 + 0.5), grad)
        return where(x <= -3, 0.0, middle)


@functional
def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * relu6(x + 3) / 6 elementwise (in place with inplace=True)."""
    return activation(HardswishBackward0, "hardswish", input, inplace=inplace)


# PyTorch's kernel multiplies by 1/6 rounded to float32, in every dtype
_ONE_SIXTH = float(np.float32(1.0) / np.float32(6.0))


class HardsigmoidBackward0(_Pointwise):
    """min(max(x + 3, 0), 6) / 6."""

    @staticmethod
    def formula(x):
        return (x + 3).clamp(0, 6) / 6

    @staticmethod
    def derivative(x, grad):
        return where((x > -3) & (x < 3), grad * _ONE_SIXTH, 0.0)


@functional
def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6 elementwise (in place with inplace=True)."""
    return activation(HardsigmoidBackward0, "hardsigmoid", input, inplace=inplace)
