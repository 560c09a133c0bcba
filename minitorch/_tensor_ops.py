"""The math a Tensor offers as methods and operators: arithmetic, comparisons,
elementwise functions, reductions and matrix products.

Every method here is a thin, argument-parsing front for a function in
``minitorch/autograd/ops``; the math and the derivatives live there. Shape,
indexing, conversion and in-place methods are in ``_tensor_shape_ops.py``.
"""
from __future__ import annotations

import numpy as np

from . import dtypes
from .autograd.grad_mode import _enabled


def _sizes(args) -> tuple:
    """Sizes given as varargs (2, 3) or one sequence ((2, 3) / [2, 3] / Size)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    for s in args:
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            if hasattr(s, "__index__"):
                continue
            raise TypeError(f"size must be a tuple of ints, but got an element of type {type(s).__name__}")
    return tuple(int(s) for s in args)


_NUMBER = (bool, int, float, np.bool_, np.integer, np.floating)
_FAST_DTYPES = frozenset({np.dtype(np.float32), np.dtype(np.float64)})


def _ADD(be, a, b):
    return be.add(a, b)


def _SUB(be, a, b):
    return be.sub(a, b)


def _MUL(be, a, b):
    return be.mul(a, b)


def _DIV(be, a, b):
    return be.div(a, b)


class TensorOps:
    """Mixin of Tensor: operators, elementwise math, reductions, matrix products."""

    __slots__ = ()

    # ----- arithmetic operators -------------------------------------------------------
    # + - * / take a fast path when no promotion and no graph is involved: a float tensor
    # with a tensor of the same dtype and device, or with a Python number. Everything
    # else goes through the autograd Function (arith.py), which handles the general case.
    def _operand(self, other):
        return other if isinstance(other, _OPERAND) else None

    def _fast(self, other) -> bool:
        if self._data.dtype not in _FAST_DTYPES:
            return False
        cls = other.__class__
        if cls is float or cls is int:
            return not (_enabled[0] and self._requires_grad)
        return (cls is _Tensor and self._data.dtype is other._data.dtype
                and self._backend is other._backend
                and not (_enabled[0] and (self._requires_grad or other._requires_grad)))

    def _pair(self, other) -> bool:
        """Two float tensors of one dtype and device: the graph can be recorded directly."""
        d = self._data.dtype
        return d is other._data.dtype and d in _FAST_DTYPES and self._backend is other._backend

    def _recorded(self, node, op, other):
        """op(self, other) recorded as node (grad mode on, at least one input requiring grad)."""
        be = self._backend
        try:
            data = op(be, self._data, other._data)
        except ValueError:
            raise _common.broadcast_error(self.shape, other.shape) from None
        ctx = object.__new__(node)
        if node is _MulNode:
            ctx.save_for_backward(self, other)
            ctx.scalar = other
        return _record_pair(ctx, self, other, data)

    def _direct(self, op, other):
        be = self._backend
        b = other._data if other.__class__ is _Tensor else other
        try:
            return _Tensor._wrap(op(be, self._data, b), be)
        except ValueError:
            raise _common.broadcast_error(self.shape, other.shape) from None

    def __add__(self, other):
        if self._fast(other):
            return self._direct(_ADD, other)
        if other.__class__ is _Tensor:
            if self._pair(other):
                return self._recorded(_arith.AddBackward0, _ADD, other)
            return _arith.AddBackward0.apply(self, other)
        if self._operand(other) is None:
            return NotImplemented
        return _arith.add(self, other)

    def __radd__(self, other):
        if self._fast(other):
            return self._direct(_ADD, other)
        if other.__class__ is _Tensor:
            if self._pair(other):
                return self._recorded(_arith.AddBackward0, _ADD, other)
            return _arith.AddBackward0.apply(self, other)
        if self._operand(other) is None:
            return NotImplemented
        return _arith.add(self, other)

    def __sub__(self, other):
        if self._fast(other):
            return self._direct(_SUB, other)
        if other.__class__ is _Tensor:
            if self._pair(other):
                return self._recorded(_arith.SubBackward0, _SUB, other)
            return _arith.SubBackward0.apply(self, other)
        if self._operand(other) is None:
            return NotImplemented
        return _arith.sub(self, other)

    def __rsub__(self, other):
        if self._operand(other) is None:
            return NotImplemented
        return _arith.rsub(self, other)

    def __mul__(self, other):
        if self._fast(other):
            return self._direct(_MUL, other)
        if other.__class__ is _Tensor:
            if self._pair(other):
                return self._recorded(_arith.MulBackward0, _MUL, other)
            return _arith.MulBackward0.apply(self, other)
        if self._operand(other) is None:
            return NotImplemented
        return _arith.mul(self, other)

    def __rmul__(self, other):
        if self._fast(other):
            return self._direct(_MUL, other)
        if other.__class__ is _Tensor:
            if self._pair(other):
                return self._recorded(_arith.MulBackward0, _MUL, other)
            return _arith.MulBackward0.apply(self, other)
        if self._operand(other) is None:
            return NotImplemented
        return _arith.mul(self, other)

    def __truediv__(self, other):
        if self._fast(other):
            return self._direct(_DIV, other)
        if other.__class__ is _Tensor:
            return _arith.DivBackward0.apply(self, other)
        if self._operand(other) is None:
            return NotImplemented
        return _arith.div(self, other)

    def __rtruediv__(self, other):
        if self._operand(other) is None:
            return NotImplemented
        return self.reciprocal() * other

    def __floordiv__(self, other):
        if self._operand(other) is None:
            return NotImplemented
        return _arith.floor_divide(self, other)

    def __rfloordiv__(self, other):
        if self._operand(other) is None:
            return NotImplemented
        return _arith.floor_divide(_common.scalar_tensor(other, self, _common.binary_dtype(self, other)), self)

    def __mod__(self, other):
        if self._operand(other) is None:
            return NotImplemented
        return _arith.remainder(self, other)

    def __rmod__(self, other):
        if self._operand(other) is None:
            return NotImplemented
        return _arith.remainder(_common.scalar_tensor(other, self, _common.binary_dtype(self, other)), self)

    def __pow__(self, other):
        if self._operand(other) is None:
            return NotImplemented
        return _arith.pow(self, other)

    def __rpow__(self, other):
        if self._operand(other) is None:
            return NotImplemented
        return _arith.rpow(other, self)

    def __matmul__(self, other):
        from .tensor import Tensor
        if not isinstance(other, Tensor):
            return NotImplemented
        return _matmul.matmul(self, other)

    def __rmatmul__(self, other):
        return NotImplemented

    def __neg__(self):
        return _unary.unary("neg", self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _unary.unary("abs", self)

    def __invert__(self):
        if self.dtype.is_floating_point:
            raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
        return _unary.elementwise_nograd("logical_not" if self.dtype is dtypes.bool else "bitwise_not", self)

    def _logical(self, other, op: str):
        if self._operand(other) is None:
            return NotImplemented
        from .tensor import Tensor
        dtype = _common.binary_dtype(self, other)
        if dtype.is_floating_point:
            raise TypeError(f"{op} is only supported for integer and bool tensors, got {dtype}")
        _common.same_device(self, other)
        data = other._data if isinstance(other, Tensor) else other
        try:
            return Tensor._wrap(self._backend.binary(op, self._data, data, dtype), self._backend)
        except ValueError:
            raise _common.broadcast_error(self.shape, other.shape) from None

    def __and__(self, other):
        return self._logical(other, "bitwise_and")

    __rand__ = __and__

    def __or__(self, other):
        return self._logical(other, "bitwise_or")

    __ror__ = __or__

    def __xor__(self, other):
        return self._logical(other, "bitwise_xor")

    __rxor__ = __xor__

    # ----- comparisons ----------------------------------------------------------------
    def _compare(self, other, op: str):
        from .tensor import Tensor
        if self._operand(other) is None:
            return NotImplemented
        _common.same_device(self, other)
        dtype = _common.binary_dtype(self, other)
        data = other._data if isinstance(other, Tensor) else other
        try:
            return Tensor._wrap(self._backend.compare(op, self._data, data, dtype), self._backend)
        except ValueError:
            raise _common.broadcast_error(self.shape, other.shape) from None

    def __eq__(self, other):
        return self._compare(other, "eq")

    def __ne__(self, other):
        return self._compare(other, "ne")

    def __lt__(self, other):
        return self._compare(other, "lt")

    def __le__(self, other):
        return self._compare(other, "le")

    def __gt__(self, other):
        return self._compare(other, "gt")

    def __ge__(self, other):
        return self._compare(other, "ge")

    def eq(self, other):
        return self._checked_compare(other, "eq")

    def ne(self, other):
        return self._checked_compare(other, "ne")

    def lt(self, other):
        return self._checked_compare(other, "lt")

    def le(self, other):
        return self._checked_compare(other, "le")

    def gt(self, other):
        return self._checked_compare(other, "gt")

    def ge(self, other):
        return self._checked_compare(other, "ge")

    def _checked_compare(self, other, op):
        out = self._compare(other, op)
        if out is NotImplemented:
            raise TypeError(f"{op}(): argument 'other' must be Tensor or Number, not {type(other).__name__}")
        return out

    def equal(self, other) -> bool:
        """True when other has the same shape and values."""
        return self.shape == other.shape and bool((self == other).all())

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
        a, b = self._backend.to_numpy(self._data), other._backend.to_numpy(other._data)
        return bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        from .tensor import Tensor
        a, b = self._backend.to_numpy(self._data), other._backend.to_numpy(other._data)
        close = np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
        return Tensor._wrap(self._backend.from_numpy(np.asarray(close)), self._backend)

    # ----- named arithmetic -----------------------------------------------------------
    def add(self, other, *, alpha=1):
        return _arith.add(self, self._checked(other), alpha)

    def sub(self, other, *, alpha=1):
        return _arith.sub(self, self._checked(other), alpha)

    subtract = sub

    def mul(self, other):
        return _arith.mul(self, self._checked(other))

    multiply = mul

    def div(self, other, *, rounding_mode=None):
        return _arith.div(self, self._checked(other), rounding_mode)

    divide = true_divide = div

    def floor_divide(self, other):
        return _arith.floor_divide(self, self._checked(other))

    def remainder(self, other):
        return _arith.remainder(self, self._checked(other))

    def pow(self, exponent):
        return _arith.pow(self, self._checked(exponent))

    def _checked(self, other):
        if self._operand(other) is None:
            raise TypeError(f"expected a Tensor or a number as the other operand, got {type(other).__name__}")
        return other

    def maximum(self, other):
        return _arith.maximum(self, other)

    def minimum(self, other):
        return _arith.minimum(self, other)

    def where(self, condition, other):
        return _arith.where(condition, self, other)

    def masked_fill(self, mask, value):
        return _index.masked_fill(self, mask, value)

    # ----- elementwise functions ------------------------------------------------------
    def neg(self):
        return _unary.unary("neg", self)

    negative = neg

    def abs(self):
        return _unary.unary("abs", self)

    def sign(self):
        return _unary.unary("sign", self)

    def exp(self):
        return _unary.unary("exp", self)

    def expm1(self):
        return _unary.unary("expm1", self)

    def log(self):
        return _unary.unary("log", self)

    def log1p(self):
        return _unary.unary("log1p", self)

    def log2(self):
        return _unary.unary("log2", self)

    def log10(self):
        return _unary.unary("log10", self)

    def sqrt(self):
        return _unary.unary("sqrt", self)

    def rsqrt(self):
        return _unary.unary("rsqrt", self)

    def reciprocal(self):
        return _unary.unary("reciprocal", self)

    def square(self):
        return _arith.pow(self, 2)

    def sin(self):
        return _unary.unary("sin", self)

    def cos(self):
        return _unary.unary("cos", self)

    def tanh(self):
        return _unary.unary("tanh", self)

    def sigmoid(self):
        return _unary.unary("sigmoid", self)

    def relu(self):
        return _unary.unary("relu", self)

    def softmax(self, dim=None, dtype=None):
        from .autograd.ops.nn import softmax
        return softmax(self, dim, dtype)

    def log_softmax(self, dim=None, dtype=None):
        from .autograd.ops.nn import log_softmax
        return log_softmax(self, dim, dtype)

    def floor(self):
        return _unary.unary("floor", self)

    def ceil(self):
        return _unary.unary("ceil", self)

    def round(self):
        return _unary.unary("round", self)

    def trunc(self):
        return _unary.unary("trunc", self)

    def clamp(self, min=None, max=None):  # noqa: A002
        return _unary.clamp(self, min, max)

    clip = clamp

    def clamp_min(self, min):  # noqa: A002
        return self.clamp(min=min)

    def clamp_max(self, max):  # noqa: A002
        return self.clamp(max=max)

    def isnan(self):
        return _unary.elementwise_nograd("isnan", self)

    def isinf(self):
        return _unary.elementwise_nograd("isinf", self)

    def isfinite(self):
        return _unary.elementwise_nograd("isfinite", self)

    def logical_not(self):
        return _unary.elementwise_nograd("logical_not", self)

    # ----- reductions -----------------------------------------------------------------
    def sum(self, dim=None, keepdim=False, *, dtype=None):
        return _reduce.sum(self, dim, keepdim, dtype)

    def mean(self, dim=None, keepdim=False, *, dtype=None):
        return _reduce.mean(self, dim, keepdim, dtype)

    def prod(self, dim=None, keepdim=False, *, dtype=None):
        return _reduce.prod(self, dim, keepdim, dtype)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        if isinstance(dim, bool):
            dim, unbiased = None, dim
        return _reduce.var(self, dim, unbiased, keepdim, correction=correction)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        if isinstance(dim, bool):
            dim, unbiased = None, dim
        return _reduce.std(self, dim, unbiased, keepdim, correction=correction)

    def max(self, dim=None, keepdim=False):
        return _reduce.max(self, dim, keepdim)

    def min(self, dim=None, keepdim=False):
        return _reduce.min(self, dim, keepdim)

    def amax(self, dim=(), keepdim=False):
        return _reduce.amax(self, dim, keepdim)

    def amin(self, dim=(), keepdim=False):
        return _reduce.amin(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        return _reduce.arg_extreme(self, dim, keepdim, "argmax")

    def argmin(self, dim=None, keepdim=False):
        return _reduce.arg_extreme(self, dim, keepdim, "argmin")

    def logsumexp(self, dim, keepdim=False):
        return _reduce.logsumexp(self, dim, keepdim)

    def all(self, dim=None, keepdim=False):
        return _reduce.all_any(self, "all", dim, keepdim)

    def any(self, dim=None, keepdim=False):
        return _reduce.all_any(self, "any", dim, keepdim)

    def sum_to_size(self, *size):
        return _shape.sum_to_size(self, _sizes(size))

    def norm(self, p="fro", dim=None, keepdim=False):
        """The vector p-norm (2 by default) over dim, or over all elements."""
        return _reduce.norm(self, p, dim, keepdim)

    # ----- matrix products ------------------------------------------------------------
    def matmul(self, other):
        return _matmul.matmul(self, other)

    def mm(self, mat2):
        return _matmul.mm(self, mat2)

    def bmm(self, mat2):
        return _matmul.bmm(self, mat2)

    def mv(self, vec):
        return _matmul.mv(self, vec)

    def dot(self, other):
        return _matmul.dot(self, other)


def _bind_ops() -> None:
    """Import the op modules; they import Tensor, so tensor.py calls this once Tensor exists."""
    global _common, _arith, _index, _inplace, _matmul, _reduce, _shape, _unary, _OPERAND, _Tensor
    global _MulNode, _record_pair
    from .tensor import Tensor
    from .autograd.function import record_pair as _record_pair
    _Tensor = Tensor
    _OPERAND = (Tensor,) + _NUMBER
    from .autograd.ops import _common, arith as _arith, index as _index, inplace as _inplace
    from .autograd.ops import matmul as _matmul, reduce as _reduce, shape as _shape, unary as _unary
    _MulNode = _arith.MulBackward0
