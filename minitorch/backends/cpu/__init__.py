"""The CPU op table: NumPy arrays, NumPy ufuncs and BLAS for plain math, numba kernels for fused passes.

Every method takes and returns raw ``np.ndarray`` values; dtypes are minitorch dtypes.
The autograd layer has already checked shapes and dtypes, so nothing here can meet
an input it cannot type.
"""
from __future__ import annotations

import warnings

import numpy as np

from ...device import CPU
from . import kernels
from .conv_ops import ConvOps
from .nn_ops import NnOps
from .optim_ops import OptimOps

# NumPy reports inf/nan results with RuntimeWarnings; PyTorch returns them silently.
# The filter is scoped to warnings raised from minitorch's own frames, so the user's
# NumPy settings stay untouched, and it costs nothing on the hot path.
warnings.filterwarnings("ignore", message=".*encountered in", category=RuntimeWarning,
                        module=r"minitorch\.")

_BINARY = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.true_divide,
    "floordiv": np.floor_divide, "remainder": np.remainder, "pow": np.power,
    "maximum": np.maximum, "minimum": np.minimum,
    "eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
    "gt": np.greater, "ge": np.greater_equal,
    "logical_and": np.logical_and, "logical_or": np.logical_or, "logical_xor": np.logical_xor,
    "bitwise_and": np.bitwise_and, "bitwise_or": np.bitwise_or, "bitwise_xor": np.bitwise_xor,
}


def _arr(x) -> np.ndarray:
    """NumPy returns scalars, not 0-d arrays, from ufuncs on 0-d input; tensors need arrays."""
    return x if type(x) is np.ndarray else np.asarray(x)


def _rsqrt(x):
    out = _arr(np.sqrt(x))
    return np.divide(1, out, out=out)


def _sigmoid(x):
    # 1 / (1 + exp(-x)), in place on one temporary: three passes, no extra allocations.
    out = _arr(np.negative(x))
    np.exp(out, out=out)
    out += 1
    return np.divide(1, out, out=out)


def _int_pow(a, b):
    """Integer powers with PyTorch's rule for negative exponents: 1**-n = 1,
    (-1)**-n = +-1, anything else ** -n = 0 (no error)."""
    b = np.asarray(b)
    if not (b < 0).any():
        return np.power(a, b)
    positive = np.power(a, np.abs(b))
    odd = (np.abs(b) % 2) == 1
    negative = np.where(a == 1, 1, np.where(a == -1, np.where(odd, -1, 1), 0))
    return np.where(b < 0, negative, positive).astype(positive.dtype)


def _sign(x):
    """-1, 0 or 1; PyTorch's sign of NaN is 0 (NumPy's is NaN)."""
    out = _arr(np.sign(x))
    if out.dtype.kind == "f":
        out[np.isnan(out)] = 0
    return out


def _keep_int(fn):
    """floor/ceil/round/trunc: the identity on integers (NumPy would return floats)."""
    def rounded(x):
        return x.copy() if x.dtype.kind in "iub" else fn(x)
    return rounded


def _relu(x):
    if x.dtype.kind != "f":
        return np.maximum(x, 0, dtype=x.dtype)
    out = np.empty(x.shape, x.dtype)
    kernel = kernels.relu_parallel if x.size >= kernels.PARALLEL_THRESHOLD else kernels.relu
    kernel(kernels.flat(x), out.reshape(-1))
    return out


_UNARY = {
    "neg": np.negative, "abs": np.abs, "exp": np.exp, "log": np.log, "sqrt": np.sqrt,
    "rsqrt": _rsqrt, "sin": np.sin, "cos": np.cos, "tan": np.tan, "tanh": np.tanh,
    "sigmoid": _sigmoid, "relu": _relu, "sign": _sign, "log1p": np.log1p, "expm1": np.expm1,
    "reciprocal": np.reciprocal, "floor": _keep_int(np.floor), "ceil": _keep_int(np.ceil),
    "round": _keep_int(np.round), "trunc": _keep_int(np.trunc), "logical_not": np.logical_not, "bitwise_not": np.invert,
    "square": np.square, "log2": np.log2, "log10": np.log10, "exp2": np.exp2,
    "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan, "sinh": np.sinh, "cosh": np.cosh,
    "isnan": np.isnan, "isinf": np.isinf, "isfinite": np.isfinite, "erf": None,
}
del _UNARY["erf"]

