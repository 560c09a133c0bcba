"""Elementwise functions of one tensor: exp, log, tanh, sigmoid, relu, clamp, ...

Backward formulas that read the op's output use the saved output when gradients
are not being differentiated further (the fused kernels), and recompute the output
with Tensor ops under ``create_graph`` so that second derivatives stay exact.
"""
from __future__ import annotations

from ... import dtypes
from ...tensor import Tensor
from ..function import Function
from ..grad_mode import _enabled


def _unary(op: str, a: Tensor):
    data = a._data
    if data.dtype.kind in "biu" and op not in _KEEP_INT:
        data = data.astype(dtypes.get_default_dtype().np)
    return a._backend.unary(op, data)


# Ops that keep an integer input's dtype; the rest compute in the default float dtype, as PyTorch.
_KEEP_INT = {"neg", "abs", "sign", "relu", "square", "floor", "ceil", "round", "trunc",
             "logical_not", "bitwise_not", "isnan", "isinf", "isfinite"}


class _Unary(Function):
    op = ""

    @classmethod
    def forward(cls, ctx, a):
        if a.dtype is dtypes.bool and cls.op in _BOOL_ERRORS:
            error, message = _BOOL_ERRORS[cls.op]
            raise error(message)
        ctx.save_for_backward(a)
        return _unary(cls.op, a)


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


class NegBackward0(_Unary):
    op = "neg"

    @staticmethod
    def backward(ctx, grad):
        return -grad


class AbsBackward0(_Unary):
    op = "abs"

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * a.sign()


def _zeros_like(grad):
    # Zeros, not grad * 0: an infinite incoming gradient must not turn into NaN (as PyTorch).
    return Tensor._wrap(grad._backend.zeros(grad._data.shape, grad.dtype), grad._backend)


class SignBackward0(_Unary):
    op = "sign"

    @staticmethod
    def backward(ctx, grad):
        return _zeros_like(grad)


class ExpBackward0(_Unary):
    op = "exp"
    saves_output = True

    @staticmethod
    def backward(ctx, grad):
        if _enabled[0]:
            return grad * ctx.saved_tensors[0].exp()
        return grad * ctx.saved_output


class Expm1Backward0(_Unary):
    op = "expm1"
    saves_output = True

    @staticmethod
    def backward(ctx, grad):
        if _enabled[0]:
            return grad * ctx.saved_tensors[0].exp()
        return grad * (ctx.saved_output + 1)


class LogBackward0(_Unary):
    op = "log"

    @staticmethod
    def backward(ctx, grad):
        return grad / ctx.saved_tensors[0]


class Log1PBackward0(_Unary):
    op = "log1p"

    @staticmethod
    def backward(ctx, grad):
        return grad / (ctx.saved_tensors[0] + 1)


class Log2Backward0(_Unary):
    op = "log2"

    @staticmethod
    def backward(ctx, grad):
        return grad / (ctx.saved_tensors[0] * 0.6931471805599453)


class Log10Backward0(_Unary):
    op = "log10"

    @staticmethod
    def backward(ctx, grad):
        return grad / (ctx.saved_tensors[0] * 2.3025850929940456)  # the constant of PyTorch's formula


class SqrtBackward0(_Unary):
    op = "sqrt"
    saves_output = True

    @staticmethod
    def backward(ctx, grad):
        out = ctx.saved_tensors[0].sqrt() if _enabled[0] else ctx.saved_output
        return grad / (2 * out)


class RsqrtBackward0(_Unary):
    op = "rsqrt"
    saves_output = True

    @staticmethod
    def backward(ctx, grad):
        out = ctx.saved_tensors[0].rsqrt() if _enabled[0] else ctx.saved_output
        return -0.5 * grad * (out * out * out)  # PyTorch's -0.5 * grad * result.pow(3)


class ReciprocalBackward0(_Unary):
    op = "reciprocal"
    saves_output = True

    @staticmethod
    def backward(ctx, grad):
        out = ctx.saved_tensors[0].reciprocal() if _enabled[0] else ctx.saved_output
        return -grad * (out * out)  # PyTorch's grouping: an underflowing out * out gives 0, not inf


class SinBackward0(_Unary):
    op = "sin"

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.saved_tensors[0].cos()


class CosBackward0(_Unary):
    op = "cos"

    @staticmethod
    def backward(ctx, grad):
        return -grad * ctx.saved_tensors[0].sin()


class TanhBackward0(_Unary):
    op = "tanh"
    saves_output = True

    @staticmethod
    def backward(ctx, grad):
        if _enabled[0]:
            out = ctx.saved_tensors[0].tanh()
            return grad * (1 - out * out)
        out = ctx.saved_output
        return Tensor._wrap(out._backend.tanh_backward(grad._data, out._data))


class SigmoidBackward0(_Unary):
    op = "sigmoid"
    saves_output = True

    @staticmethod
    def backward(ctx, grad):
        if _enabled[0]:
            out = ctx.saved_tensors[0].sigmoid()
            return grad * (1 - out) * out
        out = ctx.saved_output
        return Tensor._wrap(out._backend.sigmoid_backward(grad._data, out._data))


