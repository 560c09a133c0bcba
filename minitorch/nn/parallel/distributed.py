"""DistributedDataParallel: the same model in every process, gradients averaged after backward.

At construction rank 0's parameters and buffers are broadcast, so every replica starts equal
(and the broadcast checks that every rank built the same shapes). The parameters that need
gradients are grouped into buckets of at most ``bucket_cap_mb`` MiB, in reverse registration
order (roughly the order backward produces their gradients). A hook on each parameter
(``p.register_hook``) marks it ready; when a bucket's parameters are all ready, their gradients
are copied into one flat buffer, all-reduced in place with one MPI call and divided by the
world size, then copied back into ``p.grad``. The buffers are host memory: gradients of a
module on another device travel through it, so DDP works on every backend. Buckets are
reduced strictly in order, so every rank issues the same collectives in the same order
whatever order its hooks fire in.

A leaf's hook runs just before its gradient is accumulated into ``p.grad``; the hook that
completes a bucket therefore folds its own incoming gradient in, sets ``p.grad`` to None and
returns the averaged gradient, which autograd then stores as ``p.grad``.

state_dict: like torch's DDP, the wrapped model is the submodule ``module``, so
``ddp.state_dict()`` keys read ``module.0.weight``. This keeps checkpoints interchangeable with
PyTorch's DDP. Save ``ddp.module.state_dict()`` for a checkpoint that loads into the plain
model (the MNIST example does that).
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator

import numpy as np

from ... import distributed as dist
from ..._creation import from_numpy
from ...autograd.function import AccumulateGrad
from ...autograd.grad_mode import is_grad_enabled, no_grad
from ...tensor import Tensor
from ..modules.module import Module


class _Bucket:
    """Parameters whose gradients travel together: one flat buffer, one all-reduce."""

    def __init__(self, params: list) -> None:
        self.params = params
        self.offsets = np.cumsum([0] + [p.numel() for p in params]).tolist()
        self.flat = np.empty(self.offsets[-1], dtype=params[0].dtype.np)
        self.ready = 0

    def slot(self, k: int) -> np.ndarray:
        """The part of the flat buffer that holds params[k]'s gradient, in its shape."""
        return self.flat[self.offsets[k]:self.offsets[k + 1]].reshape(tuple(self.params[k].shape))


