"""Separable gathers: the graph nodes of reflection/replication padding and of interpolation.

Each of those ops maps its input one axis at a time: along an axis, output position j is a
weighted sum of a few input positions, ``out[..., j, ...] = sum_t w_t[j] * x[..., idx_t[j], ...]``
(padding and nearest: one tap of weight 1; linear: two taps; cubic: four). A plan lists, per
axis, the input size and the taps (int64 index arrays and weight arrays or None), computed on
the host once per call. The axes are applied from the last to the first, the taps of an axis
in order, which is the order of PyTorch's kernels' arithmetic (the innermost dim first).

The adjoint (the backward) scatters back: along each axis, in the reverse order, the
gradient times each tap's weights is added at the tap's indices (the backend's ``index_add``).
Both are linear, so each one's gradient is the other: second derivatives come for free.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..autograd.function import Function


class Axis(NamedTuple):
    """One axis of a plan: the input's size along it and the taps ((index, weights | None), ...)."""
    axis: int
    in_size: int
    taps: tuple


def _device(be, array: np.ndarray, axis: int, ndim: int, dtype=None):
    """A host array as a device array shaped to broadcast along axis of an ndim-dim array."""
    if dtype is not None:
        array = array.astype(dtype, copy=False)
    return be.from_numpy(np.ascontiguousarray(array.reshape((-1,) + (1,) * (ndim - axis - 1))))


def gather(be, data, plan: tuple, dtype):
    """The plan applied to the raw array data (forward), axes from the last to the first."""
    for ax in reversed(plan):
        head = (slice(None),) * ax.axis
        out = None
        for index, weight in ax.taps:
            part = be.getitem(data, head + (be.from_numpy(index),))
            if weight is not None:
                part = be.binary("mul", part, _device(be, weight, ax.axis, data.ndim, data.dtype), dtype)
            out = part if out is None else be.binary("add", out, part, dtype)
        data = out
    return data


def scatter(be, grad, plan: tuple, dtype):
    """The adjoint of gather: grad scattered back through the plan, axes from the first."""
    for ax in plan:
        shape = list(grad.shape)
        shape[ax.axis] = ax.in_size
        out = be.zeros(tuple(shape), dtype)
        for index, weight in ax.taps:
            part = grad
            if weight is not None:
                part = be.binary("mul", grad, _device(be, weight, ax.axis, grad.ndim, grad.dtype), dtype)
            be.index_add(out, ax.axis, be.from_numpy(index), part)
        grad = out
    return grad


class _Gather(Function):
    """x mapped by a separable plan (see the module's docstring); d/dx is the plan's adjoint."""

    adjoint: type = None

    @staticmethod
    def forward(ctx, x, plan):
        ctx.plan = plan
        return gather(x._backend, x._data, plan, x.dtype)

    @staticmethod
    def backward(ctx, grad):
        return type(ctx).adjoint.apply(grad, ctx.plan), None


class _Scatter(Function):
    """The adjoint of a _Gather as an op; being linear, its own gradient is the gather."""

    gather: type = None

    @staticmethod
    def forward(ctx, grad, plan):
        ctx.plan = plan
        return scatter(grad._backend, grad._data, plan, grad.dtype)

    @staticmethod
    def backward(ctx, gg):
        return type(ctx).gather.apply(gg, ctx.plan), None


def named(name: str) -> type:
    """The node ``<name>Backward0`` (a _Gather), its adjoint named ``<name>BackwardBackward0``,
    as PyTorch names the op's node and its backward's."""
    forward = type(f"{name}Backward0", (_Gather,), {"__doc__": _Gather.__doc__, "__module__": __name__})
    adjoint = type(f"{name}BackwardBackward0", (_Scatter,), {"__doc__": _Scatter.__doc__, "__module__": __name__})
    forward.adjoint, adjoint.gather = adjoint, forward
    return forward
