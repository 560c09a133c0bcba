"""minitorch.backends.openmp: whether the parallel CPU kernels can run on OpenMP."""
from __future__ import annotations

import importlib.util

__all__ = ["is_available"]


def is_available() -> bool:
    """Return whether numba, which runs minitorch's parallel CPU kernels, has its OpenMP
    threading layer."""
    try:
        return importlib.util.find_spec("numba.np.ufunc.omppool") is not None
    except (ImportError, ValueError):
        return False
