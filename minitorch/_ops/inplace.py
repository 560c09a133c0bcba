"""In-place operations: the version counter and the graph rewrite PyTorch does.

An in-place op computes its result as the out-of-place op would (so the graph node
and saved tensors are exactly the out-of-place ones), writes it into the tensor's
memory, bumps the version counter shared with every view, and makes the new node the
tensor's grad_fn. On a view, the base's graph is rewritten as PyTorch does (the base's
node becomes CopySlices, the view's AsStridedBackward0). Without a graph to record it
writes straight into memory.
"""
from __future__ import annotations

import numpy as np

from .. import dtypes
from .._declare import method
from ..autograd.engine import _sum_to
from ..autograd.function import Function
from ..autograd.grad_mode import _enabled, no_grad
from ..tensor import Tensor
from ._common import binary_dtype, broadcast_shapes, check_fits, check_number, same_device


def check_cast(result: dtypes.dtype, a: Tensor) -> None:
    if not dtypes.can_cast(result, a.dtype):
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
    base = a._base
    if record and base is not None and a._requires_grad:
        if base._requires_grad and base._grad_fn is None:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")
        _check_not_multi_output_view(a)
    return record


_MULTI_OUTPUT_VIEWS = {"SplitBackward0": "Split", "SplitWithSizesBackward0": "SplitWithSizes",
                       "UnbindBackward0": "Unbind"}


def _check_not_multi_output_view(a: Tensor) -> None:
    """PyTorch forbids in-place ops on the outputs of split/chunk/unbind (and on views of them)
    when gradients are recorded: walk the chain of view nodes back to the base."""
    node = a._grad_fn
    nr, name = getattr(node, "_output_nr", 0), node.name() if node is not None else ""
    while node is not None and getattr(node, "is_view", False) and type(node) is not AsStridedBackward0:
        if node.name() in _MULTI_OUTPUT_VIEWS:
            raise RuntimeError(
                f"Output {nr} of {_MULTI_OUTPUT_VIEWS.get(name, name.replace('Backward0', ''))} is a view and "
                f"is being modified inplace. This view is the output of a function that returns multiple "
                f"views. Such functions do not allow the output views to be modified inplace. You should "
                f"replace the inplace operation by an out-of-place one.")
        node = node._inputs[0][0] if node._inputs else None


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
    region = None
    if node is not None and a._base is not None and a.dtype.is_floating_point and (
            a._requires_grad or not a._base._requires_grad):
        region = _view_region(a)  # before writing: it raises where the view cannot be located
    if node is not None and node._saved and any(t is a for t in node._saved):
        _snapshot_saved_self(node, a)
    a._backend.copy_into(a._data, out._data)
    a._vbox[0] += 1
    if node is not None and a.dtype.is_floating_point:
        if region is not None:
            _rebase_view(a, node, region)
            a._view_version = a._vbox[0]
            return a
        a._grad_fn = node
        a._requires_grad = True
    return a


# ----- in-place ops on views -------------------------------------------------------------
# As in PyTorch, an in-place op on a view of a tensor rewrites the graph of the base: the
# base's node becomes CopySlices (its gradient is the incoming one, with the view's region
# replaced by what the op's node makes of that region), and the view's node becomes
# AsStridedBackward0 (the view's gradient, written into zeros of the base's shape, flows into
# CopySlices). The view's region is kept as flat row-major positions in the base.
def _view_region(a: Tensor):
    """Where view a lies in its base, or None; PyTorch's error where the backend cannot tell
    (its ``view_positions`` gives None) and the base's graph must be rewritten."""
    base, be = a._base, a._backend
    positions = be.view_positions(base._data, a._data)
    if positions is not None:
        return _Region(be, base._data.shape, base._data.dtype, positions)
    if base._requires_grad:
        raise RuntimeError(
            f"minitorch does not support in-place operations on a view of a tensor that requires grad on "
            f"{a.device}; call .clone() on the view first, or use the out-of-place operation")
    return None


