"""Autograd engine: flags, grad_fn graph, backward/grad, grad modes, double backward,
in-place operations and the version counter.

Every program is checked against a numpy reference and, where torch is importable,
run unchanged through torch (the `M` argument is the module: minitorch or torch).
"""
import gc
import operator
import warnings

import numpy as np
import pytest

import minitorch
from tests._compat import requires_torch, torch

MODULES = [minitorch] + ([torch] if torch is not None else [])

RTOL = 1e-5
ATOL = 1e-6


def to_np(t):
    if t is None:
        return None
    return np.asarray(t.tolist(), dtype=np.float64).reshape(tuple(t.shape))


def assert_close(actual, expected, rtol=RTOL, atol=ATOL):
    if expected is None:
        assert actual is None, f"expected None, got {actual!r}"
        return
    assert actual is not None, "got None"
    a = to_np(actual) if not isinstance(actual, np.ndarray) else actual
    e = to_np(expected) if not isinstance(expected, np.ndarray) else np.asarray(expected, dtype=np.float64)
    assert a.shape == e.shape, (a.shape, e.shape)
    np.testing.assert_allclose(a, e, rtol=rtol, atol=atol)


def fn_name(t):
    return None if t.grad_fn is None else type(t.grad_fn).__name__


def leaves(M, *arrays, dtype="float32", requires_grad=True):
    return [M.tensor(a, dtype=getattr(M, dtype), requires_grad=requires_grad) for a in arrays]


RNG = np.random.default_rng(0)
X34 = RNG.uniform(0.5, 1.5, (3, 4))
Y34 = RNG.uniform(0.5, 1.5, (3, 4))
W45 = RNG.uniform(-1.0, 1.0, (4, 5))
X31 = RNG.uniform(0.5, 1.5, (3, 1))
Y14 = RNG.uniform(0.5, 1.5, (1, 4))
B4 = RNG.uniform(-1.0, 1.0, (4,))
V3 = np.array([0.3, -1.25, 2.0])


# --------------------------------------------------------------------------------------
# flags
# --------------------------------------------------------------------------------------


def test_leaf_flags():
    a = minitorch.ones(3)
    assert not a.requires_grad and a.is_leaf and a.grad is None and a.grad_fn is None
    x = minitorch.ones(3, requires_grad=True)
    assert x.requires_grad and x.is_leaf and x.grad is None and x.grad_fn is None
    y = x * 2
    assert y.requires_grad and not y.is_leaf and y.grad_fn is not None
    # an op on tensors that do not require grad produces a leaf without grad_fn
    z = a * 2 + a
    assert not z.requires_grad and z.is_leaf and z.grad_fn is None
    # mixing: one input requiring grad is enough
    w = a * x
    assert w.requires_grad and not w.is_leaf


def test_requires_grad_setter_and_method():
    x = minitorch.ones(2)
    assert x.requires_grad_() is x
    assert x.requires_grad and x.is_leaf
    x.requires_grad_(False)
    assert not x.requires_grad
    x.requires_grad = True
    assert x.requires_grad
    y = minitorch.ones(2, requires_grad=True) * 3
    with pytest.raises(RuntimeError):
        y.requires_grad_(False)  # only leaves can change the flag


def test_grad_is_float_tensor_of_leaf_shape_and_dtype():
    for dtype in ("float32", "float64"):
        x = minitorch.ones(2, 3, dtype=getattr(minitorch, dtype), requires_grad=True)
        (x * x).sum().backward()
        assert x.grad.shape == (2, 3)
        assert x.grad.dtype == getattr(minitorch, dtype)
        assert not x.grad.requires_grad
        assert x.grad.grad_fn is None


# --------------------------------------------------------------------------------------
# grad_fn names and next_functions
# --------------------------------------------------------------------------------------

_GRAD_FN_CASES = {
    "add": (lambda M, x, y, w: x + y, "AddBackward0"),
    "add_scalar": (lambda M, x, y, w: x + 1, "AddBackward0"),
    "radd_scalar": (lambda M, x, y, w: 1.5 + x, "AddBackward0"),
    "sub": (lambda M, x, y, w: x - y, "SubBackward0"),
    "mul": (lambda M, x, y, w: x * y, "MulBackward0"),
    "mul_scalar": (lambda M, x, y, w: x * 2, "MulBackward0"),
    "div": (lambda M, x, y, w: x / y, "DivBackward0"),
    "div_scalar": (lambda M, x, y, w: x / 2, "DivBackward0"),
    "neg": (lambda M, x, y, w: -x, "NegBackward0"),
    "pow_scalar": (lambda M, x, y, w: x ** 2, "PowBackward0"),
    "mm": (lambda M, x, y, w: M.mm(x, w), "MmBackward0"),
    "matmul": (lambda M, x, y, w: M.matmul(x, w), "MmBackward0"),
    "matmul_op": (lambda M, x, y, w: x @ w, "MmBackward0"),
    "sum": (lambda M, x, y, w: x.sum(), "SumBackward0"),
    "sum_dim": (lambda M, x, y, w: x.sum(0), "SumBackward1"),
    "sum_dim_keepdim": (lambda M, x, y, w: x.sum(dim=1, keepdim=True), "SumBackward1"),
    "mean": (lambda M, x, y, w: x.mean(), "MeanBackward0"),
    "exp": (lambda M, x, y, w: x.exp(), "ExpBackward0"),
    "log": (lambda M, x, y, w: x.log(), "LogBackward0"),
    "view": (lambda M, x, y, w: x.view(12), "ViewBackward0"),
    "reshape": (lambda M, x, y, w: x.reshape(4, 3), "ViewBackward0"),
    "transpose": (lambda M, x, y, w: x.transpose(0, 1), "TransposeBackward0"),
    "permute": (lambda M, x, y, w: x.permute(1, 0), "PermuteBackward0"),
    "clone": (lambda M, x, y, w: x.clone(), "CloneBackward0"),
    "mse": (lambda M, x, y, w: M.nn.MSELoss()(x, y), "MseLossBackward0"),
}


