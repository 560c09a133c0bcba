"""Tests for minitorch._printing: tensor_repr must print exactly what torch's repr prints."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from minitorch._printing import get_printoptions, printoptions, set_printoptions, tensor_repr
from tests._compat import requires_torch, torch

DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]
FLOAT_DTYPES = ["float32", "float64", "float16"]


@pytest.fixture(autouse=True)
def _default_options():
    """Every test starts and ends with default print options, in minitorch and in torch."""
    set_printoptions(profile="default")
    if torch is not None:
        torch.set_printoptions(profile="default")
    yield
    set_printoptions(profile="default")
    if torch is not None:
        torch.set_printoptions(profile="default")
        torch.set_default_dtype(torch.float32)


def both_set_printoptions(**kwargs):
    """Apply the same options to minitorch and torch."""
    set_printoptions(**kwargs)
    torch.set_printoptions(**kwargs)


def ours(values: np.ndarray, **kwargs) -> str:
    """minitorch's text for a tensor holding ``values``."""
    return tensor_repr(values, dtype_name=values.dtype.name, **kwargs)


def theirs(values: np.ndarray) -> str:
    """torch's text for the same values (torch.from_numpy rejects negative strides)."""
    return repr(torch.from_numpy(values.copy(order="C")))


def assert_same(values: np.ndarray) -> None:
    """minitorch and torch print ``values`` identically."""
    assert ours(values) == theirs(values)


# ---------------------------------------------------------------- literal strings, no torch needed
# Each expected string was produced by torch 2.13's repr.

LITERALS = [
    (np.array([1.5, 2.0], dtype=np.float32), "tensor([1.5000, 2.0000])"),
    (np.array(3.0, dtype=np.float32), "tensor(3.)"),
    (np.array([[1, -20], [300, 4]]), "tensor([[  1, -20],\n        [300,   4]])"),
    (np.array([True, False]), "tensor([ True, False])"),
    (np.array([1.0, 2.0]), "tensor([1., 2.], dtype=torch.float64)"),
    (np.array([1, 2], dtype=np.int32), "tensor([1, 2], dtype=torch.int32)"),
    (
        np.array([1e-5, 1.0, np.nan, -np.inf, -0.0], dtype=np.float32),
        "tensor([1.0000e-05, 1.0000e+00,        nan,       -inf, -0.0000e+00])",
    ),
    (np.zeros((0, 3), dtype=np.float32), "tensor([], size=(0, 3))"),
    (np.zeros(0, dtype=np.int64), "tensor([], dtype=torch.int64)"),
    (np.zeros(0, dtype=np.float32), "tensor([])"),
    (np.arange(2000), "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"),
    (
        (np.arange(30.0, dtype=np.float32) / 7).reshape(2, 3, 5),
        "tensor([[[0.0000, 0.1429, 0.2857, 0.4286, 0.5714],\n"
        "         [0.7143, 0.8571, 1.0000, 1.1429, 1.2857],\n"
        "         [1.4286, 1.5714, 1.7143, 1.8571, 2.0000]],\n\n"
        "        [[2.1429, 2.2857, 2.4286, 2.5714, 2.7143],\n"
        "         [2.8571, 3.0000, 3.1429, 3.2857, 3.4286],\n"
        "         [3.5714, 3.7143, 3.8571, 4.0000, 4.1429]]])",
    ),
    (
        np.arange(14.0, dtype=np.float32) * np.float32(1000.123),
        "tensor([    0.0000,  1000.1230,  2000.2460,  3000.3689,  4000.4919,  5000.6147,\n"
        "         6000.7378,  7000.8608,  8000.9839,  9001.1064, 10001.2295, 11001.3525,\n"
        "        12001.4756, 13001.5986])",
    ),
]


@pytest.mark.parametrize("values, expected", LITERALS)
def test_literal(values, expected):
    assert ours(values) == expected


def test_literal_requires_grad_and_grad_fn():
    values = np.array([1.0, 2.0], dtype=np.float32)
    assert ours(values, requires_grad=True) == "tensor([1., 2.], requires_grad=True)"
    assert ours(values, grad_fn="AddBackward0") == "tensor([1., 2.], grad_fn=<AddBackward0>)"
    # grad_fn wins over requires_grad, as in torch.
    text = ours(values, grad_fn="MulBackward0", requires_grad=True)
    assert text == "tensor([1., 2.], grad_fn=<MulBackward0>)"


