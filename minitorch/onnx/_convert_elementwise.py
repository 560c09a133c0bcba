"""Converters of the elementwise ops: arithmetic, unary functions, activations, comparisons
and logical ops, where / masked_fill, dropout.

Operands are cast to the op's result dtype (the dtype minitorch computed, read from the
raw result), so PyTorch's type promotion holds in the graph; a Python number becomes a
constant of that dtype.
"""
from __future__ import annotations

import math

import numpy as np

from .._ops import activation, arith, clamp, dropout, power, unary, where
from .._ops._common import binary_dtype
from ._registry import converts
from .errors import UnsupportedOperatorError


def _operands(g, out, *xs, dtype=None):
    """Names of xs as graph values of dtype (out's by default). A constant filled with one
    value becomes a scalar when the other operands alone give the result its shape."""
    dtype = out.dtype if dtype is None else np.dtype(dtype)
    names = []
    for i, x in enumerate(xs):
        if hasattr(x, "_data"):
            v = g.value(x)
            if v.is_const and v.array.size > 1 and _uniform(v.array) and _covers(
                    [o for j, o in enumerate(xs) if j != i], out.shape):
                names.append(g.scalar(v.array.reshape(-1)[0], dtype))
                continue
        names.append(g.operand(x, dtype))
    return names


def _uniform(a: np.ndarray) -> bool:
    flat = a.reshape(-1)
    return bool((flat == flat[0]).all())


def _covers(others, shape) -> bool:
    shapes = [tuple(o.shape) for o in others if hasattr(o, "_data")]
    try:
        return bool(shapes) and tuple(np.broadcast_shapes(*shapes)) == tuple(shape)
    except ValueError:
        return False


# ----- arithmetic ----------------------------------------------------------------------------
def _binary(op_type):
    def convert(g, a, b, *, out, ctx):
        return g.op(op_type, *_operands(g, out, a, b))
    return convert


converts(arith.AddBackward0)(_binary("Add"))
converts(arith.SubBackward0)(_binary("Sub"))
converts(arith.MulBackward0)(_binary("Mul"))
converts(arith.DivBackward0)(_binary("Div"))
converts(where.MaximumBackward0)(_binary("Max"))
converts(where.MinimumBackward0)(_binary("Min"))


@converts(arith.RsubBackward1)
def _rsub(g, a, scalar, *, out, ctx):
    na, ns = _operands(g, out, a, scalar)
    return g.op("Sub", ns, na)


def _rounded_division(g, a, b, mode: str, out) -> str:
    """a / b rounded down ("floor") or toward zero ("trunc"), in float64 for integers."""
    work = out.dtype if out.dtype.kind == "f" else np.dtype(np.float64)
    q = g.op("Div", *_operands(g, out, a, b, dtype=work))
    q = g.op("Floor", q) if mode == "floor" else _trunc(g, q, work)
    return g.cast(q, work, out.dtype)


def _trunc(g, x: str, dtype) -> str:
    negative = g.op("Less", x, g.scalar(0, dtype))
    return g.op("Where", negative, g.op("Ceil", x), g.op("Floor", x))


@converts(arith.DivBackward2)
def _div_rounding(g, a, b, rounding_mode, *, out, ctx):
    return _rounded_division(g, a, b, rounding_mode, out)


@converts(arith.NotImplemented)
def _floor_divide(g, a, b, *, out, ctx):
    return _rounded_division(g, a, b, "floor", out)


@converts(arith.RemainderBackward0, arith.RemainderBackward1)
def _remainder(g, a, b, *, out, ctx):
    """Python's modulo: the result takes the divisor's sign."""
    na, nb = _operands(g, out, a, b)
    if out.dtype.kind != "f":
        return g.op("Mod", na, nb, fmod=0)
    r = g.op("Mod", na, nb, fmod=1)
    zero = g.scalar(0, out.dtype)
    wrong_sign = g.op("And", g.op("Not", g.op("Equal", r, zero)),
                      g.op("Xor", g.op("Less", r, zero), g.op("Less", nb, zero)))
    return g.op("Where", wrong_sign, g.op("Add", r, nb), r)


