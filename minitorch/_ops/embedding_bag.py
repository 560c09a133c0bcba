"""F.embedding_bag: sums, means or maxima of bags of embedding rows without materialising the
rows, PyTorch's argument checks and messages, and its graph node EmbeddingBagBackward0.

The bags are planned on the host from input and offsets (each element's bag, -1 for padding_idx
and for elements past include_last_offset's last offset); the backend's ``embedding_bag_sum``
and ``embedding_bag_max`` do the reading. The backward is written in Tensor ops: each element's
row of grad, scaled, is added into the weight's gradient (max: each bag's argmax row only).
"""
from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np

from .. import dtypes
from .._declare import functional
from ..autograd.function import Function
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from ._common import check_tensor, same_device
from .index import IndexAccumulate

_MODES = ("sum", "mean", "max")


class _Bags(NamedTuple):
    index: np.ndarray  # (L,) int64 weight rows
    bag: np.ndarray    # (L,) int64 bag of each element, -1: not in any bag (padding, past the end)
    count: np.ndarray  # (B,) elements per bag, padding not counted
    mode: str
    freq: np.ndarray | None  # scale_grad_by_freq: the count PyTorch divides each element's gradient by


def _wrap(be, array) -> Tensor:
    return Tensor._wrap(be.from_numpy(np.ascontiguousarray(array)), be)


class EmbeddingBagBackward0(Function):
    """out[b] = reduce over bag b's elements j of (per_sample_weights[j] *) weight[index[j]]:
    sum, mean or max (per column); empty bags give zeros."""

    @staticmethod
    def forward(ctx, weight, per_sample_weights, bags):
        be = weight._backend
        ctx.bags, ctx.num = bags, weight.shape[0]
        ctx.save_for_backward(weight, per_sample_weights)
        num_bags = bags.count.shape[0]
        index, bag = be.from_numpy(bags.index), be.from_numpy(bags.bag)
        if bags.mode == "max":
            out, argmax = be.embedding_bag_max(weight._data, index, bag, num_bags)
            ctx.argmax = be.to_numpy(argmax)
            return out
        scale = None if per_sample_weights is None else per_sample_weights._data
        out = be.embedding_bag_sum(weight._data, index, bag, scale, num_bags)
        if bags.mode == "mean":
            divisor = np.maximum(bags.count, 1).astype(weight.dtype.np).reshape(-1, 1)
            out = be.binary("div", out, be.from_numpy(divisor), weight.dtype)
        return out

    @staticmethod
    def backward(ctx, grad):
        weight, per_sample_weights = ctx.saved_tensors
        bags, be = ctx.bags, grad._backend
        dim = grad.shape[1]
        if bags.mode == "max":
            bag_of, column = np.nonzero(ctx.argmax >= 0)
            rows = grad[_wrap(be, bag_of), _wrap(be, column)]
            position = ctx.argmax[bag_of, column] * dim + column
            flat = IndexAccumulate.apply(rows, (ctx.num * dim,), (be.from_numpy(position),))
            return flat.view(ctx.num, dim), None, None
        kept = bags.bag >= 0
        if bags.count.shape[0] == 0:  # no bags: nothing reaches the weight
            grad_weight = grad.new_zeros((ctx.num, dim)) if weight._requires_grad else None
            wants_psw = per_sample_weights is not None and per_sample_weights._requires_grad
            return grad_weight, per_sample_weights.new_zeros(per_sample_weights.shape) if wants_psw else None, None
        coef = kept.astype(np.float64)
        if bags.mode == "mean":
            coef = coef / np.maximum(bags.count, 1)[np.maximum(bags.bag, 0)]
        rows = grad[_wrap(be, np.maximum(bags.bag, 0))]  # (L, D): each element's bag's gradient
        grad_weight = grad_psw = None
        if weight._requires_grad:
            scale = coef if bags.freq is None else coef / bags.freq
            scaled = rows * _wrap(be, scale.astype(grad.dtype.np).reshape(-1, 1))
            if per_sample_weights is not None:
                scaled = scaled * per_sample_weights.unsqueeze(1)
            grad_weight = IndexAccumulate.apply(scaled, (ctx.num, dim), (be.from_numpy(bags.index),))
        if per_sample_weights is not None and per_sample_weights._requires_grad:
            dots = (rows * weight.detach()[_wrap(be, bags.index)]).sum(1)
            grad_psw = dots * _wrap(be, kept.astype(grad.dtype.np))
        return grad_weight, grad_psw, None


