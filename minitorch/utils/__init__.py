"""Utilities laid out as PyTorch's: ``minitorch.utils.data`` (datasets, samplers, DataLoader)."""
from . import data

__all__ = ["data"]
