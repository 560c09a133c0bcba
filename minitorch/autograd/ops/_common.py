"""Shared helpers of the ops: operand checks, result dtypes, dims."""
from __future__ import annotations

import numbers

import numpy as np

from ... import dtypes
from ...dtypes import promote_types, result_dtype, scalar_dtype
from ...tensor import Tensor

NUMBER_TYPES = (numbers.Number, np.bool_)


def is_number(x) -> bool:
    return isinstance(x, NUMBER_TYPES) and not isinstance(x, Tensor)


def check_number(x, what: str = "other"):
    """A Python number operand, or TypeError naming what was passed instead."""
    if isinstance(x, (bool, int, float, np.bool_, np.integer, np.floating)):
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


def wrap_dim(dim: int, ndim: int) -> int:
    """A dim in range(ndim) from a possibly negative one, or PyTorch's IndexError."""
    if dim.__class__ is int and 0 <= dim < ndim:
        return dim
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}")
    n = max(ndim, 1)
    if dim < -n or dim >= n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim + n if dim < 0 else dim


def wrap_dims(dim, ndim: int) -> tuple:
    """A sorted tuple of dims from None (all), an int, or a sequence; duplicates rejected."""
    if dim is None:
        return tuple(range(ndim))
    if dim.__class__ is int and 0 <= dim < ndim:
        return (dim,)
    if isinstance(dim, (int, np.integer)) and not isinstance(dim, bool):
        d = wrap_dim(dim, ndim)
        return (d,) if ndim else ()
    dims = tuple(wrap_dim(d, ndim) for d in dim)
    if not dims and ndim:
        return tuple(range(ndim))  # an empty dim list reduces everything, as in PyTorch
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"dim {dims} appears multiple times in the list of dims")
    if ndim == 0:
        return ()
    return tuple(sorted(dims))


def scalar_tensor(value, like: Tensor, dtype=None) -> Tensor:
    """A Python number as a 0-d tensor on like's device (of dtype, or typed as PyTorch types the number)."""
    check_number(value)
    dtype = dtype or scalar_dtype(value)
    return Tensor._wrap(like._backend.full((), value, dtype), like._backend)
