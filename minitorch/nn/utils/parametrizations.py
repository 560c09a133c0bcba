"""nn.utils.parametrizations: orthogonal, weight_norm and spectral_norm as parametrizations
(nn.utils.parametrize), torch's current form of each."""
from __future__ import annotations

from ..._creation import zeros_like
from ..._ops.arith import add
from ..._ops.compare import allclose
from ..._ops.info import finfo
from ..._ops.joins import cat
from ..._ops.linalg_api import solve
from ..._ops.linalg_householder import geqrf, householder_product
from ..._ops.linalg_matrix_exp import matrix_exp
from ..._ops.matmul import mv
from ..._ops.products import vdot
from ..._ops.where import where
from ...autograd import no_grad
from ...random import randn
from ...tensor import Tensor
from .. import functional as F
from ..modules.conv import ConvTranspose1d, ConvTranspose2d
from ..modules.module import Module
from . import parametrize
from ..._ops.weight_norm import _weight_norm, norm_except_dim

__all__ = ["orthogonal", "weight_norm", "spectral_norm"]


_ORTHOGONAL_MAPS = ("matrix_exp", "cayley", "householder")


def _eye(n: int, like: Tensor) -> Tensor:
    eye = like.new_zeros(n, n)
    eye.diagonal().fill_(1.0)
    return eye


def _orthonormal_columns(A: Tensor) -> bool:
    """Whether the tall (or square) A has orthonormal columns, to torch's tolerance: within
    10 * rows * eps of the identity."""
    n, k = A.size(-2), A.size(-1)
    eps = 10.0 * n * finfo(A.dtype).eps
    return bool(allclose(A.mT @ A, _eye(k, A), atol=eps))


def _q_factor(A: Tensor) -> Tensor:
    """Q of A = QR (A tall or square) with R's diagonal made non-negative, as torch computes it
    (geqrf's reflectors, their product, then each column times the sign of R's diagonal)."""
    reflectors, tau = geqrf(A)
    return householder_product(reflectors, tau) * reflectors.diagonal(dim1=-2, dim2=-1).sign().unsqueeze(-2)


class _Orthogonal(Module):
    """Q orthogonal (orthonormal columns if tall, rows if wide) from an unconstrained tensor X:
    the matrix exponential or Cayley transform of the skew-symmetric matrix built from X's lower
    triangle, or the product of the Householder reflectors below X's diagonal. With the dynamic
    trivialization the result is base @ Q, base an orthogonal buffer set by right_inverse."""

    def __init__(self, weight: Tensor, orthogonal_map: str, *, use_trivialization: bool = True) -> None:
        super().__init__()
        if weight.is_complex() and orthogonal_map == "householder":
            raise ValueError("The householder parametrization does not support complex tensors.")
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        self.use_trivialization = use_trivialization
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X: Tensor) -> Tensor:
        wide = X.size(-2) < X.size(-1)
        if wide:
            X = X.mT
        n, k = X.size(-2), X.size(-1)
        if self.orthogonal_map == "householder":
            A = X.tril(diagonal=-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            # X's diagonal (+-1, from right_inverse) picks each column's sign; as .int() it is
            # neither differentiated nor trained.
            Q = householder_product(A, tau) * X.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)
        else:
            X = X.tril()
            if n != k:
                # The n x k lower triangle padded with zero columns to n x n.
                X = cat([X, X.new_zeros(n, n - k).expand(*X.shape[:-2], -1, -1)], dim=-1)
            A = X - X.mT  # skew-symmetric
            if self.orthogonal_map == "matrix_exp":
                Q = matrix_exp(A)
            else:
                # Cayley: (I + A/2)(I - A/2)^-1, as the solution of (I - A/2) Q = (I + A/2).
                eye = _eye(n, A)
                Q = solve(add(eye, A, alpha=-0.5), add(eye, A, alpha=0.5))
            if n != k:
                Q = Q[..., :k]
        if self.use_trivialization:
            Q = self.base @ Q
        return Q.mT if wide else Q

    def right_inverse(self, Q: Tensor) -> Tensor:
        if Q.shape != self.shape:
            raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. "
                             f"Got a tensor of shape {Q.shape}.")
        with no_grad():
            return self._right_inverse(Q)

    def _right_inverse(self, Q: Tensor) -> Tensor:
        given = Q
        wide = Q.size(-2) < Q.size(-1)
        if wide:
            Q = Q.mT
        n, k = Q.size(-2), Q.size(-1)
        if not self.use_trivialization:
            if self.orthogonal_map != "householder":
                raise NotImplementedError("It is not possible to assign to the matrix exponential "
                                          "or the Cayley parametrizations when use_trivialization=False.")
            # The reflectors of Q's QR with R's diagonal signs on the diagonal, which forward
            # reads back; a reflector LAPACK skipped (tau == 0) flips its sign.
            A, tau = geqrf(Q)
            diag = A.diagonal(dim1=-2, dim2=-1)
            signs = diag.sign()
            diag.copy_(where(tau == 0.0, -signs, signs))
            return A.mT if wide else A
        if n == k:
            base = Q.clone() if _orthonormal_columns(Q) else _q_factor(Q)
        else:
            # Complete the k columns to an n x n orthogonal matrix with normal draws.
            extra = randn(*(tuple(Q.shape[:-2]) + (n, n - k)), dtype=Q.dtype, device=Q.device)
            base = _q_factor(cat([Q, extra], dim=-1))
        self.base = base
        # -I: X = -I gives Q = I under every map (householder reads the diagonal's signs).
        neg_eye = zeros_like(given)
        neg_eye.diagonal(dim1=-2, dim2=-1).fill_(-1.0)
        return neg_eye


