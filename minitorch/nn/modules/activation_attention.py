"""MultiheadAttention (torch.nn.modules.activation.MultiheadAttention)."""
from __future__ import annotations

from ... import _creation
from ...autograd.grad_mode import is_grad_enabled, no_grad
from ..._ops import multihead_attention as FA
from .. import init
from ..parameter import Parameter
from .linear import NonDynamicallyQuantizableLinear
from .module import Module

__all__ = ["MultiheadAttention"]


def _needs_grad(*tensors) -> bool:
    """PyTorch's fast paths are skipped when grad mode is on and any of these requires grad."""
    return is_grad_enabled() and any(t is not None and t.requires_grad for t in tensors)


def _dead_queries(attn_mask, key_padding_mask, bsz: int, num_heads: int, tgt_len: int, src_len: int):
    """(bsz, tgt_len) bool of the queries for which some head has every key masked (-inf) by the
    float masks attn_mask (L, S) or (bsz * num_heads, L, S) and key_padding_mask (bsz, S); None
    when there are none. PyTorch's fused inference kernels return NaN for those queries."""
    merged = None
    if attn_mask is not None:
        merged = attn_mask.reshape(1 if attn_mask.dim() == 2 else bsz, -1, tgt_len, src_len)
    if key_padding_mask is not None:
        padding = key_padding_mask.reshape(bsz, 1, 1, src_len)
        merged = padding if merged is None else merged + padding
    if merged is None or src_len == 0:
        return None
    with no_grad():
        dead = (merged == float("-inf")).all(-1).any(1).expand(bsz, tgt_len)
    return dead if bool(dead.any()) else None


def _with_nan_rows(output, dead):
    """output (N, L, E) with the rows dead (N, L) set to NaN (no-op for dead None)."""
    return output if dead is None else output.masked_fill(dead.unsqueeze(-1), float("nan"))


class MultiheadAttention(Module):
    """Attention with num_heads heads of embed_dim // num_heads features each, as in "Attention Is
    All You Need": softmax(q k^T / sqrt(head_dim)) v per head, heads concatenated, then out_proj.

    query (L, N, E) (or (N, L, E) with batch_first, or unbatched (L, E)), key (S, N, kdim), value
    (S, N, vdim) -> (output like query, weights (N, L, S) averaged over heads or (N, num_heads, L,
    S), or None with need_weights=False). Parameters: in_proj_weight (3E, E) (or q/k/v_proj_weight
    when kdim or vdim differ from E) ~ xavier_uniform, in_proj_bias (3E,) and out_proj.bias zero,
    out_proj a Linear(E, E) with its own default init, bias_k / bias_v (1, 1, E) ~ xavier_normal.
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, device=None, dtype=None) -> None:
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} and "
                             f"num_heads={num_heads} instead")
        super().__init__()
        factory = {"device": device, "dtype": dtype}
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != self.embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")
        if not self._qkv_same_embed_dim:
            self.q_proj_weight = Parameter(_creation.empty((embed_dim, embed_dim), **factory))
            self.k_proj_weight = Parameter(_creation.empty((embed_dim, self.kdim), **factory))
            self.v_proj_weight = Parameter(_creation.empty((embed_dim, self.vdim), **factory))
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = Parameter(_creation.empty((3 * embed_dim, embed_dim), **factory))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(_creation.empty(3 * embed_dim, **factory))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, **factory)
        if add_bias_kv:
            self.bias_k = Parameter(_creation.empty((1, 1, embed_dim), **factory))
            self.bias_v = Parameter(_creation.empty((1, 1, embed_dim), **factory))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        # After out_proj's own Linear init: the draws come in this order, as in PyTorch.
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def _fast_path(self, query, key, value, float_mask_given: bool) -> bool:
        """Whether PyTorch would run its fused inference kernel (self-attention, batched, batch_first,
        eval, no gradients needed, ...). Its numbers agree with the general path except that a
        query whose keys are all masked gets NaN instead of 0."""
        return (not float_mask_given and query.dim() == 3 and query is key and key is value
                and self.in_proj_weight is not None and self.in_proj_bias is not None
                and query.dtype is self.in_proj_weight.dtype and query.dtype is self.in_proj_bias.dtype
                and not self.training and self.num_heads % 2 == 0 and self.batch_first
                and self.bias_k is None and self.bias_v is None and not self.add_zero_attn
                and self._qkv_same_embed_dim
                and not _needs_grad(query, self.in_proj_weight, self.in_proj_bias, self.out_proj.weight,
                                    self.out_proj.bias))

    def forward(self, query, key, value, key_padding_mask=None, need_weights: bool = True, attn_mask=None,
                average_attn_weights: bool = True, is_causal: bool = False):
        """(attn_output, attn_weights): see the class docstring for shapes. Bool masks: True is masked."""
        float_mask_given = ((attn_mask is not None and attn_mask.is_floating_point())
                            or (key_padding_mask is not None and key_padding_mask.is_floating_point()))
        key_padding_mask = FA._canonical_mask(key_padding_mask, "key_padding_mask", FA._none_or_dtype(attn_mask),
                                              "attn_mask", query.dtype)
        attn_mask = FA._canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, check_other=False)
        fast = self._fast_path(query, key, value, float_mask_given)
        is_batched = query.dim() == 3
        if self.batch_first and is_batched:
            if key is value:
                if query is key:
                    query = key = value = query.transpose(1, 0)
                else:
                    query, key = (x.transpose(1, 0) for x in (query, key))
                    value = key
            else:
                query, key, value = (x.transpose(1, 0) for x in (query, key, value))
        separate = not self._qkv_same_embed_dim
        output, weights = FA.multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight, self.in_proj_bias,
            self.bias_k, self.bias_v, self.add_zero_attn, self.dropout, self.out_proj.weight, self.out_proj.bias,
            training=self.training, key_padding_mask=key_padding_mask, need_weights=need_weights,
            attn_mask=attn_mask, use_separate_proj_weight=separate,
            q_proj_weight=self.q_proj_weight if separate else None,
            k_proj_weight=self.k_proj_weight if separate else None,
            v_proj_weight=self.v_proj_weight if separate else None,
            average_attn_weights=average_attn_weights, is_causal=is_causal)
        if self.batch_first and is_batched:
            output = output.transpose(1, 0)
        if fast and not need_weights:
            bsz, tgt_len = output.shape[0], output.shape[1]
            output = _with_nan_rows(output, _dead_queries(attn_mask, key_padding_mask, bsz, self.num_heads,
                                                          tgt_len, tgt_len))
        return output, weights

    def merge_masks(self, attn_mask, key_padding_mask, query):
        """(merged mask, mask type) as PyTorch's fused kernel takes them: type 0 for attn_mask (L, L)
        alone, 1 for key_padding_mask (N, L) alone, 2 for both added as (N, num_heads, L, L)."""
        mask_type = None
        merged_mask = None
        if key_padding_mask is not None:
            mask_type = 1
            merged_mask = key_padding_mask
        if attn_mask is not None:
            batch_size, seq_len, _ = query.shape
            mask_type = 2
            if attn_mask.dim() == 3:
                expanded = attn_mask.view(batch_size, -1, seq_len, seq_len)
            else:
                expanded = attn_mask.view(1, 1, seq_len, seq_len).expand(batch_size, self.num_heads, -1, -1)
            merged_mask = expanded
            if key_padding_mask is not None:
                padding = key_padding_mask.view(batch_size, 1, 1, seq_len).expand(-1, self.num_heads, -1, -1)
                merged_mask = expanded + padding
        return merged_mask, mask_type
