"""LazyLinear, LazyConv1d/2d/3d and UninitializedParameter: reprs and state_dict before the
first forward, the eager class, shapes and init draws after it (the same random numbers as
PyTorch from the same seed), load_state_dict into a lazy module, and PyTorch's errors."""
import re

import numpy as np
import pytest

import minitorch
from minitorch import nn
from tests._compat import requires_torch, torch

_NO_SHAPE = "Can't access the shape of an uninitialized parameter or buffer."


def test_lazy_linear_before_and_after_the_first_forward():
    m = nn.LazyLinear(4)
    assert repr(m) == "LazyLinear(in_features=0, out_features=4, bias=True)"
    assert m.has_uninitialized_params() and m.in_features == 0
    assert [(k, repr(v)) for k, v in m.state_dict().items()] == [("weight", "<UninitializedParameter>"),
                                                                  ("bias", "<UninitializedParameter>")]
    with pytest.raises(RuntimeError, match=re.escape(_NO_SHAPE)):
        m.weight.shape
    minitorch.manual_seed(1)
    x = minitorch.ones(2, 3)
    y = m(x)
    assert type(m) is nn.Linear and type(m.weight) is nn.Parameter and m.weight.requires_grad
    assert tuple(m.weight.shape) == (4, 3) and tuple(m.bias.shape) == (4,)
    assert repr(m) == "Linear(in_features=3, out_features=4, bias=True)"
    # the draws an eager Linear(3, 4) makes from the same point of the random stream
    minitorch.manual_seed(1)
    eager = nn.Linear(3, 4)
    np.testing.assert_array_equal(m.weight.detach().numpy(), eager.weight.detach().numpy())
    np.testing.assert_array_equal(m.bias.detach().numpy(), eager.bias.detach().numpy())
    np.testing.assert_allclose(y.detach().numpy(), eager(x).detach().numpy())
    y.sum().backward()
    np.testing.assert_allclose(m.weight.grad.numpy(), np.ones((4, 3)) * 2)


def test_lazy_modules_make_no_draws_until_their_first_forward():
    minitorch.manual_seed(0)
    expected = minitorch.rand(3).numpy()
    minitorch.manual_seed(0)
    nn.LazyLinear(4), nn.LazyConv2d(3, 3), nn.LazyConv3d(2, 2)
    np.testing.assert_array_equal(minitorch.rand(3).numpy(), expected)


def test_load_state_dict_into_a_lazy_module_takes_the_shapes():
    eager = nn.Linear(3, 4)
    lazy = nn.LazyLinear(4)
    lazy.load_state_dict(eager.state_dict())
    assert tuple(lazy.weight.shape) == (4, 3)
    np.testing.assert_array_equal(lazy.weight.detach().numpy(), eager.weight.detach().numpy())
    x = minitorch.ones(2, 3)
    np.testing.assert_allclose(lazy(x).detach().numpy(), eager(x).detach().numpy())


def test_uninitialized_parameter_materialize():
    p = nn.UninitializedParameter()
    assert repr(p) == "<UninitializedParameter>" and p.requires_grad
    p.materialize((2, 3))
    assert type(p) is nn.Parameter and tuple(p.shape) == (2, 3) and p.dtype is minitorch.float32


@requires_torch
@pytest.mark.parametrize("name,args,kwargs,shape", [
    ("LazyLinear", (4,), {}, (2, 5, 3)),
    ("LazyLinear", (3,), dict(bias=False), (3,)),
    ("LazyConv1d", (4, 2), dict(stride=2), (2, 3, 7)),
    ("LazyConv2d", (8, 3), dict(groups=2, padding=1), (1, 2, 5, 5)),
    ("LazyConv2d", (4, 2), dict(padding_mode="reflect", padding=1), (3, 5, 5)),
    ("LazyConv3d", (4, (1, 2, 2)), dict(bias=False), (3, 2, 5, 5)),
])
def test_lazy_modules_match_torch(name, args, kwargs, shape):
    minitorch.manual_seed(7)
    torch.manual_seed(7)
    m, t = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(m) == repr(t)
    assert list(m.state_dict()) == list(t.state_dict())
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    out_m, out_t = m(minitorch.tensor(x)), t(torch.tensor(x))
    assert type(m).__name__ == type(t).__name__ and repr(m) == repr(t)
    for k, v in t.state_dict().items():
        np.testing.assert_array_equal(m.state_dict()[k].numpy(), v.numpy())
    np.testing.assert_allclose(out_m.detach().numpy(), out_t.detach().numpy(), rtol=1e-5, atol=1e-5)


@requires_torch
def test_lazy_conv_input_dim_error_matches_torch():
    with pytest.raises(RuntimeError) as expected:
        torch.nn.LazyConv2d(4, 2)(torch.ones(3, 3))
    with pytest.raises(RuntimeError) as got:
        nn.LazyConv2d(4, 2)(minitorch.ones(3, 3))
    assert str(got.value) == str(expected.value)
