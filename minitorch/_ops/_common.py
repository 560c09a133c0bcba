"""Shared helpers of the ops: operand checks, result dtypes, dims."""
from __future__ import annotations

import numbers

import numpy as np

from .. import dtypes
from .._size import wrap_dim, wrap_dims  # noqa: F401 - the ops import them from here
from ..dtypes import check_fits, promote_types, result_dtype, scalar_dtype  # noqa: F401 - the ops import it from here
from ..tensor import Tensor

NUMBER_TYPES = (numbers.Number, np.bool_)
# The Python and NumPy scalar types an op accepts where it accepts a number.
NUMBER = (bool, int, float, np.bool_, np.integer, np.floating)


def is_number(x) -> bool:
    return isinstance(x, NUMBER_TYPES) and not isinstance(x, Tensor)


def check_number(x, what: str = "other"):
    """A Python number operand, or TypeError naming what was passed instead."""
    if isinstance(x, NUMBER):
        return x
    if isinstance(x, complex):
        raise TypeError("minitorch does not support complex numbers")
    raise TypeError(f"{what} must be a Tensor or a number, not {type(x).__name__}")


def binary_dtype(a: Tensor, b) -> dtypes.dtype:
    """PyTorch's result dtype of an op between tensor a and a tensor or Python number b."""
    if isinstance(b, Tensor):
        if a._data.dtype is b._data.dtype:
            return dtypes.FROM_NP[a._data.dtype]
        da, db = a.dtype, b.dtype
        a_dims, b_dims = a._data.ndim > 0, b._data.ndim > 0
        if a_dims == b_dims:
            return promote_types(da, db)
        return result_dtype(da if a_dims else db, db if a_dims else da, None)
    da = a.dtype
    if da.is_floating_point and b.__class__ in (int, float):
        return da
    sd = scalar_dtype(b)
    if a._data.ndim > 0:
        return result_dtype(da, None, sd)
    return result_dtype(None, da, sd)


def same_device(a: Tensor, b) -> None:
    if isinstance(b, Tensor) and b._backend is not a._backend:
        raise RuntimeError(
            f"Expected all tensors to be on the same device, but found at least two devices, "
            f"{a.device} and {b.device}!")


def broadcast_error(a_shape, b_shape) -> RuntimeError:
    """PyTorch's message for shapes that do not broadcast."""
    na, nb = len(a_shape), len(b_shape)
    n = max(na, nb)
    for i in range(1, n + 1):
        sa = a_shape[-i] if i <= na else 1
        sb = b_shape[-i] if i <= nb else 1
        if sa != sb and sa != 1 and sb != 1:
            return RuntimeError(
                f"The size of tensor a ({sa}) must match the size of tensor b ({sb}) at "
                f"non-singleton dimension {n - i}")
    return RuntimeError(f"shapes {tuple(a_shape)} and {tuple(b_shape)} cannot be broadcast")


def broadcast_shapes(*shapes) -> tuple:
    """The shape all of shapes broadcast to, or PyTorch's RuntimeError."""
    result: tuple = ()
    for s in shapes:
        s = tuple(s)
        n = max(len(result), len(s))
        a = (1,) * (n - len(result)) + result
        b = (1,) * (n - len(s)) + s
        out = []
        for x, y in zip(a, b):
            if x != y and x != 1 and y != 1:
                raise broadcast_error(result, s)
            out.append(y if x == 1 else x)
        result = tuple(out)
    return result


def scalar_tensor(value, like: Tensor, dtype=None) -> Tensor:
    """A Python number as a 0-d tensor on like's device (of dtype, or typed as PyTorch types the number)."""
    check_number(value)
    dtype = dtype or scalar_dtype(value)
    return Tensor._wrap(like._backend.full((), value, dtype), like._backend)


class NotATensorError(TypeError, AttributeError):
    """A tensor argument that is not a tensor, where PyTorch's function is Python code that
    calls a method of it and so raises AttributeError ("'list' object has no attribute
    'size'"): minitorch says what is wrong, as an exception of both kinds."""


def check_tensor(x, name: str, arg: str = "input", position: int = 1, attribute_error: bool = False) -> Tensor:
    """x, or PyTorch's TypeError for a function given something else than a tensor
    (attribute_error: a NotATensorError, where PyTorch raises AttributeError)."""
    if not isinstance(x, Tensor):
        error = NotATensorError if attribute_error else TypeError
        raise error(f"{name}(): argument '{arg}' (position {position}) must be Tensor, not {type(x).__name__}")
    return x


def number_arg(value, fn: str, arg: str, position: int | None = None, kind: str = "Number"):
    """value (a Python or NumPy number, or a one-element tensor's value), or PyTorch's TypeError
    for an argument of fn that must be a number (kind: how PyTorch names the type, "float" ...)."""
    if isinstance(value, Tensor) and value.numel() == 1:
        return value.item()
    if not isinstance(value, NUMBER):
        where = f" (position {position})" if position is not None else ""
        raise TypeError(f"{fn}(): argument '{arg}'{where} must be {kind}, not {type(value).__name__}")
    return value


def bool_arg(value, fn: str, arg: str, position: int | None = None) -> bool:
    """value as a bool, or PyTorch's TypeError for a flag of fn given something else."""
    if not isinstance(value, (bool, np.bool_)):
        where = f" (position {position})" if position is not None else ""
        raise TypeError(f"{fn}(): argument '{arg}'{where} must be bool, not {type(value).__name__}")
    return bool(value)


def float_input(input: Tensor, kernel: str) -> None:
    """PyTorch's NotImplementedError for a kernel that has no integer or bool version."""
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{input.dtype.legacy_name}'")