@pytest.mark.parametrize("name", sorted(_GRAD_FN_CASES))
def test_grad_fn_name(name):
    fn, expected = _GRAD_FN_CASES[name]
    for M in MODULES:
        x, y = leaves(M, X34, Y34)
        (w,) = leaves(M, W45)
        assert fn_name(fn(M, x, y, w)) == expected, M.__name__


def _structure(fn_node, depth=3):
    """Nested (name, [children]) description of a grad_fn graph."""
    if fn_node is None:
        return None
    name = type(fn_node).__name__
    if depth == 0:
        return name
    return (name, [(_structure(child, depth - 1), idx) for child, idx in fn_node.next_functions])


def test_next_functions_structure():
    def program(M):
        x, y = leaves(M, X34, Y34)
        (b,) = leaves(M, B4)
        c = M.tensor(Y34, dtype=M.float32)  # does not require grad
        return (x * y + b) * c

    out = program(minitorch)
    nf = out.grad_fn.next_functions
    assert isinstance(nf, tuple) and len(nf) == 2
    assert type(nf[0][0]).__name__ == "AddBackward0"
    assert nf[1][0] is None  # the input that does not require grad
    add_nf = nf[0][0].next_functions
    assert [type(f).__name__ for f, _ in add_nf] == ["MulBackward0", "AccumulateGrad"]
    mul_nf = add_nf[0][0].next_functions
    assert [type(f).__name__ for f, _ in mul_nf] == ["AccumulateGrad", "AccumulateGrad"]
    assert all(idx == 0 for _, idx in mul_nf)
    assert mul_nf[0][0].next_functions == ()
    if torch is not None:
        assert _structure(out.grad_fn) == _structure(program(torch).grad_fn)


def test_same_leaf_shares_accumulate_grad_node():
    x = minitorch.ones(3, requires_grad=True)
    y = x * x
    (a, _), (b, _) = y.grad_fn.next_functions
    assert type(a).__name__ == "AccumulateGrad"
    assert a is b


# --------------------------------------------------------------------------------------
# backward: values against numpy and torch
# --------------------------------------------------------------------------------------


def test_backward_numpy_reference():
    x, y = leaves(minitorch, X34, Y34)
    (w,) = leaves(minitorch, W45)
    loss = ((x * y + x.exp()) @ w).sum()
    loss.backward()
    # d/dx sum((x*y + e^x) @ w) = (1 @ w^T) * (y + e^x)
    g = np.ones((3, 5)) @ W45.T
    assert_close(x.grad, g * (Y34 + np.exp(X34)), rtol=1e-4)
    assert_close(y.grad, g * X34, rtol=1e-4)
    assert_close(w.grad, (X34 * Y34 + np.exp(X34)).T @ np.ones((3, 5)), rtol=1e-4)
    assert_close(loss, np.array(((X34 * Y34 + np.exp(X34)) @ W45).sum()), rtol=1e-4)


