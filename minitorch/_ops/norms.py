"""The vector norm over dims: norm (p = 'fro' or 2 by default, any real p, 0, +-inf)."""
from __future__ import annotations

import numpy as np

from .._declare import op
from ..autograd.function import Function
from ..tensor import Tensor
from ._common import bool_arg, wrap_dims
from .reduce import _expand_back, _keep


class LinalgVectorNormBackward0(Function):
    """(sum |a|^p)^(1/p) over dims: d/da = a |a|^(p-2) / norm^(p-1) (0 where the norm is 0);
    p = 0 counts the nonzero elements, p = +-inf is the largest / smallest |a| (the gradient
    shared among the elements that attain it)."""

    saves_output = True

    @staticmethod
    def forward(ctx, a, p, dims, keepdim):
        ctx.save_for_backward(a)
        ctx.p, ctx.dims, ctx.keepdim = p, dims, keepdim
        be = a._backend
        absolute = be.unary("abs", a._data)
        if p == float("inf") or p == float("-inf"):
            return be.reduce("amax" if p > 0 else "amin", absolute, dims, keepdim)
        if p == 0:  # the number of nonzero elements
            return be.reduce("sum", be.compare("ne", a._data, 0, a.dtype), dims, keepdim, a.dtype)
        if p == 2:
            return be.unary("sqrt", be.reduce("sum", be.binary("mul", absolute, absolute, a.dtype), dims, keepdim, a.dtype))
        if p == 1:
            return be.reduce("sum", absolute, dims, keepdim, a.dtype)
        powered = be.binary("pow", absolute, p, a.dtype)
        return be.binary("pow", be.reduce("sum", powered, dims, keepdim, a.dtype), 1.0 / p, a.dtype)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        p, dims = ctx.p, ctx.dims
        out = _keep(ctx.saved_output, a.shape, dims, ctx.keepdim)
        g = _expand_back(grad, a.shape, dims, ctx.keepdim)
        if p == 0:  # no gradient at all: PyTorch leaves the input's .grad None
            return None, None, None, None
        if p == 1:
            return g * a.sign(), None, None, None
        if p == float("inf") or p == float("-inf"):
            mask = a.abs() == out
            return g * a.sign() * mask / mask.sum(dims, keepdim=True), None, None, None
        if p < 1:  # |a|^(p-1) is infinite at 0: those elements get no gradient
            scaled = a.sign() * (a.abs() ** (p - 1)).masked_fill(a == 0, 0)
            return scaled * g * out ** (1 - p), None, None, None
        if p == 2:
            return g * (a / out).masked_fill(out == 0, 0), None, None, None
        # (the elements' factor, then the norm's, which is 0 where the norm is)
        scaled = a.sign() * a.abs() ** (p - 1) if p < 2 else a * a.abs() ** (p - 2)
        return scaled * (g / out ** (p - 1)).masked_fill(out == 0, 0), None, None, None


@op(out=True)
def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False) -> Tensor:
    """The vector p-norm (2 by default) over dim, or over all elements; p="nuc" the nuclear
    norm over two dims (linalg.matrix_norm)."""
    if keepdim.__class__ is not bool:
        keepdim = bool_arg(keepdim, "norm", "keepdim", 3)
    a = input
    if not a.dtype.is_floating_point:
        raise RuntimeError(
            f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got {a.dtype.legacy_name}")
    if p is None or (p == "fro" and (dim is None or isinstance(dim, int) or len(dim) <= 2)):
        p = 2
    if isinstance(p, str):  # "nuc" (and "fro" over more than two dims: its error) are matrix norms
        from .linalg_norms import matrix_norm
        return matrix_norm(a, p, list(range(a.dim())) if dim is None else dim, keepdim)
    if not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"norm(): argument 'p' must be Number, not {type(p).__name__}")
    dims = wrap_dims(dim, a.dim())
    if abs(p) == float("inf") and a.numel() == 0:
        if dim is None:
            raise RuntimeError("linalg.vector_norm cannot compute the inf norm on an empty tensor because the "
                               "operation does not have an identity")
        empty = next((d for d in dims if a.shape[d] == 0), None)
        if empty is not None:
            raise RuntimeError(f"linalg.vector_norm cannot compute the inf norm on the dimension {empty}because "
                               "this dimension is empty and the operation does not have an identity")
    return LinalgVectorNormBackward0.apply(a, float(p) if p != 2 and p != 1 else p, dims, keepdim)
