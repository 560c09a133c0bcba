"""Indexing along one dim by a tensor: gather and scatter_add (an index tensor), masked_fill
(a bool mask)."""
from __future__ import annotations

from .. import dtypes
from .._declare import op
from ..autograd.function import Function
from ..tensor import Tensor
from ._common import NUMBER, broadcast_shapes, check_fits, same_device, wrap_dim


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
