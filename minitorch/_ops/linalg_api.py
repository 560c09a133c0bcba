"""The solves and decompositions of ``minitorch.linalg`` with PyTorch's signatures, checks and
result types (the namespace itself is minitorch/linalg.py)."""
from __future__ import annotations

import sys

from .. import dtypes
from ..autograd.function import Function
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from ._common import check_tensor
from .linalg_decompositions import eigh as _eigh, qr as _qr, slogdet as _slogdet, svd as _svd
from .linalg_functions import (LinAlgError, _recorded, check_matrix, cholesky_ex as _cholesky_ex,
                               det as _det, inv_ex as _inv_ex, raise_for_info, solve_matrix,
                               solve_triangular_left)

_SINGULAR = ("The diagonal element {info} is zero, the inversion could not be completed because the "
             "input matrix is singular.")
_NOT_PD = ("The factorization could not be completed because the input is not positive-definite (the "
           "leading minor of order {info} is not positive-definite).")


def result_type(name: str, fields: tuple) -> type:
    """A tuple class named and printed as ``torch.return_types.<name>`` with these fields."""
    def new(cls, *values):
        return tuple.__new__(cls, values)

    def rep(self):
        parts = ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self))
        return f"torch.return_types.{name}(\n{parts})"

    body = {"__slots__": (), "__new__": new, "__repr__": rep, "_fields": fields,
            "__getnewargs__": lambda self: tuple(self),  # (pickle: rebuilt from the values)
            "__doc__": f"torch.return_types.{name}: a tuple ({', '.join(fields)})."}
    for i, f in enumerate(fields):
        body[f] = property(lambda self, i=i: self[i])
    cls = type(name, (tuple,), body)
    # pickle finds the class as <calling module>._return_type_<name> (its own name may be an op's)
    caller = sys._getframe(1).f_globals
    cls.__module__, cls.__qualname__ = caller["__name__"], f"_return_type_{name}"
    caller[cls.__qualname__] = cls
    return cls


