"""The parallel twins give their serial kernels' bits, through the op table.

Each case runs a layer's forward and backward twice: with every kernel's minimum work per
thread at 1 (each twin runs wherever two threads exist) and at a size no input reaches
(every kernel serial). The twins must have been called in the first run and not in the
second, and every output and gradient must be identical to the bit. The values are also
checked against torch (where installed) so that both paths are right, not only equal."""
import numba
import numpy as np
import pytest

import minitorch
import minitorch.nn.functional as F
from minitorch import _threads
from minitorch._backends.cpu import conv_kernels, kernels, nn_kernels, parallel

from ._compat import torch

pytestmark = pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs two numba threads")

_NEVER = 1 << 60
_ALL = {name: 1 for name in parallel.DEFAULT_MIN_WORK_PER_THREAD}
_NONE = {name: _NEVER for name in parallel.DEFAULT_MIN_WORK_PER_THREAD}
_MODULES = (conv_kernels, kernels, nn_kernels)


@pytest.fixture
def spy(monkeypatch):
    """Records which *_parallel kernels run (by name)."""
    calls = []
    for module in _MODULES:
        for name in dir(module):
            fn = getattr(module, name)
            if name.endswith("_parallel") and callable(fn):
                def wrapper(*args, _fn=fn, _name=name):
                    calls.append(_name)
                    return _fn(*args)
                monkeypatch.setattr(module, name, wrapper)
    before = _threads._STATE["threads"]
    minitorch.set_num_threads(2)
    yield calls
    _threads._STATE["threads"] = before
    numba.set_num_threads(min(_threads.get_num_threads(), numba.config.NUMBA_NUM_THREADS))


def _run(fn, inputs, spy, values):
    """(outputs and input gradients as NumPy arrays, the twins called) of fn(*inputs) under values."""
    del spy[:]
    leaves = [minitorch.tensor(a, requires_grad=a.dtype.kind == "f") for a in inputs]
    with parallel.min_work(**values):
        outs = fn(*leaves)
        outs = outs if isinstance(outs, tuple) else (outs,)
        total = sum((o.double() * (k + 1.5)).sin().sum() for k, o in enumerate(outs) if o.dtype.is_floating_point)
        total.backward()
    arrays = [o.detach().numpy().copy() for o in outs] + [t.grad.numpy().copy() for t in leaves if t.grad is not None]
    return arrays, sorted(set(spy))


def _same_bits(a, b):
    assert a.dtype == b.dtype and a.shape == b.shape
    assert a.tobytes() == b.tobytes()


def _check(fn, inputs, spy, twins, torch_fn=None):
    par, called = _run(fn, inputs, spy, _ALL)
    assert set(twins) <= set(called), f"expected twins {twins}, ran {called}"
    ser, called_serial = _run(fn, inputs, spy, _NONE)
    assert called_serial == []
    for p, s in zip(par, ser):
        _same_bits(p, s)
    if torch is not None and torch_fn is not None:
        leaves = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in inputs]
        outs = torch_fn(*leaves)
        outs = outs if isinstance(outs, tuple) else (outs,)
        total = sum((o.double() * (k + 1.5)).sin().sum() for k, o in enumerate(outs) if o.dtype.is_floating_point)
        total.backward()
        expected = [o.detach().numpy() for o in outs] + [t.grad.numpy() for t in leaves if t.grad is not None]
        for p, e in zip(par, expected):
            np.testing.assert_allclose(p, e, rtol=2e-4, atol=2e-5)


_RNG = np.random.default_rng(0)


def _x(*shape, dtype=np.float32):
    a = _RNG.standard_normal(shape).astype(dtype)
    a.reshape(-1)[:3] = [0.0, -0.0, 1.0]  # signed zeros for the ReLUs
    return a


@pytest.mark.parametrize("channels_in", [3, 16])  # 3*3*3 = 27: per-image layout, 16*9 = 144: batch-wide
def test_conv2d_twins_equal_serial(spy, channels_in):
    x, w, b = _x(5, channels_in, 9, 8), _x(4, channels_in, 3, 3) * 0.2, _x(4)
    twins = (["im2col_batch_parallel", "col2im_batch_parallel", "batch_major_add_bias_parallel"]
             if channels_in == 16 else ["im2col_parallel", "col2im_parallel"])
    _check(lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1), (x, w, b), spy, twins,
           lambda x, w, b: torch.nn.functional.conv2d(x, w, b, stride=(2, 1), padding=1))


