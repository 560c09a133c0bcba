"""The differentiable factorizations and solves of ``minitorch.linalg``: each forward runs on
the backend's linear-algebra extras (defaults_linalg.py), each backward is PyTorch's formula
written in Tensor ops (so it can itself be differentiated).

A decomposition with several outputs (qr, eigh, svd, slogdet) is one node computing all of
them, packed in one flat array, and one small node per output that copies its part out (named
as PyTorch names the decomposition's node: ``Q.grad_fn`` is a ``LinalgQrBackward0``). The
formula skips the outputs whose gradient is all zeros (those unused, PyTorch's undefined
gradients): a skipped term could divide zero by zero (eigenvectors of repeated eigenvalues).
"""
from __future__ import annotations

from .. import dtypes
from .._creation import eye, zeros
from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from ..tensor import Tensor
from ._common import broadcast_shapes, check_tensor
from .joins import cat


class LinAlgError(RuntimeError):
    """A matrix that the factorization cannot handle (singular, not positive-definite):
    PyTorch's ``torch.linalg.LinAlgError`` (``torch._C._LinAlgError``), a RuntimeError."""


LinAlgError.__module__ = "minitorch.linalg"


# ----- checks ------------------------------------------------------------------------------
def check_matrix(a, fn: str, square: bool = True, arg: str = "A", kernel: str | None = None,
                 low: bool = False) -> Tensor:
    """a as a batch of (square) float32/float64 matrices, or PyTorch's error naming fn; for
    float16/bfloat16 the NotImplementedError of PyTorch's CPU kernel when kernel names it, else
    its "Low precision" RuntimeError (low: those dtypes are accepted)."""
    check_tensor(a, fn.replace(".", "_"), arg)
    if a.dim() < 2:
        raise RuntimeError(f"{fn}: The input tensor {arg} must have at least 2 dimensions.")
    if square and a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"{fn}: {arg} must be batches of square matrices, but they are "
                           f"{a.shape[-2]} by {a.shape[-1]} matrices")
    if not a.dtype.is_floating_point:
        raise RuntimeError(f"{fn}: Expected a floating point or complex tensor as input. Got {a.dtype.legacy_name}")
    if a.dtype not in (dtypes.float32, dtypes.float64) and not low:
        if kernel is not None:
            raise NotImplementedError(f"\"{kernel}\" not implemented for '{a.dtype.legacy_name}'")
        raise RuntimeError(f"{fn}: Low precision dtypes not supported. Got {a.dtype.legacy_name}")
    return a


def raise_for_info(info: Tensor, fn: str, message: str, error: type = LinAlgError) -> None:
    """error (LinAlgError) for the first matrix whose info is not 0; message formats with {info}."""
    flat = info._backend.to_numpy(info._data).reshape(-1)
    if not flat.any():
        return
    host = flat.tolist()
    bad = next(i for i, v in enumerate(host) if v)
    where = f"(Batch element {bad}): " if info.dim() else ""
    raise error(f"{fn}: {where}{message.format(info=host[bad])}")


def _wrap(a: Tensor, data) -> Tensor:
    return Tensor._wrap(data, a._backend)


# ----- single-output nodes -----------------------------------------------------------------
class LinalgInvExBackward0(Function):
    """X = A^-1: gA = -X^T g X^T."""

    saves_output = True
    tensor_inputs = 1

    @staticmethod
    def forward(ctx, a):
        inv, info = a._backend.linalg_inv_ex(a._data)
        ctx.info = _wrap(a, info)
        return inv

    @staticmethod
    def backward(ctx, grad):
        x = ctx.saved_output.mT
        return -x.matmul(grad).matmul(x)


def _recorded(a: Tensor) -> bool:
    return is_grad_enabled() and a.requires_grad


def inv_ex(a: Tensor) -> tuple[Tensor, Tensor]:
    """(A^-1, int32 info) of a checked batch of square matrices."""
    if not _recorded(a):
        inv, info = a._backend.linalg_inv_ex(a._data)
        return _wrap(a, inv), _wrap(a, info)
    out = LinalgInvExBackward0.apply(a)
    return out, out.grad_fn.info


