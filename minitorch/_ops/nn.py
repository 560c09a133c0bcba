"""The layers' own ops: linear (one addmm node), embedding, one_hot: the nn.functional
forms, named as PyTorch names their nodes."""
from __future__ import annotations

from .. import dtypes
from .._creation import arange
from .._declare import functional
from ..autograd.function import Function, kernel
from ..tensor import Tensor
from ._common import check_tensor, same_device
from .index import IndexAccumulate


class AddmmBackward0(Function):
    """bias + x @ weight^T (nn.Linear) in one node: the product on BLAS, the bias added in place."""

    @staticmethod
    def forward(ctx, bias, x, weight):
        ctx.save_for_backward(x, weight)
        ctx.bias_needs_grad = bias._requires_grad
        be = x._backend
        return be.addmm(bias._data, x._data, be.permute(weight._data, (1, 0)))

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        grad_bias = grad.sum(0) if ctx.bias_needs_grad else None
        grad_x = grad.mm(weight) if x._requires_grad else None
        grad_w = grad.t().mm(x) if weight._requires_grad else None
        return grad_bias, grad_x, grad_w


@functional
def linear(input: Tensor, weight: Tensor, bias=None) -> Tensor:
    """input (*, in_features) @ weight^T (out_features, in_features) + bias (out_features)."""
    check_tensor(input, "linear")
    check_tensor(weight, "linear", "weight", 2)
    if bias is not None:
        check_tensor(bias, "linear", "bias", 3)
    if weight.dim() > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {weight.dim()}D")
    if input.dim() == 0 or weight.dim() not in (1, 2):
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are "
                           f"{input.dim()}D and {weight.dim()}D")
    if input.dtype is not weight.dtype or (bias is not None and bias.dtype is not weight.dtype):
        same_device(input, weight)
        other = bias if input.dtype is weight.dtype else input
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {other.dtype.legacy_name} and "
                           f"{weight.dtype.legacy_name}")
    if input.shape[-1] != weight.shape[-1]:
        rows = input.numel() // input.shape[-1] if input.shape[-1] else 0
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{input.shape[-1]} and "
                           f"{weight.shape[-1]}x{weight.shape[0] if weight.dim() == 2 else 1})")
    if (weight.dim() == 2 and input.dim() >= 2 and bias is not None and bias.shape == weight.shape[:1]
            and input.dtype is weight.dtype is bias.dtype):
        same_device(input, weight)
        if input.dim() == 2:
            return AddmmBackward0.apply(bias, input, weight)
        # Batch dims fold into rows: one product on BLAS, then a view back (as PyTorch does).
        rows = input.reshape(-1, input.shape[-1])
        return AddmmBackward0.apply(bias, rows, weight).view(*input.shape[:-1], weight.shape[0])
    out = input.matmul(weight.t())
    # PyTorch's addmm expands the bias to the output's shape (its message when it cannot)
    return out + bias.expand(out.shape) if bias is not None else out


class EmbeddingBackward0(Function):
    """Rows of weight at integer indices; backward scatter-adds into the used rows."""

    fused = kernel("embedding_backward", "saved", "num", "padding_idx")

    @staticmethod
    def forward(ctx, weight, indices, padding_idx):
        ctx.save_for_backward(indices)
        ctx.num, ctx.padding_idx = weight.shape[0], padding_idx
        return weight._backend.getitem(weight._data, (indices._data,))

    @staticmethod
    def backward(ctx, grad):
        (indices,) = ctx.saved_tensors
        flat = indices.reshape(-1)
        rows = grad.reshape(flat.shape[0], -1)
        if ctx.padding_idx is not None:
            rows = rows.masked_fill((flat == ctx.padding_idx).unsqueeze(1), 0)
        return IndexAccumulate.apply(rows, (ctx.num, rows.shape[1]), (flat._data,)), None, None


@functional
def embedding(input: Tensor, weight: Tensor, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False) -> Tensor:
    """weight[input]: input any shape of int64/int32 indices, weight (num_embeddings, dim)."""
    check_tensor(input, "embedding", "indices", 2)
    check_tensor(weight, "embedding", "weight", 1)
    if weight.dim() != 2:
        raise RuntimeError("'weight' must be 2-D")
    if input.dtype not in (dtypes.int64, dtypes.int32):
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the following scalar "
                           f"types: Long, Int; but got {input.type()} instead (while checking arguments for "
                           "embedding)")
    same_device(weight, input)
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: max_norm, scale_grad_by_freq and sparse are not supported")
    n = weight.shape[0]
    if input.numel() and (int(input._data.max()) >= n or int(input._data.min()) < 0):
        raise IndexError("index out of range in self")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += n
    return EmbeddingBackward0.apply(weight, input, padding_idx)


@functional
def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding: (*) class indices -> (*, num_classes)."""
    check_tensor(tensor, "one_hot")
    if isinstance(num_classes, bool) or not isinstance(num_classes, int):
        raise TypeError(f"one_hot(): argument 'num_classes' (position 2) must be int, not {type(num_classes).__name__}")
    if tensor.dtype is not dtypes.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        num_classes = int(tensor.max().item()) + 1 if tensor.numel() else 0
    if tensor.numel() and (int(tensor.min().item()) < 0 or int(tensor.max().item()) >= num_classes):
        raise RuntimeError("Class values must be smaller than num_classes." if tensor.numel() and
                           int(tensor.min().item()) >= 0 else "Class values must be non-negative.")
    return (tensor.unsqueeze(-1) == arange(num_classes, device=tensor.device)).long()


@functional(name="flatten")
def _f_flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Dims start_dim..end_dim of input folded into one."""
    return check_tensor(input, "flatten").flatten(start_dim, end_dim)
