"""minitorch.distributions against torch.distributions 2.13: the same draws from the same seed,
log_prob / entropy / KL values, gradients (and central differences in float64), shapes,
reprs and validation errors; without torch, against NumPy formulas, the NumPy oracle of
torch's CPU generator (tests/reference/torch_cpu_rng.py) and finite differences."""
import contextlib
import importlib.util
import io
import math
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, strategies as st

import minitorch
import minitorch.distributions as md
from minitorch.autograd import gradcheck
from tests._compat import requires_torch, torch
from tests.strategies import hsettings

td = torch.distributions if torch is not None else None

P = np.array([[0.1, 0.5, 0.4], [0.3, 0.3, 0.4]], np.float32)
COV = np.array([[2.0, 0.5, 0.1], [0.5, 1.5, 0.2], [0.1, 0.2, 1.0]], np.float32)


def _oracle():
    path = Path(__file__).resolve().parent / "reference" / "torch_cpu_rng.py"
    spec = importlib.util.spec_from_file_location("torch_cpu_rng", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _t(x, lib, **kw):
    a = np.asarray(x)
    if a.dtype == np.float64 and "dtype" not in kw:
        a = a.astype(np.float32)
    return lib.tensor(a, **kw)


def _np(t):
    return t.detach().numpy()


# ----- draws: the same seed gives torch's numbers ----------------------------------------------
SAMPLES = {
    "categorical_5": (lambda L, D: D.Categorical(probs=_t(P, L)), lambda d: d.sample((5,))),
    "categorical_one": (lambda L, D: D.Categorical(probs=_t(P, L)), lambda d: d.sample()),
    "categorical_logits_2x3": (lambda L, D: D.Categorical(logits=_t(np.log(P) * 2, L)), lambda d: d.sample((2, 3))),
    "categorical_unnormalised": (lambda L, D: D.Categorical(probs=_t([1.0, 2.0, 7.0], L)), lambda d: d.sample((40,))),
    "one_hot_categorical": (lambda L, D: D.OneHotCategorical(probs=_t(P, L)), lambda d: d.sample((3,))),
    "one_hot_straight_through": (lambda L, D: D.OneHotCategoricalStraightThrough(logits=_t(P, L)), lambda d: d.rsample((3,))),
    "bernoulli": (lambda L, D: D.Bernoulli(probs=_t([0.2, 0.7, 0.5], L)), lambda d: d.sample((4,))),
    "bernoulli_logits": (lambda L, D: D.Bernoulli(logits=_t([-1.0, 2.0], L)), lambda d: d.sample((3,))),
    "normal_sample": (lambda L, D: D.Normal(_t([0.0, 1.0], L), _t([1.0, 2.0], L)), lambda d: d.sample((3,))),
    "normal_rsample": (lambda L, D: D.Normal(_t([0.0, 1.0], L), _t([1.0, 2.0], L)), lambda d: d.rsample((3,))),
    "normal_rsample_16": (lambda L, D: D.Normal(0.5, 2.0), lambda d: d.rsample((4, 5))),
    "uniform_rsample": (lambda L, D: D.Uniform(_t([0.0, 1.0], L), _t([1.0, 3.0], L)), lambda d: d.rsample((4,))),
    "independent": (lambda L, D: D.Independent(D.Normal(_t(np.zeros((2, 3)), L), 1.0), 1), lambda d: d.sample((2,))),
    "mvn_covariance": (lambda L, D: D.MultivariateNormal(_t([1.0, 0.0, -1.0], L), covariance_matrix=_t(COV, L)),
                       lambda d: d.rsample((2,))),
    "mvn_batched_loc": (lambda L, D: D.MultivariateNormal(_t(np.arange(6.0).reshape(2, 3), L), scale_tril=_t(np.linalg.cholesky(COV), L)),
                        lambda d: d.sample((3,))),
}


@requires_torch
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_samples_equal_torchs_from_the_same_seed(name):
    build, draw = SAMPLES[name]
    out = []
    for lib, D in ((minitorch, md), (torch, td)):
        lib.manual_seed(0)
        out.append(draw(build(lib, D)))
    assert tuple(out[0].shape) == tuple(out[1].shape)
    assert str(out[0].dtype) == str(out[1].dtype)
    np.testing.assert_array_equal(_np(out[0]), _np(out[1]))


def test_normal_rsample_is_loc_plus_scale_times_torchs_standard_normal():
    rng = _oracle()
    minitorch.manual_seed(3)
    rng.manual_seed(3)
    d = md.Normal(minitorch.tensor([1.0, -2.0]), minitorch.tensor([0.5, 3.0]))
    got = _np(d.rsample((4,)))
    eps = rng.randn(4, 2)
    np.testing.assert_allclose(got, np.float32([1.0, -2.0]) + eps * np.float32([0.5, 3.0]), rtol=1e-6)


def test_uniform_rsample_is_low_plus_torchs_rand_times_width():
    rng = _oracle()
    minitorch.manual_seed(5)
    rng.manual_seed(5)
    got = _np(md.Uniform(minitorch.tensor([0.0, 2.0]), minitorch.tensor([1.0, 6.0])).rsample((3,)))
    np.testing.assert_allclose(got, np.float32([0.0, 2.0]) + rng.rand(3, 2) * np.float32([1.0, 4.0]), rtol=1e-6)


def test_categorical_samples_follow_torchs_multinomial_search():
    # torch: per row, a float64 uniform per sample, the first class whose normalised cumsum >= it
    rng = _oracle()
    minitorch.manual_seed(7)
    rng.manual_seed(7)
    got = _np(md.Categorical(probs=minitorch.tensor(P)).sample((6,)))
    expected = np.empty((2, 6), np.int64)
    for r in range(2):
        cum = np.cumsum(P[r] / P[r].sum(), dtype=np.float32)
        cum = cum / cum[-1]
        cum[-1] = 1
        expected[r] = np.searchsorted(cum, rng._uniform_f64(rng._gen, 6), side="left")
    np.testing.assert_array_equal(got, expected.T)


def test_categorical_sample_frequencies_match_probs():
    minitorch.manual_seed(0)
    draws = _np(md.Categorical(probs=minitorch.tensor([0.2, 0.5, 0.3])).sample((20000,)))
    np.testing.assert_allclose(np.bincount(draws, minlength=3) / 20000, [0.2, 0.5, 0.3], atol=0.015)


def test_sample_is_outside_the_graph_and_rsample_inside():
    loc = minitorch.tensor([0.0, 1.0], requires_grad=True)
    d = md.Normal(loc, 1.0)
    assert not d.sample((2,)).requires_grad
    assert d.rsample((2,)).requires_grad


# ----- values: log_prob, entropy, moments ------------------------------------------------------
VALUES = {
    "categorical_log_prob": lambda L, D: D.Categorical(probs=_t(P, L)).log_prob(_t([[0, 2], [1, 1]], L)),
    "categorical_entropy": lambda L, D: D.Categorical(probs=_t(P, L)).entropy(),
    "categorical_logits": lambda L, D: D.Categorical(logits=_t(np.log(P) + 1, L)).logits,
    "categorical_logits_entropy": lambda L, D: D.Categorical(logits=_t([[0.0, -200.0, 3.0]], L)).entropy(),
    "categorical_zero_prob_entropy": lambda L, D: D.Categorical(probs=_t([0.0, 0.5, 0.5], L)).entropy(),
    "categorical_mode": lambda L, D: D.Categorical(probs=_t(P, L)).mode,
    "categorical_mean": lambda L, D: D.Categorical(probs=_t(P, L)).mean,
    "categorical_enumerate": lambda L, D: D.Categorical(probs=_t(P, L)).enumerate_support(),
    "one_hot_log_prob": lambda L, D: D.OneHotCategorical(probs=_t(P, L)).log_prob(_t([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], L)),
    "one_hot_mode": lambda L, D: D.OneHotCategorical(probs=_t(P, L)).mode,
    "one_hot_variance": lambda L, D: D.OneHotCategorical(probs=_t(P, L)).variance,
    "one_hot_enumerate": lambda L, D: D.OneHotCategorical(probs=_t(P, L)).enumerate_support(),
    "bernoulli_log_prob": lambda L, D: D.Bernoulli(probs=_t([0.2, 0.7, 0.5], L)).log_prob(_t([1.0, 0.0, 1.0], L)),
    "bernoulli_logits_log_prob": lambda L, D: D.Bernoulli(logits=_t([-3.0, 0.5], L)).log_prob(_t([1.0, 0.0], L)),
    "bernoulli_entropy": lambda L, D: D.Bernoulli(probs=_t([0.2, 0.7, 0.5], L)).entropy(),
    "bernoulli_mode": lambda L, D: D.Bernoulli(probs=_t([0.2, 0.7, 0.5], L)).mode,
    "bernoulli_variance": lambda L, D: D.Bernoulli(probs=_t([0.2, 0.7], L)).variance,
    "bernoulli_logits_from_probs": lambda L, D: D.Bernoulli(probs=_t([0.0, 0.3, 1.0], L)).logits,
    "bernoulli_enumerate": lambda L, D: D.Bernoulli(probs=_t([0.2, 0.7], L)).enumerate_support(),
    "normal_log_prob": lambda L, D: D.Normal(_t([0.0, 1.0], L), _t([1.0, 2.0], L)).log_prob(_t([[0.5, -1.0]], L)),
    "normal_entropy": lambda L, D: D.Normal(_t([0.0, 1.0], L), _t([1.0, 2.0], L)).entropy(),
    "normal_cdf": lambda L, D: D.Normal(_t([0.0, 1.0], L), _t([1.0, 2.0], L)).cdf(_t([0.5, -1.0], L)),
    "normal_icdf": lambda L, D: D.Normal(_t([0.0, 1.0], L), _t([1.0, 2.0], L)).icdf(_t([[0.025, 0.5], [0.999, 1e-6]], L)),
    "normal_icdf_ends": lambda L, D: D.Normal(0.0, 1.0).icdf(_t([0.0, 1.0, 1.5], L)),
    "normal_variance": lambda L, D: D.Normal(_t([0.0, 1.0], L), _t([1.5, 2.0], L)).variance,
    "normal_perplexity": lambda L, D: D.Normal(0.0, 2.0).perplexity(),
    "uniform_log_prob": lambda L, D: D.Uniform(_t([0.0, 1.0], L), _t([1.0, 3.0], L)).log_prob(_t([0.5, 2.0], L)),
    "uniform_log_prob_outside": lambda L, D: D.Uniform(0.0, 1.0, validate_args=False).log_prob(_t([-0.5, 1.0, 0.0], L)),
    "uniform_entropy": lambda L, D: D.Uniform(_t([0.0, 1.0], L), _t([1.0, 3.0], L)).entropy(),
    "uniform_moments": lambda L, D: L.stack([D.Uniform(_t([0.0, 1.0], L), _t([1.0, 3.0], L)).mean,
                                             D.Uniform(_t([0.0, 1.0], L), _t([1.0, 3.0], L)).stddev]),
    "uniform_cdf": lambda L, D: D.Uniform(0.0, 2.0).cdf(_t([0.5, 1.5], L)),
    "independent_log_prob": lambda L, D: D.Independent(D.Normal(_t(np.zeros((2, 3)), L), 2.0), 1).log_prob(
        _t(np.arange(6.0).reshape(2, 3) / 3, L)),
    "independent_entropy": lambda L, D: D.Independent(D.Normal(_t(np.zeros((2, 3)), L), 2.0), 2).entropy(),
    "mvn_scale_tril": lambda L, D: D.MultivariateNormal(_t([1.0, 0.0, -1.0], L), covariance_matrix=_t(COV, L)).scale_tril,
    "mvn_log_prob": lambda L, D: D.MultivariateNormal(_t([1.0, 0.0, -1.0], L), covariance_matrix=_t(COV, L)).log_prob(
        _t([[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]], L)),
    "mvn_log_prob_batched": lambda L, D: D.MultivariateNormal(
        _t(np.zeros((2, 3)), L), scale_tril=_t(np.stack([np.linalg.cholesky(COV), np.eye(3)]), L)).log_prob(
        _t(np.arange(12.0).reshape(2, 2, 3) / 5, L)),
    "mvn_entropy": lambda L, D: D.MultivariateNormal(_t(np.zeros((2, 3)), L), covariance_matrix=_t(COV, L)).entropy(),
    "mvn_precision": lambda L, D: D.MultivariateNormal(_t([1.0, 0.0, -1.0], L), covariance_matrix=_t(COV, L)).precision_matrix,
    "mvn_from_precision": lambda L, D: D.MultivariateNormal(_t([0.0, 0.0, 0.0], L), precision_matrix=_t(COV, L)).covariance_matrix,
    "mvn_variance": lambda L, D: D.MultivariateNormal(_t([0.0, 0.0, 0.0], L), covariance_matrix=_t(COV, L)).variance,
}


@requires_torch
@pytest.mark.parametrize("name", sorted(VALUES))
def test_values_match_torch(name):
    m, t = VALUES[name](minitorch, md), VALUES[name](torch, td)
    assert tuple(m.shape) == tuple(t.shape) and str(m.dtype) == str(t.dtype)
    np.testing.assert_allclose(_np(m), _np(t), rtol=2e-6, atol=2e-6, equal_nan=True)


def test_normal_log_prob_and_entropy_match_the_formula():
    loc, scale, x = np.float64([0.0, 1.0]), np.float64([1.0, 2.0]), np.float64([0.5, -1.0])
    d = md.Normal(minitorch.tensor(loc), minitorch.tensor(scale))
    expected = -((x - loc) ** 2) / (2 * scale ** 2) - np.log(scale) - 0.5 * np.log(2 * np.pi)
    np.testing.assert_allclose(_np(d.log_prob(minitorch.tensor(x))), expected, rtol=1e-12)
    np.testing.assert_allclose(_np(d.entropy()), 0.5 + 0.5 * np.log(2 * np.pi) + np.log(scale), rtol=1e-12)


def test_normal_icdf_inverts_cdf():
    d = md.Normal(minitorch.tensor([0.5], dtype=minitorch.float64), 2.0)
    q = minitorch.tensor(np.linspace(0.001, 0.999, 101), dtype=minitorch.float64).unsqueeze(-1)
    np.testing.assert_allclose(_np(d.cdf(d.icdf(q))), _np(q), rtol=1e-12)
    assert _np(d.icdf(minitorch.tensor([0.5], dtype=minitorch.float64)))[0] == pytest.approx(0.5, abs=1e-15)


def test_categorical_log_prob_and_entropy_match_the_formula():
    d = md.Categorical(probs=minitorch.tensor(P * 3))
    np.testing.assert_allclose(_np(d.log_prob(minitorch.tensor([2, 0]))), np.log([P[0, 2], P[1, 0]]), rtol=1e-6)
    np.testing.assert_allclose(_np(d.entropy()), -(P * np.log(P)).sum(-1), rtol=1e-6)


def test_mvn_log_prob_matches_the_dense_formula():
    x = np.float64([[0.3, -1.0, 2.0], [1.0, 1.0, 1.0]])
    loc, cov = np.float64([1.0, 0.0, -1.0]), COV.astype(np.float64)
    d = md.MultivariateNormal(minitorch.tensor(loc), covariance_matrix=minitorch.tensor(cov))
    diff = x - loc
    maha = np.einsum("bi,ij,bj->b", diff, np.linalg.inv(cov), diff)
    expected = -0.5 * (3 * np.log(2 * np.pi) + np.log(np.linalg.det(cov)) + maha)
    np.testing.assert_allclose(_np(d.log_prob(minitorch.tensor(x))), expected, rtol=1e-10)
    np.testing.assert_allclose(_np(d.precision_matrix), np.linalg.inv(cov), rtol=1e-10)


@given(st.integers(1, 4), st.integers(1, 4), st.data())
@hsettings(max_examples=20)
def test_normal_log_prob_of_non_contiguous_values(rows, cols, data):
    x = np.asarray(data.draw(st.lists(st.floats(-5, 5), min_size=rows * cols, max_size=rows * cols)),
                   np.float64).reshape(cols, rows)
    value = minitorch.tensor(x).t()  # a transposed, non-contiguous view
    d = md.Normal(minitorch.tensor(np.linspace(-1, 1, cols)), 1.5)
    expected = -((x.T - np.linspace(-1, 1, cols)) ** 2) / 4.5 - np.log(1.5) - 0.5 * np.log(2 * np.pi)
    np.testing.assert_allclose(_np(d.log_prob(value)), expected, rtol=1e-12, atol=1e-12)


@given(st.integers(1, 4), st.lists(st.integers(1, 3), max_size=2), st.integers(0, 2**31 - 1))
@hsettings(max_examples=25)
def test_cholesky_and_triangular_solve_match_numpy_on_non_contiguous_batches(n, batch, seed):
    from minitorch.distributions._linalg import cholesky, solve_triangular
    rng = np.random.default_rng(seed)
    m = rng.standard_normal(tuple(batch) + (n, n))
    spd = m @ np.swapaxes(m, -1, -2) + n * np.eye(n)
    a = minitorch.tensor(np.ascontiguousarray(np.swapaxes(spd, -1, -2))).mT  # a transposed view
    assert not a.is_contiguous() or n == 1
    lower = cholesky(a)
    np.testing.assert_allclose(_np(lower), np.linalg.cholesky(spd), rtol=1e-10, atol=1e-12)
    b = rng.standard_normal((n, 2))
    x = solve_triangular(lower, minitorch.tensor(b), upper=False)
    np.testing.assert_allclose(_np(x), np.linalg.solve(np.linalg.cholesky(spd), b), rtol=1e-9, atol=1e-10)
    x_up = solve_triangular(lower.mT, minitorch.tensor(b), upper=True)
    np.testing.assert_allclose(_np(x_up), np.linalg.solve(np.swapaxes(np.linalg.cholesky(spd), -1, -2), b),
                               rtol=1e-9, atol=1e-10)


# ----- gradients ----------------------------------------------------------------------------------
def _f64(x, grad=True):
    return minitorch.tensor(np.asarray(x, np.float64), requires_grad=grad)


def _seeded_rsample(make):
    def f(*params):
        minitorch.manual_seed(0)
        return make(*params).rsample((3,))
    return f


def _spd(a):
    """A symmetric positive-definite matrix from any square a (what the gradient checks perturb)."""
    return a @ a.mT + 0.5 * minitorch.eye(a.shape[-1], dtype=a.dtype)


GRADCHECKS = {
    "normal_rsample": (_seeded_rsample(lambda loc, scale: md.Normal(loc, scale)), [[0.0, 1.0], [1.0, 2.0]]),
    "normal_log_prob": (lambda loc, scale: md.Normal(loc, scale).log_prob(_f64([0.5, -1.0], False)),
                        [[0.0, 1.0], [1.0, 2.0]]),
    "normal_icdf": (lambda loc, scale, q: md.Normal(loc, scale).icdf(q), [[0.0, 1.0], [1.0, 2.0], [0.1, 0.97]]),
    "uniform_rsample": (_seeded_rsample(lambda low, high: md.Uniform(low, high)), [[0.0, 1.0], [1.0, 3.0]]),
    "categorical_log_prob_logits": (lambda logits: md.Categorical(logits=logits).log_prob(minitorch.tensor([2, 0])),
                                    [np.log(P) + 0.3]),
    "categorical_entropy_probs": (lambda probs: md.Categorical(probs=probs).entropy(), [P]),
    "bernoulli_log_prob_logits": (lambda logits: md.Bernoulli(logits=logits).log_prob(_f64([1.0, 0.0], False)),
                                  [[-1.0, 0.5]]),
    "bernoulli_entropy_probs": (lambda probs: md.Bernoulli(probs=probs).entropy(), [[0.2, 0.7]]),
    "mvn_log_prob_covariance": (lambda loc, a: md.MultivariateNormal(loc, covariance_matrix=_spd(a)).log_prob(
        _f64([[0.3, -1.0, 2.0], [1.0, 0.0, 0.5]], False)), [[1.0, 0.0, -1.0], np.linalg.cholesky(COV)]),
    "mvn_log_prob_precision": (lambda a: md.MultivariateNormal(_f64([0.0, 0.0, 0.0], False), precision_matrix=_spd(a))
                               .log_prob(_f64([0.3, -1.0, 2.0], False)), [np.linalg.cholesky(COV)]),
    "mvn_rsample_scale_tril": (_seeded_rsample(lambda loc, tril: md.MultivariateNormal(loc, scale_tril=tril.tril())),
                               [[1.0, 0.0, -1.0], np.linalg.cholesky(COV)]),
    "kl_normal_normal": (lambda a, b: md.kl_divergence(md.Normal(a, b), md.Normal(b, a + 1)), [[0.5, 1.0], [1.0, 2.0]]),
    "kl_mvn_mvn": (lambda a, b: md.kl_divergence(md.MultivariateNormal(a[0], covariance_matrix=_spd(b)),
                                                 md.MultivariateNormal(a[1], scale_tril=b.tril() + minitorch.eye(3, dtype=b.dtype))),
                   [[[1.0, 0.0, -1.0], [0.0, 0.5, 0.0]], np.linalg.cholesky(COV)]),
}


@pytest.mark.parametrize("name", sorted(GRADCHECKS))
def test_gradients_match_central_differences(name):
    fn, params = GRADCHECKS[name]
    assert gradcheck(fn, tuple(_f64(p) for p in params))


@requires_torch
@pytest.mark.parametrize("name", sorted(GRADCHECKS))
def test_gradients_match_torch(name):
    fn, params = GRADCHECKS[name]
    m_params = [_f64(p) for p in params]
    fn(*m_params).sum().backward()
    # the same program on torch: swap the modules the lambdas close over
    t_params = [torch.tensor(np.asarray(p, np.float64), requires_grad=True) for p in params]
    globals_ = fn.__globals__
    saved = globals_["minitorch"], globals_["md"]
    globals_["minitorch"], globals_["md"] = torch, td
    try:
        fn(*t_params).sum().backward()
    finally:
        globals_["minitorch"], globals_["md"] = saved
    for m, t in zip(m_params, t_params):
        np.testing.assert_allclose(_np(m.grad), t.grad.numpy(), rtol=1e-9, atol=1e-10)


def test_straight_through_rsample_is_a_one_hot_draw_with_the_gradient_of_probs():
    weights = minitorch.tensor(np.arange(6.0).reshape(2, 3))
    logits = minitorch.tensor(np.log(P).astype(np.float64), requires_grad=True)
    d = md.OneHotCategoricalStraightThrough(logits=logits)
    minitorch.manual_seed(2)
    draw = d.rsample()
    assert set(_np(draw).ravel()) <= {0.0, 1.0} and (_np(draw).sum(-1) == 1).all()
    (draw * weights).sum().backward()
    logits_again = minitorch.tensor(np.log(P).astype(np.float64), requires_grad=True)
    (logits_again.softmax(-1) * weights).sum().backward()
    np.testing.assert_allclose(_np(logits.grad), _np(logits_again.grad), rtol=1e-12)


# ----- KL divergence --------------------------------------------------------------------------
KLS = {
    "bernoulli": lambda L, D: D.kl_divergence(D.Bernoulli(probs=_t([0.2, 0.0, 1.0, 0.5], L)),
                                              D.Bernoulli(logits=_t([0.3, -2.0, 1.0, 25.0], L))),
    "bernoulli_to_certain": lambda L, D: D.kl_divergence(D.Bernoulli(probs=_t([0.2, 0.5], L)),
                                                         D.Bernoulli(probs=_t([0.0, 1.0], L))),
    "categorical": lambda L, D: D.kl_divergence(D.Categorical(probs=_t(P, L)), D.Categorical(probs=_t(P[::-1].copy(), L))),
    "categorical_zero": lambda L, D: D.kl_divergence(D.Categorical(probs=_t([0.0, 0.5, 0.5], L)),
                                                     D.Categorical(probs=_t([0.5, 0.0, 0.5], L))),
    "one_hot": lambda L, D: D.kl_divergence(D.OneHotCategorical(probs=_t(P, L)), D.OneHotCategorical(logits=_t(P, L))),
    "normal": lambda L, D: D.kl_divergence(D.Normal(_t([0.0, 1.0], L), _t([1.0, 2.0], L)), D.Normal(_t([1.0, 0.0], L), 0.5)),
    "uniform": lambda L, D: D.kl_divergence(D.Uniform(_t([0.0, 1.0], L), _t([1.0, 3.0], L)),
                                            D.Uniform(_t([-1.0, 1.5], L), _t([2.0, 4.0], L))),
    "normal_uniform": lambda L, D: D.kl_divergence(D.Normal(_t([0.0, 1.0], L), 1.0), D.Uniform(-1.0, 1.0)),
    "uniform_normal": lambda L, D: D.kl_divergence(D.Uniform(_t([0.0, 1.0], L), _t([1.0, 3.0], L)), D.Normal(0.5, 2.0)),
    "independent": lambda L, D: D.kl_divergence(D.Independent(D.Normal(_t(np.zeros((2, 3)), L), 1.0), 1),
                                                D.Independent(D.Normal(_t(np.ones((2, 3)), L), 2.0), 1)),
    "mvn": lambda L, D: D.kl_divergence(D.MultivariateNormal(_t([1.0, 0.0, -1.0], L), covariance_matrix=_t(COV, L)),
                                        D.MultivariateNormal(_t(np.zeros((2, 3)), L), precision_matrix=_t(COV, L))),
}


@requires_torch
@pytest.mark.parametrize("name", sorted(KLS))
def test_kl_divergence_matches_torch(name):
    m, t = KLS[name](minitorch, md), KLS[name](torch, td)
    assert tuple(m.shape) == tuple(t.shape)
    np.testing.assert_allclose(_np(m), _np(t), rtol=2e-6, atol=2e-6)


def test_kl_normal_normal_matches_the_closed_form():
    kl = md.kl_divergence(md.Normal(minitorch.tensor([0.0]), 1.0), md.Normal(minitorch.tensor([1.0]), 2.0))
    assert _np(kl)[0] == pytest.approx(math.log(2.0) + (1 + 1) / 8 - 0.5, rel=1e-6)


def test_kl_of_a_distribution_with_itself_is_zero():
    d = md.MultivariateNormal(minitorch.zeros(3, dtype=minitorch.float64),
                              covariance_matrix=minitorch.tensor(COV.astype(np.float64)))
    assert abs(_np(md.kl_divergence(d, d))).max() < 1e-12


def test_register_kl_picks_the_most_specific_pair_and_warns_when_ambiguous():
    class MyNormal(md.Normal):
        pass

    @md.register_kl(MyNormal, md.Normal)
    def _kl_mine(p, q):
        return p.loc * 0 + 42

    p, q = MyNormal(0.0, 1.0), md.Normal(0.0, 1.0)
    assert md.kl_divergence(p, q).item() == 42
    assert md.kl_divergence(q, q).item() == 0

    @md.register_kl(md.Normal, MyNormal)
    def _kl_mine_right(p, q):
        return p.loc * 0 + 7

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert md.kl_divergence(p, MyNormal(0.0, 1.0)).item() == 42
    assert any("Ambiguous kl_divergence(MyNormal, MyNormal)" in str(w.message) for w in caught)


class _Exponential(md.ExponentialFamily):
    """rate * exp(-rate x): natural parameter -rate, log normaliser -log(-theta); no KL registered."""

    arg_constraints = {}

    def __init__(self, rate):
        self.rate = rate
        super().__init__(rate.shape)

    @property
    def _natural_params(self):
        return (-self.rate,)

    def _log_normalizer(self, x):
        return -(-x).log()

    _mean_carrier_measure = 0


def test_exponential_family_entropy_and_kl_are_the_bregman_divergences_of_the_log_normaliser():
    rate_p, rate_q = np.float64([0.5, 2.0]), np.float64([1.0, 3.0])
    p, q = _Exponential(minitorch.tensor(rate_p)), _Exponential(minitorch.tensor(rate_q))
    np.testing.assert_allclose(_np(p.entropy()), 1 - np.log(rate_p), rtol=1e-12)
    expected = np.log(rate_p / rate_q) + rate_q / rate_p - 1
    np.testing.assert_allclose(_np(md.kl_divergence(p, q)), expected, rtol=1e-12)
    # the closed forms of Normal and Bernoulli agree with the generic ones
    n1 = md.Normal(minitorch.tensor([0.0, 1.0], dtype=minitorch.float64), 2.0)
    n2 = md.Normal(minitorch.tensor([1.0, -1.0], dtype=minitorch.float64), 0.5)
    np.testing.assert_allclose(_np(md.ExponentialFamily.entropy(n1)), _np(n1.entropy()), rtol=1e-12)
    np.testing.assert_allclose(_np(md.kl.__dict__["_kl_expfamily_expfamily"](n1, n2)),
                               _np(md.kl_divergence(n1, n2)), rtol=1e-12)
    b = md.Bernoulli(probs=minitorch.tensor([0.2, 0.7], dtype=minitorch.float64))
    np.testing.assert_allclose(_np(md.ExponentialFamily.entropy(b)), _np(b.entropy()), rtol=1e-12)


# ----- shapes, expand, repr ---------------------------------------------------------------------
SHAPES = {
    "categorical": lambda L, D: D.Categorical(probs=_t(np.ones((4, 2, 3)), L)),
    "one_hot": lambda L, D: D.OneHotCategorical(logits=_t(np.ones((2, 3)), L)),
    "bernoulli_scalar": lambda L, D: D.Bernoulli(0.3),
    "normal_broadcast": lambda L, D: D.Normal(_t(np.zeros((2, 1)), L), _t(np.ones(3), L)),
    "uniform": lambda L, D: D.Uniform(0.0, _t([1.0, 2.0], L)),
    "independent_2": lambda L, D: D.Independent(D.Normal(_t(np.zeros((4, 2, 3)), L), 1.0), 2),
    "mvn_broadcast": lambda L, D: D.MultivariateNormal(_t(np.zeros((4, 1, 3)), L), covariance_matrix=_t(np.stack([COV] * 2), L)),
}


@requires_torch
@pytest.mark.parametrize("name", sorted(SHAPES))
def test_shapes_expand_and_repr_match_torch(name):
    m, t = SHAPES[name](minitorch, md), SHAPES[name](torch, td)
    assert (tuple(m.batch_shape), tuple(m.event_shape)) == (tuple(t.batch_shape), tuple(t.event_shape))
    assert repr(m) == repr(t)
    assert repr(m.support) == repr(t.support)
    new_batch = (5,) + tuple(t.batch_shape)
    me, te = m.expand(new_batch), t.expand(new_batch)
    assert (tuple(me.batch_shape), tuple(me.event_shape)) == (tuple(te.batch_shape), tuple(te.event_shape))
    assert type(me) is type(m)
    minitorch.manual_seed(1)
    torch.manual_seed(1)
    ms, ts = me.sample((2,)), te.sample((2,))
    assert tuple(ms.shape) == tuple(ts.shape)
    np.testing.assert_array_equal(_np(ms), ts.numpy())
    np.testing.assert_allclose(_np(me.log_prob(ms)), te.log_prob(ts).numpy(), rtol=2e-6, atol=2e-6)


def test_sample_shape_prepends_to_batch_and_event_shape():
    d = md.Independent(md.Normal(minitorch.zeros(4, 3), 1.0), 1)
    assert d.sample((2, 5)).shape == (2, 5, 4, 3)
    assert d.log_prob(d.sample((2, 5))).shape == (2, 5, 4)
    assert md.Categorical(logits=minitorch.zeros(4, 3)).sample(minitorch.Size([7])).shape == (7, 4)


def test_mvn_graph_nodes_are_named_as_torchs():
    cov = minitorch.tensor(COV, requires_grad=True)
    d = md.MultivariateNormal(minitorch.zeros(3), covariance_matrix=cov)
    assert d._unbroadcasted_scale_tril.grad_fn.name() == "LinalgCholeskyExBackward0"
    assert d.log_prob(minitorch.zeros(3)).grad_fn is not None
    assert "LinalgSolveTriangularBackward0" in _graph_names(d.log_prob(minitorch.zeros(3)).grad_fn)


def _graph_names(root) -> set:
    """The names of every node of the graph below root."""
    names, seen, stack = set(), set(), [root]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        names.add(node.name())
        stack.extend(child for child, _ in node.next_functions)
    return names


def test_lazy_parameterisation_is_computed_once_from_the_given_one():
    d = md.Categorical(logits=minitorch.tensor([0.0, math.log(3.0)]))
    assert "probs" not in d.__dict__
    np.testing.assert_allclose(_np(d.probs), [0.25, 0.75], rtol=1e-6)
    assert d.__dict__["probs"] is d.probs


# ----- validation and errors --------------------------------------------------------------------
ERRORS = {
    "normal_negative_scale": lambda L, D: D.Normal(0.0, -1.0),
    "normal_tensor_scale": lambda L, D: D.Normal(_t([0.0, 1.0], L), _t([1.0, -2.0], L)),
    "normal_nan_loc": lambda L, D: D.Normal(_t([0.0, float("nan")], L), 1.0),
    "categorical_negative_probs": lambda L, D: D.Categorical(probs=_t([-0.1, 1.1], L)),
    "categorical_both": lambda L, D: D.Categorical(probs=_t([0.2, 0.8], L), logits=_t([0.2, 0.8], L)),
    "categorical_neither": lambda L, D: D.Categorical(),
    "categorical_0d": lambda L, D: D.Categorical(probs=_t(0.5, L)),
    "categorical_0d_logits": lambda L, D: D.Categorical(logits=_t(0.5, L)),
    "bernoulli_probs_above_1": lambda L, D: D.Bernoulli(probs=_t([0.2, 1.5], L)),
    "uniform_low_above_high": lambda L, D: D.Uniform(_t([0.0, 2.0], L), _t([1.0, 1.0], L)),
    "uniform_value_outside": lambda L, D: D.Uniform(0.0, 1.0).log_prob(_t([2.0], L)),
    "normal_value_not_broadcastable": lambda L, D: D.Normal(_t([0.0, 1.0], L), 1.0).log_prob(_t([1.0, 2.0, 3.0], L)),
    "normal_value_not_tensor": lambda L, D: D.Normal(0.0, 1.0).log_prob(1.0),
    "categorical_value_out_of_range": lambda L, D: D.Categorical(probs=_t([0.2, 0.8], L)).log_prob(_t([2], L)),
    "bernoulli_value_not_binary": lambda L, D: D.Bernoulli(probs=_t([0.2], L)).log_prob(_t([0.5], L)),
    "one_hot_value_not_one_hot": lambda L, D: D.OneHotCategorical(probs=_t([0.2, 0.8], L)).log_prob(_t([1.0, 1.0], L)),
    "one_hot_wrong_event_shape": lambda L, D: D.OneHotCategorical(probs=_t([0.2, 0.8], L)).log_prob(_t([1.0, 0.0, 0.0], L)),
    "mvn_not_positive_definite": lambda L, D: D.MultivariateNormal(_t([0.0, 0.0], L), covariance_matrix=_t([[1.0, 2.0], [2.0, 1.0]], L)),
    "mvn_not_symmetric": lambda L, D: D.MultivariateNormal(_t([0.0, 0.0], L), covariance_matrix=_t([[1.0, 2.0], [0.0, 1.0]], L)),
    "mvn_bad_scale_tril": lambda L, D: D.MultivariateNormal(_t([0.0, 0.0], L), scale_tril=_t([[1.0, 0.0], [2.0, -1.0]], L)),
    "mvn_no_matrix": lambda L, D: D.MultivariateNormal(_t([0.0, 0.0], L)),
    "mvn_0d_loc": lambda L, D: D.MultivariateNormal(_t(0.0, L), scale_tril=_t([[1.0]], L)),
    "mvn_1d_matrix": lambda L, D: D.MultivariateNormal(_t([0.0], L), covariance_matrix=_t([1.0], L)),
    "independent_too_many_dims": lambda L, D: D.Independent(D.Normal(0.0, 1.0), 1),
    "independent_enumerate": lambda L, D: D.Independent(D.Bernoulli(_t([0.5, 0.5], L)), 1).enumerate_support(),
    "kl_across_exponential_families": lambda L, D: D.kl_divergence(D.Bernoulli(0.3), D.Normal(0.0, 1.0)),
    "kl_not_registered": lambda L, D: D.kl_divergence(D.Categorical(_t([0.5, 0.5], L)), D.Normal(0.0, 1.0)),
    "kl_mvn_event_shapes": lambda L, D: D.kl_divergence(D.MultivariateNormal(_t([0.0, 0.0], L), scale_tril=_t(np.eye(2), L)),
                                                        D.MultivariateNormal(_t([0.0], L), scale_tril=_t([[1.0]], L))),
    "set_default_validate_args_not_bool": lambda L, D: D.Distribution.set_default_validate_args(2),
    "base_distribution_has_no_mode": lambda L, D: D.Distribution(validate_args=False).mode,
}


@requires_torch
@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_match_torchs_type_and_message(name):
    raised = []
    for lib, D in ((minitorch, md), (torch, td)):
        with pytest.raises(Exception) as info:
            ERRORS[name](lib, D)
        raised.append(info.value)
    assert type(raised[0]) is type(raised[1]) or isinstance(raised[0], type(raised[1]))
    assert str(raised[0]).replace("minitorch.distributions", "torch.distributions") == str(raised[1])


def test_invalid_parameters_raise_value_error_naming_the_constraint():
    with pytest.raises(ValueError, match=r"Expected parameter scale \(Tensor of shape \(\)\) of distribution "
                                         r"Normal\(loc: 0.0, scale: -1.0\) to satisfy the constraint "
                                         r"GreaterThan\(lower_bound=0.0\), but found invalid values:\n-1.0"):
        md.Normal(0.0, -1.0)
    with pytest.raises(ValueError, match="Simplex"):
        md.Categorical(probs=minitorch.tensor([-0.1, 1.1]))


def test_mvn_without_validation_raises_the_cholesky_error():
    with pytest.raises(RuntimeError, match=r"linalg.cholesky: The factorization could not be completed because the "
                                           r"input is not positive-definite \(the leading minor of order 2 is not "
                                           r"positive-definite\)."):
        md.MultivariateNormal(minitorch.zeros(2), covariance_matrix=minitorch.tensor([[1.0, 2.0], [2.0, 1.0]]),
                              validate_args=False)


def test_validate_args_false_and_the_default_switch():
    md.Normal(0.0, -1.0, validate_args=False)  # no check
    try:
        md.Distribution.set_default_validate_args(False)
        d = md.Normal(0.0, -1.0)
        assert math.isnan(d.log_prob(minitorch.tensor(0.0)).item())
    finally:
        md.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        md.Normal(0.0, -1.0)


def test_sample_n_warns_as_deprecated():
    with pytest.warns(FutureWarning, match=r"Use `sample\(\(n,\)\)` instead"):
        assert md.Normal(0.0, 1.0).sample_n(3).shape == (3,)


# ----- a real program: REINFORCE (pytorch/examples), ported by its imports --------------------
PROGRAMS = Path(__file__).resolve().parent / "programs"


def _run_program(source: str, name: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, name, "exec"), {"__name__": "__main__"})
    return out.getvalue()


