"""Moving a tensor between devices (Tensor.to("cuda"), .cpu(), .cuda()): differentiable,
the gradient goes back to the device the input came from."""
from __future__ import annotations

from ...tensor import Tensor
from ..function import Function


class ToCopyBackward0(Function):
    """A copy of a on another device (PyTorch names the node as for a dtype copy)."""

    moves_device = True

    @staticmethod
    def forward(ctx, a, target):
        ctx.source = a._backend
        source = a._backend
        if source.name == "cpu":
            return target.from_numpy(a._data)
        host = source.to_numpy(a._data)
        return host.copy() if target.name == "cpu" and host is a._data else target.from_numpy(host)

    @staticmethod
    def backward(ctx, grad):
        return to_backend(grad, ctx.source), None


def to_backend(a: Tensor, target) -> Tensor:
    """a on target's device (a itself when it is there already)."""
    if a._backend is target:
        return a
    return ToCopyBackward0.apply(a, target)
