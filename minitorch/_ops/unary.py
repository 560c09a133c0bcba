"""Elementwise functions of one tensor: exp, log, tanh, sigmoid, relu, ... (clamp is in clamp.py).

Each op is one class: ``@unary("exp")`` declares it (``x.exp()``, ``minitorch.exp``,
``x.exp_()``; its docstring is the op's), the backend's elementwise op code of the same
name is its forward, ``backward`` is its derivative in Tensor ops, and ``fused``, where
set, is the one-pass kernel the engine runs instead when no graph of the backward is built.
"""
from __future__ import annotations

from .. import dtypes
from .._declare import method, op
from ..autograd.function import Function, kernel
from ..tensor import Tensor

# Ops that keep an integer input's dtype; the rest compute in the default float dtype, as PyTorch.
_KEEP_INT = {"neg", "abs", "sign", "relu", "floor", "ceil", "round", "trunc",
             "logical_not", "bitwise_not", "isnan", "isinf", "isfinite"}

# What PyTorch raises for these functions of a bool tensor.
_BOOL_ERRORS = {
    "neg": (RuntimeError, "Negation, the `-` operator, on a bool tensor is not supported. If you are "
                          "trying to invert a mask, use the `~` or `logical_not()` operator instead."),
    "abs": (NotImplementedError, "\"abs_cpu\" not implemented for 'Bool'"),
    "relu": (RuntimeError, "Boolean inputs not supported for relu"),
    "floor": (NotImplementedError, "\"floor_vml_cpu\" not implemented for 'Bool'"),
    "ceil": (NotImplementedError, "\"ceil_vml_cpu\" not implemented for 'Bool'"),
    "round": (NotImplementedError, "\"round_vml_cpu\" not implemented for 'Bool'"),
    "trunc": (NotImplementedError, "\"trunc_vml_cpu\" not implemented for 'Bool'"),
}


def _elementwise(op: str, a: Tensor):
    """The raw result of the backend's elementwise op code on a (an integer input computes in
    the default float dtype unless the op keeps integers; a bool input raises where PyTorch does)."""
    data, be = a._data, a._backend
    if data.dtype.kind != "f":
        data = _non_float(op, a)
    return be.unary(op, data)


def _non_float(op: str, a: Tensor):
    if op in _BOOL_ERRORS and a._data.dtype.kind == "b":
        error, message = _BOOL_ERRORS[op]
        raise error(message)
    return a._data if op in _KEEP_INT else a._backend.astype(a._data, dtypes.get_default_dtype())


class _Unary(Function):
    """forward: the backend's op code of the same name. saves_input: backward reads the input."""

    op = ""
    saves_input = False
    tensor_inputs = 1

    @classmethod
    def forward(cls, a):
        data = a._data
        if data.dtype.kind != "f":
            data = _non_float(cls.op, a)
        return a._backend.unary(cls.op, data)

    @staticmethod
    def setup_context(ctx, inputs, output):
        if ctx.saves_input:
            ctx.save_for_backward(inputs[0])


def unary(name: str, *, inplace: bool = True, aliases: tuple = ()):
    """Declare a _Unary subclass as the op name: x.name(), minitorch.name (with out=) and x.name_()."""
    def declare(cls):
        cls.op = name

        def fn(input: Tensor) -> Tensor:
            return cls.apply(input)
        fn.__name__ = fn.__qualname__ = name
        fn.__doc__ = cls.__doc__
        fn.__module__ = cls.__module__
        op(fn, inplace=inplace, out=True, aliases=aliases)
        return cls
    return declare


def _zeros_like(grad):
    # Zeros, not grad * 0: an infinite incoming gradient must not turn into NaN (as PyTorch).
    return Tensor._wrap(grad._backend.zeros(grad._data.shape, grad.dtype), grad._backend)


@unary("neg", aliases=("negative",))
class NegBackward0(_Unary):
    """-input elementwise."""

    @staticmethod
    def backward(ctx, grad):
        return -grad


@unary("abs", aliases=("absolute",))
class AbsBackward0(_Unary):
    """|input| elementwise."""

    saves_input = True

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * a.sign()


@unary("sign")
class SignBackward0(_Unary):
    """-1, 0 or 1 by the sign of each element (0 for NaN)."""

    @staticmethod
    def backward(ctx, grad):
        return _zeros_like(grad)


@unary("exp")
class ExpBackward0(_Unary):
    """e ** input elementwise."""

    saves_output = True

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.saved_output


@unary("expm1")
class Expm1Backward0(_Unary):
    """exp(input) - 1 elementwise, exact near 0."""

    saves_output = True

    @staticmethod
    def backward(ctx, grad):
        return grad * (ctx.saved_output + 1)


@unary("log")
class LogBackward0(_Unary):
    """Natural logarithm elementwise."""

    saves_input = True

    @staticmethod
    def backward(ctx, grad):
        return grad / ctx.saved_tensors[0]


