"""Indexing: basic (views: ints, slices, None, Ellipsis), advanced (integer and bool
tensors: copies), assignment, nonzero. gather / scatter_add / masked_fill are in gather.py,
narrow / select / split / chunk / unbind in slicing.py."""
from __future__ import annotations

import re

import numpy as np

from .. import dtypes
from .._declare import method, op
from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from ..tensor import Tensor
from ._common import NUMBER, same_device
from .index_convert import _check_masks, convert_index
from .inplace import _check_writable, check_inplace, commit_inplace
from .joins import stack


def _index_error(e: IndexError) -> IndexError:
    msg = str(e)
    m = re.match(r"too many indices for array: array is (\d+)-dimensional", msg)
    if m:
        return IndexError(f"too many indices for tensor of dimension {m.group(1)}")
    m = re.match(r"boolean index did not match indexed array along (?:axis|dimension) (\d+); size of "
                 r"(?:axis|dimension) is (\d+) but size of corresponding boolean (?:axis|dimension) is (\d+)", msg)
    if m:
        return IndexError(f"The shape of the mask [{m.group(3)}] at index {m.group(1)} does not match "
                          f"the shape of the indexed tensor [{m.group(2)}] at index {m.group(1)}")
    m = re.match(r"shape mismatch: indexing arrays could not be broadcast together with shapes (.*)", msg)
    if m:
        shapes = [f"[{s.strip('(),').replace(',', ', ').replace('  ', ' ')}]" for s in m.group(1).split()]
        return IndexError(f"shape mismatch: indexing tensors could not be broadcast together with shapes "
                          f"{', '.join(shapes)}")
    return IndexError(msg.replace("axis", "dimension").replace("array", "tensor"))


def _read(be, data, basic, advanced):
    """The raw values at a converted index."""
    view = be.getitem(data, basic) if basic else data
    return view if advanced is None else be.getitem(view, advanced)


def _write(be, data, basic, advanced, value) -> None:
    """Assign value at a converted index, in place."""
    if advanced is None:
        be.setitem(data, basic, value)
    else:
        be.setitem(be.getitem(data, basic) if basic else data, advanced, value)


class _BasicIndexBase(Function):
    """a[index] with ints, slices, None and Ellipsis: a view; backward writes into zeros."""

    is_view = True
    tensor_inputs = 1

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.shape, ctx.index = inputs[0].shape, inputs[1]

    @staticmethod
    def forward(a, index):
        try:
            return a._backend.getitem(a._data, index)
        except IndexError as e:
            raise _index_error(e) from None

    @staticmethod
    def backward(ctx, grad):
        return IndexPutBackward.apply(grad, ctx.shape, ctx.index), None


def _named(name: str) -> type:
    return type(name, (_BasicIndexBase,), {"__doc__": _BasicIndexBase.__doc__})


_BASIC = {n: _named(n) for n in ("SelectBackward0", "SliceBackward0", "UnsqueezeBackward0",
                                 "AliasBackward0", "SplitBackward0", "SplitWithSizesBackward0",
                                 "UnbindBackward0")}
SelectBackward0 = _BASIC["SelectBackward0"]
SliceBackward0 = _BASIC["SliceBackward0"]
SplitBackward0 = _BASIC["SplitBackward0"]
UnbindBackward0 = _BASIC["UnbindBackward0"]


class IndexPutBackward(Function):
    """zeros(shape) with values written at index (the backward of indexing), differentiable."""

    @staticmethod
    def forward(ctx, values, shape, index):
        ctx.index = index
        be = values._backend
        out = be.zeros(shape, values.dtype)
        be.setitem(out, index, values._data)
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad[ctx.index], None, None


class IndexBackward0(Function):
    """a[index] with integer or bool tensors: a copy; backward scatter-adds (repeats accumulate)."""

    @staticmethod
    def forward(ctx, a, index):
        ctx.shape, ctx.index = a.shape, index
        try:
            return a._backend.getitem(a._data, index)
        except IndexError as e:
            raise _index_error(e) from None

    @staticmethod
    def backward(ctx, grad):
        return IndexAccumulate.apply(grad, ctx.shape, ctx.index), None


class IndexAccumulate(Function):
    """zeros(shape) with values added at index, repeated indices accumulating."""

    @staticmethod
    def forward(ctx, values, shape, index):
        ctx.index = index
        be = values._backend
        out = be.zeros(shape, values.dtype)
        be.index_put_add(out, index if len(index) > 1 else index[0], values._data)
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad[ctx.index], None, None


@method(name="__getitem__")
def getitem(self, index) -> Tensor:
    """self[index]: ints, slices, None and Ellipsis give a view; integer or bool tensors (or
    lists) a copy, with NumPy's advanced-indexing rules."""
    a = self
    if index.__class__ is Tensor and index._data.ndim and index._data.dtype.kind == "i" and a._data.ndim:
        # x[idx], one integer index tensor (what convert_index makes of it, without its questions)
        if index._backend is not a._backend:
            same_device(a, index)
        return IndexBackward0.apply(a, (index._data,))
    basic, advanced, name = convert_index(a, index)
    if advanced is None:
        return _BASIC[name].apply(a, basic)
    view = a if _trivial(basic) else _BASIC[name].apply(a, basic)
    _check_masks(view.shape, advanced)
    return IndexBackward0.apply(view, advanced)