def test_backward_through_mean_and_sum():
    (x,) = leaves(minitorch, X34)
    x.mean().backward()
    assert_close(x.grad, np.full((3, 4), 1.0 / 12))
    x.grad = None
    (x.mean(dim=1) * minitorch.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert_close(x.grad, np.repeat(np.array([[1.0], [2.0], [3.0]]) / 4, 4, axis=1))
    x.grad = None
    (x.sum(0) * minitorch.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    assert_close(x.grad, np.tile(np.array([1.0, 2.0, 3.0, 4.0]), (3, 1)))


def test_backward_broadcasting_reduces_to_leaf_shapes():
    x, y = leaves(minitorch, X31, Y14)
    (b,) = leaves(minitorch, B4)
    (x * y + b).sum().backward()
    assert x.grad.shape == (3, 1) and y.grad.shape == (1, 4) and b.grad.shape == (4,)
    assert_close(x.grad, np.broadcast_to(Y14.sum(), (3, 1)))
    assert_close(y.grad, np.broadcast_to(X31.sum(), (1, 4)))
    assert_close(b.grad, np.full(4, 3.0))


def test_backward_reused_subexpression():
    (x,) = leaves(minitorch, V3)
    y = x * x + x  # x used three times
    z = y * y + y  # y used three times
    z.sum().backward()
    yv = V3 * V3 + V3
    assert_close(x.grad, (2 * yv + 1) * (2 * V3 + 1))


_PROGRAMS = {
    "mul_add_exp": (lambda M, x, y: (x * y + x.exp()).sum(), (X34, Y34)),
    "broadcast": (lambda M, x, y: (x * y + x / y).mean(), (X31, Y14)),
    "matmul_chain": (lambda M, x, w: ((x @ w) * (x @ w)).mean() + (x @ w).sum(), (X34, W45)),
    "div_pow_neg_sub": (lambda M, x, y: (x / (y * y + 1) - (-x) ** 2 + 3 - y).sum(), (X34, Y34)),
    "reductions": (lambda M, x, y: (x.sum(0) * y.mean(1, keepdim=True)).sum(), (X34, Y34)),
    "views": (lambda M, x, w: (x.view(12).reshape(4, 3).t() @ x.t()).sum() + (x.transpose(0, 1) @ w[:3]).sum(),
              (X34, W45)),
    "indexing": (lambda M, x, y: (x[0] * 2 + x[1:, 2].sum() * y[2]).sum() + x[2, 3] * y[0, 0], (X34, Y34)),
    "diamond": (lambda M, x, y: ((x * y) * (x * y) + (x * y) * x).sum(), (X34, Y34)),
    "log_exp": (lambda M, x, y: (x.log() * y.exp() / (x + y)).sum(), (X34, Y34)),
    "scalar_ops": (lambda M, x, y: (2 - x * 3 + 1 / y - 2 ** 1 * x / 4).sum(), (X34, Y34)),
    "mse": (lambda M, x, y: M.nn.MSELoss()(x * 2, y), (X34, Y34)),
    "float64": (lambda M, x, y: (x.double() * y.double()).sum(), (X34, Y34)),
}


@requires_torch
@pytest.mark.parametrize("name", sorted(_PROGRAMS))
def test_backward_matches_torch(name):
    program, arrays = _PROGRAMS[name]
    results = []
    for M in (minitorch, torch):
        inputs = leaves(M, *arrays)
        out = program(M, *inputs)
        out.backward()
        results.append((out, [i.grad for i in inputs]))
    (m_out, m_grads), (t_out, t_grads) = results
    assert str(m_out.dtype) == str(t_out.dtype)
    assert tuple(m_out.shape) == tuple(t_out.shape)
    assert_close(m_out, t_out, rtol=1e-4)
    for mg, tg in zip(m_grads, t_grads):
        assert str(mg.dtype) == str(tg.dtype)
        assert_close(mg, tg, rtol=1e-4, atol=1e-5)


def test_backward_with_gradient_argument():
    (x,) = leaves(minitorch, V3)
    y = x * 3
    y.backward(minitorch.tensor([1.0, 10.0, 100.0]))
    assert_close(x.grad, np.array([3.0, 30.0, 300.0]))
    (x,) = leaves(minitorch, X34)
    y = x * x
    g = Y34
    y.backward(gradient=minitorch.tensor(g, dtype=minitorch.float32))
    assert_close(x.grad, 2 * X34 * g)


def test_backward_scalar_with_explicit_gradient():
    (x,) = leaves(minitorch, V3)
    (x * x).sum().backward(minitorch.tensor(2.0))
    assert_close(x.grad, 4 * V3)


def test_backward_single_element_non_scalar_is_implicit():
    (x,) = leaves(minitorch, V3)
    y = (x * 2).sum(0, keepdim=True)
    assert y.shape == (1,)
    y.backward()
    assert_close(x.grad, np.full(3, 2.0))


def test_backward_on_leaf():
    (x,) = leaves(minitorch, V3)
    x.backward(minitorch.ones(3))
    assert_close(x.grad, np.ones(3))


def test_grad_accumulates_across_backward_calls():
    (x,) = leaves(minitorch, V3)
    (x * x).sum().backward()
    (x * 3).sum().backward()
    assert_close(x.grad, 2 * V3 + 3)
    grad_obj = x.grad
    (x * 1).sum().backward()
    assert_close(x.grad, 2 * V3 + 4)
    # accumulation is in place into the same tensor (like torch)
    assert_close(grad_obj, 2 * V3 + 4)
    x.grad.zero_()
    (x * 5).sum().backward()
    assert_close(x.grad, np.full(3, 5.0))
    x.grad = None
    (x * 7).sum().backward()
    assert_close(x.grad, np.full(3, 7.0))


def test_backward_does_not_populate_non_leaf_grad():
    (x,) = leaves(minitorch, V3)
    y = x * 2
    y.sum().backward()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns when reading .grad of a non-leaf
        assert y.grad is None
    assert not y.retains_grad
    assert not x.retains_grad


def test_retain_grad():
    (x,) = leaves(minitorch, V3)
    y = x * 2
    assert y.retain_grad() is None
    assert y.retains_grad
    z = (y * y).sum()
    z.backward()
    assert_close(y.grad, 4 * V3)
    assert_close(x.grad, 8 * V3)
    # retain_grad on a leaf is a no-op
    x.retain_grad()
    assert not x.retains_grad


@requires_torch
def test_retain_grad_matches_torch():
    grads = []
    for M in (minitorch, torch):
        x, y = leaves(M, X34, Y34)
        a = x * y
        a.retain_grad()
        b = a.exp() + a
        b.retain_grad()
        (b * x).sum().backward()
        grads.append((a.grad, b.grad, x.grad, y.grad))
    for m, t in zip(*grads):
        assert_close(m, t, rtol=1e-4)


# --------------------------------------------------------------------------------------
# retain_graph / backward twice
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("M", MODULES, ids=lambda M: M.__name__)
def test_backward_twice_raises(M):
    (x,) = leaves(M, V3)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError) as info:
        y.backward()
    assert "Trying to backward through the graph a second time" in str(info.value)


@pytest.mark.parametrize("M", MODULES, ids=lambda M: M.__name__)
def test_backward_twice_through_shared_subgraph_raises(M):
    (x,) = leaves(M, V3)
    y = x.exp() * x
    y.sum().backward()
    with pytest.raises(RuntimeError, match="second time"):
        (y * 2).sum().backward()


def test_retain_graph_allows_second_backward():
    (x,) = leaves(minitorch, V3)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward(retain_graph=True)
    assert_close(x.grad, 4 * V3)
    y.backward()  # last use may free the graph
    assert_close(x.grad, 6 * V3)
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_autograd_grad_twice_raises_without_retain_graph():
    (x,) = leaves(minitorch, V3)
    y = (x * x).sum()
    (g,) = minitorch.autograd.grad(y, x, retain_graph=True)
    assert_close(g, 2 * V3)
    (g,) = minitorch.autograd.grad(y, x)
    assert_close(g, 2 * V3)
    with pytest.raises(RuntimeError, match="second time"):
        minitorch.autograd.grad(y, x)


# --------------------------------------------------------------------------------------
# autograd.grad
# --------------------------------------------------------------------------------------


def test_autograd_grad_basic():
    x, y = leaves(minitorch, X34, Y34)
    out = (x * y).sum()
    grads = minitorch.autograd.grad(out, [x, y])
    assert isinstance(grads, tuple) and len(grads) == 2
    assert_close(grads[0], Y34)
    assert_close(grads[1], X34)
    # .grad is untouched
    assert x.grad is None and y.grad is None
    assert not grads[0].requires_grad


def test_autograd_grad_single_tensor_input_returns_tuple():
    (x,) = leaves(minitorch, V3)
    res = minitorch.autograd.grad((x * x).sum(), x)
    assert isinstance(res, tuple) and len(res) == 1
    assert_close(res[0], 2 * V3)


def test_autograd_grad_with_grad_outputs():
    (x,) = leaves(minitorch, V3)
    y = x * x
    (g,) = minitorch.autograd.grad(y, x, grad_outputs=minitorch.tensor([1.0, 2.0, 3.0]))
    assert_close(g, 2 * V3 * np.array([1.0, 2.0, 3.0]))
    y = x * x
    (g,) = minitorch.autograd.grad([y], [x], grad_outputs=[minitorch.ones(3)])
    assert_close(g, 2 * V3)


def test_autograd_grad_multiple_outputs_sum():
    (x,) = leaves(minitorch, V3)
    a = (x * x).sum()
    b = (x * 3).sum()
    (g,) = minitorch.autograd.grad([a, b], [x])
    assert_close(g, 2 * V3 + 3)


def test_autograd_grad_of_intermediate():
    (x,) = leaves(minitorch, V3)
    h = x * 2
    out = (h * h).sum()
    (gh,) = minitorch.autograd.grad(out, h)
    assert_close(gh, 2 * (2 * V3))


def test_autograd_grad_allow_unused():
    x, y = leaves(minitorch, V3, V3)
    out = (x * 2).sum()
    gx, gy = minitorch.autograd.grad(out, [x, y], allow_unused=True)
    assert_close(gx, np.full(3, 2.0))
    assert gy is None


@pytest.mark.parametrize("M", MODULES, ids=lambda M: M.__name__)
def test_autograd_grad_unused_raises(M):
    x, y = leaves(M, V3, V3)
    out = (x * 2).sum()
    with pytest.raises(RuntimeError, match="allow_unused"):
        M.autograd.grad(out, [x, y])


@pytest.mark.parametrize("M", MODULES, ids=lambda M: M.__name__)
def test_autograd_grad_non_scalar_needs_grad_outputs(M):
    (x,) = leaves(M, V3)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        M.autograd.grad(x * 2, x)


# --------------------------------------------------------------------------------------
# create_graph: double backward
# --------------------------------------------------------------------------------------


def test_double_backward_cube():
    (x,) = leaves(minitorch, V3)
    y = (x ** 3).sum()
    (g,) = minitorch.autograd.grad(y, x, create_graph=True)
    assert g.requires_grad and g.grad_fn is not None
    assert_close(g, 3 * V3 ** 2)
    (g2,) = minitorch.autograd.grad(g.sum(), x)
    assert_close(g2, 6 * V3)


def test_double_backward_product_form_and_third_derivative():
    (x,) = leaves(minitorch, V3)
    y = (x * x * x).sum()
    (g,) = minitorch.autograd.grad(y, x, create_graph=True)
    assert_close(g, 3 * V3 ** 2)
    (g2,) = minitorch.autograd.grad(g.sum(), x, create_graph=True)
    assert_close(g2, 6 * V3)
    (g3,) = minitorch.autograd.grad(g2.sum(), x)
    assert_close(g3, np.full(3, 6.0))


def test_double_backward_mixed_partial():
    x, y = leaves(minitorch, V3, V3 + 1)
    f = (x * x * y).sum()
    gx, gy = minitorch.autograd.grad(f, [x, y], create_graph=True)
    assert_close(gx, 2 * V3 * (V3 + 1))
    assert_close(gy, V3 ** 2)
    (gxy,) = minitorch.autograd.grad(gx.sum(), y)
    assert_close(gxy, 2 * V3)


def test_double_backward_via_backward_create_graph():
    (x,) = leaves(minitorch, V3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns about a reference cycle here
        (x ** 3).sum().backward(create_graph=True)
    g = x.grad
    assert g.requires_grad
    assert_close(g, 3 * V3 ** 2)
    x.grad = None
    g.sum().backward()
    assert_close(x.grad, 6 * V3)


def test_without_create_graph_gradient_has_no_graph():
    (x,) = leaves(minitorch, V3)
    (g,) = minitorch.autograd.grad((x ** 3).sum(), x)
    assert not g.requires_grad and g.grad_fn is None


@requires_torch
def test_double_backward_matches_torch():
    res = []
    for M in (minitorch, torch):
        x, y = leaves(M, X34, Y34)
        f = (x.exp() * y * y / x + x ** 3).sum()
        gx, gy = M.autograd.grad(f, [x, y], create_graph=True)
        h = (gx * gy).sum()
        hx, hy = M.autograd.grad(h, [x, y])
        res.append((gx, gy, hx, hy))
    for m, t in zip(*res):
        assert_close(m, t, rtol=1e-4, atol=1e-5)


# --------------------------------------------------------------------------------------
# grad modes
# --------------------------------------------------------------------------------------


def test_no_grad_context():
    x = minitorch.ones(3, requires_grad=True)
    assert minitorch.is_grad_enabled()
    with minitorch.no_grad():
        assert not minitorch.is_grad_enabled()
        y = x * 2
        assert not y.requires_grad and y.grad_fn is None and y.is_leaf
    assert minitorch.is_grad_enabled()
    assert (x * 2).requires_grad


def test_enable_grad_inside_no_grad():
    x = minitorch.ones(3, requires_grad=True)
    with minitorch.no_grad():
        with minitorch.enable_grad():
            assert minitorch.is_grad_enabled()
            y = x * 2
        z = x * 2
        assert not minitorch.is_grad_enabled()
    assert y.requires_grad and not z.requires_grad
    y.sum().backward()
    assert_close(x.grad, np.full(3, 2.0))


def test_set_grad_enabled_context_and_function():
    x = minitorch.ones(3, requires_grad=True)
    with minitorch.set_grad_enabled(False):
        assert not (x * 2).requires_grad
        with minitorch.set_grad_enabled(True):
            assert (x * 2).requires_grad
    assert minitorch.is_grad_enabled()
    try:
        minitorch.set_grad_enabled(False)  # used as a plain function: switches the mode
        assert not minitorch.is_grad_enabled()
        assert not (x * 2).requires_grad
    finally:
        minitorch.set_grad_enabled(True)
    assert minitorch.is_grad_enabled()


def test_grad_mode_restored_after_exception():
    with pytest.raises(ValueError):
        with minitorch.no_grad():
            raise ValueError("boom")
    assert minitorch.is_grad_enabled()


def test_grad_mode_decorators():
    x = minitorch.ones(3, requires_grad=True)

    @minitorch.no_grad()
    def f_parens(t):
        return t * 2

    @minitorch.no_grad
    def f_bare(t):
        return t * 2

    @minitorch.enable_grad()
    def g(t):
        return t * 2

    @minitorch.set_grad_enabled(False)
    def h(t):
        return t * 2

    assert not f_parens(x).requires_grad
    assert not f_bare(x).requires_grad
    assert not h(x).requires_grad
    assert minitorch.is_grad_enabled()
    with minitorch.no_grad():
        assert g(x).requires_grad
        assert not minitorch.is_grad_enabled()
    assert f_parens.__name__ == "f_parens"


def test_no_grad_creation_keeps_requires_grad_flag():
    with minitorch.no_grad():
        x = minitorch.ones(2, requires_grad=True)
    assert x.requires_grad and x.is_leaf


# --------------------------------------------------------------------------------------
# detach
# --------------------------------------------------------------------------------------


def test_detach_blocks_gradient():
    (x,) = leaves(minitorch, V3)
    y = x * 2
    z = y.detach() * x  # d/dx = y (treated as constant)
    z.sum().backward()
    assert_close(x.grad, 2 * V3)
    d = x.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf


# --------------------------------------------------------------------------------------
# gradcheck
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fn", [
    lambda x, y: x * y + x.exp(),
    lambda x, y: (x @ y.t()).sum(dim=1),
    lambda x, y: x / (y * y + 1) - x ** 3,
    lambda x, y: (x.log() * y).mean(),
    lambda x, y: minitorch.nn.MSELoss()(x, y),
], ids=["mul_exp", "matmul", "div_pow", "log_mean", "mse"])
def test_gradcheck(fn):
    rng = np.random.default_rng(1)
    x = minitorch.tensor(rng.uniform(0.5, 1.5, (3, 4)), dtype=minitorch.float64, requires_grad=True)
    y = minitorch.tensor(rng.uniform(0.5, 1.5, (3, 4)), dtype=minitorch.float64, requires_grad=True)
    assert minitorch.autograd.gradcheck(fn, (x, y)) is True
    assert minitorch.autograd.gradcheck(fn, (x, y), eps=1e-6, atol=1e-5, rtol=1e-3) is True