# The ufuncs' own reduce: np.sum & co. add a Python layer that costs a microsecond.
_REDUCE = {"sum": np.add.reduce, "prod": np.multiply.reduce, "amax": np.maximum.reduce,
           "amin": np.minimum.reduce, "all": np.logical_and.reduce, "any": np.logical_or.reduce}


class CPUBackend(NnOps, ConvOps, OptimOps):
    """The op table of the "cpu" device."""

    device = CPU
    name = "cpu"

    # ----- memory ---------------------------------------------------------------------
    def empty(self, shape, dtype):
        return np.empty(shape, dtype.np)

    def zeros(self, shape, dtype):
        return np.zeros(shape, dtype.np)

    def full(self, shape, value, dtype):
        return np.full(shape, value, dtype.np)

    def arange(self, start, end, step, dtype):
        return np.arange(start, end, step, dtype=np.float64 if dtype.is_floating_point else None).astype(dtype.np, copy=False)

    def linspace(self, start, end, steps, dtype):
        return np.linspace(start, end, steps, dtype=np.float64).astype(dtype.np)

    def eye(self, n, m, dtype):
        return np.eye(n, m, dtype=dtype.np)

    def from_numpy(self, array: np.ndarray) -> np.ndarray:
        return array

    def to_numpy(self, array: np.ndarray) -> np.ndarray:
        return array

    def astype(self, a, dtype):
        return a.astype(dtype.np)

    def copy(self, a):
        return a.copy()

    def contiguous(self, a):
        return np.ascontiguousarray(a)

    def copy_into(self, dst, src) -> None:
        np.copyto(dst, src, casting="unsafe")

    def fill(self, dst, value) -> None:
        dst.fill(value)

    # ----- views (share memory) -------------------------------------------------------
    def view(self, a, shape):
        """A view with a new shape, or None when the layout needs a copy."""
        try:
            return np.reshape(a, shape, copy=False)
        except ValueError:
            return None

    def reshape(self, a, shape):
        return np.reshape(a, shape)

    def permute(self, a, dims):
        return a.transpose(dims)

    def expand(self, a, shape):
        # broadcast_to's result is read-only; expanding to the same shape stays writable.
        return a.view() if tuple(shape) == a.shape else np.broadcast_to(a, shape)

    def getitem(self, a, index):
        """a[index]; basic indices give a view (a 0-d one too, thanks to the trailing Ellipsis)."""
        if not any(i is Ellipsis or isinstance(i, (np.ndarray, bool)) for i in index):
            index = index + (Ellipsis,)
        return _arr(a[index])

    def setitem(self, a, index, value) -> None:
        a[index] = value

    def diagonal(self, a, offset, dim1, dim2):
        return np.diagonal(a, offset, dim1, dim2)

    # ----- elementwise ----------------------------------------------------------------
    # The fast path of + - * / for operands of one floating dtype (or a Python number):
    # NumPy's result dtype is then PyTorch's, so no promotion work is needed.
    def add(self, a, b):
        return _arr(np.add(a, b))

    def sub(self, a, b):
        return _arr(np.subtract(a, b))

    def mul(self, a, b):
        return _arr(np.multiply(a, b))

    def div(self, a, b):
        return _arr(np.true_divide(a, b))

    def binary(self, op: str, a, b, dtype):
        """op(a, b) with NumPy broadcasting, computed in (and returning) dtype; b may be a Python number."""
        fn = _BINARY[op]
        if op == "pow" and dtype.np.kind == "i":
            return _arr(_int_pow(a.astype(dtype.np, copy=False), b).astype(dtype.np, copy=False))
        if a.dtype is dtype.np and (b.__class__ is not np.ndarray or b.dtype is dtype.np):
            return _arr(fn(a, b))
        return _arr(fn(a, b, dtype=dtype.np, casting="unsafe"))

    def rbinary(self, op: str, scalar, b, dtype):
        """op(scalar, b) for a Python-number left operand."""
        fn = _BINARY[op]
        if op == "pow" and dtype.np.kind == "i":
            return _arr(_int_pow(np.asarray(scalar, dtype.np), b).astype(dtype.np, copy=False))
        if b.dtype == dtype.np:
            return _arr(fn(scalar, b))
        return _arr(fn(scalar, b, dtype=dtype.np, casting="unsafe"))

    def compare(self, op: str, a, b, dtype):
        """A bool array of op(a, b), both compared as dtype."""
        fn = _BINARY[op]
        if a.dtype == dtype.np and (not isinstance(b, np.ndarray) or b.dtype == dtype.np):
            return _arr(fn(a, b))
        if not isinstance(b, np.ndarray):
            b = np.asarray(b, dtype.np)
        return _arr(fn(a.astype(dtype.np, copy=False), b.astype(dtype.np, copy=False)))

    def inplace(self, op: str, a, b) -> None:
        """a = op(a, b) in place, computed in a's dtype."""
        _BINARY[op](a, b, out=a, casting="unsafe")

    def unary(self, op: str, a):
        return _arr(_UNARY[op](a))

    def clamp(self, a, lo, hi):
        out = a
        if lo is not None:
            out = np.maximum(out, lo, dtype=a.dtype)
        if hi is not None:
            out = np.minimum(out, hi, dtype=a.dtype)
        return out.copy() if out is a else _arr(out)

    def where(self, cond, a, b, dtype):
        return _arr(np.where(cond, a, b).astype(dtype.np, copy=False))

    def relu_backward(self, grad, x):
        out = np.empty(x.shape, grad.dtype)
        kernel = kernels.relu_backward_parallel if x.size >= kernels.PARALLEL_THRESHOLD else kernels.relu_backward
        kernel(kernels.flat(grad), kernels.flat(x), out.reshape(-1))
        return out

    def tanh_backward(self, grad, y):
        out = np.empty(y.shape, grad.dtype)
        kernels.tanh_backward(kernels.flat(grad), kernels.flat(y), out.reshape(-1))
        return out

    def sigmoid_backward(self, grad, y):
        out = np.empty(y.shape, grad.dtype)
        kernels.sigmoid_backward(kernels.flat(grad), kernels.flat(y), out.reshape(-1))
        return out

    # ----- reductions -----------------------------------------------------------------
    def reduce(self, op: str, a, dims: tuple, keepdim: bool, dtype=None):
        """op over the axes dims (a tuple), keeping them as size 1 when keepdim."""
        if op in ("sum", "prod"):
            out = _REDUCE[op](a, axis=dims, keepdims=keepdim, dtype=None if dtype is None else dtype.np)
        elif op in ("all", "any"):
            out = _REDUCE[op](a.astype(bool, copy=False), axis=dims, keepdims=keepdim)
        else:
            out = _REDUCE[op](a, axis=dims, keepdims=keepdim)
        return _arr(out)

    def flip(self, a, dims):
        return np.ascontiguousarray(np.flip(a, dims))

    def tile(self, a, reps):
        return np.tile(a, reps)

    def prod_of_others(self, a, dim: int):
        """For each element, the product of the others along dim (exclusive cumulative products)."""
        if a.ndim == 0:
            return np.ones_like(a)
        n = a.shape[dim]
        ones = np.ones_like(np.take(a, [0], axis=dim)) if n else a
        before = np.cumprod(np.concatenate([ones, np.take(a, range(n - 1), axis=dim)], axis=dim), axis=dim)
        rev = np.flip(a, dim)
        after = np.cumprod(np.concatenate([ones, np.take(rev, range(n - 1), axis=dim)], axis=dim), axis=dim)
        return before * np.flip(after, dim)

    def scalar_array(self, value, dtype):
        return np.asarray(value, dtype.np)

    def mean(self, a, dims, keepdim, dtype):
        """sum / count (NumPy's mean costs twice as much and warns on empty input)."""
        total = _arr(np.add.reduce(a, axis=dims, keepdims=keepdim, dtype=dtype.np))
        count = a.size if dims is None else int(np.prod([a.shape[d] for d in dims]))
        return np.divide(total, count, out=total, casting="unsafe") if total.ndim else _arr(total / count)

    def var(self, a, dims, correction, keepdim):
        """Two-pass variance: sum((a - mean)^2) / (count - correction)."""
        count = a.size if dims is None else int(np.prod([a.shape[d] for d in dims]))
        centered = a - _arr(np.sum(a, axis=dims, keepdims=True)) / count
        squares = _arr(np.add.reduce(centered * centered, axis=dims, keepdims=keepdim))
        with np.errstate(invalid="ignore", divide="ignore"):  # no degrees of freedom: nan, as PyTorch
            return _arr(squares / a.dtype.type(max(count - correction, 0)))

    def arg_reduce(self, op: str, a, dim: int, keepdim: bool):
        """argmax/argmin along one axis as int64 (first occurrence, NaN counts as the extreme)."""
        fn = np.argmax if op == "argmax" else np.argmin
        return np.asarray(fn(a, axis=dim, keepdims=keepdim)).astype(np.int64, copy=False)

    def take_along(self, a, index, dim: int):
        return np.take_along_axis(a, index, axis=dim)

    def logsumexp_lastdim(self, a):
        """logsumexp over the last axis of a 2-D array with at least one column."""
        out = np.empty(a.shape[0], a.dtype)
        kernels.logsumexp_rows(np.ascontiguousarray(a), out)
        return out

    # ----- matrix products ------------------------------------------------------------
    def matmul(self, a, b):
        """NumPy's matmul (BLAS for float32/float64) with its batch broadcasting."""
        return _arr(np.matmul(a, b))  # a dot product of 1-D arrays comes back as a NumPy scalar

    # ----- indexing -------------------------------------------------------------------
    def index_put_add(self, out, index, values) -> None:
        """out[index] += values with repeated indices accumulated (scatter-add)."""
        if (isinstance(index, np.ndarray) and index.ndim == 1 and index.dtype == np.int64
                and out.ndim == 2 and values.ndim == 2 and out.flags.c_contiguous):
            kernels.index_add_rows(out, np.where(index < 0, index + out.shape[0], index),
                                   np.ascontiguousarray(values, out.dtype))
        else:
            np.add.at(out, index, values)

    def gather(self, a, dim: int, index):
        """out[..., i, ...] = a[..., index[..., i, ...], ...] along dim (take_along_axis).

        As in PyTorch, index may be smaller than a in the other dims.
        """
        window = tuple(slice(0, s) if i != dim else slice(None) for i, s in enumerate(index.shape))
        return np.take_along_axis(a[window], index, axis=dim)

    def scatter_add(self, out, dim: int, index, src) -> None:
        """out[..., index[..., i, ...], ...] += src[..., i, ...] along dim, repeats accumulating."""
        coords = list(np.indices(index.shape, sparse=True))
        coords[dim] = index
        np.add.at(out, tuple(coords), src[tuple(slice(0, s) for s in index.shape)])

    def concatenate(self, arrays, dim: int, dtype):
        if all(a.dtype is dtype.np for a in arrays):
            return np.concatenate(arrays, axis=dim)
        return np.concatenate(arrays, axis=dim, dtype=dtype.np, casting="unsafe")

    def stack(self, arrays, dim: int, dtype):
        return np.stack(arrays, axis=dim, dtype=dtype.np, casting="unsafe")

    def nonzero(self, a):
        return np.nonzero(a)

    def scalar(self, a):
        """The single value of a one-element array as a Python number."""
        return a.reshape(-1)[0].item()
