"""scaled_dot_product_attention, as torch.nn.functional has it (multi_head_attention_forward,
which calls it, is in multihead_attention.py).

It is composed from differentiable Tensor ops (matmul, softmax, dropout, masked_fill), in
the order PyTorch's CPU code runs them, so gradients come from the existing nodes and dropout
draws the same random numbers as PyTorch from the same seed.
"""
from __future__ import annotations

import math

from .. import _creation, dtypes
from .._declare import functional
from ..tensor import Tensor
from .dropout import dropout as _dropout
from .meta import broadcast_shapes
from .triangular import tril


_NEG_INF = float("-inf")
# C++ type names PyTorch's attention messages print (dtype.c_name where they agree).
_CPP_NAMES = {"int64": "long int"}


def _cpp_name(dtype) -> str:
    return _CPP_NAMES.get(dtype.name, dtype.c_name)


# ----- scaled_dot_product_attention ----------------------------------------------------------

def _check_sdpa_args(query, key, value, attn_mask, dropout_p, is_causal, scale) -> None:
    for position, (name, t) in enumerate((("query", query), ("key", key), ("value", value)), 1):
        if not isinstance(t, Tensor):
            raise TypeError(f"scaled_dot_product_attention(): argument '{name}' (position {position}) must be "
                            f"Tensor, not {type(t).__name__}")
    if attn_mask is not None and not isinstance(attn_mask, Tensor):
        raise TypeError("scaled_dot_product_attention(): argument 'attn_mask' must be Tensor, "
                        f"not {type(attn_mask).__name__}")
    if not isinstance(is_causal, bool):
        raise TypeError(f"scaled_dot_product_attention(): argument 'is_causal' must be bool, not "
                        f"{type(is_causal).__name__}")
    if scale is not None and (isinstance(scale, bool) or not isinstance(scale, (int, float))):
        raise TypeError(f"scaled_dot_product_attention(): argument 'scale' must be float, not {type(scale).__name__}")
    if min(query.dim(), key.dim(), value.dim()) < 2:
        raise RuntimeError(f"Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: "
                           f"{query.dim()} key.dim: {key.dim()} and value.dim: {value.dim()} instead.")
    if not (query.dtype is key.dtype is value.dtype):
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got query.dtype: "
                           f"{_cpp_name(query.dtype)} key.dtype: {_cpp_name(key.dtype)} and value.dtype: "
                           f"{_cpp_name(value.dtype)} instead.")
    if not query.is_floating_point():
        raise RuntimeError(f"expected scalar type Float but found {query.dtype.legacy_name}")
    if query.shape[-1] != key.shape[-1]:
        batch = 1
        for n in broadcast_shapes(tuple(query.shape[:-2]), tuple(key.shape[:-2])):
            batch *= n
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{batch}, "
                           f"{query.shape[-1]}] but got: [{batch}, {key.shape[-1]}].")
    if attn_mask is not None and attn_mask.dtype not in (dtypes.bool, dtypes.float32, query.dtype):
        raise RuntimeError(f"Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                           f"attn_mask.dtype: {_cpp_name(attn_mask.dtype)} and  query.dtype: "
                           f"{_cpp_name(query.dtype)} instead.")
    if dropout_p > 1:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")


def _takes_cpu_flash_path(query, key, value, attn_mask, dropout_p, enable_gqa) -> bool:
    """Whether PyTorch 2.13 on the CPU runs these inputs through its fused flash kernel rather than
    the math composition. The two differ in one visible way: flash accepts attn_mask together with
    is_causal (and applies both), math refuses it."""
    if not (query.dim() == key.dim() == value.dim() == 4) or dropout_p != 0.0:
        return False
    if not (query.shape[-1] == key.shape[-1] == value.shape[-1]):
        return False
    if not (query.shape[0] == key.shape[0] == value.shape[0]) or key.shape[1] != value.shape[1]:
        return False
    if query.shape[1] != key.shape[1] and not (enable_gqa and query.shape[1] % key.shape[1] == 0):
        return False
    if any(t.shape[-1] > 1 and t.stride(-1) != 1 for t in (query, key, value)):
        return False
    return attn_mask is None or not attn_mask.requires_grad


