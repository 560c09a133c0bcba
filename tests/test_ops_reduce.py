"""Reductions against torch: sum, mean, prod, var, std, max/min, argmax/argmin, logsumexp,
all, any -- whole tensor, ``dim`` as int or tuple, ``keepdim``, function and method forms,
contiguous and non-contiguous inputs, result dtypes (int sums promote to int64, ...)."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitorch
from tests._compat import requires_torch, torch
from tests.strategies import (
    ALL_DTYPES,
    FLOAT_DTYPES,
    NUMERIC_DTYPES,
    assert_same,
    differential,
    dim_tuples,
    dims_of,
    hsettings,
    mt,
    reduction_tol,
    shapes,
    tensors,
    to_torch,
)

FORMS = ["function", "method"]

# var/std with too few elements warn (in torch and, possibly, minitorch); the value (nan) is what we check
pytestmark = pytest.mark.filterwarnings("ignore:.*degrees of freedom:UserWarning")


def call(mod, x, name, form, args=(), kwargs=None):
    kwargs = kwargs or {}
    if form == "method":
        return getattr(x, name)(*args, **kwargs)
    return getattr(mod, name)(x, *args, **kwargs)


@st.composite
def reduce_args(draw, ndim, allow_none=True, allow_tuple=True):
    """(args, kwargs) for a reduction over the whole tensor, one dim or a tuple of dims."""
    modes = (["none"] if allow_none else []) + ["int"] + (["tuple"] if allow_tuple else [])
    mode = draw(st.sampled_from(modes))
    if mode == "none":
        return (), {}
    dim = draw(dims_of(ndim)) if mode == "int" else draw(dim_tuples(ndim))
    keepdim = draw(st.booleans())
    style = draw(st.sampled_from(["kw", "pos", "dim_only"]))
    if style == "kw":
        return (), {"dim": dim, "keepdim": keepdim}
    if style == "pos":
        return (dim, keepdim), {}
    return (dim,), {}


def _tol_sum(arr):
    return reduction_tol(arr)


def _tol_mean(arr):
    a = np.abs(np.asarray(arr, dtype=np.float64))
    m = float(a.max()) if a.size else 0.0
    if np.asarray(arr).dtype == np.float64:
        return dict(rtol=1e-10, atol=1e-12 * max(m, 1.0))
    return dict(rtol=1e-5, atol=1e-5 * max(m, 1.0))


def _tol_var(arr):
    a = np.asarray(arr, dtype=np.float64)
    m2 = float((a * a).mean()) if a.size else 0.0
    if np.asarray(arr).dtype == np.float64:
        return dict(rtol=1e-9, atol=1e-11 * max(m2, 1.0))
    return dict(rtol=1e-5, atol=1e-5 * max(m2, 1e-2))


# ---------------------------------------------------------------------------
# sum / mean / prod
# ---------------------------------------------------------------------------
@requires_torch
@pytest.mark.parametrize("form", FORMS)
@hsettings(40)
@given(data=st.data())
def test_sum(form, data):
    dtype = data.draw(st.sampled_from(ALL_DTYPES), label="dtype")
    arr, x = data.draw(tensors(dtype=dtype), label="x")
    args, kwargs = data.draw(reduce_args(arr.ndim), label="args")
    differential(
        lambda: call(minitorch, x, "sum", form, args, kwargs),
        lambda: call(torch, to_torch(arr), "sum", form, args, kwargs),
        **_tol_sum(arr),
    )


@requires_torch
@pytest.mark.parametrize("dtype", ["int32", "int64", "bool"])
def test_sum_integral_promotes_to_int64(dtype):
    arr = np.array([[1, 0, 1], [1, 1, 0]], dtype=dtype)
    for m, t in [
        (mt(arr).sum(), to_torch(arr).sum()),
        (mt(arr).sum(0), to_torch(arr).sum(0)),
        (minitorch.sum(mt(arr), dim=1, keepdim=True), torch.sum(to_torch(arr), dim=1, keepdim=True)),
    ]:
        assert str(m.dtype) == "torch.int64"
        assert_same(m, t)


@requires_torch
@pytest.mark.parametrize("form", FORMS)
@hsettings(40)
@given(data=st.data())
def test_mean(form, data):
    dtype = data.draw(st.sampled_from(FLOAT_DTYPES), label="dtype")
    arr, x = data.draw(tensors(dtype=dtype), label="x")
    args, kwargs = data.draw(reduce_args(arr.ndim), label="args")
    differential(
        lambda: call(minitorch, x, "mean", form, args, kwargs),
        lambda: call(torch, to_torch(arr), "mean", form, args, kwargs),
        **_tol_mean(arr),
    )


@requires_torch
@pytest.mark.parametrize("dtype", ["int32", "int64", "bool"])
def test_mean_of_integral_raises_like_torch(dtype):
    arr = np.array([1, 0, 1], dtype=dtype)
    differential(lambda: mt(arr).mean(), lambda: to_torch(arr).mean())


@requires_torch
@pytest.mark.parametrize("form", FORMS)
@hsettings(40)
@given(data=st.data())
def test_prod(form, data):
    dtype = data.draw(st.sampled_from(ALL_DTYPES), label="dtype")
    arr, x = data.draw(tensors(shapes(max_dims=3, max_side=4), dtype=dtype, lo=-1.5, hi=1.5), label="x")
    # torch.prod takes a single int dim
    args, kwargs = data.draw(reduce_args(arr.ndim, allow_tuple=False), label="args")
    differential(
        lambda: call(minitorch, x, "prod", form, args, kwargs),
        lambda: call(torch, to_torch(arr), "prod", form, args, kwargs),
        rtol=1e-5,
        atol=1e-6,
    )


# ---------------------------------------------------------------------------
# var / std
# ---------------------------------------------------------------------------
@st.composite
def var_args(draw, ndim):
    mode = draw(st.sampled_from(["none", "int", "tuple"]))
    kwargs = {}
    if mode != "none":
        kwargs["dim"] = draw(dims_of(ndim)) if mode == "int" else draw(dim_tuples(ndim))
        if draw(st.booleans()):
            kwargs["keepdim"] = draw(st.booleans())
    corr = draw(st.sampled_from(["default", "unbiased_true", "unbiased_false", "correction0", "correction2"]))
    if corr == "unbiased_true":
        kwargs["unbiased"] = True
    elif corr == "unbiased_false":
        kwargs["unbiased"] = False
    elif corr == "correction0":
        kwargs["correction"] = 0
    elif corr == "correction2":
        kwargs["correction"] = 2
    return kwargs


@requires_torch
@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("form", FORMS)
@hsettings(40)
@given(data=st.data())
def test_var_std(name, form, data):
    dtype = data.draw(st.sampled_from(FLOAT_DTYPES), label="dtype")
    arr, x = data.draw(tensors(dtype=dtype), label="x")
    kwargs = data.draw(var_args(arr.ndim), label="kwargs")
    differential(
        lambda: call(minitorch, x, name, form, (), kwargs),
        lambda: call(torch, to_torch(arr), name, form, (), kwargs),
        **_tol_var(arr),
    )


@requires_torch
@pytest.mark.parametrize("name", ["var", "std"])
def test_var_std_offset_data_are_accurate(name):
    """Large mean, small spread: a naive E[x^2]-E[x]^2 loses all precision in float32."""
    arr = (1000.0 + np.arange(6, dtype=np.float32) * 0.25).astype(np.float32).reshape(2, 3)
    for kwargs in ({}, {"dim": 1}, {"dim": 0, "unbiased": False}):
        assert_same(getattr(mt(arr), name)(**kwargs), getattr(to_torch(arr), name)(**kwargs), rtol=1e-4, atol=1e-5)


@requires_torch
@pytest.mark.parametrize("name", ["var", "std"])
def test_var_std_single_element_is_nan(name):
    arr = np.array([[3.0], [4.0]], dtype=np.float32)
    assert_same(getattr(mt(arr), name)(dim=1), getattr(to_torch(arr), name)(dim=1))
    assert_same(getattr(mt(arr), name)(dim=1, unbiased=False), getattr(to_torch(arr), name)(dim=1, unbiased=False))


# ---------------------------------------------------------------------------
# max / min
# ---------------------------------------------------------------------------
@requires_torch
@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("form", FORMS)
@hsettings(30)
@given(data=st.data())
def test_max_min_whole_tensor(name, form, data):
    dtype = data.draw(st.sampled_from(ALL_DTYPES), label="dtype")
    arr, x = data.draw(tensors(dtype=dtype), label="x")
    differential(
        lambda: call(minitorch, x, name, form),
        lambda: call(torch, to_torch(arr), name, form),
    )


@requires_torch
@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("form", FORMS)
@hsettings(40)
@given(data=st.data())
def test_max_min_with_dim_returns_values_and_indices(name, form, data):
    """Distinct values, so the indices are unambiguous."""
    dtype = data.draw(st.sampled_from(NUMERIC_DTYPES), label="dtype")
    shape = data.draw(shapes(max_dims=3), label="shape")
    arr, x = data.draw(tensors(shape, dtype, lo=-1000, hi=1000, unique=True), label="x")
    args, kwargs = data.draw(reduce_args(arr.ndim, allow_none=False, allow_tuple=False), label="args")
    want = None
    try:
        want = call(torch, to_torch(arr), name, form, args, kwargs)
    except Exception:
        pass
    differential(lambda: call(minitorch, x, name, form, args, kwargs), lambda: call(torch, to_torch(arr), name, form, args, kwargs))
    if want is not None:
        got = call(minitorch, x, name, form, args, kwargs)
        assert_same(got.values, want.values)
        assert_same(got.indices, want.indices)
        assert str(got.indices.dtype) == "torch.int64"
        values, indices = got
        assert_same(values, want[0])
        assert_same(indices, want[1])


@requires_torch
@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_empty_raise_like_torch(name):
    empty = np.zeros((2, 0), dtype=np.float32)
    differential(lambda: getattr(mt(empty), name)(), lambda: getattr(to_torch(empty), name)())
    differential(lambda: getattr(mt(empty), name)(dim=1), lambda: getattr(to_torch(empty), name)(dim=1))
    # reducing a non-empty dim of an empty tensor is fine
    differential(lambda: getattr(mt(empty), name)(dim=0), lambda: getattr(to_torch(empty), name)(dim=0))


@requires_torch
@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("form", FORMS)
@hsettings(40)
@given(data=st.data())
def test_argmax_argmin(name, form, data):
    dtype = data.draw(st.sampled_from(NUMERIC_DTYPES), label="dtype")
    shape = data.draw(shapes(max_dims=3), label="shape")
    arr, x = data.draw(tensors(shape, dtype, lo=-1000, hi=1000, unique=True), label="x")
    args, kwargs = data.draw(reduce_args(arr.ndim, allow_tuple=False), label="args")
    want = differential(
        lambda: call(minitorch, x, name, form, args, kwargs),
        lambda: call(torch, to_torch(arr), name, form, args, kwargs),
    )
    if want is not None:
        assert str(want.dtype) == "torch.int64"


# ---------------------------------------------------------------------------
# logsumexp / all / any
# ---------------------------------------------------------------------------
@requires_torch
@pytest.mark.parametrize("form", FORMS)
@hsettings(40)
@given(data=st.data())
def test_logsumexp(form, data):
    dtype = data.draw(st.sampled_from(NUMERIC_DTYPES), label="dtype")
    arr, x = data.draw(tensors(dtype=dtype, lo=-20, hi=20), label="x")
    args, kwargs = data.draw(reduce_args(arr.ndim, allow_none=False), label="args")
    differential(
        lambda: call(minitorch, x, "logsumexp", form, args, kwargs),
        lambda: call(torch, to_torch(arr), "logsumexp", form, args, kwargs),
        rtol=1e-5,
        atol=1e-5,
    )


@requires_torch
def test_logsumexp_is_stable_for_large_inputs():
    arr = np.array([[1000.0, 1000.0], [-1000.0, -999.0]], dtype=np.float32)
    assert_same(minitorch.logsumexp(mt(arr), dim=1), torch.logsumexp(to_torch(arr), dim=1), rtol=1e-6)
    assert_same(mt(arr).logsumexp(0), to_torch(arr).logsumexp(0), rtol=1e-6)


@requires_torch
@pytest.mark.parametrize("name", ["all", "any"])
@pytest.mark.parametrize("form", FORMS)
@hsettings(30)
@given(data=st.data())
def test_all_any(name, form, data):
    dtype = data.draw(st.sampled_from(ALL_DTYPES + ("bool", "bool")), label="dtype")
    # values near zero so that both results occur
    arr, x = data.draw(tensors(dtype=dtype, lo=0, hi=1), label="x")
    args, kwargs = data.draw(reduce_args(arr.ndim), label="args")
    want = differential(
        lambda: call(minitorch, x, name, form, args, kwargs),
        lambda: call(torch, to_torch(arr), name, form, args, kwargs),
    )
    assert want is None or str(want.dtype) == "torch.bool"


# ---------------------------------------------------------------------------
# generic properties
# ---------------------------------------------------------------------------
@requires_torch
@pytest.mark.parametrize("name", ["sum", "mean", "prod", "max", "min", "argmax", "argmin", "logsumexp", "var", "std", "all", "any"])
def test_reduction_of_0d_tensor_with_dim(name):
    arr = np.array(2.5, dtype=np.float32)
    for dim in (0, -1):
        differential(lambda: getattr(mt(arr), name)(dim), lambda: getattr(to_torch(arr), name)(dim))
        differential(
            lambda: getattr(mt(arr), name)(dim, keepdim=True),
            lambda: getattr(to_torch(arr), name)(dim, keepdim=True),
        )


@requires_torch
@pytest.mark.parametrize("name", ["sum", "mean", "max", "var", "logsumexp", "all"])
def test_reduction_dim_out_of_range_raises_like_torch(name):
    arr = np.ones((2, 3), dtype=np.float32)
    differential(lambda: getattr(mt(arr), name)(2), lambda: getattr(to_torch(arr), name)(2))
    differential(lambda: getattr(mt(arr), name)(-3), lambda: getattr(to_torch(arr), name)(-3))


@requires_torch
@pytest.mark.parametrize("name", ["sum", "mean", "var", "logsumexp", "all", "any"])
def test_reduction_repeated_dim_raises_like_torch(name):
    arr = np.ones((2, 3), dtype=np.float32)
    differential(lambda: getattr(mt(arr), name)((0, 0)), lambda: getattr(to_torch(arr), name)((0, 0)))
    differential(lambda: getattr(mt(arr), name)((1, -1)), lambda: getattr(to_torch(arr), name)((1, -1)))


@pytest.mark.parametrize("dtype", NUMERIC_DTYPES)
def test_sum_matches_numpy_without_torch(dtype):
    """Runs without torch: sums against NumPy (exact for small integers)."""
    arr = np.arange(24, dtype=dtype).reshape(2, 3, 4) - 7
    x = mt(arr)
    np.testing.assert_array_equal(x.sum().numpy(), arr.sum())
    np.testing.assert_array_equal(x.sum(dim=1).numpy(), arr.sum(axis=1))
    np.testing.assert_array_equal(x.sum(dim=(0, 2), keepdim=True).numpy(), arr.sum(axis=(0, 2), keepdims=True))
    np.testing.assert_array_equal(x.permute(2, 0, 1).sum(-1).numpy(), arr.transpose(2, 0, 1).sum(-1))
    values, indices = x.max(dim=2)
    np.testing.assert_array_equal(values.numpy(), arr.max(axis=2))
    np.testing.assert_array_equal(indices.numpy(), arr.argmax(axis=2))


# ----- norm: every p, and its gradient where elements (or the whole norm) are zero -----------
_NORM_PS = [0, 0.3, 0.5, 1, 1.5, 2, 3, -0.5, -1.5, float("inf"), float("-inf")]
_NORM_INPUTS = [[[1.0, 0.0, -3.0], [0.5, 2.0, 0.0]],   # zeros inside
                [[0.0, 0.0, 0.0], [0.0, -0.0, 0.0]],    # a zero norm
                [[1.0, -3.0, 3.0], [0.5, 2.0, -2.0]]]   # ties for the inf norms


def _norm_value_and_grad(lib, x, p, dim):
    a = lib.tensor(x, dtype=lib.float64, requires_grad=True)
    out = lib.norm(a, p, dim)
    out.sum().backward()
    return out.detach(), a.grad


@requires_torch
@pytest.mark.parametrize("p", _NORM_PS)
@pytest.mark.parametrize("x", _NORM_INPUTS)
@pytest.mark.parametrize("dim", [None, 1])
def test_norm_value_and_gradient_match_torch_with_zeros(p, x, dim):
    got, got_grad = _norm_value_and_grad(minitorch, x, p, dim)
    want, want_grad = _norm_value_and_grad(torch, x, p, dim)
    assert_same(got, want, rtol=1e-12, atol=0)
    if want_grad is None:  # p = 0: no gradient at all
        assert got_grad is None
        return
    assert_same(got_grad, want_grad, rtol=1e-12, atol=0)
    # the sign of each zero too (torch's formulas keep -0 where a negative element meets a 0 scale)
    assert np.array_equal(np.signbit(got_grad.numpy()), np.signbit(want_grad.numpy()))


@pytest.mark.parametrize("p", [0.5, 1.5, 2, 3, -1.5, float("inf"), float("-inf")])
def test_norm_gradient_is_the_finite_difference_one(p):
    a = minitorch.tensor([[1.0, -2.5, 3.0], [0.5, 2.0, -1.25]], dtype=minitorch.float64, requires_grad=True)
    assert minitorch.autograd.gradcheck(lambda t: t.norm(p, dim=1), (a,))


def test_norm_zero_counts_the_nonzero_elements():
    x = np.array([[1.0, 0.0, -3.0], [0.0, 0.0, 2.0]])
    got = minitorch.tensor(x).norm(0, dim=1)
    np.testing.assert_array_equal(got.numpy(), np.count_nonzero(x, axis=1).astype(np.float32))
