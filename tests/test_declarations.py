"""The op declarations (minitorch/_declare.py) and the ops the redesign added through them:
every public form of an op is the one declared function, with its real signature; out=,
the generated in-place forms, erf, hardtanh/relu6, clamp_min/max, the logical and bitwise
functions, select; and one backward per op (saved outputs differentiate under create_graph).
Against torch where it is installed, and against NumPy / central differences everywhere."""
import inspect
import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitorch
import minitorch.nn.functional as F
from minitorch import _declare
from minitorch.autograd import gradcheck

from ._compat import requires_torch, torch
from .strategies import hsettings, tensors, to_numpy


# ----- the forms of one declaration -----------------------------------------------------------
def test_the_method_and_the_function_are_one_declaration():
    assert minitorch.Tensor.reshape is inspect.unwrap(minitorch.reshape)
    x = minitorch.tensor([0.5, 2.0])
    assert minitorch.exp(x).tolist() == x.exp().tolist()
    assert minitorch.exp.__doc__ == minitorch.Tensor.exp.__doc__ == "e ** input elementwise."
    assert str(inspect.signature(minitorch.exp)) == "(input: 'Tensor', *, out=None) -> 'Tensor'"
    assert "alpha=1" in str(inspect.signature(minitorch.add))
    assert minitorch.Tensor.subtract is minitorch.Tensor.sub                     # an alias


def test_every_public_function_is_declared_and_documented():
    for name, fn in list(_declare.FUNCTIONS.items()) + list(_declare.FUNCTIONAL.items()):
        assert fn.__doc__, name
    assert set(_declare.FUNCTIONAL) <= set(F.__all__)


def test_the_function_form_checks_its_first_argument():
    with pytest.raises(TypeError, match=r"exp\(\): argument 'input' \(position 1\) must be Tensor, not list"):
        minitorch.exp([1.0, 2.0])


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs", "neg", "sin",
                                  "floor", "erf", "clamp_min"])
def test_every_unary_op_has_an_in_place_form(name):
    x = minitorch.tensor([0.25, 1.5, 3.0])
    args = (0.5,) if name == "clamp_min" else ()
    expected = getattr(minitorch, name)(x, *args)
    y = x.clone()
    assert getattr(y, name + "_")(*args) is y
    np.testing.assert_array_equal(y.numpy(), expected.numpy())


def test_in_place_forms_record_the_graph_and_bump_the_version():
    a = minitorch.tensor([0.5, 1.0], requires_grad=True)
    b = a * 1
    version = b._version
    b.exp_()
    assert b._version == version + 1 and b.grad_fn.name() == "ExpBackward0"
    b.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), np.exp([0.5, 1.0]), rtol=1e-6)


# ----- out= ---------------------------------------------------------------------------------
def test_out_writes_the_result_into_the_given_tensor():
    a, b = minitorch.tensor([1.0, 2.0]), minitorch.tensor([3.0, 4.0])
    out = minitorch.empty(2)
    assert minitorch.add(a, b, out=out) is out
    assert out.tolist() == [4.0, 6.0]
    assert minitorch.exp(a, out=out).tolist() == pytest.approx([math.e, math.e ** 2])


def test_out_resizes_with_pytorchs_warning_and_refuses_autograd():
    a = minitorch.ones(2, 3)
    out = minitorch.zeros(5)
    with pytest.warns(UserWarning, match="An output with one or more elements was resized"):
        minitorch.mul(a, 2, out=out)
    assert out.shape == (2, 3) and out.sum().item() == 12
    empty = minitorch.empty(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        minitorch.mul(a, 2, out=empty)       # an empty out is resized silently
    w = minitorch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="add\\(\\): functions with out=... arguments don't support automatic "
                                           "differentiation"):
        minitorch.add(w, 1, out=minitorch.empty(2))
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        minitorch.add(minitorch.ones(2), 1.5, out=minitorch.zeros(2, dtype=minitorch.int64))


@requires_torch
def test_out_matches_torch():
    for lib in (minitorch, torch):
        out = lib.empty(0)
        lib.matmul(lib.ones(2, 3), lib.ones(3, 4), out=out)
        assert out.shape == (2, 4) and out.sum().item() == 24
        out2 = lib.empty(0)
        lib.cat([lib.ones(1, 2), lib.zeros(1, 2)], out=out2)
        assert out2.tolist() == [[1.0, 1.0], [0.0, 0.0]]


# ----- erf, hardtanh, relu6 -----------------------------------------------------------------
@given(data=st.data())
@hsettings(max_examples=20)
def test_erf_matches_math_erf_on_any_layout(data):
    arr, x = data.draw(tensors(dtype="float64", lo=-4, hi=4))
    expected = np.vectorize(math.erf)(arr) if arr.size else arr
    np.testing.assert_allclose(to_numpy(minitorch.erf(x)), expected, rtol=1e-12, atol=1e-15)


