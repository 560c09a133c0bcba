"""minitorch.set_num_threads / get_num_threads: one knob for numba's and BLAS's threads.

PyTorch's ``set_num_threads`` sizes its intra-op pool. minitorch's parallel work
runs in two pools: numba's (the parallel kernels) and the BLAS library NumPy was
built with (matrix products). Both are set together so that they never add up to
more threads than the user asked for at one time (they do not run concurrently).
BLAS is found among the shared libraries NumPy loaded (OpenBLAS in NumPy's wheels,
``openblas_set_num_threads`` in a system OpenBLAS, MKL's ``MKL_Set_Num_Threads``);
if none is found only numba's pool changes.
"""
from __future__ import annotations

import ctypes
import glob
import os

_BLAS: dict = {}

_SETTERS = (("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
            ("scipy_openblas_set_num_threads", "scipy_openblas_get_num_threads"),
            ("openblas_set_num_threads64_", "openblas_get_num_threads64_"),
            ("openblas_set_num_threads", "openblas_get_num_threads"),
            ("MKL_Set_Num_Threads", "MKL_Get_Max_Threads"))


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


def set_num_threads(n: int) -> None:
    """Use at most n threads for parallel kernels and matrix products (as torch.set_num_threads).

    numba cannot grow its pool past the size it started with (NUMBA_NUM_THREADS, by
    default the number of cores), so larger values are capped there.
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(n).__name__}")
    if n <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    import numba
    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    blas = _blas()
    if blas is not None:
        blas[0](n)


def get_num_threads() -> int:
    """The number of threads parallel kernels use (numba's pool size in effect)."""
    import numba
    return numba.get_num_threads()
