"""The activations PyTorch programs use beyond relu/gelu: values and gradients against torch
(float32), against a NumPy reference and central differences (float64) without it, on
non-contiguous inputs, in place, twice differentiated, as nn modules, and their errors."""
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitorch
from minitorch import nn
from minitorch.autograd import gradcheck, gradgradcheck
from minitorch.nn import functional as F
from tests import strategies as S
from tests._compat import requires_torch, torch


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


_SELU = (1.6732632423543772848170429916717, 1.0507009873554804934193349852946)

# name: (keyword arguments, NumPy reference in float64, PyTorch's node name)
CASES = {
    "silu": ({}, lambda x: x * _sigmoid(x), "SiluBackward0"),
    "mish": ({}, lambda x: x * np.tanh(np.log1p(np.exp(x))), "MishBackward0"),
    "softplus": ({}, lambda x: np.where(x > 20, x, np.log1p(np.exp(x))), "SoftplusBackward0"),
    "softplus-beta": (dict(beta=2.0, threshold=5.0),
                      lambda x: np.where(2 * x > 5, x, np.log1p(np.exp(2 * x)) / 2), "SoftplusBackward0"),
    "logsigmoid": ({}, lambda x: np.log(_sigmoid(x)), "LogSigmoidBackward0"),
    "elu": (dict(alpha=0.7), lambda x: np.where(x > 0, x, 0.7 * np.expm1(x)), "EluBackward0"),
    "selu": ({}, lambda x: _SELU[1] * np.where(x > 0, x, _SELU[0] * np.expm1(x)), "EluBackward0"),
    "celu": (dict(alpha=1.5), lambda x: np.where(x > 0, x, 1.5 * np.expm1(x / 1.5)), "CeluBackward0"),
    "hardswish": ({}, lambda x: x * np.clip(x + 3, 0, 6) / 6, "HardswishBackward0"),
    "hardsigmoid": ({}, lambda x: np.clip(x + 3, 0, 6) / 6, "HardsigmoidBackward0"),
    "threshold": (dict(threshold=0.5, value=-2.0), lambda x: np.where(x > 0.5, x, -2.0), "ThresholdBackward0"),
    "softshrink": ({}, lambda x: np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0)), "SoftshrinkBackward0"),
    "hardshrink": (dict(lambd=1.0), lambda x: np.where(np.abs(x) > 1, x, 0), "HardshrinkBackward0"),
    "softsign": ({}, lambda x: x / (1 + np.abs(x)), "DivBackward0"),
    "tanhshrink": ({}, lambda x: x - np.tanh(x), "SubBackward0"),
    "rrelu": ({}, lambda x: np.where(x >= 0, x, x * (1 / 8 + 1 / 3) / 2), "RreluWithNoiseBackward0"),
    "softmin": (dict(dim=-1), lambda x: _softmax(-x, -1), "SoftmaxBackward0"),
    "glu": (dict(dim=-1), lambda x: x[..., :x.shape[-1] // 2] * _sigmoid(x[..., x.shape[-1] // 2:]), "GluBackward0"),
    "normalize": (dict(dim=-1), lambda x: x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12),
                  "DivBackward0"),
}


def _call(F_, case, x):
    kwargs = CASES[case][0]
    return getattr(F_, case.split("-")[0])(x, **kwargs)


# Values on both sides of every kink (0, +-0.5, +-1, +-3, the thresholds) and far out.
_EDGES = np.array([[-30.0, -4.0, -3.0, -2.9, -1.0, -0.5, -0.2, 0.0],
                   [0.2, 0.5, 0.7, 1.0, 2.5, 3.0, 3.1, 30.0]], np.float32)
# Points away from every kink, for the finite differences.
_SMOOTH = np.array([[-4.7, -2.6, -1.3, -0.7], [-0.35, -0.2, 0.3, 0.8], [1.7, 2.4, 3.6, 4.1]])


def _x(arr, dtype=None):
    return minitorch.tensor(arr, dtype=dtype, requires_grad=True)


