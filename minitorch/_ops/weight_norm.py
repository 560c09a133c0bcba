"""Weight normalisation's arithmetic: ``norm_except_dim`` and ``_weight_norm`` (w = g * v / ||v||,
the norm over every dim of v but dim), the latter as torch's fused ``_weight_norm_interface``
with its grad_fn name. Both weight_norm flavours of nn.utils use them."""
from __future__ import annotations

import numpy as np

from .._declare import function
from .._size import wrap_dim
from ..autograd.function import Function
from ..tensor import Tensor
from ._common import check_tensor, float_input


def _int_arg(value, fn: str, arg: str, position: int) -> int:
    """value, or PyTorch's TypeError for an int argument given something else."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
        raise TypeError(f"{fn}(): argument '{arg}' (position {position}) must be int, not {type(value).__name__}")
    return int(value)


def _other_dims(ndim: int, dim: int) -> tuple:
    """The dims the norm runs over: all but dim (dim=-1 means all, as torch's weight norm reads it)."""
    if dim == -1:
        return tuple(range(ndim))
    d = wrap_dim(dim, ndim)
    return tuple(i for i in range(ndim) if i != d)


class WeightNormInterfaceBackward0(Function):
    """w = v * (g / n), n = ||v||_2 over dims: dL/dg = sum(grad * v) / n over dims, and
    dL/dv = (g / n) * (grad - v * sum(grad * v) / n^2) (the norm's own path included)."""

    @staticmethod
    def forward(ctx, v, g, dims):
        ctx.save_for_backward(v, g)
        ctx.dims = dims
        be, dt = v._backend, v.dtype
        if dims:
            norm = be.unary("sqrt", be.reduce("sum", be.binary("mul", v._data, v._data, dt), dims, True, dt))
        else:  # a 1-d v normalised along its only dim: each element is its own slice
            norm = be.unary("abs", v._data)
        return be.binary("mul", v._data, be.binary("div", g._data, norm, dt), dt)

    @staticmethod
    def backward(ctx, grad):
        v, g = ctx.saved_tensors
        dims = ctx.dims
        # In Tensor ops, so that the gradient can be differentiated again.
        norm = (v * v).sum(dims, keepdim=True).sqrt() if dims else v.abs()
        dot = (grad * v).sum(dims, keepdim=True) if dims else grad * v
        grad_v = (g / norm) * (grad - v * (dot / (norm * norm)))
        grad_g = (dot / norm).reshape(g.shape)
        return grad_v, grad_g, None


@function
def norm_except_dim(v: Tensor, pow: float = 2, dim: int = 0) -> Tensor:  # noqa: A002
    """The pow-norm of each slice of v along dim, shaped to broadcast against v (1 in every
    other dim); dim=-1: the norm of the whole tensor (0-dim)."""
    check_tensor(v, "norm_except_dim", "v")
    pow = _int_arg(pow, "norm_except_dim", "pow", 2)  # noqa: A001
    dim = _int_arg(dim, "norm_except_dim", "dim", 3)
    if not v.dtype.is_floating_point:
        raise RuntimeError("norm(): input dtype should be either floating point or complex. "
                           f"Got {v.dtype.legacy_name} instead.")
    if dim == -1:
        return v.norm(pow)
    d = wrap_dim(dim, v.dim())
    shape = [1] * v.dim()
    shape[d] = v.shape[d]
    # torch's order: the slices as rows of a matrix, each row's norm.
    rows = v.transpose(0, d).reshape(v.shape[d], -1)
    return rows.norm(pow, dim=1).reshape(shape)


@function
def _weight_norm(v: Tensor, g: Tensor, dim: int = 0) -> Tensor:
    """``v * (g / norm_except_dim(v, 2, dim))``: v's direction with g's magnitude (g: one value
    per slice of v along dim, shaped to broadcast against v)."""
    check_tensor(v, "_weight_norm", "v")
    check_tensor(g, "_weight_norm", "g", 2)
    dim = _int_arg(dim, "_weight_norm", "dim", 3)
    if v.device != g.device:
        raise RuntimeError("Expected all tensors to be on the same device, but found at least two devices, "
                           f"{v.device} and {g.device}!")
    # torch fuses only the first and last dims (its kernels' layouts); others are composed.
    if not (dim == 0 or dim == v.dim() - 1):
        return v * (g / norm_except_dim(v, 2, dim))
    float_input(v, "weight_norm_kernel")
    if g.dtype != v.dtype:
        raise RuntimeError(f"expected scalar type {v.dtype.legacy_name} but found {g.dtype.legacy_name}")
    dims = _other_dims(v.dim(), dim)
    slices = v.shape[dim] if v.dim() else 1
    if g.numel() != slices:
        raise RuntimeError(f"_weight_norm(): expected g to hold one value per slice of v along dim {dim} "
                           f"({slices}), but g has shape {list(g.shape)}")
    g = g.reshape([n if i == dim else 1 for i, n in enumerate(v.shape)])
    return WeightNormInterfaceBackward0.apply(v, g, dims)