def _rebase_view(a: Tensor, fn, region) -> None:
    """Point the graph of a's base (and a) through fn, the node of the in-place op on view a."""
    base = a._base
    if base._grad_fn is not None:
        base_edge = base._grad_fn
    elif base._requires_grad:
        base_edge = base._accum or base._accumulator()
    else:
        base_edge = None
    copy_slices = object.__new__(CopySlices)
    copy_slices.fn, copy_slices.region = fn, region
    copy_slices._inputs = [(base_edge, base._data.shape, base._data.dtype)] + list(fn._inputs[1:])
    view_node = object.__new__(AsStridedBackward0)
    view_node.region = region
    view_node._inputs = [(copy_slices, base._data.shape, base._data.dtype)]
    base._grad_fn, base._requires_grad = copy_slices, True
    a._grad_fn, a._requires_grad = view_node, True


@method(name="_refresh_view")
def refresh_view(a: Tensor) -> None:
    """Regenerate the node of view a after an in-place op on its memory since the node was made
    (on its base or another view): AsStridedBackward0 over the base's current node, as PyTorch."""
    a._view_version = a._vbox[0]
    base = a._base
    if not a._requires_grad or not base._requires_grad:
        return
    base_edge = base._grad_fn if base._grad_fn is not None else (base._accum or base._accumulator())
    region = _view_region(a)
    if region is None:
        return
    view_node = object.__new__(AsStridedBackward0)
    view_node.region = region
    view_node._inputs = [(base_edge, base._data.shape, base._data.dtype)]
    a._grad_fn = view_node


class _Region:
    """Where a view lies in its base: flat row-major positions (int64, the view's shape)."""

    def __init__(self, backend, base_shape, base_dtype, positions) -> None:
        self.backend, self.base_shape, self.base_dtype = backend, base_shape, base_dtype
        self.positions = positions
        self._index = None

    def _tensors(self):
        """positions as a tensor, plus the base-shaped mask of the region and, for each base
        element in it, the index of the view element there (for differentiable scatters)."""
        if self._index is None:
            be = self.backend
            positions = self.positions.reshape(-1)
            mask = np.zeros(int(np.prod(self.base_shape, dtype=np.int64)), bool)
            mask[positions] = True
            inverse = np.zeros(mask.size, np.int64)
            inverse[positions] = np.arange(positions.size, dtype=np.int64)
            self._index = (Tensor._wrap(be.from_numpy(self.positions), be),
                           Tensor._wrap(be.from_numpy(mask.reshape(self.base_shape)), be),
                           Tensor._wrap(be.from_numpy(inverse.reshape(self.base_shape)), be))
        return self._index

    def gather(self, grad: Tensor) -> Tensor:
        """The view's region of a base-shaped gradient (a copy, the view's shape)."""
        if _enabled[0]:
            return grad.reshape(-1)[self._tensors()[0]]
        be = grad._backend
        flat = be.reshape(be.contiguous(grad._data), (-1,))
        return Tensor._wrap(be.getitem(flat, (self.positions,)), be)

    def replace(self, grad: Tensor, values: Tensor) -> Tensor:
        """A copy of the base-shaped grad with the region replaced by values (the view's shape);
        grad None stands for zeros."""
        if _enabled[0]:
            _, mask, inverse = self._tensors()
            spread = values.reshape(-1)[inverse] if values.numel() else None
            if spread is None:
                return grad if grad is not None else values.new_zeros(self.base_shape)
            return spread.where(mask, grad if grad is not None else 0)
        be = values._backend
        out = be.copy(grad._data) if grad is not None else be.zeros(self.base_shape, values.dtype)
        be.setitem(be.reshape(out, (-1,)), (self.positions,), values._data)
        return Tensor._wrap(out, be)


class CopySlices(Function):
    """The base's node after an in-place op on one of its views: the op's node (fn) runs on the
    view's region of the gradient; its gradient for the old view values goes back into that
    region, towards the base's previous node; its gradients for the op's other inputs pass on."""

    fn = None
    region = None

    @staticmethod
    def backward(ctx, grad):
        fn, region = ctx.fn, ctx.region
        fused = fn.fused  # the op's fused kernel unless the backward is being differentiated
        part = region.gather(grad)
        results = fn.backward(fn, part) if fused is None or _enabled[0] else fused(fn, part)
        if not isinstance(results, tuple):
            results = (results,)
        g = results[0]
        if g is None:
            g = Tensor._wrap(grad._backend.zeros(region.positions.shape, grad.dtype), grad._backend)
        else:
            g = _sum_to(g, region.positions.shape)
        if g._data.dtype is not region.base_dtype:
            g = g.to(dtypes.FROM_NP[region.base_dtype])
        return (region.replace(grad, g),) + tuple(results[1:])

    def _free(self) -> None:
        Function._free(self)
        if self.fn is not None:
            self.fn._free()


