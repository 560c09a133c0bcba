"""The backend interface: what a device implements so that every op runs on it.

A backend is an op table over the device's raw arrays (a NumPy array on the CPU, a
CudaArray on the GPU). Its **core** is small and required (the abstract methods below):
memory, views, elementwise math by op code, reductions, the matrix product and random
draws. Everything else the ops call is an **extra** with a default composed from the
core, so a new device starts from the core alone and overrides an extra only where a
fused kernel pays (the CPU and CUDA tables override nearly all of them). The defaults are
correct, not fast; a few (marked "host") round-trip through NumPy.

The extras live in mixins by family: ``defaults_nn.py`` (softmax, losses, activations,
dropout, embedding, layer norm), ``defaults_conv.py`` (convolution, pooling, batch norm),
``defaults_index.py`` (sorting, selection, scans, the diagonal view), ``defaults_linalg.py``
(factorizations and solves: host, LAPACK through numpy.linalg) and ``defaults_optim.py``
(the fused optimizer steps). tests/test_backend_conformance.py
runs the core's contract against every backend, and the whole op suite against a backend
that implements the core alone.

Conventions: ``dtype`` arguments are minitorch dtypes; shapes are tuples; a raw array
has ``.shape``, ``.ndim``, ``.size`` and a NumPy ``.dtype``.
"""
from __future__ import annotations

import abc

import numpy as np

from ..dtypes import FROM_NP, float64 as _float64, int64 as _int64
from .defaults_conv import ConvDefaults
from .defaults_index import IndexDefaults
from .defaults_linalg import LinalgDefaults
from .defaults_nn import NnDefaults
from .defaults_optim import OptimDefaults


def dtype_of(a):
    """The minitorch dtype of a raw array."""
    return FROM_NP[a.dtype]


