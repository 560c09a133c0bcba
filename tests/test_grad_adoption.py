"""A leaf's first gradient is adopted into .grad without a copy when nothing else holds it
(as PyTorch's AccumulateGrad steals it), and copied whenever something does: a hook that
kept it, another leaf that receives the same tensor, a gradient the caller passed in, a
custom Function that kept it or returned a view. Values against NumPy references."""
import numpy as np
import pytest

import minitorch
from minitorch._backends import cpu as cpu_backend


@pytest.fixture
def copies(monkeypatch):
    """Counts the CPU table's copy calls (the copy that _accumulate makes when it cannot adopt)."""
    count = [0]
    original = type(cpu_backend).copy

    def counting(self, a):
        count[0] += 1
        return original(self, a)
    monkeypatch.setattr(type(cpu_backend), "copy", counting)
    return count


def _linear_case(shape_in=(64, 784), shape_w=(512, 784)):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape_in).astype(np.float32)
    w = rng.standard_normal(shape_w).astype(np.float32)
    b = rng.standard_normal(shape_w[0]).astype(np.float32)
    return x, w, b


def test_a_large_first_gradient_is_adopted_and_equals_the_reference(copies):
    x, w, b = _linear_case()
    wt, bt = minitorch.tensor(w, requires_grad=True), minitorch.tensor(b, requires_grad=True)
    for _ in range(2):
        wt.grad = bt.grad = None
        copies[0] = 0
        minitorch.nn.functional.linear(minitorch.tensor(x), wt, bt).relu().sum().backward()
        assert copies[0] == 0
        mask = (x @ w.T + b > 0).astype(np.float32)
        np.testing.assert_allclose(wt.grad.numpy(), mask.T @ x, rtol=1e-5, atol=1e-3)
        np.testing.assert_allclose(bt.grad.numpy(), mask.sum(0), rtol=1e-6)


def test_an_adopted_gradient_accumulates_in_place_on_the_next_backward():
    x, w, b = _linear_case((8, 300), (200, 300))
    wt = minitorch.tensor(w, requires_grad=True)
    for _ in range(2):
        (minitorch.tensor(x) @ wt.t()).sum().backward()
    np.testing.assert_allclose(wt.grad.numpy(), 2 * np.broadcast_to(x.sum(0), w.shape), rtol=1e-5)


def test_two_leaves_given_one_gradient_tensor_do_not_share_memory():
    a = minitorch.zeros(300, 300, requires_grad=True)
    b = minitorch.zeros(300, 300, requires_grad=True)
    (a + b).sum().backward()
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    a.grad.add_(1)
    assert b.grad.numpy().max() == 1.0 and a.grad.numpy().min() == 2.0


def test_a_gradient_a_hook_kept_is_copied():
    w = minitorch.zeros(300, 300, requires_grad=True)
    kept = []
    w.register_hook(kept.append)
    (w * 3).sum().backward()
    assert not np.shares_memory(w.grad.numpy(), kept[0].numpy())
    (w * 3).sum().backward()  # accumulates into w.grad in place
    assert kept[0].numpy().max() == 3.0 and w.grad.numpy().max() == 6.0


def test_a_gradient_the_caller_passed_to_backward_is_copied():
    x = minitorch.zeros(300, 300, requires_grad=True)
    g = minitorch.ones(300, 300)
    x.backward(g)
    assert not np.shares_memory(x.grad.numpy(), g.numpy())
    y = minitorch.zeros(300, 300, requires_grad=True)
    (y * 1).backward(g)
    assert not np.shares_memory(y.grad.numpy(), g.numpy())
    g.add_(5)
    assert x.grad.numpy().max() == 1.0 and y.grad.numpy().max() == 1.0


class _KeepsItsGradient(minitorch.autograd.Function):
    kept = []

    @staticmethod
    def keep(out):
        return out

    @staticmethod
    def forward(ctx, a):
        return a * 1

    @staticmethod
    def backward(ctx, grad):
        out = grad * 2
        fn = type(ctx)  # the Function class the node belongs to (a subclass below)
        fn.kept.append(fn.keep(out))
        return out


class _KeepsItsMemory(_KeepsItsGradient):
    kept = []

    @staticmethod
    def keep(out):
        return out.numpy()  # the array itself, outside any tensor


class _ReturnsAView(minitorch.autograd.Function):
    kept = []

    @staticmethod
    def forward(ctx, a):
        return a * 1

    @staticmethod
    def backward(ctx, grad):
        big = minitorch.cat([grad * 2, grad * 3]).clone()  # (from the CPU buffer pool)
        _ReturnsAView.kept.append(big)
        return big[: grad.shape[0]]


@pytest.mark.parametrize("fn", [_KeepsItsGradient, _KeepsItsMemory, _ReturnsAView])
def test_a_gradient_a_custom_function_still_holds_is_copied(fn):
    fn.kept.clear()
    x = minitorch.zeros(300, 300, requires_grad=True)
    fn.apply(x).sum().backward()
    kept = fn.kept[0]
    assert not np.shares_memory(x.grad.numpy(), kept if isinstance(kept, np.ndarray) else kept.numpy())
    np.testing.assert_array_equal(x.grad.numpy(), np.full((300, 300), 2.0, np.float32))


def test_a_view_gradient_of_a_dead_base_is_copied_into_its_own_memory():
    # The gradient of x[:, :5] is a slice of a padded buffer: not contiguous, so copied.
    x = minitorch.zeros(300, 400, requires_grad=True)
    (x[:, :5] * 2).sum().backward()
    assert x.grad.numpy().flags.c_contiguous
    assert x.grad.numpy()[:, :5].min() == 2.0 and x.grad.numpy()[:, 5:].max() == 0.0
