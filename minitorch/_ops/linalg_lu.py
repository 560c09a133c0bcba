"""The LU factorization: ``linalg.lu_factor`` / ``lu_factor_ex`` / ``lu`` / ``lu_solve`` and the
older top-level ``lu``, ``lu_unpack``, ``lu_solve``. The factorization runs on the backend
(getrf's packed LU and 1-based pivots); its backward is PyTorch's (A = P L U: the square or
wide case through L^-T, the tall one through U^-T), unpacking and solving are Tensor ops."""
from __future__ import annotations

import warnings

from .. import dtypes
from .._creation import eye
from .._declare import function, op
from ..autograd.function import Function
from ..tensor import Tensor
from . import linalg_api
from ._common import check_tensor
from .joins import cat
from .linalg_functions import _recorded, _wrap, raise_for_info, solve_triangular_left

linalg_lu_factor = linalg_api.result_type("linalg_lu_factor", ("LU", "pivots"))
linalg_lu_factor_ex = linalg_api.result_type("linalg_lu_factor_ex", ("LU", "pivots", "info"))
linalg_lu = linalg_api.result_type("linalg_lu", ("P", "L", "U"))
lu_unpack_result = linalg_api.result_type("lu_unpack", ("P", "L", "U"))

_ZERO_PIVOT = ("U[{info},{info}] is zero and using it on lu_solve would result in a division by zero. If you "
               "still want to perform the factorization, consider calling linalg.lu(A, pivot) or "
               "linalg.lu_factor_ex(A, pivot)")


def _unpack(lu: Tensor, pivots: Tensor) -> tuple:
    """(P, L, U) of a packed LU (..., m, n): P (m, m) with A = P L U, L (m, k) unit lower, U (k, n)."""
    m, n = lu.shape[-2], lu.shape[-1]
    k = min(m, n)
    perm = _wrap(pivots, pivots._backend.linalg_lu_permutation(pivots._data, m))
    p = eye(m, dtype=lu.dtype, device=lu.device)[perm].mT
    lower = lu[..., :, :k].tril(-1) + eye(m, k, dtype=lu.dtype, device=lu.device)
    upper = lu[..., :k, :].triu()
    return p, lower, upper


def _lu_backward(gl: Tensor, gu: Tensor, p: Tensor, lower: Tensor, upper: Tensor) -> Tensor:
    """gA for A = P L U from gL (strictly lower part) and gU (upper part), PyTorch's formulas."""
    m, n = lower.shape[-2], upper.shape[-1]
    k = min(m, n)
    if m <= n:  # square or wide: P L^-T [tril(L^T gL - gU U^T, -1) U1^-T + gU1 | gU2]
        g = lower.mT.matmul(gl) - gu.matmul(upper.mT)
        g = solve_triangular_left(upper[..., :, :k], g.tril(-1).mT, True).mT
        g = cat([g + gu[..., :, :k], gu[..., :, k:]], -1) if n > k else g + gu
        g = solve_triangular_left(lower.mT, g, True, True)
    else:  # tall: P [L1^-T triu(gU U^T - L^T gL) + gL1 ; gL2] U^-T
        g = gu.matmul(upper.mT) - lower.mT.matmul(gl)
        g = solve_triangular_left(lower[..., :k, :].mT, g.triu(), True, True)
        g = cat([g + gl[..., :k, :], gl[..., k:, :]], -2)
        g = solve_triangular_left(upper, g.mT, True).mT
    return p.matmul(g)


class LinalgLuFactorExBackward0(Function):
    """The packed LU of A (*, m, n); pivots and info ride along on the node."""

    saves_output = True
    tensor_inputs = 1

    @staticmethod
    def forward(ctx, a):
        lu, pivots, info = a._backend.linalg_lu_factor(a._data)
        ctx.pivots, ctx.info = _wrap(a, pivots), _wrap(a, info)
        return lu

    @staticmethod
    def backward(ctx, grad):
        p, lower, upper = _unpack(ctx.saved_output, ctx.pivots)
        k = min(grad.shape[-2], grad.shape[-1])
        return _lu_backward(grad[..., :, :k].tril(-1), grad[..., :k, :].triu(), p, lower, upper)


def _check(A, fn: str, pivot: bool) -> Tensor:
    check_tensor(A, fn.replace(".", "_"), "A")
    if A.dim() < 2:
        raise RuntimeError(f"torch.lu_factor: Expected tensor with 2 or more dimensions. Got size: {list(A.shape)} "
                           "instead")
    if A.dtype not in (dtypes.float32, dtypes.float64):
        raise NotImplementedError(f"\"lu_cpu\" not implemented for '{A.dtype.legacy_name}'")
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    return A


def _factor(A: Tensor) -> tuple:
    if not _recorded(A):
        lu, pivots, info = A._backend.linalg_lu_factor(A._data)
        return _wrap(A, lu), _wrap(A, pivots), _wrap(A, info)
    lu = LinalgLuFactorExBackward0.apply(A)
    return lu, lu.grad_fn.pivots, lu.grad_fn.info


def lu_factor_ex(A: Tensor, *, pivot: bool = True, check_errors: bool = False) -> tuple:
    """(LU, int32 pivots, int32 info): the LU factorization with partial pivoting of A (*, m, n),
    packed as LAPACK's getrf; info k > 0 where U[k, k] is zero."""
    lu, pivots, info = _factor(_check(A, "linalg.lu_factor_ex", pivot))
    if check_errors:
        raise_for_info(info, "torch.linalg.lu_factor_ex", _ZERO_PIVOT, RuntimeError)
    return linalg_lu_factor_ex(lu, pivots, info)