def test_literal_device_comes_first():
    # torch appends device= before size=/dtype= (torch/_tensor_str.py, _str_intern).
    text = ours(np.array([1.0, 2.0]), device="cuda:0")
    assert text == "tensor([1., 2.], device='cuda:0', dtype=torch.float64)"
    assert ours(np.zeros((0, 2), dtype=np.int64), device="cuda:1") == (
        "tensor([], device='cuda:1', size=(0, 2), dtype=torch.int64)"
    )
    assert ours(np.array(1.0, dtype=np.float32), device="cuda:0", requires_grad=True) == (
        "tensor(1., device='cuda:0', requires_grad=True)"
    )


def test_literal_options():
    set_printoptions(precision=2)
    assert ours(np.array([1.12345], dtype=np.float32)) == "tensor([1.12])"
    set_printoptions(threshold=5)
    assert ours(np.arange(10)) == "tensor([0, 1, 2,  ..., 7, 8, 9])"
    set_printoptions(profile="default")
    assert ours(np.array([1.12345], dtype=np.float32)) == "tensor([1.1235])"
    assert ours(np.arange(10)) == "tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])"


def test_get_and_set_printoptions():
    defaults = dict(precision=4, threshold=1000, edgeitems=3, linewidth=80, sci_mode=None)
    assert get_printoptions() == defaults
    set_printoptions(profile="full", precision=6, sci_mode=True)
    assert get_printoptions() == dict(defaults, precision=6, threshold=math.inf, sci_mode=True)
    set_printoptions(linewidth=100)  # sci_mode not given: back to automatic, like torch
    assert get_printoptions()["sci_mode"] is None
    set_printoptions(profile="short")
    assert get_printoptions() == dict(precision=2, threshold=1000, edgeitems=2, linewidth=80, sci_mode=None)


def test_printoptions_context_manager_restores():
    with printoptions(precision=1, sci_mode=False):
        assert get_printoptions()["precision"] == 1
        assert ours(np.array([1.25, 3.5], dtype=np.float32)) == "tensor([1.2, 3.5])"
    assert get_printoptions()["precision"] == 4


def test_huge_tensor_is_fast():
    import time

    values = np.random.default_rng(0).standard_normal((1000, 1000))
    start = time.perf_counter()
    text = ours(values)
    assert time.perf_counter() - start < 0.1
    assert text.count("...") == 7 and text.endswith("dtype=torch.float64)")


# ---------------------------------------------------------------- comparisons with torch


def _arr(data, dtype):
    return np.array(data, dtype=dtype)


