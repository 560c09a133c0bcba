"""F.instance_norm and InstanceNorm1d/2d/3d: values, every gradient and running statistics
against PyTorch (affine, track_running_stats, momentum, eps, unbatched input, eval mode),
against a NumPy reference and central differences without it; warnings, errors, reprs,
state_dict keys."""
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitorch
from minitorch import nn
from minitorch.autograd.gradcheck import gradcheck
from minitorch.nn import functional as F
from tests._compat import requires_torch, torch
from tests._nn_compare import assert_close, assert_grads_close, load_from_torch, raises_like
from tests.strategies import hsettings, layout_of


def _arr(shape, dtype="float32", seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def numpy_instance_norm(x, weight=None, bias=None, eps=1e-5):
    axes = tuple(range(2, x.ndim))
    mean = x.mean(axes, keepdims=True)
    var = x.var(axes, keepdims=True)
    out = (x - mean) / np.sqrt(var + eps)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


@hsettings(max_examples=20)
@given(shape=st.sampled_from([(2, 3, 5), (1, 2, 3, 4), (3, 1, 2, 2, 2)]), affine=st.booleans(), data=st.data())
def test_instance_norm_normalises_each_plane(shape, affine, data):
    x = _arr(shape, "float64")
    w, b = (_arr(shape[1], "float64", 1), _arr(shape[1], "float64", 2)) if affine else (None, None)
    out = F.instance_norm(data.draw(layout_of(x)), weight=None if w is None else minitorch.tensor(w),
                          bias=None if b is None else minitorch.tensor(b), eps=1e-3)
    np.testing.assert_allclose(out.numpy(), numpy_instance_norm(x, w, b, 1e-3), rtol=1e-10, atol=1e-10)


def test_instance_norm_gradchecks_first_and_second_order():
    x = minitorch.tensor(_arr((2, 3, 4), "float64"), requires_grad=True)
    w = minitorch.tensor(_arr((3,), "float64", 1), requires_grad=True)
    b = minitorch.tensor(_arr((3,), "float64", 2), requires_grad=True)
    assert gradcheck(lambda x, w, b: F.instance_norm(x, weight=w, bias=b), (x, w, b))

    def second(x, w):
        with minitorch.enable_grad():
            y = F.instance_norm(x, weight=w)
            gx, gw = minitorch.autograd.grad((y * y * y).sum(), (x, w), create_graph=True)
        return (gx * gx).sum() + (gw * gw).sum()
    assert gradcheck(second, (x, w))


@requires_torch
@pytest.mark.parametrize("use_input_stats", [True, False])
@pytest.mark.parametrize("momentum", [0.1, 0.5])
def test_functional_instance_norm_matches_torch_including_running_stats(use_input_stats, momentum):
    x = _arr((3, 4, 5, 6))
    stats = [_arr((4,), seed=1), np.abs(_arr((4,), seed=2)) + 0.5]
    wb = [_arr((4,), seed=3), _arr((4,), seed=4)]
    rm_m, rv_m = (minitorch.tensor(s) for s in stats)
    rm_t, rv_t = (torch.tensor(s) for s in stats)
    xm, xt = minitorch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    wm, bm = (minitorch.tensor(a, requires_grad=True) for a in wb)
    wt, bt = (torch.tensor(a, requires_grad=True) for a in wb)
    om = F.instance_norm(xm, rm_m, rv_m, wm, bm, use_input_stats, momentum, 1e-3)
    ot = torch.nn.functional.instance_norm(xt, rm_t, rv_t, wt, bt, use_input_stats, momentum, 1e-3)
    assert type(om.grad_fn).__name__ == type(ot.grad_fn).__name__ == "ViewBackward0"
    assert_close(om, ot)
    assert_close(rm_m, rm_t, rtol=1e-6, atol=1e-6)
    assert_close(rv_m, rv_t, rtol=1e-6, atol=1e-6)
    g = _arr(tuple(ot.shape), seed=5)
    om.backward(minitorch.tensor(g))
    ot.backward(torch.tensor(g))
    for m, t in ((xm, xt), (wm, wt), (bm, bt)):
        assert_close(m.grad, t.grad, rtol=1e-4, atol=1e-5)


_MODULES = [
    (lambda nn: nn.InstanceNorm2d(3), (2, 3, 4, 5)),
    (lambda nn: nn.InstanceNorm2d(3, affine=True), (2, 3, 4, 5)),
    (lambda nn: nn.InstanceNorm2d(3, eps=1e-3, momentum=0.3, affine=True, track_running_stats=True), (2, 3, 4, 5)),
    (lambda nn: nn.InstanceNorm2d(3, momentum=None, track_running_stats=True), (2, 3, 4, 5)),
    (lambda nn: nn.InstanceNorm2d(3, affine=True, track_running_stats=True, bias=False), (3, 4, 5)),
    (lambda nn: nn.InstanceNorm1d(3, affine=True, track_running_stats=True), (3, 7)),
    (lambda nn: nn.InstanceNorm1d(3), (2, 3, 7)),
    (lambda nn: nn.InstanceNorm3d(2, affine=True), (2, 2, 3, 2, 3)),
]


@requires_torch
@pytest.mark.parametrize("make,shape", _MODULES)
def test_instance_norm_modules_match_torch_in_train_and_eval(make, shape):
    t = make(torch.nn)
    m = make(nn)
    assert repr(m) == repr(t)
    assert list(m.state_dict()) == list(t.state_dict())
    if t.affine:  # non-trivial weights, the same in both
        with torch.no_grad():
            t.weight.uniform_(0.5, 1.5)
            if t.bias is not None:
                t.bias.uniform_(-0.5, 0.5)
        load_from_torch(m, t)
    for step in range(3):
        if step == 2:
            m.eval()
            t.eval()
        x = _arr(shape, seed=step)
        xm, xt = minitorch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        om, ot = m(xm), t(xt)
        assert_close(om, ot, rtol=1e-4, atol=1e-5)
        (om * om * om).sum().backward()
        (ot * ot * ot).sum().backward()
        assert_close(xm.grad, xt.grad, rtol=1e-4, atol=1e-4)
    assert_grads_close(m, t, rtol=1e-4, atol=1e-4)
    for (k, vm), vt in zip(m.state_dict().items(), t.state_dict().values()):
        assert_close(vm, vt, rtol=1e-6, atol=1e-6, what=k)


@requires_torch
def test_instance_norm_warns_on_a_channel_mismatch_without_affine_and_raises_with_it():
    x = _arr((2, 4, 5))
    with pytest.warns(UserWarning, match="input's size at dim=1 does not match num_features"):
        nn.InstanceNorm1d(3)(minitorch.tensor(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raises_like(lambda: nn.InstanceNorm1d(3, affine=True)(minitorch.tensor(x)),
                    lambda: torch.nn.InstanceNorm1d(3, affine=True)(torch.tensor(x)))


@requires_torch
@pytest.mark.parametrize("make,shape", [
    (lambda nn: nn.InstanceNorm2d(3), (3, 4)), (lambda nn: nn.InstanceNorm2d(3), (1, 3, 2, 2, 2)),
    (lambda nn: nn.InstanceNorm1d(3), (2, 3, 4, 5)), (lambda nn: nn.InstanceNorm1d(3), (2, 3, 1)),
    (lambda nn: nn.InstanceNorm3d(3), (3, 4, 5)),
])
def test_instance_norm_module_errors_match_torch(make, shape):
    x = _arr(shape)
    raises_like(lambda: make(nn)(minitorch.tensor(x)), lambda: make(torch.nn)(torch.tensor(x)))


@requires_torch
def test_functional_instance_norm_errors_match_torch():
    x = _arr((2, 3, 4))
    raises_like(lambda: F.instance_norm(minitorch.tensor(x), use_input_stats=False),
                lambda: torch.nn.functional.instance_norm(torch.tensor(x), use_input_stats=False))
    raises_like(lambda: F.instance_norm(minitorch.tensor(x[..., :1])),
                lambda: torch.nn.functional.instance_norm(torch.tensor(x[..., :1])))
