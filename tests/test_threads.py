"""minitorch.set_num_threads / get_num_threads (numba's pool and NumPy's BLAS together)."""
import importlib
import os
import subprocess
import sys

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


_FORK_PROGRAM = r"""
import os
import numba
import minitorch
from minitorch._backends.cpu import kernels
from minitorch.utils.data import DataLoader, Dataset
minitorch.set_num_threads(2)
n = kernels.PARALLEL_THRESHOLD
assert kernels.parallel_pays(n)
minitorch.full((n,), -1.0).relu()                 # a parallel region in the parent

class Relus(Dataset):
    def __len__(self):
        return 4
    def __getitem__(self, i):                      # big enough for the parallel twin
        assert not kernels.parallel_pays(n)        # ... but a forked worker runs serially
        return minitorch.full((n,), float(i) - 1.5).relu().sum()

got = [b.tolist() for b in DataLoader(Relus(), batch_size=2, num_workers=2)]
assert got == [[0.0, 0.0], [0.5 * n, 1.5 * n]], got
pid = os.fork()                                    # a plain fork as well
if pid == 0:
    ok = (not kernels.parallel_pays(n)) and minitorch.full((n,), 2.0).relu().sum().item() == 2.0 * n
    os._exit(0 if ok else 3)
assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
print("ok", numba.threading_layer())
"""


def _has_openmp_layer() -> bool:
    try:
        importlib.import_module("numba.np.ufunc.omppool")
    except ImportError:
        return False
    return True


@pytest.mark.skipif(not hasattr(os, "fork") or numba.config.NUMBA_NUM_THREADS < 2 or not _has_openmp_layer(),
                    reason="needs fork, two numba threads and numba's OpenMP layer")
@pytest.mark.parametrize("layer", ["omp", None])
def test_forked_workers_after_a_parallel_region_run_the_serial_kernels(layer):
    # With numba's OpenMP layer (a user's choice) a parallel region in a process forked after
    # one ran terminates the child; minitorch's forked children never start one.
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_THREADING_LAYER"}
    if layer:
        env["NUMBA_THREADING_LAYER"] = layer
    proc = subprocess.run([sys.executable, "-c", _FORK_PROGRAM], env=env, capture_output=True,
                          text=True, timeout=300, cwd=os.path.dirname(os.path.dirname(__file__)))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith("ok")
