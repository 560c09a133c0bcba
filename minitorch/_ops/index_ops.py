"""Indexing along one dim with an index vector: index_select, index_add, index_copy,
index_fill; and index_put (``input[indices] = values`` as a function).

Each is the device's advanced indexing (getitem / setitem / index_put_add with
``(:, ..., :, index)``), so it runs on every backend; each has PyTorch's node and backward.
"""
from __future__ import annotations

from .. import dtypes
from .._declare import op
from ..autograd.function import Function
from ..tensor import Tensor
from ._common import NUMBER, broadcast_shapes, check_tensor, wrap_dim


def _along(dim: int, index) -> tuple:
    """The advanced index that selects index (a raw int64 array) along dim."""
    return (slice(None),) * dim + (index,)


def _as_vector(a: Tensor) -> Tensor:
    """A 0-d tensor as a 1-element vector (PyTorch's index ops treat a scalar so)."""
    return a.reshape(1) if a.dim() == 0 else a


def _int64(index: Tensor):
    """index's raw values as int64 (int32 indices are allowed)."""
    return index._data if index.dtype is dtypes.int64 else index._backend.astype(index._data, dtypes.int64)


def _index_vector(name: str, index, allow_int32: bool = True) -> Tensor:
    """index checked as PyTorch's index ops check it: an integer tensor of at most one dim."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' (position 2) must be Tensor, not {type(index).__name__}")
    allowed = (dtypes.int64, dtypes.int32) if allow_int32 else (dtypes.int64,)
    if index.dtype not in allowed:
        raise RuntimeError(f"{name}(): Expected dtype int32 or int64 for index" if allow_int32
                           else f"{name}(): Expected dtype int64 for index")
    if index.dim() > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector")
    return _as_vector(index)


def _out_of_range(index: Tensor, size: int, allow_negative: bool):
    """The first index value outside [0, size) (or [-size, size)), or None."""
    if index.numel() == 0:
        return None
    low = -size if allow_negative else 0
    if int(index.min()) >= low and int(index.max()) < size:
        return None
    bad = (index < low) | (index >= size)
    return int(index[bad][0].item())


def _wrapped(index: Tensor, size: int) -> Tensor:
    """Negative indices counted from the end."""
    if index.numel() == 0 or int(index.min()) >= 0:
        return index
    return index + size * (index < 0).to(index.dtype)


# ----- index_select ---------------------------------------------------------------------------
class IndexSelectBackward0(Function):
    """The slices of a at index along dim; backward adds each gradient slice back at its index."""

    tensor_inputs = 1

    @staticmethod
    def forward(a, dim, index):
        return a._backend.getitem(a._data, _along(dim, _int64(index)))

    @staticmethod
    def setup_context(ctx, inputs, output):
        a, ctx.dim, ctx.index = inputs
        ctx.shape = a.shape

    @staticmethod
    def backward(ctx, grad):
        return grad.new_zeros(ctx.shape).index_add(ctx.dim, ctx.index, grad), None, None


@op(out=True)
def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The slices of input along dim at the positions in index (a 1-D integer tensor)."""
    a = input
    d = wrap_dim(dim, a.dim())
    index = _index_vector("index_select", index)
    if a.dim() == 0:
        if index.numel() != 1:
            raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got {index.numel()} value(s)")
        a = a.reshape(1)
    bad = _out_of_range(index, a.shape[d], False)
    if bad is not None:
        raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} axis_dim={a.shape[d]}")
    out = IndexSelectBackward0.apply(a, d, index)
    return out.reshape(()) if input.dim() == 0 else out


# ----- index_add / index_copy / index_fill ----------------------------------------------------
def _check_source(name: str, a: Tensor, d: int, index: Tensor, source: Tensor) -> None:
    check_tensor(source, name.rstrip("_"), "source", 4)
    if source.dtype is not a.dtype:
        if name == "index_copy_":
            raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, but got (self) "
                               f"{a.dtype.legacy_name} and (source) {source.dtype.legacy_name}")
        raise RuntimeError(f"{name}(): self ({a.dtype.legacy_name}) and source ({source.dtype.legacy_name}) "
                           "must have the same scalar type")
    src = _as_vector(source)
    if a.dim() != src.dim() or any(s != t for i, (s, t) in enumerate(zip(a.shape, src.shape)) if i != d):
        raise RuntimeError(
            "source tensor shape must match self tensor shape, excluding the specified dimension. Got self.shape = "
            f"{list(a.shape)} source.shape = {list(source.shape)}")
    if index.numel() != src.shape[d]:
        if name == "index_copy_":
            raise RuntimeError(f"index_copy_(): Number of indices ({index.numel()}) should be equal to "
                               f"source.size(dim) ({src.shape[d]})")
        raise RuntimeError(f"{name}(): Number of indices ({index.numel()}) should be equal to source.size(dim): "
                           f"({src.shape[d]}), for dim: {d}")


