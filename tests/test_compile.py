"""minitorch.compile / minitorch.compiler / Module.compile: the same numbers as the plain
module, and torch.compile's observable behaviour (OptimizedModule, state_dict keys, errors)."""
import pickle

import numpy as np
import pytest

import minitorch
from minitorch import nn
from minitorch.nn._compile import OptimizedModule

from ._compat import requires_torch, torch


def _net(lib):
    lib.manual_seed(0)
    return lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU(), lib.nn.Linear(4, 2))


def test_compiled_module_computes_what_the_module_computes():
    net = _net(minitorch)
    compiled = minitorch.compile(net)
    x = minitorch.randn(5, 3)
    assert isinstance(compiled, OptimizedModule) and isinstance(compiled, nn.Module)
    assert compiled._orig_mod is net
    out, ref = compiled(x), net(x)
    assert np.array_equal(out.detach().numpy(), ref.detach().numpy())
    out.sum().backward()
    assert net[0].weight.grad is not None
    assert list(compiled.parameters()) == list(net.parameters())


def test_compiled_module_forwards_attributes_and_modes():
    net = _net(minitorch)
    compiled = minitorch.compile(net)
    with pytest.raises(TypeError, match="not subscriptable"):  # as torch's OptimizedModule
        compiled[0]
    assert len(compiled) == 3
    compiled.eval()
    assert not net.training and not compiled.training
    compiled.train()
    assert net.training
    compiled.extra = 5          # written on the original module, as torch does
    assert net.extra == 5
    lin = minitorch.compile(nn.Linear(2, 2))
    assert lin.weight is lin._orig_mod.weight and lin.in_features == 2
    with pytest.raises(TypeError, match="Linear does not support len"):
        len(lin)
    copy = pickle.loads(pickle.dumps(lin))
    assert isinstance(copy, OptimizedModule) and np.array_equal(copy.weight.detach().numpy(),
                                                                lin.weight.detach().numpy())


def test_state_dict_keys_carry_the_orig_mod_prefix():
    net = _net(minitorch)
    compiled = minitorch.compile(net)
    state = compiled.state_dict()
    assert list(state) == ["_orig_mod." + k for k in net.state_dict()]
    other = minitorch.compile(_net(minitorch))
    other.load_state_dict(state)
    assert "OptimizedModule(\n  (_orig_mod): Sequential(" in repr(compiled)


@requires_torch
def test_compiled_module_matches_torch():
    net, tnet = _net(minitorch), _net(torch)
    compiled, tcompiled = minitorch.compile(net), torch.compile(tnet)
    assert list(compiled.state_dict()) == list(tcompiled.state_dict())
    assert repr(compiled) == repr(tcompiled)
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_allclose(compiled(minitorch.tensor(x)).detach().numpy(),
                               tnet(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    net.compile()
    tnet.compile()
    assert list(net.state_dict()) == list(tnet.state_dict())


def test_compiled_functions_and_decorators():
    def f(x, k=2):
        return x * k
    g = minitorch.compile(f)
    assert g.__name__ == "f" and g(minitorch.ones(2), k=3).tolist() == [3.0, 3.0]

    @minitorch.compile
    def h(x):
        return x + 1

    @minitorch.compile(mode="reduce-overhead", fullgraph=True)
    def k(x):
        return x - 1
    assert h(minitorch.zeros(1)).tolist() == [1.0] and k(minitorch.zeros(1)).tolist() == [-1.0]
    assert minitorch.compile(f, disable=True) is f
    net = _net(minitorch)
    assert minitorch.compile(net, disable=True) is net
    assert net.compile(mode="max-autotune") is None


def test_compile_argument_errors():
    net = _net(minitorch)
    with pytest.raises(RuntimeError, match="Either mode or options can be specified"):
        minitorch.compile(net, mode="default", options={})
    with pytest.raises(RuntimeError, match="Unrecognized mode=fast, should be one of: default"):
        minitorch.compile(net, mode="fast")
    with pytest.raises(RuntimeError, match="Invalid backend: 'nope'"):
        minitorch.compile(net, backend="nope")
    with pytest.raises(RuntimeError, match="Unrecognized mode"):
        net.compile(mode="fast")
    with pytest.raises(AssertionError, match="A callable function is expected"):
        minitorch.compile(3)
    with pytest.raises(RuntimeError, match="Model can't be None"):
        minitorch.compile()(None)
    assert minitorch.compile(net, backend="eager") is not net
    assert minitorch.compile(net, backend=lambda gm, inputs: gm)(minitorch.ones(1, 3)).shape == (1, 2)


@requires_torch
def test_compile_errors_have_torchs_types():
    net, tnet = _net(minitorch), _net(torch)
    for kw in [dict(mode="default", options={}), dict(mode="fast"), dict(backend="nope")]:
        with pytest.raises(Exception) as theirs:
            torch.compile(tnet, **kw)
        with pytest.raises(RuntimeError) as ours:
            minitorch.compile(net, **kw)
        assert isinstance(theirs.value, RuntimeError)
        assert str(ours.value).split(",")[0] == str(theirs.value).split(",")[0]


def test_compiler_namespace():
    c = minitorch.compiler
    assert c.is_compiling() is False and c.is_dynamo_compiling() is False and c.reset() is None

    def f(x):
        return x
    assert c.disable(f) is f and c.disable(recursive=False)(f) is f
    assert "inductor" in c.list_backends()
    assert c.compile is minitorch.compile


@requires_torch
def test_compiler_namespace_matches_torch():
    assert minitorch.compiler.list_backends() == torch.compiler.list_backends()
    assert minitorch.compiler.is_compiling() == torch.compiler.is_compiling()