class LinalgDetBackward0(Function):
    """d = det(A): gA = g d A^-T; where A is singular, the cofactor matrix from the SVD
    (adj(A)^T = det(U) det(Vh) U diag(prod_{j != i} s_j) Vh)."""

    saves_output = True
    tensor_inputs = 1

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a._backend.linalg_det(a._data)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        d = ctx.saved_output
        if bool((d == 0).any()):
            from .linalg_decompositions import svd
            u, s, vh = svd(a, False)
            n = s.shape[-1]
            others = s.unsqueeze(-2).expand(*s.shape[:-1], n, n).masked_fill(
                eye(n, dtype=dtypes.bool, device=a.device), 1).prod(-1)
            sign = (det(u.detach()) * det(vh.detach())).unsqueeze(-1).unsqueeze(-1)
            cofactor = sign * u.matmul(others.unsqueeze(-1) * vh)
            return grad.unsqueeze(-1).unsqueeze(-1) * cofactor
        return (grad * d).unsqueeze(-1).unsqueeze(-1) * inverse_checked(a, "linalg.det").mT


def det(a: Tensor) -> Tensor:
    return LinalgDetBackward0.apply(a)


def inverse_checked(a: Tensor, fn: str) -> Tensor:
    out, info = inv_ex(a)
    raise_for_info(info, fn, "The diagonal element {info} is zero, the inversion could not be "
                   "completed because the input matrix is singular.")
    return out


class LinalgSolveExBackward0(Function):
    """X = A^-1 B (A, B of one batch shape, B (..., n, k)): gB = A^-T g, gA = -gB X^T."""

    saves_output = True
    tensor_inputs = 2

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a)
        out = a._backend.linalg_solve(a._data, b._data)
        if out is None:
            raise_for_info(_wrap(a, a._backend.linalg_lu_factor(a._data)[2]), "torch.linalg.solve",
                           "The solver failed because the input matrix is singular.")
            raise LinAlgError("torch.linalg.solve: The solver failed because the input matrix is singular.")
        return out

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        grad_b = solve_matrix(a.mT, grad)
        grad_a = -grad_b.matmul(ctx.saved_output.mT) if a.requires_grad else None
        return grad_a, grad_b


def solve_matrix(a: Tensor, b: Tensor) -> Tensor:
    """A^-1 B for A (..., n, n) and B (..., n, k) whose batch dims broadcast."""
    batch = _broadcast(a.shape[:-2], b.shape[:-2])
    return LinalgSolveExBackward0.apply(a.expand(*batch, *a.shape[-2:]), b.expand(*batch, *b.shape[-2:]))


def _broadcast(s1, s2) -> tuple:
    return tuple(broadcast_shapes(tuple(s2), tuple(s1)))  # (B's batch first in PyTorch's message)


class LinalgSolveTriangularBackward0(Function):
    """X = A^-1 B, A upper (or lower) triangular: gB = A^-T g (the other triangle), gA = the
    triangle of -gB X^T (without its diagonal when unitriangular)."""

    saves_output = True
    tensor_inputs = 2

    @staticmethod
    def forward(ctx, a, b, upper, unitriangular):
        ctx.save_for_backward(a)
        ctx.upper, ctx.unit = upper, unitriangular
        return a._backend.linalg_solve_triangular(a._data, b._data, upper, unitriangular)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        grad_b = solve_triangular_left(a.mT, grad, not ctx.upper, ctx.unit)
        grad_a = None
        if a.requires_grad:
            full = -grad_b.matmul(ctx.saved_output.mT)
            k = 1 if ctx.unit else 0
            grad_a = full.triu(k) if ctx.upper else full.tril(-k)
        return grad_a, grad_b, None, None


def solve_triangular_left(a: Tensor, b: Tensor, upper: bool, unitriangular: bool = False) -> Tensor:
    batch = _broadcast(a.shape[:-2], b.shape[:-2])
    return LinalgSolveTriangularBackward0.apply(a.expand(*batch, *a.shape[-2:]), b.expand(*batch, *b.shape[-2:]),
                                                upper, unitriangular)