@requires_torch
@pytest.mark.parametrize("case", sorted(CASES))
def test_values_gradients_and_node_match_torch_float32(case):
    x, t = _x(_EDGES), torch.tensor(_EDGES, requires_grad=True)
    y, yt = _call(F, case, x), _call(torch.nn.functional, case, t)
    assert y.grad_fn.name() == yt.grad_fn.name() == CASES[case][2]
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-6, atol=1e-6)
    g = np.random.default_rng(1).standard_normal(tuple(yt.shape)).astype(np.float32)
    y.backward(minitorch.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("case", sorted(CASES))
def test_values_match_the_numpy_reference_in_float64(case):
    y = _call(F, case, minitorch.tensor(_EDGES.astype(np.float64)))
    assert y.dtype == minitorch.float64
    np.testing.assert_allclose(y.numpy(), CASES[case][1](_EDGES.astype(np.float64)), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", sorted(CASES))
def test_gradient_and_second_derivative_match_central_differences(case):
    x = _x(_SMOOTH, minitorch.float64)
    assert gradcheck(lambda a: _call(F, case, a), (x,))
    assert gradgradcheck(lambda a: _call(F, case, a), (x,))


@requires_torch
@pytest.mark.parametrize("case", sorted(CASES))
def test_double_backward_matches_torch(case):
    if case == "hardsigmoid":
        pytest.skip("torch has no derivative of hardsigmoid_backward (gradgradcheck above checks minitorch's)")
    x, t = _x(_SMOOTH, minitorch.float64), torch.tensor(_SMOOTH, requires_grad=True)
    (g,) = minitorch.autograd.grad(_call(F, case, x).pow(2).sum(), x, create_graph=True)
    (gt,) = torch.autograd.grad(_call(torch.nn.functional, case, t).pow(2).sum(), t, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), gt.detach().numpy(), rtol=1e-10, atol=1e-12)
    (g * g).sum().backward()
    (gt * gt).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)


@S.hsettings(max_examples=15)
@given(data=st.data(), case=st.sampled_from(sorted(CASES)))
def test_non_contiguous_inputs_give_the_reference_values_and_torchs_gradients(data, case):
    shape = data.draw(S.nonempty_shapes(min_dims=1, max_dims=3))
    if case == "glu":
        shape = shape[:-1] + (2 * shape[-1],)
    arr, x = data.draw(S.tensors(shape=shape, dtype="float32", lo=-6, hi=6))
    y = _call(F, case, S.grad_leaf(x))
    np.testing.assert_allclose(y.detach().numpy(), CASES[case][1](arr.astype(np.float64)), rtol=2e-5, atol=2e-6)
    if torch is not None:
        leaf = S.grad_leaf(x)
        t = torch.tensor(arr, requires_grad=True)
        _call(F, case, leaf).sum().backward()
        _call(torch.nn.functional, case, t).sum().backward()
        np.testing.assert_allclose(leaf.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-6)


# ----- in place -------------------------------------------------------------------------------
INPLACE = {"silu": {}, "mish": {}, "hardswish": {}, "hardsigmoid": {}, "elu": dict(alpha=0.7), "selu": {},
           "celu": dict(alpha=1.5), "threshold": dict(threshold=0.5, value=2.0), "rrelu": {}}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_gives_the_out_of_place_values_and_gradients(name):
    kwargs = INPLACE[name]
    a, b = _x(_SMOOTH, minitorch.float64), _x(_SMOOTH, minitorch.float64)
    y = getattr(F, name)(a * 1, **kwargs)
    h = b * 1
    z = getattr(F, name)(h, inplace=True, **kwargs)
    assert z is h
    np.testing.assert_array_equal(z.detach().numpy(), y.detach().numpy())
    (y * y).sum().backward()
    (z * z).sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), rtol=1e-12)


@requires_torch
@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_node_and_gradients_match_torch(name):
    kwargs = INPLACE[name]
    x, t = _x(_EDGES), torch.tensor(_EDGES, requires_grad=True)
    y = getattr(F, name)(x * 1, inplace=True, **kwargs)
    yt = getattr(torch.nn.functional, name)(t * 1, inplace=True, **kwargs)
    assert y.grad_fn.name() == yt.grad_fn.name()
    (y * y).sum().backward()
    (yt * yt).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-6, atol=1e-6)


