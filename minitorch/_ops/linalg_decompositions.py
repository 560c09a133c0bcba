"""The decompositions with several outputs: slogdet, qr, eigh, svd (forward on the backend's
linear-algebra extras, backward PyTorch's formulas in Tensor ops; see linalg_functions.py for
how the outputs share one node)."""
from __future__ import annotations

from .. import dtypes
from .._creation import eye
from ..tensor import Tensor
from .linalg_functions import _Factor, _Output, decompose, inverse_checked, solve_triangular_left


def _diag_mask(n: int, like: Tensor) -> Tensor:
    return eye(n, dtype=dtypes.bool, device=like.device)


# ----- slogdet -------------------------------------------------------------------------------
class _SlogdetFactor(_Factor):
    """(sign, log|det A|): g_logabsdet A^-T (the sign of a real matrix has no gradient)."""

    @staticmethod
    def factor(ctx, a):
        if ctx is not None:
            ctx.save_for_backward(a)
        return a._backend.linalg_slogdet(a._data)

    @staticmethod
    def gradient(ctx, outs, grads):
        (a,) = ctx.saved_tensors
        g = grads[1]
        if g is None:
            return None
        return g.unsqueeze(-1).unsqueeze(-1) * inverse_checked(a, "linalg.slogdet").mT


class LinalgSlogdetBackward0(_Output):
    pass


def slogdet(a: Tensor) -> tuple:
    return decompose(_SlogdetFactor, LinalgSlogdetBackward0, a)


# ----- qr ------------------------------------------------------------------------------------
def _copyltu(m: Tensor) -> Tensor:
    """The symmetric matrix with m's lower triangle (diagonal included)."""
    low = m.tril(-1)
    return low + low.mT + m.tril().triu()


def _qr_square_or_tall(q: Tensor, r: Tensor, gq, gr) -> Tensor:
    """gA of A = QR, A (m, n) with m >= n, Q (m, n), R (n, n) upper: (gQ + Q copyltu(M)) R^-T
    with M = R gR^T - gQ^T Q."""
    if gq is None:
        gq = q.new_zeros(q.shape)
    if gr is None:
        gr = r.new_zeros(r.shape)
    m = r.matmul(gr.mT) - gq.mT.matmul(q)
    b = gq + q.matmul(_copyltu(m))
    return solve_triangular_left(r, b.mT, True).mT


class _QrFactor(_Factor):
    @staticmethod
    def factor(ctx, a, mode):
        if ctx is not None:
            ctx.mode, ctx.shape = mode, tuple(a.shape)
        return a._backend.linalg_qr(a._data, mode)

    @staticmethod
    def gradient(ctx, outs, grads):
        q, r = outs
        gq, gr = grads
        m, n = ctx.shape[-2], ctx.shape[-1]
        if ctx.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
                               "Please use linalg.qr(A, mode='reduced') if you are going to differentiate "
                               "through linalg.qr.")
        if ctx.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
        if m >= n:
            return _qr_square_or_tall(q, r, gq, gr)
        # wide: A = [X | Y], R = [U | V] with X = QU square; Y = QV
        u, v = r[..., :, :m], r[..., :, m:]
        gu = gr[..., :, :m] if gr is not None else None
        gv = gr[..., :, m:] if gr is not None else None
        y = q.matmul(v)
        gy = q.matmul(gv) if gv is not None else y.new_zeros(y.shape)
        gq2 = (gq if gq is not None else q.new_zeros(q.shape)) + (y.matmul(gv.mT) if gv is not None else 0)
        gx = _qr_square_or_tall(q, u, gq2, gu)
        from .joins import cat
        return cat([gx, gy], -1)


class LinalgQrBackward0(_Output):
    pass


def qr(a: Tensor, mode: str) -> tuple:
    return decompose(_QrFactor, LinalgQrBackward0, a, mode)


# ----- eigh ----------------------------------------------------------------------------------
class _EighFactor(_Factor):
    """A = V diag(L) V^T: gA = sym(V (diag(gL) + (V^T gV) / E) V^T) with E_ij = L_j - L_i."""

    @staticmethod
    def factor(ctx, a, upper, vectors):
        return a._backend.linalg_eigh(a._data, upper, vectors)

    @staticmethod
    def gradient(ctx, outs, grads):
        w, v = outs
        gw, gv = grads
        n = w.shape[-1]
        if gv is None:
            inner = gw.diag_embed()
        else:
            e = w.unsqueeze(-2) - w.unsqueeze(-1)
            mask = _diag_mask(n, w)
            inner = (v.mT.matmul(gv) / e.masked_fill(mask, 1)).masked_fill(mask, 0)
            if gw is not None:
                inner = inner + gw.diag_embed()
        grad = v.matmul(inner).matmul(v.mT)
        return 0.5 * (grad + grad.mT)  # PyTorch's gradient is symmetric (A is)


class LinalgEighBackward0(_Output):
    pass


def eigh(a: Tensor, upper: bool, vectors: bool = True) -> tuple:
    return decompose(_EighFactor, LinalgEighBackward0, a, upper, vectors)


# ----- svd -----------------------------------------------------------------------------------
class _SvdFactor(_Factor):
    """A = U diag(S) Vh (reduced): gA = U [(J S + S K) / E, diag gS] Vh plus the parts of gU
    (gV) outside U's (V's) span when A is tall (wide); J = skew(U^T gU), K = skew(Vh gV),
    E_jk = S_k^2 - S_j^2."""

    @staticmethod
    def factor(ctx, a, full_matrices, compute_uv):
        if ctx is not None:
            ctx.full = full_matrices
        return a._backend.linalg_svd(a._data, full_matrices, compute_uv)

    @staticmethod
    def gradient(ctx, outs, grads):
        u, s, vh = outs
        gu, gs, gvh = grads
        m, n, k = u.shape[-2], vh.shape[-1], s.shape[-1]
        if ctx.full:  # the extra columns carry no information about A: drop them (and their grads)
            u, vh = u[..., :, :k], vh[..., :k, :]
            gu = gu[..., :, :k] if gu is not None else None
            gvh = gvh[..., :k, :] if gvh is not None else None
        if gu is None and gvh is None:
            return u.matmul(gs.unsqueeze(-1) * vh)
        mask = _diag_mask(k, s)
        inner = s.new_zeros((*s.shape, k))
        if gu is not None:
            uhgu = u.mT.matmul(gu)
            inner = inner + (uhgu - uhgu.mT) * s.unsqueeze(-2)
        if gvh is not None:
            vhgv = vh.matmul(gvh.mT)
            inner = inner + s.unsqueeze(-1) * (vhgv - vhgv.mT)
        e = s.unsqueeze(-2) * s.unsqueeze(-2) - s.unsqueeze(-1) * s.unsqueeze(-1)
        inner = (inner / e.masked_fill(mask, 1)).masked_fill(mask, 0)
        if gs is not None:
            inner = inner + gs.diag_embed()
        grad = u.matmul(inner).matmul(vh)
        if m > k and gu is not None:
            grad = grad + ((gu - u.matmul(u.mT.matmul(gu))) / s.unsqueeze(-2)).matmul(vh)
        if n > k and gvh is not None:
            gv = gvh.mT
            v = vh.mT
            grad = grad + u.matmul(((gv - v.matmul(vh.matmul(gv))) / s.unsqueeze(-2)).mT)
        return grad


class LinalgSvdBackward0(_Output):
    pass


def svd(a: Tensor, full_matrices: bool, compute_uv: bool = True) -> tuple:
    return decompose(_SvdFactor, LinalgSvdBackward0, a, full_matrices, compute_uv)
