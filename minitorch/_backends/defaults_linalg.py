"""Defaults of the linear-algebra extras of the backend interface (see base.py): the
factorizations and solves under ``minitorch.linalg``.

Each is a host round trip: the batch of matrices goes to NumPy (``to_numpy``), LAPACK through
``numpy.linalg`` factors it, and the result comes back (``from_numpy``). On the CPU table the
round trip is free (its raw arrays are NumPy arrays), so these are the CPU's versions; the
CUDA table uses them too, copying through the host (no cuSOLVER path yet).

Failures are reported, not raised: the functions that can meet a singular or indefinite
matrix return LAPACK's ``info`` per matrix (int32, 0 = success, k > 0 = the k-th pivot /
leading minor failed), and the ops raise PyTorch's LinAlgError from it. Arrays are batches:
any leading dims, the matrix in the last two.
"""
from __future__ import annotations

import numpy as np


def _lu_factor(a: np.ndarray):
    """LAPACK getrf's result for each matrix of the batch a (..., m, n): (LU packed: U on and
    above the diagonal, L's multipliers below it; int32 pivots (..., min(m, n)), 1-based rows
    swapped in order; int32 info, the 1-based index of the first exactly zero pivot, 0 when
    none). Partial pivoting on the first largest |value|, as LAPACK's; O(m n min(m, n)) per
    matrix, min(m, n) steps each vectorised over the batch."""
    m, n = a.shape[-2:]
    k = min(m, n)
    lu = np.array(a, copy=True).reshape((-1, m, n))
    rows = np.arange(lu.shape[0])
    pivots = np.zeros((lu.shape[0], k), dtype=np.int32)
    info = np.zeros(lu.shape[0], dtype=np.int32)
    for j in range(k):
        pivot = j + np.argmax(np.abs(lu[:, j:, j]), axis=1)
        pivots[:, j] = pivot + 1
        top = lu[rows, j].copy()
        lu[rows, j] = lu[rows, pivot]
        lu[rows, pivot] = top
        head = lu[:, j, j]
        zero = head == 0
        info[(info == 0) & zero] = j + 1
        safe = np.where(zero, 1, head)[:, None]
        lu[:, j + 1:, j] = np.where(zero[:, None], lu[:, j + 1:, j], lu[:, j + 1:, j] / safe)
        lu[:, j + 1:, j + 1:] -= lu[:, j + 1:, j, None] * lu[:, j, None, j + 1:]
    batch = a.shape[:-2]
    return lu.reshape(a.shape), pivots.reshape(batch + (k,)), info.reshape(batch)


def _lu_info(a: np.ndarray) -> np.ndarray:
    """getrf's info of each square matrix of a (see _lu_factor)."""
    return _lu_factor(a)[2]


def _cholesky_info(a: np.ndarray) -> np.ndarray:
    """For each matrix of a (..., n, n) (its lower triangle read), the order of the first
    leading minor that is not positive-definite (LAPACK potrf's info), 0 when all are."""
    n = a.shape[-1]
    flat = np.tril(a).reshape(-1, n, n)
    info = np.zeros(flat.shape[0], dtype=np.int32)
    for i, m in enumerate(flat):
        for k in range(1, n + 1):
            try:
                np.linalg.cholesky(m[:k, :k])
            except np.linalg.LinAlgError:
                info[i] = k
                break
    return info.reshape(a.shape[:-2])