linalg_inv_ex = result_type("linalg_inv_ex", ("inverse", "info"))
linalg_cholesky_ex = result_type("linalg_cholesky_ex", ("L", "info"))
linalg_slogdet = result_type("linalg_slogdet", ("sign", "logabsdet"))
linalg_qr = result_type("linalg_qr", ("Q", "R"))
linalg_eigh = result_type("linalg_eigh", ("eigenvalues", "eigenvectors"))
linalg_svd = result_type("linalg_svd", ("U", "S", "Vh"))
linalg_lstsq = result_type("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))


def inv_ex(A: Tensor, *, check_errors: bool = False) -> tuple:
    """(A^-1, int32 info) for A (*, n, n); info k > 0: the k-th pivot of A's LU is zero."""
    check_matrix(A, "linalg.inv_ex")
    inverse, info = _inv_ex(A)
    if check_errors:
        raise_for_info(info, "linalg.inv_ex", _SINGULAR)
    return linalg_inv_ex(inverse, info)


def inv(A: Tensor) -> Tensor:
    """A^-1 for A (*, n, n); LinAlgError when a matrix is singular."""
    check_matrix(A, "linalg.inv")
    inverse, info = _inv_ex(A)
    raise_for_info(info, "linalg.inv", _SINGULAR)
    return inverse


def det(A: Tensor) -> Tensor:
    """det A for A (*, n, n) -> (*)."""
    return _det(check_matrix(A, "linalg.det", kernel="lu_cpu"))


def slogdet(A: Tensor) -> tuple:
    """(sign, log |det A|) for A (*, n, n) (sign 0 and logabsdet -inf where det A = 0)."""
    return linalg_slogdet(*_slogdet(check_matrix(A, "linalg.slogdet")))


def _same_dtype(A: Tensor, B: Tensor, fn: str) -> None:
    if A.dtype is not B.dtype:
        raise RuntimeError(f"{fn}: Expected A and B to have the same dtype, but found A of type "
                           f"{A.dtype.legacy_name} and B of type {B.dtype.legacy_name} instead")


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """X with A X = B (left) or X A = B: A (*, n, n), B (*, n, k) or (*, n) (a batch of vectors),
    batch dims broadcast; LinAlgError when A is singular."""
    check_matrix(A, "linalg.solve", kernel="lu_cpu")
    check_tensor(B, "linalg_solve", "B", 2)
    _same_dtype(A, B, "linalg.solve")
    vector = B.dim() == 1 or (B.dim() == A.dim() - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    rhs = B.unsqueeze(-1) if vector else B
    if not left:  # X A = B as A^T X^T = B^T (a vector B is a column here too: PyTorch refuses it)
        rhs, A = rhs.mT, A.mT
    n = A.shape[-1]
    if rhs.dim() < 2 or rhs.shape[-2] != n or (vector and not left):
        shape = (B.shape[-1], 1) if vector else tuple(B.shape[-2:])
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {shape[0]}x{shape[1]})")
    x = solve_matrix(A, rhs)
    if not left:
        x = x.mT
    return x.squeeze(-1) if vector else x


def solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True, unitriangular: bool = False) -> Tensor:
    """X with A X = B (left) or X A = B for A (*, n, n) upper (lower) triangular, only that
    triangle read (and its diagonal taken as ones when unitriangular); B (*, n, k) / (*, k, n)."""
    check_tensor(A, "linalg_solve_triangular", "A")
    if A.dim() >= 2 and not A.dtype.is_floating_point:
        raise NotImplementedError(f"\"triangular_solve_cpu\" not implemented for '{A.dtype.legacy_name}'")
    check_matrix(A, "linalg.solve_triangular", kernel="triangular_solve_cpu")
    check_tensor(B, "linalg_solve_triangular", "B", 2)
    if B.dim() < 2:
        raise RuntimeError("linalg.solve_triangular: The input tensor B must have at least 2 dimensions.")
    B = B.to(A.dtype)  # (PyTorch computes in A's dtype)
    n = A.shape[-1]
    if (B.shape[-2] if left else B.shape[-1]) != n:
        raise RuntimeError(f"linalg.solve_triangular: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {B.shape[-2]}x{B.shape[-1]})")
    if left:
        return solve_triangular_left(A, B, bool(upper), bool(unitriangular))
    return solve_triangular_left(A.mT, B.mT, not upper, bool(unitriangular)).mT


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False) -> tuple:
    """(L, int32 info): L L^T = A (lower; U^T U with upper=True), info k > 0 where the leading
    minor of order k is not positive-definite."""
    check_matrix(A, "linalg.cholesky_ex", kernel="cholesky_cpu")
    lower, info = _cholesky_ex(A)
    if check_errors:
        raise_for_info(info, "linalg.cholesky_ex", _NOT_PD)
    return linalg_cholesky_ex(lower.mT if upper else lower, info)


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """The Cholesky factor L (L L^T = A, lower triangle of A read) of A (*, n, n), or U = L^T
    with upper=True; LinAlgError when A is not positive-definite."""
    check_matrix(A, "linalg.cholesky", kernel="cholesky_cpu")
    lower, info = _cholesky_ex(A)
    raise_for_info(info, "linalg.cholesky", _NOT_PD)
    return lower.mT if upper else lower


def qr(A: Tensor, mode: str = "reduced") -> tuple:
    """(Q, R) with A = Q R for A (*, m, n): mode "reduced" (Q (*, m, k), R (*, k, n), k = min(m, n)),
    "complete" (Q (*, m, m)) or "r" (R only, Q empty)."""
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
                           "'r', or 'complete'")
    check_matrix(A, "linalg.qr", square=False, kernel="geqrf_cpu")
    return linalg_qr(*_qr(A, mode))


