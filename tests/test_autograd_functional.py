"""torch.autograd's helpers around the engine: autograd.functional (jacobian, hessian, vjp, jvp,
vhp, hvp), gradgradcheck, anomaly detection, Variable -- against torch where it is installed,
and against closed-form derivatives (NumPy) so the tests check something without it."""
import warnings

import numpy as np
import pytest

import minitorch
from minitorch.autograd import functional as AF
from tests._compat import requires_torch, torch

X = np.array([0.5, -1.25, 2.0])
Y = np.array([[1.0, 2.0], [-0.5, 0.25]])


def _lib_fns(lib):
    """The same functions written for either library."""
    return {
        "elementwise": (lambda x: (x * x).exp(), (X,)),
        "reduce": (lambda x: (x ** 3).sum(), (X,)),
        "two_inputs": (lambda x, y: (x.unsqueeze(1) * y.sum(0)).tanh(), (X, Y)),
        "two_outputs": (lambda x: (x.sin(), (x * 2).sum()), (X,)),
        "independent": (lambda x, y: x * 2, (X, Y)),
    }


def _inputs(lib, arrays, tuple_inputs):
    ts = tuple(lib.tensor(a, dtype=lib.float64) for a in arrays)
    return ts if tuple_inputs or len(ts) > 1 else ts[0]


def _flatten(r):
    if isinstance(r, (tuple, list)):
        return [x for item in r for x in _flatten(item)]
    return [r]


def _same(got, want):
    g, w = _flatten(got), _flatten(want)
    assert len(g) == len(w)
    for a, b in zip(g, w):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-14)


@requires_torch
@pytest.mark.parametrize("name", ["elementwise", "reduce", "two_inputs", "two_outputs", "independent"])
@pytest.mark.parametrize("tuple_inputs", [False, True])
def test_jacobian_matches_torch_in_values_and_nesting(name, tuple_inputs):
    fm, arrays = _lib_fns(minitorch)[name]
    ft, _ = _lib_fns(torch)[name]
    got = AF.jacobian(fm, _inputs(minitorch, arrays, tuple_inputs))
    want = torch.autograd.functional.jacobian(ft, _inputs(torch, arrays, tuple_inputs))
    assert type(got) is type(want) or (isinstance(got, minitorch.Tensor) and isinstance(want, torch.Tensor))
    _same(got, want)


@requires_torch
@pytest.mark.parametrize("name", ["reduce"])
@pytest.mark.parametrize("tuple_inputs", [False, True])
def test_hessian_matches_torch(name, tuple_inputs):
    fm, arrays = _lib_fns(minitorch)[name]
    ft, _ = _lib_fns(torch)[name]
    _same(AF.hessian(fm, _inputs(minitorch, arrays, tuple_inputs)),
          torch.autograd.functional.hessian(ft, _inputs(torch, arrays, tuple_inputs)))


@requires_torch
def test_hessian_of_two_inputs_is_a_tuple_of_tuples_as_torch():
    def f(lib):
        return lambda x, y: (x.unsqueeze(1) * y.sum(0)).sin().sum()
    got = AF.hessian(f(minitorch), _inputs(minitorch, (X, Y), True))
    want = torch.autograd.functional.hessian(f(torch), _inputs(torch, (X, Y), True))
    assert len(got) == 2 and all(len(row) == 2 for row in got)
    _same(got, want)


@requires_torch
@pytest.mark.parametrize("fn", ["vjp", "jvp"])
def test_vjp_and_jvp_match_torch(fn):
    v_out, v_in = np.array([1.0, -2.0, 0.5]), np.array([0.3, 0.2, -1.0])
    v = v_out if fn == "vjp" else v_in
    got = getattr(AF, fn)(lambda x: (x * x).exp(), minitorch.tensor(X), minitorch.tensor(v))
    want = getattr(torch.autograd.functional, fn)(lambda x: (x * x).exp(), torch.tensor(X), torch.tensor(v))
    _same(got, want)


