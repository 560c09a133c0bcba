"""minitorch.compiler: the parts of ``torch.compiler`` that training scripts call.

Nothing is ever being traced or compiled in minitorch (its kernels are numba-compiled when
first used), so ``is_compiling()`` is False and ``disable`` returns the function as it is."""
from __future__ import annotations

from typing import Callable

from . import compile  # noqa: A004 - torch.compiler.compile is torch.compile

__all__ = ["compile", "reset", "disable", "is_compiling", "is_dynamo_compiling", "is_exporting",
           "list_backends", "allow_in_graph", "assume_constant_result", "cudagraph_mark_step_begin"]


def reset() -> None:
    """Clear compilation caches: minitorch keeps none (numba's kernel cache is on disk)."""


def disable(fn: Callable | None = None, recursive: bool = True, *, reason: str | None = None):
    """Exclude fn from compilation (a decorator, with or without arguments): fn as it is."""
    if fn is None:
        return lambda f: disable(f, recursive, reason=reason)
    return fn


def is_compiling() -> bool:
    """False: no code is ever traced by a compiler in minitorch."""
    return False


def is_dynamo_compiling() -> bool:
    """False, as is_compiling()."""
    return False


def is_exporting() -> bool:
    """False: there is no torch.export tracing."""
    return False


def list_backends(exclude_tags=("debug", "experimental")) -> list[str]:
    """The backend names compile() accepts that PyTorch lists by default."""
    return ["cudagraphs", "inductor", "openxla", "tvm"]


def allow_in_graph(fn: Callable) -> Callable:
    """fn itself: there is no graph to allow it in."""
    return fn


def assume_constant_result(fn: Callable) -> Callable:
    """fn itself: there is no graph to fold its result into."""
    return fn


def cudagraph_mark_step_begin() -> None:
    """Nothing to mark: minitorch does not replay CUDA graphs across compile() calls."""
