"""numba.cuda, imported on first use, and the reason when it cannot be used.

``import minitorch`` never imports numba.cuda: it takes a second and can fail on a
machine without the CUDA driver. Everything that needs the GPU asks ``load()``.
"""
from __future__ import annotations

import importlib
import os

_state: dict = {}
# numba-cuda's NumPy array typing, which every kernel compile imports. numba-cuda 0.30.4 (its
# last release) registers np.row_stack there, which numpy 2.5 removed: with numpy >= 2.5
# every compile fails deep inside numba, so the set is checked once, up front.
_PROBE = "numba.cuda.np.arrayobj"


def _compiler_problem():
    """Why numba's CUDA compiler cannot work with the installed packages, or None."""
    try:
        importlib.import_module(_PROBE)
    except ModuleNotFoundError:
        return None     # numba's built-in CUDA target: no such module, no such problem
    except Exception as exc:  # noqa: BLE001 - AttributeError for numpy 2.5; report any
        import numpy
        try:
            from importlib.metadata import version
            which = f"numba-cuda {version('numba-cuda')}"
        except Exception:  # noqa: BLE001
            which = "numba-cuda"
        return (f"{which} cannot compile kernels with numpy {numpy.__version__} "
                f"({type(exc).__name__}: {exc}). Install a working set: "
                f"pip install 'numpy<2.5' 'numba-cuda[cu12]==0.30.4' (what `pip install minitorch[cuda]` installs)")
    return None
# The seed minitorch.manual_seed gave before the CUDA generator existed (it reads it
# when first made), so seeding never has to import numba.cuda.
SEED = [None]


def simulator() -> bool:
    """True when numba runs CUDA kernels in its CPU simulator (NUMBA_ENABLE_CUDASIM=1)."""
    return os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0")


def _import():
    if "module" not in _state:
        try:
            from numba import cuda
        except Exception as exc:  # noqa: BLE001 - any failure means "no CUDA support"
            _state["module"] = None
            _state["why"] = (f"numba's CUDA support could not be imported ({type(exc).__name__}: {exc}); "
                             f"install it with `pip install minitorch[cuda]` (numba-cuda)")
        else:
            _state["module"] = cuda
            try:
                available = bool(cuda.is_available())
            except Exception as exc:  # noqa: BLE001
                available, detail = False, f"{type(exc).__name__}: {exc}"
            else:
                detail = "no NVIDIA GPU or driver was found"
            if available and not simulator():
                problem = _compiler_problem()
                if problem is not None:
                    available, detail = False, problem
            _state["available"] = available
            _state["why"] = None if available else detail
    return _state["module"]


def is_available() -> bool:
    return _import() is not None and _state["available"]


def load():
    """numba.cuda, or a RuntimeError saying why the GPU cannot be used."""
    cuda = _import()
    if cuda is None or not _state["available"]:
        raise RuntimeError(f"CUDA is not available: {_state['why']}")
    return cuda


def device_count() -> int:
    if not is_available():
        return 0
    return len(_state["module"].gpus)
