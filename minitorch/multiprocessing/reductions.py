"""How tensors cross process boundaries: through shared memory, not as copies.

Registered with ``multiprocessing.reduction.ForkingPickler`` (what multiprocessing's
queues, pipes and spawned Process arguments pickle with), as PyTorch's reductions are.
A CPU tensor is first moved to shared memory (``Tensor.share_memory_()``, in place, in
the sending process), then sent as its segment's handle -- the file descriptor
(``multiprocessing.reduction.DupFd``) or the /dev/shm name, depending on the sharing
strategy that made the segment -- with its offset, shape and strides. The receiver
maps the same memory: what either side writes, the other sees.

A handle sent by file descriptor is served by the sending process until the receiver
picks it up: keep the sender alive (and, under ``file_system``, the tensor) until then.
A plain ``pickle.dumps`` still copies the values (``Tensor.__reduce_ex__``).
"""
from __future__ import annotations

from multiprocessing.reduction import DupFd, ForkingPickler

import numpy as np

from .. import _shared_memory
from .._ops import sharing
from ..tensor import Tensor


def reduce_tensor(tensor: Tensor):
    """(rebuild_tensor, its arguments): tensor's storage moved to shared memory and named."""
    if tensor.requires_grad and not tensor.is_leaf:
        raise RuntimeError(
            "Cowardly refusing to serialize non-leaf tensor which requires_grad, since autograd does "
            "not support crossing process boundaries.  If you just want to transfer the data, call "
            "detach() on the tensor before serializing (e.g., putting it on the queue).")
    if tensor.device.type != "cpu":
        raise RuntimeError(
            f"minitorch can't share {tensor.device.type} tensors between processes (PyTorch uses CUDA "
            "IPC for that); send tensor.cpu() instead, and move it back to the device in the receiver")
    tensor.share_memory_()
    segment, offset, shape, strides, dtype, writeable = sharing.shared_handle(tensor)
    handle = ("name", segment.name) if segment.name is not None else ("fd", DupFd(segment.fd))
    return rebuild_tensor, (handle, offset, shape, strides, dtype.str, tensor.requires_grad, writeable)


def rebuild_tensor(handle: tuple, offset: int, shape: tuple, strides: tuple, dtype: str,
                   requires_grad: bool, writeable: bool) -> Tensor:
    """The tensor reduce_tensor described, over the sender's memory."""
    kind, value = handle
    segment = _shared_memory.from_name(value) if kind == "name" else _shared_memory.from_fd(value.detach())
    tensor = sharing.from_shared(segment, offset, shape, strides, np.dtype(dtype), writeable)
    if requires_grad:
        tensor.requires_grad_(True)
    return tensor


def init_reductions() -> None:
    """Send tensors through shared memory in every multiprocessing queue, pipe and spawn."""
    ForkingPickler.register(Tensor, reduce_tensor)