def _check_range(index: Tensor, size: int, d: int, error=RuntimeError, negative: bool = True,
                 prefix: str = "") -> None:
    bad = _out_of_range(index, size, negative)
    if bad is not None:
        raise error(f"{prefix}index {bad} is out of bounds for dimension {d} with size {size}")


class IndexAddBackward0(Function):
    """a with alpha * source added at index along dim (repeats accumulate)."""

    tensor_inputs = None

    @staticmethod
    def forward(a, dim, index, source, alpha):
        be = a._backend
        out = be.copy(a._data)
        src = source._data if alpha == 1 else be.binary("mul", source._data, alpha, a.dtype)
        be.index_put_add(out, _along(dim, _int64(index)), src)
        return out

    @staticmethod
    def setup_context(ctx, inputs, output):
        _, ctx.dim, ctx.index, source, ctx.alpha = inputs
        ctx.source_shape = source.shape

    @staticmethod
    def backward(ctx, grad):
        grad_source = grad.index_select(ctx.dim, ctx.index)
        if ctx.alpha != 1:
            grad_source = grad_source * ctx.alpha
        return grad, None, None, grad_source.reshape(ctx.source_shape), None


@op(inplace=True, out=True)
def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    """input with alpha * source[..., i, ...] added at index[i] along dim; repeated indices
    accumulate."""
    a = _as_vector(input)
    d = wrap_dim(dim, input.dim())
    index = _index_vector("index_add_", index)
    _check_source("index_add_", a, d, index, source)
    _check_range(index, a.shape[d], d, negative=False)
    if not isinstance(alpha, NUMBER):
        raise TypeError(f"index_add(): argument 'alpha' must be Number, not {type(alpha).__name__}")
    out = IndexAddBackward0.apply(a, d, _wrapped(index, a.shape[d]), _as_vector(source), alpha)
    return out.reshape(()) if input.dim() == 0 else out


class IndexCopyBackward0(Function):
    """a with source's slices written at index along dim (the last of repeats wins)."""

    tensor_inputs = None

    @staticmethod
    def forward(a, dim, index, source):
        be = a._backend
        out = be.copy(a._data)
        be.setitem(out, _along(dim, _int64(index)), source._data)
        return out

    @staticmethod
    def setup_context(ctx, inputs, output):
        _, ctx.dim, ctx.index, source = inputs
        ctx.source_shape = source.shape

    @staticmethod
    def backward(ctx, grad):
        return (grad.index_fill(ctx.dim, ctx.index, 0), None, None,
                grad.index_select(ctx.dim, ctx.index).reshape(ctx.source_shape))


@op(inplace=True)
def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """input with source[..., i, ...] copied to index[i] along dim."""
    a = _as_vector(input)
    d = wrap_dim(dim, input.dim())
    index = _index_vector("index_copy_", index, allow_int32=False)
    _check_source("index_copy_", a, d, index, source)
    _check_range(index, a.shape[d], d, IndexError, negative=False, prefix="index_copy_(): ")
    out = IndexCopyBackward0.apply(a, d, _wrapped(index, a.shape[d]), _as_vector(source))
    return out.reshape(()) if input.dim() == 0 else out


class IndexFillBackward0(Function):
    """a with a number written at index along dim; those positions get no gradient."""

    tensor_inputs = 1

    @staticmethod
    def forward(a, dim, index, value):
        be = a._backend
        out = be.copy(a._data)
        be.setitem(out, _along(dim, _int64(index)), value)
        return out

    @staticmethod
    def setup_context(ctx, inputs, output):
        _, ctx.dim, ctx.index, _ = inputs

    @staticmethod
    def backward(ctx, grad):
        return grad.index_fill(ctx.dim, ctx.index, 0), None, None, None


