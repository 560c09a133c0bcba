"""Comparisons (== != < <= > >=, eq ... ge, equal, allclose, isclose) and the logical and
bitwise ops of bool and integer tensors (& | ^). None of them has a gradient: their
results are bool or integer tensors, made without a graph node."""
from __future__ import annotations

import numpy as np

from .. import dtypes
from .._declare import method, op
from ..tensor import Tensor
from ._common import NUMBER, binary_dtype, broadcast_error, broadcast_shapes, same_device

_OPERAND = (Tensor,) + NUMBER


def _compare(a: Tensor, other, name: str) -> Tensor:
    same_device(a, other)
    raw = other._data if isinstance(other, Tensor) else other
    try:
        return Tensor._wrap(a._backend.compare(name, a._data, raw, binary_dtype(a, other)), a._backend)
    except ValueError:
        raise broadcast_error(a.shape, other.shape) from None


def _comparison(name: str, symbol: str, dunder: str) -> None:
    """Declare the comparison name (x.eq(y), minitorch.eq) and its operator (__eq__)."""
    def fn(input: Tensor, other) -> Tensor:
        if not isinstance(other, _OPERAND):
            raise TypeError(f"{name}(): argument 'other' must be Tensor or Number, not {type(other).__name__}")
        return _compare(input, other, name)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"A bool tensor of input {symbol} other, broadcast."
    op(fn, out=True)

    def operator(self, other):
        if not isinstance(other, _OPERAND):
            return NotImplemented
        return _compare(self, other, name)
    operator.__name__ = operator.__qualname__ = dunder
    operator.__doc__ = fn.__doc__
    setattr(Tensor, dunder, operator)


for _args in (("eq", "==", "__eq__"), ("ne", "!=", "__ne__"), ("lt", "<", "__lt__"),
              ("le", "<=", "__le__"), ("gt", ">", "__gt__"), ("ge", ">=", "__ge__")):
    _comparison(*_args)
Tensor.__hash__ = object.__hash__  # (defining __eq__ would otherwise make tensors unhashable)


def _tensor_other(other, name: str) -> Tensor:
    if not isinstance(other, Tensor):
        raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    return other


@op
def equal(input: Tensor, other: Tensor) -> bool:
    """True when other has input's shape and values."""
    _tensor_other(other, "equal")
    same_device(input, other)
    return input.shape == other.shape and bool((input == other).all())


def _check_close_args(input: Tensor, other, rtol, atol, name: str) -> None:
    """PyTorch's checks of isclose/allclose: a tensor of input's dtype and a broadcastable
    shape, and non-negative tolerances."""
    _tensor_other(other, name)
    same_device(input, other)
    for arg, value in (("rtol", rtol), ("atol", atol)):
        if not isinstance(value, NUMBER):
            raise TypeError(f"{name}(): argument '{arg}' must be float, not {type(value).__name__}")
    if input.dtype is not other.dtype:
        raise RuntimeError(f"{input.dtype.legacy_name} did not match {other.dtype.legacy_name}")
    for arg, value in (("rtol", rtol), ("atol", atol)):
        if value < 0:
            raise RuntimeError(f"{arg} must be greater than or equal to zero, but got {value:g}")
    broadcast_shapes(input.shape, other.shape)


@op
def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """True when |input - other| <= atol + rtol * |other| everywhere."""
    _check_close_args(input, other, rtol, atol, "allclose")
    a, b = input._backend.to_numpy(input._data), other._backend.to_numpy(other._data)
    return bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


@op
def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """A bool tensor of |input - other| <= atol + rtol * |other|."""
    _check_close_args(input, other, rtol, atol, "isclose")
    a, b = input._backend.to_numpy(input._data), other._backend.to_numpy(other._data)
    close = np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
    return Tensor._wrap(input._backend.from_numpy(np.asarray(close)), input._backend)


@method(name="__contains__")
def _contains(self, element) -> bool:
    """element in self: whether some element of self equals it (a number or a tensor)."""
    if not isinstance(element, _OPERAND):
        raise RuntimeError("Tensor.__contains__ only supports Tensor or scalar, but you passed in a "
                           f"{type(element)}.")
    return bool((self == element).any())


def _logical(a: Tensor, other, name: str) -> Tensor:
    """A bitwise op of integer or bool operands (PyTorch's TypeError for floats)."""
    dtype = binary_dtype(a, other)
    if dtype.is_floating_point:
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{dtype.legacy_name}'")
    same_device(a, other)
    raw = other._data if isinstance(other, Tensor) else other
    try:
        return Tensor._wrap(a._backend.binary(name, a._data, raw, dtype), a._backend)
    except ValueError:
        raise broadcast_error(a.shape, other.shape) from None


def _bitwise(name: str, symbol: str, dunders: tuple) -> None:
    """Declare bitwise_<op> (x.bitwise_and(y), minitorch.bitwise_and) and its operators (& and &=)."""
    def fn(input: Tensor, other) -> Tensor:
        if not isinstance(other, _OPERAND):
            raise TypeError(f"{name}(): argument 'other' must be Tensor or Number, not {type(other).__name__}")
        return _logical(input, other, name)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"input {symbol} other elementwise, for integer and bool tensors."
    op(fn, out=True, inplace=True)

    def operator(self, other):
        if not isinstance(other, _OPERAND):
            return NotImplemented
        return _logical(self, other, name)
    for dunder in dunders:
        setattr(Tensor, dunder, operator)


_bitwise("bitwise_and", "&", ("__and__", "__rand__"))
_bitwise("bitwise_or", "|", ("__or__", "__ror__"))
_bitwise("bitwise_xor", "^", ("__xor__", "__rxor__"))


def _logical_op(name: str, doc: str) -> None:
    def fn(input: Tensor, other: Tensor) -> Tensor:
        _tensor_other(other, name)
        same_device(input, other)
        be = input._backend
        try:
            return Tensor._wrap(be.binary(name, input._data, other._data, dtypes.bool), be)
        except ValueError:
            raise broadcast_error(input.shape, other.shape) from None
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    op(fn, out=True)


_logical_op("logical_and", "A bool tensor: True where both input and other are non-zero.")
_logical_op("logical_or", "A bool tensor: True where input or other is non-zero.")
_logical_op("logical_xor", "A bool tensor: True where exactly one of input and other is non-zero.")


@method(name="__iand__")
def _iand(self, other) -> Tensor:
    return self.bitwise_and_(other)


@method(name="__ior__")
def _ior(self, other) -> Tensor:
    return self.bitwise_or_(other)


@method(name="__ixor__")
def _ixor(self, other) -> Tensor:
    return self.bitwise_xor_(other)
