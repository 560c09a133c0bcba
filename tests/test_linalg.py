"""minitorch.linalg and the top-level linear-algebra functions: values and gradients against
torch float64 (sign-ambiguous outputs through invariants: reconstruction, orthogonality,
gauge-invariant losses), against NumPy and central differences without torch, double
backward, result types, out=, Tensor methods."""
import math
import warnings

import numpy as np
import pytest

import minitorch
from minitorch import linalg
from minitorch.autograd import gradcheck, gradgradcheck
from tests._compat import requires_torch, torch

RNG = np.random.default_rng(1234)


def _general(shape, seed=0):
    """Well-conditioned square matrices: random entries plus n on the diagonal."""
    a = np.random.default_rng(seed).standard_normal(shape)
    n = shape[-1]
    return a + n * np.eye(n) if shape[-1] == shape[-2] else a


def _spd(shape, seed=0):
    a = np.random.default_rng(seed).standard_normal(shape)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def _m(arr, grad=False):
    return minitorch.tensor(np.array(arr), requires_grad=grad)


def _t(arr, grad=False):
    return torch.tensor(np.array(arr), requires_grad=grad)


def _sym(x):
    return x + x.mT


# name -> (input maker, loss on the result of module.linalg / module): each loss is invariant to
# the sign (gauge) choices of the decomposition, so it has one value and one gradient.
CASES = {
    "inv": (_general, lambda m, a: m.linalg.inv(a)),
    "inverse": (_general, lambda m, a: m.inverse(a)),
    "det": (_general, lambda m, a: m.linalg.det(a)),
    "slogdet": (_general, lambda m, a: m.linalg.slogdet(a).logabsdet * m.linalg.slogdet(a).sign),
    "logdet": (_spd, lambda m, a: m.logdet(a)),
    "solve": (_general, lambda m, a: m.linalg.solve(a, a[..., :2] * a[..., :2])),
    "solve_vector": (_general, lambda m, a: m.linalg.solve(a, a[..., 0] + 1)),
    "solve_right": (_general, lambda m, a: m.linalg.solve(a, a[..., :2, :] + 1, left=False)),
    "solve_triangular": (_general, lambda m, a: m.linalg.solve_triangular(a, a[..., :2] + 1, upper=True)),
    "solve_triangular_right_unit": (_general, lambda m, a: m.linalg.solve_triangular(
        a, a[..., :2, :] + 1, upper=False, left=False, unitriangular=True)),
    "cholesky": (_spd, lambda m, a: m.linalg.cholesky(a)),
    "cholesky_upper": (_spd, lambda m, a: m.linalg.cholesky(a, upper=True)),
    "qr_tall": (lambda s, seed=0: _general(s[:-2] + (5, 3), seed),
                lambda m, a: _qr_invariant(m.linalg.qr(a))),
    "qr_wide": (lambda s, seed=0: _general(s[:-2] + (3, 5), seed),
                lambda m, a: _qr_invariant(m.linalg.qr(a))),
    "qr_complete_square": (_general, lambda m, a: _qr_invariant(m.linalg.qr(a, mode="complete"))),
    "eigh": (_spd, lambda m, a: _eigh_invariant(m.linalg.eigh(a))),
    "eigh_upper": (_general, lambda m, a: _eigh_invariant(m.linalg.eigh(a, UPLO="U"))),
    "eigvalsh": (_spd, lambda m, a: m.linalg.eigvalsh(a)),
    "svd_tall": (lambda s, seed=0: _general(s[:-2] + (5, 3), seed),
                 lambda m, a: _svd_invariant(m.linalg.svd(a, False))),
    "svd_wide": (lambda s, seed=0: _general(s[:-2] + (3, 5), seed),
                 lambda m, a: _svd_invariant(m.linalg.svd(a, False))),
    "svd_full": (lambda s, seed=0: _general(s[:-2] + (5, 3), seed),
                 lambda m, a: _svd_invariant(m.linalg.svd(a), 3)),
    "svdvals": (_general, lambda m, a: m.linalg.svdvals(a)),
    "pinv": (lambda s, seed=0: _general(s[:-2] + (5, 3), seed), lambda m, a: m.linalg.pinv(a)),
    "pinv_hermitian": (_spd, lambda m, a: m.linalg.pinv(a, hermitian=True)),
    "pinverse": (lambda s, seed=0: _general(s[:-2] + (3, 5), seed), lambda m, a: m.pinverse(a)),
    "lstsq": (lambda s, seed=0: _general(s[:-2] + (5, 3), seed),
              lambda m, a: m.linalg.lstsq(a, a[..., :2] ** 2).solution),
    "matrix_power_negative": (_general, lambda m, a: m.linalg.matrix_power(a, -3)),
    "matrix_norm_fro": (_general, lambda m, a: m.linalg.matrix_norm(a)),
    "matrix_norm_nuc": (_general, lambda m, a: m.linalg.matrix_norm(a, "nuc")),
    "matrix_norm_2": (_general, lambda m, a: m.linalg.matrix_norm(a, 2)),
    "matrix_norm_-2": (_general, lambda m, a: m.linalg.matrix_norm(a, -2, keepdim=True)),
    "matrix_norm_1": (_general, lambda m, a: m.linalg.matrix_norm(a, 1, dim=(-1, -2))),
    "matrix_norm_-1": (_general, lambda m, a: m.linalg.matrix_norm(a, -1)),
    "matrix_norm_inf": (_general, lambda m, a: m.linalg.matrix_norm(a, math.inf, keepdim=True)),
    "matrix_norm_-inf": (_general, lambda m, a: m.linalg.matrix_norm(a, -math.inf)),
    "norm_matrix": (_general, lambda m, a: m.linalg.norm(a, "nuc", dim=(0, -1))),
    "norm_vector": (_general, lambda m, a: m.linalg.norm(a, 3, dim=-1)),
    "norm_all": (_general, lambda m, a: m.linalg.norm(a)),
    "top_level_norm_nuc": (_general, lambda m, a: a.norm("nuc", dim=(0, 2), keepdim=True) + m.norm(a[0], "nuc")),
    "vector_norm": (_general, lambda m, a: m.linalg.vector_norm(a, 0.5, dim=(0, 2))),
    "vecdot": (_general, lambda m, a: m.linalg.vecdot(a, a.flip(-1), dim=-2)),
    "cross": (lambda s, seed=0: _general(s[:-2] + (3, 3), seed), lambda m, a: m.linalg.cross(a, a.flip(-2))),
    "matrix_exp": (lambda s, seed=0: _general(s, seed) / 2, lambda m, a: m.linalg.matrix_exp(a)),
    "matrix_exp_large": (lambda s, seed=0: _general(s, seed) * 3, lambda m, a: m.matrix_exp(a)),
    "cholesky_solve": (_spd, lambda m, a: m.cholesky_solve(a[..., :2] + 1, m.linalg.cholesky(a))),
    "cholesky_solve_upper": (_spd, lambda m, a: m.cholesky_solve(a[..., :2] + 1, m.linalg.cholesky(a).mT, upper=True)),
    "cholesky_solve_raw_factor": (_general, lambda m, a: m.cholesky_solve(a[..., :2] + 1, a)),
    "cholesky_inverse": (_general, lambda m, a: m.cholesky_inverse(a)),
    "cholesky_inverse_upper": (_general, lambda m, a: m.cholesky_inverse(a, upper=True)),
    "triangular_solve": (_general, lambda m, a: m.triangular_solve(a[..., :2] + 1, a, transpose=True).solution),
    "cond": (_general, lambda m, a: m.linalg.cond(a)),
    "cond_nuc": (_general, lambda m, a: m.linalg.cond(a, "nuc")),
    "cond_-2": (_general, lambda m, a: m.linalg.cond(a, -2)),
    "vander": (_general, lambda m, a: m.linalg.vander(a[..., 0], N=5)),
    "tensorinv": (_general, lambda m, a: m.linalg.tensorinv(a.reshape(2, 2, 8)[..., :4].reshape(2, 2, 2, 2))),
    "tensorsolve": (_general, lambda m, a: m.linalg.tensorsolve(a.reshape(2, 2, 2, 2, 2)[0], a[0, 0].reshape(2, 2))),
    "solve_ex": (_general, lambda m, a: m.linalg.solve_ex(a, a.exp()).result),
    "lu": (_general, lambda m, a: tuple(m.linalg.lu(a))),
    "lu_wide": (lambda s, seed=0: _general(s[:-2] + (3, 5), seed), lambda m, a: tuple(m.linalg.lu(a))),
    "lu_tall": (lambda s, seed=0: _general(s[:-2] + (5, 3), seed), lambda m, a: m.linalg.lu_factor(a).LU),
    "lu_solve": (_general, lambda m, a: m.linalg.lu_solve(*m.linalg.lu_factor(a), a.exp())),
    "lu_solve_adjoint_right": (_general, lambda m, a: m.linalg.lu_solve(*m.linalg.lu_factor(a), a.exp(), left=False,
                                                                        adjoint=True)),
    "lu_unpack": (_general, lambda m, a: tuple(m.lu_unpack(*m.linalg.lu_factor_ex(a)[:2]))),
    "householder_product": (lambda s, seed=0: _general(s[:-2] + (5, 3), seed),
                            lambda m, a: m.linalg.householder_product(a, a[..., 0, :2].tanh())),
    "orgqr": (_general, lambda m, a: m.orgqr(a, a[..., 1, :].tanh())),
    "ormqr": (_general, lambda m, a: m.ormqr(a, a[..., 1, :].tanh(), a.exp(), left=False, transpose=True)),
    "ger": (_general, lambda m, a: m.ger(a[..., 0, 0, :], a[..., 0, 1, :])),
    "frobenius_norm": (_general, lambda m, a: m.frobenius_norm(a, dim=(0, 2))),
    "nuclear_norm": (_general, lambda m, a: m.nuclear_norm(a)),
    "svd_top_level": (_general, lambda m, a: (lambda r: (r.U * r.V).sum(-1) + r.S)(m.svd(a))),
}


