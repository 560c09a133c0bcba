"""The elementwise entries of the CPU op table (a mixin of CPUBackend): binary ops and
comparisons with PyTorch's dtype, overflow and signed-zero rules, unary functions, clamp,
where, and the fused activation backwards. Raw NumPy arrays in and out."""
import numpy as np

from ...dtypes import FROM_NP as _FROM_NP
from .._table_errors import IntegerOverflowError
from . import _pool, kernels
from .parallel import threads_for

_BINARY = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.true_divide,
    "floordiv": np.floor_divide, "remainder": np.remainder, "pow": np.power,
    "maximum": np.maximum, "minimum": np.minimum,
    "eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
    "gt": np.greater, "ge": np.greater_equal,
    "logical_and": np.logical_and, "logical_or": np.logical_or, "logical_xor": np.logical_xor,
    "bitwise_and": np.bitwise_and, "bitwise_or": np.bitwise_or, "bitwise_xor": np.bitwise_xor,
}


# The ops whose ufunc is PyTorch's op whenever both operands already have the result dtype.
_PLAIN = {op: fn for op, fn in _BINARY.items() if op not in ("maximum", "minimum", "pow")}


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
    """-1, 0 or 1; PyTorch's sign of NaN is 0 (NumPy's is NaN), of a bool itself."""
    if x.dtype.kind == "b":
        return x.copy()
    out = _arr(np.sign(x))
    if out.dtype.kind == "f":
        out[np.isnan(out)] = 0
    return out


def _keep_int(fn):
    """floor/ceil/round/trunc: the identity on integers (NumPy would return floats)."""
    def rounded(x):
        return x.copy() if x.dtype.kind in "iub" else fn(x)
    return rounded


def _recip_sqrt(x):
    out = _arr(np.sqrt(x))
    return np.divide(1, out, out=out)


def _cube(x):
    out = _arr(np.multiply(x, x))
    return np.multiply(out, x, out=out)


def _recip_square(x):
    out = _arr(np.multiply(x, x))
    return np.divide(1, out, out=out)


# x ** e for these scalar exponents is computed as PyTorch's pow kernel does (sqrt, rsqrt,
# x*x, x*x*x, 1/x, 1/(x*x)): the same rounding, and the same signed zeros and infinities
# (PyTorch's (-0.) ** -0.5 is rsqrt(-0.) = -inf, C's pow gives +inf).
_SPECIAL_POW = {0.5: np.sqrt, -0.5: _recip_sqrt, 2: np.square, 3: _cube, -1: np.reciprocal,
                -2: _recip_square}

# On a tie of -0. and +0., PyTorch's maximum/minimum/clamp return their first argument (the
# input, for clamp). NumPy's return their second (x86 SIMD max/min semantics, checked below
# on the scalar, SIMD, strided and broadcast paths), so the operands are passed swapped: the
# same single pass, NaN still wins either way. Where NumPy behaves otherwise, the ties are
# fixed up after the op instead (two more passes).
def _numpy_returns_second_on_ties() -> bool:
    for dtype in (np.float32, np.float64):
        for n in (1, 3, 64):
            neg, pos = np.full(n, -0.0, dtype), np.zeros(n, dtype)
            for fn in (np.maximum, np.minimum):
                for x, y in ((neg, pos), (pos, neg), (neg[::2], pos[::2]), (neg, pos[:1]), (neg[:1], pos)):
                    if not np.array_equal(np.signbit(fn(x, y)), np.signbit(np.broadcast_to(y, fn(x, y).shape))):
                        return False
                if not np.signbit(fn(dtype(0.0), neg)).all() or np.signbit(fn(dtype(-0.0), pos)).any():
                    return False
    return True


_SWAP_FOR_TIES = _numpy_returns_second_on_ties()
_FIRST_ON_TIES = {"maximum": np.maximum, "minimum": np.minimum}


def _minmax(op: str, a, b, dtype):
    """maximum/minimum as PyTorch: NaN if either is NaN, else the first argument unless the
    second is strictly larger (smaller); b may be a Python number."""
    fn = _FIRST_ON_TIES[op]
    same = a.dtype is dtype and (b.__class__ is not np.ndarray or b.dtype is dtype)
    if _SWAP_FOR_TIES:
        return _arr(fn(b, a) if same else fn(b, a, dtype=dtype, casting="unsafe"))
    out = _arr(fn(a, b) if same else fn(a, b, dtype=dtype, casting="unsafe"))
    np.copyto(out, a, where=(a == b), casting="unsafe")
    return out


