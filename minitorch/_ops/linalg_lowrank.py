"""Randomized low-rank decompositions: ``svd_lowrank`` and ``pca_lowrank`` (Halko, Martinsson
and Tropp 2009: a Gaussian sketch of A's range, refined by subspace iterations, then a small
SVD). The sketch is drawn with ``randn`` from the default generator, as PyTorch draws it, so
after the same ``manual_seed`` the results are PyTorch's; gradients come from the ops."""
from __future__ import annotations

from .. import dtypes
from .._declare import function
from ..random import randn
from ..tensor import Tensor
from ._common import check_tensor
from .linalg_decompositions import qr as _qr, svd as _svd


def _range_basis(a: Tensor, q: int, niter: int, m: Tensor | None) -> Tensor:
    """Q (*, rows, q) with orthonormal columns whose span approximates the range of a - m."""
    dtype = a.dtype if a.dtype.is_floating_point else dtypes.float32
    sketch = randn(a.shape[-1], q, dtype=dtype, device=a.device)

    def times(x: Tensor, transpose: bool = False) -> Tensor:  # (a - m) x or (a - m)^T x
        left = a.mT if transpose else a
        y = left.matmul(x)
        return y if m is None else y - (m.mT if transpose else m).matmul(x)

    basis = _qr(times(sketch), "reduced")[0]
    for _ in range(niter):  # subspace iterations: A^T then A, re-orthonormalised each time
        basis = _qr(times(basis, transpose=True), "reduced")[0]
        basis = _qr(times(basis), "reduced")[0]
    return basis


def _svd_lowrank(a: Tensor, q: int, niter: int, m: Tensor | None) -> tuple:
    rows, cols = a.shape[-2], a.shape[-1]
    if m is not None:
        m = m.expand(a.shape)
    wide = rows < cols
    if wide:  # work on the tall transpose
        a, m = a.mT, (None if m is None else m.mT)
    basis = _range_basis(a, q, niter, m)
    small = basis.mT.matmul(a)
    if m is not None:
        small = small - basis.mT.matmul(m)
    u, s, vh = _svd(small, False)
    u, v = basis.matmul(u), vh.mT
    return (v, s, u) if wide else (u, s, v)


@function
def svd_lowrank(A: Tensor, q: int | None = 6, niter: int | None = 2, M: Tensor | None = None) -> tuple:
    """(U, S, V) with A - M ~ U diag(S) V^T of rank q, by randomized subspace iteration: U (*, m, q),
    S (*, q), V (*, n, q)."""
    check_tensor(A, "svd_lowrank", "A")
    return _svd_lowrank(A, 6 if q is None else q, 2 if niter is None else niter, M)


@function
def pca_lowrank(A: Tensor, q: int | None = None, center: bool = True, niter: int = 2) -> tuple:
    """(U, S, V) of the (centred, unless center=False) data A (*, m samples, n features) by
    svd_lowrank: V's columns are the principal directions, S**2 / (m - 1) the variances; q
    defaults to min(6, m, n)."""
    check_tensor(A, "pca_lowrank", "A")
    rows, cols = A.shape[-2], A.shape[-1]
    if q is None:
        q = min(6, rows, cols)
    elif not 0 <= q <= min(rows, cols):
        raise ValueError(f"q(={q}) must be non-negative integer and not greater than min(m, n)={min(rows, cols)}")
    if not niter >= 0:
        raise ValueError(f"niter(={niter}) must be non-negative integer")
    if center:
        A = A - A.mean(dim=(-2,), keepdim=True)
    return _svd_lowrank(A, q, niter, None)
