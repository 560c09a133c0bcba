"""minitorch.linalg on drawn batch shapes and memory layouts (hypothesis), and its errors:
the exception type and message torch raises for non-square, singular, not positive-definite,
integer and mismatched inputs."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitorch
from minitorch import linalg
from tests._compat import requires_torch, torch
from tests.strategies import hsettings, layout_of


@st.composite
def matrices(draw, square=True, spd=False):
    """(array, tensor): a batch (0-2 leading dims) of well-conditioned float64 matrices in a
    drawn layout (contiguous, strided or permuted)."""
    batch = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    m = draw(st.integers(1, 4))
    n = m if square else draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2 ** 16))
    a = np.random.default_rng(seed).uniform(-1, 1, batch + (m, n))
    if spd:
        a = a @ np.swapaxes(a, -1, -2) + m * np.eye(m)
    elif square:
        a = a + (m + 1) * np.eye(m)
    return a, draw(layout_of(a))


@hsettings(max_examples=25)
@given(matrices())
def test_inv_det_solve_on_drawn_batches_and_layouts(pair):
    a, t = pair
    np.testing.assert_allclose(linalg.inv(t).numpy(), np.linalg.inv(a), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(linalg.det(t).numpy(), np.linalg.det(a), rtol=1e-10)
    np.testing.assert_allclose(linalg.slogdet(t).logabsdet.numpy(), np.linalg.slogdet(a)[1], rtol=1e-10, atol=1e-12)
    x = linalg.solve(t, t.exp())
    np.testing.assert_allclose((t.matmul(x)).numpy(), np.exp(a), rtol=1e-9, atol=1e-10)


@hsettings(max_examples=25)
@given(matrices(spd=True))
def test_cholesky_eigh_on_drawn_batches_and_layouts(pair):
    a, t = pair
    lower = linalg.cholesky(t).numpy()
    np.testing.assert_allclose(lower, np.linalg.cholesky(a), rtol=1e-10, atol=1e-12)
    w, v = linalg.eigh(t)
    np.testing.assert_allclose(w.numpy(), np.linalg.eigvalsh(a), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose((v * w.unsqueeze(-2)).matmul(v.mT).numpy(), a, rtol=1e-9, atol=1e-10)


@hsettings(max_examples=25)
@given(matrices(square=False))
def test_lu_on_drawn_batches_and_layouts(pair):
    a, t = pair
    p, lower, upper = linalg.lu(t)
    np.testing.assert_allclose(p.matmul(lower).matmul(upper).numpy(), a, atol=1e-12)
    assert np.all(np.abs(np.tril(lower.numpy(), -1)) <= 1)  # partial pivoting: |multipliers| <= 1
    np.testing.assert_allclose(np.triu(upper.numpy()), upper.numpy())


@hsettings(max_examples=25)
@given(matrices(square=False))
def test_qr_svd_pinv_on_drawn_batches_and_layouts(pair):
    a, t = pair
    q, r = linalg.qr(t)
    k = min(a.shape[-2:])
    np.testing.assert_allclose(q.matmul(r).numpy(), a, atol=1e-12)
    np.testing.assert_allclose(q.mT.matmul(q).numpy(), np.broadcast_to(np.eye(k), a.shape[:-2] + (k, k)), atol=1e-12)
    assert np.allclose(np.tril(r.numpy(), -1), 0)
    u, s, vh = linalg.svd(t, full_matrices=False)
    np.testing.assert_allclose(s.numpy(), np.linalg.svd(a, compute_uv=False), atol=1e-12)
    np.testing.assert_allclose((u * s.unsqueeze(-2)).matmul(vh).numpy(), a, atol=1e-12)
    expected = np.linalg.pinv(a)
    # (a drawn rectangle may be ill-conditioned: the pseudo-inverse's error scales with its size)
    np.testing.assert_allclose(linalg.pinv(t).numpy(), expected, atol=1e-9 * (1 + np.abs(expected).max()) ** 2)
    np.testing.assert_allclose(linalg.matrix_norm(t, "nuc").numpy(), np.linalg.norm(a, "nuc", axis=(-2, -1)),
                               rtol=1e-10)


@requires_torch
@hsettings(max_examples=20)
@given(matrices(), st.sampled_from(["inv", "det", "eigvalsh", "svdvals", "cholesky"]))
def test_float32_results_and_gradients_are_torch_float64_within_float32_rounding(pair, name):
    """float32 against torch's float64 on the same (float32-representable) inputs: LAPACK's
    float32 summation order is not torch's, so only the rounding-sized error is allowed."""
    a, _ = pair
    a = a.astype(np.float32)
    if name == "cholesky":
        a = (a @ np.swapaxes(a, -1, -2)).astype(np.float32)
    fn = {"inv": lambda m, x: m.linalg.inv(x), "det": lambda m, x: m.linalg.det(x),
          "eigvalsh": lambda m, x: m.linalg.eigvalsh(x + x.mT), "svdvals": lambda m, x: m.linalg.svdvals(x),
          "cholesky": lambda m, x: m.linalg.cholesky(x)}[name]
    x = minitorch.tensor(a, requires_grad=True)
    tx = torch.tensor(a.astype(np.float64), requires_grad=True)
    out, expected = fn(minitorch, x), fn(torch, tx)
    assert out.dtype == minitorch.float32
    scale = 1 + float(expected.detach().abs().max())
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), atol=2e-5 * scale * a.shape[-1])
    out.sum().backward()
    expected.sum().backward()
    gscale = 1 + float(tx.grad.abs().max())
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), atol=2e-5 * gscale * a.shape[-1] ** 2)


