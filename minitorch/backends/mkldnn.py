"""minitorch.backends.mkldnn: torch.backends.mkldnn's flags and question.

minitorch does not use oneDNN (MKL-DNN), so ``is_available()`` is False. ``enabled`` and
``deterministic`` are kept and validated as PyTorch keeps them and change nothing.
"""
from __future__ import annotations

import contextlib
import sys
import types

from .. import _flags

__all__ = ["is_available", "flags", "set_flags"]

_SETTERS = {"enabled": "set_enabled_mkldnn", "deterministic": "set_deterministic_mkldnn"}


def is_available() -> bool:
    """Return whether minitorch is built with MKL-DNN support (it is not)."""
    return False


def set_flags(_enabled=None, _deterministic=None, _allow_tf32=None, _fp32_precision="none") -> tuple:
    """Set the flags given (None leaves one as it is); return the previous values."""
    state = _flags.MKLDNN
    previous = (state["enabled"], state["deterministic"], True, "none")
    for name, value in (("enabled", _enabled), ("deterministic", _deterministic)):
        if value is not None:
            state[name] = _flags.check_bool(_SETTERS[name], value)
    return previous


@contextlib.contextmanager
def flags(enabled=False, deterministic=False, allow_tf32=True, fp32_precision="none"):
    """Set the flags for the duration of a ``with`` block, then restore them."""
    previous = set_flags(enabled, deterministic, allow_tf32, fp32_precision)
    try:
        yield
    finally:
        set_flags(*previous)


def _flag(name: str) -> property:
    def get(module):
        return _flags.MKLDNN[name]

    def set_(module, value):
        _flags.MKLDNN[name] = _flags.check_bool(_SETTERS[name], value)
    return property(get, set_, doc=f"torch.backends.mkldnn.{name} (stored; minitorch has no oneDNN).")


class _MkldnnModule(types.ModuleType):
    """This module, with its flags as validated properties."""

    enabled = _flag("enabled")
    deterministic = _flag("deterministic")


sys.modules[__name__].__class__ = _MkldnnModule