def _qr_invariant(qr):
    q, r = qr
    # make R's diagonal positive: (Q D, D R) with D = sign(diag R) is the unique factorization
    d = r.diagonal(dim1=-2, dim2=-1)[..., : min(q.shape[-1], r.shape[-1])].sign()
    k = d.shape[-1]
    return q[..., :, :k] * d.unsqueeze(-2), r[..., :k, :] * d.unsqueeze(-1)


def _eigh_invariant(wv):
    w, v = wv
    return w, v * v  # each eigenvector's sign drops out


def _svd_invariant(usv, k=None):
    u, s, vh = usv
    k = s.shape[-1] if k is None else k
    u, vh = u[..., :, :k], vh[..., :k, :]
    # U V^T over the first k columns: each pair's common sign drops out
    return s, u.matmul(vh[..., :, :u.shape[-2]]) if vh.shape[-1] >= u.shape[-2] else u[..., :vh.shape[-1], :].matmul(vh)


def _flat(result):
    return result if isinstance(result, tuple) else (result,)


@requires_torch
@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_gradients_match_torch_float64(name):
    make, fn = CASES[name]
    x = make((2, 4, 4), seed=len(name))
    a, ta = _m(x, True), _t(x, True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outs, touts = _flat(fn(minitorch, a)), _flat(fn(torch, ta))
    weights = [np.random.default_rng(7).standard_normal(tuple(t.shape)) for t in touts]
    for o, t in zip(outs, touts):
        np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), rtol=1e-9, atol=1e-9)
    sum((o * _m(w)).sum() for o, w in zip(outs, weights)).backward()
    sum((t * _t(w)).sum() for t, w in zip(touts, weights)).backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-7, atol=1e-9)


