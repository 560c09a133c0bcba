"""The host tier: numba-cuda's real host code (NVVM compiles, argument typing, minitorch's
own launch path) over a fake driver, on a machine without a GPU (fake_driver.py).

Opt-in, in a Python with numba-cuda (as .ci/run does):

    MINITORCH_HOST_TIER=1 NUMBA_ENABLE_CUDASIM=0 python -m pytest tests/cuda/host

Elsewhere (the simulator suite, a real GPU) every test here is skipped: the fake driver
must never replace a real one.
"""
import os

import pytest


def _why_not() -> str | None:
    if os.environ.get("MINITORCH_HOST_TIER") != "1":
        return "host tier: set MINITORCH_HOST_TIER=1 (and NUMBA_ENABLE_CUDASIM=0) to run it"
    if os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0"):
        return "host tier: needs NUMBA_ENABLE_CUDASIM=0"
    try:
        import numba_cuda  # noqa: F401
    except ImportError:
        return "host tier: needs NVIDIA's numba-cuda (pip install 'numba-cuda[cu12]')"
    return None


WHY_NOT = _why_not()
if WHY_NOT is None:
    from . import fake_driver
    fake_driver.install()


def pytest_collection_modifyitems(config, items):
    if WHY_NOT is None:
        return
    skip = pytest.mark.skip(reason=WHY_NOT)
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(skip)


@pytest.fixture
def driver():
    """The fake driver, with its counts reset and its error list empty."""
    from . import fake_driver
    fake_driver.reset_counts()
    fake_driver.errors.clear()
    fake_driver.STATE.update(check=True, gc_each_launch=False, trace=None)
    yield fake_driver
    fake_driver.STATE.update(check=True, gc_each_launch=False, trace=None)