def test_functional_inplace_spellings_and_torch_functions():
    for fn, kwargs in ((F.elu_, {}), (F.selu_, {}), (F.celu_, {}), (F.threshold_, dict(threshold=0.5, value=2.0)),
                       (F.rrelu_, {}), (minitorch.selu_, {}), (minitorch.celu_, {}), (minitorch.rrelu_, {})):
        x = minitorch.tensor(_SMOOTH)
        expected = getattr(F, fn.__name__.rstrip("_"))(x.clone(), **kwargs)
        assert fn(x, **kwargs) is x
        np.testing.assert_array_equal(x.numpy(), expected.numpy())
    x = minitorch.tensor(_SMOOTH)
    np.testing.assert_array_equal(x.hardshrink(1.0).numpy(), F.hardshrink(x, 1.0).numpy())
    np.testing.assert_array_equal(minitorch.threshold(x, 0.5, 2.0).numpy(), F.threshold(x, 0.5, 2.0).numpy())
    w = minitorch.tensor([0.5], dtype=minitorch.float64)
    np.testing.assert_array_equal(x.prelu(w).numpy(), np.where(_SMOOTH > 0, _SMOOTH, 0.5 * _SMOOTH))


def test_inplace_elu_with_a_negative_alpha_refuses_backward_as_torch():
    x = _x(_SMOOTH)
    y = F.elu(x * 1, alpha=-1.0, inplace=True)
    with pytest.raises(RuntimeError, match="In-place elu backward calculation is triggered with a negative slope"):
        y.sum().backward()


# ----- prelu, rrelu, glu, gumbel_softmax, normalize --------------------------------------------
def test_prelu_per_channel_weight_gets_the_sum_of_the_negative_parts():
    arr = np.random.default_rng(0).standard_normal((2, 3, 4))
    x, w = _x(arr), _x(np.array([0.1, 0.2, 0.3]))
    F.prelu(x, w).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), np.where(arr > 0, 0, arr).sum(axis=(0, 2)), rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), np.where(arr > 0, 1, np.array([0.1, 0.2, 0.3])[:, None]))
    assert gradcheck(F.prelu, (x, w))
    assert gradgradcheck(F.prelu, (x, w))


@requires_torch
@pytest.mark.parametrize("shape,channels", [((2, 3, 4), 3), ((5, 3), 3), ((4,), 1), ((2, 3, 2, 2), 1), ((), 1)])
def test_prelu_matches_torch(shape, channels):
    arr = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    warr = np.linspace(0.1, 0.4, channels).astype(np.float32)
    x, w = _x(arr), _x(warr)
    t, wt = torch.tensor(arr, requires_grad=True), torch.tensor(warr, requires_grad=True)
    y, yt = F.prelu(x, w), torch.nn.functional.prelu(t, wt)
    assert y.grad_fn.name() == yt.grad_fn.name()
    np.testing.assert_array_equal(y.detach().numpy(), yt.detach().numpy())
    (y * y).sum().backward()
    (yt * yt).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(w.grad.numpy(), wt.grad.numpy(), rtol=1e-5)


def test_rrelu_training_draws_per_negative_element_and_its_gradient_is_the_noise():
    arr = np.random.default_rng(0).standard_normal((5, 7)).astype(np.float32)
    minitorch.manual_seed(4)
    x = _x(arr)
    y = F.rrelu(x, 0.1, 0.3, training=True)
    y.sum().backward()
    slope = y.detach().numpy() / arr
    negative = arr < 0
    assert np.all(slope[~negative] == 1) and np.all((slope[negative] >= 0.1 - 1e-6) & (slope[negative] <= 0.3 + 1e-6))
    np.testing.assert_allclose(x.grad.numpy(), slope, rtol=1e-6)
    minitorch.manual_seed(4)
    np.testing.assert_array_equal(F.rrelu(minitorch.tensor(arr), 0.1, 0.3, training=True).numpy(), y.detach().numpy())
    # one float64 uniform per non-positive element, in row-major order: the generator moves by that many
    minitorch.manual_seed(4)
    minitorch.rand(int(negative.sum()), dtype=minitorch.float64)
    after = minitorch.rand(3)
    minitorch.manual_seed(4)
    F.rrelu(minitorch.tensor(arr), training=True)
    np.testing.assert_array_equal(minitorch.rand(3).numpy(), after.numpy())


