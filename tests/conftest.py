"""Test-session set-up shared by every test file.

The CUDA backend's tests run numba's CUDA simulator unless the caller chose otherwise:
on a machine with a GPU, ``NUMBA_ENABLE_CUDASIM=0 python -m pytest tests/cuda`` (what
scripts/gpu_check.sh runs) tests the real device. The variable must be set before numba
is imported, which is why it is set here, before any test module imports minitorch.
"""
import os
import sys

os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")

# MINITORCH_TESTS_WITHOUT_TORCH=1 runs the suite as on a machine without torch (the
# comparisons skip, the NumPy and finite-difference checks run): `import torch` fails.
if os.environ.get("MINITORCH_TESTS_WITHOUT_TORCH") == "1":
    sys.modules["torch"] = None

import pytest  # noqa: E402


@pytest.fixture
def no_cuda(monkeypatch):
    """Make this test see a machine without a GPU, whatever this one has."""
    from minitorch._backends.cuda import _runtime
    monkeypatch.setattr(_runtime, "_state", {
        "module": object(), "available": False,
        "why": "no NVIDIA GPU or driver was found"})


def pytest_sessionstart(session):
    """MINITORCH_RECORD_CUDA_LAUNCHES=path: record every CUDA kernel launch of the session
    for scripts/cuda_compile_check.py --from-record (which compiles them for a real GPU)."""
    if os.environ.get("MINITORCH_RECORD_CUDA_LAUNCHES"):
        from minitorch._backends.cuda import _launch
        _launch.RECORD = []


def pytest_sessionfinish(session, exitstatus):
    path = os.environ.get("MINITORCH_RECORD_CUDA_LAUNCHES")
    if path:
        import importlib.util
        import pathlib
        from minitorch._backends.cuda import _launch
        script = pathlib.Path(__file__).resolve().parents[1] / "scripts" / "cuda_compile_check.py"
        spec = importlib.util.spec_from_file_location("cuda_compile_check", script)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        if _launch.RECORD is None:  # a test dropped the session's list: the record would be empty
            raise RuntimeError("the CUDA launch record was lost during the session (a test reset _launch.RECORD)")
        module.write_record(_launch.RECORD, path)
