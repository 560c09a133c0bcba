"""Hypothesis strategies and comparison helpers shared by the op tests.

Arrays are generated as NumPy arrays and turned into minitorch tensors with a
drawn memory layout, so that every op is exercised on contiguous *and*
non-contiguous inputs:

* ``"contiguous"`` - ``minitorch.tensor(arr)``
* ``"strided"``    - a larger tensor (filled with a sentinel) sliced with a
  start offset and steps ``1..3`` on every dim
* ``"permuted"``   - the transposed array made contiguous, ``permute``-d back
* ``"expanded"``   - some dims drawn with size 1 (and/or missing leading dims)
  and ``expand``-ed to the full shape (stride 0)

``tensors(...)`` draws ``(numpy_array, minitorch_tensor)`` pairs holding the
same values.  torch tensors are built from the NumPy array (``to_torch``).
"""
import math
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minitorch
from tests._compat import torch

# ---------------------------------------------------------------------------
# settings
# ---------------------------------------------------------------------------
_SCALE = float(os.environ.get("MINITORCH_HYPOTHESIS_SCALE", "1"))


def hsettings(max_examples=30, **kwargs):
    """Hypothesis settings used by the op tests: modest example counts, no deadline
    (numba compiles kernels lazily, so first calls are slow)."""
    return settings(
        max_examples=max(1, int(max_examples * _SCALE)),
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
        **kwargs,
    )


# ---------------------------------------------------------------------------
# dtypes
# ---------------------------------------------------------------------------
FLOAT_DTYPES = ("float32", "float64")
INT_DTYPES = ("int32", "int64")
NUMERIC_DTYPES = FLOAT_DTYPES + INT_DTYPES
ALL_DTYPES = NUMERIC_DTYPES + ("bool",)


def mdt(name):
    """minitorch dtype object for a dtype name."""
    return getattr(minitorch, name)


def tdt(name):
    """torch dtype object for a dtype name."""
    return getattr(torch, name)


def dtype_name(dt):
    """'float32' for minitorch.float32 / torch.float32 (they print as 'torch.float32')."""
    return str(dt).split(".")[-1]


# ---------------------------------------------------------------------------
# shapes
# ---------------------------------------------------------------------------
def shapes(min_dims=0, max_dims=4, min_side=0, max_side=5):
    """Shapes of 0-d to 4-d tensors with sizes 0..5 (empty dims included by default)."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def nonempty_shapes(min_dims=0, max_dims=4, max_side=5):
    return shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=max_side)


def broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, min_side=0, max_side=5):
    """Tuples of ``num_shapes`` mutually broadcastable shapes."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=num_shapes, min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    ).map(lambda r: tuple(r.input_shapes))


def numel_of(shape):
    return int(np.prod(shape, dtype=np.int64)) if len(shape) else 1


def dims_of(ndim):
    """Strategy for a valid (possibly negative) dim of an ``ndim``-d tensor (0-d tensors accept 0/-1)."""
    n = max(ndim, 1)
    return st.integers(-n, n - 1)


def dim_tuples(ndim, min_size=1):
    """Strategy for tuples of distinct dims (possibly negative)."""
    n = max(ndim, 1)

    @st.composite
    def _draw(draw):
        dims = draw(st.lists(st.integers(0, n - 1), min_size=min(min_size, n), max_size=n, unique=True))
        return tuple(d - n if draw(st.booleans()) else d for d in dims)

    return _draw()


# ---------------------------------------------------------------------------
# elements / arrays
# ---------------------------------------------------------------------------
def _f32_inward(x, up):
    """Nearest float32 to ``x`` on the inside of the range (hypothesis needs exact bounds)."""
    f = np.float32(x)
    if up and float(f) < x:
        f = np.nextafter(f, np.float32(np.inf))
    if not up and float(f) > x:
        f = np.nextafter(f, np.float32(-np.inf))
    return float(f)


