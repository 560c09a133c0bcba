"""The CUDA backend's nn ops (softmax family, NLL / cross-entropy, GELU, leaky ReLU,
dropout, embedding backward) and its device random generator, against the CPU backend."""
import numpy as np
import pytest

import minitorch
import minitorch.nn.functional as F
from minitorch._backends.cuda import _random
from .conftest import assert_same, cuda, rand, requires_cuda

pytestmark = requires_cuda


def _like(out, seed):
    """A random output gradient of out's shape (0-d for a reduced loss)."""
    if out.dim() == 0:
        return minitorch.tensor(float(np.random.default_rng(seed).standard_normal()))
    return rand(*out.shape, seed=seed)


def _dev(t):
    """cuda(t), keeping a 0-d tensor 0-d."""
    return cuda(t) if t.dim() else cuda(t.reshape(1)).reshape(())


def _grad_pair(fn, x, g):
    """fn's value and x's gradient for the output gradient g, on CPU and on CUDA (x.cuda())."""
    xc = cuda(x)
    y, yc = fn(x), fn(xc)
    y.backward(g)
    yc.backward(cuda(g))
    return (yc, y), (xc.grad, x.grad)


# ----- softmax family ------------------------------------------------------------------
@pytest.mark.parametrize("name", ["log_softmax", "softmax"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_family_forward_backward(name, dim):
    fn = getattr(F, name)
    x = rand(3, 5, seed=1, requires_grad=True)
    g = rand(3, 5, seed=2)
    (yc, y), (gc, gx) = _grad_pair(lambda t: fn(t, dim), x, g)
    assert_same(yc, y)
    assert_same(gc, gx)


@pytest.mark.parametrize("name", ["log_softmax", "softmax"])
def test_softmax_family_3d_strided_float64(name):
    fn = getattr(F, name)
    base = rand(4, 3, 5, dtype=minitorch.float64, seed=3)
    for dim in (0, 2):
        # a transposed, sliced input: every dim strided
        assert_same(fn(cuda(base).transpose(0, 2)[::2], dim), fn(base.transpose(0, 2)[::2], dim), rtol=1e-12)
    x = rand(2, 3, 4, dtype=minitorch.float64, seed=4, requires_grad=True)
    g = rand(4, 3, 2, dtype=minitorch.float64, seed=5).permute(2, 1, 0)   # non-contiguous gradient
    (yc, y), (gc, gx) = _grad_pair(lambda t: fn(t, 1), x, g)
    assert_same(yc, y, rtol=1e-12)
    assert_same(gc, gx, rtol=1e-12)


def test_softmax_long_rows_and_extremes():
    # rows longer than a block (block-stride loop), and huge / infinite logits
    x = rand(2, 150, seed=6) * 30
    assert_same(F.log_softmax(cuda(x), 1), F.log_softmax(x, 1))
    assert_same(F.softmax(cuda(x), 1), F.softmax(x, 1))
    big = minitorch.tensor([[1e4, -1e4, 0.0, 1e4], [float("-inf")] * 4, [float("-inf"), 1.0, 2.0, 3.0]])
    for fn in (F.log_softmax, F.softmax):
        got, want = fn(cuda(big), 1), fn(big, 1)
        assert_same(got, want)
        assert not np.isnan(got.cpu().numpy()[[0, 2]]).any()


# ----- NLL / cross-entropy -------------------------------------------------------------
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_nll_loss_weight_ignore_index(reduction):
    logp = F.log_softmax(rand(5, 4, seed=7), 1).detach().requires_grad_(True)
    target = minitorch.tensor([1, 0, 3, 2, 3])
    weight = minitorch.tensor([0.5, 2.0, 1.0, 1.5])
    for w, ignore in ((None, -100), (weight, -100), (weight, 3), (None, 0)):
        lc = cuda(logp)
        out = F.nll_loss(logp, target, weight=w, ignore_index=ignore, reduction=reduction)
        outc = F.nll_loss(lc, target.cuda(), weight=None if w is None else w.cuda(), ignore_index=ignore,
                          reduction=reduction)
        assert_same(outc, out)
        g = _like(out, 8)
        logp.grad = None
        out.backward(g)
        outc.backward(_dev(g))
        assert_same(lc.grad, logp.grad)


def test_nll_loss_all_ignored_and_bad_target():
    logp = F.log_softmax(rand(3, 4, seed=9), 1)
    target = minitorch.tensor([1, 1, 1])
    assert_same(F.nll_loss(cuda(logp), target.cuda(), ignore_index=1),
                F.nll_loss(logp, target, ignore_index=1))          # mean over nothing: NaN
    loss = F.nll_loss(cuda(logp), minitorch.tensor([0, 7, 1]).cuda())  # a device-side assert:
    with pytest.raises(IndexError, match="Target 7 is out of bounds"):  # raised at the next sync
        loss.item()


_WEIGHT = [1.0, 0.5, 2.0, 1.0, 0.25]


@pytest.mark.parametrize("reduction, kwargs", [
    ("none", {}), ("none", {"weight": _WEIGHT, "label_smoothing": 0.1}),
    ("sum", {"ignore_index": 2}), ("sum", {"label_smoothing": 0.1}),
    ("mean", {"weight": _WEIGHT}), ("mean", {"weight": _WEIGHT, "ignore_index": 0, "label_smoothing": 0.2}),
])
def test_cross_entropy(reduction, kwargs):
    x = rand(4, 5, seed=10, requires_grad=True)
    target = minitorch.tensor([4, 0, 2, 2])
    kw = {k: minitorch.tensor(v) if k == "weight" else v for k, v in kwargs.items()}
    kc = {k: (v.cuda() if isinstance(v, minitorch.Tensor) else v) for k, v in kw.items()}
    xc = cuda(x)
    out = F.cross_entropy(x, target, reduction=reduction, **kw)
    outc = F.cross_entropy(xc, target.cuda(), reduction=reduction, **kc)
    assert_same(outc, out)
    g = _like(out, 11)
    out.backward(g)
    outc.backward(_dev(g))
    assert_same(xc.grad, x.grad)


def test_cross_entropy_huge_logits_and_spatial():
    x = minitorch.tensor([[1e4, 0.0, -1e4], [-1e4, 1e4, 1e4]], requires_grad=True)
    target = minitorch.tensor([2, 0])
    xc = cuda(x)
    out, outc = F.cross_entropy(x, target), F.cross_entropy(xc, target.cuda())
    assert_same(outc, out)
    assert np.isfinite(outc.item())
    out.backward()
    outc.backward()
    assert_same(xc.grad, x.grad)
    assert np.isfinite(xc.grad.cpu().numpy()).all()
    # (N, C, d) input: classes moved last, one row per position
    x3 = rand(2, 3, 2, seed=12, requires_grad=True)
    t3 = minitorch.tensor([[0, 2], [1, 1]])
    g = rand(2, 2, seed=13)
    (yc, y), (gc, gx) = _grad_pair(lambda t: F.cross_entropy(t, t3.to(t.device), reduction="none"), x3, g)
    assert_same(yc, y)
    assert_same(gc, gx)


# ----- elementwise ---------------------------------------------------------------------
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu(approximate):
    x = rand(3, 4, seed=14, requires_grad=True)
    g = rand(4, 3, seed=15).t()                            # non-contiguous gradient
    (yc, y), (gc, gx) = _grad_pair(lambda t: F.gelu(t, approximate=approximate), x, g)
    assert_same(yc, y)
    assert_same(gc, gx)
    x64 = rand(4, 3, dtype=minitorch.float64, seed=16)
    assert_same(F.gelu(cuda(x64).t()[:, ::2], approximate=approximate),
                F.gelu(x64.t()[:, ::2], approximate=approximate), rtol=1e-12)


def test_leaky_relu():
    x = rand(3, 4, seed=17, requires_grad=True)
    g = rand(3, 4, seed=18)
    for slope in (0.01, 0.2):
        x.grad = None
        (yc, y), (gc, gx) = _grad_pair(lambda t: F.leaky_relu(t, slope), x, g)
        assert_same(yc, y, rtol=0, atol=0)
        assert_same(gc, gx, rtol=0, atol=0)
    assert_same(F.leaky_relu(cuda(x).detach().t(), 0.1), F.leaky_relu(x.detach().t(), 0.1), rtol=0, atol=0)


# ----- embedding -----------------------------------------------------------------------
def test_embedding_backward_repeated_and_padding():
    be = minitorch.tensor([0.0]).cuda()._backend
    idx = minitorch.tensor([[1, 3, 1], [0, 3, 3]])
    grad = rand(2, 3, 4, seed=19)
    cpu_be = idx._backend
    for pad in (None, 3, 0):
        want = cpu_be.embedding_backward(grad._data, idx._data, 5, pad)
        got = be.embedding_backward(cuda(grad)._data, cuda(idx)._data, 5, pad)
        np.testing.assert_allclose(be.to_numpy(got), want, rtol=1e-6)
    # strided gradient and indices
    gt = cuda(rand(4, 3, 2, seed=20)).permute(2, 1, 0)
    it = cuda(minitorch.tensor([[2, 2], [1, 0], [2, 4]])).t()
    want = cpu_be.embedding_backward(gt.cpu()._data, it.cpu()._data, 5, None)
    np.testing.assert_allclose(be.to_numpy(be.embedding_backward(gt._data, it._data, 5, None)), want, rtol=1e-6)


def test_embedding_module_backward():
    minitorch.manual_seed(0)
    emb = minitorch.nn.Embedding(5, 3, padding_idx=2)
    embc = minitorch.nn.Embedding(5, 3, padding_idx=2)
    embc.weight = minitorch.nn.Parameter(emb.weight.detach().cuda())
    idx = minitorch.tensor([[1, 2, 1], [4, 1, 2]])
    g = rand(2, 3, 3, seed=21)
    out, outc = emb(idx), embc(idx.cuda())
    assert_same(outc, out)
    out.backward(g)
    outc.backward(_dev(g))
    assert_same(embc.weight.grad, emb.weight.grad)


# ----- dropout and the device generator ------------------------------------------------
def _be():
    return minitorch.tensor([0.0]).cuda()._backend


def test_random_uniform_normal_reproducible():
    be = _be()
    _random.manual_seed(123)
    a = be.to_numpy(be.random_uniform((40, 25), minitorch.float64, 0.0, 1.0))
    b = be.to_numpy(_random.uniform((7,), np.float32, -2.0, 3.0))
    c = be.to_numpy(_random.normal((1000,), np.float64, 1.0, 2.0))
    _random.manual_seed(123)
    np.testing.assert_array_equal(be.to_numpy(be.random_uniform((40, 25), minitorch.float64, 0.0, 1.0)), a)
    np.testing.assert_array_equal(be.to_numpy(_random.uniform((7,), np.float32, -2.0, 3.0)), b)
    np.testing.assert_array_equal(be.to_numpy(_random.normal((1000,), np.float64, 1.0, 2.0)), c)
    assert a.dtype == np.float64 and b.dtype == np.float32 and a.shape == (40, 25)
    assert 0.0 <= a.min() and a.max() < 1.0 and abs(a.mean() - 0.5) < 0.05
    assert len(np.unique(a)) == a.size                       # no two threads share a stream
    assert -2.0 <= b.min() and b.max() < 3.0
    assert abs(c.mean() - 1.0) < 0.2 and abs(c.std() - 2.0) < 0.2
    assert not np.array_equal(be.to_numpy(be.random_uniform((40, 25), minitorch.float64, 0.0, 1.0)), a)  # the stream moves on
    _random.manual_seed(124)
    assert not np.array_equal(be.to_numpy(be.random_uniform((40, 25), minitorch.float64, 0.0, 1.0)), a)


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_dropout_mask_scale_backward(p):
    be = _be()
    x = (rand(25, 40, seed=22).abs() + 0.5).requires_grad_(True)   # no zeros: out == 0 iff dropped
    xc = cuda(x)
    _random.manual_seed(7)
    uniform = be.random_uniform(xc.shape, minitorch.float64, 0.0, 1.0)
    scale = float(np.float32(1) / np.float32(1 - p))
    out, mask = be.dropout(xc._data, uniform, 1 - p, scale)
    o, mk, u = be.to_numpy(out), be.to_numpy(mask), be.to_numpy(uniform)
    assert mk.dtype == np.bool_ and mk.shape == (25, 40)
    np.testing.assert_array_equal(mk, u < 1 - p)
    ratio = o / x.detach().numpy()
    assert np.all((ratio == 0) | np.isclose(ratio, scale, rtol=1e-6))   # each element: 0 or x * scale
    assert abs(mk.mean() - (1 - p)) < 0.06                               # 1000 elements kept ~ 1 - p
    # the CPU kernel on the same noise gives the same values; backward reuses the mask
    cpu_out, _ = x._backend.dropout(x.detach()._data, u, 1 - p, scale)
    np.testing.assert_array_equal(o, cpu_out)
    g = rand(40, 25, seed=23).t()
    back = be.to_numpy(be.masked_scale(cuda(g)._data, mask, scale))
    np.testing.assert_allclose(back, g.numpy() * mk * np.float32(scale), rtol=1e-6)
    # the public op with device noise: mask from the same draw in forward and backward
    _random.manual_seed(7)
    y = F.dropout(xc, p)
    y.backward(cuda(g))
    kept = y.detach().cpu().numpy() != 0
    assert abs(kept.mean() - (1 - p)) < 0.06
    np.testing.assert_allclose(xc.grad.cpu().numpy(), g.numpy() * kept * np.float32(scale), rtol=1e-6)


def test_dropout_reproducible_and_special_values():
    be = _be()
    x = cuda(minitorch.tensor([float("nan"), -0.0, 1.0, -2.0] * 8))
    _random.manual_seed(3)
    u = be.random_uniform(x.shape, minitorch.float64, 0.0, 1.0)
    out1, m1 = be.dropout(x._data, u, 0.5, 2.0)
    _random.manual_seed(3)
    out2, m2 = be.dropout(x._data, be.random_uniform(x.shape, minitorch.float64, 0.0, 1.0), 0.5, 2.0)
    np.testing.assert_array_equal(be.to_numpy(m1), be.to_numpy(m2))
    np.testing.assert_array_equal(be.to_numpy(out1), be.to_numpy(out2))
    cpu_out, _ = x.cpu()._backend.dropout(x.cpu()._data, be.to_numpy(u), 0.5, np.float32(2.0))
    np.testing.assert_array_equal(be.to_numpy(out1), cpu_out)            # NaN stays NaN, -0.0 * 0
