"""minitorch.set_num_threads / get_num_threads / *_interop_threads: torch's semantics, one
count for numba's pool and the BLAS, torch's default; and where the kernels' parallel twins run."""
import importlib
import os
import shutil
import subprocess
import sys

import numba
import numpy as np
import pytest

import minitorch
from minitorch import _threads
from minitorch._backends.cpu import parallel

from ._compat import requires_torch, torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def restore_threads():
    before = dict(_threads._STATE)
    blas = _threads._blas()
    blas_before = blas[1]() if blas else None
    yield
    _threads._STATE.update(before)
    numba.set_num_threads(min(minitorch.get_num_threads(), numba.config.NUMBA_NUM_THREADS))
    if blas:
        blas[0](blas_before)


def test_set_num_threads_sets_numba_and_blas(restore_threads):
    minitorch.set_num_threads(1)
    assert minitorch.get_num_threads() == 1 == numba.get_num_threads()
    blas = _threads._blas()
    if blas is not None:
        assert blas[1]() == 1
    minitorch.set_num_threads(10_000)  # reported back as torch does; numba runs its whole pool
    assert minitorch.get_num_threads() == 10_000
    assert numba.get_num_threads() == numba.config.NUMBA_NUM_THREADS


def test_results_do_not_depend_on_threads(restore_threads):
    x = minitorch.randn(300, 200)
    w = minitorch.randn(200, 100)
    minitorch.set_num_threads(1)
    one = (x @ w).relu().sum(0)
    minitorch.set_num_threads(2)
    two = (x @ w).relu().sum(0)
    assert minitorch.allclose(one, two, rtol=1e-5, atol=1e-4)


class _Index:
    def __index__(self):
        return 2


# (value, exception type, message) as torch 2.13 gives them
_BAD_COUNTS = [(0, RuntimeError, "{fn} expects a positive integer"),
               (-1, RuntimeError, "{fn} expects a positive integer"),
               (-2 ** 31, RuntimeError, "{fn} expects a positive integer"),
               (1.5, RuntimeError, "{fn} expects an int, but got float"),
               ("2", RuntimeError, "{fn} expects an int, but got str"),
               (True, RuntimeError, "{fn} expects an int, but got bool"),
               (None, RuntimeError, "{fn} expects an int, but got NoneType"),
               (np.bool_(True), RuntimeError, "{fn} expects an int, but got numpy.bool"),
               (np.float64(2.0), RuntimeError, "{fn} expects an int, but got numpy.float64"),
               (_Index(), RuntimeError, "{fn} expects an int, but got _Index"),
               (2 ** 31, ValueError, "Overflow when unpacking long"),
               (2 ** 63, ValueError, "Overflow when unpacking long long")]


@pytest.mark.parametrize("fn", ["set_num_threads", "set_num_interop_threads"])
@pytest.mark.parametrize("bad, error, message", _BAD_COUNTS)
def test_bad_thread_counts_raise_as_torch(restore_threads, fn, bad, error, message):
    with pytest.raises(error) as got:
        getattr(_threads, fn)(bad)
    assert str(got.value) == message.format(fn=fn)
    assert _threads._STATE["interop"] is None or fn == "set_num_threads"


@requires_torch
@pytest.mark.parametrize("bad", [v for v, _, _ in _BAD_COUNTS])
def test_bad_thread_counts_match_torch(restore_threads, bad):
    with pytest.raises(Exception) as expected:
        torch.set_num_threads(bad)
    with pytest.raises(Exception) as got:
        minitorch.set_num_threads(bad)
    assert (type(got.value), str(got.value)) == (type(expected.value), str(expected.value))


def test_numpy_integers_are_thread_counts(restore_threads):
    minitorch.set_num_threads(np.int64(1))
    assert minitorch.get_num_threads() == 1 and type(minitorch.get_num_threads()) is int
    minitorch.set_num_threads(np.uint8(2))
    assert minitorch.get_num_threads() == 2


def test_interop_threads_are_set_once(restore_threads):
    _threads._STATE["interop"] = None
    assert _threads.get_num_interop_threads() == _threads.physical_cores()
    _threads.set_num_interop_threads(3)
    assert _threads.get_num_interop_threads() == 3
    with pytest.raises(RuntimeError, match="^Error: cannot set number of interop threads after parallel work "
                                           "has started or set_num_interop_threads called$"):
        _threads.set_num_interop_threads(4)
    assert _threads.get_num_interop_threads() == 3


_DEFAULTS = """
import json, minitorch
from minitorch import _threads
out = {"threads": minitorch.get_num_threads(), "interop": _threads.get_num_interop_threads(),
       "physical": _threads.physical_cores()}
try:
    import torch
    out["torch"] = [torch.get_num_threads(), torch.get_num_interop_threads()]
except ImportError:
    pass
print(json.dumps(out))
"""


