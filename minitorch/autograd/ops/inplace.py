"""In-place operations: the version counter and the graph rewrite PyTorch does.

An in-place op computes its result as the out-of-place op would (so the graph node
and saved tensors are exactly the out-of-place ones), writes it into the tensor's
memory, bumps the version counter shared with every view, and makes the new node the
tensor's grad_fn. Without a graph to record it writes straight into memory.
"""
from __future__ import annotations

from ... import dtypes
from ...tensor import Tensor
from ..function import Function
from ..grad_mode import _enabled


def can_cast(src: dtypes.dtype, dst: dtypes.dtype) -> bool:
    """PyTorch's rule for writing a result into an existing tensor: no float->int, no ->bool."""
    if src.is_floating_point and not dst.is_floating_point:
        return False
    if dst is dtypes.bool and src is not dtypes.bool:
        return False
    return True


def check_cast(result: dtypes.dtype, a: Tensor) -> None:
    if not can_cast(result, a.dtype):
        raise RuntimeError(
            f"result type {result.legacy_name} can't be cast to the desired output type "
            f"{a.dtype.legacy_name}")


def check_inplace(a: Tensor, *others) -> bool:
    """Raise PyTorch's errors for a forbidden in-place op; True when the graph must record it."""
    if not _enabled[0]:
        return False
    if a._requires_grad and a._grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    record = a._requires_grad or any(isinstance(o, Tensor) and o._requires_grad for o in others)
    if record and a._base is not None and a._base._requires_grad:
        raise RuntimeError(
            "minitorch does not support in-place operations on a view of a tensor that requires "
            "grad; call .clone() on the view first, or use the out-of-place operation")
    return record


def shape_error(a: Tensor, shape) -> RuntimeError:
    return RuntimeError(
        f"output with shape {list(a.shape)} doesn't match the broadcast shape {list(shape)}")


def _snapshot_saved_self(node, a: Tensor) -> None:
    """The node saved a, whose memory is about to be overwritten: give it a copy of the
    original values instead (PyTorch's backward of an in-place op sees the original self)."""
    snap = Tensor._wrap(a._backend.copy(a._data), a._backend)
    snap._requires_grad, snap._grad_fn = a._requires_grad, a._grad_fn
    node._saved = tuple(snap if t is a else t for t in node._saved)
    node._versions = tuple(0 if t is snap else v for t, v in zip(node._saved, node._versions))


def commit_inplace(a: Tensor, out: Tensor) -> Tensor:
    """Write an out-of-place result into a's memory and take over its graph node."""
    check_cast(out.dtype, a)
    if out.shape != a.shape:
        raise shape_error(a, out.shape)
    _check_writable(a)
    node = out._grad_fn
    if node is not None and node._saved and any(t is a for t in node._saved):
        _snapshot_saved_self(node, a)
    a._backend.copy_into(a._data, out._data)
    a._vbox[0] += 1
    if out._grad_fn is not None and a.dtype.is_floating_point:
        a._grad_fn = out._grad_fn
        a._requires_grad = True
    return a


def inplace_binary(a: Tensor, op: str, fn, b) -> Tensor:
    """a op= b: straight into memory when no graph is recorded, else through fn (out-of-place)."""
    from ._common import binary_dtype, broadcast_shapes, check_number, same_device
    if isinstance(b, Tensor):
        same_device(a, b)
    else:
        check_number(b)
    result = binary_dtype(a, b)
    if op == "div" and not result.is_floating_point:
        result = dtypes.get_default_dtype()
    check_cast(result, a)
    if check_inplace(a, b):
        return commit_inplace(a, fn(a, b))
    try:
        if isinstance(b, Tensor):
            a._backend.inplace(op, a._data, b._data if b.dtype is result else b._backend.astype(b._data, result))
        else:
            a._backend.inplace(op, a._data, b)
    except ValueError:
        _check_writable(a)
        raise shape_error(a, broadcast_shapes(a.shape, getattr(b, "shape", ()))) from None
    a._vbox[0] += 1
    return a


def _check_writable(a: Tensor) -> None:
    """PyTorch's error for writing into an expanded tensor (elements sharing memory)."""
    if not a._data.flags.writeable:
        raise RuntimeError(
            "unsupported operation: more than one element of the written-to tensor refers to a single "
            "memory location. Please clone() the tensor before performing the operation.")


def inplace_apply(a: Tensor, fn, *args) -> Tensor:
    """a = fn(a, *args) in place (unary ops, clamp_, masked_fill_, ...)."""
    record = check_inplace(a, *args)
    if record:
        return commit_inplace(a, fn(a, *args))
    from ..grad_mode import no_grad
    with no_grad():
        out = fn(a, *args)
    return commit_inplace(a, out)


class ZeroBackward0(Function):
    """zero_(): the old values no longer matter, so their gradient is zero."""

    @staticmethod
    def forward(ctx, a, value):
        return a._backend.full(a._data.shape, value, a.dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad * 0, None


class FillBackward2(ZeroBackward0):
    """fill_(value)."""


class CopyBackwards(Function):
    """copy_(src): the gradient goes to src (un-broadcast, converted to its dtype)."""

    @staticmethod
    def forward(ctx, a, src):
        ctx.src_dtype = src.dtype
        out = a._backend.empty(a._data.shape, a.dtype)
        a._backend.copy_into(out, src._data)
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad * 0, grad.to(ctx.src_dtype)


def fill(a: Tensor, value) -> Tensor:
    if check_inplace(a):
        node = ZeroBackward0 if value == 0 else FillBackward2
        return commit_inplace(a, node.apply(a, value))
    _check_writable(a)
    a._backend.fill(a._data, value)
    a._vbox[0] += 1
    return a


def copy(a: Tensor, src: Tensor) -> Tensor:
    if check_inplace(a, src):
        return commit_inplace(a, CopyBackwards.apply(a, src))
    _check_writable(a)
    a._backend.copy_into(a._data, src._data)
    a._vbox[0] += 1
    return a