class IndexFillBackward1(Function):
    """a with a 0-d tensor's value written at index along dim; the value gets their gradients' sum."""

    tensor_inputs = None

    @staticmethod
    def forward(a, dim, index, value):
        be = a._backend
        out = be.copy(a._data)
        be.setitem(out, _along(dim, _int64(index)), be.astype(value._data, a.dtype))
        return out

    @staticmethod
    def setup_context(ctx, inputs, output):
        _, ctx.dim, ctx.index, _ = inputs

    @staticmethod
    def backward(ctx, grad):
        return (grad.index_fill(ctx.dim, ctx.index, 0), None, None,
                grad.index_select(ctx.dim, ctx.index).sum())


@op(inplace=True)
def index_fill(input: Tensor, dim: int, index: Tensor, value) -> Tensor:
    """input with value (a number or a 0-d tensor) at index along dim."""
    a = _as_vector(input)
    d = wrap_dim(dim, input.dim())
    index = _index_vector("index_fill_", index, allow_int32=False)
    _check_range(index, a.shape[d], d, IndexError)
    index = _wrapped(index, a.shape[d])
    if isinstance(value, Tensor):
        if value.dim() != 0:
            raise RuntimeError("index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value.dim()} dimension(s).")
        out = IndexFillBackward1.apply(a, d, index, value)
    elif isinstance(value, NUMBER):
        out = IndexFillBackward0.apply(a, d, index, value)
    else:
        raise TypeError(f"index_fill(): argument 'value' must be Number, not {type(value).__name__}")
    return out.reshape(()) if input.dim() == 0 else out


# ----- index_put --------------------------------------------------------------------------------
class IndexPutBackward0(Function):
    """a with values written (or added, accumulate=True) at the advanced index indices."""

    tensor_inputs = None

    @staticmethod
    def forward(a, values, index, accumulate):
        be = a._backend
        out = be.copy(a._data)
        (basic, advanced), _ = index
        view = be.getitem(out, basic) if basic else out  # (ints among the indices select first)
        if advanced is None:
            be.copy_into(view, values._data)
        elif accumulate:
            be.index_put_add(view, advanced, be.expand(values._data, be.getitem(view, advanced).shape))
        else:
            be.setitem(view, advanced, values._data)
        return out

    @staticmethod
    def setup_context(ctx, inputs, output):
        _, values, ctx.index, ctx.accumulate = inputs
        ctx.values_shape = values.shape

    @staticmethod
    def backward(ctx, grad):
        grad_self = grad if ctx.accumulate else IndexPutBackward0.apply(grad, grad.new_zeros(()), ctx.index, False)
        grad_values = grad[ctx.index[1]]
        return grad_self, grad_values.sum_to_size(ctx.values_shape), None, None


def _index_put_(self, indices, values, accumulate: bool = False) -> Tensor:
    return self._inplace(index_put, indices, values, accumulate)


@op(inplace=_index_put_)
def index_put(input: Tensor, indices, values: Tensor, accumulate: bool = False) -> Tensor:
    """input with values written at the tensors indices (one index tensor per leading dim, as
    ``input[indices] = values``); accumulate=True adds instead, repeats accumulating."""
    from .index_convert import _check_masks, convert_index
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"index_put(): argument 'indices' (position 1) must be tuple of Tensors, not "
                        f"{type(indices).__name__}")
    if not isinstance(values, Tensor):
        raise TypeError(f"index_put(): argument 'values' (position 2) must be Tensor, not {type(values).__name__}")
    if values.dtype is not input.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{input.dtype.legacy_name} for the destination and {values.dtype.legacy_name} for the "
                           "source.")
    indices = tuple(indices)
    basic, advanced, _ = convert_index(input, indices)
    be = input._backend
    view = be.getitem(input._data, basic) if basic else input._data
    if advanced is not None:
        _check_masks(view.shape, advanced)
    target = be.getitem(view, advanced) if advanced is not None else view
    try:
        broadcast_shapes(values.shape, target.shape)
        if len(values.shape) > len(target.shape):
            raise RuntimeError
    except RuntimeError:
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(values.shape)} cannot be broadcast to "
                           f"indexing result of shape {list(target.shape)}") from None
    return IndexPutBackward0.apply(input, values, ((basic, advanced), indices), bool(accumulate))
