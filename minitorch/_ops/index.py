"""Indexing: basic (views: ints, slices, None, Ellipsis), advanced (integer and bool
tensors: copies), assignment, gather/scatter_add, masked_fill, split/chunk/unbind."""
from __future__ import annotations

import re

import numpy as np

from .. import dtypes
from .._declare import method, op
from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from .._backends._table_errors import call_translating
from ..tensor import Tensor
from ._common import NUMBER, broadcast_shapes, check_fits, same_device, wrap_dim
from .index_convert import _check_masks, convert_index
from .inplace import _check_writable, check_inplace, commit_inplace
from .shape import stack


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


class GatherBackward0(Function):
    """out[i][j] = a[index[i][j]][j] along dim (take_along_axis); backward scatter-adds."""

    @staticmethod
    def forward(ctx, a, dim, index):
        ctx.shape, ctx.dim, ctx.index = a.shape, dim, index
        return a._backend.gather(a._data, dim, index._data)

    @staticmethod
    def backward(ctx, grad):
        return grad.new_zeros(ctx.shape).scatter_add(ctx.dim, ctx.index, grad), None, None


class ScatterAddBackward0(Function):
    """a with src added at index along dim; d/dsrc = gather(grad)."""

    @staticmethod
    def forward(ctx, a, dim, index, src):
        ctx.dim, ctx.index = dim, index
        out = a._backend.copy(a._data)
        a._backend.scatter_add(out, dim, index._data, src._data)
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad, None, None, grad.gather(ctx.dim, ctx.index)


def _check_index_tensor(a: Tensor, dim: int, index: Tensor, name: str, src: Tensor | None = None):
    """(dim wrapped, index as int64) after PyTorch's checks of gather's and scatter's index:
    integer dtype, as many dims as input, no larger than input (and src) outside dim, and
    every value in [0, size) along dim (no negative indices, unlike a[...])."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' (position 2) must be Tensor, not {type(index).__name__}")
    if index.dtype not in (dtypes.int64, dtypes.int32):
        raise RuntimeError(f"{'gather' if name == 'gather' else 'scatter'}(): Expected dtype int32/int64 for index")
    same_device(a, index)
    d = wrap_dim(dim, a.dim())
    if index.dim() != a.dim() and a.dim() > 0 and index.numel():
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    if index.numel() and a.dim():
        too_big = any(i != d and index.shape[i] > a.shape[i] for i in range(a.dim()))
        if src is not None:
            if src.dim() != index.dim():
                raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
            too_big = too_big or any(index.shape[i] > src.shape[i] for i in range(a.dim()))
            if too_big:
                raise RuntimeError(f"Expected index {list(index.shape)} to be no larger than self "
                                   f"{list(a.shape)} apart from dimension {d} and to be no larger size than src "
                                   f"{list(src.shape)}")
        elif too_big:
            raise RuntimeError(f"Size does not match at dimension {next(i for i in range(a.dim()) if i != d and index.shape[i] > a.shape[i])} "
                               f"expected index {list(index.shape)} to be no larger than self {list(a.shape)} "
                               f"apart from dimension {d}")
    n = a.shape[d] if a.dim() else 1
    if index.numel():
        values = index._backend.to_numpy(index._data)
        bad = values[(values < 0) | (values >= n)]
        if bad.size:
            raise RuntimeError(f"index {int(bad.reshape(-1)[0])} is out of bounds for dimension {d} with size {n}")
    if index.dtype is not dtypes.int64:
        index = index.long()
    return d, index


@op(out=True)
def gather(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """out[i][j] = input[index[i][j]][j] along dim (index: int64, same number of dims)."""
    a = input
    d, index = _check_index_tensor(a, dim, index, "gather")
    return GatherBackward0.apply(a, d, index)


@op(inplace=True, out=True)
def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """input with src added at index along dim; repeated indices accumulate."""
    a = input
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add(): argument 'src' (position 3) must be Tensor, not {type(src).__name__}")
    if src.dtype is not a.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    same_device(a, src)
    d, index = _check_index_tensor(a, dim, index, "scatter_add", src)
    return ScatterAddBackward0.apply(a, d, index, src)


class MaskedFillBackward0(Function):
    @staticmethod
    def forward(ctx, a, mask, value):
        ctx.save_for_backward(mask)
        return a._backend.where(mask._data, value, a._data, a.dtype)

    @staticmethod
    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        return grad.masked_fill(mask, 0), None, None


@op(inplace=True)
def masked_fill(input: Tensor, mask: Tensor, value) -> Tensor:
    """input with value wherever the bool mask (broadcast to input's shape) is True."""
    a = input
    if not isinstance(mask, Tensor):
        raise TypeError(f"masked_fill(): argument 'mask' (position 1) must be Tensor, not {type(mask).__name__}")
    if mask.dtype is not dtypes.bool:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {mask.dtype.c_name}")
    same_device(a, mask)
    if isinstance(value, Tensor):
        if value.dim() != 0:
            raise RuntimeError(
                f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                f"{value.dim()} dimension(s).")
        value = value.item()
    elif not isinstance(value, NUMBER):
        raise TypeError(f"masked_fill(): argument 'value' (position 2) must be Number, not {type(value).__name__}")
    check_fits(value, a.dtype)
    broadcast_shapes(mask.shape, a.shape)  # PyTorch's error names the mask as tensor a
    return MaskedFillBackward0.apply(a, mask, value)


@op
def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """A view of length elements along dim, from start."""
    if input.dim() == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    start = start.item() if isinstance(start, Tensor) and start.numel() == 1 else start
    for name, value, position in (("start", start, 2), ("length", length, 3)):
        _int_arg(value, "narrow", name, position)
    d = wrap_dim(dim, input.dim())
    size = input.shape[d]
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    return _narrow(input, dim, int(start), int(length))


def _int_arg(value, fn: str, arg: str, position: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{fn}(): argument '{arg}' (position {position}) must be int, not {type(value).__name__}")
    return int(value)


@op
def select(input: Tensor, dim: int, index: int) -> Tensor:
    """The slice at index along dim, that dim removed (a view)."""
    if input.dim() == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, input.dim())
    index = index.item() if isinstance(index, Tensor) and index.numel() == 1 else index
    _int_arg(index, "select", "index", 2)
    size = input.shape[d]
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(input.shape)} at "
                         f"dimension {d}")
    return getitem(input, (slice(None),) * d + (index,))


