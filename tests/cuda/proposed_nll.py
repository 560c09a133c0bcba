"""The changes minitorch/autograd/ops/nn.py needs (a file the CUDA work may not edit) for a
CUDA training step without a host sync and with fewer launches:

1. NllLossBackward0 uses the op table's optional ``nll_loss_reduced`` /
   ``nll_backward_reduced`` when a backend has them, so the reduced loss, the mean's
   weight total and the backward's scale stay on the device (today the forward copies
   three numbers to the host and the backward calls ``grad.item()``);
2. AddmmBackward0.forward calls the op table's optional ``addmm(bias, x, weight.T)``
   (the bias added in the GEMM's epilogue) instead of matmul + an in-place add.

``device_nll()`` applies exactly these changes for the duration of a test, so the tests
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


def addmm_forward(ctx, bias, x, weight):
    ctx.save_for_backward(x, weight)
    ctx.bias_needs_grad = bias._requires_grad
    be = x._backend
    wt = be.permute(weight._data, (1, 0))
    if hasattr(be, "addmm"):
        return be.addmm(bias._data, x._data, wt)
    out = be.matmul(x._data, wt)
    be.inplace("add", out, bias._data)
    return out


_ORIGINAL: dict = {}


@contextlib.contextmanager
def device_nll():
    """NllLossBackward0 with the proposed forward/backward while the block runs."""
    from minitorch.autograd.ops import nn as ops_nn
    node = ops_nn.NllLossBackward0
    _ORIGINAL["forward"], _ORIGINAL["backward"] = node.forward, node.backward
    addmm = ops_nn.AddmmBackward0
    _ORIGINAL["addmm"] = addmm.forward
    node.forward, node.backward = staticmethod(forward), staticmethod(backward)
    addmm.forward = staticmethod(addmm_forward)
    try:
        yield
    finally:
        node.forward = staticmethod(_ORIGINAL["forward"])
        node.backward = staticmethod(_ORIGINAL["backward"])
        addmm.forward = staticmethod(_ORIGINAL["addmm"])
