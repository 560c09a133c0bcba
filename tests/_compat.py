"""Optional torch for differential tests: tests that compare with PyTorch skip cleanly without it.

MINITORCH_TESTS_WITHOUT_TORCH=1 hides an installed torch (see conftest.py), to see what
the suite checks on a machine without it.
"""
import pytest

try:
    import torch
except ImportError:  # pragma: no cover - depends on the environment
    torch = None

requires_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")