def _narrow(a: Tensor, dim: int, start: int, length: int, name: str = "SliceBackward0") -> Tensor:
    d = wrap_dim(dim, a.dim())
    size = a.shape[d]
    if start < 0:
        start += size
    if start < 0 or start + length > size or length < 0:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    idx = (slice(None),) * d + (slice(start, start + length),)
    return _BASIC[name].apply(a, idx)


@op
def split(tensor: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """A tuple of views along dim: pieces of split_size_or_sections (an int, or a list of sizes)."""
    a = tensor
    if a.dim() == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = wrap_dim(dim, a.dim())
    size = a.shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)) and not isinstance(split_size_or_sections, bool):
        step = split_size_or_sections = int(split_size_or_sections)
        if step < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={step}")
        if step == 0 and size > 0:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {size}")
        sections = [min(step, size - s) for s in range(0, size, step)] if size else [0]
    else:
        if not isinstance(split_size_or_sections, (list, tuple)):
            raise TypeError("split_with_sizes(): argument 'split_sizes' (position 2) must be tuple of ints, not "
                            f"{type(split_size_or_sections).__name__}")
        sections = [_int_arg(n, "split_with_sizes", "split_sizes", 2) for n in split_size_or_sections]
        if any(n < 0 for n in sections):
            raise RuntimeError("split_with_sizes expects split_sizes have only non-negative entries, but got "
                               f"split_sizes={sections}")
        if sum(sections) != size:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's size at "
                f"dimension {d}), but got split_sizes={sections}")
    name = "SplitBackward0" if isinstance(split_size_or_sections, int) else "SplitWithSizesBackward0"
    out, start = [], 0
    for n in sections:
        out.append(_numbered(_narrow(a, d, start, n, name), len(out)))
        start += n
    return tuple(out)


def _numbered(t: Tensor, output_nr: int) -> Tensor:
    """Record which output of a multi-output view function t is (named in PyTorch's error for
    an in-place op on it)."""
    if t._grad_fn is not None:
        t._grad_fn._output_nr = output_nr
    return t


@op
def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    """A tuple of at most chunks views of equal size (the last may be smaller) along dim."""
    a = input
    _int_arg(chunks, "chunk", "chunks", 1)
    if not -(1 << 63) <= chunks < (1 << 63):
        raise ValueError("Overflow when unpacking long long")
    if a.dim() == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    d = wrap_dim(dim, a.dim())
    size = a.shape[d]
    if size == 0:
        call_translating(np.empty, chunks, object)  # as many views as chunks: PyTorch's bad_alloc beyond memory
        return tuple(_numbered(_narrow(a, d, 0, 0, "SplitWithSizesBackward0"), i) for i in range(chunks))
    return split(a, -(-size // chunks), d)


@op
def unbind(input: Tensor, dim: int = 0) -> tuple:
    """A tuple of the slices along dim, that dim removed."""
    if input.dim() == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = wrap_dim(dim, input.dim())
    return tuple(_numbered(UnbindBackward0.apply(input, (slice(None),) * d + (i,)), i)
                 for i in range(input.shape[d]))


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
