"""Householder reflectors: ``geqrf`` (LAPACK's packed QR, on the backend), and the products
of its reflectors, ``linalg.householder_product`` / ``orgqr`` (Q) and ``ormqr`` (Q times a
matrix), composed from Tensor ops so their gradients come with them."""
from __future__ import annotations

from .._creation import eye
from .._declare import op
from ..tensor import Tensor
from . import linalg_api
from ._common import check_tensor
from .linalg_functions import _Factor, _Output, check_matrix, decompose

geqrf_result = linalg_api.result_type("geqrf", ("a", "tau"))


class _GeqrfFactor(_Factor):
    @staticmethod
    def factor(ctx, a):
        return a._backend.linalg_geqrf(a._data)

    @staticmethod
    def gradient(ctx, outs, grads):
        raise NotImplementedError("the derivative for 'geqrf' is not implemented.")


class GeqrfBackward0(_Output):
    pass


@op
def geqrf(input: Tensor) -> tuple:
    """(a, tau): LAPACK's geqrf of input (*, m, n), R on and above a's diagonal and the
    Householder vectors below it, with their scalars tau (*, min(m, n)); no gradient."""
    if input.dim() < 2:
        raise RuntimeError("torch.geqrf: input must have at least 2 dimensions.")
    check_matrix(input, "torch.geqrf", square=False, kernel="geqrf_cpu")
    return geqrf_result(*decompose(_GeqrfFactor, GeqrfBackward0, input))


def _reflectors_product(a: Tensor, tau: Tensor) -> Tensor:
    """H_1 H_2 ... H_k (*, m, m) with H_i = I - tau_i v_i v_i^T, v_i = (0, ..., 0, 1, a[i+1:, i])."""
    m, k = a.shape[-2], tau.shape[-1]
    vectors = a[..., :, :k].tril(-1) + eye(m, k, dtype=a.dtype, device=a.device)
    q = eye(m, dtype=a.dtype, device=a.device).expand(*a.shape[:-2], m, m)
    for i in range(k):
        v = vectors[..., :, i:i + 1]
        q = q - (q.matmul(v) * tau[..., i:i + 1].unsqueeze(-1)).matmul(v.mT)
    return q


def householder_product(A: Tensor, tau: Tensor) -> Tensor:
    """The first n columns of H_1 ... H_k for A (*, m, n) holding the reflectors' vectors below
    its diagonal (geqrf's a) and tau (*, k) their scalars."""
    check_tensor(A, "linalg_householder_product", "input")
    check_tensor(tau, "linalg_householder_product", "tau", 2)
    name = "torch.linalg.householder_product"
    if A.dim() < 2:
        raise RuntimeError(f"{name}: input must have at least 2 dimensions.")
    if A.shape[-2] < A.shape[-1]:
        raise RuntimeError(f"{name}: input.shape[-2] must be greater than or equal to input.shape[-1]")
    if A.shape[-1] < tau.shape[-1]:
        raise RuntimeError(f"{name}: input.shape[-1] must be greater than or equal to tau.shape[-1]")
    return _reflectors_product(A, tau)[..., :, :A.shape[-1]]


@op
def orgqr(input: Tensor, input2: Tensor) -> Tensor:
    """linalg.householder_product(input, input2)."""
    return householder_product(input, input2)


@op
def ormqr(input: Tensor, input2: Tensor, input3: Tensor, left: bool = True, transpose: bool = False) -> Tensor:
    """Q C, Q^T C, C Q or C Q^T for Q (*, m, m) the product of the reflectors in input (geqrf's a)
    and input2 (tau), and C = input3."""
    check_tensor(input2, "ormqr", "input2", 2)
    other = check_tensor(input3, "ormqr", "input3", 3)
    if (other.shape[-2] if left else other.shape[-1]) != input.shape[-2]:
        which = "other.shape[-2]" if left else "other.shape[-1]"
        raise RuntimeError(f"torch.ormqr: {which} must be equal to input.shape[-2]")
    rows = other.shape[-2] if left else other.shape[-1]
    if input2.shape[-1] != min(rows, input.shape[-1]):
        raise RuntimeError(f"torch.ormqr: tau.shape[-1] must be equal to min(other.shape[{-2 if left else -1}], "
                           "input.shape[-1])")
    q = _reflectors_product(input, input2)
    q = q.mT if transpose else q
    return q.matmul(other) if left else other.matmul(q)