# --------------------------------------------------------------------------------------
# deep graphs
# --------------------------------------------------------------------------------------


def test_deep_graph_backward_no_recursion_error():
    n = 20000
    x = minitorch.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(n):
        y = y + 1
    y = y * 0.5
    y.sum().backward()
    assert_close(x.grad, np.array([0.5]))
    assert_close(y, np.array([(1.0 + n) * 0.5]), rtol=1e-5)
    del y
    gc.collect()


def test_deep_graph_autograd_grad_and_mul_chain():
    n = 20000
    x = minitorch.tensor([1.0], dtype=minitorch.float64, requires_grad=True)
    y = x
    for _ in range(n):
        y = y * 1.0001
    (g,) = minitorch.autograd.grad(y.sum(), x)
    assert_close(g, np.array([1.0001 ** n]), rtol=1e-8)
    del y
    gc.collect()


# --------------------------------------------------------------------------------------
# in-place operations and the version counter
# --------------------------------------------------------------------------------------


def test_version_counter_increments_on_each_inplace_op():
    t = minitorch.zeros(3)
    assert t._version == 0
    ops = [
        lambda: t.add_(1),
        lambda: t.sub_(0.5),
        lambda: t.mul_(2),
        lambda: t.div_(3),
        lambda: t.clamp_(0, 1),
        lambda: t.fill_(2.0),
        lambda: t.zero_(),
        lambda: t.copy_(minitorch.ones(3)),
        lambda: t.__setitem__(0, 5.0),
        lambda: t.__setitem__(slice(1, 3), minitorch.tensor([7.0, 8.0])),
    ]
    for i, op in enumerate(ops, start=1):
        op()
        assert t._version == i
    assert t.tolist() == [5.0, 7.0, 8.0]
    t += 1
    assert t._version == len(ops) + 1
    t *= 2
    assert t._version == len(ops) + 2
    assert t.tolist() == [12.0, 16.0, 18.0]


