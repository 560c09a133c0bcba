"""torch.func.functional_call and the deprecated nn.utils.stateless.functional_call: the module
runs with the given tensors, gradients reach them (checked against torch 2.13 and against the
same module with those values loaded), the module is restored afterwards (also on error), tied
weights, strict, several dicts, and torch's errors and warning."""
import numpy as np
import pytest

import minitorch
from minitorch import nn
from tests._compat import requires_torch, torch


def _net(lib):
    lib.manual_seed(0)
    return lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4), lib.nn.Tanh(), lib.nn.Linear(4, 2))


def _given(lib, net):
    """Other values for every parameter, float64-exact from NumPy."""
    rng = np.random.default_rng(7)
    return {name: lib.tensor(rng.normal(size=tuple(p.shape)).astype(np.float32), requires_grad=True)
            for name, p in net.named_parameters()}


X = np.random.default_rng(3).normal(size=(5, 3)).astype(np.float32)


def test_the_call_uses_the_given_tensors_and_gradients_reach_them():
    net = _net(minitorch)
    before = {k: v.detach().clone() for k, v in net.state_dict().items()}
    given = _given(minitorch, net)
    out = minitorch.func.functional_call(net, given, (minitorch.tensor(X),))
    out.pow(2).sum().backward()
    # the same values loaded into a copy of the module give the same output and gradients
    twin = _net(minitorch)
    twin.load_state_dict({**net.state_dict(), **{k: v.detach() for k, v in given.items()}})
    want = twin(minitorch.tensor(X))
    want.pow(2).sum().backward()
    np.testing.assert_allclose(out.detach().numpy(), want.detach().numpy(), rtol=1e-6)
    for name, p in twin.named_parameters():
        np.testing.assert_allclose(given[name].grad.numpy(), p.grad.numpy(), rtol=1e-5, atol=1e-6)
    # the module got its own tensors back, untouched but for the running stats its forward updated
    for name, p in net.named_parameters():
        assert p.grad is None and isinstance(p, nn.Parameter)
        np.testing.assert_array_equal(p.detach().numpy(), before[name].numpy())
    assert set(dict(net.named_parameters())) == set(given)


