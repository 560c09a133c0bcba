"""F.pdist / minitorch.pdist: the p-norm distances between all pairs of rows, and its node
PdistBackward0 (PyTorch's gradient formulas per p, 0 where a distance is 0)."""
from __future__ import annotations

import numpy as np

from .._declare import function
from ..autograd.function import Function
from ..tensor import Tensor
from ._common import check_tensor, number_arg


def _pairs(be, n: int):
    i, j = np.triu_indices(n, 1)
    return be.from_numpy(i.astype(np.int64)), be.from_numpy(j.astype(np.int64))


class PdistBackward0(Function):
    """out[k] = ||x[i_k] - x[j_k]||_p over the pairs i_k < j_k in row-major order; d/dx[i_k]
    is grad[k] * d||diff||/d diff and d/dx[j_k] its negative."""

    @staticmethod
    def forward(ctx, x, p):
        be, dt = x._backend, x.dtype
        i, j = _pairs(be, x.shape[0])
        ctx.save_for_backward(x)
        ctx.p, ctx.pairs = p, (i, j)
        diff = be.binary("sub", be.getitem(x._data, (i,)), be.getitem(x._data, (j,)), dt)
        if x.shape[1] == 0:
            return be.zeros((diff.shape[0],), dt)
        size = be.unary("abs", diff)
        if p == 0:
            return be.reduce("sum", be.astype(be.compare("ne", diff, 0, dt), dt), (1,), False, dt)
        if p == 1:
            return be.reduce("sum", size, (1,), False, dt)
        if p == 2:
            return be.unary("sqrt", be.reduce("sum", be.binary("mul", diff, diff, dt), (1,), False, dt))
        if p == float("inf"):
            return be.reduce("amax", size, (1,), False, dt)
        total = be.reduce("sum", be.binary("pow", size, p, dt), (1,), False, dt)
        return be.binary("pow", total, 1.0 / p, dt)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        p = ctx.p
        be = grad._backend
        i, j = (Tensor._wrap(a, be) for a in ctx.pairs)
        if p == 0 or x.shape[0] < 2:
            return x * 0, None
        diff = x[i] - x[j]
        dist = PdistBackward0.apply(x, p).unsqueeze(1)
        g = grad.unsqueeze(1)
        zero = dist == 0
        if p == 1:
            part = g * diff.sign()
        elif p == 2:
            part = (g * diff / dist).masked_fill(zero, 0)
        elif p == float("inf"):
            part = g * diff.sign() * (diff.abs() == dist)
        elif p < 2:
            lone = zero | ((diff == 0) & (p < 1))
            part = (diff.sign() * diff.abs().pow(p - 1) * g / dist.pow(p - 1)).masked_fill(lone, 0)
        else:
            part = (diff * diff.abs().pow(p - 2) * g / dist.pow(p - 1)).masked_fill(zero, 0)
        out = x.new_zeros(x.shape)
        return out.index_add(0, i, part).index_add(0, j, -part), None


@function(functional=True)
def pdist(input: Tensor, p: float = 2) -> Tensor:
    """The p-norm distances between every pair of rows of input (N, M): (N (N - 1) / 2,), the
    upper triangle of cdist(input, input) row by row."""
    check_tensor(input, "pdist")
    p = float(number_arg(p, "pdist", "p", kind="float"))
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    if not input.dtype.is_floating_point:
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    return PdistBackward0.apply(input, p)