def _plan(be, input: Tensor, offsets: Tensor, num: int, mode: str, include_last_offset: bool, padding_idx,
          scale_grad_by_freq: bool) -> _Bags:
    """The bags of a 1-D input and its offsets, checked as PyTorch checks them (host)."""
    index = be.to_numpy(input._data).astype(np.int64).reshape(-1)
    starts = be.to_numpy(offsets._data).astype(np.int64).reshape(-1)
    length = index.shape[0]
    if starts.size:
        if starts[0] != 0:
            # (PyTorch prints offsets[0] as a 0-d tensor of the indices' and offsets' common type)
            kind = "Long" if dtypes.int64 in (input.dtype, offsets.dtype) else "Int"
            raise RuntimeError("offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start "
                               f"from position 0. However, got {starts[0]}\n[ torch.{kind}Tensor{{}} ]")
        if starts[-1] > length:
            raise RuntimeError(f"offsets[-1] can not be greater than input's length {length} but got "
                               f"offsets[-1] of {starts[-1]}")
        if np.any(np.diff(starts) < 0):
            raise RuntimeError(f"embedding_bag: offsets must be non-decreasing, but got {starts.tolist()}")
    bad = np.flatnonzero((index < 0) | (index >= num))
    if bad.size:
        raise RuntimeError(f"Index {bad[0]} of input takes value {index[bad[0]]} which is not in the valid "
                           f"range [0, {num})")
    if include_last_offset:
        # the last offset only says how many bags there are: the last bag runs to the end of
        # input, as in PyTorch's generic kernels (float64, mode 'max', the gradients; its float32
        # 'sum'/'mean' forward stops at offsets[-1], so the two agree when offsets[-1] is the
        # length of input, as its documentation asks)
        starts = starts[:-1]
    bag = np.searchsorted(starts, np.arange(length), side="right") - 1
    inside = bag >= 0
    if padding_idx is not None:
        inside &= index != padding_idx
    bag = np.where(inside, bag, -1)
    count = np.bincount(bag[inside], minlength=starts.shape[0]).astype(np.int64)
    freq = None
    if scale_grad_by_freq:
        # PyTorch's CPU kernel divides the gradient of the k-th distinct index (in sorted order)
        # by the count of the k-th element of the sorted input, not of that index: reproduced
        counts = np.bincount(index, minlength=num)
        rank = np.searchsorted(np.unique(index), index)
        freq = counts[np.sort(index)[rank]].astype(np.float64)
    return _Bags(index, bag, count, mode, freq)


def _renorm(weight: Tensor, input: Tensor, max_norm: float, norm_type: float) -> None:
    """PyTorch's embedding_renorm_: the rows of weight that input uses rescaled in place to norm
    max_norm where their norm exceeds it (no gradient)."""
    be = weight._backend
    rows = np.unique(be.to_numpy(input._data).astype(np.int64))
    if rows.size == 0:
        return
    with no_grad():
        w = weight.detach()
        picked = w[_wrap(be, rows)]
        norms = be.to_numpy(picked.norm(norm_type, dim=1)._data).astype(np.float64)
        over = norms > max_norm
        if over.any():
            scale = (max_norm / (norms[over] + 1e-7)).astype(weight.dtype.np)
            w[_wrap(be, rows[over])] = picked[_wrap(be, np.flatnonzero(over))] * _wrap(be, scale.reshape(-1, 1))


def _type_str(x) -> str:
    return "<class 'torch.Tensor'>" if isinstance(x, Tensor) else str(type(x))


