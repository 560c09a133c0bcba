"""minitorch.set_num_threads / get_num_threads (numba's pool and NumPy's BLAS together)."""
import numba
import pytest

import minitorch
from minitorch import _threads


@pytest.fixture
def restore_threads():
    before = minitorch.get_num_threads()
    blas = _threads._blas()
    blas_before = blas[1]() if blas else None
    yield
    minitorch.set_num_threads(before)
    if blas:
        blas[0](blas_before)


def test_set_num_threads_sets_numba_and_blas(restore_threads):
    minitorch.set_num_threads(1)
    assert minitorch.get_num_threads() == 1 == numba.get_num_threads()
    blas = _threads._blas()
    if blas is not None:
        assert blas[1]() == 1
    minitorch.set_num_threads(10_000)  # capped at the pool numba started with
    assert minitorch.get_num_threads() == numba.config.NUMBA_NUM_THREADS


def test_results_do_not_depend_on_threads(restore_threads):
    x = minitorch.randn(300, 200)
    w = minitorch.randn(200, 100)
    minitorch.set_num_threads(1)
    one = (x @ w).relu().sum(0)
    minitorch.set_num_threads(2)
    two = (x @ w).relu().sum(0)
    assert minitorch.allclose(one, two, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("bad, message", [(0, "expects a positive integer"), (-1, "expects a positive integer"),
                                          (1.5, "expects an int, but got float"),
                                          ("2", "expects an int, but got str"), (True, "expects an int, but got bool")])
def test_bad_thread_counts_raise_as_torch(bad, message):
    with pytest.raises(RuntimeError, match=f"set_num_threads {message}"):
        minitorch.set_num_threads(bad)
