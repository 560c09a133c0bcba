"""The backend interface (minitorch/_backends/base.py), checked two ways.

1. The core's contract, on every backend: the CPU table, the CUDA table (in numba's
   simulator) and a table made of the core alone (tests/_core_backend.py).
2. The op suite on the core-alone table: forward and backward of every family (elementwise,
   reductions, softmax, losses, convolution, pooling, batch and layer norm, dropout,
   embedding, recurrent layers, the optimizers' steps, a whole training step) give the CPU
   table's results. Everything but the core comes from the defaults there, so this is what
   proves that a new device works once its core does.
"""
import numpy as np
import pytest

import minitorch
import minitorch.nn.functional as F
from minitorch import nn
from minitorch._backends.base import Backend
from minitorch.tensor import Tensor

from ._core_backend import CORE


def _cuda_table():
    try:
        from minitorch._backends.cuda import _runtime
        if not _runtime.is_available():
            return None
        return minitorch.zeros(1).cuda()._backend
    except Exception:  # pragma: no cover - no numba.cuda at all
        return None


TABLES = {"cpu": minitorch._backends.cpu, "core": CORE, "cuda": _cuda_table()}


@pytest.fixture(params=["cpu", "core", "cuda"])
def be(request):
    table = TABLES[request.param]
    if table is None:
        pytest.skip("no CUDA device or simulator")
    return table


def host(be, a):
    return np.asarray(be.to_numpy(a))


# ----- 1. the core's contract ----------------------------------------------------------------
def test_every_table_is_a_backend():
    assert isinstance(minitorch._backends.cpu, Backend) and isinstance(CORE, Backend)
    with pytest.raises(TypeError, match="abstract"):
        type("Incomplete", (Backend,), {})()


def test_a_registered_backend_is_a_device():
    x = minitorch.zeros(2, 3, device="core")
    assert x._backend is CORE and str(x.device) == "core"
    assert minitorch.ones(2).to("core")._backend is CORE and x.cpu()._backend is minitorch._backends.cpu
    assert x.new_ones(4)._backend is CORE


def test_memory(be):
    f32, i64 = minitorch.float32, minitorch.int64
    assert host(be, be.full((2, 3), 1.5, f32)).tolist() == [[1.5] * 3] * 2
    assert host(be, be.empty((4,), i64)).shape == (4,) and host(be, be.empty((4,), i64)).dtype == np.int64
    a = be.from_numpy(np.arange(6.0, dtype=np.float32).reshape(2, 3))
    assert host(be, be.astype(a, i64)).dtype == np.int64
    dst = be.full((2, 3), 0.0, f32)
    be.copy_into(dst, be.from_numpy(np.array([1.0, 2.0, 3.0], np.float32)))   # broadcast
    assert host(be, dst).tolist() == [[1.0, 2.0, 3.0]] * 2


def test_views_share_memory(be):
    f32 = minitorch.float32
    a = be.from_numpy(np.arange(12.0, dtype=np.float32).reshape(3, 4))
    v = be.getitem(a, (slice(1, 3), slice(None)))
    be.setitem(v, (0, 0), 100.0)
    assert host(be, a)[1, 0] == 100.0                                   # a basic index is a view
    assert host(be, be.permute(a, (1, 0))).shape == (4, 3)
    assert be.view(be.permute(a, (1, 0)), (12,)) is None                # needs a copy: None
    assert host(be, be.view(a, (2, 6))).shape == (2, 6)
    assert host(be, be.expand(be.full((1, 4), 2.0, f32), (3, 4))).tolist() == [[2.0] * 4] * 3
    picked = be.getitem(a, (be.from_numpy(np.array([2, 0])),))          # advanced: a copy
    assert host(be, picked).shape == (2, 4) and host(be, picked)[1, 0] == 0.0


@pytest.mark.parametrize("op, fn", [("exp", np.exp), ("log", np.log), ("sqrt", np.sqrt), ("tanh", np.tanh),
                                    ("neg", np.negative), ("abs", np.abs), ("sin", np.sin)])
def test_unary_by_op_code(be, op, fn):
    x = np.array([0.5, 1.0, 2.5], np.float32)
    np.testing.assert_allclose(host(be, be.unary(op, be.from_numpy(x))), fn(x), rtol=1e-6)


def test_binary_compare_where(be):
    f32, f64, i64 = minitorch.float32, minitorch.float64, minitorch.int64
    a = be.from_numpy(np.array([[1.0], [2.0]], np.float32))
    b = be.from_numpy(np.array([3.0, 4.0, 5.0], np.float32))
    assert host(be, be.binary("add", a, b, f32)).tolist() == [[4, 5, 6], [5, 6, 7]]      # broadcasting
    assert host(be, be.binary("mul", a, 2, f64)).dtype == np.float64                      # computed in dtype
    ints = be.from_numpy(np.array([7, -7], np.int64))
    assert host(be, be.binary("floordiv", ints, 2, i64)).tolist() == [3, -4]
    assert host(be, be.compare("lt", a, 1.5, f32)).tolist() == [[True], [False]]
    cond = be.from_numpy(np.array([True, False, True]))
    assert host(be, be.where(cond, b, 0, f32)).tolist() == [3.0, 0.0, 5.0]


