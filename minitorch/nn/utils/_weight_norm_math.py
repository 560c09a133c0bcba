"""torch.norm_except_dim and torch._weight_norm, the arithmetic of weight normalisation
(both weight_norm flavours use it), composed from Tensor ops so autograd follows."""
from __future__ import annotations

from ..._size import wrap_dim
from ...tensor import Tensor


def norm_except_dim(v: Tensor, pow: float = 2, dim: int = 0) -> Tensor:  # noqa: A002
    """The p-norm of each slice of v along dim, shaped to broadcast against v (1 in every other
    dim); dim=-1 means the norm of the whole tensor (a 0-dim tensor)."""
    if dim == -1:
        return v.norm(pow)
    d = wrap_dim(dim, v.dim())
    shape = [1] * v.dim()
    shape[d] = v.shape[d]
    rows = v.transpose(0, d).reshape(v.shape[d], -1)
    return rows.norm(pow, dim=1).reshape(shape)


def weight_norm(v: Tensor, g: Tensor, dim: int = 0) -> Tensor:
    """``v * (g / norm_except_dim(v, 2, dim))``: v's direction, g's magnitude."""
    return v * (g / norm_except_dim(v, 2, dim))
