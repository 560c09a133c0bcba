"""Pointwise math beyond the elementary functions: values and gradients against torch
(float32), against Python's math module / NumPy and central differences (float64) without
it, on non-contiguous inputs, edge values, in-place and out= forms, and errors."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitorch
from minitorch.autograd import gradcheck, gradgradcheck
from tests import strategies as S
from tests._compat import requires_torch, torch

_RNG = np.random.default_rng(0)
_ANY = (_RNG.standard_normal((3, 4)) * 3)
_POS = np.abs(_ANY) + 0.2
_PROB = _RNG.uniform(0.05, 0.95, (3, 4))
_OTHER = _RNG.standard_normal((4,)) * 3  # broadcast against (3, 4)


def _np_digamma(x):
    # central difference of lgamma is too coarse; the series of math facts instead
    out = []
    for v in np.ravel(x):
        acc = 0.0
        while v < 10:
            acc -= 1 / v
            v += 1
        z = 1 / (v * v)
        out.append(acc + math.log(v) - 0.5 / v - z / 12 + z * z / 120 - z ** 3 / 252 + z ** 4 / 240)
    return np.array(out).reshape(np.shape(x))


def _np_i0(x):
    return np.array([sum((v / 2) ** (2 * k) / math.factorial(k) ** 2 for k in range(80)) for v in np.ravel(x)]).reshape(
        np.shape(x))


def _np_erfinv(y):
    out = []
    for v in np.ravel(y):  # bisection on math.erf
        lo, hi = -6.0, 6.0
        for _ in range(200):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if math.erf(mid) < v else (lo, mid)
        out.append((lo + hi) / 2)
    return np.array(out).reshape(np.shape(y))


def _np_lgamma(x):
    return np.array([math.inf if v <= 0 and v == math.floor(v) else math.lgamma(v) for v in np.ravel(x)]).reshape(
        np.shape(x))


def _np_fmod(a, b):
    return np.fmod(a, b)


# name: (call on (lib, x, y), x values, y values, NumPy/math reference of (x, y) or None, node name)
CASES = {
    "lgamma": (lambda L, x, y: L.lgamma(x), _ANY, _OTHER, _np_lgamma, "LgammaBackward0"),
    "digamma": (lambda L, x, y: L.digamma(x), _POS, _OTHER, _np_digamma, "DigammaBackward0"),
    "polygamma": (lambda L, x, y: L.polygamma(2, x), _POS, _OTHER, None, "PolygammaBackward0"),
    "erfinv": (lambda L, x, y: L.erfinv(x), _PROB * 2 - 1, _OTHER, _np_erfinv, "ErfinvBackward0"),
    "i0": (lambda L, x, y: L.i0(x), _ANY, _OTHER, _np_i0, "I0Backward0"),
    "sinc": (lambda L, x, y: L.sinc(x), _ANY, _OTHER, np.sinc, "SincBackward0"),
    "deg2rad": (lambda L, x, y: L.deg2rad(x), _ANY, _OTHER, np.deg2rad, "Deg2RadBackward0"),
    "rad2deg": (lambda L, x, y: L.rad2deg(x), _ANY, _OTHER, np.rad2deg, "Rad2DegBackward0"),
    "logit": (lambda L, x, y: L.logit(x), _PROB, _OTHER, lambda p: np.log(p / (1 - p)), "LogitBackward0"),
    "logit-eps": (lambda L, x, y: L.logit(x, 0.2), _PROB, _OTHER,
                  lambda p: np.log(np.clip(p, 0.2, 0.8) / (1 - np.clip(p, 0.2, 0.8))), "LogitBackward0"),
    "nan_to_num": (lambda L, x, y: L.nan_to_num(x), _ANY, _OTHER, np.nan_to_num, "NanToNumBackward0"),
    "logaddexp": (lambda L, x, y: L.logaddexp(x, y), _ANY, _OTHER, np.logaddexp, "LogaddexpBackward0"),
    "logaddexp2": (lambda L, x, y: L.logaddexp2(x, y), _ANY, _OTHER, np.logaddexp2, "Logaddexp2Backward0"),
    "hypot": (lambda L, x, y: L.hypot(x, y), _ANY, _OTHER, np.hypot, "HypotBackward0"),
    "float_power": (lambda L, x, y: L.float_power(x, y), _POS, _OTHER, np.power, "PowBackward1"),
    "fmod": (lambda L, x, y: L.fmod(x, y), _ANY, _OTHER, _np_fmod, "FmodBackward1"),
    "fmod-number": (lambda L, x, y: L.fmod(x, 1.3), _ANY, _OTHER, lambda a, b: np.fmod(a, 1.3), "FmodBackward0"),
    "copysign": (lambda L, x, y: L.copysign(x, y), _ANY, _OTHER, np.copysign, "CopysignBackward0"),
    "copysign-number": (lambda L, x, y: L.copysign(x, -2.0), _ANY, _OTHER, lambda a, b: np.copysign(a, -2.0),
                        "CopysignBackward1"),
    "xlogy": (lambda L, x, y: L.xlogy(x, y), _ANY, np.abs(_OTHER) + 0.1, lambda a, b: a * np.log(b), "XlogyBackward0"),
    "xlogy-number": (lambda L, x, y: L.xlogy(x, 2.0), _ANY, _OTHER, lambda a, b: a * np.log(2.0), "XlogyBackward2"),
    "number-xlogy": (lambda L, x, y: L.xlogy(2.0, x), _POS, _OTHER, lambda a, b: 2.0 * np.log(a), "XlogyBackward1"),
}
_UNARY_REF = {"lgamma", "digamma", "erfinv", "i0", "sinc", "deg2rad", "rad2deg", "logit", "logit-eps", "nan_to_num"}


def _ref(case, x, y):
    ref = CASES[case][3]
    return ref(x) if case in _UNARY_REF else ref(x, y)


@requires_torch
@pytest.mark.parametrize("case", sorted(CASES))
def test_values_gradients_and_node_match_torch_float32(case):
    call, xs, ys, _, node = CASES[case]
    xs, ys = xs.astype(np.float32), ys.astype(np.float32)
    x, y = minitorch.tensor(xs, requires_grad=True), minitorch.tensor(ys, requires_grad=True)
    tx, ty = torch.tensor(xs, requires_grad=True), torch.tensor(ys, requires_grad=True)
    out, out_t = call(minitorch, x, y), call(torch, tx, ty)
    assert out.grad_fn.name() == out_t.grad_fn.name() == node
    assert str(out.dtype) == str(out_t.dtype)
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), rtol=2e-6, atol=1e-6)
    out.sum().backward()
    out_t.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=2e-6, atol=1e-6)
    if ty.grad is not None:
        np.testing.assert_allclose(y.grad.numpy(), ty.grad.numpy(), rtol=2e-6, atol=1e-6)


@pytest.mark.parametrize("case", sorted(c for c in CASES if CASES[c][3] is not None))
def test_values_match_math_and_numpy_in_float64(case):
    call, xs, ys, _, _ = CASES[case]
    out = call(minitorch, minitorch.tensor(xs), minitorch.tensor(ys))
    np.testing.assert_allclose(out.numpy(), _ref(case, xs, ys), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", sorted(CASES))
def test_gradients_and_second_derivatives_match_central_differences(case):
    call, xs, ys, _, _ = CASES[case]
    x, y = minitorch.tensor(xs, requires_grad=True), minitorch.tensor(ys, requires_grad=True)
    uses_y = case in ("logaddexp", "logaddexp2", "hypot", "float_power", "fmod", "xlogy")
    inputs = (x, y) if uses_y else (x,)
    fn = (lambda a, b: call(minitorch, a, b)) if uses_y else (lambda a: call(minitorch, a, y.detach()))
    assert gradcheck(fn, inputs)
    if case not in ("fmod",):  # (fmod's derivative in the divisor is piecewise constant: trunc)
        assert gradgradcheck(fn, inputs)


@requires_torch
@pytest.mark.parametrize("case", ["lgamma", "digamma", "polygamma", "erfinv", "i0", "logit", "sinc", "logaddexp",
                                  "hypot", "xlogy", "copysign"])
def test_double_backward_matches_torch(case):
    call = CASES[case][0]
    xs, ys = CASES[case][1], CASES[case][2]
    x, y = minitorch.tensor(xs, requires_grad=True), minitorch.tensor(ys, requires_grad=True)
    tx, ty = torch.tensor(xs, requires_grad=True), torch.tensor(ys, requires_grad=True)
    (g,) = minitorch.autograd.grad(call(minitorch, x, y).sum(), x, create_graph=True)
    (gt,) = torch.autograd.grad(call(torch, tx, ty).sum(), tx, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), gt.detach().numpy(), rtol=1e-9, atol=1e-12)
    (g * g).sum().backward()
    (gt * gt).sum().backward()
    for m, t in ((x, tx), (y, ty)):
        assert (m.grad is None) == (t.grad is None)
        if t.grad is not None:
            np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), rtol=1e-8, atol=1e-12)


@S.hsettings(max_examples=20)
@given(data=st.data(), case=st.sampled_from(["lgamma", "digamma", "i0", "sinc", "logaddexp", "hypot", "fmod",
                                             "copysign", "xlogy", "logit", "erfinv", "nan_to_num"]))
def test_non_contiguous_inputs_give_the_reference_values(data, case):
    shape = data.draw(S.nonempty_shapes(min_dims=1, max_dims=3))
    lo, hi = {"digamma": (0.1, 8), "logit": (0.01, 0.99), "erfinv": (-0.99, 0.99), "xlogy": (-5, 5)}.get(case, (-8, 8))
    xs, x = data.draw(S.tensors(shape=shape, dtype="float64", lo=lo, hi=hi))
    ys, y = data.draw(S.tensors(shape=shape, dtype="float64", lo=0.1 if case == "xlogy" else -8, hi=8, min_abs=0.1))
    out = CASES[case][0](minitorch, x, y)
    np.testing.assert_allclose(out.numpy(), _ref(case, xs, ys), rtol=1e-9, atol=1e-12)
    if torch is not None:
        t = CASES[case][0](torch, torch.tensor(xs.astype(np.float32)), torch.tensor(ys.astype(np.float32)))
        m = CASES[case][0](minitorch, x.float(), y.float())
        np.testing.assert_allclose(m.numpy(), t.numpy(), rtol=1e-5, atol=1e-5)


# ----- edge values ----------------------------------------------------------------------------
EDGES = {
    "lgamma": [0.0, -1.0, -2.5, 1.0, 2.0, 1e-30, math.inf, -math.inf, math.nan, 171.5],
    "digamma": [0.0, -0.0, -1.0, -2.5, 1e-30, 1.0, math.inf, -math.inf, math.nan],
    "erfinv": [1.0, -1.0, 1.5, 0.0, -0.0, 1 - 2 ** -24, math.nan],
    "i0": [0.0, 80.0, -80.0, 1000.0, math.nan],
    "sinc": [0.0, 1.0, -2.0, 0.5, math.inf],
    "logit": [0.0, 1.0, -0.5, 1.5, 0.5],
    "nan_to_num": [math.nan, math.inf, -math.inf, 1.0],
}


@pytest.mark.parametrize("name", sorted(EDGES))
def test_edge_values(name):
    x = minitorch.tensor(EDGES[name])
    got = getattr(minitorch, name)(x).numpy()
    if torch is not None:  # (torch's float32 series are a bit or two off the exact value: i0(0) is 1 - 2^-24)
        np.testing.assert_allclose(got, getattr(torch, name)(torch.tensor(EDGES[name])).numpy(), rtol=5e-7, atol=0)
    expected = {"lgamma": [math.inf, math.inf], "digamma": [-math.inf, math.inf, math.nan],
                "erfinv": [math.inf, -math.inf, math.nan, 0.0], "i0": [1.0], "sinc": [1.0],
                "logit": [-math.inf, math.inf, math.nan, math.nan, 0.0],
                "nan_to_num": [0.0, np.finfo(np.float32).max, np.finfo(np.float32).min, 1.0]}[name]
    np.testing.assert_array_equal(got[:len(expected)], np.array(expected, np.float32))


def test_binary_edge_values():
    inf, nan = math.inf, math.nan
    t = minitorch.tensor
    np.testing.assert_array_equal(minitorch.logaddexp(t([-inf, inf, 1.0]), t([-inf, inf, nan])).numpy(), [-inf, inf, nan])
    np.testing.assert_array_equal(minitorch.hypot(t([3e30, 0.0]), t([4e30, 0.0])).numpy(), np.float32([5e30, 0.0]))
    with np.errstate(invalid="ignore"):
        expected = np.fmod(np.float32([-4, 4, 5.5, -7]), np.float32([2, -3, 0, 3]))
    np.testing.assert_array_equal(minitorch.fmod(t([-4.0, 4.0, 5.5, -7.0]), t([2.0, -3.0, 0.0, 3.0])).numpy(), expected)
    assert np.signbit(minitorch.fmod(t([-4.0]), 2).numpy()[0])  # C's fmod keeps -0.0
    np.testing.assert_array_equal(minitorch.fmod(t([-7, 7]), 3).numpy(), [-1, 1])
    np.testing.assert_array_equal(minitorch.copysign(t([1.0, 2.0]), t([-0.0, 0.0])).numpy(), [-1.0, 2.0])
    np.testing.assert_array_equal(minitorch.xlogy(t([0.0, 0.0, 1.0]), t([0.0, nan, 0.0])).numpy(), [0.0, nan, -inf])
    np.testing.assert_array_equal(minitorch.signbit(t([-0.0, 0.0, -1.0, 1.0])).numpy(), [True, False, True, False])
    np.testing.assert_array_equal(minitorch.signbit(t([-3, 0, 2])).numpy(), [True, False, False])
    np.testing.assert_array_equal(minitorch.heaviside(t([-1.0, 0.0, 2.0]), t([0.5])).numpy(), [0.0, 0.5, 1.0])


def test_integer_inputs_compute_in_the_default_float_dtype_or_keep_their_dtype_as_torch():
    x = minitorch.tensor([1, 2, 0, -3])
    for name in ("lgamma", "digamma", "erfinv", "i0", "sinc", "deg2rad", "rad2deg", "logit"):
        assert getattr(x, name)().dtype == minitorch.float32, name
    assert x.nan_to_num().dtype == minitorch.int64 and x.signbit().dtype == minitorch.bool
    assert minitorch.fmod(x, 2).dtype == minitorch.int64 and minitorch.fmod(x, 2.5).dtype == minitorch.float32
    assert minitorch.copysign(x, x).dtype == minitorch.float32 and minitorch.xlogy(x, x).dtype == minitorch.float32
    assert minitorch.float_power(x, 2).dtype == minitorch.float64
    np.testing.assert_array_equal(x.deg2rad().numpy(), np.float32([1, 2, 0, -3]) * np.float32(math.pi / 180))


# ----- in place and out= ------------------------------------------------------------------------
INPLACE = {"lgamma_": (), "digamma_": (), "erfinv_": (), "i0_": (), "sinc_": (), "deg2rad_": (), "rad2deg_": (),
           "logit_": (), "nan_to_num_": (), "hypot_": ("y",), "fmod_": (1.5,), "copysign_": ("y",),
           "xlogy_": (2.0,), "float_power_": (2.0,), "polygamma_": (1,)}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_forms_give_the_out_of_place_values_and_gradients(name):
    args = [minitorch.tensor(_OTHER) if a == "y" else a for a in INPLACE[name]]
    xs = _PROB if name in ("logit_", "erfinv_") else _POS
    a, b = minitorch.tensor(xs, requires_grad=True), minitorch.tensor(xs, requires_grad=True)
    base = name[:-1]
    expected = getattr(a * 1, base)(*([a for a in args] if name != "polygamma_" else args))
    h = b * 1
    assert getattr(h, name)(*args) is h
    np.testing.assert_allclose(h.detach().numpy(), expected.detach().numpy(), rtol=1e-12)
    expected.sum().backward()
    h.sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), rtol=1e-12)


def test_out_forms_write_into_out():
    x, y = minitorch.tensor(_POS), minitorch.tensor(_OTHER)
    for name, args in (("lgamma", (x,)), ("logaddexp", (x, y)), ("hypot", (x, y)), ("fmod", (x, y)),
                       ("xlogy", (x, y)), ("polygamma", (1, x)), ("signbit", (x,)), ("nan_to_num", (x,))):
        expected = getattr(minitorch, name)(*args)
        out = minitorch.empty(3, 4, dtype=expected.dtype)
        assert getattr(minitorch, name)(*args, out=out) is out
        np.testing.assert_array_equal(out.numpy(), expected.numpy())


@requires_torch
def test_inplace_float_power_needs_a_float64_base_and_heaviside_has_no_derivative():
    for lib in (minitorch, torch):
        with pytest.raises(RuntimeError, match="the base given to float_power_ has dtype Float but the operation's "
                                               "result requires dtype Double"):
            lib.ones(2).float_power_(2)
        x = lib.tensor([1.0, 0.0], requires_grad=True)
        y = lib.heaviside(x, lib.tensor([0.5, 0.5]))
        assert y.grad_fn.name() == "torch::autograd::NotImplemented"
        with pytest.raises(RuntimeError, match="derivative for aten::heaviside is not implemented"):
            y.sum().backward()


# ----- errors ---------------------------------------------------------------------------------
ERRORS = [
    (lambda L: L.logaddexp(L.tensor([1, 2]), L.tensor([3, 4])), NotImplementedError,
     "\"logaddexp_cpu\" not implemented for 'Long'"),
    (lambda L: L.logaddexp(L.ones(2), 2.0), TypeError, "logaddexp(): argument 'other' (position 2) must be Tensor, not float"),
    (lambda L: L.hypot(L.ones(2), 1), TypeError, "hypot(): argument 'other' (position 2) must be Tensor, not int"),
    (lambda L: L.hypot(L.ones(2), L.ones(3)), RuntimeError, "The size of tensor a (2) must match the size of tensor b (3)"),
    (lambda L: L.fmod(L.tensor([1, 2]), 0), RuntimeError, "ZeroDivisionError"),
    (lambda L: L.heaviside(L.ones(1), L.tensor([1])), RuntimeError,
     "heaviside is not yet implemented for tensors with different dtypes."),
    (lambda L: L.heaviside(L.ones(1), 1.0), TypeError, "heaviside(): argument 'values' (position 2) must be Tensor, not float"),
    (lambda L: L.polygamma(-1, L.ones(1)), RuntimeError, "polygamma(n, x) does not support negative n."),
    (lambda L: L.lgamma([1.0]), TypeError, "lgamma(): argument 'input' (position 1) must be Tensor, not list"),
    (lambda L: L.tensor([1, 2]).lgamma_(), RuntimeError, "result type Float can't be cast to the desired output type Long"),
]


@pytest.mark.parametrize("k", range(len(ERRORS)))
def test_bad_input_raises_torchs_error(k):
    call, error, message = ERRORS[k]
    with pytest.raises(error) as caught:
        call(minitorch)
    assert message in str(caught.value)
    if torch is not None:
        with pytest.raises(error) as caught_t:
            call(torch)
        assert message in str(caught_t.value)


def test_special_functions_run_on_a_backend_made_of_the_core_alone():
    from tests._core_backend import CORE  # noqa: F401 - registers the "core" device
    for case in ("lgamma", "digamma", "polygamma", "erfinv", "i0", "logaddexp", "fmod", "xlogy", "sinc"):
        call, xs, ys = CASES[case][:3]
        a, b = minitorch.tensor(xs, requires_grad=True), minitorch.tensor(xs).to("core").requires_grad_()
        ya, yb = call(minitorch, a, minitorch.tensor(ys)), call(minitorch, b, minitorch.tensor(ys).to("core"))
        assert yb.device == b.device
        np.testing.assert_allclose(yb.detach().cpu().numpy(), ya.detach().numpy(), rtol=1e-12)
        ya.sum().backward()
        yb.sum().backward()
        np.testing.assert_allclose(b.grad.cpu().numpy(), a.grad.numpy(), rtol=1e-12)


def test_the_inplace_functions_of_the_torch_namespace_modify_their_argument():
    for name, args in (("nan_to_num_", ()), ("sinc_", ()), ("deg2rad_", ()), ("rad2deg_", ()), ("logit_", ()),
                       ("i0_", ()), ("xlogy_", (2.0,))):
        x = minitorch.tensor(_PROB)
        expected = getattr(minitorch, name[:-1])(x, *args)
        assert getattr(minitorch, name)(x, *args) is x
        np.testing.assert_array_equal(x.numpy(), expected.numpy())


@requires_torch
def test_every_form_torch_has_of_these_names_exists():
    names = ("silu elu softplus mish prelu selu celu hardswish hardsigmoid logsigmoid softsign glu threshold "
             "tanhshrink softshrink hardshrink rrelu softmin normalize gumbel_softmax lgamma digamma polygamma "
             "erfinv logaddexp logaddexp2 hypot nan_to_num float_power fmod copysign sinc deg2rad rad2deg "
             "heaviside signbit logit xlogy i0").split()
    pairs = ((torch, minitorch), (torch.Tensor, minitorch.Tensor), (torch.nn.functional, minitorch.nn.functional))
    for name in names:
        for theirs, ours in pairs:
            for form in (name, name + "_"):
                assert hasattr(theirs, form) == hasattr(ours, form), (ours.__name__, form)
