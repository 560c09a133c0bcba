"""matmul / @ / mm / bmm against torch: the 1-D rules, batch broadcasting, empty dims,
non-contiguous operands, dtypes and error cases."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitorch
from tests._compat import requires_torch, torch
from tests.strategies import (
    NUMERIC_DTYPES,
    assert_same,
    broadcastable_shapes,
    differential,
    hsettings,
    mt,
    tensors,
    to_torch,
)

MATMUL_DTYPES = NUMERIC_DTYPES


@st.composite
def matmul_shapes(draw, kinds=("1d@1d", "1d@2d", "2d@1d", "2d@2d", "batched", "1d@batched", "batched@1d")):
    kind = draw(st.sampled_from(kinds))
    n, k, m = (draw(st.integers(0, 5)) for _ in range(3))
    ba, bb = draw(broadcastable_shapes(2, min_dims=0, max_dims=2, min_side=1, max_side=3))
    if kind == "1d@1d":
        return (k,), (k,)
    if kind == "1d@2d":
        return (k,), (k, m)
    if kind == "2d@1d":
        return (n, k), (k,)
    if kind == "2d@2d":
        return (n, k), (k, m)
    if kind == "batched":
        return tuple(ba) + (n, k), tuple(bb) + (k, m)
    if kind == "1d@batched":
        return (k,), tuple(bb) + (k, m)
    return tuple(ba) + (n, k), (k,)


def _tol(a, b):
    """|A| @ |B| bounds the accumulated rounding error of the dot products."""
    if a.dtype == np.float64:
        return dict(rtol=1e-12, atol=1e-12)
    bound = np.abs(a.astype(np.float64)) @ np.abs(b.astype(np.float64))
    scale = float(np.max(bound)) if np.size(bound) else 0.0
    return dict(rtol=1e-5, atol=1e-6 * max(1.0, scale))


def _operands(data, sa, sb, dtype):
    lo, hi = (-2, 2) if dtype.startswith("float") else (-5, 5)
    a_arr, a = data.draw(tensors(sa, dtype, lo, hi), label="a")
    b_arr, b = data.draw(tensors(sb, dtype, lo, hi), label="b")
    return a_arr, a, b_arr, b


@requires_torch
@pytest.mark.parametrize("form", ["operator", "function", "method"])
@hsettings(50)
@given(data=st.data())
def test_matmul_matches_torch(form, data):
    dtype = data.draw(st.sampled_from(MATMUL_DTYPES), label="dtype")
    sa, sb = data.draw(matmul_shapes(), label="shapes")
    a_arr, a, b_arr, b = _operands(data, sa, sb, dtype)
    ta, tb = to_torch(a_arr), to_torch(b_arr)
    if form == "operator":
        got, want = a @ b, ta @ tb
    elif form == "function":
        got, want = minitorch.matmul(a, b), torch.matmul(ta, tb)
    else:
        got, want = a.matmul(b), ta.matmul(tb)
    assert_same(got, want, **_tol(a_arr, b_arr))


@requires_torch
@pytest.mark.parametrize("form", ["function", "method"])
@hsettings(30)
@given(data=st.data())
def test_mm_matches_torch(form, data):
    dtype = data.draw(st.sampled_from(MATMUL_DTYPES), label="dtype")
    sa, sb = data.draw(matmul_shapes(kinds=("2d@2d",)), label="shapes")
    a_arr, a, b_arr, b = _operands(data, sa, sb, dtype)
    ta, tb = to_torch(a_arr), to_torch(b_arr)
    got, want = (minitorch.mm(a, b), torch.mm(ta, tb)) if form == "function" else (a.mm(b), ta.mm(tb))
    assert_same(got, want, **_tol(a_arr, b_arr))


@requires_torch
@pytest.mark.parametrize("form", ["function", "method"])
@hsettings(30)
@given(data=st.data())
def test_bmm_matches_torch(form, data):
    dtype = data.draw(st.sampled_from(MATMUL_DTYPES), label="dtype")
    bsz, n, k, m = (data.draw(st.integers(0, 4), label=lbl) for lbl in ("batch", "n", "k", "m"))
    a_arr, a, b_arr, b = _operands(data, (bsz, n, k), (bsz, k, m), dtype)
    ta, tb = to_torch(a_arr), to_torch(b_arr)
    got, want = (minitorch.bmm(a, b), torch.bmm(ta, tb)) if form == "function" else (a.bmm(b), ta.bmm(tb))
    assert_same(got, want, **_tol(a_arr, b_arr))


@requires_torch
@pytest.mark.parametrize(
    "sa, sb",
    [
        ((3,), (4,)),  # 1-d inner mismatch
        ((2, 3), (4, 5)),  # 2-d inner mismatch
        ((2, 3), (4,)),
        ((3,), (4, 5)),
        ((2, 2, 3), (3, 2, 4)),  # batch dims do not broadcast
        ((), (3,)),  # 0-d operand
        ((3,), ()),
    ],
)
def test_matmul_shape_errors_raise_like_torch(sa, sb):
    a, b = np.ones(sa, np.float32), np.ones(sb, np.float32)
    differential(lambda: mt(a) @ mt(b), lambda: to_torch(a) @ to_torch(b))
    differential(lambda: minitorch.matmul(mt(a), mt(b)), lambda: torch.matmul(to_torch(a), to_torch(b)))


@requires_torch
@pytest.mark.parametrize(
    "sa, sb",
    [((3,), (3, 2)), ((2, 3), (3,)), ((2, 2, 3), (2, 3, 2)), ((2, 3), (4, 2))],
)
def test_mm_requires_2d_matrices(sa, sb):
    a, b = np.ones(sa, np.float32), np.ones(sb, np.float32)
    differential(lambda: minitorch.mm(mt(a), mt(b)), lambda: torch.mm(to_torch(a), to_torch(b)))


@requires_torch
@pytest.mark.parametrize(
    "sa, sb",
    [((2, 3), (3, 2)), ((2, 2, 3), (1, 3, 2)), ((2, 2, 3), (2, 4, 2)), ((2, 2, 3), (3, 2))],
)
def test_bmm_requires_equal_batches(sa, sb):
    a, b = np.ones(sa, np.float32), np.ones(sb, np.float32)
    differential(lambda: minitorch.bmm(mt(a), mt(b)), lambda: torch.bmm(to_torch(a), to_torch(b)))


@requires_torch
@pytest.mark.parametrize("da, db", [("float32", "float64"), ("float32", "int64"), ("int64", "int32"), ("float64", "float32")])
def test_matmul_mixed_dtypes_like_torch(da, db):
    a = np.arange(6).reshape(2, 3).astype(da)
    b = np.arange(6).reshape(3, 2).astype(db)
    differential(lambda: mt(a) @ mt(b), lambda: to_torch(a) @ to_torch(b))
    differential(lambda: minitorch.mm(mt(a), mt(b)), lambda: torch.mm(to_torch(a), to_torch(b)))


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32"])
def test_matmul_against_numpy_without_torch(dtype):
    """Runs without torch: 1-d/2-d/batched rules against numpy.matmul, incl. transposed operands."""
    rng = np.random.default_rng(0)
    a = rng.integers(-4, 5, size=(3, 1, 2, 4)).astype(dtype)
    b = rng.integers(-4, 5, size=(5, 4, 3)).astype(dtype)
    np.testing.assert_allclose((mt(a) @ mt(b)).numpy(), a @ b, rtol=1e-6)
    assert tuple((mt(a) @ mt(b)).shape) == (3, 5, 2, 3)
    v = rng.integers(-4, 5, size=(4,)).astype(dtype)
    np.testing.assert_allclose((mt(v) @ mt(b)).numpy(), v @ b, rtol=1e-6)
    np.testing.assert_allclose((mt(a) @ mt(v)).numpy(), a @ v, rtol=1e-6)
    r = mt(v) @ mt(v)
    assert tuple(r.shape) == ()
    np.testing.assert_allclose(r.numpy(), v @ v, rtol=1e-6)
    m = rng.integers(-4, 5, size=(4, 3)).astype(dtype)
    np.testing.assert_allclose((mt(m).t() @ mt(m)).numpy(), m.T @ m, rtol=1e-6)
    np.testing.assert_allclose(minitorch.mm(mt(m.T.copy()).t(), mt(m).t()).numpy(), m @ m.T, rtol=1e-6)
