"""minitorch.set_num_threads / get_num_threads / get_num_interop_threads, as torch's.

One number sizes minitorch's intra-op parallelism, as ``torch.set_num_threads`` sizes
PyTorch's. It drives two pools that take turns and never run at once:

- numba's, for the kernels with a parallel twin (conv gathers, pooling, ReLU, ...). A
  twin runs only when its work gives every thread at least its kernel's minimum
  (``_backends/cpu/parallel.py``), on ``min(get_num_threads(), work / minimum)`` threads;
- the BLAS of the matrix products: NumPy's (OpenBLAS in NumPy's wheels), or Intel MKL
  when it is installed and chosen (``_backends/cpu/blas.py``, ``MINITORCH_BLAS``).

So that the two never spin against each other, products are only ever issued from
Python between kernels, never from inside a numba parallel region (no kernel calls
``np.dot``), and both pools get the same count. numba's threading layer is its
``workqueue`` unless the user sets ``NUMBA_THREADING_LAYER`` (see ``kernels.py``): its
threads sleep between regions, where OpenMP's (GNU ``omp``) spin on the cores the BLAS
threads need (the CNN's step with every twin on, 2 threads: 66-77 samples/s with omp,
202-261 with the workqueue); TBB (the ``tbb`` package, its library on the loader path)
measured the same as the workqueue within the noise (174-253), so it stays a choice for
the many-core measurement (docs/benchmarks.md, "Threads").

The default count is torch's (x86 wheels, where it is MKL's): ``MKL_NUM_THREADS``, else
``OMP_NUM_THREADS`` (a positive integer) capped at the physical cores (unless
``MKL_DYNAMIC=false``), else the physical cores this process may run on (hyper-threads
not counted). numba's pool is started at its own size
(``NUMBA_NUM_THREADS``, the CPUs this process may use); more threads than that pool has
cannot run at once, so kernels use at most that many, whatever the setting says.

minitorch runs no inter-op parallelism (ops run one after another); its inter-op
count is kept with torch's rules (a positive int, set at most once) for scripts that
set or print it.
"""
from __future__ import annotations

import ctypes
import glob
import os
import re

_BLAS: dict = {}
# The process-wide settings; None until set (the default then applies).
_STATE: dict = {"threads": None, "interop": None, "default": None, "applied": False}

_SETTERS = (("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
            ("scipy_openblas_set_num_threads", "scipy_openblas_get_num_threads"),
            ("openblas_set_num_threads64_", "openblas_get_num_threads64_"),
            ("openblas_set_num_threads", "openblas_get_num_threads"),
            ("MKL_Set_Num_Threads", "MKL_Get_Max_Threads"))

# Other libraries whose thread count follows set_num_threads: (set, get) pairs added by
# the modules that load them (the MKL of _backends/cpu/blas.py).
EXTRA_POOLS: list = []


def _blas():
    """(set, get) ctypes functions of NumPy's BLAS, or None."""
    if "fns" not in _BLAS:
        _BLAS["fns"] = None
        import numpy as np
        here = os.path.dirname(np.__file__)
        candidates = glob.glob(os.path.join(here, "..", "numpy.libs", "*blas*")) + \
            glob.glob(os.path.join(here, ".dylibs", "*blas*")) + [None]
        for path in candidates:
            try:
                lib = ctypes.CDLL(path)  # None: the symbols already in the process
            except OSError:
                continue
            for set_name, get_name in _SETTERS:
                if hasattr(lib, set_name) and hasattr(lib, get_name):
                    setter, getter = getattr(lib, set_name), getattr(lib, get_name)
                    setter.argtypes, setter.restype = [ctypes.c_int], None
                    getter.argtypes, getter.restype = [], ctypes.c_int
                    _BLAS["fns"] = (setter, getter)
                    return _BLAS["fns"]
    return _BLAS["fns"]


# ----- the default: torch's -----------------------------------------------------------------

def _env_threads(name: str) -> int:
    """A thread-count variable as torch (MKL) reads it: a positive integer, else 0 (ignored)."""
    match = re.fullmatch(r"\s*\+?(\d+)\s*", os.environ.get(name, ""))
    return int(match.group(1)) if match and int(match.group(1)) > 0 else 0


def physical_cores(usable: bool = False) -> int:
    """The machine's physical cores (hyper-threads not counted): distinct (package, core)
    pairs of its online CPUs, or of the CPUs this process may run on (usable=True);
    os.cpu_count() where the topology cannot be read."""
    cpus = None
    if usable and hasattr(os, "sched_getaffinity"):
        cpus = os.sched_getaffinity(0)
    cores = set()
    for topo in glob.glob("/sys/devices/system/cpu/cpu[0-9]*/topology"):
        cpu = int(os.path.basename(os.path.dirname(topo))[3:])
        if cpus is not None and cpu not in cpus:
            continue
        try:
            with open(os.path.join(topo, "physical_package_id")) as f:
                package = f.read().strip()
            with open(os.path.join(topo, "core_id")) as f:
                core = f.read().strip()
        except OSError:
            continue
        cores.add((package, core))
    logical = len(cpus) if cpus else (os.cpu_count() or 1)
    return min(len(cores), logical) if cores else logical


def default_num_threads() -> int:
    """torch's default intra-op count on x86, which is MKL's: MKL_NUM_THREADS, else
    OMP_NUM_THREADS (a positive integer), at most the physical cores unless MKL_DYNAMIC is
    false; without either, the physical cores this process may run on."""
    if _STATE["default"] is None:
        n = _env_threads("MKL_NUM_THREADS") or _env_threads("OMP_NUM_THREADS")
        if not n:
            n = physical_cores(usable=True)
        elif os.environ.get("MKL_DYNAMIC", "").strip().lower() not in ("false", "0"):
            n = min(n, physical_cores())
        _STATE["default"] = n
    return _STATE["default"]


def apply_default_to_blas() -> None:
    """Give NumPy's BLAS the default count when neither the program (set_num_threads) nor the
    environment chose one (OpenBLAS starts a thread per logical CPU, hyper-threads too).
    Called once, before the first matrix product."""
    if _STATE["applied"] or _STATE["threads"] is not None:
        return
    _STATE["applied"] = True
    if any(os.environ.get(v) for v in ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS",
                                       "MKL_NUM_THREADS")):
        return
    blas = _blas()
    if blas is not None and blas[1]() != default_num_threads():
        blas[0](default_num_threads())