# ----- errors -----------------------------------------------------------------------------
SINGULAR = [[1.0, 2.0], [2.0, 4.0]]
ERRORS = {
    "inv_singular": lambda m: m.linalg.inv(m.tensor(SINGULAR)),
    "inv_batch_singular": lambda m: m.linalg.inv(m.stack([m.eye(2), m.tensor(SINGULAR)])),
    "inverse_singular": lambda m: m.inverse(m.tensor(SINGULAR)),
    "inv_ex_check_errors": lambda m: m.linalg.inv_ex(m.tensor(SINGULAR), check_errors=True),
    "solve_singular": lambda m: m.linalg.solve(m.tensor(SINGULAR), m.ones(2)),
    "matrix_power_singular": lambda m: m.linalg.matrix_power(m.tensor(SINGULAR), -1),
    "cholesky_not_pd": lambda m: m.linalg.cholesky(m.tensor([[1.0, 0.0], [0.0, -1.0]])),
    "cholesky_batch_not_pd": lambda m: m.linalg.cholesky(m.stack([m.eye(2), m.tensor(SINGULAR)])),
    "inv_non_square": lambda m: m.linalg.inv(m.ones(2, 3)),
    "det_non_square": lambda m: m.linalg.det(m.ones(2, 3)),
    "eigh_non_square": lambda m: m.linalg.eigh(m.ones(2, 3)),
    "cholesky_non_square": lambda m: m.linalg.cholesky(m.ones(2, 3)),
    "matrix_power_non_square": lambda m: m.linalg.matrix_power(m.ones(2, 3), 2),
    "inv_1d": lambda m: m.linalg.inv(m.ones(3)),
    "svd_1d": lambda m: m.linalg.svd(m.ones(3)),
    "qr_1d": lambda m: m.linalg.qr(m.ones(3)),
    "matrix_norm_1d": lambda m: m.linalg.matrix_norm(m.ones(3)),
    "inv_integer": lambda m: m.linalg.inv(m.ones(2, 2, dtype=m.int64)),
    "det_integer": lambda m: m.linalg.det(m.ones(2, 2, dtype=m.int64)),
    "slogdet_integer": lambda m: m.linalg.slogdet(m.ones(2, 2, dtype=m.int64)),
    "cholesky_integer": lambda m: m.linalg.cholesky(m.ones(2, 2, dtype=m.int64)),
    "svd_integer": lambda m: m.linalg.svd(m.ones(2, 2, dtype=m.int64)),
    "qr_integer": lambda m: m.linalg.qr(m.ones(2, 2, dtype=m.int64)),
    "pinv_integer": lambda m: m.linalg.pinv(m.ones(2, 2, dtype=m.int64)),
    "matrix_rank_integer": lambda m: m.linalg.matrix_rank(m.ones(2, 2, dtype=m.int64)),
    "vector_norm_integer": lambda m: m.linalg.vector_norm(m.ones(3, dtype=m.int64)),
    "solve_shapes": lambda m: m.linalg.solve(m.eye(2), m.ones(3)),
    "solve_right_vector": lambda m: m.linalg.solve(m.eye(2).expand(3, 2, 2), m.ones(3, 2), left=False),
    "solve_matrix_shapes": lambda m: m.linalg.solve(m.eye(2), m.ones(3, 1)),
    "solve_dtypes": lambda m: m.linalg.solve(m.eye(2), m.ones(2, 1, dtype=m.float64)),
    "lstsq_shapes": lambda m: m.linalg.lstsq(m.ones(3, 2), m.ones(2, 1)),
    "lstsq_driver": lambda m: m.linalg.lstsq(m.ones(3, 2), m.ones(3, 1), driver="x"),
    "qr_mode": lambda m: m.linalg.qr(m.ones(3, 3), mode="x"),
    "eigh_uplo": lambda m: m.linalg.eigh(m.eye(2), UPLO="x"),
    "matrix_norm_order": lambda m: m.linalg.matrix_norm(m.ones(3, 3), ord=3),
    "norm_3d_with_ord": lambda m: m.linalg.norm(m.ones(2, 2, 2), ord=2),
    "norm_three_dims": lambda m: m.linalg.norm(m.ones(2, 2, 2), dim=(0, 1, 2)),
    "norm_string_order_one_dim": lambda m: m.linalg.norm(m.ones(3, 3), "fro", dim=1),
    "norm_string_order_vector": lambda m: m.linalg.norm(m.ones(3), "nuc"),
    "matrix_norm_same_dims": lambda m: m.linalg.matrix_norm(m.ones(3, 3), dim=(0, 0)),
    "matrix_norm_three_dims": lambda m: m.linalg.matrix_norm(m.ones(3, 3), dim=(0, 1, 2)),
    "matrix_exp_non_square": lambda m: m.matrix_exp(m.ones(2, 3)),
    "matrix_exp_integer": lambda m: m.linalg.matrix_exp(m.ones(2, 2, dtype=m.int64)),
    "cross_dims": lambda m: m.linalg.cross(m.ones(2, 3), m.ones(3)),
    "cond_order": lambda m: m.linalg.cond(m.eye(2), 3),
    "cond_non_square": lambda m: m.linalg.cond(m.ones(2, 3), "fro"),
    "vander_n": lambda m: m.linalg.vander(m.ones(3), N=1),
    "tensorinv_ind": lambda m: m.linalg.tensorinv(m.ones(2, 2), ind=0),
    "tensorinv_shapes": lambda m: m.linalg.tensorinv(m.ones(2, 3), ind=1),
    "tensorsolve_shapes": lambda m: m.linalg.tensorsolve(m.ones(2, 3, 2, 3), m.ones(2, 3, 2)),
    "cholesky_solve_shapes": lambda m: m.cholesky_solve(m.ones(3, 1), m.eye(2)),
    "lu_factor_singular": lambda m: m.linalg.lu_factor(m.tensor(SINGULAR)),
    "lu_factor_ex_check_errors": lambda m: m.linalg.lu_factor_ex(m.tensor(SINGULAR), check_errors=True),
    "lu_factor_no_pivot": lambda m: m.linalg.lu_factor(m.eye(2), pivot=False),
    "lu_factor_1d": lambda m: m.linalg.lu_factor(m.ones(3)),
    "lu_factor_integer": lambda m: m.linalg.lu_factor(m.ones(2, 2, dtype=m.int64)),
    "lu_solve_shapes": lambda m: m.linalg.lu_solve(*m.linalg.lu_factor(m.eye(3) * 2), m.ones(2, 1)),
    "solve_triangular_integer": lambda m: m.linalg.solve_triangular(m.ones(2, 2, dtype=m.int64), m.ones(2, 1),
                                                                    upper=True),
    "lstsq_dtypes": lambda m: m.linalg.lstsq(m.eye(3), m.eye(3, dtype=m.float64)),
    "lstsq_integer": lambda m: m.linalg.lstsq(m.ones(3, 3, dtype=m.int64), m.ones(3, 3, dtype=m.int64)),
    "eigh_integer_non_square": lambda m: m.linalg.eigh(m.ones(2, 3, dtype=m.int64)),
    "eigvalsh_non_square": lambda m: m.linalg.eigvalsh(m.ones(2, 3)),
    "matrix_rank_hermitian_non_square": lambda m: m.linalg.matrix_rank(m.ones(2, 3), hermitian=True),
    "matrix_power_float_n": lambda m: m.linalg.matrix_power(m.eye(3), 1.5),
    "vector_norm_string_order": lambda m: m.linalg.vector_norm(m.eye(3), "fro"),
    "vecdot_integer": lambda m: m.linalg.vecdot(m.ones(3, dtype=m.int64), m.ones(3, dtype=m.int64)),
    "multi_dot_dtypes": lambda m: m.linalg.multi_dot([m.eye(3), m.eye(3, dtype=m.float64)]),
    "cond_1d": lambda m: m.linalg.cond(m.ones(3)),
    "solve_batch_broadcast": lambda m: m.linalg.solve(m.eye(3).expand(2, 3, 3), m.ones(4, 3, 1)),
    "det_half": lambda m: m.linalg.det(m.eye(2, dtype=m.float16)),
    "inv_half": lambda m: m.linalg.inv(m.eye(2, dtype=m.float16)),
    "eigh_half": lambda m: m.linalg.eigh(m.eye(2, dtype=m.float16)),
    "geqrf_1d": lambda m: m.geqrf(m.ones(3)),
    "geqrf_backward": lambda m: m.geqrf(m.eye(3, requires_grad=True))[0].sum().backward(),
    "householder_product_wide": lambda m: m.linalg.householder_product(m.ones(2, 3), m.ones(2)),
    "householder_product_tau": lambda m: m.linalg.householder_product(m.ones(3, 2), m.ones(3)),
    "ormqr_shapes": lambda m: m.ormqr(m.ones(3, 2), m.ones(2), m.ones(2, 2)),
    "ormqr_tau": lambda m: m.ormqr(m.ones(4, 4), m.ones(3), m.ones(4, 4)),
    "pca_lowrank_q": lambda m: m.pca_lowrank(m.ones(4, 3), q=5),
    "pca_lowrank_niter": lambda m: m.pca_lowrank(m.ones(4, 3), niter=-1),
    "top_level_norm_nuc_3d": lambda m: m.norm(m.ones(2, 3, 4), "nuc"),
    "top_level_norm_fro_3_dims": lambda m: m.norm(m.ones(2, 3, 4), "fro", dim=(0, 1, 2)),
    "top_level_norm_nuc_one_dim": lambda m: m.ones(2, 3).norm("nuc", dim=1),
    "solve_ex_check_errors": lambda m: m.linalg.solve_ex(m.tensor(SINGULAR), m.ones(2), check_errors=True),
    "multi_dot_one": lambda m: m.linalg.multi_dot([m.ones(2, 3)]),
    "multi_dot_shapes": lambda m: m.linalg.multi_dot([m.ones(2, 3), m.ones(2, 3)]),
    "multi_dot_3d": lambda m: m.linalg.multi_dot([m.ones(2, 2), m.ones(2, 2, 2), m.ones(2, 2)]),
    "cross_length": lambda m: m.linalg.cross(m.ones(2), m.ones(2)),
    "vecdot_shapes": lambda m: m.linalg.vecdot(m.ones(2), m.ones(3)),
    "solve_triangular_shapes": lambda m: m.linalg.solve_triangular(m.eye(2), m.ones(3, 1), upper=True),
    "qr_backward_mode_r": lambda m: m.linalg.qr(m.ones(3, 3, requires_grad=True), mode="r")[1].sum().backward(),
    "qr_backward_complete_tall": lambda m: m.linalg.qr(m.eye(3, 2, requires_grad=True), mode="complete")[0].sum()
    .backward(),
}