def test_reductions_and_products(be):
    f32 = minitorch.float32
    a = be.from_numpy(np.arange(6.0, dtype=np.float32).reshape(2, 3))
    assert host(be, be.reduce("sum", a, (1,), False, f32)).tolist() == [3.0, 12.0]
    assert host(be, be.reduce("amax", a, (0,), True)).tolist() == [[3.0, 4.0, 5.0]]
    assert host(be, be.reduce("sum", a, None, False, f32)).tolist() == 15.0
    assert host(be, be.arg_reduce("argmax", a, 1, False)).tolist() == [2, 2]
    b = be.from_numpy(np.ones((4, 3, 2), np.float32))
    assert host(be, be.matmul(a, b)).shape == (4, 2, 2)                                     # batch broadcasting


def test_random_draws(be):
    f32, f64 = minitorch.float32, minitorch.float64
    u = host(be, be.random_uniform((1000,), f32, -1.0, 2.0))
    assert u.dtype == np.float32 and -1.0 <= u.min() and u.max() < 2.0
    n = host(be, be.random_normal((4000,), f64, 1.0, 2.0))
    assert n.dtype == np.float64 and abs(n.mean() - 1.0) < 0.2 and abs(n.std() - 2.0) < 0.2


# ----- 2. the op suite on the core alone -------------------------------------------------------
def host_of(t: Tensor) -> np.ndarray:
    return t.detach().cpu().numpy()


def on(backend, t: Tensor) -> Tensor:
    """A copy of CPU tensor t on backend (a leaf, requiring grad when t does)."""
    out = Tensor._wrap(backend.from_numpy(host_of(t).copy()), backend)
    return out.requires_grad_(True) if t.requires_grad else out


def module_on(backend, module):
    """module's parameters and buffers moved onto backend (the tables share host arrays)."""
    for p in list(module.parameters()) + list(module.buffers()):
        p.data = on(backend, p)
    return module


