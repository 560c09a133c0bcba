"""cross (the 3-vector cross product along a dim) and cdist (p-norm distances between two
sets of row vectors)."""
from __future__ import annotations

import math
import warnings

from .._declare import FUNCTIONS, function, op
from ..autograd.function import Function
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from ._common import broadcast_shapes, check_tensor


@op(out=True)
def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:
    """The cross product of 3-vectors along dim (input and other broadcast):
    out[i] = input[i+1] * other[i+2] - input[i+2] * other[i+1], indices mod 3."""
    check_tensor(other, "cross", "other", 2)
    shape = broadcast_shapes(input.shape, other.shape)
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass the "
                      "dim explicitly or simply use torch.linalg.cross.\nThe default value of dim will change "
                      "to agree with that of linalg.cross in a future release.", UserWarning, stacklevel=2)
        sizes3 = [d for d, s in enumerate(input.shape) if s == 3]
        if not sizes3:
            raise RuntimeError("no dimension of size 3 in input")
        dim = sizes3[0]
    if input.dim() != other.dim():
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    ndim = max(len(shape), 1)
    if not -ndim <= dim < ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], "
                         f"but got {dim})")
    given, dim = dim, dim % ndim
    if input.shape[dim] != 3 or other.shape[dim] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {given} must have length 3. Got {input.shape[dim]} "
                           f"and {other.shape[dim]}")
    a, b = input.expand(shape), other.expand(shape)
    next1 = input.new_tensor([1, 2, 0]).long()
    next2 = input.new_tensor([2, 0, 1]).long()
    return (a.index_select(dim, next1) * b.index_select(dim, next2)
            - a.index_select(dim, next2) * b.index_select(dim, next1))


def _direct_distances(diff: Tensor, p: float) -> Tensor:
    """||x1_i - x2_j||_p from the pairwise differences (..., P, R, M)."""
    if p == 0:
        return (diff != 0).sum(-1).to(diff.dtype)
    if p == 1:
        return diff.abs().sum(-1)
    if p == 2:
        return diff.pow(2).sum(-1).sqrt()
    if math.isinf(p):
        return diff.abs().amax(-1) if diff.shape[-1] else diff.abs().sum(-1)
    return diff.abs().pow(p).sum(-1).pow(1.0 / p)


def _mm_distances(x1: Tensor, x2: Tensor) -> Tensor:
    """Euclidean distances through one matrix product, as PyTorch's fast path:
    |a|^2 - 2 a.b + |b|^2 as [-2a, |a|^2, 1] . [b, 1, |b|^2], clamped at 1e-30, then sqrt."""
    x1_norm = x1.pow(2).sum(-1, keepdim=True)
    x2_norm = x2.pow(2).sum(-1, keepdim=True)
    cat = FUNCTIONS["cat"]  # (looked up by name: the op's home module may move)
    left = cat([x1 * -2, x1_norm, x1_norm.new_ones(x1_norm.shape)], -1)
    right = cat([x2, x2_norm.new_ones(x2_norm.shape), x2_norm], -1)
    return left.matmul(right.transpose(-1, -2)).clamp_min(1e-30).sqrt()


class CdistBackward0(Function):
    """Distances (..., P, R) between the rows of x1 (..., P, M) and x2 (..., R, M). The gradient
    of d_ij with respect to x1_i is diff * |diff|^(p-2) / d^(p-1) (sign(diff) for p = 1, the
    arg-max coordinates for p = inf, nothing for p = 0), and 0 where d_ij == 0."""

    tensor_inputs = 2

    @staticmethod
    def forward(x1, x2, p, use_mm):
        with no_grad():
            if use_mm:
                return _mm_distances(x1, x2)._data
            return _direct_distances(x1.unsqueeze(-2) - x2.unsqueeze(-3), p)._data

    @staticmethod
    def setup_context(ctx, inputs, output):
        x1, x2, ctx.p, _ = inputs
        ctx.save_for_backward(x1, x2, output)

    @staticmethod
    def backward(ctx, grad):
        x1, x2, dist = ctx.saved_tensors
        p = ctx.p
        diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
        d = dist.unsqueeze(-1)
        if p == 0:
            local = diff * 0
        elif p == 1:
            local = diff.sign()
        elif math.isinf(p):
            local = diff.sign() * (diff.abs() == d)
        elif p == 2:
            local = diff / d.masked_fill(d == 0, 1)
        else:
            local = diff * diff.abs().pow(p - 2) / d.masked_fill(d == 0, 1).pow(p - 1)
            if p < 2:
                local = local.masked_fill(diff == 0, 0)
        local = local.masked_fill(d == 0, 0) * grad.unsqueeze(-1)
        return local.sum(-2), -local.sum(-3), None, None


@function
def cdist(x1: Tensor, x2: Tensor, p: float = 2.0,
          compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """p-norm distances between each row of x1 (B..., P, M) and each row of x2 (B..., R, M):
    (B..., P, R), batch dims broadcast. For p = 2 with more than 25 rows on either side (or
    compute_mode='use_mm_for_euclid_dist'), computed through a matrix product as PyTorch."""
    check_tensor(x1, "cdist", "x1", 1)
    check_tensor(x2, "cdist", "x2", 2)
    for name, t in (("X1", x1), ("X2", x2)):
        if t.dim() < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {t.dim()}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} "
                           f"X2: {x2.shape[-1]}")
    if not x1.dtype.is_floating_point or not x2.dtype.is_floating_point:
        raise RuntimeError(f"cdist only supports floating-point dtypes, X1 got: {x1.dtype.legacy_name}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    modes = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist")
    if compute_mode not in modes:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    batch = broadcast_shapes(x1.shape[:-2], x2.shape[:-2])
    x1 = x1.expand(batch + tuple(x1.shape[-2:]))
    x2 = x2.expand(batch + tuple(x2.shape[-2:]))
    rows1, rows2 = x1.shape[-2], x2.shape[-2]
    use_mm = p == 2 and (compute_mode == "use_mm_for_euclid_dist"
                         or (compute_mode == modes[0] and (rows1 > 25 or rows2 > 25)))
    return CdistBackward0.apply(x1, x2, float(p), use_mm)
