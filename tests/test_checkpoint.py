"""minitorch.utils.checkpoint: gradients equal the un-checkpointed ones bit for bit (dropout
included: the forward's random state is restored), the graph keeps only the inputs, and
torch 2.13's warnings and errors."""
import gc
import weakref

import numpy as np
import pytest

import minitorch
from minitorch import nn
from minitorch.utils.checkpoint import checkpoint, checkpoint_sequential

from ._compat import requires_torch, torch


def _net(lib):
    lib.manual_seed(0)
    return lib.nn.Sequential(lib.nn.Linear(4, 6), lib.nn.Dropout(0.5), lib.nn.Tanh(),
                             lib.nn.Linear(6, 6), lib.nn.ReLU(), lib.nn.Dropout(0.3), lib.nn.Linear(6, 2))


def _grads(lib, net, x, run, seed=5):
    net.zero_grad()
    x.grad = None
    lib.manual_seed(seed)
    out = run(net, x)
    lib.randn(7)  # the stream moves on between forward and backward
    (out * out).sum().backward()
    return [p.grad.numpy().copy() for p in net.parameters()] + [x.grad.numpy().copy()], out.detach().numpy()


@pytest.mark.parametrize("use_reentrant", [False, True])
def test_gradients_equal_the_plain_ones_bit_for_bit(use_reentrant):
    net = _net(minitorch)
    x = minitorch.randn(3, 4, requires_grad=True)
    plain, plain_out = _grads(minitorch, net, x, lambda n, v: n(v))
    ours, out = _grads(minitorch, net, x, lambda n, v: checkpoint(n, v, use_reentrant=use_reentrant))
    assert np.array_equal(out, plain_out)
    for a, b in zip(ours, plain):
        assert np.array_equal(a, b)
    seq, _ = _grads(minitorch, net, x, lambda n, v: checkpoint_sequential(n, 3, v, use_reentrant=use_reentrant))
    for a, b in zip(seq, plain):
        assert np.array_equal(a, b)


@requires_torch
@pytest.mark.parametrize("use_reentrant", [False, True])
def test_gradients_match_torchs_checkpoint(use_reentrant):
    net, tnet = _net(minitorch), _net(torch)
    xs = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    x = minitorch.tensor(xs, requires_grad=True)
    tx = torch.tensor(xs, requires_grad=True)
    ours, out = _grads(minitorch, net, x, lambda n, v: checkpoint(n, v, use_reentrant=use_reentrant))
    theirs, tout = _grads(torch, tnet, tx, lambda n, v: torch.utils.checkpoint.checkpoint(
        n, v, use_reentrant=use_reentrant))
    np.testing.assert_allclose(out, tout, rtol=1e-5, atol=1e-6)  # the same dropout masks
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_the_graph_keeps_only_the_inputs():
    lin = nn.Linear(4, 4)
    kept = []

    def block(v):
        h = (lin(v) * 3).tanh()
        kept.append(weakref.ref(h))
        return h.sin()

    x = minitorch.randn(2, 4, requires_grad=True)
    out = checkpoint(block, x, use_reentrant=False)
    gc.collect()
    assert kept[0]() is None                      # the activation did not survive the forward
    saved = out.grad_fn.saved_tensors
    assert saved[0] is x and {id(t) for t in saved[1:]} == {id(lin.weight), id(lin.bias)}
    assert {n.variable is x or n.variable is lin.weight or n.variable is lin.bias
            for n, _ in out.grad_fn.next_functions if n is not None} == {True}
    out.sum().backward()
    assert len(kept) == 2 and x.grad is not None and lin.weight.grad is not None
    kept.clear()
    out = checkpoint(block, x, use_reentrant=True)
    gc.collect()
    assert kept[0]() is None and out.grad_fn.saved_tensors == (x,)
    assert type(out.grad_fn).__name__ == "CheckpointFunctionBackward"


def test_non_reentrant_reaches_parameters_without_input_grads_and_works_with_autograd_grad():
    lin = nn.Linear(3, 2)
    x = minitorch.randn(4, 3)
    out = checkpoint(lin, x, use_reentrant=False)
    assert out.requires_grad
    gw, gb = minitorch.autograd.grad(out.sum(), [lin.weight, lin.bias])
    ref_w, ref_b = minitorch.autograd.grad(lin(x).sum(), [lin.weight, lin.bias])
    assert np.array_equal(gw.numpy(), ref_w.numpy()) and np.array_equal(gb.numpy(), ref_b.numpy())
    assert lin.weight.grad is None
    with minitorch.no_grad():
        assert not checkpoint(lin, x, use_reentrant=False).requires_grad
    assert not checkpoint(lambda v: v * 2, x, use_reentrant=False).requires_grad


def test_reentrant_without_input_grads_warns_and_gives_no_graph():
    lin = nn.Linear(3, 2)
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True. Gradients will be None"):
        out = checkpoint(lin, minitorch.randn(4, 3), use_reentrant=True)
    assert not out.requires_grad