def _run(case, backend):
    minitorch.manual_seed(0)
    inputs = [t if not isinstance(t, Tensor) else (t if backend is None else on(backend, t)) for t in case["inputs"]()]
    out = case["fn"](*inputs)
    outs = out if isinstance(out, tuple) else (out,)
    total = sum((o.float() * (k + 1.5)).sum() for k, o in enumerate(outs) if o.dtype.is_floating_point)
    if getattr(total, "requires_grad", False):
        total.backward()
    grads = [t.grad for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    return outs, grads


def _randn(*shape, grad=True, seed=0):
    t = minitorch.tensor(np.random.default_rng(seed).standard_normal(shape).astype(np.float32))
    return t.requires_grad_(grad)


CASES = {
    "elementwise": dict(inputs=lambda: [_randn(3, 4), _randn(4, seed=1)],
                        fn=lambda a, b: (a * b + a.exp() - b.abs().sqrt()).tanh().sigmoid().relu()),
    "clamp, leaky, gelu, erf": dict(inputs=lambda: [_randn(5, 3)],
                                   fn=lambda a: (a.clamp(-0.5, 0.5), F.leaky_relu(a, 0.1), F.gelu(a),
                                                 F.gelu(a, approximate="tanh"), a.erf(), F.hardtanh(a))),
    "reductions": dict(inputs=lambda: [_randn(3, 4, 5)],
                       fn=lambda a: (a.sum(1), a.mean((0, 2)), a.var(2), a.std(), a.amax(1), a.max(),
                                     a.logsumexp(1), a.prod(0), a.norm(), a.norm(p=1, dim=2))),
    "softmax family": dict(inputs=lambda: [_randn(4, 6)],
                           fn=lambda a: (a.softmax(1), a.log_softmax(0), F.softmax(a, 1))),
    "losses": dict(inputs=lambda: [_randn(6, 5), minitorch.tensor([0, 4, 2, 2, 1, 3]), _randn(6, 5, seed=2)],
                   fn=lambda x, t, y: (F.cross_entropy(x, t), F.nll_loss(x.log_softmax(1), t, reduction="sum"),
                                       F.cross_entropy(x, t, reduction="none", label_smoothing=0.1),
                                       F.mse_loss(x, y), F.binary_cross_entropy_with_logits(x, y.sigmoid()))),
    "indexing": dict(inputs=lambda: [_randn(5, 4), minitorch.tensor([4, 0, 4]), minitorch.tensor([[0, 3]] * 5)],
                     fn=lambda a, i, j: (a[1:4, ::2], a[i], a.gather(1, j), minitorch.cat([a, a * 2], 1),
                                         minitorch.stack([a, a]), a.flip(0), a.repeat(2, 1),
                                         a.masked_fill(a > 0, 0.0), a.scatter_add(1, j, a[:, :2]))),
    "matmul and linear": dict(inputs=lambda: [_randn(2, 3, 4), _randn(4, 5, seed=1), _randn(5, seed=2)],
                              fn=lambda a, w, b: (a @ w, F.linear(a, w.t(), b), a.bmm(
                                  a.transpose(1, 2)))),
    "conv2d": dict(inputs=lambda: [_randn(2, 4, 7, 6), _randn(6, 2, 3, 2, seed=1), _randn(6, seed=2)],
                   fn=lambda x, w, b: (F.conv2d(x, w, b, stride=(2, 1), padding=1, groups=2),
                                       F.conv2d(x[:, :2], w, None, dilation=2))),
    "pooling": dict(inputs=lambda: [_randn(2, 3, 7, 7)],
                    fn=lambda x: (F.max_pool2d(x, 3, 2, 1), F.max_pool2d(x, 2), F.avg_pool2d(x, 3, 2, 1),
                                  F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
                                  F.adaptive_avg_pool2d(x, 1), F.adaptive_max_pool2d(x, (3, 5)),
                                  F.adaptive_max_pool2d(x, (2, 4), return_indices=True)[1])),
    "batch and layer norm": dict(inputs=lambda: [_randn(4, 3, 5), _randn(3, seed=1), _randn(5, seed=2)],
                                 fn=lambda x, w, b: (F.batch_norm(x, None, None, w, w, training=True),
                                                     F.layer_norm(x, (5,), b, b))),
    "embedding": dict(inputs=lambda: [minitorch.tensor([[1, 3], [0, 3]]), _randn(4, 3)],
                      fn=lambda i, w: (F.embedding(i, w), F.embedding(i, w, padding_idx=3))),
}


@pytest.mark.parametrize("name", list(CASES))
def test_op_families_on_the_core_alone_give_the_cpu_tables_results(name):
    case = CASES[name]
    expected, expected_grads = _run(case, None)
    got, got_grads = _run(case, CORE)
    for g, e in zip(got, expected):
        assert g._backend is CORE, f"{name}: a result left the backend"
        np.testing.assert_allclose(host_of(g), host_of(e), rtol=2e-5, atol=2e-5)
    for g, e in zip(got_grads, expected_grads):
        assert g._backend is CORE
        np.testing.assert_allclose(host_of(g), host_of(e), rtol=2e-5, atol=2e-5)


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
def test_recurrent_layers_on_the_core_alone(mode):
    def run(backend):
        minitorch.manual_seed(0)
        rnn = getattr(nn, mode)(3, 4, num_layers=2)
        x = _randn(5, 2, 3)
        if backend is not None:
            module_on(backend, rnn)
            x = on(backend, x)
        out, _ = rnn(x)
        out.sum().backward()
        return host_of(out), host_of(x.grad), [host_of(p.grad) for p in rnn.parameters()]
    (o1, g1, p1), (o2, g2, p2) = run(None), run(CORE)
    np.testing.assert_allclose(o2, o1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(g2, g1, rtol=1e-5, atol=1e-6)
    for a, b in zip(p2, p1):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("make", [
    lambda ps: minitorch.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    lambda ps: minitorch.optim.Adam(ps, lr=0.01, amsgrad=True, weight_decay=0.01),
    lambda ps: minitorch.optim.AdamW(ps, lr=0.01),
    lambda ps: minitorch.optim.Adadelta(ps, lr=1.0, weight_decay=0.01),
    lambda ps: minitorch.optim.RMSprop(ps, lr=0.01, momentum=0.5, centered=True),
], ids=["sgd", "adam", "adamw", "adadelta", "rmsprop"])
def test_training_steps_on_the_core_alone_follow_the_cpu_table(make):
    """A CNN's training steps (conv, pooling, batch norm, dropout in eval, NLL, an optimizer)."""
    def run(backend):
        minitorch.manual_seed(0)
        # (no conv bias before batch norm: its gradient is rounding noise, which Adam and
        # RMSprop would scale up to full steps of either sign)
        model = nn.Sequential(nn.Conv2d(1, 3, 3, bias=False), nn.BatchNorm2d(3), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(27, 4))
        x, y = _randn(8, 1, 8, 8, grad=False), minitorch.tensor([0, 1, 2, 3, 0, 1, 2, 3])
        if backend is not None:
            module_on(backend, model)
            x, y = on(backend, x), on(backend, y)
        opt = make(model.parameters())
        losses = []
        for _ in range(4):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses, [host_of(p) for p in model.parameters()]
    (l1, p1), (l2, p2) = run(None), run(CORE)
    np.testing.assert_allclose(l2, l1, rtol=1e-4)
    for a, b in zip(p2, p1):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_dropout_on_the_core_alone_draws_from_its_own_generator():
    x = on(CORE, _randn(1000, grad=True))
    y = F.dropout(x, 0.3)
    kept = (y != 0).float().mean().item()
    assert y._backend is CORE and 0.6 < kept < 0.8
    y.sum().backward()
    mask = host_of(y != 0)
    np.testing.assert_allclose(host_of(x.grad)[mask], 1 / 0.7, rtol=1e-6)
    assert (host_of(x.grad)[~mask] == 0).all()
