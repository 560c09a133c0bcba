"""minitorch.multiprocessing: Python's multiprocessing, with tensors shared instead of copied.

As ``torch.multiprocessing``: everything of the standard module (``Process``, ``Queue``,
``SimpleQueue``, ``Pool``, ``get_context``, ``set_start_method``, ``cpu_count``, ...), plus
``spawn`` / ``start_processes`` and the sharing strategies. Importing it registers the
reductions (``reductions.py``): a CPU tensor put on a queue or passed to a spawned
process is moved to shared memory and arrives as a tensor over the same memory.
"""
import multiprocessing
from multiprocessing import *  # noqa: F401,F403 - the standard API, as torch.multiprocessing has it

from .. import _shared_memory
from .reductions import init_reductions
from .spawn import (ProcessContext, ProcessExitedException, ProcessRaisedException,  # noqa: F401
                    SpawnContext, spawn, start_processes)

__all__ = ["set_sharing_strategy", "get_sharing_strategy", "get_all_sharing_strategies",
           "spawn", "start_processes", "ProcessContext", "ProcessRaisedException",
           "ProcessExitedException", "SpawnContext"] + multiprocessing.__all__


def set_sharing_strategy(new_strategy: str) -> None:
    """How tensors are shared from now on: "file_descriptor" (default) or "file_system"."""
    if new_strategy not in get_all_sharing_strategies():
        raise AssertionError(f"invalid sharing strategy {new_strategy!r}, "
                             f"expected one of {get_all_sharing_strategies()}")
    _shared_memory.set_strategy(new_strategy)


def get_sharing_strategy() -> str:
    """The current strategy for sharing CPU tensors."""
    return _shared_memory.get_strategy()


def get_all_sharing_strategies() -> set:
    """The sharing strategies this system supports."""
    return set(_shared_memory.STRATEGIES)


init_reductions()