def test_out_of_place_ops_do_not_bump_version():
    t = minitorch.ones(3)
    _ = t + 1
    _ = t * t
    _ = t.clone()
    _ = t.sum()
    assert t._version == 0


def test_inplace_ops_return_self():
    t = minitorch.ones(3)
    for op in (lambda: t.add_(1), lambda: t.sub_(1), lambda: t.mul_(2), lambda: t.div_(2),
               lambda: t.clamp_(min=0.0), lambda: t.fill_(1), lambda: t.zero_(),
               lambda: t.copy_(minitorch.ones(3))):
        assert op() is t


def test_inplace_values():
    t = minitorch.tensor([1.0, -2.0, 3.0])
    t.add_(minitorch.tensor([1.0, 1.0, 1.0]))
    assert t.tolist() == [2.0, -1.0, 4.0]
    t.mul_(minitorch.tensor(2.0))
    assert t.tolist() == [4.0, -2.0, 8.0]
    t.sub_(1)
    t.div_(minitorch.tensor([1.0, 3.0, 7.0]))
    assert t.tolist() == [3.0, -1.0, 1.0]
    t.clamp_(-0.5, 2.0)
    assert t.tolist() == [2.0, -0.5, 1.0]
    t.clamp_(max=1.5)
    assert t.tolist() == [1.5, -0.5, 1.0]
    t.clamp_(min=0.0)
    assert t.tolist() == [1.5, 0.0, 1.0]
    # broadcasting the argument and casting into self's dtype
    m = minitorch.zeros(2, 3, dtype=minitorch.float64)
    m.add_(minitorch.tensor([1, 2, 3]))
    assert m.dtype == minitorch.float64 and m.tolist() == [[1.0, 2.0, 3.0]] * 2
    m.copy_(minitorch.tensor([[1], [2]]))
    assert m.tolist() == [[1.0] * 3, [2.0] * 3]
    i = minitorch.tensor([5, 7])
    i.add_(2)
    i.mul_(minitorch.tensor([1, 2], dtype=minitorch.int32))
    assert i.dtype == minitorch.int64 and i.tolist() == [7, 18]
    i.fill_(3)
    assert i.tolist() == [3, 3]
    f = minitorch.zeros(2)
    f.add_(minitorch.tensor([True, False]))
    f.fill_(True)
    assert f.tolist() == [1.0, 1.0]