@requires_torch
@pytest.mark.parametrize("fn", ["vhp", "hvp"])
def test_vhp_and_hvp_match_torch(fn):
    v = np.array([0.3, 0.2, -1.0])
    f_m = lambda x: (x.sin() * x).sum()  # noqa: E731
    f_t = lambda x: (x.sin() * x).sum()  # noqa: E731
    got = getattr(AF, fn)(f_m, minitorch.tensor(X), minitorch.tensor(v))
    want = getattr(torch.autograd.functional, fn)(f_t, torch.tensor(X), torch.tensor(v))
    _same(got, want)


def test_jacobian_and_hessian_are_the_closed_form_ones():
    x = minitorch.tensor(X)
    np.testing.assert_allclose(AF.jacobian(lambda t: (t * t).exp(), x).numpy(),
                               np.diag(2 * X * np.exp(X * X)), rtol=1e-12)
    np.testing.assert_allclose(AF.hessian(lambda t: (t ** 3).sum(), x).numpy(), np.diag(6 * X), rtol=1e-12)
    _, hv = AF.hvp(lambda t: (t ** 3).sum(), x, minitorch.ones(3, dtype=minitorch.float64))
    np.testing.assert_allclose(hv.numpy(), 6 * X, rtol=1e-12)
    out, jv = AF.jvp(lambda t: t.sin(), x, minitorch.ones(3, dtype=minitorch.float64))
    np.testing.assert_allclose(jv.numpy(), np.cos(X), rtol=1e-12)
    np.testing.assert_allclose(out.numpy(), np.sin(X), rtol=1e-12)


def test_results_are_detached_unless_create_graph():
    x = minitorch.tensor(X, requires_grad=True)
    assert not AF.jacobian(lambda t: t.exp(), x).requires_grad
    j = AF.jacobian(lambda t: t.exp(), x, create_graph=True)
    assert j.requires_grad
    j.sum().backward()  # d/dx of sum(diag(exp x)) = exp x
    np.testing.assert_allclose(x.grad.numpy(), np.exp(X), rtol=1e-12)


@requires_torch
def test_functional_errors_match_torch():
    cases = [
        lambda F, lib: F.vjp(lambda x: x * 2, lib.tensor(X)),             # v needed: many outputs
        lambda F, lib: F.jvp(lambda x: x * 2, lib.tensor(X)),             # v needed: many inputs
        lambda F, lib: F.jacobian(lambda x: x * 2, [lib.tensor(X)]),      # a list is not a tuple
        lambda F, lib: F.hessian(lambda x: x * 2, lib.tensor(X)),         # not one element
        lambda F, lib: F.jacobian(lambda x, y: x * 2, (lib.tensor(X), lib.tensor(Y)), strict=True),
        lambda F, lib: F.vjp(lambda x: x * 2, lib.tensor(X), lib.ones(2)),  # v of the wrong size
        lambda F, lib: F.jacobian(lambda x: x, lib.tensor(X), strategy="sideways"),
    ]
    for case in cases:
        with pytest.raises(Exception) as want:
            case(torch.autograd.functional, torch)
        with pytest.raises(want.type):
            case(AF, minitorch)