def _defaults(env: dict, prefix=()) -> dict:
    import json
    clean = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "MKL_DYNAMIC")}
    proc = subprocess.run([*prefix, sys.executable, "-c", _DEFAULTS], env={**clean, **env}, capture_output=True,
                          text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


# expected: a number, or "cores" (the physical cores), or ("min", n): n capped at the cores
@pytest.mark.parametrize("env, expected", [({}, "cores"), ({"OMP_NUM_THREADS": "1"}, 1),
                                           ({"OMP_NUM_THREADS": "300"}, "cores"),
                                           ({"OMP_NUM_THREADS": "300", "MKL_DYNAMIC": "FALSE"}, 300),
                                           ({"OMP_NUM_THREADS": "3", "MKL_NUM_THREADS": "1"}, 1),
                                           ({"OMP_NUM_THREADS": "1abc"}, "cores"), ({"OMP_NUM_THREADS": " +1"}, 1),
                                           ({"OMP_NUM_THREADS": "0"}, "cores"),
                                           ({"OMP_NUM_THREADS": "-2"}, "cores")])
def test_default_thread_counts_are_torchs(env, expected):
    got = _defaults(env)
    assert got["threads"] == (got["physical"] if expected == "cores" else expected)
    assert got["interop"] == got["physical"]  # the environment does not change it, as in torch
    if "torch" in got:
        assert [got["threads"], got["interop"]] == got["torch"]


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity") or os.cpu_count() < 2 or not shutil.which("taskset"),
                    reason="needs taskset and two CPUs")
def test_default_thread_count_follows_the_cpus_this_process_may_use():
    got = _defaults({}, prefix=("taskset", "-c", "0"))
    assert got["threads"] == 1
    if "torch" in got:
        assert [got["threads"], got["interop"]] == got["torch"]


def test_physical_cores_do_not_count_hyperthreads():
    logical = os.cpu_count()
    siblings = set()
    for cpu in range(logical):
        path = f"/sys/devices/system/cpu/cpu{cpu}/topology/thread_siblings_list"
        if os.path.exists(path):
            with open(path) as f:
                siblings.add(f.read().strip())
    cores = _threads.physical_cores()
    assert 1 <= cores <= logical
    if siblings:
        assert cores == len(siblings)


# ----- where the parallel twins run (minimum work per thread) ---------------------------------

def test_threads_for_gives_each_thread_its_minimum(restore_threads):
    pool = numba.config.NUMBA_NUM_THREADS
    before = dict(parallel.MIN_WORK_PER_THREAD)
    with parallel.min_work(relu=1000):
        minitorch.set_num_threads(64)
        assert parallel.threads_for("relu", 1999) == 1  # not two threads' worth
        assert parallel.threads_for("relu", 2000) == (2 if pool >= 2 else 1)
        assert parallel.threads_for("relu", 10 ** 9) == (pool if pool >= 2 else 1)
        minitorch.set_num_threads(3)
        assert parallel.threads_for("relu", 10 ** 9) == (min(3, pool) if pool >= 2 else 1)
        minitorch.set_num_threads(1)
        assert parallel.threads_for("relu", 10 ** 9) == 1
    assert parallel.MIN_WORK_PER_THREAD == before


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs two numba threads")
def test_threads_for_sizes_numbas_next_region(restore_threads):
    minitorch.set_num_threads(2)
    numba.set_num_threads(1)
    with parallel.min_work(im2col=10):
        assert parallel.threads_for("im2col", 25) == 2
    assert numba.get_num_threads() == 2


def test_min_work_parsing():
    assert parallel._parse("relu=5, im2col=1_000 ,") == {"relu": 5, "im2col": 1000}
    assert parallel._parse("") == {}
    with pytest.raises(ValueError, match="unknown kernel 'relux'.*im2col"):
        parallel._parse("relux=5")
    with pytest.raises(ValueError, match="unknown kernel 'relu'"):
        parallel._parse("relu")
    for bad in ("relu=0", "relu=-3", "relu=big", "relu=1.5"):
        with pytest.raises(ValueError, match="is not a positive integer"):
            parallel._parse(bad)


def test_min_work_is_read_from_the_environment():
    code = "from minitorch._backends.cpu import parallel; print(parallel.MIN_WORK_PER_THREAD['col2im'])"
    env = {**os.environ, parallel.ENV: "col2im=12345"}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300,
                          cwd=ROOT)
    assert proc.returncode == 0 and proc.stdout.split()[-1] == "12345", proc.stderr[-2000:]
    env[parallel.ENV] = "col2im=none"
    proc = subprocess.run([sys.executable, "-c", "import minitorch"], env=env, capture_output=True, text=True,
                          timeout=300, cwd=ROOT)
    assert proc.returncode != 0 and "ValueError: MINITORCH_MIN_WORK_PER_THREAD: col2im='none'" in proc.stderr


_FORK_PROGRAM = r"""
import os
import numba
import minitorch
from minitorch._backends.cpu import kernels, parallel
from minitorch.utils.data import DataLoader, Dataset
minitorch.set_num_threads(2)
n = kernels.PARALLEL_THRESHOLD
parallel.MIN_WORK_PER_THREAD["relu"] = n // 4
assert kernels.parallel_pays(n) and parallel.threads_for("relu", n) == 2
minitorch.full((n,), -1.0).relu()                 # a parallel region in the parent

class Relus(Dataset):
    def __len__(self):
        return 4
    def __getitem__(self, i):                      # big enough for the parallel twin
        assert not kernels.parallel_pays(n)        # ... but a forked worker runs serially
        assert parallel.threads_for("relu", n) == 1
        return minitorch.full((n,), float(i) - 1.5).relu().sum()

got = [b.tolist() for b in DataLoader(Relus(), batch_size=2, num_workers=2)]
assert got == [[0.0, 0.0], [0.5 * n, 1.5 * n]], got
pid = os.fork()                                    # a plain fork as well
if pid == 0:
    ok = (not kernels.parallel_pays(n)) and parallel.threads_for("relu", n) == 1 \
        and minitorch.full((n,), 2.0).relu().sum().item() == 2.0 * n
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
