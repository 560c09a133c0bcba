"""Utilities laid out as PyTorch's: ``minitorch.utils.data`` (datasets, samplers, DataLoader)."""
from . import data

__all__ = ["data"]


def __getattr__(name: str):
    if name == "checkpoint":  # loaded on first use, as torch.utils.checkpoint
        from . import checkpoint
        return checkpoint
    from .._unsupported import missing
    raise missing("utils", name, "module 'minitorch.utils'")
