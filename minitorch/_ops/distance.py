"""Distances between rows of two tensors: pairwise_distance and cosine_similarity (the
``minitorch.*`` functions and ``nn.functional``), composed as PyTorch composes them."""
from __future__ import annotations

from .. import dtypes
from .._declare import function
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from ._common import broadcast_shapes, check_tensor, wrap_dims
from .norms import LinalgVectorNormBackward0


class NormBackward1(LinalgVectorNormBackward0):
    """norm(input, p, dim, keepdim): the p-norm over one dim (PyTorch's node for at::norm)."""


@function(functional=True)
def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p over the last dim, broadcast: (N, D) and (N, D) or (D,) give (N,)."""
    check_tensor(x1, "pairwise_distance", "x1")
    check_tensor(x2, "pairwise_distance", "x2", 2)
    innermost = max(x1.dim(), x2.dim()) - 1
    diff = x1 - x2 + eps  # (a float: eps promotes integer inputs)
    return NormBackward1.apply(diff, float(p) if p not in (1, 2) else p, wrap_dims(innermost, diff.dim()), keepdim)


@function(functional=True)
def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """The cosine of the angle between x1 and x2 along dim (broadcast): each divided by its
    norm (at least eps) first, so the result stays within [-1, 1]."""
    check_tensor(x1, "cosine_similarity", "x1")
    check_tensor(x2, "cosine_similarity", "x2", 2)
    common = dtypes.promote_types(x1.dtype, x2.dtype)
    if not common.is_floating_point:
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is {common.legacy_name}")
    if not x1.dtype.is_floating_point:
        x1 = x1.to(common)
    if not x2.dtype.is_floating_point:
        x2 = x2.to(common)
    shape = broadcast_shapes(x1.shape, x2.shape)
    x1, x2 = x1.broadcast_to(shape), x2.broadcast_to(shape)
    x1_norm = x1.norm(2, dim, keepdim=True).clone()
    x2_norm = x2.norm(2, dim, keepdim=True).clone()
    with no_grad():  # the floor guards the division without entering the gradient
        x1_norm.clamp_min_(eps)
        x2_norm.clamp_min_(eps)
    return ((x1 / x1_norm) * (x2 / x2_norm)).sum(dim)

