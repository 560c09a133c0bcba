"""Views taken before an in-place op on their memory (through the base or another view):
their grad_fn is regenerated as AsStridedBackward0 over the base's current node, as in
PyTorch, so their gradients see the in-place op.

Every program runs through minitorch and compares with numbers worked out by hand and,
where torch is importable, with torch running the same program.
"""
import numpy as np
import pytest

import minitorch
from tests._compat import requires_torch, torch

MODULES = [minitorch] + ([torch] if torch is not None else [])


def to_np(t):
    return np.asarray(t.tolist(), dtype=np.float64).reshape(tuple(t.shape))


def base_modified(M):
    x = M.tensor([1., 2., 3.], requires_grad=True)
    b = x * 1
    v = b[1:]
    b.mul_(2)
    y = (v * v).sum()
    y.backward()
    return y, x.grad


def sibling_modified(M):
    x = M.tensor([1., 2., 3.], requires_grad=True)
    b = x * 1
    v1 = b[:2]
    v2 = b[1:]
    v1.mul_(3)
    y = (v2 * v2).sum()
    y.backward()
    return y, x.grad


def view_of_view(M):
    x = M.tensor([[1., 2., 3.], [4., 5., 6.]], requires_grad=True)
    b = x * 1
    v = b[:, 1:]
    w = v.t()[0]
    b.add_(x)
    y = (w * w * w).sum()
    y.backward()
    return y, x.grad


def chained(M):
    x = M.tensor([1., 2., 3., 4.], requires_grad=True)
    b = x * 1
    v = b[1:3]
    b.mul_(2)
    b.add_(1)
    v.mul_(x[1:3])
    b.exp_()
    y = v.sum() + b.sum()
    y.backward()
    return y, x.grad


def leaf_modified_under_no_grad(M):
    x = M.tensor([1., 2., 3.], requires_grad=True)
    v = x[1:]
    with M.no_grad():
        x.mul_(2)
    y = (v * v).sum()
    y.backward()
    return y, x.grad


def used_as_root(M):
    x = M.tensor([1., 2., 3.], requires_grad=True)
    b = x * x
    v = b[1:]
    b.mul_(3)
    v.backward(M.ones(2))
    return v.sum(), x.grad


PROGRAMS = {
    # b = 2x, y = sum(b[1:]^2) = 4(x1^2 + x2^2)
    base_modified: (4 * (4 + 9), [0., 16., 24.]),
    # v2 = [3 x1, x2], y = 9 x1^2 + x2^2
    sibling_modified: (9 * 4 + 9, [0., 36., 6.]),
    # w = 2 x[:, 1], y = 8 (x01^3 + x11^3)
    view_of_view: (8 * (8 + 125), [[0., 24 * 4, 0.], [0., 24 * 25, 0.]]),
    # b ends as exp(2x + 1) outside v's region and exp((2x + 1) x) inside it, and v sees that
    chained: (None, None),
    # x becomes [2, 4, 6]; y = sum(x[1:]^2) at the new values
    leaf_modified_under_no_grad: (4 ** 2 + 6 ** 2, [0., 8., 12.]),
    # b = 3x^2, v = b[1:]
    used_as_root: (3 * (4 + 9), [0., 12., 18.]),
}


def chained_expected():
    x = np.array([1., 2., 3., 4.])
    region = (2 * x[1:3] + 1) * x[1:3]
    b = np.exp(2 * x + 1)
    b[1:3] = np.exp(region)
    y = b[1:3].sum() + b.sum()
    # outside the region d exp(2x + 1) = 2 exp(2x + 1); inside, exp(r) counts twice (v and b)
    # with dr/dx = 4x + 1
    g = 2 * np.exp(2 * x + 1)
    g[1:3] = 2 * np.exp(region) * (4 * x[1:3] + 1)
    return y, g


@pytest.mark.parametrize("program", list(PROGRAMS), ids=lambda p: p.__name__)
@pytest.mark.parametrize("M", MODULES, ids=lambda m: m.__name__)
def test_gradients(M, program):
    y, grad = program(M)
    want_y, want_grad = PROGRAMS[program]
    if program is chained:
        want_y, want_grad = chained_expected()
    np.testing.assert_allclose(float(y.detach()), want_y, rtol=1e-5)
    np.testing.assert_allclose(to_np(grad), want_grad, rtol=1e-5)


