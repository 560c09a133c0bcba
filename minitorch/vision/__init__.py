"""Computer vision with torchvision's interface: ``minitorch.vision.datasets``,
``minitorch.vision.transforms``, ``minitorch.vision.models`` and ``minitorch.vision.utils``.

The submodules load on first use (PEP 562), so ``datasets`` works even where
``transforms`` is not available, and ``import minitorch.vision`` costs nothing.
"""
import importlib

__all__ = ["datasets", "models", "transforms", "utils"]


def __getattr__(name: str):
    if name in __all__:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
