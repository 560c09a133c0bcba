"""The CPU op table: NumPy arrays, NumPy ufuncs and BLAS for plain math, numba kernels for fused passes.

Every method takes and returns raw ``np.ndarray`` values; dtypes are minitorch dtypes.
The autograd layer has already checked shapes and dtypes, so nothing here can meet
an input it cannot type; what can still fail is memory, and every method reports that as
PyTorch does (``_table_errors.torch_errors``).
"""
from __future__ import annotations

import warnings

import numpy as np

from ...device import CPU
from ...dtypes import FROM_NP as _FROM_NP
from .._table_errors import IntegerOverflowError, torch_errors
from ..base import Backend
from . import _first_run, _pool, kernels

_first_run.prepare()  # before the first kernel call (random_ops seeds the default generator)

from .blas import matmul as _blas_matmul  # noqa: E402
from .conv_ops import ConvOps  # noqa: E402
from .nn_ops import NnOps  # noqa: E402
from .optim_ops import OptimOps  # noqa: E402
from .parallel import threads_for  # noqa: E402
from .random_ops import RandomOps  # noqa: E402

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


def _element_offsets(shape, strides, start: int, size: int) -> np.ndarray:
    """The memory offset (in elements) of every element of an array layout, as int64 of shape."""
    out = np.full(shape, start // size, np.int64)
    for k, (n, stride) in enumerate(zip(shape, strides)):
        out += (np.arange(n, dtype=np.int64) * (stride // size)).reshape((n,) + (1,) * (len(shape) - k - 1))
    return out


def layout_positions(base_shape, base_strides, base_contiguous: bool, view_shape, view_strides,
                     start: int, size: int):
    """For each element of a view layout (strides and start in units of size, relative to the
    base's first element), its flat row-major index in the base layout, as int64 of
    view_shape; None when some element is not an element of the base. Shared with the
    CUDA table, whose views are the same (shape, strides, offset) metadata."""
    base_size = int(np.prod(base_shape, dtype=np.int64))
    view_size = int(np.prod(view_shape, dtype=np.int64))
    view_off = _element_offsets(view_shape, view_strides, start, size)
    if base_contiguous:
        positions = view_off
    else:  # map memory offsets back to row-major positions
        base_off = _element_offsets(base_shape, base_strides, 0, size).reshape(-1)
        order = np.argsort(base_off, kind="stable")
        found = np.searchsorted(base_off[order], view_off).clip(0, max(base_size - 1, 0))
        if base_size == 0 or not np.array_equal(base_off[order][found], view_off):
            return None if view_size else view_off
        positions = order[found]
    if view_size and (positions.min() < 0 or positions.max() >= base_size):
        return None
    return positions


def _signed_zero_of_ties(a, dims, out, last: bool):
    """amax/amin results that are zero take the sign of the first zero of their slice (row-major
    order), as PyTorch's reduction loop keeps its accumulator on ties (NumPy's takes the new
    element): amax of (0., -0.) is 0., of (-0., 0.) is -0. With last, the last zero's sign (the
    whole-tensor max()/min() of PyTorch reduces in vector registers, which keep the newer value)."""
    nd = a.ndim
    dims = tuple(range(nd)) if dims is None else tuple(d % nd for d in dims) if nd else ()
    if not dims:
        return out
    rest = [i for i in range(nd) if i not in dims]
    n = 1
    for d in dims:
        n *= a.shape[d]
    rows = np.transpose(a, rest + list(dims)).reshape(-1, n)
    if not out.flags.c_contiguous:  # NumPy keeps a transposed input's layout in the result
        out = out.copy(order="C")
    flat = out.reshape(-1)
    hit = np.flatnonzero(flat == 0)
    sub = rows[hit]
    if last:
        pick = n - 1 - np.argmax(sub[:, ::-1] == 0, axis=1)
    else:
        pick = np.argmax(sub == 0, axis=1)
    flat[hit] = sub[np.arange(hit.size), pick]
    return out


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

# The ufuncs' own reduce: np.sum & co. add a Python layer that costs a microsecond.
_REDUCE = {"sum": np.add.reduce, "prod": np.multiply.reduce, "amax": np.maximum.reduce,
           "amin": np.minimum.reduce, "all": np.logical_and.reduce, "any": np.logical_or.reduce}


@torch_errors
class CPUBackend(NnOps, ConvOps, OptimOps, RandomOps, Backend):
    """The op table of the "cpu" device: the whole interface of _backends/base.py, nearly every
    extra with a kernel of its own."""

    device = CPU
    name = "cpu"

    # ----- memory ---------------------------------------------------------------------
    def empty(self, shape, dtype):
        return np.empty(shape, dtype.np)

    def zeros(self, shape, dtype):
        return np.zeros(shape, dtype.np)

    def full(self, shape, value, dtype):
        try:
            return np.full(shape, value, dtype.np)
        except OverflowError:
            return np.full(shape, c_cast(value, dtype.np), dtype.np)

    def from_numpy(self, array: np.ndarray) -> np.ndarray:
        return array

    def to_numpy(self, array: np.ndarray) -> np.ndarray:
        return array

    def astype(self, a, dtype):
        return a.astype(dtype.np)

    def copy(self, a):
        out = _pool.empty(a.shape, a.dtype)
        np.copyto(out, a)
        return out

    def can_adopt(self, tensor) -> bool:
        """Whether tensor's memory may become another tensor's without a copy: a writable
        C-contiguous array that no other array, view or tensor holds (autograd adopts a
        leaf's first gradient this way, as PyTorch's AccumulateGrad steals it)."""
        flags = tensor._data.flags  # (a flags object holds a reference to its array)
        ok = flags.c_contiguous and flags.writeable
        del flags
        return ok and _pool.unshared(tensor)

    def contiguous(self, a):
        return np.ascontiguousarray(a)

    def copy_into(self, dst, src) -> None:
        np.copyto(dst, src, casting="unsafe")

    def fill(self, dst, value) -> None:
        try:
            dst.fill(value)
        except OverflowError:
            dst.fill(c_cast(value, dst.dtype))

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

    def diagonal(self, a, offset: int, dim1: int, dim2: int):
        """A writable view of a's diagonal over dim1, dim2 (shifted by offset), last (NumPy's
        own np.diagonal is read-only)."""
        n1, n2 = a.shape[dim1], a.shape[dim2]
        s1, s2 = a.strides[dim1], a.strides[dim2]
        length = max(0, min(n1, n2 - offset) if offset >= 0 else min(n1 + offset, n2))
        rest = [d for d in range(a.ndim) if d not in (dim1, dim2)]
        shape = tuple(a.shape[d] for d in rest) + (length,)
        strides = tuple(a.strides[d] for d in rest) + (s1 + s2,)
        if length == 0 or a.size == 0:
            return np.empty(shape, a.dtype)
        start = [slice(None)] * a.ndim
        start[dim1], start[dim2] = slice(max(-offset, 0), None), slice(max(offset, 0), None)
        first = a[tuple(start)]
        return np.lib.stride_tricks.as_strided(first, shape, strides, writeable=a.flags.writeable)

    def view_positions(self, base, view):
        """For each element of view (an array sharing base's memory), its flat row-major index
        in base, as an int64 array of view's shape; None when view is not a view into base."""
        size = base.itemsize
        start = view.__array_interface__["data"][0] - base.__array_interface__["data"][0]
        if (view.dtype != base.dtype or start % size or any(s % size for s in view.strides + base.strides)
                or (view.size and not np.may_share_memory(base, view))):
            return None
        return layout_positions(base.shape, base.strides, base.flags.c_contiguous,
                                view.shape, view.strides, start, size)

    def writable_alias(self, root, view):
        """A writable array with view's layout over the same memory, for a view that NumPy made
        read-only only because it was taken from an expanded (broadcast) array; root is the
        writable array view lies in. None when there is no such array."""
        if not root.flags.writeable:
            return None
        positions = self.view_positions(root, view)
        if positions is None:
            return None
        if view.size == 0:
            return np.empty(view.shape, view.dtype)
        first = root[np.unravel_index(int(positions.reshape(-1)[0]), root.shape) + (Ellipsis,)]
        return np.lib.stride_tricks.as_strided(first, view.shape, view.strides)

    # ----- elementwise ----------------------------------------------------------------
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

    # ----- reductions -----------------------------------------------------------------
    def reduce(self, op: str, a, dims: tuple, keepdim: bool, dtype=None, last_on_ties: bool = False):
        """op over the axes dims (a tuple), keeping them as size 1 when keepdim.

        A zero result of amax/amin takes the sign of the first zero of its slice, or of the
        last one with last_on_ties (PyTorch's max()/min() of a whole tensor)."""
        if op in ("sum", "prod"):
            out = _REDUCE[op](a, axis=dims, keepdims=keepdim, dtype=None if dtype is None else dtype.np)
        elif op in ("all", "any"):
            out = _REDUCE[op](a.astype(bool, copy=False), axis=dims, keepdims=keepdim)
        else:
            out = _arr(_REDUCE[op](a, axis=dims, keepdims=keepdim))
            if out.dtype.kind == "f" and out.size and (out == 0).any():
                out = _signed_zero_of_ties(a, dims, out, last_on_ties)
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
        # The ufunc's own accumulate: np.cumprod's Python layer would attribute inf * 0
        # warnings to NumPy's frame, outside the filter on minitorch's frames.
        before = np.multiply.accumulate(np.concatenate([ones, np.take(a, range(n - 1), axis=dim)], axis=dim), axis=dim)
        rev = np.flip(a, dim)
        after = np.multiply.accumulate(np.concatenate([ones, np.take(rev, range(n - 1), axis=dim)], axis=dim), axis=dim)
        return before * np.flip(after, dim)

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
        """NumPy's matmul with its batch broadcasting, or MKL's GEMM when chosen (blas.py);
        the product of two matrices goes into a pooled buffer (large results are the
        training step's biggest temporaries)."""
        return _blas_matmul(a, b)

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