class LinalgCholeskyExBackward0(Function):
    """A = L L^T: gA = L^-T Phi L^-1 with Phi = sym(tril(L^T gL)) / 2 on the diagonal."""

    saves_output = True
    tensor_inputs = 1

    @staticmethod
    def forward(ctx, a):
        lower, info = a._backend.linalg_cholesky_ex(a._data)
        ctx.info = _wrap(a, info)
        return lower

    @staticmethod
    def backward(ctx, grad):
        lower = ctx.saved_output
        phi = lower.mT.matmul(grad).tril()
        phi = 0.5 * (phi + phi.tril(-1).mT)
        left = solve_triangular_left(lower.mT, phi, True)  # L^-T phi
        return solve_triangular_left(lower.mT, left.mT, True).mT  # (L^-T (L^-T phi)^T)^T = L^-T phi L^-1


def cholesky_ex(a: Tensor) -> tuple[Tensor, Tensor]:
    """(L, int32 info) of a checked batch of square matrices."""
    if not _recorded(a):
        lower, info = a._backend.linalg_cholesky_ex(a._data)
        return _wrap(a, lower), _wrap(a, info)
    out = LinalgCholeskyExBackward0.apply(a)
    return out, out.grad_fn.info


# ----- decompositions with several outputs ---------------------------------------------------
class _Factor(Function):
    """All the outputs of a decomposition, flattened into one array. Subclasses define
    ``factor(ctx, a, *params) -> raw arrays`` and ``gradient(ctx, outs, grads) -> gA`` (grads
    None for outputs that received no gradient)."""

    saves_output = True
    tensor_inputs = 1

    @staticmethod
    def forward(ctx, a, *params):
        outs = type(ctx).factor(ctx, a, *params)
        be = a._backend
        ctx.shapes, ctx.input_shape = [tuple(o.shape) for o in outs], tuple(a.shape)
        return be.concatenate([be.reshape(o, (-1,)) for o in outs], 0, a.dtype)

    @staticmethod
    def backward(ctx, grad):
        outs = _split(ctx.saved_output, ctx.shapes)
        grads = [g if g.numel() and bool(g.detach().ne(0).any()) else None for g in _split(grad, ctx.shapes)]
        if all(g is None for g in grads):  # (a zero gradient, as under double backward)
            return (grad.new_zeros(ctx.input_shape),) + (None,) * 8
        return (type(ctx).gradient(ctx, outs, grads),) + (None,) * 8


def _numel(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def _split(flat: Tensor, shapes) -> list:
    """flat's consecutive parts, one per shape (Tensor ops: differentiable)."""
    parts, start = [], 0
    for shape in shapes:
        parts.append(flat[start:start + _numel(shape)].reshape(shape))
        start += _numel(shape)
    return parts


class _Output(Function):
    """One output of a _Factor node: a copy of its part (from start, of shape) of the packed
    array; its gradient is that part of a zero gradient of the packed array."""

    tensor_inputs = 1

    @staticmethod
    def forward(ctx, packed, index, start, shape):
        ctx.start, ctx.total = start, packed.shape[0]
        be = packed._backend
        return be.copy(be.reshape(be.getitem(packed._data, (slice(start, start + _numel(shape)),)), shape))

    @staticmethod
    def backward(ctx, grad):
        flat = grad.reshape(-1)
        before = zeros(ctx.start, dtype=grad.dtype, device=grad.device)
        after = zeros(ctx.total - ctx.start - flat.shape[0], dtype=grad.dtype, device=grad.device)
        return cat([before, flat, after]), None, None, None


def decompose(factor: type, output: type, a: Tensor, *params) -> tuple:
    """The outputs of decomposition factor of a, each with an output node of class output
    when a is recorded in the graph, plain tensors otherwise."""
    if not _recorded(a):
        return tuple(_wrap(a, o) for o in factor.factor(None, a, *params))
    packed = factor.apply(a, *params)
    outs, start = [], 0
    for i, shape in enumerate(packed.grad_fn.shapes):
        outs.append(output.apply(packed, i, start, shape))
        start += _numel(shape)
    return tuple(outs)
