"""torch.special's Bessel functions (minitorch/_ops/special_bessel.py, _backends/bessel_kernels.py):
float64 values against torch's on both sides of each Cephes regime boundary, float32 within
rounding of torch's float64, identities that hold without torch (Wronskians, j0' = -j1, i0/i1
against special.i0/i1, sin x / x), the special values, no gradient, dtypes, out= and errors."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitorch
from tests._compat import requires_torch, torch
from tests.strategies import hsettings, tensors

NAMES = ["bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_i0", "modified_bessel_i1",
         "modified_bessel_k0", "modified_bessel_k1", "spherical_bessel_j0", "airy_ai"]

# every regime boundary (1e-5 for j0, 0.5 for spherical_j0, 2 for k, 5 for j/y, 8 for i,
# +-2.09, 8.3203353 and 103.892 for airy_ai), either side
_EDGES = [1e-5, 0.5, 2.0, 2.09, 5.0, 8.0, 8.3203353, 103.892]
POINTS = np.unique(np.concatenate([
    np.linspace(-40, 40, 801), np.geomspace(1e-8, 700, 300), -np.geomspace(1e-8, 700, 300),
    [e * f for e in _EDGES for f in (1 - 1e-12, 1, 1 + 1e-12)],
    [-e for e in _EDGES], [0.0, -0.0, 1e-300, 1e5, 1e10]]))
SPECIAL = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0])


def _mt(name, x):
    return getattr(minitorch.special, name)(x)


def _np(name, arr):
    return _mt(name, minitorch.tensor(arr)).numpy()


@requires_torch
@pytest.mark.parametrize("name", NAMES)
def test_float64_matches_torch_across_the_regime_boundaries(name):
    x = np.concatenate([POINTS, SPECIAL])
    got = _np(name, x)
    want = getattr(torch.special, name)(torch.tensor(x)).numpy()
    # rtol: the same algorithm, rounded differently (libm's sin/cos/exp/log); atol: near the
    # zeros of J and Y, where the value is a difference of two O(1) terms
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    assert got.dtype == np.float64


@requires_torch
@pytest.mark.parametrize("name", NAMES)
def test_float32_is_torch_float64_rounded(name):
    x = np.concatenate([POINTS[np.abs(POINTS) < 80], SPECIAL]).astype(np.float32)
    got = _np(name, x)
    assert got.dtype == np.float32
    want = getattr(torch.special, name)(torch.tensor(x, dtype=torch.float64)).numpy()
    finite = np.isfinite(want) & (np.abs(want) < 3e38)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(got[~finite & ~np.isnan(want)], want[~finite & ~np.isnan(want)])
    spacing = np.spacing(np.abs(want[finite]).astype(np.float32)).astype(np.float64)
    assert np.all(np.abs(got[finite] - want[finite]) <= spacing + 1e-37)


def test_wronskians():
    # J1 Y0 - J0 Y1 = 2 / (pi x) and I0 K1 + I1 K0 = 1 / x (DLMF 10.5.2, 10.28.2)
    x = np.geomspace(0.05, 60, 400)
    j0, j1, y0, y1 = (_np(n, x) for n in ("bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1"))
    # (to 2e-6 only: PyTorch's J0/J1/Y0/Y1 evaluate Cephes' monic denominators without their
    # leading 1, an error of ~4e-7 just above x = 5 that minitorch reproduces; I and K are exact)
    np.testing.assert_allclose(x * (j1 * y0 - j0 * y1), 2 / math.pi, rtol=2e-6)
    x = np.geomspace(0.05, 600, 400)
    i0, i1, k0, k1 = (_np(n, x) for n in ("modified_bessel_i0", "modified_bessel_i1",
                                          "modified_bessel_k0", "modified_bessel_k1"))
    np.testing.assert_allclose(x * (i0 * k1 + i1 * k0), 1.0, rtol=1e-13)


def test_derivative_identities_by_central_differences():
    # J0' = -J1, Y0' = -Y1 (to 5e-6: PyTorch's approximation error, see above), I0' = I1,
    # K0' = -K1 (DLMF 10.6.3, 10.29.3); no difference straddles a regime boundary
    x = np.linspace(0.3, 30, 200)
    x = x[np.min(np.abs(x[:, None] - np.array([2.0, 5.0, 8.0])), axis=1) > 1e-3]
    h = 1e-5
    for f, d, sign, tol in (("bessel_j0", "bessel_j1", -1, 5e-6), ("bessel_y0", "bessel_y1", -1, 5e-6),
                            ("modified_bessel_i0", "modified_bessel_i1", 1, 1e-8),
                            ("modified_bessel_k0", "modified_bessel_k1", -1, 1e-8)):
        slope = (_np(f, x + h) - _np(f, x - h)) / (2 * h)
        np.testing.assert_allclose(slope, sign * _np(d, x), rtol=tol, atol=tol, err_msg=f)


def test_agreement_with_the_other_minitorch_functions():
    x = np.linspace(-50, 50, 1001)
    t = minitorch.tensor(x)
    np.testing.assert_allclose(_np("modified_bessel_i0", x), minitorch.special.i0(t).numpy(), rtol=1e-13)
    np.testing.assert_allclose(_np("modified_bessel_i1", x), minitorch.special.i1(t).numpy(), rtol=1e-13)
    np.testing.assert_allclose(_np("modified_bessel_i0", x) * np.exp(-np.abs(x)),
                               minitorch.special.i0e(t).numpy(), rtol=1e-13)
    nonzero = x[x != 0]
    np.testing.assert_allclose(_np("spherical_bessel_j0", nonzero), np.sin(nonzero) / nonzero, rtol=1e-14)


def test_airy_ai_solves_airys_equation():
    # Ai'' = x Ai, by second central differences away from the regime boundaries; Ai(0) and
    # Ai'(0) are 3^(-2/3) / Gamma(2/3) and -3^(-1/3) / Gamma(1/3) (DLMF 9.2.3, 9.2.4)
    x = np.linspace(-12, 12, 241)
    x = x[np.min(np.abs(x[:, None] - np.array([-2.09, 2.09])), axis=1) > 1e-2]
    h = 1e-4  # (truncation h^2 |Ai^(4)| / 12 < 1e-6 on [-12, 12]; rounding ~1e-8)
    second = (_np("airy_ai", x + h) - 2 * _np("airy_ai", x) + _np("airy_ai", x - h)) / (h * h)
    # (PyTorch's asymptotic form is off by up to ~3e-6 on [-3, -2.09] (against mpmath);
    # minitorch reproduces it, so 1e-4 there)
    near = (x > -3) & (x < -2.09)
    np.testing.assert_allclose(second[~near], (x * _np("airy_ai", x))[~near], rtol=0, atol=2e-6)
    np.testing.assert_allclose(second[near], (x * _np("airy_ai", x))[near], rtol=0, atol=1e-4)
    at0 = _np("airy_ai", np.array([0.0, -1e-6, 1e-6]))
    assert at0[0] == pytest.approx(3 ** (-2 / 3) / math.gamma(2 / 3), rel=1e-15)
    assert (at0[2] - at0[1]) / 2e-6 == pytest.approx(-(3 ** (-1 / 3)) / math.gamma(1 / 3), rel=1e-8)
    assert np.isnan(_np("airy_ai", np.array([math.inf, -math.inf]))).all()
    assert _np("airy_ai", np.array([104.0]))[0] == 0.0


def test_special_values():
    s = np.array([0.0, -1.0, np.nan])
    assert _np("bessel_j0", np.array([0.0]))[0] == 1.0
    assert _np("bessel_j1", np.array([0.0]))[0] == 0.0
    for name in ("bessel_y0", "bessel_y1"):
        out = _np(name, s)
        assert out[0] == -math.inf and np.isnan(out[1]) and np.isnan(out[2])
    for name in ("modified_bessel_k0", "modified_bessel_k1"):
        out = _np(name, s)
        assert out[0] == math.inf and np.isnan(out[1]) and np.isnan(out[2])
    assert _np("spherical_bessel_j0", np.array([0.0, np.inf, -np.inf])).tolist() == [1.0, 0.0, 0.0]
    assert _np("modified_bessel_i0", np.array([0.0]))[0] == 1.0
    # odd and even functions
    x = np.linspace(0.1, 30, 50)
    np.testing.assert_array_equal(_np("bessel_j1", -x), -_np("bessel_j1", x))
    np.testing.assert_array_equal(_np("bessel_j0", -x), _np("bessel_j0", x))
    np.testing.assert_array_equal(_np("modified_bessel_i1", -x), -_np("modified_bessel_i1", x))


@pytest.mark.parametrize("name", NAMES)
def test_no_gradient_as_torch(name):
    x = minitorch.tensor([1.5, 3.0], requires_grad=True)
    y = _mt(name, x)
    assert not y.requires_grad and y.grad_fn is None
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.sum().backward()


@pytest.mark.parametrize("name", NAMES)
def test_dtypes_out_and_errors(name):
    ints = _mt(name, minitorch.tensor([1, 2, 3]))
    assert ints.dtype == minitorch.float32
    np.testing.assert_allclose(ints.numpy(), _np(name, np.array([1.0, 2.0, 3.0], np.float32)))
    assert _mt(name, minitorch.tensor([True])).dtype == minitorch.float32
    out = minitorch.empty(3, dtype=minitorch.float64)
    res = getattr(minitorch.special, name)(minitorch.tensor([1.0, 2.0, 6.0], dtype=minitorch.float64), out=out)
    assert res is out
    np.testing.assert_array_equal(out.numpy(), _np(name, np.array([1.0, 2.0, 6.0])))
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        getattr(minitorch.special, name)(minitorch.tensor([1.0]), out=minitorch.empty(1, dtype=minitorch.int64))
    arg = "x" if name in ("spherical_bessel_j0", "airy_ai") else "input"
    with pytest.raises(TypeError, match=rf"special_{name}\(\): argument '{arg}' \(position 1\) must be Tensor, not float"):
        getattr(minitorch.special, name)(1.0)


@requires_torch
@pytest.mark.parametrize("name", NAMES)
def test_errors_match_torch(name):
    for call in (lambda m: getattr(m.special, name)(1.0),
                 lambda m: getattr(m.special, name)(m.tensor([1.0]), out=m.empty(1, dtype=m.int64))):
        with pytest.raises(Exception) as theirs:
            call(torch)
        with pytest.raises(type(theirs.value)) as ours:
            call(minitorch)
        assert str(ours.value) == str(theirs.value)


@given(tensors(dtype="float64", lo=-30, hi=30), st.sampled_from(NAMES))
@hsettings(max_examples=30)
def test_noncontiguous_inputs_give_the_contiguous_values(drawn, name):
    arr, t = drawn
    got = _mt(name, t)
    assert got.shape == t.shape
    want = _np(name, np.ascontiguousarray(arr))
    np.testing.assert_array_equal(got.numpy(), want)
    if torch is not None:
        ref = getattr(torch.special, name)(torch.tensor(arr)).numpy()
        np.testing.assert_allclose(got.numpy(), ref, rtol=1e-12, atol=1e-15)


# ----- zeta ----------------------------------------------------------------------------------------
ZX = np.array([1.0, 1.0 + 1e-9, 1.5, 2.0, 3.0, 4.5, 10.0, 30.0, 60.0, 2.0, 2.0, 3.0, np.nan, 2.0, 0.5, 4.0, 2.0, 7.0])
ZQ = np.array([1.0, 1.0, 1.0, 1.0, 2.0, 0.3, 1e-3, 5.0, 1.0, -1.0, -1.5, -2.5, 1.0, np.nan, 1.0, 1e6, 8.9, 9.1])


def _zeta(x, q):
    return minitorch.special.zeta(minitorch.tensor(x), minitorch.tensor(q)).numpy()


@requires_torch
def test_zeta_float64_matches_torch():
    # q on both sides of 9 (where Cephes stops the direct sum), poles, x < 1, NaN
    rng = np.random.default_rng(0)
    x = np.concatenate([ZX, rng.uniform(1, 40, 300)])
    q = np.concatenate([ZQ, rng.uniform(-20, 20, 150), rng.uniform(0, 12, 150)])
    got = _zeta(x, q)
    want = torch.special.zeta(torch.tensor(x), torch.tensor(q)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=0)
    x32, q32 = x.astype(np.float32), q.astype(np.float32)
    got32 = _zeta(x32, q32)
    want = torch.special.zeta(torch.tensor(x32, dtype=torch.float64), torch.tensor(q32, dtype=torch.float64)).numpy()
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, want.astype(np.float32), rtol=2e-7, atol=0)


def test_zeta_values_without_torch():
    got = _zeta(np.array([2.0, 4.0, 2.0, 3.0, 1.0, 0.5, 2.0]), np.array([1.0, 1.0, 0.5, 2.0, 1.0, 1.0, 0.0]))
    np.testing.assert_allclose(got[:4], [math.pi ** 2 / 6, math.pi ** 4 / 90, math.pi ** 2 / 2, 1.2020569031595942 - 1],
                               rtol=1e-15)
    assert got[4] == math.inf and np.isnan(got[5]) and got[6] == math.inf
    # zeta(x, q) - zeta(x, q + 1) = q^-x, across q = 9
    x, q = np.linspace(1.5, 12, 40), np.linspace(0.2, 15, 40)
    np.testing.assert_allclose(_zeta(x, q) - _zeta(x, q + 1), q ** -x, rtol=1e-12)


def test_zeta_broadcasting_numbers_dtypes_grad_and_errors():
    out = minitorch.special.zeta(minitorch.tensor([[2.0], [3.0]]), minitorch.tensor([1.0, 2.0]))
    assert out.shape == (2, 2)
    np.testing.assert_allclose(out.numpy()[:, 1], _zeta(np.array([2.0, 3.0]), np.array([2.0, 2.0])).astype(np.float32))
    assert minitorch.special.zeta(2.0, minitorch.tensor([1.0, 2.0])).tolist() == \
        minitorch.special.zeta(minitorch.tensor([2.0, 2.0]), minitorch.tensor([1.0, 2.0])).tolist()
    assert minitorch.special.zeta(minitorch.tensor([2.0, 3.0]), 1).tolist() == \
        minitorch.special.zeta(minitorch.tensor([2.0, 3.0]), minitorch.tensor([1.0, 1.0])).tolist()
    assert minitorch.special.zeta(minitorch.tensor([2, 3]), minitorch.tensor([1, 2])).dtype == minitorch.float32
    assert minitorch.special.zeta(minitorch.tensor([2.0], dtype=minitorch.float64), minitorch.tensor([1.0])).dtype == minitorch.float64
    o = minitorch.empty(2)
    assert minitorch.special.zeta(minitorch.tensor([2.0, 3.0]), 1.0, out=o) is o
    t = minitorch.tensor([2.0, 3.0], requires_grad=True)
    for y, node in ((minitorch.special.zeta(t, minitorch.tensor([1.0, 2.0])), "SpecialZetaBackward0"),
                    (minitorch.special.zeta(2.0, t), "SpecialZetaBackward1"), (minitorch.special.zeta(t, 2.0), "SpecialZetaBackward2")):
        assert type(y.grad_fn).__name__ == node
        with pytest.raises(NotImplementedError, match="the derivative for 'zeta' is not implemented."):
            y.sum().backward()
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(2\) must match the size of tensor b \(3\)"):
        minitorch.special.zeta(minitorch.ones(2), minitorch.ones(3))
    with pytest.raises(TypeError, match=r"special_zeta\(\) received an invalid combination of arguments - got \(float, float\)"):
        minitorch.special.zeta(2.0, 3.0)


@requires_torch
def test_zeta_errors_match_torch():
    for call in (lambda m: m.special.zeta(2.0, 3.0), lambda m: m.special.zeta(m.ones(2), m.ones(3)),
                 lambda m: m.special.zeta(m.ones(2), "a"), lambda m: m.special.zeta(None, m.ones(2))):
        with pytest.raises(Exception) as theirs:
            call(torch)
        with pytest.raises(type(theirs.value)) as ours:
            call(minitorch)
        assert str(ours.value) == str(theirs.value)


@given(tensors(dtype="float64", lo=1, hi=20), tensors(shape=(), dtype="float64", lo=-5, hi=15))
@hsettings(max_examples=30)
def test_zeta_noncontiguous_inputs_give_the_contiguous_values(drawn, q):
    arr, t = drawn
    qarr, qt = q
    got = minitorch.special.zeta(t, qt)
    want = _zeta(np.ascontiguousarray(arr), np.broadcast_to(qarr, arr.shape).copy())
    np.testing.assert_array_equal(got.numpy(), want)
