"""Collectives on CPU tensors: MPI calls on the tensor's own NumPy buffer, in place.

Each collective first runs ``_check_same``: one all-reduce of a few integers describing the
tensor (element count, dtype, a hash of the shape), combined with MAX and MIN at once by
reducing ``[x, -x]``. Equal on every rank means max == min; otherwise every rank raises the
same RuntimeError, where the data transfer itself would hang or overrun a buffer.

Non-contiguous tensors are copied into a contiguous buffer and the result copied back, so
they work too, at the price of the copies. ``async_op=True`` returns an already completed
work handle: the call itself is synchronous.
"""
from __future__ import annotations

import enum
import zlib

import numpy as np

from .._creation import from_numpy
from ..autograd.grad_mode import no_grad
from ._group import _default_comm, _state


class ReduceOp(enum.Enum):
    """How all_reduce / reduce combine the ranks' tensors."""
    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"


class _Work:
    """What ``async_op=True`` returns: the operation has already finished."""

    def wait(self, timeout=None) -> bool:
        return True

    def is_completed(self) -> bool:
        return True

    def is_success(self) -> bool:
        return True


def _mpi_op(op: ReduceOp):
    MPI = _state.mpi
    if not isinstance(op, ReduceOp):
        raise ValueError(f"op must be a minitorch.distributed.ReduceOp, got {op!r}")
    return {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD,
            ReduceOp.MIN: MPI.MIN, ReduceOp.MAX: MPI.MAX}[op]


def _check_tensor(tensor, name: str = "tensor") -> None:
    from ..tensor import Tensor
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{name} must be a minitorch Tensor, got {type(tensor).__name__}")
    if tensor.device.type != "cpu":
        raise RuntimeError(f"the mpi backend works on CPU tensors only; {name} is on {tensor.device}")


def _check_same(comm, tensor, what: str, extra: int = 0) -> None:
    """Raise on every rank unless all ranks passed a tensor of the same shape and dtype (and extra)."""
    shape = tuple(tensor.shape)
    shape_hash = zlib.crc32(repr(shape).encode()) & 0x7FFFFFFF
    dtype_code = zlib.crc32(str(tensor.dtype).encode()) & 0x7FFFFFFF
    mine = np.array([tensor.numel(), shape_hash, dtype_code, extra], dtype=np.int64)
    both = np.concatenate([mine, -mine])
    comm.Allreduce(_state.mpi.IN_PLACE, both, op=_state.mpi.MAX)
    if np.any(both[:4] != -both[4:]):
        raise RuntimeError(
            f"{what}: the ranks passed different tensors (this is rank {comm.Get_rank()}, with shape "
            f"{list(shape)} and dtype {tensor.dtype}); every rank must pass the same shape and dtype, "
            "and the same src/dst")


def _contiguous(tensor) -> np.ndarray:
    """The (CPU) tensor's memory when MPI can use it directly, else a contiguous copy."""
    data = tensor.detach().numpy()
    return data if data.flags.c_contiguous else np.ascontiguousarray(data)


def _finish(tensor, buf: np.ndarray) -> None:
    """Copy a working buffer back if it was a copy, and count the in-place write."""
    if not np.shares_memory(buf, tensor.detach().numpy()):
        with no_grad():
            tensor.copy_(from_numpy(buf))
    else:
        tensor._mark_modified()


def all_reduce(tensor, op: ReduceOp = ReduceOp.SUM, group=None, async_op: bool = False):
    """Combine the tensor of every rank with op; every rank ends with the result, in place."""
    comm = _default_comm(group)
    _check_tensor(tensor)
    if op is ReduceOp.AVG and not tensor.is_floating_point():
        raise RuntimeError(f"ReduceOp.AVG needs a floating point tensor, got {tensor.dtype}")
    mpi_op = _mpi_op(op)
    _check_same(comm, tensor, "all_reduce")
    buf = _contiguous(tensor)
    comm.Allreduce(_state.mpi.IN_PLACE, buf, op=mpi_op)
    if op is ReduceOp.AVG:
        buf /= comm.Get_size()
    _finish(tensor, buf)
    return _Work() if async_op else None


def reduce(tensor, dst: int, op: ReduceOp = ReduceOp.SUM, group=None, async_op: bool = False):
    """Combine every rank's tensor with op into rank dst's tensor (the others keep theirs)."""
    comm = _default_comm(group)
    _check_tensor(tensor)
    _check_rank(comm, dst, "dst")
    if op is ReduceOp.AVG and not tensor.is_floating_point():
        raise RuntimeError(f"ReduceOp.AVG needs a floating point tensor, got {tensor.dtype}")
    mpi_op = _mpi_op(op)
    _check_same(comm, tensor, "reduce", extra=dst)
    buf = _contiguous(tensor)
    if comm.Get_rank() == dst:
        comm.Reduce(_state.mpi.IN_PLACE, buf, op=mpi_op, root=dst)
        if op is ReduceOp.AVG:
            buf /= comm.Get_size()
        _finish(tensor, buf)
    else:
        comm.Reduce(buf, None, op=mpi_op, root=dst)
    return _Work() if async_op else None


def broadcast(tensor, src: int, group=None, async_op: bool = False):
    """Copy rank src's tensor into every other rank's tensor, in place."""
    comm = _default_comm(group)
    _check_tensor(tensor)
    _check_rank(comm, src, "src")
    _check_same(comm, tensor, "broadcast", extra=src)
    buf = _contiguous(tensor)
    comm.Bcast(buf, root=src)
    if comm.Get_rank() != src:
        _finish(tensor, buf)
    return _Work() if async_op else None


def all_gather(tensor_list: list, tensor, group=None, async_op: bool = False):
    """Fill ``tensor_list[r]`` with rank r's tensor, on every rank."""
    comm = _default_comm(group)
    _check_tensor(tensor)
    size = comm.Get_size()
    if not isinstance(tensor_list, (list, tuple)) or len(tensor_list) != size:
        got = len(tensor_list) if isinstance(tensor_list, (list, tuple)) else type(tensor_list).__name__
        raise ValueError(f"all_gather: tensor_list must hold world_size ({size}) tensors, got {got}")
    for k, out in enumerate(tensor_list):
        _check_tensor(out, f"tensor_list[{k}]")
        if out.shape != tensor.shape or out.dtype != tensor.dtype:
            raise RuntimeError(
                f"all_gather: tensor_list[{k}] has shape {list(out.shape)} and dtype {out.dtype}, "
                f"but the input tensor has shape {list(tensor.shape)} and dtype {tensor.dtype}")
    _check_same(comm, tensor, "all_gather")
    gathered = np.empty((size,) + tuple(tensor.shape), dtype=tensor.dtype.np)
    comm.Allgather(_contiguous(tensor), gathered)
    with no_grad():
        for out, part in zip(tensor_list, gathered):
            out.copy_(from_numpy(part))
    return _Work() if async_op else None


def barrier(group=None, async_op: bool = False, device_ids=None):
    """Wait until every rank has called barrier."""
    _default_comm(group).Barrier()
    return _Work() if async_op else None


def _check_rank(comm, rank: int, name: str) -> None:
    size = comm.Get_size()
    if not isinstance(rank, (int, np.integer)) or not 0 <= rank < size:
        raise ValueError(f"{name}={rank!r} is not a rank of the default group (world size {size})")