def test_erf_gelu_hardtanh_gradients_match_central_differences():
    x = minitorch.tensor([-2.0, -0.7, 0.3, 1.1, 2.5], dtype=minitorch.float64, requires_grad=True)
    assert gradcheck(minitorch.erf, (x,))
    assert gradcheck(lambda t: F.gelu(t), (x,))
    assert gradcheck(lambda t: F.gelu(t, approximate="tanh"), (x,))
    assert gradcheck(lambda t: F.hardtanh(t, -1.0, 2.0), (x,))


def test_second_derivatives_through_saved_outputs_and_gelu():
    x = minitorch.tensor([-1.3, 0.4, 2.0], dtype=minitorch.float64, requires_grad=True)
    for fn, d2 in ((lambda t: t.exp(), np.exp), (lambda t: t.tanh(),
                                                  lambda v: -2 * np.tanh(v) * (1 - np.tanh(v) ** 2)),
                   (lambda t: t.sqrt().sum() if False else t.sigmoid(),
                    lambda v: (s := 1 / (1 + np.exp(-v))) * (1 - s) * (1 - 2 * s))):
        (g,) = minitorch.autograd.grad(fn(x).sum(), x, create_graph=True)
        (gg,) = minitorch.autograd.grad(g.sum(), x)
        np.testing.assert_allclose(gg.numpy(), d2(x.detach().numpy()), rtol=1e-10)
    (g,) = minitorch.autograd.grad(F.gelu(x).sum(), x, create_graph=True)
    (gg,) = minitorch.autograd.grad(g.sum(), x)
    v = x.detach().numpy()
    pdf = np.exp(-v * v / 2) / math.sqrt(2 * math.pi)
    np.testing.assert_allclose(gg.numpy(), pdf * (2 - v * v), rtol=1e-10)  # d2/dx2 of x*Phi(x)


@requires_torch
@pytest.mark.parametrize("inplace", [False, True])
def test_hardtanh_relu6_and_their_modules_match_torch(inplace):
    values = [-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 7.0]
    for m_fn, t_fn in ((lambda L, x: L.nn.functional.hardtanh(x, -1.0, 1.0, inplace=inplace),) * 2,
                       (lambda L, x: L.nn.functional.relu6(x, inplace=inplace),) * 2,
                       (lambda L, x: L.nn.Hardtanh(-0.5, 2.0, inplace)(x),) * 2,
                       (lambda L, x: L.nn.ReLU6(inplace)(x),) * 2):
        got = [None, None]
        for k, lib in enumerate((minitorch, torch)):
            leaf = lib.tensor(values, requires_grad=True)
            y = m_fn(lib, leaf * 1)
            (y * lib.arange(8.0)).sum().backward()
            got[k] = (y.detach().numpy().tolist(), leaf.grad.numpy().tolist(), y.grad_fn.name())
        assert got[0][:2] == got[1][:2]
    assert repr(minitorch.nn.ReLU6(True)) == repr(torch.nn.ReLU6(True))
    with pytest.raises(AssertionError, match=r"max_val \(1\) must be greater than min_val \(2\)"):
        minitorch.nn.Hardtanh(2, 1)
    with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):
        F.hardtanh(minitorch.ones(2), 2.0, 1.0)


@requires_torch
def test_leaky_relu_in_place_after_batch_norm_gives_torchs_gradients():
    """The DCGAN discriminator's pattern: the in-place leaky ReLU used to save its input and then
    overwrite it, so its backward read the output instead."""
    grads = []
    for lib in (minitorch, torch):
        lib.manual_seed(0)
        x = lib.randn(4, 3, 5, 5, requires_grad=True)
        net = lib.nn.Sequential(lib.nn.Conv2d(3, 2, 3), lib.nn.BatchNorm2d(2), lib.nn.LeakyReLU(0.2, inplace=True))
        (net(x) * lib.arange(2 * 9 * 4.0).reshape(4, 2, 3, 3)).sum().backward()
        grads.append((x.grad.numpy(), net[0].weight.grad.numpy()))
    np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-4, atol=1e-4)


# ----- the logical, bitwise and selection functions ----------------------------------------
@requires_torch
@pytest.mark.parametrize("name", ["logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or",
                                  "bitwise_xor"])
def test_logical_and_bitwise_functions_match_torch(name):
    a, b = [0, 1, 2, 3, 0, 5], [0, 0, 3, 1, 1, 6]
    got = getattr(minitorch, name)(minitorch.tensor(a), minitorch.tensor(b))
    expected = getattr(torch, name)(torch.tensor(a), torch.tensor(b))
    assert got.tolist() == expected.tolist() and str(got.dtype) == str(expected.dtype)


def test_bitwise_in_place_operators_write_into_the_tensor():
    m = minitorch.tensor([True, False, True])
    ident = id(m)
    m &= minitorch.tensor([True, True, False])
    assert id(m) == ident and m.tolist() == [True, False, False]


def test_select_and_clamp_min_max_are_what_torch_computes():
    x = minitorch.arange(12.0).reshape(3, 4)
    assert x.select(1, -1).tolist() == [3.0, 7.0, 11.0] and minitorch.select(x, 0, 1).tolist() == [4, 5, 6, 7]
    assert minitorch.clamp_min(x, 5.0).min().item() == 5.0 and x.clamp_max(2.0).max().item() == 2.0