HANDPICKED = [
    # 0-d
    _arr(0.0, "float32"),
    _arr(-0.0, "float32"),
    _arr(np.nan, "float64"),
    _arr(-np.inf, "float32"),
    _arr(1e-7, "float32"),
    _arr(123456789.0, "float64"),
    _arr(0.1, "float32"),
    _arr(7, "int64"),
    _arr(-7, "int8"),
    _arr(True, "bool"),
    _arr(2.5, "float16"),
    # 1-d value ranges
    _arr([0.0, 0.0, 0.0], "float32"),
    _arr([-0.0, 0.0], "float32"),
    _arr([-0.0, 1.5], "float32"),
    _arr([-0.0, 2.0], "float64"),
    _arr([np.nan, np.inf, -np.inf], "float32"),
    _arr([np.nan, 1.0], "float32"),
    _arr([np.nan, 1.25], "float32"),
    _arr([1e-4, 1.0], "float32"),
    _arr([9.9e-5, 1.0], "float64"),
    _arr([1.0, 1000.0], "float32"),
    _arr([1.0, 1001.0], "float32"),
    _arr([1.0, 1000.5], "float32"),
    _arr([1e8, 1.0], "float64"),
    _arr([1.1e8, 2e8], "float64"),
    _arr([1e20, -1e20], "float32"),
    _arr([1e300, 1e-300], "float64"),
    _arr([1e-320, 1.0], "float64"),
    _arr([-1.5, -2.25, -1000.125], "float32"),
    _arr([9.99996, 1.0], "float32"),
    _arr([0.1, 0.2, 0.3], "float32"),
    _arr([0.1, 0.2, 0.3], "float64"),
    _arr([65504.0, -65504.0, 0.001], "float16"),
    _arr([1, 255, 0], "uint8"),
    _arr([127, -128], "int8"),
    _arr([2**62, -(2**63)], "int64"),
    _arr([True, True], "bool"),
    _arr([False], "bool"),
    # 2-d to 4-d
    np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 3,
    np.arange(120, dtype=np.int32).reshape(2, 3, 4, 5) - 60,
    np.eye(3, dtype=bool),
    np.ones((1, 1, 1, 1), dtype=np.float64),
    # empty
    np.zeros((0,), dtype=np.float64),
    np.zeros((3, 0), dtype=np.float32),
    np.zeros((2, 0, 4), dtype=np.bool_),
    np.zeros((0, 0), dtype=np.int32),
    # long rows that wrap
    np.linspace(-5, 5, 200, dtype=np.float32),
    np.arange(300, dtype=np.int64) * 12345,
    np.linspace(0, 1e-3, 50),
    (np.arange(90, dtype=np.float32) * 1.5).reshape(3, 30),
    # past the threshold
    np.arange(1001, dtype=np.float32),
    np.arange(1_000_000, dtype=np.float32).reshape(1000, 1000) / 7,
    np.arange(6000, dtype=np.float64).reshape(2, 3, 1000),
    np.arange(2000, dtype=np.int64).reshape(1000, 2),
    np.arange(16 * 8 * 8, dtype=np.int16).reshape(16, 8, 8),
    np.random.default_rng(1).standard_normal((10, 10, 10, 10)).astype(np.float32),
    (np.arange(1_000_000, dtype=np.int64) % 2 == 0).reshape(1000, 1000),
]


@requires_torch
@pytest.mark.parametrize("values", HANDPICKED, ids=lambda a: f"{a.dtype}{a.shape}")
def test_handpicked(values):
    assert_same(values)


@requires_torch
@pytest.mark.parametrize(
    "values",
    [
        _arr([1.0, 1001.0], "float32"),
        _arr([0.1, 0.2, 0.3], "float64"),
        _arr([np.nan, -0.0, 1e30, -2.0], "float32"),
        np.linspace(-5, 5, 200, dtype=np.float32),
        np.arange(6000, dtype=np.float64).reshape(2, 3, 1000),
    ],
    ids=lambda a: f"{a.dtype}{a.shape}",
)
@pytest.mark.parametrize("sci_mode", [True, False])
def test_sci_mode(values, sci_mode):
    both_set_printoptions(sci_mode=sci_mode)
    assert_same(values)
    assert_same(np.zeros(3, dtype=np.float32))  # all zeros ignore a forced sci_mode


@requires_torch
@pytest.mark.parametrize("profile", ["default", "short", "full"])
def test_profiles(profile):
    both_set_printoptions(profile=profile)
    assert get_printoptions() == torch._tensor_str.get_printoptions()
    for values in (np.arange(3000, dtype=np.float32).reshape(3, 1000) / 3, np.pi * np.ones((4, 5))):
        assert_same(values)


@requires_torch
@pytest.mark.parametrize(
    "options",
    [
        dict(precision=0),
        dict(precision=10),
        dict(linewidth=20),
        dict(linewidth=5),
        dict(linewidth=200),
        dict(threshold=10),
        dict(threshold=0),
        dict(edgeitems=1, threshold=5),
        dict(edgeitems=0, threshold=5),
        dict(edgeitems=0, threshold=0),
        dict(edgeitems=10, threshold=20),
        dict(precision=2, linewidth=30, sci_mode=True),
    ],
    ids=str,
)
def test_options(options):
    both_set_printoptions(**options)
    for values in [
        np.array(2.5, dtype=np.float32),
        np.linspace(-3, 3, 40, dtype=np.float32),
        np.arange(60, dtype=np.int64).reshape(3, 4, 5),
        np.arange(1200, dtype=np.float64).reshape(30, 40) * 1e-3,
        np.zeros((0, 2), dtype=np.float32),
        np.array([True, False] * 20),
    ]:
        assert_same(values)