# Functions of 3x3 float64 inputs checked against central differences (no torch needed): the
# symmetric-input factorizations read one triangle, so they are checked through a symmetric
# construction, as PyTorch's own tests do.
GRADCHECK = {
    "inv": lambda a: linalg.inv(a),
    "det": lambda a: linalg.det(a),
    "slogdet": lambda a: linalg.slogdet(a).logabsdet,
    "solve": lambda a: linalg.solve(a, a.exp()),
    "solve_triangular": lambda a: linalg.solve_triangular(a, a.exp(), upper=False),
    "cholesky": lambda a: linalg.cholesky(a.matmul(a.mT) + 3 * minitorch.eye(3, dtype=a.dtype)),
    "qr": lambda a: linalg.qr(a).Q + linalg.qr(a).R,
    "qr_wide": lambda a: linalg.qr(a[:2]).Q.sum() + linalg.qr(a[:2]).R,
    "eigh": lambda a: _eigh_invariant(linalg.eigh(_sym(a)))[1] + linalg.eigvalsh(_sym(a)).sum(),
    "svd": lambda a: _svd_invariant(linalg.svd(a))[1] + linalg.svdvals(a).sum(),
    "svd_wide": lambda a: _svd_invariant(linalg.svd(a[:2], False))[1].sum() + linalg.svdvals(a[:2]).sum(),
    "pinv": lambda a: linalg.pinv(a[:, :2]),
    "lstsq": lambda a: linalg.lstsq(a[:, :2], a.exp()).solution,
    "matrix_norm_nuc": lambda a: linalg.matrix_norm(a, "nuc"),
    "matrix_power": lambda a: linalg.matrix_power(a, -2),
    "multi_dot": lambda a: linalg.multi_dot([a[0], a, a.exp(), a[:, 1]]),
    "matrix_exp": lambda a: linalg.matrix_exp(a / 3),
    "cholesky_solve": lambda a: minitorch.cholesky_solve(a.exp(), a.tril()),
    "cholesky_inverse": lambda a: minitorch.cholesky_inverse(a.triu(), upper=True),
    "cond": lambda a: linalg.cond(a) + linalg.cond(a, "fro"),
    "vander": lambda a: linalg.vander(a[0]),
    "lu": lambda a: linalg.lu(a).L + linalg.lu(a).U,
    "lu_wide": lambda a: linalg.lu_factor(a[:2]).LU,
    "lu_tall": lambda a: linalg.lu(a[:, :2]).L,
    "lu_solve": lambda a: linalg.lu_solve(*linalg.lu_factor(a), a.exp()),
    "householder_product": lambda a: linalg.householder_product(a, a[0].tanh()),
}