def test_inplace_through_view_shares_storage_and_version():
    base = minitorch.zeros(2, 3)
    row = base[0]
    row.add_(1)
    assert base.tolist() == [[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]]
    col = base.t()[1]
    col.fill_(5.0)
    assert base.tolist() == [[1.0, 5.0, 1.0], [0.0, 5.0, 0.0]]
    v = base.view(6)
    v[5] = 9.0
    assert base.tolist()[1][2] == 9.0
    # views share the version counter with their base (like torch)
    assert base._version == v._version == row._version
    assert base._version == 3


def test_detach_shares_version_counter():
    (x,) = leaves(minitorch, V3)
    y = x * 1
    d = y.detach()
    d.add_(1)
    assert y._version == 1
    assert_close(y, V3 + 1)


@pytest.mark.parametrize("M", MODULES, ids=lambda M: M.__name__)
def test_modifying_saved_intermediate_raises_at_backward(M):
    (x,) = leaves(M, V3)
    a = x * 2
    b = a * a  # saves a
    a.add_(1)  # no error yet
    with pytest.raises(RuntimeError) as info:
        b.sum().backward()
    assert "one of the variables needed for gradient computation has been modified by an inplace operation" in str(
        info.value)


@pytest.mark.parametrize("M", MODULES, ids=lambda M: M.__name__)
def test_modifying_saved_non_grad_input_raises_at_backward(M):
    (x,) = leaves(M, V3)
    w = M.ones(3)  # does not require grad, but is saved to compute x's gradient
    y = x * w
    w.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


