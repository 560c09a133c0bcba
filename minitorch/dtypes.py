"""Data types and PyTorch's type-promotion rules.

A dtype prints as ``torch.float32`` on purpose: a script ported from PyTorch by
changing its imports prints the same text.
"""
from __future__ import annotations

import builtins
import math

import numpy as np


class dtype:
    """A tensor element type; wraps the NumPy dtype that holds the values."""

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize", "_category",
                 "legacy_name", "c_name")

    def __init__(self, name: str, np_dtype, category: int, is_signed: bool,
                 legacy_name: str, c_name: str) -> None:
        self.name = name
        # How PyTorch's messages name the type: "torch.FloatTensor" and the C++ "float".
        self.legacy_name = legacy_name
        self.c_name = c_name
        self.np = np.dtype(np_dtype)
        self.itemsize = self.np.itemsize
        self.is_floating_point = category == _FLOAT
        self.is_signed = is_signed
        self._category = category

    def __repr__(self) -> str:
        return "torch." + self.name

    __str__ = __repr__

    def __reduce__(self):
        return (_by_name, (self.name,))

    def to_real(self) -> "dtype":
        return self

    @property
    def is_complex(self) -> bool:
        return False


# Categories order the kinds for promotion: bool < integer < floating point.
_BOOL, _INT, _FLOAT = 0, 1, 2

bool = dtype("bool", np.bool_, _BOOL, False, "Bool", "bool")  # noqa: A001 - PyTorch's name
uint8 = dtype("uint8", np.uint8, _INT, False, "Byte", "unsigned char")
int8 = dtype("int8", np.int8, _INT, True, "Char", "signed char")
int16 = dtype("int16", np.int16, _INT, True, "Short", "short")
int32 = dtype("int32", np.int32, _INT, True, "Int", "int")
int64 = dtype("int64", np.int64, _INT, True, "Long", "long int")
float16 = dtype("float16", np.float16, _FLOAT, True, "Half", "c10::Half")
float32 = dtype("float32", np.float32, _FLOAT, True, "Float", "float")
float64 = dtype("float64", np.float64, _FLOAT, True, "Double", "double")

# PyTorch's aliases.
short, int, long = int16, int32, int64  # noqa: A001
half, float, double = float16, float32, float64  # noqa: A001

ALL = (bool, uint8, int8, int16, int32, int64, float16, float32, float64)
_NAMES = {d.name: d for d in ALL}
FROM_NP = {d.np: d for d in ALL}


def _by_name(name: str) -> dtype:
    return _NAMES[name]


def from_numpy_dtype(np_dtype) -> dtype:
    """The minitorch dtype holding values of a NumPy dtype; TypeError for unsupported ones."""
    try:
        return FROM_NP[np.dtype(np_dtype)]
    except (KeyError, TypeError):
        raise TypeError(
            f"can't convert np.ndarray of type {np.dtype(np_dtype)}. The only supported types are: "
            "float64, float32, float16, int64, int32, int16, int8, uint8, and bool."
        ) from None


_default_float = [float32]


def get_default_dtype() -> dtype:
    """The dtype of floating-point tensors created from Python floats (float32 unless changed)."""
    return _default_float[0]


def set_default_dtype(d: dtype) -> None:
    """Set the default floating-point dtype (float32 or float64), as torch.set_default_dtype."""
    if not isinstance(d, dtype):
        raise TypeError("invalid dtype object: only floating-point types are supported as the default type")
    if not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _default_float[0] = d


def _promote_pair(a: dtype, b: dtype) -> dtype:
    if a is b:
        return a
    if a._category != b._category:
        return a if a._category > b._category else b
    if a._category == _INT and a.is_signed != b.is_signed:
        # uint8 with a signed type: the smallest signed type holding both.
        signed, unsigned = (a, b) if a.is_signed else (b, a)
        return signed if signed.itemsize > unsigned.itemsize else int16
    return a if a.itemsize >= b.itemsize else b


_PROMOTE = {(a, b): _promote_pair(a, b) for a in ALL for b in ALL}


def promote_types(type1: dtype, type2: dtype) -> dtype:
    """The smallest dtype both can be converted to, as torch.promote_types."""
    try:
        return _PROMOTE[type1, type2]
    except (KeyError, TypeError):
        for position, (name, value) in enumerate((("type1", type1), ("type2", type2)), 1):
            if not isinstance(value, dtype):
                raise TypeError(f"promote_types(): argument '{name}' (position {position}) must be torch.dtype, "
                                f"not {type(value).__name__}") from None
        raise


def scalar_dtype(value) -> dtype:
    """The dtype PyTorch gives a Python number that takes part in an operation."""
    if isinstance(value, (builtins.bool, np.bool_)):
        return bool
    if isinstance(value, (builtins.int, np.integer)):
        return int64
    return _default_float[0]


def _combine_categories(higher: dtype | None, lower: dtype | None) -> dtype | None:
    # A higher-priority participant (a tensor with dims) wins unless a lower one
    # (a 0-d tensor or a Python number) is of a higher kind.
    if higher is None:
        return lower
    if higher.is_floating_point:
        return higher
    if lower is not None and (higher is bool or lower.is_floating_point):
        return _PROMOTE[higher, lower]
    return higher


def result_dtype(dim_result: dtype | None, zero_result: dtype | None, wrapped_result: dtype | None) -> dtype:
    """PyTorch's result type from the three participant groups (dimensioned, 0-d, Python number)."""
    return _combine_categories(dim_result, _combine_categories(zero_result, wrapped_result))


def can_cast(src: dtype, dst: dtype) -> bool:
    """PyTorch's rule for writing a src result into a dst tensor: no float -> int, nothing -> bool."""
    if src.is_floating_point and not dst.is_floating_point:
        return False
    if dst is bool and src is not bool:  # (the module's bool dtype)
        return False
    return True
class IntegerOverflowError(OverflowError, RuntimeError):
    """A Python int that no 64-bit integer holds: PyTorch's OverflowError ("int too big to
    convert"), also a RuntimeError (one of the kinds of errors ops raise)."""


# How PyTorch's overflow message names a dtype (the C++ type its check converts to).
_C_TYPE = {"uint8": "uint8_t", "int8": "int8_t", "int16": "short", "int32": "int", "int64": "int64_t",
           "float32": "float"}


def check_fits(value, dtype: dtype) -> None:
    """PyTorch's RuntimeError for a scalar that a tensor of dtype can't hold, where PyTorch
    converts it checked (fill_, full, masked_fill, clamp bounds, integer powers): an integer
    outside the type's range (an unsigned type also takes -max..-1, as two's complement), NaN
    or inf for an integer type, a finite float beyond float32's range. (Arithmetic and
    comparisons wrap instead: the op table's c_cast.)"""
    name = dtype.name
    if isinstance(value, builtins.int) and not -(1 << 63) <= value < (1 << 64):
        raise IntegerOverflowError("int too big to convert")
    if name not in _C_TYPE or isinstance(value, (builtins.bool, np.bool_)):
        return
    if dtype.is_floating_point:
        ok = not (math.isfinite(value) and abs(value) > builtins.float(np.finfo(np.float32).max))
    else:
        info = np.iinfo(dtype.np)
        lo = -builtins.int(info.max) if info.min == 0 else builtins.int(info.min)
        ok = math.isfinite(value) and lo <= value <= builtins.int(info.max)
    if not ok:
        raise RuntimeError(f"value cannot be converted to type {_C_TYPE[name]} without overflow")
