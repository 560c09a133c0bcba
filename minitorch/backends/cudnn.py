"""minitorch.backends.cudnn: torch.backends.cudnn's flags and questions.

minitorch has no cuDNN (its GPU kernels are its own), so ``is_available()`` is False and
``version()`` None, as on a PyTorch build without cuDNN. ``enabled``, ``benchmark``,
``deterministic`` and ``allow_tf32`` are kept and validated as PyTorch keeps them
(``torch.backends.cudnn.benchmark = True`` works) and change nothing.
"""
from __future__ import annotations

import contextlib
import sys
import types

from .. import _flags

__all__ = ["is_available", "version", "is_acceptable", "flags", "set_flags"]

_SETTERS = {"enabled": "set_enabled_cudnn", "benchmark": "set_benchmark_cudnn",
            "deterministic": "set_deterministic_cudnn",
            # (PyTorch's message for cudnn.allow_tf32 names the cuBLAS setter)
            "allow_tf32": "set_allow_tf32_cublas"}

# benchmark_limit is a flag only where cuDNN is available; elsewhere a plain attribute.
benchmark_limit = None


def is_available() -> bool:
    """Return a bool indicating if CUDNN is currently available (never, in minitorch)."""
    return False


def version():
    """Return the version of cuDNN (None: minitorch has no cuDNN)."""
    return None


def is_acceptable(tensor) -> bool:
    """Whether cuDNN would run an op on tensor (never, in minitorch)."""
    return False


def set_flags(_enabled=None, _benchmark=None, _benchmark_limit=None, _deterministic=None,
              _allow_tf32=None, _fp32_precision="none", _depthwise_kernel=None) -> tuple:
    """Set the flags given (None leaves one as it is); return the previous values."""
    state = _flags.CUDNN
    previous = (state["enabled"], state["benchmark"], None, state["deterministic"], state["allow_tf32"],
                "none", "auto")
    for name, value in (("enabled", _enabled), ("benchmark", _benchmark), ("deterministic", _deterministic),
                        ("allow_tf32", _allow_tf32)):
        if value is not None:
            state[name] = _flags.check_bool(_SETTERS[name], value)
    return previous


@contextlib.contextmanager
def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False, allow_tf32=True,
          fp32_precision="none", depthwise_kernel="auto"):
    """Set the flags for the duration of a ``with`` block (PyTorch's defaults: all off but
    allow_tf32), then restore them."""
    previous = set_flags(enabled, benchmark, benchmark_limit, deterministic, allow_tf32, fp32_precision,
                         depthwise_kernel)
    try:
        yield
    finally:
        set_flags(*previous)


def _flag(name: str) -> property:
    def get(module):
        return _flags.CUDNN[name]

    def set_(module, value):
        _flags.CUDNN[name] = _flags.check_bool(_SETTERS[name], value)
    return property(get, set_, doc=f"torch.backends.cudnn.{name} (stored; minitorch has no cuDNN).")


class _CudnnModule(types.ModuleType):
    """This module, with its flags as validated properties (``cudnn.benchmark = 3`` raises)."""

    enabled = _flag("enabled")
    benchmark = _flag("benchmark")
    deterministic = _flag("deterministic")
    allow_tf32 = _flag("allow_tf32")


sys.modules[__name__].__class__ = _CudnnModule