@requires_torch
@pytest.mark.parametrize("program", list(PROGRAMS), ids=lambda p: p.__name__)
def test_same_as_torch(program):
    y, grad = program(minitorch)
    ty, tgrad = program(torch)
    np.testing.assert_allclose(float(y.detach()), float(ty.detach()), rtol=1e-5)
    np.testing.assert_allclose(to_np(grad), to_np(tgrad), rtol=1e-5)


@pytest.mark.parametrize("M", MODULES, ids=lambda m: m.__name__)
def test_grad_fn_name(M):
    x = M.tensor([1., 2., 3.], requires_grad=True)
    b = x * 1
    v = b[1:]
    assert v.grad_fn.name() == "SliceBackward0"
    b.mul_(2)
    assert v.grad_fn.name() == "AsStridedBackward0"
    assert b.grad_fn.name() == "MulBackward0"
    assert "AsStridedBackward0" in repr(v)
    node = v.grad_fn
    assert v.grad_fn is node  # regenerated once per modification
    b.add_(1)
    assert v.grad_fn is not node
    assert v.grad_fn.next_functions[0][0] is b.grad_fn


@pytest.mark.parametrize("M", MODULES, ids=lambda m: m.__name__)
def test_sibling_grad_fn_name(M):
    x = M.tensor([1., 2., 3.], requires_grad=True)
    b = x * 1
    v1, v2 = b[:2], b[1:]
    v1.mul_(3)
    assert v1.grad_fn.name() == "AsStridedBackward0"
    assert v2.grad_fn.name() == "AsStridedBackward0"
    assert b.grad_fn.name().endswith("CopySlices")  # torch: torch::autograd::CopySlices
    assert v2.grad_fn.next_functions[0][0] is b.grad_fn


@pytest.mark.parametrize("M", MODULES, ids=lambda m: m.__name__)
def test_unmodified_view_keeps_its_node(M):
    x = M.tensor([1., 2., 3.], requires_grad=True)
    b = x * 1
    v = b[1:]
    node = v.grad_fn
    c = b * 2  # not in place: v's node stays
    assert v.grad_fn is node and v.grad_fn.name() == "SliceBackward0"
    (v * c[1:]).sum().backward()
    np.testing.assert_allclose(to_np(x.grad), [0., 8., 12.])


@pytest.mark.parametrize("M", MODULES, ids=lambda m: m.__name__)
def test_retain_graph(M):
    x = M.tensor([1., 2., 3.], requires_grad=True)
    b = x * 1
    v = b[1:]
    b.mul_(2)
    y = (v * v).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(to_np(x.grad), [0., 32., 48.])


@pytest.mark.parametrize("M", MODULES, ids=lambda m: m.__name__)
def test_create_graph_second_derivative(M):
    x = M.tensor([1., 2., 3.], requires_grad=True)
    b = x * 1
    v = b[1:]
    b.mul_(2)
    # y = sum((2x)^3) over x[1:]: dy/dx = 24 x^2, d(sum dy/dx)/dx = 48 x
    (g,) = M.autograd.grad((v ** 3).sum(), x, create_graph=True)
    np.testing.assert_allclose(to_np(g), [0., 96., 216.])
    g.sum().backward()
    np.testing.assert_allclose(to_np(x.grad), [0., 96., 144.])


@pytest.mark.parametrize("M", MODULES, ids=lambda m: m.__name__)
def test_autograd_grad_wrt_stale_view(M):
    x = M.tensor([1., 2., 3.], requires_grad=True)
    b = x * 1
    v = b[1:]
    b.mul_(2)
    (g,) = M.autograd.grad((v * v).sum(), v)
    np.testing.assert_allclose(to_np(g), [8., 12.])  # v is [4, 6] now


@pytest.mark.parametrize("M", MODULES, ids=lambda m: m.__name__)
def test_detached_alias_is_not_regenerated(M):
    x = M.tensor([1., 2., 3.], requires_grad=True)
    b = x * 1
    d = b.detach()
    d.mul_(x)  # d is not a differentiable view of b: its node stays MulBackward0
    b.mul_(2)
    assert d.grad_fn.name() == "MulBackward0"


@pytest.mark.parametrize("M", MODULES, ids=lambda m: m.__name__)
def test_view_of_a_detached_leaf_keeps_its_own_graph(M):
    x = M.tensor([1., 2., 3.], requires_grad=True)
    b = x * 1
    d = b.detach().requires_grad_()
    v = d[1:]
    b.mul_(2)  # changes d's memory too (shared), but v's graph is d's, not b's
    (v * v).sum().backward()
    assert x.grad is None
    np.testing.assert_allclose(to_np(d.grad), [0., 8., 12.])
