"""The rest of ``minitorch.linalg`` composed from the solves and norms (matmul, diagonal,
solve_ex, cond, vander, tensorinv, tensorsolve), and the older top-level solves
(``cholesky_solve``, ``cholesky_inverse``, ``triangular_solve``) with their Tensor methods."""
from __future__ import annotations

import math
import warnings

from .._creation import eye
from .._declare import op
from ..autograd.function import Function
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from . import linalg_api
from ._common import broadcast_shapes, check_tensor
from .joins import cat
from .linalg_functions import LinAlgError, _wrap, check_matrix
from .linalg_norms import matrix_norm
from .matmul import matmul as _matmul

linalg_solve_ex = linalg_api.result_type("linalg_solve_ex", ("result", "info"))
triangular_solve_result = linalg_api.result_type("triangular_solve", ("solution", "cloned_coefficient"))


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """The matrix product (minitorch.matmul)."""
    return _matmul(input, other)


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """The diagonal of each matrix of A over dim1 and dim2 (a view; minitorch.diagonal with
    other defaults)."""
    return A.diagonal(offset, dim1, dim2)


def solve_ex(A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False) -> tuple:
    """(X, int32 info) for the system of linalg.solve; info k > 0 where A's k-th pivot is zero
    (X is then unspecified: NaN here), instead of raising unless check_errors."""
    try:
        result = linalg_api.solve(A, B, left=left)
    except LinAlgError as error:
        if check_errors:
            raise LinAlgError(str(error).replace("torch.linalg.solve:", "torch.linalg.solve_ex:", 1)) from None
        info = _wrap(A, A._backend.linalg_lu_factor(A._data)[2])
        shaped = linalg_api.solve(A.new_ones(A.shape[-1]).diag_embed().expand(A.shape), B, left=left)
        return linalg_solve_ex(shaped.detach().fill_(math.nan), info)
    return linalg_solve_ex(result, A.new_zeros(A.shape[:-2]).int())


_COND_NORMS = ("fro", "nuc", math.inf, -math.inf, 1, -1)


def cond(A: Tensor, p=None) -> Tensor:
    """The condition number of A (*, m, n) in the p-norm: for p None, 2 or -2 the ratio of the
    largest and smallest singular values (smallest / largest for -2); for "fro", "nuc",
    +-inf, +-1 (square A) norm(A) norm(A^-1), inf where A is singular."""
    check_tensor(A, "linalg_cond", "input")
    if A.dim() < 2:
        raise RuntimeError("linalg.cond: The input tensor must have at least 2 dimensions.")
    if p is None or (p in (2, -2) and not isinstance(p, bool)):
        s = linalg_api.svdvals(A)
        first, last = s[..., 0], s[..., -1]
        return first / last if p != -2 else last / first
    if p not in _COND_NORMS or isinstance(p, bool):
        raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.cond(ord={p}): A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    check_matrix(A, "linalg.inv")
    inverse, info = linalg_api.inv_ex(A)
    value = matrix_norm(A, p) * matrix_norm(inverse, p)
    return value.masked_fill(info > 0, math.inf)


def vander(x: Tensor, N: int | None = None) -> Tensor:
    """The Vandermonde matrix of x (*, n): (*, n, N) with columns x^0, x^1, ..., x^(N-1)."""
    check_tensor(x, "linalg_vander", "x")
    if N is None:
        N = x.shape[-1] if x.dim() else 1
    if N <= 1:
        raise RuntimeError("N must be greater than 1.")
    column = x.unsqueeze(-1)
    powers = cat([column.new_ones(column.shape), column.expand(*x.shape, N - 1)], -1)
    return powers.cumprod(-1)


def _prod(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def tensorinv(A: Tensor, ind: int = 2) -> Tensor:
    """The inverse of A seen as a matrix of shape (prod(A.shape[:ind]), prod(A.shape[ind:])), as
    a tensor of shape A.shape[ind:] + A.shape[:ind]."""
    check_tensor(A, "linalg_tensorinv", "input")
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    rows, cols = _prod(A.shape[:ind]), _prod(A.shape[ind:])
    if rows != cols:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {cols} != {rows}")
    return linalg_api.inv(A.reshape(rows, cols)).reshape(*A.shape[ind:], *A.shape[:ind])


def tensorsolve(A: Tensor, B: Tensor, dims=None) -> Tensor:
    """X with tensordot(A, X, X.dim()) = B: A's leading dims are B's, the rest X's (dims: A's
    dims moved to the end first)."""
    check_tensor(A, "linalg_tensorsolve", "input")
    check_tensor(B, "linalg_tensorsolve", "other", 2)
    if dims is not None:
        dims = [dims] if isinstance(dims, int) else list(dims)
        A = A.movedim(dims, list(range(A.dim() - len(dims), A.dim())))
    rest = tuple(A.shape[B.dim():])
    if _prod(rest) != B.numel():
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == "
                           f"prod(self.shape[:other.ndim]), but got {_prod(rest)} != {B.numel()}")
    return linalg_api.solve(A.reshape(B.numel(), _prod(rest)), B.reshape(-1)).reshape(rest)