@converts(power.PowBackward0, power.PowBackward1)
def _pow(g, a, exponent, *, out, ctx):
    return g.op("Pow", *_operands(g, out, a, exponent))


@converts(power.PowBackward2)
def _rpow(g, exponent, base, *, out, ctx):
    """base ** exponent with a number base."""
    ne, nb = _operands(g, out, exponent, base)
    return g.op("Pow", nb, ne)


@converts(where.WhereBackward0)
def _where(g, condition, a, b, *, out, ctx):
    na, nb = _operands(g, out, a, b)
    return g.op("Where", g.operand(condition, np.bool_), na, nb)


# ----- unary functions -------------------------------------------------------------------------
_UNARY = {"neg": "Neg", "abs": "Abs", "sign": "Sign", "exp": "Exp", "log": "Log", "sqrt": "Sqrt",
          "reciprocal": "Reciprocal", "sin": "Sin", "cos": "Cos", "tanh": "Tanh", "sigmoid": "Sigmoid",
          "relu": "Relu", "floor": "Floor", "ceil": "Ceil", "round": "Round", "erf": "Erf"}


def _unary(g, op: str, a, out) -> str:
    x = g.operand(a, out.dtype)
    if op in ("floor", "ceil", "round", "trunc") and out.dtype.kind != "f":
        return g.value(a)  # integers are already whole
    if op in _UNARY:
        return g.op(_UNARY[op], x)
    dtype = out.dtype
    if op == "expm1":
        return g.op("Sub", g.op("Exp", x), g.scalar(1, dtype))
    if op == "log1p":
        return g.op("Log", g.op("Add", x, g.scalar(1, dtype)))
    if op in ("log2", "log10"):
        return g.op("Div", g.op("Log", x), g.scalar(math.log(2 if op == "log2" else 10), dtype))
    if op == "rsqrt":
        return g.op("Reciprocal", g.op("Sqrt", x))
    if op == "trunc":
        return _trunc(g, x, dtype)
    raise UnsupportedOperatorError(op, g.opset)


def _unary_converter(op: str):
    def convert(g, a, *, out, ctx):
        return _unary(g, op, a, out)
    return convert


def _register_unary() -> None:
    """One converter per unary Function class (each knows its op name: ``cls.op``)."""
    todo = [unary._Unary]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if getattr(sub, "op", ""):
                converts(sub)(_unary_converter(sub.op))


_register_unary()


@converts(clamp.ClampBackward1)
def _clamp(g, a, lo, hi, *, out, ctx):
    x = g.operand(a, out.dtype)
    return g.op("Clip", x, "" if lo is None else g.scalar(lo, out.dtype), "" if hi is None else g.scalar(hi, out.dtype))


@converts(clamp.ClampBackward0)
def _clamp_tensors(g, a, lo, hi, *, out, ctx):
    x = g.operand(a, out.dtype)
    if lo is not None:
        x = g.op("Max", x, g.operand(lo, out.dtype))
    if hi is not None:
        x = g.op("Min", x, g.operand(hi, out.dtype))
    return x


# ----- activations -------------------------------------------------------------------------
@converts(activation.SoftmaxBackward0)
def _softmax(g, a, dim, *, out, ctx):
    return g.op("Softmax", g.operand(a, out.dtype), axis=int(dim))


@converts(activation.LogSoftmaxBackward0)
def _log_softmax(g, a, dim, *, out, ctx):
    return g.op("LogSoftmax", g.operand(a, out.dtype), axis=int(dim))