def test_max_pool_twins_equal_serial(spy):
    x = _x(3, 4, 10, 9)
    x[0, 0, :2, :2] = 1.0  # a tie: the first maximum wins on both paths
    _check(lambda x: F.max_pool2d(x, 2), (x,), spy, ["max_pool2d_2x2_parallel", "max_pool2d_backward_parallel"],
           lambda x: torch.nn.functional.max_pool2d(x, 2))
    _check(lambda x: F.max_pool2d(x, 3, stride=2, padding=1, dilation=1), (x,), spy,
           ["max_pool2d_parallel", "max_pool2d_backward_parallel"],
           lambda x: torch.nn.functional.max_pool2d(x, 3, stride=2, padding=1))


def test_adaptive_max_pool_twins_equal_serial(spy):
    x = _x(3, 4, 10, 9)
    x[0, 0, :2, :2] = 1.0  # a tie: the first maximum wins on both paths
    _check(lambda x: F.adaptive_max_pool2d(x, (4, 5)), (x,), spy,
           ["adaptive_max_pool2d_parallel", "max_pool2d_backward_parallel"],
           lambda x: torch.nn.functional.adaptive_max_pool2d(x, (4, 5)))
    _check(lambda x: F.adaptive_max_pool3d(x, (3, 4, 5)), (x,), spy,
           ["adaptive_max_pool3d_parallel", "max_pool2d_backward_parallel"],
           lambda x: torch.nn.functional.adaptive_max_pool3d(x, (3, 4, 5)))


def test_avg_pool_twins_equal_serial(spy):
    x = _x(3, 4, 10, 9)
    _check(lambda x: F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False), (x,), spy,
           ["avg_pool2d_parallel", "avg_pool2d_backward_parallel"],
           lambda x: torch.nn.functional.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False))


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_twins_equal_serial(spy, training):
    x, w, b = _x(6, 5, 7, 3), _x(5), _x(5)
    mean, var = np.zeros(5, np.float32), np.ones(5, np.float32)

    def run(lib):
        return lambda x, w, b: lib.nn.functional.batch_norm(x, lib.tensor(mean), lib.tensor(var), w, b,
                                                            training=training)
    twins = ["batch_norm_apply_parallel", "batch_norm_backward_parallel"] + (
        ["batch_norm_stats_parallel"] if training else [])
    _check(run(minitorch), (x, w, b), spy, twins, run(torch) if torch is not None else None)


def test_elementwise_twins_equal_serial(spy):
    x = _x(40, 33)
    x.reshape(-1)[5] = np.nan
    _check(lambda x: x.relu(), (x,), spy, ["relu_parallel", "relu_backward_parallel"], lambda x: x.relu())
    _check(lambda x: F.leaky_relu(x, 0.1), (x,), spy, ["leaky_relu_parallel", "leaky_relu_backward_parallel"],
           lambda x: torch.nn.functional.leaky_relu(x, 0.1))
    for approximate in ("none", "tanh"):
        _check(lambda x: F.gelu(x, approximate=approximate), (x.astype(np.float64),), spy,
               ["gelu_parallel", "gelu_backward_parallel"],
               lambda x: torch.nn.functional.gelu(x, approximate=approximate))


def test_dropout_twins_equal_serial(spy):
    x = _x(40, 33)

    def dropped(x):
        minitorch.manual_seed(7)
        return F.dropout(x, 0.3, training=True)
    _check(dropped, (x,), spy, ["dropout_parallel", "masked_scale_parallel"])
    minitorch.manual_seed(7)
    out = F.dropout(minitorch.tensor(x), 0.3, training=True).numpy()
    kept = out != 0
    np.testing.assert_allclose(out[kept], x[kept] / np.float32(0.7), rtol=1e-6)


def test_a_twin_runs_on_as_many_threads_as_its_work_pays_for(spy):
    pool = numba.config.NUMBA_NUM_THREADS
    minitorch.set_num_threads(pool)
    x = minitorch.tensor(_x(64, 64))
    with parallel.min_work(relu=64 * 64 // 2):
        x.relu()
        assert numba.get_num_threads() == 2  # two threads' worth of work, whatever the pool
    assert "relu_parallel" in spy
