"""A backend made of the core alone: Backend's abstract methods, written with NumPy, and
nothing else. Every extra (softmax, losses, convolution, optimizer steps, ...) comes from
the defaults of minitorch/_backends/base.py and defaults_*.py, so running ops on this table
tests those defaults, and shows what a new device must write to start."""
from __future__ import annotations

import numpy as np

from minitorch._backends import register
from minitorch._backends.base import Backend
from minitorch.device import device

_UFUNC = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.true_divide,
          "floordiv": np.floor_divide, "remainder": np.remainder, "pow": np.power,
          "maximum": np.maximum, "minimum": np.minimum, "logical_and": np.logical_and,
          "logical_or": np.logical_or, "logical_xor": np.logical_xor, "bitwise_and": np.bitwise_and,
          "bitwise_or": np.bitwise_or, "bitwise_xor": np.bitwise_xor,
          "eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal, "gt": np.greater,
          "ge": np.greater_equal}


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _erf(x):
    import math
    return np.vectorize(math.erf, otypes=[x.dtype])(x) if x.size else x.copy()


_UNARY = {"neg": np.negative, "abs": np.abs, "exp": np.exp, "log": np.log, "sqrt": np.sqrt,
          "rsqrt": lambda x: 1 / np.sqrt(x), "sin": np.sin, "cos": np.cos, "tanh": np.tanh,
          "sigmoid": _sigmoid, "relu": lambda x: np.where(x < 0, x.dtype.type(0), x),
          "sign": lambda x: np.nan_to_num(np.sign(x)), "log1p": np.log1p, "expm1": np.expm1,
          "reciprocal": np.reciprocal, "floor": np.floor, "ceil": np.ceil, "round": np.round,
          "trunc": np.trunc, "logical_not": np.logical_not, "bitwise_not": np.invert, "square": np.square,
          "log2": np.log2, "log10": np.log10, "isnan": np.isnan, "isinf": np.isinf, "isfinite": np.isfinite,
          "erf": _erf}
_REDUCE = {"sum": np.add.reduce, "prod": np.multiply.reduce, "amax": np.maximum.reduce,
           "amin": np.minimum.reduce, "all": np.logical_and.reduce, "any": np.logical_or.reduce}


def _arr(x):
    return x if type(x) is np.ndarray else np.asarray(x)


class CoreBackend(Backend):
    """The core of the interface, on NumPy arrays. Its arrays are host arrays like the CPU
    table's, but it is a device of its own ("core", registered below), so tensors made on
    it stay on it."""

    name = "core"

    def __init__(self, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)

    def empty(self, shape, dtype):
        return np.empty(shape, dtype.np)

    def full(self, shape, value, dtype):
        return np.full(shape, value, dtype.np)

    def from_numpy(self, array):
        return np.array(array)

    def to_numpy(self, a):
        return a

    def astype(self, a, dtype):
        return a.astype(dtype.np)

    def copy_into(self, dst, src) -> None:
        np.copyto(dst, src, casting="unsafe")

    def view(self, a, shape):
        try:
            return np.reshape(a, shape, copy=False)
        except ValueError:
            return None

    def permute(self, a, dims):
        return a.transpose(dims)

    def expand(self, a, shape):
        return np.broadcast_to(a, shape)

    def getitem(self, a, index):
        if not any(i is Ellipsis or isinstance(i, (np.ndarray, bool)) for i in index):
            index = index + (Ellipsis,)
        return _arr(a[index])

    def setitem(self, a, index, value) -> None:
        a[index] = value

    def unary(self, op, a):
        if op in ("floor", "ceil", "round", "trunc") and a.dtype.kind in "iub":
            return a.copy()
        return _arr(_UNARY[op](a))

    def binary(self, op, a, b, dtype):
        if op in ("maximum", "minimum") and dtype.np.kind == "f":
            fn = np.greater if op == "maximum" else np.less
            a_ = a.astype(dtype.np)
            b_ = np.asarray(b).astype(dtype.np)
            keep_a = fn(a_, b_) | (a_ == b_) | np.isnan(a_)
            return _arr(np.where(keep_a, a_, b_))
        return _arr(_UFUNC[op](a, b, dtype=dtype.np, casting="unsafe"))

    def compare(self, op, a, b, dtype):
        return _arr(_UFUNC[op](np.asarray(a).astype(dtype.np), np.asarray(b).astype(dtype.np)))

    def where(self, cond, a, b, dtype):
        return _arr(np.where(cond, a, b).astype(dtype.np))

    def reduce(self, op, a, dims, keepdim, dtype=None, last_on_ties=False):
        if op in ("all", "any"):
            return _arr(_REDUCE[op](a.astype(bool), axis=dims, keepdims=keepdim))
        if op in ("sum", "prod"):
            return _arr(_REDUCE[op](a, axis=dims, keepdims=keepdim, dtype=None if dtype is None else dtype.np))
        return _arr(_REDUCE[op](a, axis=dims, keepdims=keepdim))

    def arg_reduce(self, op, a, dim, keepdim):
        fn = np.argmax if op == "argmax" else np.argmin
        return np.asarray(fn(a, axis=dim, keepdims=keepdim)).astype(np.int64)

    def matmul(self, a, b):
        return _arr(np.matmul(a, b))

    def random_uniform(self, shape, dtype, low, high, generator=None):
        return self.rng.uniform(low, high, tuple(shape)).astype(dtype.np)

    def random_normal(self, shape, dtype, mean, std, generator=None):
        return self.rng.normal(mean, std, tuple(shape)).astype(dtype.np)


CORE = CoreBackend()
register("core", CORE)
CoreBackend.device = device("core")
