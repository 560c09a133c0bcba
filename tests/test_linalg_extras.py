"""More of minitorch.linalg: the factorizations on the core-alone backend table, LU and
Householder packing (LAPACK's), the smaller functions (matmul, diagonal, solve_ex), and the
randomized low-rank decompositions against torch after the same seed."""
import math

import numpy as np
import pytest

import minitorch
from minitorch import linalg
from tests._compat import requires_torch, torch


def _general(shape, seed=0):
    """Well-conditioned matrices: random entries plus n on the diagonal of square ones."""
    a = np.random.default_rng(seed).standard_normal(shape)
    return a + shape[-1] * np.eye(shape[-1]) if shape[-1] == shape[-2] else a


def _m(arr, grad=False):
    return minitorch.tensor(np.array(arr), requires_grad=grad)


def _cuda_available() -> bool:
    try:
        from minitorch._backends.cuda import _runtime
        return _runtime.is_available()
    except Exception:  # pragma: no cover - no numba.cuda at all
        return False


@pytest.mark.parametrize("device", ["core", "cuda"])
def test_the_factorizations_on_other_tables_give_the_cpu_tables_results(device):
    """A device with only the core gets the linear-algebra extras from their defaults; the CUDA
    table (numba's simulator in the tests) uses them through the host."""
    if device == "cuda" and not _cuda_available():
        pytest.skip("no numba.cuda")
    from tests._core_backend import CORE  # noqa: F401 - registers the "core" device
    x = _general((2, 3, 3), seed=11)

    def run(where):
        a = minitorch.tensor(x, device=where, requires_grad=True)
        q, r = linalg.qr(a)
        loss = linalg.inv(a).sum() + (q * q).sum() + linalg.lu_factor(a).LU.sum()
        if device != "cuda":  # (the simulator runs every kernel in Python: a few are enough there)
            loss = (loss + linalg.det(a).sum() + linalg.svdvals(a).sum() + linalg.eigvalsh(a @ a.mT).sum()
                    + linalg.cholesky(a @ a.mT).sum() + linalg.solve_triangular(a, a, upper=True).sum())
        loss.backward()
        assert a.grad.device == a.device
        return loss.item(), a.grad.cpu().numpy()

    (value, grad), (other_value, other_grad) = run("cpu"), run(device)
    np.testing.assert_allclose(other_value, value, rtol=1e-12)
    np.testing.assert_allclose(other_grad, grad, rtol=1e-10, atol=1e-12)


def test_matmul_diagonal_and_solve_ex_of_a_singular_matrix():
    x = _general((2, 3, 3))
    a = _m(x)
    np.testing.assert_allclose(linalg.matmul(a, a).numpy(), x @ x)
    np.testing.assert_allclose(linalg.diagonal(a, offset=1).numpy(), np.diagonal(x, 1, -2, -1))
    result, info = linalg.solve_ex(_m([[1.0, 2.0], [2.0, 4.0]]), minitorch.ones(2, 1, dtype=minitorch.float64))
    assert info.item() == 2 and info.dtype == minitorch.int32 and result.shape == (2, 1)
    assert linalg.solve_ex(a, a).info.tolist() == [0, 0]
    assert linalg.cond(_m([[1.0, 2.0], [2.0, 4.0]]), "fro").item() == math.inf


def test_lu_factor_packs_as_lapack_and_reconstructs():
    x = np.array([[1.0, 2, 3], [4, 5, 6], [7, 8, 10]])
    lu_data, pivots = linalg.lu_factor(_m(x))
    assert pivots.dtype == minitorch.int32 and pivots.tolist() == [3, 3, 3]  # getrf's 1-based row swaps
    p, lower, upper = linalg.lu(_m(x))
    np.testing.assert_allclose((p @ lower @ upper).numpy(), x, atol=1e-12)
    np.testing.assert_allclose(np.diagonal(lower.numpy()), 1.0)
    np.testing.assert_allclose(np.triu(lu_data.numpy()), upper.numpy())
    b = np.arange(6.0).reshape(3, 2)
    np.testing.assert_allclose(linalg.lu_solve(lu_data, pivots, _m(b)).numpy(), np.linalg.solve(x, b), atol=1e-12)
    assert linalg.lu_factor_ex(_m([[1.0, 2.0], [2.0, 4.0]])).info.item() == 2