@functional
def embedding_bag(input: Tensor, weight: Tensor, offsets=None, max_norm=None, norm_type: float = 2,
                  scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights=None, include_last_offset: bool = False, padding_idx=None) -> Tensor:
    """Bags of rows of weight (num_embeddings, dim) reduced by mode ('sum', 'mean', 'max'):
    input (B, L) (one bag a row) or input (L,) with offsets (B,) (bag b starts at offsets[b])
    -> (B, dim)."""
    # (PyTorch's Python code calls methods of its tensor arguments: AttributeError-compatible errors)
    check_tensor(input, "embedding_bag", "input", 1, attribute_error=True)
    check_tensor(weight, "embedding_bag", "weight", 2, attribute_error=True)
    if offsets is not None:
        check_tensor(offsets, "embedding_bag", "offsets", 3, attribute_error=True)
    if per_sample_weights is not None:
        check_tensor(per_sample_weights, "embedding_bag", "per_sample_weights", 9, attribute_error=True)
    if weight.dtype is dtypes.int64 and input.dtype.is_floating_point:
        warnings.warn("Argument order of nn.functional.embedding_bag was changed. Usage `embedding_bag(weight, "
                      "input, ...)` is deprecated, and should now be `embedding_bag(input, weight, ...)`.",
                      stacklevel=2)
        input, weight = weight, input
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, then it "
                         f"must have the same shape as the input ({input.shape})")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}")
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             "fixed length sequences. However, found offsets of type "
                             f"{_type_str(offsets)}")
        from .._creation import arange
        offsets = arange(0, input.numel(), input.shape[1], dtype=input.dtype, device=input.device)
        input = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    if mode == "max":
        if scale_grad_by_freq:
            raise ValueError("max mode does not support scaling the gradient by the frequency")
        if sparse:
            raise ValueError("max mode does not support sparse weights")
    elif mode not in ("sum", "mean"):
        raise ValueError("mode has to be one of sum, mean or max")
    # (offsets of any integer type are promoted to the indices' type; PyTorch names both 'indices')
    for t in (input, offsets):
        if t.dtype not in (dtypes.int64, dtypes.int32) and (t is input or t.dtype.is_floating_point
                                                            or t.dtype is dtypes.bool):
            raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                               f"Long, Int; but got {t.type()} instead (while checking arguments for embedding_bag)")
    if not weight.dtype.is_floating_point:
        raise RuntimeError("Expected tensor for argument #1 'weight' to have one of the following scalar types: "
                           f"Half, BFloat16, Float, Double; but got {weight.type()} instead (while checking "
                           "arguments for embedding_bag)")
    same_device(weight, input)
    same_device(weight, offsets)
    num = weight.shape[0]
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise RuntimeError(f"padding_idx must be within the number of embeddings, -{num} through {num - 1}, "
                               f"but got {padding_idx}")
        padding_idx = padding_idx % num
    if sparse:
        raise NotImplementedError("embedding_bag: sparse=True (sparse gradients) is not supported by minitorch; "
                                  "use sparse=False")
    bags = _plan(weight._backend, input, offsets, num, mode, include_last_offset, padding_idx, scale_grad_by_freq)
    if max_norm is not None:
        _renorm(weight, input, max_norm, norm_type)
    if per_sample_weights is not None:
        if mode != "sum":
            raise NotImplementedError("embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                      f"supported for mode='sum' (got mode='{mode}'). Please open a feature request "
                                      "on GitHub.")
        if per_sample_weights.dtype is not weight.dtype:
            raise RuntimeError("Expected tensor for argument #1 'weight' to have the same type as tensor for argument "
                               f"#1 'per_sample_weights'; but type {weight.type()} does not equal "
                               f"{per_sample_weights.type()} (while checking arguments for embedding_bag)")
        same_device(weight, per_sample_weights)
    return EmbeddingBagBackward0.apply(weight, per_sample_weights, bags)
