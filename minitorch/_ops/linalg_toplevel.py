"""PyTorch's top-level linear-algebra functions and their Tensor methods (``torch.det``,
``t.inverse()``, the older ``torch.svd`` / ``torch.qr`` / ``torch.cholesky``), each the
``minitorch.linalg`` function of the same meaning with the older signature and result."""
from __future__ import annotations

import math
import warnings

from .._declare import function, op
from ..tensor import Tensor
from . import linalg_api

slogdet_result = linalg_api.result_type("slogdet", ("sign", "logabsdet"))
qr_result = linalg_api.result_type("qr", ("Q", "R"))
svd_result = linalg_api.result_type("svd", ("U", "S", "V"))

_WARNED = {"qr": False, "cholesky": False, "frobenius_norm": False, "nuclear_norm": False}


def _warn_once(name: str, message: str) -> None:
    if not _WARNED[name]:  # PyTorch warns once per process (TORCH_WARN_ONCE)
        _WARNED[name] = True
        warnings.warn(message, UserWarning, stacklevel=3)


@op
def det(input: Tensor) -> Tensor:
    """det A for A (*, n, n) (linalg.det)."""
    return linalg_api.det(input)


@op
def slogdet(input: Tensor):
    """(sign, log |det A|) for A (*, n, n) (linalg.slogdet)."""
    return slogdet_result(*linalg_api.slogdet(input))


@op
def logdet(input: Tensor) -> Tensor:
    """log det A for A (*, n, n): NaN where det A < 0, -inf where it is 0."""
    sign, logabsdet = linalg_api.slogdet(input)
    return logabsdet.masked_fill(sign < 0, math.nan)


@op(out=True)
def inverse(input: Tensor) -> Tensor:
    """A^-1 for A (*, n, n) (linalg.inv)."""
    return linalg_api.inv(input)


@op(out=True)
def cholesky(input: Tensor, upper: bool = False) -> Tensor:
    """The Cholesky factor of A (*, n, n): lower L (L L^T = A), or U = L^T (deprecated in
    PyTorch in favour of linalg.cholesky, with its warning)."""
    _warn_once("cholesky", "torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed "
               "in a future PyTorch release.\nL = torch.cholesky(A)\nshould be replaced with\nL = "
               "torch.linalg.cholesky(A)\nand\nU = torch.cholesky(A, upper=True)\nshould be replaced with\nU = "
               "torch.linalg.cholesky(A).mH\nThis transform will produce equivalent results for all valid "
               "(symmetric positive definite) inputs.")
    return linalg_api.cholesky(input, upper=bool(upper))


@op
def qr(input: Tensor, some: bool = True):
    """(Q, R) of A (*, m, n): reduced when some, else complete (deprecated in PyTorch in favour
    of linalg.qr, with its warning)."""
    _warn_once("qr", "torch.qr is deprecated in favor of torch.linalg.qr and will be removed in a future "
               "PyTorch release.\nThe boolean parameter 'some' has been replaced with a string parameter "
               "'mode'.\nQ, R = torch.qr(A, some)\nshould be replaced with\nQ, R = torch.linalg.qr(A, "
               "'reduced' if some else 'complete')")
    return qr_result(*linalg_api.qr(input, "reduced" if some else "complete"))


@op
def svd(input: Tensor, some: bool = True, compute_uv: bool = True):
    """(U, S, V) with A = U diag(S) V^T for A (*, m, n): U (*, m, k), V (*, n, k) when some, else
    square; without compute_uv, S and zero-filled square U and V."""
    if not compute_uv:
        s = linalg_api.svdvals(input)
        m, n = input.shape[-2], input.shape[-1]
        return svd_result(input.new_zeros((*input.shape[:-2], m, m)), s,
                          input.new_zeros((*input.shape[:-2], n, n)))
    u, s, vh = linalg_api.svd(input, full_matrices=not some)
    return svd_result(u, s, vh.mT)


@op
def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    """The pseudo-inverse of A (*, m, n): singular values at most rcond * the largest count as 0."""
    return linalg_api.pinv(input, rtol=rcond)


@op
def ger(input: Tensor, vec2: Tensor) -> Tensor:
    """The outer product of two vectors (the older name of outer)."""
    return input.outer(vec2)


@function
def frobenius_norm(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    """sqrt(sum x^2) over dim (deprecated in PyTorch in favour of linalg.vector_norm, with its warning)."""
    _warn_once("frobenius_norm", "at::frobenius_norm is deprecated and it is just left for JIT compatibility. It "
               "will be removed in a future PyTorch release. Please use `linalg.vector_norm(A, 2., dim, keepdim)` "
               "instead")
    from .linalg_norms import vector_norm
    return vector_norm(input, 2.0, dim, keepdim)


@function
def nuclear_norm(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """The sum of the singular values over the two dims (the last two by default) (deprecated in
    PyTorch in favour of linalg.matrix_norm, with its warning)."""
    if isinstance(dim, bool):  # nuclear_norm(input, keepdim)
        dim, keepdim = None, dim
    _warn_once("nuclear_norm", "at::nuclear_norm is deprecated and it is just left for JIT compatibility. It will "
               "be removed in a future PyTorch release. Please use `linalg.matrix_norm(A, 'nuc', dim, keepdim)` "
               "instead")
    from .linalg_norms import matrix_norm
    return matrix_norm(input, "nuc", (-2, -1) if dim is None else dim, keepdim)
