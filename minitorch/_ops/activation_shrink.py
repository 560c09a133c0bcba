"""Piecewise and parametric activations: threshold, softshrink, hardshrink, prelu, rrelu, glu;
the ones PyTorch composes in Python (softsign, tanhshrink, softmin), and normalize and
gumbel_softmax (see activation_smooth.py for the node pattern)."""
from __future__ import annotations

import warnings

import numpy as np

from .. import dtypes
from .._declare import FUNCTIONS, function, functional, op
from ..autograd.function import Function
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from ._common import bool_arg, check_tensor, float_input, number_arg, wrap_dim
from .activation import _implicit_dim, _softmax
from .activation_smooth import _Pointwise
from .arith import where
from .shape import cat


# ----- threshold, softshrink, hardshrink ---------------------------------------------------------
class ThresholdBackward0(_Pointwise):
    """x where x > threshold, else value."""

    @staticmethod
    def formula(x, threshold, value):
        return where(x <= threshold, value, x)

    @staticmethod
    def derivative(x, grad, threshold, value):
        return where(x <= threshold, 0.0, grad)


class ThresholdBackward1(ThresholdBackward0):
    """threshold_ (in place): PyTorch's backward still masks by the original input."""


@function(functional=True)
def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else value, elementwise (in place with inplace=True)."""
    return _threshold(input, threshold, value, inplace)


@function(functional=True)
def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """threshold in place."""
    return _threshold(input, threshold, value, True)


def _threshold(input: Tensor, limit, value, inplace: bool) -> Tensor:
    check_tensor(input, "threshold")
    limit = number_arg(limit, "threshold", "threshold", 2)
    value = number_arg(value, "threshold", "value", 3)
    if bool_arg(inplace, "threshold", "inplace"):
        return input._inplace(ThresholdBackward1.apply, limit, value)
    return ThresholdBackward0.apply(input, limit, value)


class SoftshrinkBackward0(_Pointwise):
    """x - lambd above lambd, x + lambd below -lambd, 0 between."""

    @staticmethod
    def formula(x, lambd):
        return where(x > lambd, x - lambd, where(x < -lambd, x + lambd, x * 0))

    @staticmethod
    def derivative(x, grad, lambd):
        return where((x >= -lambd) & (x <= lambd), 0.0, grad)


class HardshrinkBackward0(SoftshrinkBackward0):
    """x outside [-lambd, lambd], 0 inside."""

    @staticmethod
    def formula(x, lambd):
        return where((x >= -lambd) & (x <= lambd), 0.0, x)


@functional
def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd * sign(x) where |x| > lambd, else 0, elementwise."""
    check_tensor(input, "softshrink")
    lambd = number_arg(lambd, "softshrink", "lambd", 2)
    float_input(input, "softshrink_check")
    limit = float(np.finfo(input._data.dtype).max)
    if not 0 <= lambd <= limit:
        raise RuntimeError(f"lambda must be in range [0, {limit:g}] for input dtype "
                           f"{input.dtype.legacy_name}, but found {lambd:g}")
    return SoftshrinkBackward0.apply(input, lambd)


@op(functional=True)
def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0, elementwise."""
    lambd = number_arg(lambd, "hardshrink", "lambd", 2)
    float_input(input, "hardshrink_cpu")
    return HardshrinkBackward0.apply(input, lambd)


# ----- what PyTorch composes in Python ------------------------------------------------------------
@functional
def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|) elementwise."""
    check_tensor(input, "softsign", attribute_error=True)
    return input / (input.abs() + 1)


@functional
def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x) elementwise."""
    check_tensor(input, "tanhshrink", attribute_error=True)
    return input - input.tanh()


@functional
def softmin(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """softmax(-x) along dim (without dim: PyTorch's legacy implicit choice, with its warning)."""
    check_tensor(input, "softmin", attribute_error=True)
    _implicit_dim(dim, "softmin", _stacklevel)
    return _softmax(-input, dim, dtype)


@functional
def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None) -> Tensor:
    """input divided by its p-norm along dim (at least eps); any shape."""
    check_tensor(input, "normalize", attribute_error=True)
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    if out is None:
        return input / denom
    return _div_into(input, denom, out=out)


def _div_into(input: Tensor, other: Tensor, out: Tensor) -> Tensor:
    """minitorch.div with out= (the declared function form)."""
    return FUNCTIONS["div"](input, other, out=out)


@functional
def gumbel_softmax(logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10, dim: int = -1) -> Tensor:
    """softmax((logits + g) / tau) along dim, g Gumbel(0, 1) draws (PyTorch's, from the same
    seed, on the CPU); hard=True: the one-hot argmax forward, the soft gradient backward."""
    check_tensor(logits, "gumbel_softmax", attribute_error=True)
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    be = logits._backend
    draws = Tensor._wrap(be.random_exponential(logits._data.shape, logits.dtype), be)
    gumbels = (logits - draws.log()) / tau
    y_soft = gumbels.softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = Tensor._wrap(be.zeros(logits._data.shape, logits.dtype), be).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft


# ----- glu ------------------------------------------------------------------------------------
class GluBackward0(Function):
    """a * sigmoid(b), a and b the halves of the input along dim."""

    @staticmethod
    def forward(ctx, x, dim):
        ctx.save_for_backward(x)
        ctx.dim = dim
        with no_grad():
            a, b = Tensor._wrap(x._data, x._backend).chunk(2, dim)
            return (a * b.sigmoid())._data

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        a, b = x.chunk(2, ctx.dim)
        s = b.sigmoid()
        return cat([grad * s, (1 - s) * s * a * grad], ctx.dim), None


@functional
def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b), a the first half of input along dim and b the second: (*, 2N, *) -> (*, N, *)."""
    check_tensor(input, "glu")
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = wrap_dim(dim, input.dim())
    if input.shape[d] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {input.shape[d]}")
    float_input(input, "glu_cpu")
    return GluBackward0.apply(input, d)


# ----- prelu ----------------------------------------------------------------------------------
class PreluKernelBackward0(Function):
    """x where x > 0, else weight * x, weight broadcast along the channel dim."""

    tensor_inputs = 2

    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        with no_grad():
            xt = Tensor._wrap(x._data, x._backend)
            return where(xt > 0, xt, Tensor._wrap(w._data, w._backend) * xt)._data

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        positive = x > 0
        grad_w = where(positive, 0.0, x * grad).sum_to_size(w.shape) if w.requires_grad else None
        return where(positive, grad, w * grad), grad_w


@op(functional=True)
def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x where x > 0, else weight * x; weight has 1 or C elements, C = input.shape[1]."""
    check_tensor(weight, "prelu", "weight", 2)
    if input.dtype is not weight.dtype:
        raise RuntimeError(f"prelu: Type promoting not supported. Got {input.dtype.legacy_name} and "
                           f"{weight.dtype.legacy_name}")
    if weight.dim() > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.dim()}")
    if weight.numel() != 1:
        if input.dim() == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        channels = input.shape[1] if input.dim() > 1 else 1
        if channels != weight.numel():
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                               f"{weight.numel()} and channel size = {channels}.")
    float_input(input, "prelu_cpu")
    if input.dim() >= 2:
        weight = weight.reshape((1, -1) + (1,) * (input.dim() - 2))
    elif weight.dim() == 1 and input.dim() == 0:
        weight = weight.reshape(())
    return PreluKernelBackward0.apply(input, weight)


# ----- rrelu ----------------------------------------------------------------------------------
class RreluWithNoiseBackward0(Function):
    """x where x > 0, else x * r: r uniform on [lower, upper] per element in training, their
    mean otherwise (PyTorch's draws: one float64 uniform per non-positive element, in order)."""

    @staticmethod
    def forward(ctx, a, lower, upper, training):
        be = a._backend
        ctx.save_for_backward(a)
        ctx.noise = None
        with no_grad():
            x = Tensor._wrap(a._data, be)
            if not training:
                ctx.slope = (lower + upper) / 2
                return where(x > 0, x, x * ctx.slope)._data
            negative = be.compare("le", a._data, 0, a.dtype)
            count = int(be.scalar(be.reduce("sum", be.astype(negative, dtypes.int64), None, False)))
            noise = be.full(a._data.shape, 1, a.dtype)
            # PyTorch holds the bounds in the input's dtype, then draws float64 uniforms between them
            low, high = (float(np.asarray(v, a._data.dtype)) for v in (lower, upper))
            draws = be.random_uniform((count,), dtypes.float64, low, high)
            be.setitem(noise, (negative,), be.astype(draws, a.dtype))
            ctx.noise = Tensor._wrap(noise, be)
            return (x * ctx.noise)._data

    @staticmethod
    def backward(ctx, grad):
        if ctx.noise is not None:
            return grad * ctx.noise, None, None, None
        (x,) = ctx.saved_tensors
        return where(x > 0, grad, grad * ctx.slope), None, None, None


class RreluWithNoiseBackward1(RreluWithNoiseBackward0):
    """rrelu_ (in place)."""


@function(functional=True)
def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    """x where x >= 0, else x * r, r drawn uniformly from [lower, upper] per element in training,
    (lower + upper) / 2 otherwise (in place with inplace=True)."""
    check_tensor(input, "rrelu")
    lower = number_arg(lower, "rrelu", "lower", 2)
    upper = number_arg(upper, "rrelu", "upper", 3)
    training = bool_arg(training, "rrelu", "training", 4)
    float_input(input, "rrelu_with_noise_out_cpu" if training else "leaky_relu_cpu")
    if training and lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    if bool_arg(inplace, "rrelu", "inplace"):
        return input._inplace(RreluWithNoiseBackward1.apply, lower, upper, training)
    return RreluWithNoiseBackward0.apply(input, lower, upper, training)


@function(functional=True)
def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False) -> Tensor:
    """rrelu in place."""
    return rrelu(input, lower, upper, training, True)