def _solve_upper(u: np.ndarray, b: np.ndarray) -> np.ndarray:
    """x with u @ x = b by back substitution, u (..., n, n) upper triangular, b (..., n, k)
    broadcast against it; a zero diagonal gives inf/NaN as LAPACK's trtrs does not (it
    reports), and PyTorch returns those values."""
    n = u.shape[-1]
    shape = np.broadcast_shapes(u.shape[:-2], b.shape[:-2]) + b.shape[-2:]
    x = np.array(np.broadcast_to(b, shape), dtype=np.result_type(u, b), copy=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in range(n - 1, -1, -1):
            if i + 1 < n:
                x[..., i, :] -= np.einsum("...j,...jk->...k", u[..., i, i + 1:], x[..., i + 1:, :])
            x[..., i, :] /= u[..., i, i, None]
    return x


def _solve_upper_blocked(u: np.ndarray, b: np.ndarray) -> np.ndarray:
    """x with u @ x = b for u (..., n, n) upper triangular with a non-zero diagonal, by halves:
    the bottom block's solution, then the top's against b minus the coupling block's product
    (BLAS matrix products; LAPACK's solver on blocks of 64 or fewer). O(n^2 k) as trsm."""
    n = u.shape[-1]
    if n <= 64:
        return np.linalg.solve(u, b)
    h = n // 2
    bottom = _solve_upper_blocked(u[..., h:, h:], b[..., h:, :])
    top = _solve_upper_blocked(u[..., :h, :h], b[..., :h, :] - u[..., :h, h:] @ bottom)
    return np.concatenate([top, bottom], axis=-2)


class LinalgDefaults:
    """Mixin of Backend: the linear-algebra extras (host: numpy.linalg's LAPACK)."""

    def _host_out(self, *arrays):
        return tuple(self.from_numpy(np.array(x, order="C", copy=None)) for x in arrays)

    def linalg_lu_factor(self, a):
        """(LU, int32 pivots, int32 info) of each matrix of a (..., m, n), packed as LAPACK's
        getrf packs them (host: partial pivoting in NumPy, not LAPACK's blocked order)."""
        return self._host_out(*_lu_factor(self.to_numpy(a)))

    def linalg_lu_permutation(self, pivots, m: int):
        """int64 (..., m): the row order perm with A[perm] = L U, from getrf's 1-based pivots
        (..., k) (row j swapped with row pivots[j] - 1, in order) (host)."""
        piv = self.to_numpy(pivots).astype(np.int64) - 1
        flat = piv.reshape(-1, piv.shape[-1])
        perm = np.tile(np.arange(m, dtype=np.int64), (flat.shape[0], 1))
        rows = np.arange(flat.shape[0])
        for j in range(flat.shape[1]):
            other = flat[:, j]
            top = perm[rows, j].copy()
            perm[rows, j] = perm[rows, other]
            perm[rows, other] = top
        return self.from_numpy(perm.reshape(piv.shape[:-1] + (m,)))

    def linalg_slogdet(self, a):
        """(sign, log|det|) of each matrix of a (..., n, n), in a's dtype (host)."""
        sign, logabs = np.linalg.slogdet(self.to_numpy(a))
        dt = self.to_numpy(a).dtype
        return self._host_out(np.asarray(sign, dtype=dt), np.asarray(logabs, dtype=dt))

    def linalg_det(self, a):
        """det of each matrix of a (..., n, n) (host)."""
        host = self.to_numpy(a)
        return self._host_out(np.asarray(np.linalg.det(host), dtype=host.dtype))[0]

    def linalg_inv_ex(self, a):
        """(inverse, int32 info) of each matrix of a (..., n, n); a singular matrix's inverse
        is inf/NaN and its info its first zero pivot (host)."""
        host = self.to_numpy(a)
        try:
            inv = np.linalg.inv(host) if host.size else np.array(host)
            info = np.zeros(host.shape[:-2], dtype=np.int32)
        except np.linalg.LinAlgError:
            info = _lu_info(host)
            flat, inv = host.reshape((-1,) + host.shape[-2:]), np.empty(host.shape, host.dtype)
            out = inv.reshape(flat.shape)
            for i, (m, bad) in enumerate(zip(flat, info.reshape(-1))):
                try:
                    out[i] = np.full_like(m, np.nan) if bad else np.linalg.inv(m)
                except np.linalg.LinAlgError:  # LAPACK met a zero pivot our elimination rounded past
                    out[i] = np.nan
                    info.reshape(-1)[i] = max(int(bad), 1)
        return self._host_out(inv, info)

    def linalg_solve(self, a, b):
        """x with a @ x = b: a (..., n, n), b (..., n, k) broadcast against it; None when a
        matrix is singular (host)."""
        host_a, host_b = self.to_numpy(a), self.to_numpy(b)
        try:
            return self._host_out(np.linalg.solve(host_a, host_b))[0]
        except np.linalg.LinAlgError:
            return None

    def linalg_solve_triangular(self, a, b, upper: bool, unitriangular: bool):
        """x with a @ x = b, a (..., n, n) triangular (only that triangle read; a unit diagonal
        assumed when unitriangular), b (..., n, k) broadcast (host: blocked solve on BLAS and
        LAPACK, back substitution when the diagonal has a zero)."""
        host = self.to_numpy(a)
        if not upper:  # reverse the order of rows and columns: lower becomes upper
            host = host[..., ::-1, ::-1]
        u = np.triu(host)
        if unitriangular:
            u = u.copy()
            idx = np.arange(u.shape[-1])
            u[..., idx, idx] = 1
        rhs = self.to_numpy(b)
        rhs = rhs if upper else rhs[..., ::-1, :]
        if np.all(np.diagonal(u, 0, -2, -1) != 0):
            batch = np.broadcast_shapes(u.shape[:-2], rhs.shape[:-2])
            x = _solve_upper_blocked(np.broadcast_to(u, batch + u.shape[-2:]),
                                     np.broadcast_to(rhs, batch + rhs.shape[-2:]))
        else:  # a zero on the diagonal: substitution gives PyTorch's inf / NaN where LAPACK refuses
            x = _solve_upper(u, rhs)
        return self._host_out(x if upper else x[..., ::-1, :])[0]

    def linalg_cholesky_ex(self, a):
        """(L, int32 info): the lower Cholesky factor of each matrix of a (..., n, n) (its
        lower triangle read); info the order of the first leading minor that is not
        positive-definite, whose L is left unspecified (host)."""
        host = self.to_numpy(a)
        try:  # (numpy.linalg.cholesky reads the lower triangle only, as LAPACK's potrf)
            return self._host_out(np.linalg.cholesky(host), np.zeros(host.shape[:-2], np.int32))
        except np.linalg.LinAlgError:
            info = _cholesky_info(host)
            out = np.zeros_like(host)
            flat, good = out.reshape((-1,) + host.shape[-2:]), info.reshape(-1) == 0
            flat[good] = np.linalg.cholesky(host.reshape(flat.shape)[good])
            return self._host_out(out, info)

    def linalg_qr(self, a, mode: str):
        """(Q, R) of each matrix of a (..., m, n), mode "reduced", "complete" or "r" (Q is then
        an empty array) (host)."""
        host = self.to_numpy(a)
        if mode == "r":
            r = np.linalg.qr(host, mode="r")
            return self._host_out(np.empty((0,), host.dtype), r)
        q, r = np.linalg.qr(host, mode=mode)
        return self._host_out(q, r)

    def linalg_geqrf(self, a):
        """(a, tau) of LAPACK's geqrf for each matrix of a (..., m, n): R on and above the
        diagonal, the Householder vectors below it, their scalars tau (..., min(m, n)) (host)."""
        host = self.to_numpy(a)
        if host.size == 0:
            return self._host_out(host.copy(), np.zeros(host.shape[:-2] + (min(host.shape[-2:]),), host.dtype))
        h, tau = np.linalg.qr(host, mode="raw")  # (h is the transposed, Fortran-ordered result)
        return self._host_out(np.swapaxes(h, -1, -2), tau)

    def linalg_eigh(self, a, upper: bool, eigenvectors: bool):
        """(eigenvalues ascending, eigenvectors as columns) of each symmetric matrix of a
        (..., n, n), read from its upper or lower triangle; eigenvectors an empty array when
        not asked for (host)."""
        host = self.to_numpy(a)
        uplo = "U" if upper else "L"
        if not eigenvectors:
            return self._host_out(np.linalg.eigvalsh(host, UPLO=uplo), np.empty((0,), host.dtype))
        w, v = np.linalg.eigh(host, UPLO=uplo)
        return self._host_out(w, v)

    def linalg_svd(self, a, full_matrices: bool, compute_uv: bool):
        """(U, S descending, Vh) of each matrix of a (..., m, n); U and Vh empty arrays when
        not asked for (host)."""
        host = self.to_numpy(a)
        if not compute_uv:
            empty = np.empty((0,), host.dtype)
            return self._host_out(empty, np.linalg.svd(host, compute_uv=False), empty)
        u, s, vh = np.linalg.svd(host, full_matrices=full_matrices)
        return self._host_out(u, s, vh)