class AsStridedBackward0(Function):
    """The node of a view after an in-place op on it: the view's gradient, written into zeros
    of the base's shape at the view's positions, flows into the base's CopySlices."""

    is_view = True
    region = None

    @staticmethod
    def backward(ctx, grad):
        return ctx.region.replace(None, grad)


def inplace_binary(a: Tensor, op: str, fn, b) -> Tensor:
    """a op= b: straight into memory when no graph is recorded, else through fn (out-of-place)."""
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
    if isinstance(b, Tensor) and b.dtype is not result:
        b = Tensor._wrap(b._backend.astype(b._data, result), b._backend)
    raw = b._data if isinstance(b, Tensor) else b
    try:
        a._backend.inplace(op, a._data, raw)
    except ValueError:
        if a._data.flags.writeable:
            raise shape_error(a, broadcast_shapes(a.shape, getattr(b, "shape", ()))) from None
        _check_writable(a)  # raises, unless a's view could be made writable: then write again
        try:
            a._backend.inplace(op, a._data, raw)
        except ValueError:
            raise shape_error(a, broadcast_shapes(a.shape, getattr(b, "shape", ()))) from None
    a._vbox[0] += 1
    return a


def _check_writable(a: Tensor) -> None:
    """PyTorch's error for writing into an expanded tensor (elements sharing memory).

    NumPy marks every view of a broadcast array read-only, also one without repeated elements
    (a row of an expanded matrix), which PyTorch writes into: such a view gets a writable
    alias of the same memory instead."""
    data = a._data
    if data.flags.writeable:
        return
    overlapping = any(n > 1 and stride == 0 for n, stride in zip(data.shape, data.strides))
    if not overlapping and a._base is not None:
        alias = a._backend.writable_alias(a._base._data, data)
        if alias is not None:
            a._data = alias
            return
    raise RuntimeError(
        "unsupported operation: more than one element of the written-to tensor refers to a single "
        "memory location. Please clone() the tensor before performing the operation.")


@method(name="_inplace")
def inplace_apply(a: Tensor, fn, *args, **kwargs) -> Tensor:
    """a = fn(a, *args, **kwargs) in place: the generic in-place form of a declared op
    (``exp_``, ``clamp_``, ``masked_fill_``, ...)."""
    if check_inplace(a, *args, *kwargs.values()):
        return commit_inplace(a, fn(a, *args, **kwargs))
    with no_grad():
        out = fn(a, *args, **kwargs)
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


@method
def zero_(self) -> Tensor:
    """Set every element to 0."""
    return fill_(self, 0)


@method
def fill_(self, value) -> Tensor:
    """Set every element to value (a number or a 0-d tensor)."""
    if isinstance(value, Tensor):
        if value.dim() != 0:
            raise RuntimeError(
                f"fill_ only supports 0-dimension value tensor but got tensor with {value.dim()} dimensions.")
        value = value.item()
    check_number(value, "value")
    check_fits(value, self.dtype)
    a = self
    if check_inplace(a):
        node = ZeroBackward0 if value == 0 else FillBackward2
        return commit_inplace(a, node.apply(a, value))
    _check_writable(a)
    a._backend.fill(a._data, value)
    a._vbox[0] += 1
    return a


@method
def copy_(self, src, non_blocking: bool = False) -> Tensor:
    """Copy src's values (broadcast, converted to this dtype, from any device) into this tensor."""
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'other' (position 1) must be Tensor, not {type(src).__name__}")
    try:
        if broadcast_shapes(self.shape, src.shape) != tuple(self.shape):
            raise ValueError
    except (RuntimeError, ValueError):
        raise RuntimeError(
            f"The size of tensor a ({self.shape[-1] if self.dim() else 1}) must match the size "
            f"of tensor b ({src.shape[-1] if src.dim() else 1}) at non-singleton dimension "
            f"{max(self.dim() - 1, 0)}") from None
    if src._backend is not self._backend:  # copy_ crosses devices, as in PyTorch
        src = src.to(self.device)
    a = self
    if check_inplace(a, src):
        return commit_inplace(a, CopyBackwards.apply(a, src))
    _check_writable(a)
    a._backend.copy_into(a._data, src._data)
    a._vbox[0] += 1
    return a
