"""F.layer_norm / nn.LayerNorm, F.rms_norm / nn.RMSNorm, F.group_norm / nn.GroupNorm: values and the
gradients of input, weight and bias against torch 2.13, a NumPy reference and finite differences
(first and second order), modules' init, state_dict, repr, and error messages."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitorch
import minitorch.nn.functional as F
from minitorch.autograd import gradcheck
from tests._compat import requires_torch, torch
from tests._nn_compare import assert_close, assert_same_state, raises_like
from tests.strategies import hsettings, nonempty_shapes, tensors

RNG = np.random.default_rng(3)


def _arr(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def _numpy_layer_norm(x, n, w, b, eps):
    axes = tuple(range(x.ndim - n, x.ndim))
    xhat = (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + eps)
    return xhat * (1.0 if w is None else w) + (0.0 if b is None else b)


@hsettings(max_examples=30)
@given(data=st.data(), n=st.integers(1, 2), affine=st.booleans())
def test_layer_norm_equals_numpy_on_any_layout(data, n, affine):
    arr, t = data.draw(tensors(shape=nonempty_shapes(min_dims=2, max_dims=4), dtype="float64", lo=-5, hi=5))
    shape = arr.shape[arr.ndim - n:]
    w = RNG.standard_normal(shape) if affine else None
    b = RNG.standard_normal(shape) if affine else None
    out = F.layer_norm(t, shape, None if w is None else minitorch.tensor(w), None if b is None else minitorch.tensor(b),
                       1e-5)
    np.testing.assert_allclose(out.numpy(), _numpy_layer_norm(arr, n, w, b, 1e-5), rtol=1e-9, atol=1e-9)


def test_layer_norm_gradcheck_first_and_second_order_float64():
    x = minitorch.tensor(_arr(3, 2, 4, dtype=np.float64), requires_grad=True)
    w = minitorch.tensor(_arr(2, 4, dtype=np.float64), requires_grad=True)
    b = minitorch.tensor(_arr(2, 4, dtype=np.float64), requires_grad=True)
    assert gradcheck(lambda x, w, b: F.layer_norm(x, (2, 4), w, b), (x, w, b))
    assert gradcheck(lambda x: F.layer_norm(x, [4]), (x,))

    def input_grad(x, w):
        # gradcheck's finite differences run the function under no_grad: the inner gradient
        # still needs a graph, and what goes back must then be detached
        outer = minitorch.is_grad_enabled()
        with minitorch.enable_grad():
            (g,) = minitorch.autograd.grad((F.layer_norm(x, (4,), w[0]) ** 3).sum(), x, create_graph=True)
        return g if outer else g.detach()
    assert gradcheck(input_grad, (x, w))


@requires_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape,normalized", [((4, 7), (7,)), ((2, 3, 5), (3, 5)), ((2, 3, 5), (5,)),
                                              ((6,), (6,)), ((0, 4), (4,))])
@pytest.mark.parametrize("affine", ["both", "weight_only", "none"])
def test_layer_norm_values_and_gradients_match_torch(shape, normalized, affine, dtype):
    x = _arr(*shape, dtype=dtype) * 3 + 1
    w, b = _arr(*normalized, dtype=dtype), _arr(*normalized, dtype=dtype)
    xm, xt = minitorch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    wm, wt = (minitorch.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)) if affine != "none" \
        else (None, None)
    bm, bt = (minitorch.tensor(b, requires_grad=True), torch.tensor(b, requires_grad=True)) if affine == "both" \
        else (None, None)
    ym = F.layer_norm(xm, normalized, wm, bm, eps=1e-3)
    yt = torch.nn.functional.layer_norm(xt, normalized, wt, bt, eps=1e-3)
    assert_close(ym, yt, rtol=1e-5, atol=1e-5)
    g = _arr(*shape, dtype=dtype)
    ym.backward(minitorch.tensor(g))
    yt.backward(torch.tensor(g))
    for m_t, t_t in ((xm, xt), (wm, wt), (bm, bt)):
        if t_t is not None:
            assert_close(m_t.grad, t_t.grad, rtol=1e-4, atol=1e-5)


@requires_torch
def test_layer_norm_second_derivative_matches_torch():
    x, w = _arr(3, 5, dtype=np.float64), _arr(5, dtype=np.float64)
    grads = []
    for lib in (minitorch, torch):
        xx, ww = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        y = lib.nn.functional.layer_norm(xx, (5,), ww) if lib is torch else F.layer_norm(xx, (5,), ww)
        (gx,) = lib.autograd.grad((y * y * y).sum(), xx, create_graph=True)
        (gx * gx).sum().backward()
        grads.append((gx, xx.grad, ww.grad))
    for m_t, t_t in zip(*grads):
        assert_close(m_t, t_t, rtol=1e-9, atol=1e-10)


@requires_torch
@pytest.mark.parametrize("eps", [None, 1e-2])
@pytest.mark.parametrize("with_weight", [True, False])
def test_rms_norm_values_and_gradients_match_torch(eps, with_weight):
    x, w = _arr(3, 2, 6), _arr(2, 6)
    results = []
    for lib, fn in ((minitorch, F.rms_norm), (torch, torch.nn.functional.rms_norm)):
        xx = lib.tensor(x, requires_grad=True)
        ww = lib.tensor(w, requires_grad=True) if with_weight else None
        y = fn(xx, (2, 6), ww, eps)
        (y * lib.tensor(x)).sum().backward()
        results.append((y, xx.grad) + ((ww.grad,) if with_weight else ()))
    assert type(results[0][0].grad_fn).__name__ == type(results[1][0].grad_fn).__name__ == "MulBackward0"
    for m_t, t_t in zip(*results):
        assert_close(m_t, t_t, rtol=1e-5, atol=1e-5)


def test_rms_norm_gradcheck_and_default_eps_is_the_dtype_epsilon():
    x = minitorch.tensor(_arr(2, 5, dtype=np.float64), requires_grad=True)
    w = minitorch.tensor(_arr(5, dtype=np.float64), requires_grad=True)
    assert gradcheck(lambda x, w: F.rms_norm(x, [5], w), (x, w))
    tiny = minitorch.full((1, 4), 1e-4)
    expected = 1e-4 / np.sqrt(1e-8 + np.finfo(np.float32).eps)
    np.testing.assert_allclose(F.rms_norm(tiny, (4,)).numpy(), expected, rtol=1e-5)


@requires_torch
@pytest.mark.parametrize("shape,groups", [((2, 6), 3), ((2, 6, 5), 2), ((3, 4, 2, 3), 4), ((1, 4, 3), 1)])
def test_group_norm_values_and_gradients_match_torch(shape, groups):
    """minitorch's float32 against torch's float64 (the float32 inputs, widened): torch's own
    float32 input gradient is not the same from run to run (its vectorised reductions depend
    on alignment), so the reference is the one it computes without rounding to float32."""
    x, w, b = _arr(*shape) * 2, _arr(shape[1]), _arr(shape[1])
    results = []
    for lib, fn, dtype in ((minitorch, F.group_norm, minitorch.float32),
                           (torch, torch.nn.functional.group_norm, torch.float64)):
        xx, ww, bb = (lib.tensor(a, requires_grad=True, dtype=dtype) for a in (x, w, b))
        y = fn(xx, groups, ww, bb, 1e-4)
        (y * lib.tensor(x, dtype=dtype)).sum().backward()
        results.append([t.detach().numpy() for t in (y, xx.grad, ww.grad, bb.grad)])
    for m_t, t_t in zip(*results):
        assert m_t.dtype == np.float32
        np.testing.assert_allclose(m_t, t_t, rtol=1e-4, atol=1e-5)


def test_group_norm_gradcheck_float64():
    x = minitorch.tensor(_arr(2, 4, 3, dtype=np.float64), requires_grad=True)
    w = minitorch.tensor(_arr(4, dtype=np.float64), requires_grad=True)
    b = minitorch.tensor(_arr(4, dtype=np.float64), requires_grad=True)
    assert gradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), (x, w, b))


MODULES = {
    "layer_norm": lambda lib: lib.nn.LayerNorm(6),
    "layer_norm_tuple_no_bias": lambda lib: lib.nn.LayerNorm((3, 6), eps=1e-6, bias=False),
    "layer_norm_no_affine": lambda lib: lib.nn.LayerNorm([6], elementwise_affine=False),
    "rms_norm": lambda lib: lib.nn.RMSNorm(6),
    "rms_norm_eps_no_affine": lambda lib: lib.nn.RMSNorm([3, 6], eps=1e-6, elementwise_affine=False),
    "group_norm": lambda lib: lib.nn.GroupNorm(3, 3),
    "group_norm_no_bias": lambda lib: lib.nn.GroupNorm(1, 3, bias=False),
    "group_norm_no_affine": lambda lib: lib.nn.GroupNorm(3, 3, affine=False),
}


@requires_torch
@pytest.mark.parametrize("name", sorted(MODULES))
def test_norm_modules_match_torch_state_repr_attributes_and_outputs(name):
    m_mod, t_mod = MODULES[name](minitorch), MODULES[name](torch)
    assert repr(m_mod) == repr(t_mod)
    assert_same_state(m_mod, t_mod)
    for attr in ("normalized_shape", "eps", "elementwise_affine", "num_groups", "num_channels", "affine"):
        assert getattr(m_mod, attr, None) == getattr(t_mod, attr, None), attr
    x = _arr(2, 3, 6)
    with torch.no_grad():
        for p in t_mod.parameters():
            p.copy_(torch.tensor(_arr(*p.shape)))
    m_mod.load_state_dict({k: minitorch.tensor(v.numpy()) for k, v in t_mod.state_dict().items()})
    assert_close(m_mod(minitorch.tensor(x)), t_mod(torch.tensor(x)).detach(), rtol=1e-5, atol=1e-5)


NORM_ERRORS = [
    ("ln_int_shape", lambda lib: lib.nn.functional.layer_norm(lib.zeros(2, 3), 3)),
    ("ln_float_in_shape", lambda lib: lib.nn.functional.layer_norm(lib.zeros(2, 3), [3.0])),
    ("ln_wrong_shape", lambda lib: lib.nn.functional.layer_norm(lib.zeros(2, 3, 4), (5,))),
    ("ln_too_long", lambda lib: lib.nn.functional.layer_norm(lib.zeros(2, 3, 4), (1, 2, 3, 4))),
    ("ln_empty_shape", lambda lib: lib.nn.functional.layer_norm(lib.zeros(2, 3), ())),
    ("ln_weight_shape", lambda lib: lib.nn.functional.layer_norm(lib.zeros(2, 3), (3,), lib.ones(2))),
    ("ln_bias_shape", lambda lib: lib.nn.functional.layer_norm(lib.zeros(2, 3), (3,), lib.ones(3), lib.ones(2))),
    ("ln_int_input", lambda lib: lib.nn.functional.layer_norm(lib.zeros(2, 3, dtype=lib.int64), (3,))),
    ("ln_weight_dtype", lambda lib: lib.nn.functional.layer_norm(lib.zeros(2, 3), (3,),
                                                                 lib.ones(3, dtype=lib.float64))),
    ("ln_list_input", lambda lib: lib.nn.functional.layer_norm([1.0, 2.0], (2,))),
    ("ln_module_input", lambda lib: lib.nn.LayerNorm(4)(lib.zeros(3, 5))),
    ("ln_negative", lambda lib: lib.nn.LayerNorm(-1)),
    ("rms_wrong_shape", lambda lib: lib.nn.functional.rms_norm(lib.zeros(2, 3), (4,))),
    ("rms_int_shape", lambda lib: lib.nn.functional.rms_norm(lib.zeros(2, 3), 3)),
    ("rms_weight", lambda lib: lib.nn.functional.rms_norm(lib.zeros(2, 3), (3,), lib.ones(2))),
    ("rms_int_input", lambda lib: lib.nn.functional.rms_norm(lib.zeros(2, 3, dtype=lib.int64), (3,))),
    ("gn_groups", lambda lib: lib.nn.functional.group_norm(lib.zeros(2, 6, 3), 4)),
    ("gn_1d", lambda lib: lib.nn.functional.group_norm(lib.zeros(6), 3)),
    ("gn_weight", lambda lib: lib.nn.functional.group_norm(lib.zeros(2, 6, 3), 3, lib.ones(5))),
    ("gn_one_value", lambda lib: lib.nn.functional.group_norm(lib.zeros(1, 3, 1), 3)),
    ("gn_module_groups", lambda lib: lib.nn.GroupNorm(4, 6)),
]


@requires_torch
@pytest.mark.parametrize("name,make", NORM_ERRORS, ids=[n for n, _ in NORM_ERRORS])
def test_norm_errors_match_torch(name, make):
    raises_like(lambda: make(minitorch), lambda: make(torch))