@requires_torch
def test_values_and_gradients_match_torch():
    nets = {lib: _net(lib) for lib in (minitorch, torch)}
    nets[minitorch].load_state_dict({k: minitorch.tensor(v.numpy()) for k, v in nets[torch].state_dict().items()})
    results = {}
    for lib, net in nets.items():
        given = _given(lib, net)
        buffers = {"1.running_mean": lib.ones(4)}
        out = lib.func.functional_call(net, (given, buffers), lib.tensor(X), strict=False)
        out.sum().backward()
        results[lib] = (out.detach().numpy(), {k: v.grad.numpy() for k, v in given.items()},
                        buffers["1.running_mean"].numpy(), nets[lib][1].running_mean.numpy())
    m, t = results[minitorch], results[torch]
    np.testing.assert_allclose(m[0], t[0], rtol=1e-5, atol=1e-6)
    for name in t[1]:
        np.testing.assert_allclose(m[1][name], t[1][name], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(m[2], t[2], rtol=1e-6)  # (the given buffer got the running update)
    np.testing.assert_allclose(m[3], t[3], rtol=1e-6)  # (the module's own did not)


def test_the_module_is_restored_when_the_call_raises():
    net = nn.Linear(3, 2)
    weight, bias = net.weight, net.bias
    with pytest.raises(RuntimeError, match="shapes cannot be multiplied"):
        minitorch.func.functional_call(net, {"weight": minitorch.ones(2, 5)}, minitorch.ones(1, 3))
    assert net.weight is weight and net.bias is bias
    assert list(dict(net.named_parameters())) == ["weight", "bias"]


def test_args_kwargs_and_names_that_are_not_parameters():
    class Scale(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(minitorch.tensor([2.0]))

        def forward(self, x, *, shift=0.0):
            return x * self.w + shift + getattr(self, "extra", 0.0)

    m = Scale()
    x = minitorch.tensor([1.0, 2.0])
    assert minitorch.func.functional_call(m, {"w": minitorch.tensor([3.0])}, x).tolist() == [3.0, 6.0]
    got = minitorch.func.functional_call(m, {"w": minitorch.tensor([3.0])}, (x,), {"shift": 1.0})
    assert got.tolist() == [4.0, 7.0]
    got = minitorch.func.functional_call(m, {"extra": minitorch.tensor([10.0])}, (x,))
    assert got.tolist() == [12.0, 14.0]
    assert not hasattr(m, "extra")  # (set for the call only)
    assert minitorch.func.functional_call(m, {}, x).tolist() == [2.0, 4.0]


class _Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.foo = nn.Parameter(minitorch.tensor(1.0))
        self.foo_tied = self.foo

    def forward(self, x):
        return x + self.foo + self.foo_tied


def test_tied_weights():
    m, zero = _Tied(), minitorch.tensor(0.0)
    assert m(zero).item() == 2.0
    assert minitorch.func.functional_call(m, {"foo": zero}, zero).item() == 0.0
    assert minitorch.func.functional_call(m, {"foo": zero}, zero, tie_weights=False).item() == 1.0
    assert minitorch.func.functional_call(m, {"foo": zero, "foo_tied": zero}, zero).item() == 0.0
    with pytest.raises(ValueError, match=r"functional_call got multiple values for keys \['foo', 'foo_tied'\], "
                                         r"which are tied. Consider using tie_weights=False"):
        minitorch.func.functional_call(m, {"foo": zero, "foo_tied": minitorch.tensor(0.0)}, zero)
    assert m.foo is m.foo_tied and m(zero).item() == 2.0


def test_strict_and_bad_dicts_raise_torchs_errors():
    net = nn.Linear(3, 2)
    x = minitorch.ones(1, 3)
    with pytest.raises(RuntimeError, match=r"Error\(s\) in reparametrizing for Linear:\n\t"
                                           r"Unexpected key\(s\): 'scale'.\n\tMissing key\(s\): 'bias'."):
        minitorch.func.functional_call(net, {"weight": minitorch.ones(2, 3), "scale": minitorch.ones(1)}, x,
                                       strict=True)
    with pytest.raises(ValueError, match=r"\['weight'\] appeared in multiple dictionaries; behavior of functional "
                                         r"call is ambiguous"):
        minitorch.func.functional_call(net, ({"weight": net.weight}, {"weight": net.weight}), x)
    with pytest.raises(ValueError, match="Expected all elements of parameter_and_buffer_dicts to be dictionaries"):
        minitorch.func.functional_call(net, [{"weight": net.weight}, 3], x)
    with pytest.raises(ValueError, match="Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, "
                                         "but got <class 'int'>"):
        minitorch.func.functional_call(net, 3, x)
    with pytest.raises(TypeError, match="is not an instance of torch.Tensor"):
        minitorch.func.functional_call(net, {"weight": 3.0}, x)
    with pytest.raises(AttributeError, match="Linear has no attribute `sub`"):
        minitorch.func.functional_call(net, {"sub.weight": net.weight}, x)
    assert isinstance(net.weight, nn.Parameter)


def test_the_deprecated_stateless_spelling_warns_and_calls_the_same():
    net = nn.Linear(3, 2)
    given = {"weight": minitorch.zeros(2, 3), "bias": minitorch.tensor([1.0, -1.0])}
    with pytest.warns(FutureWarning, match=r"`torch.nn.utils.stateless.functional_call` is deprecated as of "
                                           r"PyTorch 2.0"):
        out = nn.utils.stateless.functional_call(net, given, minitorch.ones(4, 3))
    assert out.tolist() == [[1.0, -1.0]] * 4


def test_the_transforms_minitorch_lacks_raise_with_advice():
    for name in ("vmap", "jacfwd", "hessian"):
        with pytest.raises(NotImplementedError, match=rf"torch\.func\.{name} is not supported"):
            getattr(minitorch.func, name)
    assert not hasattr(minitorch.func, "no_such_transform")