@requires_torch
def test_rrelu_training_draws_torchs_numbers_from_the_same_seed():
    arr = np.random.default_rng(0).standard_normal((4, 6, 3)).astype(np.float32)
    out = []
    for lib in (minitorch, torch):
        lib.manual_seed(11)
        x = lib.tensor(arr, requires_grad=True)
        y = lib.nn.RReLU(0.05, 0.4)(x[:, ::2])
        y.sum().backward()
        out.append((y.detach().numpy(), x.grad.numpy()))
    np.testing.assert_array_equal(out[0][0], out[1][0])
    np.testing.assert_array_equal(out[0][1], out[1][1])


def test_glu_halves_along_dim_and_refuses_odd_sizes():
    arr = np.arange(16.0).reshape(4, 4) / 8
    np.testing.assert_allclose(F.glu(minitorch.tensor(arr), 0).numpy(), arr[:2] * _sigmoid(arr[2:]), rtol=1e-12)
    x = minitorch.ones(3, 4)
    with pytest.raises(RuntimeError, match="Halving dimension must be even, but dimension 0 is size 3"):
        F.glu(x, 0)
    with pytest.raises(RuntimeError, match="glu does not support scalars"):
        F.glu(minitorch.tensor(1.0))


def test_gumbel_softmax_rows_sum_to_one_and_hard_is_one_hot_with_soft_gradients():
    minitorch.manual_seed(0)
    logits = _x(np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32))
    soft = F.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_allclose(soft.detach().numpy().sum(-1), 1, rtol=1e-6)
    hard = F.gumbel_softmax(logits, hard=True)
    assert set(np.unique(hard.detach().numpy())) == {0.0, 1.0}
    assert np.all(hard.detach().numpy().sum(-1) == 1)
    (hard * minitorch.arange(5.0)).sum().backward()
    assert logits.grad is not None and np.abs(logits.grad.numpy()).sum() > 0
    with pytest.warns(UserWarning, match="`eps` parameter is deprecated"):
        F.gumbel_softmax(logits, eps=1e-3)