def _trivial(basic: tuple) -> bool:
    """A basic index that selects everything (only full slices and Ellipsis)."""
    return all(item is Ellipsis or (isinstance(item, slice) and item == slice(None)) for item in basic)


class CopySlices(Function):
    """a[index] = value recorded in the graph: gradient to a except at index, to value at index."""

    @staticmethod
    def forward(ctx, a, value, index):
        ctx.index = index
        be = a._backend
        out = be.copy(a._data)
        _write(be, out, *index, value._data if isinstance(value, Tensor) else value)
        return out

    @staticmethod
    def backward(ctx, grad):
        be = grad._backend
        keep = be.full(grad._data.shape, 1, grad.dtype)
        _write(be, keep, *ctx.index, 0)
        grad_a = grad * Tensor._wrap(keep, be)
        basic, advanced = ctx.index
        grad_value = _BASIC["AliasBackward0"].apply(grad, basic) if basic else grad
        if advanced is not None:
            grad_value = IndexBackward0.apply(grad_value, advanced)
        return grad_a, grad_value, None


def _setitem_error(target_shape, value) -> RuntimeError:
    """PyTorch's error for a value that does not broadcast to the indexed region (its expand's)."""
    vshape = list(value.shape) if isinstance(value, Tensor) else []
    target = list(target_shape)
    for i in range(1, len(vshape) + 1):
        have = vshape[-i]
        want = target[-i] if i <= len(target) else 1
        if have != want and have != 1:
            return RuntimeError(
                f"The expanded size of the tensor ({want}) must match the existing size ({have}) at "
                f"non-singleton dimension {len(target) - i}.  Target sizes: {target}.  Tensor sizes: {vshape}")
    return RuntimeError(
        f"shape mismatch: value tensor of shape {vshape} cannot be broadcast to indexing result "
        f"of shape {target}")


def _strip_leading_ones(value: Tensor, target_shape) -> Tensor:
    """value without the leading size-1 dims it has beyond the indexed region's (PyTorch
    accepts x[0] = t of shape [1, n] for a row of n); an error when the extra dims are not 1."""
    extra = value.dim() - len(target_shape)
    if any(s != 1 for s in value.shape[:extra]):
        raise RuntimeError(
            f"expand({value.type()}{{{list(value.shape)}}}, size={list(target_shape)}): the number of sizes "
            f"provided ({len(target_shape)}) must be greater or equal to the number of dimensions in the "
            f"tensor ({value.dim()})")
    return value.reshape(value.shape[extra:])


@method(name="__setitem__")
def setitem(self, index, value) -> None:
    """self[index] = value (a tensor broadcast to the indexed region, or a number), in place."""
    a = self
    basic, advanced, _ = convert_index(a, index)
    if isinstance(value, Tensor):
        same_device(a, value)
    elif not isinstance(value, NUMBER):
        raise TypeError(f"can't assign a {type(value).__name__} to a {a.type()}")
    be = a._backend
    try:
        if advanced is not None:
            _check_masks(be.getitem(a._data, basic).shape if basic else a._data.shape, advanced)
        target = _read(be, a._data, basic, advanced)
    except IndexError as e:
        raise _index_error(e) from None
    if isinstance(value, Tensor) and value.dim() > target.ndim:
        value = _strip_leading_ones(value, target.shape)
    if advanced is None and a._requires_grad and a._grad_fn is None and is_grad_enabled():
        # PyTorch writes a basic index through a view of a (an index tensor, through a itself)
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")
    if check_inplace(a, value):
        try:
            out = CopySlices.apply(a, value, (basic, advanced))
        except ValueError:
            raise _setitem_error(target.shape, value) from None
        commit_inplace(a, out)
        return
    raw = value._data if isinstance(value, Tensor) else value
    try:
        _write(be, a._data, basic, advanced, raw)
    except ValueError:
        if a._data.flags.writeable:
            raise _setitem_error(target.shape, value) from None
        _check_writable(a)  # raises, unless a's view could be made writable: then write again
        try:
            _write(be, a._data, basic, advanced, raw)
        except ValueError:
            raise _setitem_error(target.shape, value) from None
    a._vbox[0] += 1


@op
def nonzero(input: Tensor, *, as_tuple: bool = False):
    """Indices of the non-zero elements: an (n, ndim) int64 tensor, or one tensor per dim."""
    if not isinstance(as_tuple, (bool, np.bool_)):
        raise TypeError(f"nonzero(): argument 'as_tuple' must be bool, not {type(as_tuple).__name__}")
    be = input._backend
    if input.dim() == 0:  # one row of no coordinates when it is non-zero (as_tuple: as a 1-element tensor)
        if as_tuple:
            return nonzero(input.reshape(1), as_tuple=True)
        return Tensor._wrap(be.zeros((int(bool(input.item())), 0), dtypes.int64), be)
    parts = [Tensor._wrap(be.astype(i, dtypes.int64), be) for i in be.nonzero(input._data)]
    if as_tuple:
        return tuple(parts)
    return stack(parts, 1)