@pytest.mark.parametrize("name", sorted(GRADCHECK))
def test_gradcheck_against_central_differences(name):
    a = _m(_general((3, 3), seed=3), True)
    assert gradcheck(GRADCHECK[name], (a,))


@pytest.mark.parametrize("name", sorted(GRADCHECK))
def test_double_backward_matches_central_differences(name):
    a = _m(_general((3, 3), seed=5), True)
    assert gradgradcheck(GRADCHECK[name], (a,))


def test_det_gradient_of_a_singular_matrix_is_its_cofactor_matrix():
    x = np.array([[1.0, 2, 3], [2, 4, 6], [1, 0, 1]])
    a = _m(x, True)
    linalg.det(a).backward()
    cofactor = np.array([[np.linalg.det(np.delete(np.delete(x, i, 0), j, 1)) * (-1) ** (i + j) for j in range(3)]
                         for i in range(3)])
    np.testing.assert_allclose(a.grad.numpy(), cofactor, atol=1e-10)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_values_match_numpy_on_batches(dtype):
    x = _general((2, 3, 4, 4), seed=9).astype(dtype)
    s = _spd((2, 3, 4, 4), seed=9).astype(dtype)
    a, sa = _m(x), _m(s)
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == "float32" else dict(rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(linalg.inv(a).numpy(), np.linalg.inv(x), **tol)
    np.testing.assert_allclose(linalg.det(a).numpy(), np.linalg.det(x), **tol)
    np.testing.assert_allclose(linalg.solve(a, a).numpy(), np.broadcast_to(np.eye(4), x.shape), **tol)
    lower = linalg.cholesky(sa).numpy()
    np.testing.assert_allclose(lower @ np.swapaxes(lower, -1, -2), s, **tol)
    np.testing.assert_allclose(lower, np.tril(lower))
    q, r = linalg.qr(a)
    np.testing.assert_allclose((q @ r).numpy(), x, **tol)
    np.testing.assert_allclose((q.mT @ q).numpy(), np.broadcast_to(np.eye(4), x.shape), **tol)
    w, v = linalg.eigh(sa)
    np.testing.assert_allclose(w.numpy(), np.linalg.eigvalsh(s), **tol)
    np.testing.assert_allclose((v @ w.diag_embed() @ v.mT).numpy(), s, **tol)
    u, sv, vh = linalg.svd(a)
    np.testing.assert_allclose(sv.numpy(), np.linalg.svd(x, compute_uv=False), **tol)
    np.testing.assert_allclose((u @ sv.diag_embed() @ vh).numpy(), x, **tol)
    np.testing.assert_allclose(linalg.pinv(a).numpy(), np.linalg.pinv(x), **tol)
    np.testing.assert_allclose(linalg.matrix_norm(a, 2).numpy(), np.linalg.norm(x, 2, axis=(-2, -1)), **tol)
    # e^A e^-A = I, and e^(diag d) = diag(e^d)
    np.testing.assert_allclose((linalg.matrix_exp(a / 4) @ linalg.matrix_exp(-a / 4)).numpy(),
                               np.broadcast_to(np.eye(4), x.shape), **tol)
    d = np.arange(4.0, dtype=dtype)
    np.testing.assert_allclose(linalg.matrix_exp(_m(np.diag(d))).numpy(), np.diag(np.exp(d)), rtol=1e-6)
    assert a.dtype == linalg.inv(a).dtype == linalg.svdvals(a).dtype == minitorch.__dict__[dtype]


def test_matrix_rank_counts_singular_values_above_the_tolerance():
    x = np.array([[1.0, 2, 3], [2, 4, 6], [1, 0, 1]])
    assert linalg.matrix_rank(_m(x)).item() == 2
    assert linalg.matrix_rank(_m(x), hermitian=True).item() == np.linalg.matrix_rank(x, hermitian=True)
    assert linalg.matrix_rank(_m(np.stack([x, np.eye(3)]))).tolist() == [2, 3]
    assert linalg.matrix_rank(_m(x), atol=1.0, rtol=0.0).item() == np.sum(np.linalg.svd(x, compute_uv=False) > 1)


def test_inv_ex_reports_the_first_zero_pivot_instead_of_raising():
    x = np.stack([np.eye(3), [[1.0, 2, 3], [2, 4, 6], [1, 0, 1]]])
    inverse, info = linalg.inv_ex(_m(x))
    assert info.dtype == minitorch.int32 and info.tolist() == [0, 3]
    np.testing.assert_allclose(inverse[0].numpy(), np.eye(3))
    lower, info = linalg.cholesky_ex(_m(np.diag([1.0, -1.0, 1.0])))
    assert info.item() == 2


def test_lstsq_fields_follow_the_driver():
    x, b = _general((5, 3), seed=2), _general((5, 2), seed=3)
    expected = np.linalg.lstsq(x, b, rcond=None)
    r = linalg.lstsq(_m(x), _m(b), driver="gelsd")
    np.testing.assert_allclose(r.solution.numpy(), expected[0], atol=1e-10)
    np.testing.assert_allclose(r.residuals.numpy(), expected[1], atol=1e-10)
    assert r.rank.item() == 3 and r.rank.dtype == minitorch.int64
    np.testing.assert_allclose(r.singular_values.numpy(), expected[3], atol=1e-10)
    default = linalg.lstsq(_m(x), _m(b))
    assert default.residuals.shape == (0,) and default.singular_values.shape == (0,) and default.rank.item() == 3
    assert linalg.lstsq(_m(x), _m(b[:, 0])).solution.shape == (3,)


def test_multi_dot_vectors_and_order():
    a, b, c = _general((1, 4)), _general((4, 5)), _general((5, 2))
    out = linalg.multi_dot([_m(a[0]), _m(b), _m(c)])
    np.testing.assert_allclose(out.numpy(), a[0] @ b @ c, atol=1e-12)
    assert out.shape == (2,)


@requires_torch
def test_result_types_print_and_unpack_as_torch():
    x = np.eye(2)
    for fn in (lambda m, a: m.linalg.slogdet(a), lambda m, a: m.slogdet(a), lambda m, a: m.linalg.inv_ex(a),
               lambda m, a: m.linalg.eigh(a), lambda m, a: m.linalg.cholesky_ex(a)):
        ours, theirs = fn(minitorch, _m(x)), fn(torch, _t(x))
        assert repr(ours) == repr(theirs)
        assert type(ours).__name__ == type(theirs).__name__ and len(ours) == len(theirs)
        for i, field in enumerate(ours._fields):
            assert getattr(theirs, field) is theirs[i]
    assert linalg.qr(_m(x))._fields == ("Q", "R") and linalg.svd(_m(x))._fields == ("U", "S", "Vh")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert minitorch.svd(_m(x))._fields == ("U", "S", "V") and minitorch.qr(_m(x))._fields == ("Q", "R")
    assert linalg.lstsq(_m(x), _m(x))._fields == ("solution", "residuals", "rank", "singular_values")


@requires_torch
def test_grad_fn_names_follow_torch():
    x = _general((3, 3))
    a, ta = _m(x, True), _t(x, True)
    for fn in (lambda m, a: m.linalg.inv(a), lambda m, a: m.linalg.det(a), lambda m, a: m.linalg.solve(a, a),
               lambda m, a: m.linalg.qr(a)[0], lambda m, a: m.linalg.qr(a)[1], lambda m, a: m.linalg.eigh(a)[1],
               lambda m, a: m.linalg.eigvalsh(a), lambda m, a: m.linalg.svd(a)[2], lambda m, a: m.linalg.svdvals(a),
               lambda m, a: m.linalg.slogdet(a)[1], lambda m, a: m.linalg.pinv(a),
               lambda m, a: m.linalg.solve_triangular(a, a, upper=True), lambda m, a: m.linalg.matrix_norm(a, "nuc"),
               lambda m, a: m.linalg.cholesky(a @ a.mT)):
        assert fn(minitorch, a).grad_fn.name() == fn(torch, ta).grad_fn.name()


def test_out_argument_and_tensor_methods():
    x = _general((3, 3))
    a = _m(x)
    out = minitorch.empty(3, 3, dtype=minitorch.float64)
    assert linalg.inv(a, out=out) is out
    np.testing.assert_allclose(out.numpy(), np.linalg.inv(x))
    assert minitorch.inverse(a, out=out) is out
    np.testing.assert_allclose(a.inverse().numpy(), np.linalg.inv(x))
    np.testing.assert_allclose(a.det().item(), np.linalg.det(x))
    np.testing.assert_allclose(a.logdet().item(), np.log(np.linalg.det(x)))
    np.testing.assert_allclose(a.slogdet().logabsdet.item(), np.linalg.slogdet(x)[1])
    np.testing.assert_allclose(a.pinverse().numpy(), np.linalg.pinv(x), atol=1e-12)
    np.testing.assert_allclose(a.matrix_power(-1).numpy(), np.linalg.inv(x), atol=1e-12)
    u, s, v = a.svd()
    np.testing.assert_allclose((u @ s.diag_embed() @ v.mT).numpy(), x, atol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        q, r = a.qr()
        np.testing.assert_allclose((q @ r).numpy(), x, atol=1e-12)
        spd = _m(_spd((3, 3)))
        np.testing.assert_allclose(spd.cholesky().numpy(), np.linalg.cholesky(spd.numpy()), atol=1e-12)


def test_logdet_of_a_negative_determinant_is_nan():
    assert math.isnan(minitorch.logdet(_m(np.diag([1.0, -1.0]))).item())
    assert minitorch.logdet(_m(np.zeros((2, 2)))).item() == -math.inf


def test_svd_without_uv_gives_zero_square_factors():
    u, s, v = minitorch.svd(_m(_general((2, 3))), compute_uv=False)
    assert u.shape == (2, 2) and v.shape == (3, 3) and not u.any() and not v.any()
    np.testing.assert_allclose(s.numpy(), np.linalg.svd(_general((2, 3)), compute_uv=False))
