"""minitorch.backends.mps: Apple's Metal backend, which minitorch does not have."""
from __future__ import annotations

__all__ = ["is_available", "is_built"]


def is_built() -> bool:
    """Return whether minitorch is built with MPS support (it is not)."""
    return False


def is_available() -> bool:
    """Return a bool indicating if MPS is currently available (never, in minitorch)."""
    return False