# ----- the older top-level solves ---------------------------------------------------------------
def _cholesky_solve_values(b: Tensor, factor: Tensor, upper: bool) -> Tensor:
    """(L L^T)^-1 b from the factor's triangle (no graph)."""
    lower = factor.mT if upper else factor
    with no_grad():
        y = linalg_api.solve_triangular(lower, b, upper=False)
        return linalg_api.solve_triangular(lower.mT, y, upper=True)


class CholeskySolveBackward0(Function):
    """X = (L L^T)^-1 B: gB = (L L^T)^-1 g, gL = -(gB X^T + X gB^T) L (U (...) for U^T U), the
    gradient of the product L L^T of the whole factor, as PyTorch's."""

    saves_output = True
    tensor_inputs = 2

    @staticmethod
    def forward(ctx, b, factor, upper):
        ctx.save_for_backward(factor)
        ctx.upper = upper
        return _cholesky_solve_values(b, factor, upper)._data

    @staticmethod
    def backward(ctx, grad):
        (factor,) = ctx.saved_tensors
        grad_b = cholesky_solve(grad, factor, ctx.upper)
        common = grad_b.matmul(ctx.saved_output.mT)
        common = common + common.mT
        grad_factor = -factor.matmul(common) if ctx.upper else -common.matmul(factor)
        return grad_b, grad_factor, None


@op
def cholesky_solve(input: Tensor, input2: Tensor, upper: bool = False) -> Tensor:
    """X with A X = B for A = L L^T (U^T U when upper) given B (*, n, k) and its Cholesky factor
    input2 (*, n, n)."""
    b, factor = input, check_tensor(input2, "cholesky_solve", "input2", 2)
    if b.dim() < 2 or factor.dim() < 2:
        raise RuntimeError(f"b should have at least 2 dimensions, but has {b.dim()} dimensions instead"
                           if b.dim() < 2 else
                           f"u should have at least 2 dimensions, but has {factor.dim()} dimensions instead")
    if factor.shape[-1] != factor.shape[-2] or factor.shape[-1] != b.shape[-2]:
        raise RuntimeError(f"Incompatible matrix sizes for cholesky_solve: each A matrix is {factor.shape[-2]} by "
                           f"{factor.shape[-1]} but each b matrix is {b.shape[-2]} by {b.shape[-1]}")
    batch = tuple(broadcast_shapes(tuple(b.shape[:-2]), tuple(factor.shape[:-2])))
    return CholeskySolveBackward0.apply(b.expand(*batch, *b.shape[-2:]), factor.expand(*batch, *factor.shape[-2:]),
                                        bool(upper))


class CholeskyInverseBackward0(Function):
    """Y = (L L^T)^-1: gL = -Y (g + g^T) Y L (U^T U: -U Y (g + g^T) Y)."""

    saves_output = True
    tensor_inputs = 1

    @staticmethod
    def forward(ctx, factor, upper):
        ctx.save_for_backward(factor)
        ctx.upper = upper
        identity = eye(factor.shape[-1], dtype=factor.dtype, device=factor.device).expand(factor.shape)
        return _cholesky_solve_values(identity, factor, upper)._data

    @staticmethod
    def backward(ctx, grad):
        (factor,) = ctx.saved_tensors
        y = ctx.saved_output
        common = -y.matmul(grad + grad.mT).matmul(y)
        return (factor.matmul(common) if ctx.upper else common.matmul(factor)), None


@op
def cholesky_inverse(input: Tensor, upper: bool = False) -> Tensor:
    """(L L^T)^-1 (or (U^T U)^-1) from the Cholesky factor input (*, n, n)."""
    check_matrix(input, "cholesky_inverse", arg="input")
    return CholeskyInverseBackward0.apply(input, bool(upper))


_TRIANGULAR_WARNED = [False]


@op
def triangular_solve(input: Tensor, A: Tensor, upper: bool = True, transpose: bool = False,
                     unitriangular: bool = False) -> tuple:
    """(X, A.clone()) with A X = b (A^T X = b when transpose) for A (*, n, n) triangular and b =
    input (*, n, k) (deprecated in PyTorch in favour of linalg.solve_triangular, with its warning)."""
    if not _TRIANGULAR_WARNED[0]:
        _TRIANGULAR_WARNED[0] = True
        warnings.warn("torch.triangular_solve is deprecated in favor of torch.linalg.solve_triangularand will be "
                      "removed in a future PyTorch release.\ntorch.linalg.solve_triangular has its arguments "
                      "reversed and does not return a copy of one of the inputs.\nX = torch.triangular_solve(B, "
                      "A).solution\nshould be replaced with\nX = torch.linalg.solve_triangular(A, B).",
                      UserWarning, stacklevel=2)
    check_tensor(A, "triangular_solve", "A", 2)
    coefficient = A.mT if transpose else A
    solution = linalg_api.solve_triangular(coefficient, input, upper=bool(upper) != bool(transpose),
                                           unitriangular=bool(unitriangular))
    return triangular_solve_result(solution, A.clone())