def _uplo(UPLO) -> bool:
    if UPLO not in ("L", "U", "l", "u"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return UPLO in ("U", "u")


def eigh(A: Tensor, UPLO: str = "L") -> tuple:
    """(eigenvalues ascending (*, n), eigenvectors as columns (*, n, n)) of the symmetric A
    (*, n, n), read from its lower (UPLO="L") or upper triangle."""
    upper = _uplo(UPLO)
    check_matrix(A, "linalg.eigh", kernel="linalg_eigh_cpu")
    return linalg_eigh(*_eigh(A, upper))


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:
    """The eigenvalues (ascending) of the symmetric A (*, n, n)."""
    upper = _uplo(UPLO)
    check_matrix(A, "linalg.eigh", kernel="linalg_eigh_cpu")
    return _eigh(A, upper, _recorded(A))[0]


def svd(A: Tensor, full_matrices: bool = True, *, driver=None) -> tuple:
    """(U, S descending, Vh) with A = U diag(S) Vh for A (*, m, n); full_matrices: U (*, m, m)
    and Vh (*, n, n), else (*, m, k) and (*, k, n), k = min(m, n)."""
    check_matrix(A, "linalg.svd", square=False, kernel="linalg_svd_cpu")
    return linalg_svd(*_svd(A, bool(full_matrices)))


def svdvals(A: Tensor, *, driver=None) -> Tensor:
    """The singular values (descending) of A (*, m, n) -> (*, min(m, n))."""
    check_matrix(A, "linalg.svd", square=False, kernel="linalg_svd_cpu")
    return _svd(A, False, _recorded(A))[1]


# ----- composed from the decompositions -------------------------------------------------------
def _eps(t: Tensor) -> float:
    return 2.220446049250313e-16 if t.dtype is dtypes.float64 else 1.1920928955078125e-07


def _tolerance(s_max: Tensor, shape, atol, rtol):
    """PyTorch's cut-off max(atol, rtol * s_max): rtol defaults to eps * max(m, n) when atol is
    not given (or is 0), else to 0."""
    if isinstance(atol, Tensor) or isinstance(rtol, Tensor):
        atol = 0.0 if atol is None else atol
    eps = _eps(s_max)
    if rtol is None:
        rtol = eps * max(shape[-2], shape[-1]) if atol is None or (not isinstance(atol, Tensor) and atol <= 0) else 0.0
    atol = 0.0 if atol is None else atol
    tol = s_max * rtol
    return tol.clamp(min=atol) if not isinstance(atol, Tensor) else tol.maximum(atol.to(tol.dtype))


class LinalgPinvBackward0(Function):
    """P = A^+: gA = -P^T G P^T + (I - A P) G^T P P^T + P^T P G^T (I - P A) (constant rank)."""

    saves_output = True

    @staticmethod
    def forward(ctx, a, atol, rtol, hermitian):
        ctx.save_for_backward(a)
        with no_grad():
            if hermitian:
                w, v = _eigh(a, False)
                tol = _tolerance(w.abs().amax(-1, keepdim=True), a.shape, atol, rtol)
                inv_w = (1 / w).masked_fill(w.abs() <= tol, 0)
                return (v * inv_w.unsqueeze(-2)).matmul(v.mT)._data
            u, s, vh = _svd(a, False)
            if s.shape[-1] == 0:
                return a.new_zeros((*a.shape[:-2], a.shape[-1], a.shape[-2]))._data
            tol = _tolerance(s[..., :1], a.shape, atol, rtol)
            inv_s = (1 / s).masked_fill(s <= tol, 0)
            return vh.mT.matmul(inv_s.unsqueeze(-1) * u.mT)._data

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        p = ctx.saved_output
        pt, gt = p.mT, grad.mT
        pp_t, p_tp = p.matmul(pt), pt.matmul(p)
        term2 = gt.matmul(pp_t)
        term3 = p_tp.matmul(gt)
        ga = -pt.matmul(grad).matmul(pt) + (term2 - a.matmul(p.matmul(term2))) + (term3 - term3.matmul(p).matmul(a))
        return ga, None, None, None


def pinv(A: Tensor, *, atol=None, rtol=None, hermitian: bool = False) -> Tensor:
    """The Moore-Penrose pseudo-inverse of A (*, m, n) -> (*, n, m): singular values at most
    max(atol, rtol * the largest) count as zero."""
    check_tensor(A, "linalg_pinv", "input")
    if A.dim() < 2 or A.dtype not in (dtypes.float32, dtypes.float64):
        raise RuntimeError(f"linalg.pinv({A.dtype.legacy_name}{{{list(A.shape)}}}): expected a tensor with 2 or more "
                           "dimensions of float, double, cfloat or cdouble types")
    if hermitian:
        check_matrix(A, "linalg.eigh")
    return LinalgPinvBackward0.apply(A, atol, rtol, bool(hermitian))


def matrix_rank(A: Tensor, *, atol=None, rtol=None, hermitian: bool = False) -> Tensor:
    """The number of singular values of A (*, m, n) above max(atol, rtol * the largest) (int64)."""
    check_tensor(A, "linalg_matrix_rank", "input")
    if not A.dtype.is_floating_point:
        raise RuntimeError("This function doesn't handle types other than float and double")
    if A.dim() < 2:
        raise RuntimeError("torch.linalg.matrix_rank: The input tensor input must have at least 2 dimensions.")
    check_matrix(A, "linalg.eigh" if hermitian else "linalg.svd", square=bool(hermitian))
    with no_grad():
        s = _eigh(A, False, False)[0].abs() if hermitian else _svd(A, False, False)[1]
        if s.shape[-1] == 0:
            return s.sum(-1).long()
        tol = _tolerance(s.amax(-1, keepdim=True), A.shape, atol, rtol)
        return (s > tol).sum(-1)


_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def lstsq(A: Tensor, B: Tensor, rcond=None, *, driver=None) -> tuple:
    """The least-squares solution X minimising ||A X - B|| (the one of least norm when A is rank
    deficient) for A (*, m, n), B (*, m, k) or (*, m): (solution, residuals, rank,
    singular_values), the last three filled as PyTorch's driver fills them (default "gelsy")."""
    check_tensor(A, "linalg_lstsq", "self")
    check_tensor(B, "linalg_lstsq", "b", 2)
    if A.dtype is not B.dtype:
        raise RuntimeError(f"torch.linalg.lstsq: Expected input and other to have the same dtype, but got input's "
                           f"dtype {A.dtype.legacy_name} and other's dtype {B.dtype.legacy_name}")
    if A.dtype not in (dtypes.float32, dtypes.float64):
        raise RuntimeError("This function doesn't handle types other than float and double")
    if A.dim() < 2:
        raise RuntimeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
    driver = "gelsy" if driver is None else driver
    if driver not in _DRIVERS:
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")
    vector = B.dim() == A.dim() - 1
    rhs = B.unsqueeze(-1) if vector else B
    if rhs.shape[-2] != A.shape[-2]:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    m, n = A.shape[-2], A.shape[-1]
    rtol = _eps(A) * max(m, n) if rcond is None or rcond < 0 else rcond
    solution = pinv(A, rtol=rtol).matmul(rhs)
    with no_grad():
        s = _svd(A, False, False)[1]
        rank = (s > rtol * s[..., :1]).sum(-1) if s.shape[-1] else s.sum(-1).long()
        empty = A.new_zeros(0)
        residuals = empty
        if driver != "gelsy" and m > n and bool((rank == n).all()):
            residuals = (A.matmul(solution) - rhs).pow(2).sum(-2)
            residuals = residuals.squeeze(-1) if vector else residuals
        if driver == "gels":
            rank = rank.new_zeros(0)
    singular = s if driver in ("gelsd", "gelss") else A.new_zeros(0)
    return linalg_lstsq(solution.squeeze(-1) if vector else solution, residuals, rank, singular)


__all__ = ["LinAlgError", "inv", "inv_ex", "det", "slogdet", "solve", "solve_triangular", "cholesky",
           "cholesky_ex", "qr", "eigh", "eigvalsh", "svd", "svdvals", "pinv", "matrix_rank", "lstsq"]