@requires_torch
@pytest.mark.parametrize("hard", [False, True])
def test_gumbel_softmax_draws_torchs_numbers(hard):
    arr = np.random.default_rng(0).standard_normal((3, 6)).astype(np.float32)
    out = []
    for lib in (minitorch, torch):
        lib.manual_seed(5)
        x = lib.tensor(arr, requires_grad=True)
        y = lib.nn.functional.gumbel_softmax(x, tau=0.7, hard=hard, dim=0)
        (y * lib.tensor(np.arange(18.0, dtype=np.float32).reshape(3, 6))).sum().backward()
        out.append((y.detach().numpy(), x.grad.numpy()))
    np.testing.assert_allclose(out[0][0], out[1][0], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(out[0][1], out[1][1], rtol=1e-4, atol=1e-6)


def test_normalize_p_dim_eps_and_out():
    arr = np.random.default_rng(0).standard_normal((3, 4))
    x = minitorch.tensor(arr)
    np.testing.assert_allclose(F.normalize(x, p=1, dim=0).numpy(), arr / np.abs(arr).sum(0), rtol=1e-12)
    zero = F.normalize(minitorch.zeros(2, 3))
    assert np.all(zero.numpy() == 0)
    out = minitorch.empty(3, 4, dtype=minitorch.float64)
    assert F.normalize(x, out=out) is out
    np.testing.assert_allclose(out.numpy(), arr / np.linalg.norm(arr, axis=1, keepdims=True), rtol=1e-12)


def test_activations_run_on_a_backend_made_of_the_core_alone():
    from tests._core_backend import CORE  # noqa: F401 - registers the "core" device
    x = _x(_EDGES).detach()
    for case in sorted(CASES):
        if case == "rrelu":
            continue
        a, b = x.clone().requires_grad_(), x.to("core").requires_grad_()
        ya, yb = _call(F, case, a), _call(F, case, b)
        np.testing.assert_allclose(yb.detach().cpu().numpy(), ya.detach().numpy(), rtol=1e-6, atol=1e-6)
        ya.sum().backward()
        yb.sum().backward()
        np.testing.assert_allclose(b.grad.cpu().numpy(), a.grad.numpy(), rtol=1e-6, atol=1e-6)


# ----- modules --------------------------------------------------------------------------------
MODULES = ["SiLU()", "SiLU(inplace=True)", "Mish()", "Mish(True)", "ELU()", "ELU(0.5, True)", "CELU(2.0)",
           "SELU()", "SELU(True)", "Softplus()", "Softplus(2, 10)", "LogSigmoid()", "Hardswish()",
           "Hardswish(True)", "Hardsigmoid(True)", "Softsign()", "Tanhshrink()", "Threshold(0.1, 20)",
           "Threshold(0.1, 20, True)", "Softshrink()", "Hardshrink(1.5)", "GLU()", "GLU(0)", "PReLU()",
           "PReLU(3, 0.1)", "RReLU()", "RReLU(0.1, 0.3, True)", "Softmin()", "Softmin(1)", "Softmax2d()"]

_REPRS = {"ELU(0.5, True)": "ELU(alpha=0.5, inplace=True)", "Hardswish(True)": "Hardswish()",
          "Softplus()": "Softplus(beta=1.0, threshold=20.0)", "PReLU(3, 0.1)": "PReLU(num_parameters=3)",
          "Softshrink()": "Softshrink(0.5)", "RReLU()": "RReLU(lower=0.125, upper=0.3333333333333333)",
          "Threshold(0.1, 20, True)": "Threshold(threshold=0.1, value=20, inplace=True)"}


@pytest.mark.parametrize("expr", MODULES)
def test_module_repr_is_torchs(expr):
    m = eval("nn." + expr)
    if expr in _REPRS:
        assert repr(m) == _REPRS[expr]
    if torch is not None:
        t = eval("torch.nn." + expr)
        assert repr(m) == repr(t)
        assert list(m.state_dict()) == list(t.state_dict())


@requires_torch
@pytest.mark.parametrize("expr", MODULES)
def test_module_forward_and_backward_match_torch(expr):
    arr = np.random.default_rng(2).standard_normal((2, 3, 4, 2)).astype(np.float32)
    m, t = eval("nn." + expr), eval("torch.nn." + expr)
    m.eval(), t.eval()
    x, xt = _x(arr), torch.tensor(arr, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y, yt = m(x * 1), t(xt * 1)
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-6, atol=1e-6)
    (y * y).sum().backward()
    (yt * yt).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-6)
    for (name, p), (_, pt) in zip(m.named_parameters(), t.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), pt.grad.numpy(), rtol=1e-5, err_msg=name)


def test_prelu_module_has_one_weight_parameter_filled_with_init():
    m = nn.PReLU(4, init=0.3, dtype=minitorch.float64)
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    assert m.weight.dtype == minitorch.float64 and m.weight.shape == (4,)
    assert np.all(m.weight.detach().numpy() == 0.3)


def test_softmin_module_warns_about_the_implicit_dim_and_softmax2d_checks_the_rank():
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin has been deprecated"):
        nn.Softmin()(minitorch.ones(2, 3))
    with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D, got 2D instead"):
        nn.Softmax2d()(minitorch.ones(2, 3))
    y = nn.Softmax2d()(minitorch.arange(24.0).reshape(2, 3, 2, 2))
    np.testing.assert_allclose(y.sum(1).numpy(), 1, rtol=1e-6)


def test_rrelu_module_draws_in_training_and_uses_the_mean_slope_in_eval():
    x = minitorch.full((100,), -1.0)
    m = nn.RReLU(0.1, 0.3)
    assert len(np.unique(m(x).numpy())) > 1
    m.eval()
    np.testing.assert_allclose(m(x).numpy(), -0.2, rtol=1e-6)