def test_tuple_outputs_kwargs_and_non_tensor_arguments():
    x = minitorch.randn(3, requires_grad=True)
    w = nn.Parameter(minitorch.randn(3))

    def block(v, scale, shift=0.0):
        return v * w * scale + shift, "tag", (v * v).sum()

    a, tag, b = checkpoint(block, x, 2.0, use_reentrant=False, shift=1.0)
    assert tag == "tag"
    (a.sum() + b).backward()
    gx, gw = x.grad.numpy().copy(), w.grad.numpy().copy()
    x.grad = w.grad = None
    a, _, b = block(x, 2.0, shift=1.0)
    (a.sum() + b).backward()
    np.testing.assert_allclose(gx, x.grad.numpy(), rtol=1e-6)
    assert np.array_equal(gw, w.grad.numpy())
    x.grad = None
    a, tag, b = checkpoint(lambda v: (v * 2, "t", v.sum()), x, use_reentrant=True)
    (a.sum() + b).backward()
    assert x.grad.tolist() == [3.0, 3.0, 3.0]


def test_preserve_rng_state_false_draws_new_masks():
    x = minitorch.ones(200, requires_grad=True)
    drop = nn.Dropout(0.5)
    minitorch.manual_seed(0)
    out = checkpoint(drop, x, use_reentrant=False, preserve_rng_state=False)
    out.sum().backward()
    # the recomputation drew a different mask: the gradient is not the forward's mask
    assert not np.array_equal((out.detach().numpy() != 0), (x.grad.numpy() != 0))


def test_use_reentrant_warnings_and_argument_errors():
    lin = nn.Linear(2, 2)
    x = minitorch.randn(1, 2, requires_grad=True)
    with pytest.warns(UserWarning, match="the use_reentrant parameter should be passed explicitly"):
        checkpoint(lin, x)
    with pytest.warns(UserWarning, match="checkpoint_sequential: the use_reentrant parameter should be passed"):
        checkpoint_sequential(nn.Sequential(lin, nn.Tanh()), 2, x)
    with pytest.raises(ValueError, match="Unexpected keyword arguments: foo"):
        checkpoint(lin, x, use_reentrant=True, foo=1)
    with pytest.raises(ValueError, match="Passing `context_fn` or `debug` is only supported when use_reentrant=False"):
        checkpoint(lin, x, use_reentrant=True, debug=True)
    with pytest.raises(ValueError, match="determinism_check should be one of"):
        checkpoint(lin, x, use_reentrant=False, determinism_check="bad")
    with pytest.raises(ValueError, match="Unexpected keyword arguments: foo"):
        checkpoint_sequential([lin], 1, x, use_reentrant=False, foo=3)


def test_determinism_check_catches_a_changed_recomputation():
    calls = []

    def block(v):
        calls.append(1)
        return v[: len(calls)] * 2

    x = minitorch.randn(4, requires_grad=True)
    out = checkpoint(block, x, use_reentrant=False)
    with pytest.raises(RuntimeError, match="Recomputed values for the following tensors have different metadata"):
        out.sum().backward()


def test_context_fn_wraps_forward_and_recomputation():
    seen = []

    class Ctx:
        def __init__(self, name):
            self.name = name

        def __enter__(self):
            seen.append(self.name)

        def __exit__(self, *exc):
            return False

    x = minitorch.randn(3, requires_grad=True)
    out = checkpoint(lambda v: v.exp(), x, use_reentrant=False, context_fn=lambda: (Ctx("fwd"), Ctx("re")))
    out.sum().backward()
    assert seen == ["fwd", "re"]
    np.testing.assert_allclose(x.grad.numpy(), np.exp(x.detach().numpy()), rtol=1e-6)


def test_gradcheck_through_checkpoint():
    x = minitorch.randn(3, 4, dtype=minitorch.float64, requires_grad=True)
    w = minitorch.randn(4, 2, dtype=minitorch.float64, requires_grad=True)
    for reentrant in (False, True):
        assert minitorch.autograd.gradcheck(
            lambda a, b: checkpoint(lambda u, v: (u @ v).tanh(), a, b, use_reentrant=reentrant), (x, w))


@requires_torch
def test_errors_have_torchs_types():
    tl, ml = torch.nn.Linear(2, 2), nn.Linear(2, 2)
    for kw in [dict(use_reentrant=True, foo=1), dict(use_reentrant=True, debug=True),
               dict(use_reentrant=False, determinism_check="x")]:
        with pytest.raises(Exception) as theirs:
            torch.utils.checkpoint.checkpoint(tl, torch.ones(1, 2), **kw)
        with pytest.raises(type(theirs.value), match=str(theirs.value)[:30].replace("(", ".").replace(")", ".")):
            checkpoint(ml, minitorch.ones(1, 2), **kw)


def test_identity_and_nested_checkpoints():
    x = minitorch.randn(3, requires_grad=True)
    checkpoint(lambda v: v, x, use_reentrant=False).mul(2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0]
    lin1, lin2 = nn.Linear(3, 3), nn.Linear(3, 1)

    def outer(v):
        return lin2(checkpoint(lambda u: lin1(u).tanh(), v, use_reentrant=False)).sin()

    x.grad = None
    checkpoint(outer, x, use_reentrant=False).sum().backward()
    got = [t.grad.numpy().copy() for t in (x, lin1.weight, lin2.weight)]
    x.grad = lin1.weight.grad = lin2.weight.grad = None
    lin2(lin1(x).tanh()).sin().sum().backward()
    for a, t in zip(got, (x, lin1.weight, lin2.weight)):
        assert np.array_equal(a, t.grad.numpy())
