"""The change minitorch/autograd/ops/nn.py needs (a file the CUDA work may not edit) for a
CUDA training step without a host sync: NllLossBackward0 uses the op table's optional
``nll_loss_reduced`` / ``nll_backward_reduced`` when a backend has them, so the reduced
loss, the mean's weight total and the backward's scale stay on the device (today the
forward copies three numbers to the host and the backward calls ``grad.item()``).

``device_nll()`` applies exactly that change for the duration of a test, so the tests
check the proposal's numbers (simulator) and its launch and copy counts (host tier).
"""
from __future__ import annotations

import contextlib


def forward(ctx, logp, target, weight, reduction, ignore_index, out_shape=None):
    be = logp._backend
    if reduction != "none" and hasattr(be, "nll_loss_reduced"):
        w = None if weight is None else weight._data
        out, weight_sum = be.nll_loss_reduced(logp._data, target._data, w, ignore_index,
                                              reduction == "mean")
        ctx.save_for_backward(target, weight)
        ctx.reduction, ctx.ignore_index, ctx.weight_sum = reduction, ignore_index, weight_sum
        ctx.shape, ctx.dtype, ctx.out_shape = logp.shape, logp.dtype, out_shape
        ctx.on_device = True
        return out
    ctx.on_device = False
    return _ORIGINAL["forward"](ctx, logp, target, weight, reduction, ignore_index, out_shape)


def backward(ctx, grad):
    if not ctx.on_device:
        return _ORIGINAL["backward"](ctx, grad)
    from minitorch.tensor import Tensor
    target, weight = ctx.saved_tensors
    be = grad._backend
    out = be.nll_backward_reduced(grad._data, ctx.weight_sum, target._data,
                                  None if weight is None else weight._data, ctx.ignore_index,
                                  ctx.reduction == "mean", ctx.shape, ctx.dtype)
    return Tensor._wrap(out, be), None, None, None, None, None


_ORIGINAL: dict = {}


@contextlib.contextmanager
def device_nll():
    """NllLossBackward0 with the proposed forward/backward while the block runs."""
    from minitorch.autograd.ops import nn as ops_nn
    node = ops_nn.NllLossBackward0
    _ORIGINAL["forward"], _ORIGINAL["backward"] = node.forward, node.backward
    node.forward, node.backward = staticmethod(forward), staticmethod(backward)
    try:
        yield
    finally:
        node.forward = staticmethod(_ORIGINAL["forward"])
        node.backward = staticmethod(_ORIGINAL["backward"])