def orthogonal(module: Module, name: str = "weight", orthogonal_map: str | None = None, *,
               use_trivialization: bool = True) -> Module:
    """Reparametrize module.<name> (a matrix or a batch of them) as an orthogonal matrix:
    orthonormal columns if tall, rows if wide. orthogonal_map: "matrix_exp", "cayley" or
    "householder" (default: matrix_exp for square or complex, householder otherwise). With
    use_trivialization (default) the current orthogonal point is a buffer ``base``. The initial
    weight is the original itself if orthogonal, else Q of its QR with R's diagonal positive
    (wide and tall ones completed to square with normal draws, as torch does)."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        square = weight.size(-2) == weight.size(-1)
        orthogonal_map = "matrix_exp" if square or weight.is_complex() else "householder"
    if not isinstance(orthogonal_map, str):
        raise TypeError(f"attribute name must be string, not '{type(orthogonal_map).__name__}'")
    if orthogonal_map not in _ORTHOGONAL_MAPS:
        raise ValueError('orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
                         f"Got: {orthogonal_map}")
    orth = _Orthogonal(weight, orthogonal_map, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module


class _WeightNorm(Module):
    """weight = g * v / ||v|| (the norm over every dim but dim; dim=None: the whole tensor)."""

    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int = 0) -> Module:
    """Reparametrize module.<name> as g * v / ||v|| (original0 = g, original1 = v)."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def _weight_norm_compat_hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                 error_msgs) -> None:
        # Checkpoints of the hook-based nn.utils.weight_norm name g and v <name>_g, <name>_v.
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g_key)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v_key)

    module._register_load_state_dict_pre_hook(_weight_norm_compat_hook)
    return module


class _SpectralNorm(Module):
    """weight / sigma, sigma the largest singular value of weight (as a matrix with rows along
    dim), estimated by power iteration on the buffers _u, _v; 1-d weights are just normalised."""

    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12) -> None:
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] "
                             f"but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight)
            h, w = weight_mat.size()
            u = weight_mat.new_empty(h).normal_(0, 1)
            v = weight_mat.new_empty(w).normal_(0, 1)
            self.register_buffer("_u", F.normalize(u, dim=0, eps=self.eps))
            self.register_buffer("_v", F.normalize(v, dim=0, eps=self.eps))
            # Start from a good estimate, so that even the first forward's sigma is close.
            self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.dim()) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, weight_mat: Tensor, n_power_iterations: int) -> None:
        # In place (torch writes through out=), so the buffers keep their identity.
        with no_grad():
            for _ in range(n_power_iterations):
                self._u.copy_(F.normalize(mv(weight_mat, self._v), dim=0, eps=self.eps))
                self._v.copy_(F.normalize(mv(weight_mat.t(), self._u), dim=0, eps=self.eps))

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        # Copies: backward must see u and v as they were, whatever later power steps do.
        u = self._u.clone()
        v = self._v.clone()
        sigma = vdot(u, mv(weight_mat, v))
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: int | None = None) -> Module:
    """Reparametrize module.<name> as weight / sigma(weight) (spectral normalisation); dim
    defaults to 1 for ConvTranspose layers, else 0."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d)) else 0
    parametrize.register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module


def __getattr__(name: str):
    from ..._unsupported import missing
    raise missing("nn.utils.parametrizations", name, "module 'minitorch.nn.utils.parametrizations'")