# ----- gradgradcheck ------------------------------------------------------------------------
class _CubeWithBadSecondDerivative(minitorch.autograd.Function):
    """x^3 whose backward is right once but not differentiable correctly (detached factor)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * (x * x).detach()


def test_gradgradcheck_passes_true_second_derivatives_and_catches_wrong_ones():
    a = minitorch.tensor([0.5, -1.5, 2.0], dtype=minitorch.float64, requires_grad=True)
    b = minitorch.tensor([[1.0, 0.5], [-0.5, 2.0], [0.25, 1.0]], dtype=minitorch.float64, requires_grad=True)
    assert minitorch.autograd.gradgradcheck(lambda x: (x ** 3).sin(), (a,))
    assert minitorch.autograd.gradgradcheck(lambda x, y: (x.unsqueeze(1) * y).tanh(), (a, b))
    # first derivative right, second wrong
    assert minitorch.autograd.gradcheck(_CubeWithBadSecondDerivative.apply, (a,))
    assert not minitorch.autograd.gradgradcheck(_CubeWithBadSecondDerivative.apply, (a,),
                                                raise_exception=False)
    with pytest.raises(minitorch.autograd.GradcheckError):
        minitorch.autograd.gradgradcheck(_CubeWithBadSecondDerivative.apply, (a,))


def test_gradcheck_takes_non_contiguous_inputs_and_outputs_that_need_grad():
    a = minitorch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=minitorch.float64, requires_grad=True)
    assert minitorch.autograd.gradcheck(lambda t: t, (a,))  # the output is the input
    t = a.t()
    assert not t.is_contiguous()
    assert minitorch.autograd.gradcheck(lambda u: (u * u).sum(0), (t,))
    # gradcheck leaves the input as it was, and usable in a graph built before
    y = (a * a).sum()
    assert minitorch.autograd.gradcheck(lambda u: u.sin(), (a,))
    y.backward()
    np.testing.assert_array_equal(a.grad.numpy(), 2 * a.detach().numpy())


# ----- anomaly detection --------------------------------------------------------------------
def _nan_backward(lib):
    x = lib.tensor([-1.0, 4.0], requires_grad=True)
    x.sqrt().sum().backward()
    return x


@requires_torch
def test_detect_anomaly_names_the_node_that_returned_nan_as_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.autograd.detect_anomaly():
            with pytest.raises(RuntimeError) as want:
                _nan_backward(torch)
        with minitorch.autograd.detect_anomaly():
            assert minitorch.autograd.is_anomaly_enabled()
            with pytest.raises(RuntimeError) as got:
                _nan_backward(minitorch)
    assert str(got.value) == str(want.value).split("\n")[0]
    assert not minitorch.autograd.is_anomaly_enabled()


def test_without_anomaly_mode_nan_reaches_the_leaf():
    x = _nan_backward(minitorch)
    assert np.isnan(x.grad.numpy()[0]) and x.grad.numpy()[1] == 0.25


def test_set_detect_anomaly_is_a_switch_and_a_context_manager():
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        minitorch.autograd.detect_anomaly()
    with minitorch.autograd.set_detect_anomaly(True):
        assert minitorch.autograd.is_anomaly_enabled()
        with pytest.raises(RuntimeError, match="SqrtBackward0"):
            _nan_backward(minitorch)
    assert not minitorch.autograd.is_anomaly_enabled()
    with minitorch.autograd.set_detect_anomaly(True, check_nan=False):
        assert not minitorch.autograd.is_anomaly_check_nan_enabled()
        _nan_backward(minitorch)  # checks off: no error
    assert minitorch.autograd.is_anomaly_check_nan_enabled()


# ----- Variable -----------------------------------------------------------------------------
def test_variable_is_a_detached_alias_with_requires_grad():
    from minitorch.autograd import Variable
    t = minitorch.ones(3)
    v = Variable(t, requires_grad=True)
    assert isinstance(v, minitorch.Tensor) and v.requires_grad and v.is_leaf
    v2 = Variable(v * 2)
    assert v2.grad_fn is None and not v2.requires_grad
    with minitorch.no_grad():
        v.mul_(2)
    np.testing.assert_array_equal(t.numpy(), [2.0, 2.0, 2.0])  # shares memory
    assert isinstance(t, Variable) and not isinstance(np.ones(1), Variable)
    assert Variable().shape == (0,)
    with pytest.raises(TypeError, match="Variable data has to be a tensor, but got list"):
        Variable([1.0, 2.0])
    with pytest.warns(UserWarning, match="volatile was removed"):
        Variable(t, volatile=True)


@requires_torch
def test_legacy_tensor_constructor_matches_torch():
    for args in [(), (2, 3), ([1, 2],), ((2,),)]:
        got, want = minitorch.Tensor(*args), torch.Tensor(*args)
        assert tuple(got.shape) == tuple(want.shape) and str(got.dtype) == str(want.dtype)
    assert tuple(minitorch.Tensor(minitorch.Size([2, 3])).shape) == (2, 3)
