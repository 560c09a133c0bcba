"""Core ops the attention layers need that minitorch does not have yet: tril, triu, baddbmm,
and native_layer_norm (fused numba kernels on the CPU: the composed version ran 8-15x slower
than torch's on a (1024, 256) forward + backward).

Staging: each is a plain function over the public Tensor API with its own autograd node
(named as PyTorch names it), for the lead to move into the op declarations and to bind as
``minitorch.tril`` / ``Tensor.tril`` and so on. Until then the nn code imports them from here.
"""
from __future__ import annotations

import numpy as np

from .. import _creation
from ..autograd import Function
from ..autograd.grad_mode import is_grad_enabled
from ..tensor import Tensor

__all__ = ["tril", "triu", "baddbmm", "native_layer_norm"]


def _check_input(fn: str, input) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")


def _check_diagonal(fn: str, diagonal) -> None:
    if isinstance(diagonal, bool) or not isinstance(diagonal, int):
        raise TypeError(f"{fn}(): argument 'diagonal' (position 2) must be int, not {type(diagonal).__name__}")


def _outside_band(input: Tensor, diagonal: int, lower: bool) -> Tensor:
    """Bool (rows, cols) mask of the elements tril (lower) / triu zeroes: j - i > diagonal for
    tril, j - i < diagonal for triu, where i, j index the last two dims."""
    rows, cols = input.shape[-2], input.shape[-1]
    offset = _creation.arange(cols, device=input.device) - _creation.arange(rows, device=input.device).unsqueeze(-1)
    return offset > diagonal if lower else offset < diagonal


class TrilBackward0(Function):
    """Lower triangle of the last two dims (j - i <= diagonal kept); backward: grad.tril(diagonal)."""

    @staticmethod
    def forward(ctx, input, diagonal):
        ctx.diagonal = diagonal
        return input.masked_fill(_outside_band(input, diagonal, True), 0)

    @staticmethod
    def backward(ctx, grad):
        return tril(grad, ctx.diagonal), None


class TriuBackward0(Function):
    """Upper triangle of the last two dims (j - i >= diagonal kept); backward: grad.triu(diagonal)."""

    @staticmethod
    def forward(ctx, input, diagonal):
        ctx.diagonal = diagonal
        return input.masked_fill(_outside_band(input, diagonal, False), 0)

    @staticmethod
    def backward(ctx, grad):
        return triu(grad, ctx.diagonal), None


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of input (*, m, n): elements with j - i > diagonal set to 0."""
    _check_input("tril", input)
    _check_diagonal("tril", diagonal)
    if input.dim() < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return TrilBackward0.apply(input, diagonal)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of input (*, m, n): elements with j - i < diagonal set to 0."""
    _check_input("triu", input)
    _check_diagonal("triu", diagonal)
    if input.dim() < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return TriuBackward0.apply(input, diagonal)


class BaddbmmBackward0(Function):
    """beta * input + alpha * (batch1 @ batch2), batch by batch; input broadcast to (b, n, p).

    With beta == 0 input is ignored (its NaN and inf do not propagate), as in PyTorch."""

    @staticmethod
    def forward(ctx, input, batch1, batch2, beta, alpha):
        ctx.save_for_backward(batch1, batch2)
        ctx.beta, ctx.alpha = beta, alpha
        product = batch1.bmm(batch2)
        if alpha != 1:
            product = product * alpha
        if beta == 0:
            return product
        return product + (input if beta == 1 else input * beta)

    @staticmethod
    def backward(ctx, grad):
        batch1, batch2 = ctx.saved_tensors
        needs = ctx.needs_input_grad
        grad_input = None
        if needs[0]:
            grad_input = grad if ctx.beta == 1 else grad * ctx.beta
        scaled = grad if ctx.alpha == 1 else grad * ctx.alpha
        grad_b1 = scaled.bmm(batch2.transpose(1, 2)) if needs[1] else None
        grad_b2 = batch1.transpose(1, 2).bmm(scaled) if needs[2] else None
        return grad_input, grad_b1, grad_b2, None, None