@requires_torch
@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_match_torch(name):
    with pytest.raises(Exception) as theirs:
        ERRORS[name](torch)
    with pytest.raises(Exception) as ours:
        ERRORS[name](minitorch)
    expected = theirs.value
    assert str(ours.value) == str(expected)
    if isinstance(expected, torch.linalg.LinAlgError):
        assert isinstance(ours.value, linalg.LinAlgError) and isinstance(ours.value, RuntimeError)
    else:
        assert type(ours.value).__mro__[1:] == type(expected).__mro__[1:] or type(ours.value) is type(expected)


def test_linalg_error_is_a_runtime_error_naming_the_batch_element():
    with pytest.raises(linalg.LinAlgError, match=r"\(Batch element 1\): The diagonal element 2 is zero"):
        linalg.inv(minitorch.stack([minitorch.eye(2), minitorch.tensor(SINGULAR)]))
    assert issubclass(linalg.LinAlgError, RuntimeError)


def test_solve_triangular_of_a_singular_matrix_gives_non_finite_values_as_torch():
    out = linalg.solve_triangular(minitorch.tensor([[1.0, 0.0], [1.0, 0.0]]), minitorch.ones(2, 1), upper=False)
    assert out[0, 0].item() == 1.0 and math.isnan(out[1, 0].item())


def test_namespace_is_a_module_with_torch_names():
    import types
    assert isinstance(minitorch.linalg, types.ModuleType)
    for name in ("vector_norm", "matrix_norm", "norm", "inv", "inv_ex", "det", "slogdet", "solve", "cholesky",
                 "cholesky_ex", "qr", "eigh", "eigvalsh", "svd", "svdvals", "pinv", "matrix_power", "multi_dot",
                 "cross", "vecdot", "matrix_rank", "lstsq", "solve_triangular", "LinAlgError"):
        assert callable(getattr(linalg, name))
    with pytest.raises(AttributeError):
        linalg.no_such_function  # noqa: B018
