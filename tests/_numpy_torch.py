"""A NumPy reference of torch's elementwise semantics, for the tests when torch is absent.

It implements, with NumPy and independently of minitorch, the part of torch's API that
tests/test_ops_elementwise.py calls: ``from_numpy``, the arithmetic and comparison
operators (reflected too) with torch's type promotion (dimensioned tensors, 0-d tensors
and Python scalars in three tiers, ``c10::promoteTypes`` within a tier), the unary math
functions, ``pow``, ``maximum``/``minimum``, ``where``, ``clamp``, and the errors torch
raises for bool subtraction and negation, integer division by zero, negative integer
powers of integers and the ops not defined on bool. Where torch is installed the tests
use torch itself; the same tests pass against both, which is what keeps this reference
honest (run them with MINITORCH_TESTS_WITHOUT_TORCH=1 to use it).
"""
from __future__ import annotations

import numpy as np

# c10's order of the dtypes the tests use; promotion within a category takes the wider.
_ORDER = ["bool", "int32", "int64", "float32", "float64"]
_DEFAULT_FLOAT = "float32"


def _category(dtype: str) -> int:
    return 0 if dtype == "bool" else (1 if dtype.startswith("int") else 2)


def _promote(a: str | None, b: str | None) -> str | None:
    """c10::promoteTypes for the dtypes above (None: no operand in that tier)."""
    if a is None or b is None:
        return a or b
    return max(a, b, key=_ORDER.index)


def _combine(higher: str | None, lower: str | None) -> str | None:
    """c10's combine_categories: a lower tier counts only when its category is higher."""
    if higher is None:
        return lower
    if _category(higher) == 2:
        return higher
    if higher == "bool" or (lower is not None and _category(lower) == 2):
        return _promote(higher, lower)
    return higher


def _scalar_dtype(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, (int, np.integer)):
        return "int64"
    return _DEFAULT_FLOAT


def result_type(*operands) -> str:
    """torch.result_type over tensors and Python scalars."""
    tiers = {"dim": None, "zero": None, "wrapped": None}
    for x in operands:
        if isinstance(x, Tensor):
            tier = "dim" if x.ndim else "zero"
            tiers[tier] = _promote(tiers[tier], x._dtype)
        else:
            tiers["wrapped"] = _promote(tiers["wrapped"], _scalar_dtype(x))
    return _combine(tiers["dim"], _combine(tiers["zero"], tiers["wrapped"]))


def _values(x, dtype: str) -> np.ndarray:
    return (x._array if isinstance(x, Tensor) else np.asarray(x)).astype(dtype)


class _Dtype(str):
    def __str__(self) -> str:
        return "torch." + str.__str__(self)

    __repr__ = __str__


def _not_implemented(name: str, dtype: str):
    return NotImplementedError(f'"{name}" not implemented for \'{dtype.capitalize()}\'')


class Tensor:
    """An ndarray with torch's dtype name; results are computed by the functions below."""

    def __init__(self, array, dtype: str | None = None) -> None:
        self._array = np.asarray(array if dtype is None else np.asarray(array).astype(dtype))
        self._dtype = str(self._array.dtype)

    # ---- what the tests read ----
    shape = property(lambda self: self._array.shape)
    ndim = property(lambda self: self._array.ndim)
    dtype = property(lambda self: _Dtype(self._dtype))

    def detach(self):
        return self

    def numpy(self):
        return self._array

    def requires_grad_(self, flag=True):
        return self

    # ---- arithmetic ----
    def __add__(self, other): return _binary("add", self, other)
    def __radd__(self, other): return _binary("add", other, self)
    def __sub__(self, other): return _binary("sub", self, other)
    def __rsub__(self, other): return _binary("sub", other, self)
    def __mul__(self, other): return _binary("mul", self, other)
    def __rmul__(self, other): return _binary("mul", other, self)
    def __truediv__(self, other): return _binary("truediv", self, other)
    def __rtruediv__(self, other): return _binary("truediv", other, self)
    def __floordiv__(self, other): return _binary("floordiv", self, other)
    def __rfloordiv__(self, other): return _binary("floordiv", other, self)
    def __mod__(self, other): return _binary("mod", self, other)
    def __rmod__(self, other): return _binary("mod", other, self)
    def __pow__(self, other): return pow(self, other)
    def __rpow__(self, other): return pow(other, self)
    def __neg__(self): return neg(self)

    def __eq__(self, other): return _compare(np.equal, self, other)
    def __ne__(self, other): return _compare(np.not_equal, self, other)
    def __lt__(self, other): return _compare(np.less, self, other)
    def __le__(self, other): return _compare(np.less_equal, self, other)
    def __gt__(self, other): return _compare(np.greater, self, other)
    def __ge__(self, other): return _compare(np.greater_equal, self, other)
    __hash__ = None

    def eq(self, other): return self == other
    def pow(self, other): return pow(self, other)
    def maximum(self, other): return maximum(self, other)
    def minimum(self, other): return minimum(self, other)
    def where(self, condition, other): return where(condition, self, other)
    def clamp(self, min=None, max=None): return clamp(self, min, max)


def from_numpy(array: np.ndarray) -> Tensor:
    return Tensor(array)


def tensor(data, dtype=None) -> Tensor:
    return Tensor(np.asarray(data), dtype)


