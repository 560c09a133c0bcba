"""minitorch.distributed: PyTorch's process-group API on MPI (mpi4py).

Start one process per rank with an MPI launcher; a plain ``python script.py`` is a world
of one, so the same script also runs (and its tests pass) without any launcher::

    mpiexec -n 4 python -m mpi4py train.py     # -m mpi4py: one rank raising aborts the job

Collectives work IN PLACE on CPU tensors through the buffer protocol (mpi4py's uppercase
calls on the memory ``t.numpy()`` shows; nothing is pickled). Before moving data, each collective checks with
one tiny all-reduce that every rank passed a tensor of the same shape and dtype, so a
mismatch raises the same RuntimeError on every rank instead of hanging or corrupting memory.
The process-group bookkeeping lives here; the collectives are in ``_collectives.py``.
"""
from __future__ import annotations

import importlib.util
from datetime import timedelta

from ._collectives import (ReduceOp, all_gather, all_reduce, barrier, broadcast, reduce)
from ._group import GroupMember, _default_comm, _state, group

__all__ = ["GroupMember", "ReduceOp", "all_gather", "all_reduce", "barrier", "broadcast",
           "destroy_process_group", "get_backend", "get_rank", "get_world_size", "group",
           "init_process_group", "is_available", "is_initialized", "is_mpi_available"]


def is_available() -> bool:
    """True when mpi4py is installed (importing it is deferred: it starts MPI)."""
    return importlib.util.find_spec("mpi4py") is not None


is_mpi_available = is_available


def init_process_group(backend: str | None = None, init_method: str | None = None,
                       timeout: timedelta | None = None, world_size: int = -1, rank: int = -1,
                       store=None, group_name: str = "", pg_options=None, device_id=None) -> None:
    """Join the default process group: every process started by ``mpiexec`` (or just this one).

    Only the ``"mpi"`` backend exists (``None`` means it); the launcher fixes rank and world
    size, so explicit ``world_size``/``rank`` must agree with it. ``init_method`` and ``store``
    are not needed by MPI and must be left unset.
    """
    if _state.comm is not None:
        raise ValueError("trying to initialize the default process group twice!")
    name = "mpi" if backend is None else str(backend).lower()
    if name != "mpi":
        raise RuntimeError(
            f"minitorch.distributed supports only the 'mpi' backend, got backend={backend!r}; "
            "use init_process_group('mpi') and start the processes with mpiexec")
    if init_method not in (None, "env://") or store is not None:
        raise ValueError("the mpi backend takes its ranks from the MPI launcher: leave init_method and store unset")
    if not is_available():
        raise RuntimeError("the mpi backend needs mpi4py: pip install mpi4py mpich")
    from mpi4py import MPI
    # A private duplicate keeps our messages apart from any the user's own mpi4py code sends.
    comm = MPI.COMM_WORLD.Dup()
    if world_size not in (-1, comm.Get_size()) or rank not in (-1, comm.Get_rank()):
        size, me = comm.Get_size(), comm.Get_rank()
        comm.Free()
        raise ValueError(
            f"init_process_group(world_size={world_size}, rank={rank}) disagrees with the MPI launcher, "
            f"which started this process as rank {me} of {size}")
    _state.comm = comm
    _state.mpi = MPI


def is_initialized() -> bool:
    """True between init_process_group and destroy_process_group."""
    return _state.comm is not None


def get_rank(group=None) -> int:
    """This process's rank, 0 .. world_size - 1."""
    return _default_comm(group).Get_rank()


def get_world_size(group=None) -> int:
    """How many processes take part."""
    return _default_comm(group).Get_size()


def get_backend(group=None) -> str:
    """The backend of the process group: always "mpi"."""
    _default_comm(group)
    return "mpi"


def destroy_process_group(group=None) -> None:
    """Leave the default process group (MPI itself is finalized by mpi4py at exit)."""
    comm = _default_comm(group)
    comm.Free()
    _state.comm = None
