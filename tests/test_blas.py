"""The BLAS chooser (MINITORCH_BLAS: auto / openblas / mkl) and the MKL GEMM path.

The MKL path is checked against NumPy's matmul and torch where MKL is installed
(``pip install minitorch[mkl]``); elsewhere those tests skip and the chooser's fallback
to NumPy's BLAS is what runs."""
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import minitorch
from minitorch import _threads
from minitorch._backends.cpu import blas

from ._compat import requires_torch, torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HAS_MKL = blas.mkl_available()
requires_mkl = pytest.mark.skipif(not HAS_MKL, reason="Intel MKL (the mkl package) is not installed")


@pytest.fixture
def restore_blas():
    state, minimum = dict(blas._STATE), list(blas._MIN)
    yield
    blas._STATE.update(state)
    blas._MIN[:] = minimum


@pytest.fixture
def no_mkl(monkeypatch, restore_blas):
    """The chooser as on a machine without the mkl package."""
    monkeypatch.setattr(blas, "_mkl_path", lambda: None)
    blas._STATE["lib"] = None


@pytest.mark.parametrize("value, name", [("", "auto"), ("auto", "auto"), ("OpenBLAS", "openblas"),
                                         (" numpy ", "openblas"), ("MKL", "mkl")])
def test_blas_names_parse(value, name):
    assert blas._parse(value) == name


@pytest.mark.parametrize("value", ["mkl2", "blis", "open blas"])
def test_a_bad_blas_name_is_a_value_error(value, restore_blas):
    with pytest.raises(ValueError, match=f"MINITORCH_BLAS={value!r}: expected one of auto, openblas, mkl"):
        blas._parse(value)
    with pytest.raises(ValueError, match="expected one of auto, openblas, mkl"):
        blas.set_blas(value)


def test_a_bad_blas_in_the_environment_fails_the_import():
    env = {**os.environ, "MINITORCH_BLAS": "accelerate"}
    proc = subprocess.run([sys.executable, "-c", "import minitorch"], env=env, capture_output=True, text=True,
                          timeout=300, cwd=ROOT)
    assert proc.returncode != 0
    assert "ValueError: MINITORCH_BLAS='accelerate': expected one of auto, openblas, mkl" in proc.stderr


def test_without_mkl_every_choice_falls_back_to_numpy(no_mkl):
    for choice in ("auto", "openblas"):
        blas._STATE["choice"], blas._MIN[0] = choice, 0
        assert blas.get_blas() == "openblas"
    blas._STATE["choice"], blas._MIN[0] = "mkl", 0
    with pytest.warns(RuntimeWarning, match="MINITORCH_BLAS=mkl, but Intel MKL is not installed"):
        assert blas.get_blas() == "openblas"
    with pytest.raises(RuntimeError, match="Intel MKL is not installed"):
        blas.set_blas("mkl")
    a, b = np.ones((300, 400), np.float32), np.ones((400, 500), np.float32)
    np.testing.assert_array_equal(blas.matmul(a, b), np.full((300, 500), 400, np.float32))


def test_auto_takes_mkl_only_on_intel(monkeypatch, restore_blas):
    monkeypatch.setattr(blas, "_cpu_vendor", lambda: "AuthenticAMD")
    blas.set_blas("auto")
    assert blas.get_blas() == "openblas"
    monkeypatch.setattr(blas, "_cpu_vendor", lambda: "GenuineIntel")
    blas.set_blas("auto")
    assert blas.get_blas() == ("mkl" if HAS_MKL else "openblas")


def test_openblas_choice_runs_numpy(restore_blas):
    blas.set_blas("openblas")
    assert blas.get_blas() == "openblas" and blas._MIN[0] > 1 << 100


_SHAPES = [(64, 784, 128), (64, 512, 512), (256, 512, 512), (1000, 784, 512), (100, 1, 3000), (7, 9, 5)]


@requires_mkl
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m, k, n", _SHAPES)
def test_mkl_products_equal_numpys(restore_blas, dtype, m, k, n):
    blas.set_blas("mkl")
    rng = np.random.default_rng(m * k + n)
    a, b = rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((k, n)).astype(dtype)
    tol = dict(rtol=1e-4, atol=1e-4 * np.sqrt(k)) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12 * k)
    # row-major, transposed (column-major) views and a strided view: no copy but the last
    for left in (a, np.asfortranarray(a), np.repeat(a, 2, axis=1)[:, ::2]):
        for right in (b, np.asfortranarray(b)):
            got = blas.matmul(left, right)
            assert got.dtype == dtype and got.shape == (m, n)
            np.testing.assert_allclose(got, left @ right, **tol)


@requires_mkl
def test_small_and_integer_products_stay_on_numpy(restore_blas, monkeypatch):
    blas.set_blas("mkl")
    called = []
    fns = blas._STATE["lib"]
    monkeypatch.setitem(blas._STATE, "lib", tuple(lambda *a, _f=f: called.append(1) or _f(*a) for f in fns))
    small = np.ones((4, 4), np.float32)
    np.testing.assert_array_equal(blas.matmul(small, small), np.full((4, 4), 4, np.float32))
    ints = np.ones((100, 100), np.int64)
    np.testing.assert_array_equal(blas.matmul(ints, ints), np.full((100, 100), 100))
    assert called == []
    big = np.ones((100, 100), np.float32)
    np.testing.assert_array_equal(blas.matmul(big, big.T), np.full((100, 100), 100, np.float32))
    assert called == [1]


@requires_mkl
def test_set_num_threads_sizes_mkl(restore_blas):
    blas.set_blas("mkl")
    before = minitorch.get_num_threads()
    setter, getter = _threads.EXTRA_POOLS[0]
    try:
        minitorch.set_num_threads(1)
        assert getter() == 1
    finally:
        minitorch.set_num_threads(before)


@requires_torch
@pytest.mark.parametrize("choice", ["openblas", "mkl"])
def test_linear_training_matches_torch_on_either_blas(restore_blas, choice):
    if choice == "mkl" and not HAS_MKL:
        pytest.skip("Intel MKL (the mkl package) is not installed")
    blas.set_blas(choice)
    rng = np.random.default_rng(3)
    x, w, b = (rng.standard_normal(s).astype(np.float32) for s in ((256, 784), (512, 784), (512,)))
    outs = []
    for lib in (minitorch, torch):
        xt, wt, bt = (lib.tensor(a, requires_grad=True) for a in (x, w, b))
        y = lib.nn.functional.linear(xt, wt, bt)
        (y * y).sum().backward()
        outs.append([t.detach().numpy() for t in (y, xt.grad, wt.grad, bt.grad)])
    for got, expected in zip(*outs):  # float32 sums of 784 terms: error relative to the largest
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5 * np.abs(expected).max())


def test_products_are_the_same_numbers_on_either_blas(restore_blas):
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal((200, 300)), rng.standard_normal((300, 100))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # MKL missing: NumPy's, with a warning
        results = []
        for choice in ("openblas", "mkl"):
            blas._STATE["choice"], blas._MIN[0] = choice, 0
            results.append(blas.matmul(a, b))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(results[0], a @ b, rtol=1e-12, atol=1e-12)