@pytest.mark.parametrize("M", MODULES, ids=lambda M: M.__name__)
def test_modifying_saved_tensor_via_setitem_raises(M):
    (x,) = leaves(M, V3)
    a = x * 2
    b = a.exp() * a
    a[0] = 0.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        b.sum().backward()


@pytest.mark.parametrize("M", MODULES, ids=lambda M: M.__name__)
def test_modifying_saved_tensor_via_detached_alias_raises(M):
    (x,) = leaves(M, V3)
    a = x * 2
    b = a * a
    a.detach().mul_(3)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        b.sum().backward()


@pytest.mark.parametrize("M", MODULES, ids=lambda M: M.__name__)
def test_modifying_unsaved_tensor_is_fine(M):
    (x,) = leaves(M, V3)
    a = x * 2
    b = a + 1  # addition saves nothing
    a.mul_(3)
    b.sum().backward()
    assert_close(x.grad, np.full(3, 2.0))


@pytest.mark.parametrize("M", MODULES, ids=lambda M: M.__name__)
def test_inplace_on_leaf_requiring_grad_raises(M):
    x = M.ones(3, requires_grad=True)
    for op in (lambda: x.add_(1), lambda: x.mul_(2), lambda: x.sub_(1), lambda: x.div_(2),
               lambda: x.zero_(), lambda: x.fill_(1.0), lambda: x.clamp_(0, 1),
               lambda: x.copy_(M.zeros(3)), lambda: x.__setitem__(0, 2.0)):
        with pytest.raises(RuntimeError) as info:
            op()
        assert "a leaf Variable that requires grad is being used in an in-place operation" in str(info.value)
    assert x.tolist() == [1.0, 1.0, 1.0]
    assert x._version == 0


@pytest.mark.parametrize("M", MODULES, ids=lambda M: M.__name__)
def test_inplace_on_leaf_under_no_grad_is_an_sgd_step(M):
    (w,) = leaves(M, V3)
    (w * w).sum().backward()
    with M.no_grad():
        w.sub_(0.1 * w.grad)
    assert w.requires_grad and w.is_leaf and w.grad_fn is None
    assert w._version == 1
    assert_close(w, V3 - 0.1 * 2 * V3)
    w_id = id(w)
    with M.no_grad():
        w -= 0.1 * w.grad
        w *= 1.0
    assert id(w) == w_id
    assert w.requires_grad and w.is_leaf and w.grad_fn is None
    assert w._version == 3
    assert_close(w, V3 - 0.2 * 2 * V3)
    w.grad.zero_()
    (w * 2).sum().backward()
    assert_close(w.grad, np.full(3, 2.0))