class DistributedDataParallel(Module):
    """Wrap module for data-parallel training: call it like the module; backward averages gradients.

    Every rank must build the same model, run forward then backward once per step on its own
    batch (use DistributedSampler), and step its own optimizer; the averaged gradients keep
    the replicas identical.
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0,
                 broadcast_buffers: bool = True, process_group=None, bucket_cap_mb: float | None = None,
                 find_unused_parameters: bool = False, check_reduction: bool = False,
                 gradient_as_bucket_view: bool = False, static_graph: bool = False, **kwargs: Any) -> None:
        super().__init__()
        params = list(module.parameters())
        if not any(p.requires_grad for p in params):
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have any "
                               "parameter that requires a gradient.")
        devices = {p.device for p in params}
        if len(devices) != 1:
            raise ValueError(f"DistributedDataParallel's input module must be on a single device, found "
                             f"{sorted(str(d) for d in devices)}")
        on_cpu = next(iter(devices)).type == "cpu"
        if on_cpu and (device_ids is not None or output_device is not None):
            raise ValueError(
                "DistributedDataParallel device_ids and output_device arguments only work with "
                f"single-device/multiple-device GPU modules, but got device_ids {device_ids}, "
                f"output_device {output_device}, and a CPU module")
        if bucket_cap_mb is None:
            bucket_cap_mb = 25
        if bucket_cap_mb <= 0:
            raise ValueError(f"bucket_cap_mb must be positive, got {bucket_cap_mb}")
        self._comm = dist._group._default_comm(process_group)
        self.module = module
        self.device_ids = None
        self.dim = dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.bucket_bytes_cap = int(bucket_cap_mb * 1024 * 1024)
        self.require_backward_grad_sync = True
        self.world_size = self._comm.Get_size()

        with_buffers = [t for t in module.buffers()]
        for t in params + with_buffers:
            _broadcast(t, process_group)

        self._buckets = self._make_buckets([p for p in params if p.requires_grad])
        self._where = {id(p): (b, k) for b in self._buckets for k, p in enumerate(b.params)}
        self._ready: set = set()
        self._armed = False      # a synced forward ran and its backward has not finished reducing
        self._next_bucket = 0
        self._handles = [p.register_hook(self._make_hook(p)) for b in self._buckets for p in b.params]

    def _make_buckets(self, params: list) -> list:
        """Consecutive groups of at most bucket_bytes_cap bytes (one dtype each), last parameter first."""
        buckets, current, size = [], [], 0
        for p in reversed(params):
            nbytes = p.numel() * p.element_size()
            if current and (size + nbytes > self.bucket_bytes_cap or p.dtype != current[0].dtype):
                buckets.append(_Bucket(current))
                current, size = [], 0
            current.append(p)
            size += nbytes
        if current:
            buckets.append(_Bucket(current))
        return buckets

    # ----- forward ------------------------------------------------------------------------
    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        if self._armed and self._ready:
            raise RuntimeError(
                "Expected to have finished reduction in the prior iteration before starting a new one. "
                "This error indicates that your module has parameters that were not used in producing "
                "loss. You can enable unused parameter detection by passing the keyword argument "
                "`find_unused_parameters=True` to `minitorch.nn.parallel.DistributedDataParallel`, and by "
                "making sure all `forward` function outputs participate in calculating loss.")
        if self.broadcast_buffers and self.world_size > 1:
            for b in self.module.buffers():
                dist.broadcast(b.detach(), src=0)
        output = self.module(*inputs, **kwargs)
        self._armed = is_grad_enabled() and self.require_backward_grad_sync
        self._ready, self._next_bucket = set(), 0
        for b in self._buckets:
            b.ready = 0
        if self._armed and self.find_unused_parameters:
            used = _leaves_reached(output)
            for p in (p for b in self._buckets for p in b.params):
                if id(p) not in used:
                    self._mark_ready(p)
        return output

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Inside, backward only accumulates local gradients; the first synced backward after averages them."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    # ----- backward: hooks and buckets ----------------------------------------------------
    def _make_hook(self, param):
        def hook(grad: Tensor):
            if not self._armed:
                return None
            if id(param) in self._ready:
                raise RuntimeError(
                    "Expected to mark a variable ready only once. A parameter received a gradient twice "
                    "in one iteration (backward run twice after one forward?); DistributedDataParallel "
                    "averages gradients once per forward/backward.")
            self._mark_ready(param)
            return self._reduce_ready_buckets(param, grad)
        return hook

    def _mark_ready(self, param) -> None:
        self._ready.add(id(param))
        self._where[id(param)][0].ready += 1

    def _reduce_ready_buckets(self, incoming, grad: Tensor):
        """All-reduce every complete bucket that is next in order; the incoming param's new grad, if reduced."""
        replacement = None
        while self._next_bucket < len(self._buckets):
            bucket = self._buckets[self._next_bucket]
            if bucket.ready < len(bucket.params):
                break
            averaged = self._reduce(bucket, incoming, grad)
            if averaged is not None:
                replacement = averaged
            self._next_bucket += 1
        if self._next_bucket == len(self._buckets):
            self._armed = False
        return replacement

    def _reduce(self, bucket: _Bucket, incoming, grad: Tensor):
        """Average one bucket's gradients across ranks and write them back into p.grad."""
        MPI = dist._group._state.mpi
        local_used = np.zeros(len(bucket.params), dtype=np.uint8)
        for k, p in enumerate(bucket.params):
            slot = bucket.slot(k)
            if p is incoming:
                local_used[k] = 1
                np.copyto(slot, _host(grad))
                if p.grad is not None:
                    slot += _host(p.grad)
            elif p.grad is not None:
                local_used[k] = 1
                np.copyto(slot, _host(p.grad))
            else:
                slot[...] = 0
        self._comm.Allreduce(MPI.IN_PLACE, bucket.flat, op=MPI.SUM)
        bucket.flat /= self.world_size
        if self.find_unused_parameters:
            self._comm.Allreduce(MPI.IN_PLACE, local_used, op=MPI.MAX)
        else:
            local_used[:] = 1
        replacement = None
        for k, p in enumerate(bucket.params):
            if not local_used[k]:
                continue    # unused on every rank: its grad stays as it was (None)
            slot = bucket.slot(k)
            if p is incoming:
                # autograd stores this (as a copy) in p.grad right after the hook returns.
                p.grad = None
                replacement = from_numpy(slot).to(p.device)
            elif p.grad is None:
                p.grad = from_numpy(slot.copy()).to(p.device)
            else:
                with no_grad():
                    p.grad.copy_(from_numpy(slot))
        return replacement

    def extra_repr(self) -> str:
        return f"world_size={self.world_size}, buckets={len(self._buckets)}"


def _broadcast(t: Tensor, group) -> None:
    """Rank 0's values of t into every rank's t (through host memory for a GPU tensor)."""
    if t.device.type == "cpu":
        dist.broadcast(t.detach(), src=0, group=group)
        return
    host = t.detach().cpu()
    dist.broadcast(host, src=0, group=group)
    with no_grad():
        t.copy_(host)


def _host(t: Tensor) -> np.ndarray:
    """t's values in host memory (the tensor's own memory on the CPU)."""
    return t.detach().cpu().numpy()


def _leaves_reached(output) -> set:
    """ids of the leaf tensors whose gradient a backward from output's tensors would reach."""
    roots = []
    stack = [output]
    while stack:
        obj = stack.pop()
        if isinstance(obj, Tensor):
            if obj.grad_fn is not None:
                roots.append(obj.grad_fn)
            elif obj.requires_grad:
                roots.append(obj._accumulator())
        elif isinstance(obj, (list, tuple)):
            stack.extend(obj)
        elif isinstance(obj, dict):
            stack.extend(obj.values())
    used, seen = set(), set()
    while roots:
        node = roots.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if type(node) is AccumulateGrad:
            leaf = node._variable()
            if leaf is not None:
                used.add(id(leaf))
        roots.extend(edge for edge, _, _ in node._inputs)
    return used
