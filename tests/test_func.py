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
    for name in ("vmap", "jacfwd", "hessian", "jvp"):
        with pytest.raises(NotImplementedError, match=rf"torch\.func\.{name} is not supported"):
            getattr(minitorch.func, name)
    assert not hasattr(minitorch.func, "no_such_transform")


# ----- grad, grad_and_value, vjp, jacrev ---------------------------------------------------------
def _cube_sum(x):
    return (x * x * x).sum()


def test_grad_and_grad_and_value_against_the_derivative():
    x = minitorch.tensor([1.0, -2.0, 0.5], dtype=minitorch.float64)
    g = minitorch.func.grad(_cube_sum)(x)
    np.testing.assert_allclose(g.numpy(), 3 * x.numpy() ** 2, rtol=1e-15)
    assert not g.requires_grad and not x.requires_grad
    g, value = minitorch.func.grad_and_value(_cube_sum)(x)
    assert value.item() == pytest.approx(1 - 8 + 0.125)
    # second derivative by nesting: d/dx (3 x^2) = 6 x
    second = minitorch.func.grad(minitorch.func.grad(lambda v: v * v * v))(minitorch.tensor(2.0))
    assert second.item() == pytest.approx(12.0)
    gx, gy = minitorch.func.grad(lambda a, b: (a * b).sum(), argnums=(0, 1))(x, x + 1)
    np.testing.assert_allclose(gx.numpy(), (x + 1).numpy())
    np.testing.assert_allclose(gy.numpy(), x.numpy())
    g, aux = minitorch.func.grad(lambda v: ((v * v).sum(), v.mean()), has_aux=True)(x)
    np.testing.assert_allclose(g.numpy(), 2 * x.numpy())
    assert aux.item() == pytest.approx(x.numpy().mean())
    g = minitorch.func.grad(lambda d: (d["a"] * d["b"]).sum())({"a": x, "b": x * 2})
    np.testing.assert_allclose(g["a"].numpy(), 2 * x.numpy())
    np.testing.assert_allclose(g["b"].numpy(), x.numpy())
    # an argument the output does not depend on gets zeros
    np.testing.assert_array_equal(minitorch.func.grad(lambda v: v.sum() * 0 + 1.0)(x).numpy(), [0.0, 0.0, 0.0])


def test_grad_of_a_module_through_functional_call_matches_backward():
    net = nn.Linear(3, 2)
    params = {k: v.detach() for k, v in net.named_parameters()}
    x = minitorch.tensor(X)
    grads = minitorch.func.grad(lambda p: minitorch.func.functional_call(net, p, x).pow(2).sum())(params)
    net(x).pow(2).sum().backward()
    for name, p in net.named_parameters():
        np.testing.assert_allclose(grads[name].numpy(), p.grad.numpy(), rtol=1e-6)


def test_vjp_and_jacrev_against_the_derivative():
    x = minitorch.tensor([1.0, -2.0, 0.5], dtype=minitorch.float64)
    out, vjp_fn = minitorch.func.vjp(lambda v: v * v, x)
    np.testing.assert_allclose(out.numpy(), x.numpy() ** 2)
    (g,) = vjp_fn(minitorch.tensor([1.0, 2.0, 3.0], dtype=minitorch.float64))
    np.testing.assert_allclose(g.numpy(), 2 * x.numpy() * [1.0, 2.0, 3.0])
    ga, gb = minitorch.func.vjp(lambda a, b: a * b, x, x + 1)[1](minitorch.ones(3, dtype=minitorch.float64))
    np.testing.assert_allclose(ga.numpy(), (x + 1).numpy())
    jac = minitorch.func.jacrev(lambda v: v * v)(x)
    np.testing.assert_allclose(jac.numpy(), np.diag(2 * x.numpy()))
    outer = minitorch.func.jacrev(lambda v: v.outer(v))(x)
    assert outer.shape == (3, 3, 3)
    ja, jb = minitorch.func.jacrev(lambda a, b: a * b, argnums=(0, 1))(x, x + 1)
    np.testing.assert_allclose(ja.numpy(), np.diag(x.numpy() + 1))
    np.testing.assert_allclose(jb.numpy(), np.diag(x.numpy()))
    # the Hessian as the Jacobian of the gradient
    hess = minitorch.func.jacrev(minitorch.func.jacrev(_cube_sum))(x)
    np.testing.assert_allclose(hess.numpy(), np.diag(6 * x.numpy()))


@requires_torch
def test_transforms_match_torch():
    data = np.array([[0.3, -1.2, 2.0], [1.5, 0.1, -0.7]])

    def f(lib):
        return lambda w, b: (lib.tanh(lib.tensor(data) @ w + b) ** 2).sum()
    w0, b0 = np.array([0.5, -0.25, 1.0]), np.array(0.1)
    got = minitorch.func.grad(f(minitorch), argnums=(0, 1))(minitorch.tensor(w0), minitorch.tensor(b0))
    want = torch.func.grad(f(torch), argnums=(0, 1))(torch.tensor(w0), torch.tensor(b0))
    for m, t in zip(got, want):
        np.testing.assert_allclose(m.numpy(), t.numpy(), rtol=1e-12)
    hm = minitorch.func.jacrev(minitorch.func.jacrev(f(minitorch)))(minitorch.tensor(w0), minitorch.tensor(b0))
    ht = torch.func.jacrev(torch.func.jacrev(f(torch)))(torch.tensor(w0), torch.tensor(b0))
    np.testing.assert_allclose(hm.numpy(), ht.numpy(), rtol=1e-12, atol=1e-14)


def test_transform_misuse_raises_torchs_errors():
    x = minitorch.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"Expected f\(\*args\) to return a scalar Tensor, got tensor with 1 dims"):
        minitorch.func.grad(lambda v: v * v)(x)
    with pytest.raises(RuntimeError, match=r"Got argnum=1, but only 1 positional inputs"):
        minitorch.func.grad(_cube_sum, argnums=1)(x)
    with pytest.raises(RuntimeError, match=r"argnums must be int or Tuple\[int, ...\], got: <class 'float'>"):
        minitorch.func.grad(_cube_sum, argnums=1.0)(x)
    with pytest.raises(RuntimeError, match=r"output of function f should be a tuple: \(output, aux\)"):
        minitorch.func.grad(_cube_sum, has_aux=True)(x)
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require gradients"):
        minitorch.func.grad(_cube_sum)(minitorch.tensor([1, 2]))
    with pytest.raises(ValueError, match="Thing passed to transform API must be Tensor, got <class 'float'>"):
        minitorch.func.grad(lambda v: v[0] * 2)([1.0])