# ----- argument checks, as torch's bindings make them -----------------------------------------

def _type_name(value) -> str:
    """The name torch's messages give a value's type (numpy.float64, str, Tensor)."""
    t = type(value)
    if t.__module__ in ("builtins", "__main__") or t.__flags__ & (1 << 9):  # a class defined in Python
        return t.__name__
    return f"{t.__module__}.{t.__name__}"


def _count(value, fn: str) -> int:
    """value as a thread count: an int (not a bool; NumPy integers too) in C int range, > 0."""
    import numpy as np
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or isinstance(value, np.bool_):
        raise RuntimeError(f"{fn} expects an int, but got {_type_name(value)}")
    n = int(value)
    if not -2 ** 63 <= n < 2 ** 63:
        raise ValueError("Overflow when unpacking long long")
    if not -2 ** 31 <= n < 2 ** 31:
        raise ValueError("Overflow when unpacking long")
    if n <= 0:
        raise RuntimeError(f"{fn} expects a positive integer")
    return n


# ----- the public functions -------------------------------------------------------------------

def set_num_threads(n: int) -> None:
    """Use n threads for parallel kernels and matrix products (as torch.set_num_threads).

    Kernels run on at most numba's pool size (NUMBA_NUM_THREADS, by default the CPUs this
    process may use) at once; get_num_threads() still returns n, as torch's does.
    """
    n = _count(n, "set_num_threads")
    _STATE["threads"] = n
    import numba
    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    blas = _blas()
    if blas is not None:
        blas[0](n)
    for setter, _ in EXTRA_POOLS:
        setter(n)


def get_num_threads() -> int:
    """The intra-op thread count: the last set_num_threads, else torch's default."""
    n = _STATE["threads"]
    return default_num_threads() if n is None else n


def set_num_interop_threads(n: int) -> None:
    """Set the inter-op thread count, once per process, as torch.set_num_interop_threads
    (minitorch runs ops one after another: the value is only reported back)."""
    n = _count(n, "set_num_interop_threads")
    if _STATE["interop"] is not None:
        raise RuntimeError("Error: cannot set number of interop threads after parallel work has started "
                           "or set_num_interop_threads called")
    _STATE["interop"] = n


def get_num_interop_threads() -> int:
    """The inter-op thread count: the one set, else torch's default (the physical cores)."""
    n = _STATE["interop"]
    return physical_cores() if n is None else n