def _attention_bias(query: Tensor, attn_mask, is_causal: bool, L: int, S: int):
    """The additive bias on the scores, or None: a bool mask becomes 0 where True and -inf where
    False, a float mask is used as is, and is_causal adds -inf above the diagonal (upper left)."""
    bias = None
    if attn_mask is not None:
        if attn_mask.dtype is dtypes.bool:
            bias = _creation.zeros(attn_mask.shape, dtype=query.dtype, device=query.device)
            bias = bias.masked_fill(attn_mask.logical_not(), _NEG_INF)
        else:
            bias = attn_mask
    if is_causal:
        allowed = tril(_creation.ones(L, S, dtype=dtypes.bool, device=query.device))
        causal = _creation.zeros(L, S, dtype=query.dtype, device=query.device).masked_fill(
            allowed.logical_not(), _NEG_INF)
        bias = causal if bias is None else bias + causal
    return bias


def _expand_kv_heads(t: Tensor, heads: int) -> Tensor:
    """(..., Hk, S, E) -> (..., heads, S, E), each key/value head serving heads / Hk query heads
    (repeat_interleave on dim -3, as grouped-query attention does)."""
    hk = t.shape[-3]
    if hk == heads:
        return t
    shape = tuple(t.shape)
    return (t.unsqueeze(-3).expand(*shape[:-2], heads // hk, *shape[-2:])
            .reshape(*shape[:-3], heads, *shape[-2:]))


@functional
def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(query @ key^T * scale + bias) @ value, with dropout on the weights.

    query (N, ..., Hq, L, E), key (N, ..., H, S, E), value (N, ..., H, S, Ev) -> (N, ..., Hq, L, Ev).
    attn_mask broadcasts to (N, ..., Hq, L, S): bool (True takes part) or float (added).
    is_causal masks j > i; scale defaults to 1 / sqrt(E); enable_gqa lets H divide Hq. Rows with
    every key masked give 0 (and zero gradients), as PyTorch's CPU kernels do.
    """
    _check_sdpa_args(query, key, value, attn_mask, dropout_p, is_causal, scale)
    L, S = query.shape[-2], key.shape[-2]
    if attn_mask is not None and is_causal and L and S and not _takes_cpu_flash_path(
            query, key, value, attn_mask, dropout_p, enable_gqa):
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    if enable_gqa and query.dim() >= 3:
        hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
        if hk != hv or hq % hk != 0:
            raise RuntimeError("Number of heads in key and value must divide the number of heads in ")
        key, value = _expand_kv_heads(key, hq), _expand_kv_heads(value, hq)
    scale_factor = 1.0 / math.sqrt(query.shape[-1]) if scale is None else float(scale)
    bias = _attention_bias(query, attn_mask, is_causal, L, S)
    dead = None
    if bias is not None and S > 0:
        # Rows whose every key is masked: softmax would give NaN; PyTorch gives 0 there. A finite
        # bias on those rows keeps softmax (and its backward) finite until they are zeroed.
        dead = (bias == _NEG_INF).all(-1, keepdim=True)
        if bool(dead.any()):
            bias = bias.masked_fill(dead, 0.0)
        else:
            dead = None
    scores = (query * scale_factor) @ key.transpose(-2, -1)
    if bias is not None:
        scores = scores + bias
    # (no keys: nothing to normalise; the empty weights give a zero output)
    weights = scores.softmax(-1) if S > 0 else scores
    if dead is not None:
        weights = weights.masked_fill(dead, 0.0)
    if dropout_p > 0.0:
        weights = _dropout(weights, dropout_p, training=True)
    return weights @ value
