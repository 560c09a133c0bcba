"""minitorch.cpu: the questions PyTorch's ``torch.cpu`` answers, and its deprecated ``amp``."""
from __future__ import annotations

from . import amp  # noqa: F401 - torch.cpu.amp (deprecated spellings)

__all__ = ["is_available", "device_count", "current_device", "synchronize"]


def is_available() -> bool:
    """Always True: minitorch always runs on the CPU."""
    return True


def device_count() -> int:
    """1, as torch.cpu.device_count()."""
    return 1


def current_device() -> str:
    """'cpu', as torch.cpu.current_device()."""
    return "cpu"


def synchronize(device=None) -> None:
    """Nothing to wait for: CPU kernels finish before they return."""