def test_geqrf_is_lapacks_packed_qr_and_householder_product_rebuilds_q():
    x = _general((2, 5, 3), seed=4)
    a, tau = minitorch.geqrf(_m(x))
    assert a.shape == (2, 5, 3) and tau.shape == (2, 3)
    q = linalg.householder_product(a, tau)
    np.testing.assert_allclose((q @ a.triu()[..., :3, :]).numpy(), x, atol=1e-12)
    np.testing.assert_allclose((q.mT @ q).numpy(), np.broadcast_to(np.eye(3), (2, 3, 3)), atol=1e-12)
    np.testing.assert_allclose(minitorch.ormqr(a, tau, minitorch.eye(5, dtype=minitorch.float64))[..., :, :3].numpy(),
                               q.numpy(), atol=1e-12)


@requires_torch
@pytest.mark.parametrize("shape, kwargs", [((20, 8), {}), ((2, 6, 15), {"q": 4, "niter": 1}),
                                           ((10, 6), {"q": 3, "M": np.ones((1, 6))})])
def test_svd_lowrank_draws_torchs_sketch_after_the_same_seed(shape, kwargs):
    x = np.random.default_rng(0).standard_normal(shape)
    results = []
    for m in (minitorch, torch):
        m.manual_seed(5)
        a = m.tensor(x, requires_grad=True)
        options = {k: (m.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in kwargs.items()}
        u, s, v = m.svd_lowrank(a, **options)
        approx = u.matmul(s.unsqueeze(-1) * v.mT)  # (each singular pair's sign drops out)
        (approx.sum() + s.sum()).backward()
        results.append((s.detach().numpy(), approx.detach().numpy(), a.grad.numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-10)


@requires_torch
def test_pca_lowrank_centres_and_matches_torch():
    x = np.random.default_rng(1).standard_normal((30, 5))
    results = []
    for m in (minitorch, torch):
        m.manual_seed(3)
        u, s, v = m.pca_lowrank(m.tensor(x), q=3)
        results.append((s.numpy(), np.abs(v.numpy()), np.abs(u.numpy())))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-10)


def test_result_types_pickle_and_copy():
    import copy
    import pickle
    for result in (linalg.slogdet(minitorch.eye(2)), linalg.svd(minitorch.eye(2)), minitorch.svd(minitorch.eye(2)),
                   minitorch.geqrf(minitorch.eye(2)), linalg.lu(minitorch.eye(2))):
        for again in (pickle.loads(pickle.dumps(result)), copy.deepcopy(result)):
            assert type(again) is type(result) and again._fields == result._fields
            for ours, theirs in zip(again, result):
                np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_decompositions_write_into_a_tuple_of_out_tensors():
    a = minitorch.tensor([[2.0, 1.0], [1.0, 3.0]])
    w, v = minitorch.empty(0), minitorch.empty(0)
    result = linalg.eigh(a, out=(w, v))
    assert result.eigenvalues is w and result.eigenvectors is v
    np.testing.assert_allclose(w.numpy(), np.linalg.eigvalsh(a.numpy()), rtol=1e-6)
    lu_data, pivots = minitorch.empty(2, 2), minitorch.empty(2, dtype=minitorch.int32)
    assert linalg.lu_factor(a, out=(lu_data, pivots)).pivots is pivots and pivots.tolist() == [1, 2]
    with pytest.raises(TypeError, match="argument 'out' must be tuple of Tensors"):
        linalg.eigh(a, out=w)
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        linalg.qr(a.clone().requires_grad_(), out=(minitorch.empty(0), minitorch.empty(0)))


@pytest.mark.parametrize("upper, left", [(True, True), (False, True), (False, False)])
def test_solve_triangular_of_a_large_matrix_by_blocks(upper, left):
    rng = np.random.default_rng(2)
    a = rng.standard_normal((2, 150, 150)) + 150 * np.eye(150)
    b = rng.standard_normal((2, 150, 3)) if left else rng.standard_normal((2, 3, 150))
    tri = np.triu(a) if upper else np.tril(a)
    x = linalg.solve_triangular(_m(a), _m(b), upper=upper, left=left).numpy()
    np.testing.assert_allclose(tri @ x if left else x @ tri, b, atol=1e-12)