def _binary(name: str, a, b) -> Tensor:
    dtype = result_type(a, b)
    try:
        np.broadcast_shapes(np.shape(_values(a, "float64")), np.shape(_values(b, "float64")))
    except ValueError as error:
        raise RuntimeError(f"The size of tensor a must match the size of tensor b: {error}") from None
    if name == "sub" and "bool" in (_operand_dtype(a), _operand_dtype(b)):
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported.")
    if name == "truediv":
        if _category(dtype) < 2:
            dtype = _DEFAULT_FLOAT
        with np.errstate(all="ignore"):
            return Tensor(np.true_divide(_values(a, dtype), _values(b, dtype)))
    if dtype == "bool" and name in ("floordiv", "mod"):
        raise _not_implemented("div_floor_cpu" if name == "floordiv" else "remainder_cpu", dtype)
    x, y = _values(a, dtype), _values(b, dtype)
    if name in ("floordiv", "mod") and _category(dtype) == 1 and np.any(y == 0):
        raise RuntimeError("ZeroDivisionError")
    ufunc = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "floordiv": np.floor_divide, "mod": np.remainder}[name]
    if dtype == "bool":  # add is or, mul is and
        ufunc = np.logical_or if name == "add" else np.logical_and
    with np.errstate(all="ignore"):
        return Tensor(ufunc(x, y), dtype)


def _operand_dtype(x) -> str:
    return x._dtype if isinstance(x, Tensor) else _scalar_dtype(x)


def _compare(ufunc, a, b) -> Tensor:
    dtype = result_type(a, b)
    return Tensor(ufunc(_values(a, dtype), _values(b, dtype)))


def pow(base, exponent) -> Tensor:  # noqa: A001 - torch's name
    dtype = result_type(base, exponent)
    if dtype == "bool" and not (isinstance(base, Tensor) and not isinstance(exponent, Tensor)):
        raise _not_implemented("pow", dtype)
    if dtype == "bool":  # a bool tensor to a bool power: x ** False is True, x ** True is x
        return Tensor(np.logical_or(_values(base, "bool"), not exponent))
    x, y = _values(base, dtype), _values(exponent, dtype)
    if _category(dtype) == 2:
        with np.errstate(all="ignore"):
            return Tensor(np.power(x, y), dtype)
    if not isinstance(exponent, Tensor) and exponent < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    # a negative tensor exponent: 1 stays 1, -1 alternates, every other base gives 0
    x, y = np.broadcast_arrays(x, y)
    out = np.array(np.power(x, np.maximum(y, 0)))
    negative = y < 0
    out[negative] = np.where(x[negative] == 1, 1, np.where(x[negative] == -1, 1 - 2 * (y[negative] % 2), 0))
    return Tensor(out, dtype)


def _float_unary(fn):
    def apply(x: Tensor) -> Tensor:
        dtype = x._dtype if _category(x._dtype) == 2 else _DEFAULT_FLOAT
        with np.errstate(all="ignore"):
            return Tensor(fn(x._array.astype(np.float64)), dtype)
    return apply


exp = _float_unary(np.exp)
log = _float_unary(np.log)
sqrt = _float_unary(np.sqrt)
rsqrt = _float_unary(lambda v: 1 / np.sqrt(v))
sin = _float_unary(np.sin)
cos = _float_unary(np.cos)
tanh = _float_unary(np.tanh)
sigmoid = _float_unary(lambda v: 1 / (1 + np.exp(-v)))


def abs(x: Tensor) -> Tensor:  # noqa: A001 - torch's name
    if x._dtype == "bool":
        raise _not_implemented("abs_cpu", "bool")
    return Tensor(np.abs(x._array), x._dtype)


def relu(x: Tensor) -> Tensor:
    if x._dtype == "bool":
        raise RuntimeError("\"clamp_min_cpu\" not implemented for 'Bool'")
    return Tensor(np.where(x._array < 0, 0, x._array), x._dtype)


def neg(x: Tensor) -> Tensor:
    if x._dtype == "bool":
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported.")
    return Tensor(np.negative(x._array), x._dtype)


def eq(a, b) -> Tensor:
    return _compare(np.equal, a, b)


def maximum(a, b) -> Tensor:
    dtype = result_type(a, b)
    return Tensor(np.maximum(_values(a, dtype), _values(b, dtype)), dtype)


def minimum(a, b) -> Tensor:
    dtype = result_type(a, b)
    return Tensor(np.minimum(_values(a, dtype), _values(b, dtype)), dtype)


def where(condition: Tensor, a, b) -> Tensor:
    dtype = result_type(a, b)
    return Tensor(np.where(condition._array, _values(a, dtype), _values(b, dtype)), dtype)


def clamp(x: Tensor, min=None, max=None) -> Tensor:  # noqa: A002 - torch's names
    dtype = result_type(x, *(bound for bound in (min, max) if bound is not None))
    out = x._array.astype(dtype)
    if min is not None:
        out = np.maximum(out, np.asarray(min).astype(dtype))
    if max is not None:
        out = np.minimum(out, np.asarray(max).astype(dtype))
    return Tensor(out, dtype)


for _name in ("exp", "log", "sqrt", "rsqrt", "sin", "cos", "tanh", "sigmoid", "abs", "relu", "neg"):
    setattr(Tensor, _name, globals()[_name])