@unary("log1p")
class Log1PBackward0(_Unary):
    """log(1 + input) elementwise, exact near 0."""

    saves_input = True

    @staticmethod
    def backward(ctx, grad):
        return grad / (ctx.saved_tensors[0] + 1)


@unary("log2")
class Log2Backward0(_Unary):
    """Base-2 logarithm elementwise."""

    saves_input = True

    @staticmethod
    def backward(ctx, grad):
        return grad / (ctx.saved_tensors[0] * 0.6931471805599453)


@unary("log10")
class Log10Backward0(_Unary):
    """Base-10 logarithm elementwise."""

    saves_input = True

    @staticmethod
    def backward(ctx, grad):
        return grad / (ctx.saved_tensors[0] * 2.3025850929940456)  # the constant of PyTorch's formula


@unary("sqrt")
class SqrtBackward0(_Unary):
    """Square root elementwise."""

    saves_output = True

    @staticmethod
    def backward(ctx, grad):
        return grad / (2 * ctx.saved_output)


@unary("rsqrt")
class RsqrtBackward0(_Unary):
    """1 / sqrt(input) elementwise."""

    saves_output = True

    @staticmethod
    def backward(ctx, grad):
        out = ctx.saved_output
        return -0.5 * grad * (out * out * out)  # PyTorch's -0.5 * grad * result.pow(3)


@unary("reciprocal")
class ReciprocalBackward0(_Unary):
    """1 / input elementwise."""

    saves_output = True

    @staticmethod
    def backward(ctx, grad):
        out = ctx.saved_output
        return -grad * (out * out)  # PyTorch's grouping: an underflowing out * out gives 0, not inf


@unary("sin")
class SinBackward0(_Unary):
    """Sine elementwise."""

    saves_input = True

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.saved_tensors[0].cos()


@unary("cos")
class CosBackward0(_Unary):
    """Cosine elementwise."""

    saves_input = True

    @staticmethod
    def backward(ctx, grad):
        return -grad * ctx.saved_tensors[0].sin()


@unary("tanh")
class TanhBackward0(_Unary):
    """Hyperbolic tangent elementwise."""

    saves_output = True
    fused = kernel("tanh_backward", "output")

    @staticmethod
    def backward(ctx, grad):
        out = ctx.saved_output
        return grad * (1 - out * out)


@unary("sigmoid")
class SigmoidBackward0(_Unary):
    """1 / (1 + exp(-input)) elementwise."""

    saves_output = True
    fused = kernel("sigmoid_backward", "output")

    @staticmethod
    def backward(ctx, grad):
        out = ctx.saved_output
        return grad * (1 - out) * out


@unary("relu")
class ReluBackward0(_Unary):
    """max(input, 0) elementwise.

    relu saves its output, as PyTorch does (out > 0 exactly where input > 0), so modifying
    the output in place before backward is the error PyTorch reports."""

    saves_output = True
    fused = kernel("relu_backward", "output")

    @staticmethod
    def backward(ctx, grad):
        return grad.masked_fill(ctx.saved_output <= 0, 0)


class _NoGrad(_Unary):
    """Piecewise-constant functions: zero gradient everywhere it exists."""

    @staticmethod
    def backward(ctx, grad):
        return _zeros_like(grad)


@unary("floor")
class FloorBackward0(_NoGrad):
    """Largest integer <= each element."""


@unary("ceil")
class CeilBackward0(_NoGrad):
    """Smallest integer >= each element."""


@unary("round")
class RoundBackward0(_NoGrad):
    """Each element rounded to the nearest integer, halves to even."""


@unary("trunc", aliases=("fix",))
class TruncBackward0(_NoGrad):
    """Each element rounded toward zero."""


# ----- predicates and logical not: no derivative, no node ------------------------------------
def _predicate(name: str, doc: str) -> None:
    def fn(input: Tensor) -> Tensor:
        return Tensor._wrap(_elementwise(name, input), input._backend)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    op(fn, out=name == "logical_not")


_predicate("isnan", "A bool tensor: True where input is NaN.")
_predicate("isinf", "A bool tensor: True where input is +inf or -inf.")
_predicate("isfinite", "A bool tensor: True where input is neither inf nor NaN.")
_predicate("logical_not", "A bool tensor: True where input is zero (False).")


@method(name="__invert__")
def _invert(self) -> Tensor:
    """~input: logical not of a bool tensor, bitwise not of an integer one."""
    if self._data.dtype.kind == "f":
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
    return Tensor._wrap(_elementwise("logical_not" if self._data.dtype.kind == "b" else "bitwise_not", self),
                        self._backend)


Tensor.__neg__ = Tensor.neg
Tensor.__abs__ = Tensor.abs


@method(name="__pos__")
def _positive(self) -> Tensor:
    """+input: the tensor itself."""
    return self