class Backend(NnDefaults, ConvDefaults, IndexDefaults, LinalgDefaults, OptimDefaults, abc.ABC):
    """An op table. Subclasses set ``name`` and ``device`` and implement the core."""

    name: str = ""
    device = None

    # =============================== the core (required) =================================
    # ----- memory ---------------------------------------------------------------------
    @abc.abstractmethod
    def empty(self, shape, dtype):
        """An uninitialised array."""

    @abc.abstractmethod
    def full(self, shape, value, dtype):
        """An array filled with value (a Python number)."""

    @abc.abstractmethod
    def from_numpy(self, array: np.ndarray):
        """A device array with array's values (the array itself on the CPU)."""

    @abc.abstractmethod
    def to_numpy(self, a) -> np.ndarray:
        """a's values as a NumPy array (a itself on the CPU)."""

    @abc.abstractmethod
    def astype(self, a, dtype):
        """A copy of a converted to dtype (C casting rules, as PyTorch's)."""

    @abc.abstractmethod
    def copy_into(self, dst, src) -> None:
        """dst[...] = src: src broadcast to dst's shape and converted to its dtype."""

    # ----- views (share memory) -------------------------------------------------------
    @abc.abstractmethod
    def view(self, a, shape):
        """a with a new shape sharing its memory, or None when the layout needs a copy."""

    @abc.abstractmethod
    def permute(self, a, dims):
        """A view with the dims reordered."""

    @abc.abstractmethod
    def expand(self, a, shape):
        """A view broadcast to shape (stride 0 along the expanded dims)."""

    @abc.abstractmethod
    def getitem(self, a, index: tuple):
        """a[index] with NumPy's rules: ints, slices, None, Ellipsis give a view; index
        arrays (of this device) and bools a copy."""

    @abc.abstractmethod
    def setitem(self, a, index: tuple, value) -> None:
        """a[index] = value (an array of this device broadcast to the region, or a number)."""

    # ----- elementwise, by op code ----------------------------------------------------
    @abc.abstractmethod
    def unary(self, op: str, a):
        """The elementwise function op ("neg", "abs", "exp", "log", "sqrt", "rsqrt", "sin",
        "cos", "tanh", "sigmoid", "relu", "sign", "erf", "floor", "isnan", ...; the list is
        the CPU table's _UNARY, cpu/elementwise_ops.py) of a, in a's dtype (bool for the predicates)."""

    @abc.abstractmethod
    def binary(self, op: str, a, b, dtype):
        """op(a, b) ("add", "sub", "mul", "div", "floordiv", "remainder", "pow", "maximum",
        "minimum", "logical_*", "bitwise_*") with broadcasting, computed in and returning
        dtype; b may be a Python number."""

    @abc.abstractmethod
    def compare(self, op: str, a, b, dtype):
        """A bool array of op(a, b) ("eq", "ne", "lt", "le", "gt", "ge"), both compared as dtype."""

    @abc.abstractmethod
    def where(self, cond, a, b, dtype):
        """a where cond else b, broadcast, as dtype (a and b arrays or numbers)."""

    # ----- reductions and products ----------------------------------------------------
    @abc.abstractmethod
    def reduce(self, op: str, a, dims, keepdim: bool, dtype=None, last_on_ties: bool = False):
        """op ("sum", "prod", "amax", "amin", "all", "any") over the axes dims (None: all)."""

    @abc.abstractmethod
    def arg_reduce(self, op: str, a, dim: int, keepdim: bool):
        """int64 argmax/argmin along dim (first occurrence; NaN counts as the extreme)."""

    @abc.abstractmethod
    def matmul(self, a, b):
        """NumPy's matmul: matrix products with broadcast batch dims."""

    # ----- random numbers -------------------------------------------------------------
    @abc.abstractmethod
    def random_uniform(self, shape, dtype, low: float, high: float, generator=None):
        """Uniform draws on [low, high) from generator (None: this device's default)."""

    @abc.abstractmethod
    def random_normal(self, shape, dtype, mean: float, std: float, generator=None):
        """Normal draws N(mean, std^2) from generator (None: this device's default)."""

    # ============================ extras with default ====================================
    # ----- memory ---------------------------------------------------------------------
    def zeros(self, shape, dtype):
        return self.full(shape, 0, dtype)

    def copy(self, a):
        """A contiguous copy of a."""
        out = self.empty(a.shape, dtype_of(a))
        self.copy_into(out, a)
        return out

    def contiguous(self, a):
        """a laid out row-major without gaps (a itself when it is; here, always a copy)."""
        return self.copy(a)

    def fill(self, dst, value) -> None:
        self.copy_into(dst, self.full((), value, dtype_of(dst)))

    def scalar(self, a):
        """The one value of a one-element array, as a Python number."""
        return self.to_numpy(a).reshape(-1)[0].item()

    def can_adopt(self, tensor) -> bool:
        """Whether tensor's memory may become another tensor's without a copy (autograd adopts
        a leaf's first gradient this way). No by default: always correct."""
        return False

    def writable_alias(self, root, view):
        """A writable array over view's memory, when the device marks views of broadcast arrays
        read-only (NumPy does); None otherwise."""
        return None

    def view_positions(self, base, view):
        """For each element of view (sharing base's memory), its flat row-major index in base
        (int64 NumPy array of view's shape); None when the backend cannot tell. In-place ops
        on views of tensors that require grad need it."""
        return None

    def reshape(self, a, shape):
        out = self.view(a, shape)
        return out if out is not None else self.view(self.contiguous(a), shape)

    # ----- elementwise ----------------------------------------------------------------
    def rbinary(self, op: str, scalar, b, dtype):
        """op(scalar, b) for a Python-number left operand."""
        return self.binary(op, self.full((), scalar, dtype), b, dtype)

    def inplace(self, op: str, a, b) -> None:
        """a = op(a, b) in place, computed in a's dtype."""
        self.copy_into(a, self.binary(op, a, b, dtype_of(a)))

    def clamp(self, a, lo, hi):
        """min(max(a, lo), hi) with number bounds (either may be None); a kept on ties."""
        out, dtype = a, dtype_of(a)
        if lo is not None:
            out = self.where(self.compare("lt", out, lo, dtype), lo, out, dtype)
        if hi is not None:
            out = self.where(self.compare("gt", out, hi, dtype), hi, out, dtype)
        return self.copy(out) if out is a else out

    def relu_backward(self, grad, out):
        """grad where relu's output is positive, else 0."""
        return self.where(self.compare("gt", out, 0, dtype_of(out)), grad, 0, dtype_of(grad))

    def tanh_backward(self, grad, out):
        """grad * (1 - out * out)."""
        dt = dtype_of(grad)
        return self.binary("mul", grad, self.rbinary("sub", 1, self.binary("mul", out, out, dt), dt), dt)

    def sigmoid_backward(self, grad, out):
        """grad * (1 - out) * out."""
        dt = dtype_of(grad)
        return self.binary("mul", self.binary("mul", grad, self.rbinary("sub", 1, out, dt), dt), out, dt)

    # ----- reductions -----------------------------------------------------------------
    def mean(self, a, dims, keepdim: bool, dtype):
        total = self.reduce("sum", a, dims, keepdim, dtype)
        count = a.size if dims is None else int(np.prod([a.shape[d] for d in dims]))
        return self.binary("div", total, count, dtype)

    def var(self, a, dims, correction, keepdim: bool):
        """sum((a - mean)^2) / (count - correction) (NaN without degrees of freedom)."""
        dt = dtype_of(a)
        count = a.size if dims is None else int(np.prod([a.shape[d] for d in dims]))
        centered = self.binary("sub", a, self.mean(a, dims, True, dt), dt)
        squares = self.reduce("sum", self.binary("mul", centered, centered, dt), dims, keepdim, dt)
        dof = max(count - correction, 0)
        return self.binary("div", squares, dof if dof else float("nan"), dt)

    def logsumexp_lastdim(self, a):
        """log(sum(exp(a))) over the last axis of a 2-D array with at least one column."""
        dt = dtype_of(a)
        top = self.reduce("amax", a, (1,), True)
        finite = self.where(self.unary("isinf", top), 0, top, dt)
        s = self.reduce("sum", self.unary("exp", self.binary("sub", a, finite, dt)), (1,), False, dt)
        return self.binary("add", self.unary("log", s), self.view(finite, (a.shape[0],)), dt)

    def take_along(self, a, index, dim: int):
        """NumPy's take_along_axis (host)."""
        return self.from_numpy(np.take_along_axis(self.to_numpy(a), self.to_numpy(index), axis=dim))

    def prod_of_others(self, a, dim: int):
        """For each element, the product of the others along dim (host: exclusive products)."""
        host = self.to_numpy(a)
        n = host.shape[dim]
        moved = np.moveaxis(host, dim, -1)
        out = np.empty_like(moved)
        for k in range(n):
            others = np.concatenate([moved[..., :k], moved[..., k + 1:]], axis=-1)
            out[..., k] = np.multiply.reduce(others, axis=-1)
        return self.from_numpy(np.ascontiguousarray(np.moveaxis(out, -1, dim)))

    # ----- products -------------------------------------------------------------------
    def addmm(self, bias, a, b):
        """bias + a @ b, the bias broadcast to the product's shape."""
        out = self.matmul(a, b)
        self.inplace("add", out, bias)
        return out

    # ----- indexing -------------------------------------------------------------------
    def index_put_add(self, out, index, values) -> None:
        """out[index] += values, repeated indices accumulating (host)."""
        host = self.to_numpy(out).copy()
        idx = tuple(self.to_numpy(i) if not isinstance(i, (slice, int)) and i is not None else i
                    for i in (index if isinstance(index, tuple) else (index,)))
        np.add.at(host, idx, self.to_numpy(values))
        self.copy_into(out, self.from_numpy(host))

    def gather(self, a, dim: int, index):
        """out[..., i, ...] = a[..., index[..., i, ...], ...] along dim (index may be smaller
        than a in the other dims) (host)."""
        host, idx = self.to_numpy(a), self.to_numpy(index)
        window = tuple(slice(0, s) if i != dim else slice(None) for i, s in enumerate(idx.shape))
        return self.from_numpy(np.take_along_axis(host[window], idx, axis=dim))

    def scatter_add(self, out, dim: int, index, src) -> None:
        """out[..., index[..., i, ...], ...] += src[..., i, ...] along dim (host)."""
        host, idx, values = self.to_numpy(out).copy(), self.to_numpy(index), self.to_numpy(src)
        coords = list(np.indices(idx.shape, sparse=True))
        coords[dim] = idx
        np.add.at(host, tuple(coords), values[tuple(slice(0, s) for s in idx.shape)])
        self.copy_into(out, self.from_numpy(host))

    def concatenate(self, arrays, dim: int, dtype):
        """The arrays joined along dim, as dtype."""
        shape = list(arrays[0].shape)
        shape[dim] = sum(a.shape[dim] for a in arrays)
        out = self.empty(tuple(shape), dtype)
        start = 0
        for a in arrays:
            region = (slice(None),) * dim + (slice(start, start + a.shape[dim]),)
            self.setitem(out, region, a)
            start += a.shape[dim]
        return out

    def stack(self, arrays, dim: int, dtype):
        """The arrays (of one shape) stacked along a new dim, as dtype."""
        shape = arrays[0].shape
        expanded = [self.reshape(a, shape[:dim] + (1,) + shape[dim:]) for a in arrays]
        return self.concatenate(expanded, dim, dtype)

    def nonzero(self, a):
        """A tuple of int64 index arrays, one per dim, of a's non-zero elements (host)."""
        return tuple(self.from_numpy(i.astype(np.int64)) for i in np.nonzero(self.to_numpy(a)))

    def tile(self, a, reps):
        """a repeated reps[i] times along each dim (reps as long as a's ndim)."""
        shape = a.shape
        interleaved = tuple(x for s in shape for x in (1, s))
        target = tuple(x for r, s in zip(reps, shape) for x in (r, s))
        tiled = self.expand(self.reshape(a, interleaved), target)
        return self.reshape(self.copy(tiled), tuple(r * s for r, s in zip(reps, shape)))

    def flip(self, a, dims):
        """A contiguous copy of a reversed along dims."""
        index = tuple(slice(None, None, -1) if d in dims else slice(None) for d in range(a.ndim))
        return self.copy(self.getitem(a, index))

    # ----- random numbers -------------------------------------------------------------
    def random_bernoulli(self, p, generator=None):
        """A bool array: True where a float64 uniform draw is below p (an array)."""
        u = self.random_uniform(p.shape, _float64, 0.0, 1.0, generator)
        return self.compare("lt", u, p, _float64)

    def random_integers(self, shape, low: int, high: int, generator=None):
        """int64 draws uniform on [low, high)."""
        u = self.random_uniform(shape, _float64, 0.0, 1.0, generator)
        scaled = self.binary("add", self.binary("mul", u, float(high - low), _float64), float(low), _float64)
        return self.astype(self.unary("floor", scaled), _int64)

    def random_permutation(self, n: int, generator=None):
        """A random permutation of 0..n-1 (int64)."""
        u = self.random_uniform((n,), _float64, 0.0, 1.0, generator)
        return self.from_numpy(np.argsort(self.to_numpy(u), kind="stable").astype(np.int64))

    def random_int64(self, generator=None) -> int:
        """A random non-negative int64, as a Python int (two 31-bit draws and one 1-bit)."""
        parts = self.to_numpy(self.random_integers((3,), 0, 2 ** 31, generator))
        return (int(parts[0]) << 32 | int(parts[1]) << 1 | int(parts[2]) & 1) & (2 ** 63 - 1)

    def random_exponential(self, shape, dtype, generator=None):
        """Exp(1) draws: -log1p(-u) of float64 uniforms, as dtype."""
        u = self.random_uniform(shape, _float64, 0.0, 1.0, generator)
        return self.astype(self.binary("mul", self.unary("log1p", self.binary("mul", u, -1, _float64)), -1,
                                       _float64), dtype)

    def random_multinomial(self, probs, num_samples: int, generator=None):
        """Draws with replacement from each row of probs (rows, k): int64 (rows, num_samples) (host)."""
        p = self.to_numpy(probs).astype(np.float64)
        cdf = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
        u = self.to_numpy(self.random_uniform((p.shape[0], num_samples), _float64, 0.0, 1.0, generator))
        out = np.stack([np.searchsorted(cdf[r], u[r], side="right") for r in range(p.shape[0])])
        return self.from_numpy(np.minimum(out, p.shape[1] - 1).astype(np.int64))
