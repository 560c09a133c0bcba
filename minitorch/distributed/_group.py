"""The default process group: one MPI communicator, held in module state."""
from __future__ import annotations


class _State:
    comm = None   # a Dup of MPI.COMM_WORLD while initialized
    mpi = None    # the mpi4py.MPI module, imported by init_process_group


_state = _State()


class GroupMember:
    """``group.WORLD``: the only group there is (``new_group`` is not provided)."""
    WORLD = "WORLD"
    NON_GROUP_MEMBER = None


group = GroupMember


def _default_comm(group=None):
    """The communicator of the default group, or torch's error when there is none."""
    if group not in (None, GroupMember.WORLD):
        raise ValueError(f"minitorch.distributed has only the default group, got group={group!r}")
    if _state.comm is None:
        raise ValueError("Default process group has not been initialized, "
                         "please make sure to call init_process_group.")
    return _state.comm
