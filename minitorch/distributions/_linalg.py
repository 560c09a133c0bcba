"""The few linear-algebra ops MultivariateNormal needs, computed on the host with NumPy.

minitorch has no ``torch.linalg`` yet. These are private, differentiable ops over the last two
dims (batched over the leading ones): ``cholesky`` (LAPACK potrf through NumPy, as torch's CPU
kernel), ``solve_triangular`` (forward / back substitution) and ``cholesky_info`` (the
``cholesky_ex(...).info`` that the positive_definite constraint reads). Their backward passes
are written in Tensor ops, so they are differentiable twice.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from ..tensor import Tensor
from .._creation import tensor
from .._ops._common import broadcast_shapes


class LinAlgError(RuntimeError):
    """A factorisation failed (torch.linalg.LinAlgError is a RuntimeError too)."""


def _host(t: Tensor) -> np.ndarray:
    return t.detach().cpu().numpy()


def _first_bad_minor(a: np.ndarray) -> int:
    """The order (1-based) of the first leading minor of a that is not positive-definite; 0 if none."""
    for k in range(1, a.shape[-1] + 1):
        try:
            np.linalg.cholesky(a[:k, :k])
        except np.linalg.LinAlgError:
            return k
    return 0


def cholesky_info(a: Tensor) -> Tensor:
    """Per matrix of a (*, n, n): 0 where the Cholesky factorisation succeeds, else the order of
    the first leading minor that is not positive-definite (int32, as torch's cholesky_ex().info)."""
    host = _host(a)
    try:  # the usual case: every matrix factors, in one batched LAPACK call
        np.linalg.cholesky(host)
        info = np.zeros(host.shape[:-2], np.int32)
    except np.linalg.LinAlgError:
        flat = host.reshape((-1,) + host.shape[-2:])
        info = np.array([_first_bad_minor(m) for m in flat], np.int32).reshape(host.shape[:-2])
    return tensor(info, device=a.device)


class LinalgCholeskyExBackward0(Function):
    """L = cholesky(A), A (*, n, n) symmetric positive-definite (its lower triangle is read)."""

    @staticmethod
    def forward(ctx, a: Tensor):
        host = _host(a)
        try:
            out = np.linalg.cholesky(host)
        except np.linalg.LinAlgError:
            raise _not_positive_definite(host) from None
        out = np.tril(out).astype(host.dtype, copy=False)
        result = a._backend.from_numpy(np.ascontiguousarray(out))
        ctx.l_host = out
        return result

    @staticmethod
    def backward(ctx, grad):
        # dA = 1/2 (S + S^T), S = L^-T Phi(L^T dL) L^-1, Phi: the lower triangle with its diagonal halved
        lower = tensor(ctx.l_host, device=grad.device)
        phi = (lower.mT @ grad.tril()).tril()
        phi = phi - 0.5 * phi.diagonal(dim1=-2, dim2=-1).diag_embed()
        phi_l_inv = solve_triangular(lower.mT, phi.mT, upper=True).mT  # Phi L^-1
        s = solve_triangular(lower.mT, phi_l_inv, upper=True)
        return 0.5 * (s + s.mT)


def _not_positive_definite(host: np.ndarray) -> LinAlgError:
    flat = host.reshape((-1,) + host.shape[-2:])
    for i, m in enumerate(flat):
        order = _first_bad_minor(m)
        if order:
            batch = f"(Batch element {i}): " if host.ndim > 2 else ""
            return LinAlgError(f"linalg.cholesky: {batch}The factorization could not be completed because the "
                               f"input is not positive-definite (the leading minor of order {order} is not "
                               "positive-definite).")
    return LinAlgError("linalg.cholesky: The factorization could not be completed")


def cholesky(a: Tensor) -> Tensor:
    """The lower Cholesky factor L of a (*, n, n): a = L L^T."""
    if a.dim() < 2:
        raise RuntimeError("linalg.cholesky: The input tensor A must have at least 2 dimensions.")
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"linalg.cholesky: A must be batches of square matrices, but they are "
                           f"{a.shape[-2]} by {a.shape[-1]} matrices")
    return LinalgCholeskyExBackward0.apply(a)


def _substitute(a: np.ndarray, b: np.ndarray, upper: bool) -> np.ndarray:
    """X with a X = b, a (*, n, n) triangular, b (*, n, k), batch dims equal: O(n^2 k) per matrix."""
    n = a.shape[-1]
    x = np.zeros(b.shape, np.result_type(a, b))
    rows = range(n - 1, -1, -1) if upper else range(n)
    for i in rows:
        known = slice(i + 1, n) if upper else slice(0, i)
        acc = b[..., i, :] - np.einsum("...j,...jk->...k", a[..., i, known], x[..., known, :])
        x[..., i, :] = acc / a[..., i, i][..., None]
    return x


class LinalgSolveTriangularBackward0(Function):
    """X = A^-1 B for a triangular A (*, n, n) and B (*, n, k) of the same batch shape."""

    @staticmethod
    def forward(ctx, a: Tensor, b: Tensor, upper: bool):
        x = _substitute(_host(a), _host(b), upper)
        ctx.upper = upper
        out = a._backend.from_numpy(np.ascontiguousarray(x))
        ctx.save_for_backward(a)
        ctx.x_host = x
        return out

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        x = tensor(ctx.x_host, device=grad.device)
        grad_b = solve_triangular(a.mT, grad, upper=not ctx.upper)
        grad_a = -(grad_b @ x.mT)
        grad_a = grad_a.triu() if ctx.upper else grad_a.tril()
        return grad_a, grad_b, None


def solve_triangular(a: Tensor, b: Tensor, *, upper: bool) -> Tensor:
    """X with a X = b: a (*, n, n) lower (upper=False) or upper triangular, b (*, n, k); the batch
    dims broadcast. Only a's triangle is read, as torch.linalg.solve_triangular."""
    if a.shape[-1] != a.shape[-2] or b.dim() < 2 or b.shape[-2] != a.shape[-1]:
        raise RuntimeError(f"linalg.solve_triangular: Incompatible shapes of A and B for the equation AX = B "
                           f"({a.shape[-2]}x{a.shape[-1]} and {b.shape[-2]}x{b.shape[-1]})")
    batch = tuple(broadcast_shapes(tuple(a.shape[:-2]), tuple(b.shape[:-2])))
    a = a.expand(batch + tuple(a.shape[-2:]))
    b = b.expand(batch + tuple(b.shape[-2:]))
    a = a.triu() if upper else a.tril()
    return LinalgSolveTriangularBackward0.apply(a, b, upper)