def c_cast(value, np_dtype):
    """A Python int operand as PyTorch converts it to an integer tensor's dtype: the C cast,
    which wraps (uint8 - 1 is uint8 - 255); an int no 64-bit integer holds is torch's
    OverflowError. Called while handling an OverflowError, which it re-raises when value
    is no Python int to cast."""
    if value.__class__ is not int or np_dtype.kind not in "iub":
        raise  # noqa: PLE0704 - the OverflowError being handled: not one of a Python int operand
    return wrapped(value, np_dtype)


def wrapped(value: int, np_dtype):
    """value C-cast to an integer dtype (wrapping); torch's OverflowError past 64 bits."""
    if not -(1 << 63) <= value < (1 << 64):
        raise IntegerOverflowError("int too big to convert")
    return np.array(value & 0xFFFF_FFFF_FFFF_FFFF, np.uint64).astype(np_dtype)[()]


# The range of each integer dtype: a Python int outside it is wrapped before a comparison,
# as PyTorch compares it (uint8 == 263 is uint8 == 7; NumPy would compare the values).
_INT_RANGE = {np.dtype(t): (int(np.iinfo(t).min), int(np.iinfo(t).max))
              for t in (np.uint8, np.int8, np.int16, np.int32, np.int64)}


def _relu(x):
    if x.dtype.kind != "f":
        return np.maximum(x, 0, dtype=x.dtype)
    out = _pool.empty(x.shape, x.dtype)
    kernel = kernels.relu_parallel if threads_for("relu", x.size) > 1 else kernels.relu
    kernel(kernels.flat(x), out.reshape(-1))
    return out


def _erf(x):
    out = np.empty(x.shape, x.dtype)
    kernels.erf(kernels.flat(x), out.reshape(-1))
    return out


_UNARY = {
    "neg": np.negative, "abs": np.abs, "exp": np.exp, "log": np.log, "sqrt": np.sqrt,
    "rsqrt": _rsqrt, "sin": np.sin, "cos": np.cos, "tan": np.tan, "tanh": np.tanh,
    "sigmoid": _sigmoid, "relu": _relu, "sign": _sign, "log1p": np.log1p, "expm1": np.expm1,
    "reciprocal": np.reciprocal, "floor": _keep_int(np.floor), "ceil": _keep_int(np.ceil),
    "round": _keep_int(np.round), "trunc": _keep_int(np.trunc), "logical_not": np.logical_not, "bitwise_not": np.invert,
    "square": np.square, "log2": np.log2, "log10": np.log10, "exp2": np.exp2,
    "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan, "sinh": np.sinh, "cosh": np.cosh,
    "isnan": np.isnan, "isinf": np.isinf, "isfinite": np.isfinite, "erf": _erf,
}