# ----- errors ---------------------------------------------------------------------------------
ERRORS = [
    (lambda F_, lib: F_.silu(lib.tensor([1, 2])), NotImplementedError, "\"silu_cpu\" not implemented for 'Long'"),
    (lambda F_, lib: F_.selu(lib.tensor([1, 2])), NotImplementedError, "\"elu_cpu\" not implemented for 'Long'"),
    (lambda F_, lib: F_.glu(lib.tensor([1.0, 2.0, 3.0])), RuntimeError, "Halving dimension must be even"),
    (lambda F_, lib: F_.glu(lib.ones(2, 3), dim=5), IndexError, "Dimension out of range"),
    (lambda F_, lib: F_.prelu(lib.ones(2, 3), lib.ones(2)), RuntimeError,
     "Mismatch of parameter numbers and input channel size. Found parameter numbers = 2 and channel size = 3."),
    (lambda F_, lib: F_.prelu(lib.ones(2, 3), lib.ones(3, dtype=lib.float64)), RuntimeError,
     "prelu: Type promoting not supported. Got Float and Double"),
    (lambda F_, lib: F_.prelu(lib.tensor(1.0), lib.ones(3)), RuntimeError, "Not allow zero-dim input tensor."),
    (lambda F_, lib: F_.softshrink(lib.ones(3), -1), RuntimeError,
     "lambda must be in range [0, 3.40282e+38] for input dtype Float, but found -1"),
    (lambda F_, lib: F_.celu(lib.ones(3), 0.0), RuntimeError, "ZeroDivisionError: alpha cannot be 0 for CELU"),
    (lambda F_, lib: F_.softplus(lib.ones(3), "a"), TypeError,
     "softplus(): argument 'beta' (position 2) must be Number, not str"),
    (lambda F_, lib: F_.elu(lib.ones(3), "a"), TypeError, "elu(): argument 'alpha' (position 2) must be Number, not str"),
    (lambda F_, lib: F_.silu([1.0]), TypeError, "silu(): argument 'input' (position 1) must be Tensor, not list"),
    (lambda F_, lib: F_.rrelu(lib.ones(3), 0.5, 0.1, training=True), RuntimeError,
     "Lower bound should be less than or equal to the upper bound"),
    (lambda F_, lib: F_.rrelu(lib.tensor([1, 2]), training=True), NotImplementedError,
     "\"rrelu_with_noise_out_cpu\" not implemented for 'Long'"),
]


@pytest.mark.parametrize("k", range(len(ERRORS)))
def test_bad_input_raises_torchs_error(k):
    call, error, message = ERRORS[k]
    with pytest.raises(error) as caught:
        call(F, minitorch)
    assert message in str(caught.value)
    if torch is not None:
        with pytest.raises(error) as caught_t:
            call(torch.nn.functional, torch)
        assert message in str(caught_t.value)


# ----- the CPU's one-pass kernels ----------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,params", [("silu", ()), ("mish", ()), ("softplus", (2.0, 5.0)),
                                         ("elu", (1.5, 1.2, 0.8))])
def test_one_pass_kernels_equal_the_composed_backend_defaults(name, params, dtype):
    from minitorch._backends.cpu import activation_kernels as K
    from minitorch._backends import cpu
    from minitorch._backends.defaults_nn import NnDefaults
    x = np.concatenate([_EDGES.ravel(), [np.nan, np.inf, -np.inf, 88.0, -88.0]]).astype(dtype)
    g = np.linspace(-2, 2, x.size).astype(dtype)
    typed = tuple(dtype(p) for p in params)
    out = np.empty_like(x)
    getattr(K, name)(x, out, *typed)
    expected = getattr(NnDefaults, name)(cpu, x, *params)
    tol = 1e-6 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(out, expected, rtol=tol, atol=tol)
    for extra in ((False, True) if name == "elu" else (None,)):
        tail = () if extra is None else (extra,)
        getattr(K, name + "_backward")(g, x, out, *typed, *tail)
        expected = getattr(NnDefaults, name + "_backward")(cpu, g, x, *params, *tail)
        np.testing.assert_allclose(out, expected, rtol=tol, atol=tol)