class ReluBackward0(_Unary):
    """relu saves its output, as PyTorch does (out > 0 exactly where x > 0), so modifying
    the output in place before backward is the error PyTorch reports."""

    op = "relu"
    saves_output = True

    @classmethod
    def forward(cls, ctx, a):
        if a.dtype is dtypes.bool:
            error, message = _BOOL_ERRORS["relu"]
            raise error(message)
        return _unary("relu", a)

    @staticmethod
    def backward(ctx, grad):
        out = ctx.saved_output
        if _enabled[0]:
            return grad.masked_fill(out <= 0, 0)
        return Tensor._wrap(out._backend.relu_backward(grad._data, out._data), out._backend)


class _NoGrad(_Unary):
    """Piecewise-constant functions: zero gradient everywhere it exists."""

    @staticmethod
    def backward(ctx, grad):
        return _zeros_like(grad)


class FloorBackward0(_NoGrad):
    op = "floor"


class CeilBackward0(_NoGrad):
    op = "ceil"


class RoundBackward0(_NoGrad):
    op = "round"


class TruncBackward0(_NoGrad):
    op = "trunc"


class ClampBackward1(Function):
    """clamp(a, min, max) with number bounds: the gradient passes where min <= a <= max."""

    @staticmethod
    def forward(ctx, a, lo, hi):
        if lo is None and hi is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        ctx.save_for_backward(a)
        ctx.bounds = (lo, hi)
        dtype = a.dtype
        for bound in (lo, hi):
            if bound is not None and isinstance(bound, float) and not dtype.is_floating_point:
                dtype = dtypes.get_default_dtype()
        data = a._data if dtype is a.dtype else a._data.astype(dtype.np)
        return a._backend.clamp(data, lo, hi)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        lo, hi = ctx.bounds
        keep = None
        if lo is not None:
            keep = a >= lo
        if hi is not None:
            keep = (a <= hi) if keep is None else keep & (a <= hi)
        return grad.masked_fill(~keep, 0), None, None


class ClampBackward0(Function):
    """clamp(a, min, max) with tensor bounds: min(max(a, min), max), broadcast."""

    @staticmethod
    def forward(ctx, a, lo, hi):
        from ._common import binary_dtype, same_device
        be = a._backend
        out, dtype = a._data, a.dtype
        for bound, op in ((lo, "maximum"), (hi, "minimum")):
            if bound is not None:
                same_device(a, bound)
                dtype = binary_dtype(Tensor._wrap(out, be), bound)
                out = be.binary(op, out, bound._data, dtype)
        ctx.save_for_backward(a, lo, hi)
        return out if out is not a._data else be.copy(out)

    @staticmethod
    def backward(ctx, grad):
        # PyTorch's clamp_backward_min_max: a NaN input passes no gradient to either bound, and
        # with min > max the result (max) takes the gradient to max.
        a, lo, hi = ctx.saved_tensors
        grad_lo = grad_hi = None
        if lo is not None and hi is not None:
            inside = (a >= lo) & (a <= hi)
            if lo._requires_grad:
                grad_lo = grad.masked_fill(~((a < lo) & (lo < hi)), 0)
            if hi._requires_grad:
                grad_hi = grad.masked_fill(~((a > hi) | (hi < lo)), 0)
        elif lo is not None:
            inside = a >= lo
            grad_lo = grad.masked_fill(~(a < lo), 0) if lo._requires_grad else None
        else:
            inside = a <= hi
            grad_hi = grad.masked_fill(~(a > hi), 0) if hi._requires_grad else None
        return grad.masked_fill(~inside, 0), grad_lo, grad_hi


_FUNCTIONS = {cls.op: cls for cls in (
    NegBackward0, AbsBackward0, SignBackward0, ExpBackward0, Expm1Backward0, LogBackward0,
    Log1PBackward0, Log2Backward0, Log10Backward0, SqrtBackward0, RsqrtBackward0,
    ReciprocalBackward0, SinBackward0, CosBackward0, TanhBackward0, SigmoidBackward0,
    ReluBackward0, FloorBackward0, CeilBackward0, RoundBackward0, TruncBackward0)}


def unary(op: str, a: Tensor) -> Tensor:
    """Apply the elementwise function named op (``"exp"``, ``"tanh"``, ...) to a."""
    if a._data.dtype.kind == "f" and not (_enabled[0] and a._requires_grad):
        # No graph to record (a float input, so no dtype rule or bool error applies): the
        # op-table call alone, as Function.apply would make it, without the node (~1 µs).
        return Tensor._wrap(a._backend.unary(op, a._data), a._backend)
    return _FUNCTIONS[op].apply(a)


def elementwise_nograd(op: str, a: Tensor) -> Tensor:
    """An elementwise function without a derivative (isnan, logical_not, ...)."""
    return Tensor._wrap(_unary(op, a))


def clamp(a: Tensor, min=None, max=None) -> Tensor:  # noqa: A002
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        from ._common import scalar_tensor
        lo = scalar_tensor(min, a) if min is not None and not isinstance(min, Tensor) else min
        hi = scalar_tensor(max, a) if max is not None and not isinstance(max, Tensor) else max
        return ClampBackward0.apply(a, lo, hi)
    return ClampBackward1.apply(a, min, max)

