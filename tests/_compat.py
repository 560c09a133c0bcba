"""Optional torch for differential tests: tests that compare with PyTorch skip cleanly without it."""
import pytest

try:
    import torch
except ImportError:  # pragma: no cover - depends on the environment
    torch = None

requires_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")