class ElementwiseOps:
    def binary(self, op: str, a, b, dtype):
        """op(a, b) with NumPy broadcasting, computed in (and returning) dtype; b may be a Python number."""
        try:
            fn = _PLAIN.get(op)
            npd = dtype.np
            if fn is not None and a.dtype is npd and (b.__class__ is not np.ndarray or b.dtype is npd):
                out = fn(a, b)  # the common case: one ufunc call, no conversion
                return out if out.__class__ is np.ndarray else np.asarray(out)
            fn = _BINARY[op]
            if op in _FIRST_ON_TIES and dtype.np.kind == "f":
                return _minmax(op, a, b, dtype.np)
            if op == "pow" and dtype.np.kind == "i":
                return _arr(_int_pow(a.astype(dtype.np, copy=False), b).astype(dtype.np, copy=False))
            if op == "pow" and b.__class__ is not np.ndarray and dtype.np.kind == "f":
                special = _SPECIAL_POW.get(b)
                if special is not None:
                    return _arr(special(a.astype(dtype.np, copy=False)))
            if a.dtype is dtype.np and (b.__class__ is not np.ndarray or b.dtype is dtype.np):
                return _arr(fn(a, b))
            return _arr(fn(a, b, dtype=dtype.np, casting="unsafe"))
        except OverflowError:  # a Python int the dtype can't hold: PyTorch casts it, C-style
            return self.binary(op, a, c_cast(b, dtype.np), dtype)

    def rbinary(self, op: str, scalar, b, dtype):
        """op(scalar, b) for a Python-number left operand."""
        try:
            fn = _BINARY[op]
            if op == "pow" and dtype.np.kind == "i":
                return _arr(_int_pow(np.asarray(scalar, dtype.np), b).astype(dtype.np, copy=False))
            if b.dtype == dtype.np:
                return _arr(fn(scalar, b))
            return _arr(fn(scalar, b, dtype=dtype.np, casting="unsafe"))
        except OverflowError:
            return self.rbinary(op, c_cast(scalar, dtype.np), b, dtype)

    def compare(self, op: str, a, b, dtype):
        """A bool array of op(a, b), both compared as dtype."""
        try:
            fn = _BINARY[op]
            if b.__class__ is int and dtype.np in _INT_RANGE:
                lo, hi = _INT_RANGE[dtype.np]
                if not lo <= b <= hi:
                    b = wrapped(b, dtype.np)
            if a.dtype == dtype.np and (not isinstance(b, np.ndarray) or b.dtype == dtype.np):
                return _arr(fn(a, b))
            if not isinstance(b, np.ndarray):
                b = np.asarray(b, dtype.np)
            return _arr(fn(a.astype(dtype.np, copy=False), b.astype(dtype.np, copy=False)))
        except OverflowError:
            return self.compare(op, a, c_cast(b, dtype.np), dtype)

    def inplace(self, op: str, a, b) -> None:
        """a = op(a, b) in place, computed in a's dtype."""
        try:
            if a.dtype.kind == "f" and (op in _FIRST_ON_TIES or (
                    op == "pow" and b.__class__ is not np.ndarray and b in _SPECIAL_POW)):
                np.copyto(a, self.binary(op, a, b, _FROM_NP[a.dtype]), casting="unsafe")
                return
            _BINARY[op](a, b, out=a, casting="unsafe")
        except OverflowError:
            self.inplace(op, a, c_cast(b, a.dtype))

    def unary(self, op: str, a):
        return _arr(_UNARY[op](a))

    def clamp(self, a, lo, hi):
        # min(max(a, lo), hi) keeping a on ties (-0. stays -0. at a bound of 0.), as PyTorch.
        lo, hi = (b.item() if isinstance(b, np.generic) else b for b in (lo, hi))  # numbers, as Python's
        if a.dtype in _INT_RANGE:  # integer bounds wrap to the dtype (uint8 clamp(min=-255) is min=1)
            lo, hi = (wrapped(b, a.dtype) if b.__class__ is int and not _INT_RANGE[a.dtype][0] <= b <= _INT_RANGE[a.dtype][1]
                      else b for b in (lo, hi))
        out = a
        if lo is not None:
            out = _minmax("maximum", out, lo, a.dtype) if a.dtype.kind == "f" else np.maximum(out, lo, dtype=a.dtype)
        if hi is not None:
            out = _minmax("minimum", out, hi, a.dtype) if a.dtype.kind == "f" else np.minimum(out, hi, dtype=a.dtype)
        return out.copy() if out is a else _arr(out)

    def where(self, cond, a, b, dtype):
        try:
            return _arr(np.where(cond, a, b).astype(dtype.np, copy=False))
        except OverflowError:
            if a.__class__ is int:
                a = c_cast(a, dtype.np)
            if b.__class__ is int:
                b = c_cast(b, dtype.np)
            return _arr(np.where(cond, a, b).astype(dtype.np, copy=False))

    def relu_backward(self, grad, x):
        out = _pool.empty(x.shape, grad.dtype)
        kernel = kernels.relu_backward_parallel if threads_for("relu_backward", x.size) > 1 else kernels.relu_backward
        kernel(kernels.flat(grad), kernels.flat(x), out.reshape(-1))
        return out

    def tanh_backward(self, grad, y):
        out = _pool.empty(y.shape, grad.dtype)
        kernels.tanh_backward(kernels.flat(grad), kernels.flat(y), out.reshape(-1))
        return out

    def sigmoid_backward(self, grad, y):
        out = _pool.empty(y.shape, grad.dtype)
        kernels.sigmoid_backward(kernels.flat(grad), kernels.flat(y), out.reshape(-1))
        return out