@requires_torch
def test_non_contiguous():
    base = np.arange(60, dtype=np.float32).reshape(3, 4, 5) / 9
    for values in (base.T, base[:, ::2], base[::-1], base[..., 1], base.transpose(1, 0, 2)[:, :, ::-3]):
        assert not values.flags.c_contiguous or values.ndim < 3
        assert_same(values)


@requires_torch
@pytest.mark.parametrize("values", [np.array([1.0, 2.5], dtype=np.float32), np.linspace(0, 1, 30)])
def test_grad_fn_and_requires_grad(values):
    leaf = torch.from_numpy(values.copy()).requires_grad_()
    assert ours(values, requires_grad=True) == repr(leaf)
    assert ours(values + 1, grad_fn="AddBackward0") == repr(leaf + 1)


@requires_torch
def test_suffixes_wrap_onto_new_line():
    values = np.linspace(0, 1, 11)  # float64, so dtype= is printed as well
    leaf = torch.from_numpy(values.copy()).requires_grad_()
    for linewidth in (40, 60, 80, 86, 87, 88, 100, 120):
        both_set_printoptions(linewidth=linewidth)
        assert ours(values * 2, grad_fn="MulBackward0") == repr(leaf * 2)
        assert ours(values, requires_grad=True) == repr(leaf)


@requires_torch
def test_default_dtype_float64():
    torch.set_default_dtype(torch.float64)
    for values in (np.array([1.0, 2.0]), np.array([1.0, 2.0], dtype=np.float32), np.zeros((0,))):
        assert tensor_repr(values, dtype_name=values.dtype.name, default_dtype="float64") == theirs(values)


# ---------------------------------------------------------------- random arrays (hypothesis)


def _elements(dtype: np.dtype) -> st.SearchStrategy:
    """Values of one dtype: any float including nan/inf, plus whole numbers and mid-range floats."""
    if dtype.kind != "f":
        return hnp.from_dtype(dtype)
    width = dtype.itemsize * 8
    return st.one_of(
        st.floats(width=width),
        st.integers(-2000, 2000).map(float),
        st.floats(-100, 100, width=width),
    )


@st.composite
def random_arrays(draw, max_dims: int = 4, max_side: int = 5) -> np.ndarray:
    """A small array of any supported dtype and shape, sometimes a non-contiguous view."""
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=max_dims, min_side=0, max_side=max_side))
    values = draw(hnp.arrays(dtype, shape, elements=_elements(dtype)))
    if values.ndim >= 2 and draw(st.booleans()):
        values = values.swapaxes(0, -1)
    return values


print_options = st.fixed_dictionaries(
    {},
    optional={
        "precision": st.integers(0, 10),
        "threshold": st.integers(0, 60),
        "edgeitems": st.integers(0, 4),
        "linewidth": st.integers(5, 160),
        "sci_mode": st.sampled_from([None, True, False]),
    },
)


@requires_torch
@settings(max_examples=300, deadline=None)
@given(random_arrays())
def test_random_arrays(values):
    assert_same(values)


@requires_torch
@settings(max_examples=300, deadline=None)
@given(random_arrays(), print_options)
def test_random_arrays_with_options(values, options):
    both_set_printoptions(**options)
    assert_same(values)


@requires_torch
@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(DTYPES),
    hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=60),
    st.integers(0, 2**32 - 1),
    st.sampled_from([1e-6, 1.0, 1e3, 1e10]),
)
def test_random_large_arrays(dtype_name, shape, seed, scale):
    """Bigger arrays (often past the threshold) with normal values at various scales."""
    rng = np.random.default_rng(seed)
    raw = rng.standard_normal(shape) * scale
    if dtype_name == "bool":
        values = raw > 0
    elif dtype_name in FLOAT_DTYPES:
        with np.errstate(over="ignore"):  # float16 overflows to inf, which is worth printing too
            values = raw.astype(dtype_name)
    else:
        info = np.iinfo(dtype_name)
        values = np.clip(np.round(raw), info.min, info.max).astype(dtype_name)
    assert_same(values)