def _numbers(text: str) -> list:
    return [float(v) for v in re.findall(r"-?\d+\.\d+", text)]


@requires_torch
def test_reinforce_program_prints_torchs_rewards_and_losses():
    source = (PROGRAMS / "reinforce.py").read_text()
    torch_source = re.sub(r"^(import|from) minitorch\b", r"\1 torch", source, flags=re.M)
    changed = [a for a, b in zip(source.splitlines(), torch_source.splitlines()) if a != b]
    assert changed and all(re.match(r"(import|from) minitorch", line) for line in changed)
    ours, theirs = _run_program(source, "reinforce.py"), _run_program(torch_source, "reinforce.py")
    # the same episodes (every sampled action and dropout mask agree), the same losses to float32 rounding
    assert re.sub(r"loss \S+", "", ours) == re.sub(r"loss \S+", "", theirs)
    assert len(ours.splitlines()) == 6
    np.testing.assert_allclose(_numbers(ours), _numbers(theirs), rtol=1e-4, atol=1e-5)


def test_reinforce_program_learns_to_walk_right():
    out = _run_program((PROGRAMS / "reinforce.py").read_text(), "reinforce.py")
    averages = [float(v) for v in re.findall(r"Average reward: (\S+)", out)]
    assert len(averages) == 6 and averages[-1] > averages[0] + 0.2