def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * bmm(batch1, batch2): batch1 (b, n, m), batch2 (b, m, p), input
    broadcastable to (b, n, p)."""
    for position, (name, t) in enumerate((("input", input), ("batch1", batch1), ("batch2", batch2)), 1):
        if not isinstance(t, Tensor):
            raise TypeError(f"baddbmm(): argument '{name}' (position {position}) must be Tensor, "
                            f"not {type(t).__name__}")
    if batch1.dim() != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if batch2.dim() != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    b, n, m = batch1.shape
    if tuple(batch2.shape[:2]) != (b, m):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{b}, {m}] "
                           f"but got: [{batch2.shape[0]}, {batch2.shape[1]}].")
    if not (input.dtype is batch1.dtype is batch2.dtype):
        raise RuntimeError(f"Input dtypes must be the same, got: input {input.dtype.c_name}, "
                           f"batch1: {batch1.dtype.c_name}, batch2: {batch2.dtype.c_name}")
    input.expand(b, n, batch2.shape[2])  # PyTorch's message when input does not broadcast
    return BaddbmmBackward0.apply(input, batch1, batch2, beta, alpha)


class NativeLayerNormBackward0(Function):
    """x normalised over its last n dims (mean 0, biased variance 1 after adding eps), then
    weight * xhat + bias. Backward: dx = rstd * (gw - mean(gw) - xhat * mean(gw * xhat)) with
    gw = grad * weight, dweight = sum(grad * xhat), dbias = sum(grad) over the leading dims.

    float32/float64 CPU tensors run two numba kernels (one pass per row each way); other
    devices and dtypes, and backward under create_graph (which must be differentiable), use
    the same formulas as Tensor operations."""

    @staticmethod
    def forward(ctx, x, weight, bias, n, eps):
        ctx.save_for_backward(x, weight)
        ctx.n, ctx.eps = n, eps
        if _fused(x):
            from ..backends.cpu import norm_kernels
            width = 1
            for s in x.shape[x.dim() - n:]:
                width *= s
            rows = np.ascontiguousarray(x.detach().numpy()).reshape(-1, width)
            out = np.empty_like(rows)
            mean = np.empty(rows.shape[0])
            rstd = np.empty(rows.shape[0])
            norm_kernels.layer_norm_rows(rows, _flat(weight, rows.dtype), _flat(bias, rows.dtype), eps, out,
                                         mean, rstd)
            ctx.stats = (rows, mean, rstd)
            return _creation.from_numpy(out.reshape(tuple(x.shape)))
        xhat, rstd = _normalize(x, n, eps)
        ctx.stats = (xhat, rstd)
        out = xhat if weight is None else xhat * weight
        return out if bias is None else out + bias

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        needs = ctx.needs_input_grad
        if _fused(x) and not is_grad_enabled():
            from ..backends.cpu import norm_kernels
            rows, mean, rstd = ctx.stats
            g = np.ascontiguousarray(grad.numpy(), dtype=rows.dtype).reshape(rows.shape)
            grad_x = np.empty_like(rows)
            grad_w = np.zeros(rows.shape[1])
            grad_b = np.zeros(rows.shape[1])
            norm_kernels.layer_norm_backward_rows(g, rows, mean, rstd, _flat(weight, rows.dtype), grad_x, grad_w,
                                                  grad_b)
            shape = tuple(x.shape[x.dim() - ctx.n:])
            return (_creation.from_numpy(grad_x.reshape(tuple(x.shape))) if needs[0] else None,
                    _creation.from_numpy(grad_w.astype(rows.dtype).reshape(shape)) if needs[1] else None,
                    _creation.from_numpy(grad_b.astype(rows.dtype).reshape(shape)) if needs[2] else None,
                    None, None)
        if is_grad_enabled() or not isinstance(ctx.stats[0], Tensor):
            xhat, rstd = _normalize(x, ctx.n, ctx.eps)  # differentiable, for create_graph
        else:
            xhat, rstd = ctx.stats
        lead = tuple(range(x.dim() - ctx.n))
        dims = tuple(range(x.dim() - ctx.n, x.dim()))
        grad_w = _sum_rows(grad * xhat, lead) if needs[1] else None
        grad_b = _sum_rows(grad, lead) if needs[2] else None
        grad_x = None
        if needs[0]:
            gw = grad if weight is None else grad * weight
            grad_x = rstd * (gw - gw.mean(dims, keepdim=True) - xhat * (gw * xhat).mean(dims, keepdim=True))
        return grad_x, grad_w, grad_b, None, None


def _fused(x: Tensor) -> bool:
    return x.device.type == "cpu" and x.dtype.name in ("float32", "float64")


def _flat(t, dtype) -> np.ndarray:
    """A parameter as a flat NumPy array of dtype (empty for None: the kernels skip it)."""
    return np.empty(0, dtype) if t is None else np.ascontiguousarray(t.detach().numpy(), dtype).reshape(-1)


def _sum_rows(t: Tensor, rows: tuple) -> Tensor:
    # (sum over an empty dim list would sum everything: a 1-row input keeps its shape)
    return t.sum(rows) if rows else t


def _normalize(x: Tensor, n: int, eps: float) -> tuple[Tensor, Tensor]:
    """(x - mean) * rstd over the last n dims, and rstd = 1 / sqrt(biased var + eps)."""
    dims = tuple(range(x.dim() - n, x.dim()))
    centred = x - x.mean(dims, keepdim=True)
    rstd = ((centred * centred).mean(dims, keepdim=True) + eps).rsqrt()
    return centred * rstd, rstd


def native_layer_norm(input: Tensor, n: int, weight: Tensor | None, bias: Tensor | None, eps: float) -> Tensor:
    """Layer norm of input over its last n dims with optional weight / bias of those dims' shape
    (arguments already checked: F.layer_norm does that)."""
    return NativeLayerNormBackward0.apply(input, weight, bias, n, eps)