@requires_torch
def test_inplace_grad_fn_names_match_torch():
    names = []
    for M in (minitorch, torch):
        (x,) = leaves(M, V3)
        y = x * 1
        row = []
        for op in (lambda: y.add_(1), lambda: y.mul_(2), lambda: y.sub_(1), lambda: y.div_(2)):
            op()
            row.append(fn_name(y))
        names.append(row)
    assert names[0] == names[1] == ["AddBackward0", "MulBackward0", "SubBackward0", "DivBackward0"]


_INPLACE_PROGRAMS = {
    "chain": lambda M, x, w: (lambda y: (y.mul_(2).add_(x).sub_(1).div_(4) * x).sum())(x * 1),
    "add_tensor": lambda M, x, w: (lambda y: (y.add_(w * x) * w).sum())(x * 3),
    "mul_tensor": lambda M, x, w: (lambda y: (y.mul_(w) * y).sum())(x + 0),
    "div_tensor": lambda M, x, w: (lambda y: y.div_(w + 2).sum())(x * 3),
    "clamp_": lambda M, x, w: (lambda y: (y.clamp_(-1.0, 1.0) * w).sum())(x * 2),
    "clamp_min": lambda M, x, w: (lambda y: y.clamp_(min=0.0).sum())(x * w),
    "zero_": lambda M, x, w: (lambda y: (y.zero_() + x * w).sum())(x * 2),
    "fill_": lambda M, x, w: (lambda y: (y.fill_(3.0) * x).sum())(x * 2),
    "setitem_scalar": lambda M, x, w: (lambda y: (y.__setitem__(0, 0.0), (y * y).sum())[1])(x * 1),
    "setitem_tensor": lambda M, x, w: (lambda y: (y.__setitem__(slice(1, 3), w[:2] * 2), (y * x).sum())[1])(x * 1),
    "inplace_on_plain_tensor": lambda M, x, w: (lambda a: (a.add_(x).mul_(w) * x).sum())(M.zeros(3, dtype=x.dtype)),
    "iadd_imul": lambda M, x, w: _iadd_imul(x, w),
}


def _iadd_imul(x, w):
    y = x * 2
    y += w
    y *= x
    return y.sum()


@pytest.mark.parametrize("name", sorted(_INPLACE_PROGRAMS))
def test_inplace_gradients(name):
    program = _INPLACE_PROGRAMS[name]
    results = []
    for M in MODULES:
        x, w = leaves(M, V3, np.array([0.3, -0.7, 1.1]))
        out = program(M, x, w)
        out.backward()
        results.append((out, x.grad, w.grad))
    # numpy finite differences of the same program as a torch-free reference
    def value(xa, wa):
        with minitorch.no_grad():
            x_, w_ = leaves(minitorch, xa, wa, dtype="float64", requires_grad=False)
            return program(minitorch, x_, w_).item()
    xa, wa = V3.astype(np.float64), np.array([0.3, -0.7, 1.1])
    eps = 1e-5
    for k, (arr, grad) in enumerate([(xa, results[0][1]), (wa, results[0][2])]):
        num = np.zeros(3)
        for i in range(3):
            plus, minus = arr.copy(), arr.copy()
            plus[i] += eps
            minus[i] -= eps
            args_p = (plus, wa) if k == 0 else (xa, plus)
            args_m = (minus, wa) if k == 0 else (xa, minus)
            num[i] = (value(*args_p) - value(*args_m)) / (2 * eps)
        if grad is None:
            assert np.allclose(num, 0.0, atol=1e-4)
        else:
            assert_close(grad, num, rtol=1e-3, atol=1e-4)
    if torch is not None:
        (m_out, m_gx, m_gw), (t_out, t_gx, t_gw) = results
        assert_close(m_out, t_out, rtol=1e-5)
        assert_close(m_gx, t_gx, rtol=1e-5)
        assert_close(m_gw, t_gw, rtol=1e-5)


def test_copy_into_non_leaf_routes_gradient_to_source():
    x, w = leaves(minitorch, V3, np.array([0.3, -0.7, 1.1]))
    y = x * 2
    y.copy_(w * 3)
    (y * y).sum().backward()
    assert_close(w.grad, 18 * np.array([0.3, -0.7, 1.1]))
    assert x.grad is None or np.allclose(to_np(x.grad), 0.0)


def test_inplace_on_plain_tensor_with_grad_argument_joins_graph():
    (x,) = leaves(minitorch, V3)
    a = minitorch.zeros(3)
    a.add_(x)
    assert a.requires_grad and not a.is_leaf
    assert fn_name(a) == "AddBackward0"
    a.sum().backward()
    assert_close(x.grad, np.ones(3))


@pytest.mark.parametrize("op", [operator.iadd, operator.isub, operator.imul, operator.itruediv])
def test_augmented_assignment_is_inplace(op):
    t = minitorch.ones(3)
    before = id(t)
    alias = t.view(3)
    t2 = op(t, 2)
    assert id(t2) == before
    assert alias.tolist() == t2.tolist()
    assert t2._version == 1