@converts(activation.GeluBackward0)
def _gelu(g, a, approximate, *, out, ctx):
    x = g.operand(a, out.dtype)
    if g.opset >= 20:
        return g.op("Gelu", x, approximate=approximate)
    dtype = out.dtype
    half = g.op("Mul", x, g.scalar(0.5, dtype))
    if approximate == "tanh":
        cube = g.op("Mul", g.op("Mul", x, x), x)
        inner = g.op("Mul", g.op("Add", x, g.op("Mul", cube, g.scalar(0.044715, dtype))),
                     g.scalar(math.sqrt(2 / math.pi), dtype))
        return g.op("Mul", half, g.op("Add", g.op("Tanh", inner), g.scalar(1, dtype)))
    erf = g.op("Erf", g.op("Mul", x, g.scalar(1 / math.sqrt(2), dtype)))
    return g.op("Mul", half, g.op("Add", erf, g.scalar(1, dtype)))


@converts(activation.LeakyReluBackward0)
def _leaky_relu(g, a, slope, *, out, ctx):
    return g.op("LeakyRelu", g.operand(a, out.dtype), alpha=float(slope))


@converts(activation.HardtanhBackward0)
def _hardtanh(g, a, lo, hi, *, out, ctx):
    return g.op("Clip", g.operand(a, out.dtype), g.scalar(lo, out.dtype), g.scalar(hi, out.dtype))


@converts(dropout.MulBackward0)
def _dropout(g, a, uniform, p, *, out, ctx):
    """Dropout while training (random: the graph draws its own mask)."""
    return g.op("Dropout", g.operand(a, out.dtype), g.scalar(p, out.dtype), g.scalar(True, np.bool_),
                hint="dropout")


# ----- comparisons and logical ops (no graph node in minitorch) -----------------------------
_COMPARE = {"eq": "Equal", "ne": "Equal", "lt": "Less", "le": "LessOrEqual", "gt": "Greater",
            "ge": "GreaterOrEqual"}


@converts("compare")
def _compare(g, a, other, name, *, out, ctx):
    dtype = np.dtype(binary_dtype(a, other).np)
    if dtype.kind == "b" and name not in ("eq", "ne"):
        dtype = np.dtype(np.int32)
    na, nb = _operands(g, out, a, other, dtype=dtype)
    result = g.op(_COMPARE[name], na, nb)
    return g.op("Not", result) if name == "ne" else result


_BITWISE = {"bitwise_and": ("And", "BitwiseAnd"), "bitwise_or": ("Or", "BitwiseOr"),
            "bitwise_xor": ("Xor", "BitwiseXor")}


@converts("bitwise")
def _bitwise(g, a, other, name, *, out, ctx):
    logical, bitwise = _BITWISE[name]
    na, nb = _operands(g, out, a, other)
    if out.dtype.kind == "b":
        return g.op(logical, na, nb)
    if g.opset < 18:
        raise UnsupportedOperatorError(bitwise, g.opset, 18)
    return g.op(bitwise, na, nb)


def _logical(op_type):
    def convert(g, a, other, *, out, ctx):
        return g.op(op_type, *_operands(g, out, a, other, dtype=np.bool_))
    return convert


converts("logical_and")(_logical("And"))
converts("logical_or")(_logical("Or"))
converts("logical_xor")(_logical("Xor"))


@converts("logical_not")
def _logical_not(g, a, *, out, ctx):
    if out.dtype.kind == "b":
        return g.op("Not", g.operand(a, np.bool_))
    if g.opset < 18:
        raise UnsupportedOperatorError("BitwiseNot", g.opset, 18)
    return g.op("BitwiseNot", g.operand(a, out.dtype))


@converts("isnan")
def _isnan(g, a, *, out, ctx):
    return g.op("IsNaN", g.value(a).name)


@converts("isinf")
def _isinf(g, a, *, out, ctx):
    return g.op("IsInf", g.value(a).name)


@converts("isfinite")
def _isfinite(g, a, *, out, ctx):
    x = g.value(a).name
    return g.op("Not", g.op("Or", g.op("IsNaN", x), g.op("IsInf", x)))