def lu_factor(A: Tensor, *, pivot: bool = True) -> tuple:
    """(LU, int32 pivots) of A (*, m, n) (see lu_factor_ex); a RuntimeError (as PyTorch's, not a
    LinAlgError) where U has a zero pivot."""
    lu, pivots, info = _factor(_check(A, "linalg.lu_factor", pivot))
    raise_for_info(info, "torch.linalg.lu_factor", _ZERO_PIVOT, RuntimeError)
    return linalg_lu_factor(lu, pivots)


def lu(A: Tensor, *, pivot: bool = True) -> tuple:
    """(P, L, U) with A = P L U for A (*, m, n): P a permutation, L (*, m, k) unit lower
    triangular, U (*, k, n) upper triangular, k = min(m, n)."""
    lu_data, pivots, _ = _factor(_check(A, "linalg.lu", pivot))
    return linalg_lu(*_unpack(lu_data, pivots))


def lu_solve(LU: Tensor, pivots: Tensor, B: Tensor, *, left: bool = True, adjoint: bool = False) -> Tensor:
    """X with A X = B (A^T X = B when adjoint; X A = B when not left) from A's lu_factor."""
    check_tensor(LU, "linalg_lu_solve", "LU")
    check_tensor(B, "linalg_lu_solve", "B", 3)
    n = LU.shape[-1]
    if LU.dim() < 2 or LU.shape[-2] != n:
        raise RuntimeError(f"linalg.lu_solve: A must be batches of square matrices, but they are "
                           f"{LU.shape[-2] if LU.dim() > 1 else 1} by {n} matrices")
    if B.dim() < 2 or (B.shape[-2] if left else B.shape[-1]) != n:
        shape = f"{B.shape[-2]}x{B.shape[-1]}" if B.dim() >= 2 else f"{B.shape[-1]}x1"
        raise RuntimeError(f"linalg.lu_solve: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {shape})")
    p, lower, upper = _unpack(LU, pivots)
    rhs = B if left else B.mT
    if left != adjoint:  # A X = B (or A X^T = B^T): X = U^-1 L^-1 P^T B
        x = solve_triangular_left(upper, solve_triangular_left(lower, p.mT.matmul(rhs), False, True), True)
    else:  # A^T X = B: X = P L^-T U^-T B
        x = p.matmul(solve_triangular_left(lower.mT, solve_triangular_left(upper.mT, rhs, False), True, True))
    return x if left else x.mT


# ----- the older top-level forms ------------------------------------------------------------------
_WARNED = {"lu": False, "lu_solve": False}


def _warn_once(name: str, message: str) -> None:
    if not _WARNED[name]:
        _WARNED[name] = True
        warnings.warn(message, UserWarning, stacklevel=3)


@function
def lu_unpack(LU_data: Tensor, LU_pivots: Tensor, unpack_data: bool = True, unpack_pivots: bool = True) -> tuple:
    """(P, L, U) from a packed LU and its pivots (linalg.lu_factor's); an unrequested part is empty."""
    p, lower, upper = _unpack(LU_data, check_tensor(LU_pivots, "lu_unpack", "LU_pivots", 2))
    empty = LU_data.new_zeros(0)
    return lu_unpack_result(p if unpack_pivots else empty, lower if unpack_data else empty,
                            upper if unpack_data else empty)


@op(name="lu")
def _lu_legacy(A: Tensor, pivot: bool = True, get_infos: bool = False) -> tuple:
    """(LU, pivots) or (LU, pivots, infos) of A (*, m, n) (deprecated in PyTorch in favour of
    linalg.lu_factor / lu_factor_ex, with its warning)."""
    _warn_once("lu", "torch.lu is deprecated in favor of torch.linalg.lu_factor / torch.linalg.lu_factor_ex and "
               "will be removed in a future PyTorch release.\nLU, pivots = torch.lu(A, compute_pivots)\nshould be "
               "replaced with\nLU, pivots = torch.linalg.lu_factor(A, compute_pivots)\nand\nLU, pivots, info = "
               "torch.lu(A, compute_pivots, get_infos=True)\nshould be replaced with\nLU, pivots, info = "
               "torch.linalg.lu_factor_ex(A, compute_pivots)")
    if get_infos:
        return tuple(lu_factor_ex(A, pivot=pivot))
    return tuple(lu_factor(A, pivot=pivot))


@op(name="lu_solve")
def _lu_solve_legacy(input: Tensor, LU_data: Tensor, LU_pivots: Tensor) -> Tensor:
    """X with A X = b from A's LU factorization (deprecated in PyTorch in favour of
    linalg.lu_solve, whose arguments are reversed, with its warning)."""
    _warn_once("lu_solve", "torch.lu_solve is deprecated in favor of torch.linalg.lu_solveand will be removed in a "
               "future PyTorch release.\nNote that torch.linalg.lu_solve has its arguments reversed.\nX = "
               "torch.lu_solve(B, LU, pivots)\nshould be replaced with\nX = torch.linalg.lu_solve(LU, pivots, B)")
    return lu_solve(LU_data, LU_pivots, input)