def _float_range(lo, hi, width):
    if width == 32:
        lo, hi = _f32_inward(lo, True), _f32_inward(hi, False)
    return st.floats(lo, hi, width=width, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def elements(dtype, lo=None, hi=None, min_abs=0):
    """Element strategy.  Floats default to [-10, 10], ints to [-9, 9].
    ``min_abs`` keeps values away from zero (divisors, abs/relu kinks)."""
    if dtype == "bool":
        return st.booleans()
    if dtype in INT_DTYPES:
        lo = -9 if lo is None else int(math.ceil(lo))
        hi = 9 if hi is None else int(math.floor(hi))
        if min_abs:
            m = int(math.ceil(min_abs))
            parts = []
            if hi >= m:
                parts.append(st.integers(max(lo, m), hi))
            if lo <= -m:
                parts.append(st.integers(lo, min(hi, -m)))
            return st.one_of(*parts)
        return st.integers(lo, hi)
    width = 32 if dtype == "float32" else 64
    lo = -10.0 if lo is None else float(lo)
    hi = 10.0 if hi is None else float(hi)
    if min_abs:
        parts = []
        if hi >= min_abs:
            parts.append(_float_range(max(lo, min_abs), hi, width))
        if lo <= -min_abs:
            parts.append(_float_range(lo, min(hi, -min_abs), width))
        return st.one_of(*parts)
    return _float_range(lo, hi, width)


def arrays(dtype, shape, lo=None, hi=None, min_abs=0, unique=False):
    """NumPy arrays of ``dtype`` (a name) and ``shape`` with controlled values."""
    return hnp.arrays(np.dtype(dtype), shape, elements=elements(dtype, lo, hi, min_abs), unique=unique)


def scalars(kind, lo=-5, hi=5, min_abs=0):
    """Python scalars: kind in {'int', 'float', 'bool'}."""
    if kind == "bool":
        return st.booleans()
    if kind == "int":
        return elements("int64", lo, hi, min_abs)
    return elements("float64", lo, hi, min_abs).map(lambda v: float(np.float32(v)))


# ---------------------------------------------------------------------------
# layouts
# ---------------------------------------------------------------------------
LAYOUTS = ("contiguous", "strided", "permuted", "expanded")
_SENTINEL = {"float32": -7777.0, "float64": -7777.0, "float16": -7777.0, "int8": -77, "int16": -7777, "uint8": 77, "int32": -7777, "int64": -7777, "bool": True}


def mt(arr, dtype=None):
    """minitorch tensor (contiguous) holding a copy of ``arr``."""
    arr = np.array(arr, copy=True)
    if dtype is None:
        return minitorch.tensor(arr)
    return minitorch.tensor(arr, dtype=mdt(dtype) if isinstance(dtype, str) else dtype)


def to_torch(arr, requires_grad=False):
    t = torch.from_numpy(np.array(arr, copy=True))
    if requires_grad:
        t.requires_grad_(True)
    return t


def to_numpy(t):
    """Values of a minitorch or torch tensor as a NumPy array (works with requires_grad)."""
    return np.asarray(t.detach().numpy())


@st.composite
def layout_of(draw, arr, layout=None):
    """Turn ``arr`` into a minitorch tensor with the same values and a drawn layout
    ("contiguous", "strided" or "permuted"; see ``tensors`` for "expanded")."""
    if layout is None:
        layout = draw(st.sampled_from(("contiguous", "strided", "permuted")))
    arr = np.asarray(arr)
    if layout == "contiguous" or arr.ndim == 0:
        return mt(arr)
    if layout == "strided":
        steps = draw(st.lists(st.integers(1, 3), min_size=arr.ndim, max_size=arr.ndim))
        offs = draw(st.lists(st.integers(0, 1), min_size=arr.ndim, max_size=arr.ndim))
        if all(s == 1 for s in steps):
            steps[draw(st.integers(0, arr.ndim - 1))] = 2
        big_shape = tuple(o + max(s * n, 1) for o, s, n in zip(offs, steps, arr.shape))
        big = np.full(big_shape, _SENTINEL[arr.dtype.name], dtype=arr.dtype)
        idx = tuple(slice(o, o + s * n, s) for o, s, n in zip(offs, steps, arr.shape))
        big[idx] = arr
        t = mt(big)[idx]
        return t
    if layout == "permuted":
        perm = draw(st.permutations(range(arr.ndim)))
        base = np.ascontiguousarray(arr.transpose(perm))
        inv = [int(i) for i in np.argsort(perm)]
        return mt(base).permute(*inv)
    raise ValueError(layout)


@st.composite
def tensors(draw, shape=None, dtype="float32", lo=None, hi=None, min_abs=0, unique=False, layouts=LAYOUTS):
    """Draw ``(numpy_array, minitorch_tensor)`` with equal values and a drawn layout.

    ``shape`` may be a shape, a strategy of shapes or None (drawn from ``shapes()``);
    ``dtype`` a name or a strategy of names.
    """
    if shape is None:
        shape = draw(shapes())
    elif isinstance(shape, st.SearchStrategy):
        shape = draw(shape)
    if not isinstance(dtype, str):
        dtype = draw(dtype)
    shape = tuple(shape)
    layout = draw(st.sampled_from(layouts))
    if layout == "expanded" and (unique or len(shape) == 0):
        layout = "contiguous"
    if layout == "expanded":
        lead = draw(st.integers(0, len(shape)))
        rest = shape[lead:]
        collapse = draw(st.lists(st.booleans(), min_size=len(rest), max_size=len(rest)))
        if lead == 0 and rest and not any(collapse):
            collapse[draw(st.integers(0, len(rest) - 1))] = True
        base_shape = tuple(1 if c else s for c, s in zip(collapse, rest))
        base = draw(arrays(dtype, base_shape, lo, hi, min_abs))
        arr = np.ascontiguousarray(np.broadcast_to(base, shape))
        t = mt(base).expand(*shape)
        return arr, t
    arr = draw(arrays(dtype, shape, lo, hi, min_abs, unique))
    return arr, draw(layout_of(arr, layout))


def grad_leaf(t):
    """Make a minitorch tensor (possibly a non-contiguous view) a leaf that requires grad."""
    t = t.detach()
    t.requires_grad = True
    return t


# ---------------------------------------------------------------------------
# reshape targets and index expressions
# ---------------------------------------------------------------------------
def _prime_factors(n):
    out, p = [], 2
    while n > 1 and p * p <= n:
        while n % p == 0:
            out.append(p)
            n //= p
        p += 1
    if n > 1:
        out.append(n)
    return out


@st.composite
def reshape_targets(draw, shape, allow_minus_one=True):
    """A shape with the same number of elements (possibly with one -1)."""
    n = numel_of(shape)
    if n == 0:
        dims = draw(st.lists(st.integers(0, 5), min_size=1, max_size=4))
        dims[draw(st.integers(0, len(dims) - 1))] = 0
    else:
        k = draw(st.integers(0 if n == 1 else 1, 4))
        dims = [1] * k
        for f in _prime_factors(n):
            dims[draw(st.integers(0, k - 1))] *= f
        for _ in range(draw(st.integers(0, 1))):
            dims.insert(draw(st.integers(0, len(dims))), 1)
    if allow_minus_one and dims and n > 0 and draw(st.booleans()):
        dims[draw(st.integers(0, len(dims) - 1))] = -1
    return tuple(dims)


@st.composite
def basic_index(draw, shape):
    """Index items: ints, slices (any start/stop incl. out of range, step 1..3), None, Ellipsis."""
    items = []
    for d in range(draw(st.integers(0, len(shape)))):
        s = shape[d]
        kind = draw(st.sampled_from(["int", "slice", "full"] if s > 0 else ["slice", "full"]))
        if kind == "int":
            items.append(("int", draw(st.integers(-s, s - 1))))
        elif kind == "slice":
            start = draw(st.none() | st.integers(-s - 2, s + 2))
            stop = draw(st.none() | st.integers(-s - 2, s + 2))
            step = draw(st.none() | st.integers(1, 3))
            items.append(("slice", start, stop, step))
        else:
            items.append(("slice", None, None, None))
    if draw(st.booleans()):
        i = draw(st.integers(0, len(items)))
        j = draw(st.integers(i, len(items)))
        items[i:j] = [("ellipsis",)]
    for _ in range(draw(st.integers(0, 2))):
        items.insert(draw(st.integers(0, len(items))), ("none",))
    return items


@st.composite
def advanced_index(draw, shape):
    """One or two integer index tensors (broadcast together, negative values allowed)
    mixed with ints/slices on other dims, optionally separated by a slice."""
    nonzero = [d for d, s in enumerate(shape) if s > 0]
    assume(nonzero)
    n_adv = draw(st.integers(1, min(2, len(nonzero))))
    positions = sorted(draw(st.lists(st.sampled_from(nonzero), min_size=n_adv, max_size=n_adv, unique=True)))
    idx_shapes = draw(broadcastable_shapes(n_adv, min_dims=0, max_dims=2, min_side=0, max_side=3))
    items = []
    for d in range(positions[-1] + 1):
        s = shape[d]
        if d in positions:
            ishape = idx_shapes[positions.index(d)]
            vals = draw(
                st.lists(st.integers(-s, s - 1), min_size=numel_of(ishape), max_size=numel_of(ishape))
            )
            items.append(("tensor", np.array(vals, dtype=np.int64).reshape(ishape)))
        else:
            kind = draw(st.sampled_from(["full", "slice", "int"] if s > 0 else ["full"]))
            if kind == "int":
                items.append(("int", draw(st.integers(-s, s - 1))))
            elif kind == "slice":
                items.append(("slice", draw(st.none() | st.integers(-s, s)), None, draw(st.none() | st.integers(1, 2))))
            else:
                items.append(("slice", None, None, None))
    if draw(st.booleans()):
        items.append(("ellipsis",))
    return items


@st.composite
def mask_index(draw, shape):
    """A bool mask covering dims k..k+m-1 (after k full slices)."""
    assume(len(shape) >= 1)
    k = draw(st.integers(0, min(1, len(shape) - 1)))
    m = draw(st.integers(1, len(shape) - k))
    mshape = tuple(shape[k : k + m])
    vals = draw(st.lists(st.booleans(), min_size=numel_of(mshape), max_size=numel_of(mshape)))
    return [("slice", None, None, None)] * k + [("mask", np.array(vals, dtype=bool).reshape(mshape))]


def build_index(items, lib, as_tuple=True):
    out = []
    for it in items:
        kind = it[0]
        if kind == "int":
            out.append(it[1])
        elif kind == "slice":
            out.append(slice(it[1], it[2], it[3]))
        elif kind == "none":
            out.append(None)
        elif kind == "ellipsis":
            out.append(Ellipsis)
        elif kind in ("tensor", "mask"):
            out.append(to_torch(it[1]) if lib == "torch" else mt(it[1]))
    if not as_tuple and len(out) == 1:
        return out[0]
    return tuple(out)


@st.composite
def broadcast_to_shape(draw, shape):
    """A shape that broadcasts to ``shape`` (a suffix with some dims set to 1)."""
    k = draw(st.integers(0, len(shape)))
    suffix = list(shape[len(shape) - k :])
    return tuple(1 if draw(st.booleans()) else s for s in suffix)


# ---------------------------------------------------------------------------
# comparisons
# ---------------------------------------------------------------------------
def assert_same(m, t, rtol=1e-6, atol=1e-6, check_dtype=True):
    """minitorch result ``m`` equals torch result ``t``: shape, dtype and values
    (floats within tolerance, NaNs equal; ints and bools exactly)."""
    assert isinstance(m, minitorch.Tensor), f"expected a minitorch.Tensor, got {type(m)}"
    assert tuple(m.shape) == tuple(t.shape), f"shape {tuple(m.shape)} != torch {tuple(t.shape)}"
    if check_dtype:
        assert str(m.dtype) == str(t.dtype), f"dtype {m.dtype} != torch {t.dtype}"
    mv, tv = to_numpy(m), to_numpy(t)
    assert mv.shape == tv.shape
    if tv.dtype.kind == "f" and mv.dtype.kind == "f":
        np.testing.assert_allclose(mv, tv, rtol=rtol, atol=atol, equal_nan=True)
    else:
        np.testing.assert_array_equal(mv, tv)


def _expected_exc_type(e):
    """The builtin class minitorch must raise where torch raised ``e``.  torch's
    'not implemented for dtype' NotImplementedError is only required to be a RuntimeError."""
    for cls in type(e).__mro__:
        if cls.__module__ == "builtins":
            if cls is NotImplementedError:
                return RuntimeError
            return cls
    return Exception


def differential(m_fn, t_fn, **tol):
    """Run ``t_fn`` (torch) and ``m_fn`` (minitorch).  If torch raises, minitorch must raise
    the same builtin exception type; otherwise results must match (``assert_same``).
    Tuple/list results are compared elementwise.  Returns the torch result (or None)."""
    try:
        expected = t_fn()
    except Exception as e:  # noqa: BLE001 - we mirror whatever torch does
        with pytest.raises(_expected_exc_type(e)):
            m_fn()
        return None
    got = m_fn()
    compare(got, expected, **tol)
    return expected


def compare(got, expected, **tol):
    if isinstance(expected, (tuple, list)):
        assert isinstance(got, (tuple, list)), f"expected a sequence, got {type(got)}"
        assert len(got) == len(expected), f"{len(got)} results != torch {len(expected)}"
        for g, e in zip(got, expected):
            compare(g, e, **tol)
    elif hasattr(expected, "shape") and hasattr(expected, "dtype"):  # a torch tensor (or the NumPy reference's)
        assert_same(got, expected, **tol)
    else:
        assert type(got) is type(expected), f"{type(got)} != torch {type(expected)}"
        assert got == expected or (got != got and expected != expected)


def reduction_tol(arr, base=1e-5):
    """Tolerances for float32 reductions: relative ``base`` plus an absolute part that scales
    with the magnitude of the summed values (summation order differs from torch's)."""
    a = np.abs(np.asarray(arr, dtype=np.float64))
    scale = float(a.sum()) if a.size else 0.0
    if np.asarray(arr).dtype == np.float64:
        return dict(rtol=1e-10, atol=1e-12 * max(1.0, scale))
    return dict(rtol=base, atol=base * max(1.0, scale) * 0.1 + base)
