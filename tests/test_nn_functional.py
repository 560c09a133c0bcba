"""nn.functional against torch (values, gradients, node names) and central differences."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minitorch
import minitorch.nn.functional as F
from minitorch.autograd import gradcheck
from tests._compat import requires_torch, torch

RNG = np.random.default_rng(1)
TF = torch.nn.functional if torch is not None else None


def _both(data, requires_grad=True):
    m = minitorch.tensor(data, requires_grad=requires_grad and data.dtype.kind == "f")
    t = torch.tensor(data, requires_grad=requires_grad and data.dtype.kind == "f") if torch is not None else None
    return m, t


def _close(m, t, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(m.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol)
    assert str(m.dtype) == str(t.dtype)
    assert tuple(m.shape) == tuple(t.shape)


def _check(fn_m, fn_t, *arrays, grad_of=(0,), rtol=1e-5, atol=1e-6):
    pairs = [_both(a, i in grad_of) for i, a in enumerate(arrays)]
    out_m = fn_m(*[p[0] for p in pairs])
    out_t = fn_t(*[p[1] for p in pairs])
    _close(out_m, out_t, rtol, atol)
    assert type(out_m.grad_fn).__name__ == type(out_t.grad_fn).__name__
    g = RNG.standard_normal(tuple(out_t.shape)).astype(np.float32)
    out_m.backward(minitorch.tensor(g))
    out_t.backward(torch.tensor(g))
    for i in grad_of:
        _close(pairs[i][0].grad, pairs[i][1].grad, rtol, atol)


X = RNG.standard_normal((6, 5)).astype(np.float32) * 3
T = np.array([0, 4, 2, 2, 1, 3])
P = RNG.random((6, 5)).astype(np.float32)
W = RNG.random(5).astype(np.float32) + 0.5


@requires_torch
@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "gelu", "gelu_tanh", "leaky_relu",
                                  "softmax0", "softmax1", "log_softmax0", "log_softmax1"])
def test_activation_matches_torch(name):
    fns = {
        "relu": lambda f, x: f.relu(x), "sigmoid": lambda f, x: f.sigmoid(x), "tanh": lambda f, x: f.tanh(x),
        "gelu": lambda f, x: f.gelu(x), "gelu_tanh": lambda f, x: f.gelu(x, approximate="tanh"),
        "leaky_relu": lambda f, x: f.leaky_relu(x, 0.2),
        "softmax0": lambda f, x: f.softmax(x, 0), "softmax1": lambda f, x: f.softmax(x, dim=1),
        "log_softmax0": lambda f, x: f.log_softmax(x, 0), "log_softmax1": lambda f, x: f.log_softmax(x, dim=-1),
    }
    fn = fns[name]
    _check(lambda x: fn(F, x), lambda x: fn(TF, x), X)


@requires_torch
@pytest.mark.parametrize("shape,dim", [((2, 3, 4), 1), ((2, 3, 4), 2), ((2, 3, 4), 0), ((7,), 0)])
def test_softmax_family_on_any_dim_and_non_contiguous_input(shape, dim):
    data = RNG.standard_normal(shape).astype(np.float32)
    _check(lambda x: F.log_softmax(x.transpose(0, -1), dim), lambda x: TF.log_softmax(x.transpose(0, -1), dim), data)
    _check(lambda x: F.softmax(x.transpose(0, -1), dim), lambda x: TF.softmax(x.transpose(0, -1), dim), data)


@pytest.mark.parametrize("shape,dim", [((2, 0), 1), ((0, 3), 1), ((2, 0, 3), 1), ((2, 0, 3), 2), ((0,), 0)])
@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_softmax_family_on_empty_tensors_gives_empty_results_and_gradients(fn, shape, dim):
    x = minitorch.zeros(shape, requires_grad=True)
    out = getattr(F, fn)(x, dim)
    assert out.shape == x.shape
    out.sum().backward()
    assert x.grad.shape == x.shape


def test_log_softmax_is_stable_for_huge_logits():
    x = minitorch.tensor([[1000.0, 0.0, -1000.0], [-1e30, 1e30, 0.0]])
    out = F.log_softmax(x, 1).numpy()
    assert np.isfinite(out[:, :2]).all() or np.isfinite(out[0]).all()
    np.testing.assert_allclose(out[0], [0.0, -1000.0, -2000.0])
    assert out[1, 1] == 0.0


LOSSES = {
    "nll_mean": (lambda f, x, t, w: f.nll_loss(f.log_softmax(x, 1), t)),
    "nll_sum": (lambda f, x, t, w: f.nll_loss(f.log_softmax(x, 1), t, reduction="sum")),
    "nll_none": (lambda f, x, t, w: f.nll_loss(f.log_softmax(x, 1), t, reduction="none")),
    "nll_weight": (lambda f, x, t, w: f.nll_loss(f.log_softmax(x, 1), t, weight=w)),
    "nll_ignore": (lambda f, x, t, w: f.nll_loss(f.log_softmax(x, 1), t, ignore_index=2)),
    "nll_weight_ignore_none": (lambda f, x, t, w: f.nll_loss(f.log_softmax(x, 1), t, weight=w, ignore_index=4,
                                                             reduction="none")),
    "ce": (lambda f, x, t, w: f.cross_entropy(x, t)),
    "ce_weight_sum": (lambda f, x, t, w: f.cross_entropy(x, t, weight=w, reduction="sum")),
    "ce_smooth": (lambda f, x, t, w: f.cross_entropy(x, t, label_smoothing=0.2)),
    "ce_smooth_weight_ignore": (lambda f, x, t, w: f.cross_entropy(x, t, weight=w, ignore_index=2,
                                                                   label_smoothing=0.1)),
    "ce_smooth_none": (lambda f, x, t, w: f.cross_entropy(x, t, label_smoothing=0.3, reduction="none")),
}


@requires_torch
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_class_index_losses_match_torch(name):
    fn = LOSSES[name]
    m_w, t_w = minitorch.tensor(W), torch.tensor(W)
    m_t, t_t = minitorch.tensor(T), torch.tensor(T)
    xm, xt = _both(X)
    out_m, out_t = fn(F, xm, m_t, m_w), fn(TF, xt, t_t, t_w)
    _close(out_m, out_t)
    if not name.startswith(("ce_smooth",)):
        assert type(out_m.grad_fn).__name__ == type(out_t.grad_fn).__name__
    out_m.sum().backward()
    out_t.sum().backward()
    _close(xm.grad, xt.grad)


@requires_torch
def test_cross_entropy_with_probability_targets_matches_torch():
    for kwargs in ({}, {"label_smoothing": 0.25}, {"reduction": "sum"}, {"reduction": "none"}):
        xm, xt = _both(X)
        pm, pt = _both(P / P.sum(1, keepdims=True), requires_grad=False)
        out_m, out_t = F.cross_entropy(xm, pm, **kwargs), TF.cross_entropy(xt, pt, **kwargs)
        _close(out_m, out_t)
        out_m.sum().backward()
        out_t.sum().backward()
        _close(xm.grad, xt.grad)


@requires_torch
def test_nll_loss_over_spatial_dims_matches_torch():
    x = RNG.standard_normal((2, 3, 4, 5)).astype(np.float32)
    t = RNG.integers(0, 3, (2, 4, 5))
    for reduction in ("mean", "none"):
        _check(lambda a: F.cross_entropy(a, minitorch.tensor(t), reduction=reduction),
               lambda a: TF.cross_entropy(a, torch.tensor(t), reduction=reduction), x)


@requires_torch
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_regression_and_binary_losses_match_torch(reduction):
    probs = P * 0.98 + 0.01
    _check(lambda a, b: F.mse_loss(a, b, reduction=reduction), lambda a, b: TF.mse_loss(a, b, reduction=reduction),
           X, P, grad_of=(0, 1))
    _check(lambda a, b: F.l1_loss(a, b, reduction=reduction), lambda a, b: TF.l1_loss(a, b, reduction=reduction),
           X, P, grad_of=(0, 1))
    _check(lambda a, b: F.binary_cross_entropy(a, b, reduction=reduction),
           lambda a, b: TF.binary_cross_entropy(a, b, reduction=reduction), probs, P, grad_of=(0, 1))
    _check(lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction=reduction),
           lambda a, b: TF.binary_cross_entropy_with_logits(a, b, reduction=reduction), X, P, grad_of=(0, 1))
    _check(lambda a, b, w: F.binary_cross_entropy_with_logits(a, b, pos_weight=w, reduction=reduction),
           lambda a, b, w: TF.binary_cross_entropy_with_logits(a, b, pos_weight=w, reduction=reduction),
           X, P, W, grad_of=(0, 1))


@requires_torch
def test_linear_matches_torch_with_and_without_bias_and_batch_dims():
    w = RNG.standard_normal((3, 5)).astype(np.float32)
    b = RNG.standard_normal(3).astype(np.float32)
    _check(F.linear, TF.linear, X, w, b, grad_of=(0, 1, 2))
    _check(F.linear, TF.linear, X, w, grad_of=(0, 1))
    x3 = RNG.standard_normal((2, 4, 5)).astype(np.float32)
    _check(F.linear, TF.linear, x3, w, b, grad_of=(0, 1, 2))


@requires_torch
def test_embedding_matches_torch_including_repeats_and_padding_idx():
    weight = RNG.standard_normal((6, 3)).astype(np.float32)
    idx = np.array([[0, 2, 2], [5, 0, 1]])
    _check(lambda w: F.embedding(minitorch.tensor(idx), w), lambda w: TF.embedding(torch.tensor(idx), w), weight)
    _check(lambda w: F.embedding(minitorch.tensor(idx), w, padding_idx=2),
           lambda w: TF.embedding(torch.tensor(idx), w, padding_idx=2), weight)


def test_dropout_zeroes_about_p_scales_the_rest_and_backprops_through_the_mask():
    minitorch.manual_seed(0)
    x = minitorch.ones(200, 100, requires_grad=True)
    y = F.dropout(x, 0.3)
    kept = y.detach().numpy() != 0
    assert abs(1 - kept.mean() - 0.3) < 0.02
    np.testing.assert_allclose(y.detach().numpy()[kept], 1 / 0.7, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy() != 0, kept)
    assert F.dropout(x, 0.3, training=False) is x
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        F.dropout(x, 1.5)


@pytest.mark.parametrize("name", ["gelu", "gelu_tanh", "leaky", "softmax", "log_softmax", "ce", "ce_smooth",
                                  "nll_weight", "bce_logits", "bce", "mse", "linear", "embedding"])
def test_gradients_match_central_differences(name):
    x = minitorch.tensor(RNG.standard_normal((4, 5)), dtype=minitorch.float64, requires_grad=True)
    t = minitorch.tensor([0, 4, 2, 1])
    w = minitorch.tensor(RNG.random(5) + 0.5, dtype=minitorch.float64)
    p = minitorch.tensor(RNG.random((4, 5)) * 0.9 + 0.05, dtype=minitorch.float64)
    fns = {
        "gelu": lambda a: F.gelu(a), "gelu_tanh": lambda a: F.gelu(a, approximate="tanh"),
        "leaky": lambda a: F.leaky_relu(a, 0.1), "softmax": lambda a: F.softmax(a, 1),
        "log_softmax": lambda a: F.log_softmax(a, 0), "ce": lambda a: F.cross_entropy(a, t),
        "ce_smooth": lambda a: F.cross_entropy(a, t, label_smoothing=0.2),
        "nll_weight": lambda a: F.nll_loss(a, t, weight=w, reduction="none"),
        "bce_logits": lambda a: F.binary_cross_entropy_with_logits(a, p, pos_weight=w),
        "bce": lambda a: F.binary_cross_entropy(a.sigmoid(), p), "mse": lambda a: F.mse_loss(a, p),
        "linear": lambda a: F.linear(a, a[:3] * 2, w[:3]),
        "embedding": lambda a: F.embedding(minitorch.tensor([[1, 1], [3, 0]]), a),
    }
    assert gradcheck(fns[name], (x,))


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 5), st.integers(1, 6), st.floats(-50, 50))
def test_log_softmax_rows_sum_to_one_in_probability(n, c, shift):
    x = minitorch.tensor(RNG.standard_normal((n, c)) * 10 + shift, dtype=minitorch.float32)
    p = F.log_softmax(x, 1).exp().sum(1).numpy()
    np.testing.assert_allclose(p, 1.0, rtol=1e-5)


def test_nll_loss_rejects_float_targets_and_out_of_range_classes():
    x = F.log_softmax(minitorch.randn(3, 4), 1)
    # torch 2.13's wording; class indices are int64 or uint8 (int32 is refused too, as in torch)
    with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte, but got Float"):
        F.nll_loss(x, minitorch.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte, but got Int"):
        F.nll_loss(x, minitorch.tensor([0, 1, 2], dtype=minitorch.int32))
    assert F.nll_loss(x, minitorch.tensor([0, 1, 2], dtype=minitorch.uint8)).item() == \
        F.nll_loss(x, minitorch.tensor([0, 1, 2])).item()
    with pytest.raises(IndexError, match="Target 7 is out of bounds."):
        F.nll_loss(x, minitorch.tensor([0, 7, 1]))
    with pytest.raises(ValueError, match=r"Expected input batch_size \(3\) to match target batch_size \(2\)."):
        F.nll_loss(x, minitorch.tensor([0, 1]))
    with pytest.raises(ValueError, match="foo is not a valid value for reduction"):
        F.nll_loss(x, minitorch.tensor([0, 1, 2]), reduction="foo")


def test_linear_rejects_mismatched_shapes_naming_both():
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(64x784 and 512x10\)"):
        F.linear(minitorch.randn(64, 784), minitorch.randn(10, 512))


@requires_torch
def test_error_types_match_torch():
    cases = [
        lambda f, lib: f.nll_loss(f.log_softmax(lib.randn(3, 4), 1), lib.tensor([0.0, 1.0, 2.0])),
        lambda f, lib: f.nll_loss(f.log_softmax(lib.randn(3, 4), 1), lib.tensor([0, 9, 1])),
        lambda f, lib: f.linear(lib.randn(2, 3), lib.randn(4, 5)),
        lambda f, lib: f.binary_cross_entropy(lib.rand(3), lib.rand(4)),
        lambda f, lib: f.cross_entropy(lib.randn(3, 4), lib.tensor([0, 1, 2]), label_smoothing=1.5),
    ]
    for case in cases:
        with pytest.raises(Exception) as tm:
            case(TF, torch)
        with pytest.raises(Exception) as mm:
            case(F, minitorch)
        assert mm.type is tm.type, (mm.value, tm.value)


def test_loss_kernels_stay_finite_for_extreme_logits_and_probabilities():
    # Logits of +-1e4 and +-1e30 (exp overflows float32 at ~88) and probabilities of 1e-30.
    logits = minitorch.tensor([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e30, 0.0, -1e30]], requires_grad=True)
    target = minitorch.tensor([1, 0, 2])
    loss = F.cross_entropy(logits, target)
    loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(logits.grad.numpy()).all()
    np.testing.assert_allclose(F.softmax(logits, 1).sum(1).detach().numpy(), 1.0, rtol=1e-6)
    probs = minitorch.tensor([1e-30, 1.0 - 1e-7, 0.0, 1.0], requires_grad=True)
    bce = F.binary_cross_entropy(probs, minitorch.tensor([1.0, 0.0, 1.0, 0.0]))
    bce.backward()
    assert np.isfinite(bce.item()) and np.isfinite(probs.grad.numpy()).all()
    z = minitorch.tensor([1e4, -1e4, 88.0, -88.0], requires_grad=True)
    bcel = F.binary_cross_entropy_with_logits(z, minitorch.tensor([0.0, 1.0, 0.0, 1.0]))
    bcel.backward()
    assert np.isfinite(bcel.item()) and np.isfinite(z.grad.numpy()).all()
