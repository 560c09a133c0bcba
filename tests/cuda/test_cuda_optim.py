"""The CUDA backend's optimizer steps (SGD, Adam/AdamW, Adadelta, RMSprop) against the CPU
backend: the same tiny model, the same initial weights, a few steps, the same parameters."""
import numpy as np
import pytest

import minitorch
from minitorch import optim
from minitorch.nn import Parameter
from .conftest import assert_same, cuda, rand, requires_cuda

pytestmark = requires_cuda


def _model(device, dtype):
    """Three parameters: contiguous, non-contiguous (a transposed view), broadcast in use."""
    w1 = rand(3, 4, dtype=dtype, seed=1)
    w2 = rand(4, 3, dtype=dtype, seed=2)
    b = rand(4, dtype=dtype, seed=3)
    if device == "cuda":
        w1, w2, b = cuda(w1), cuda(w2), cuda(b)
    return [Parameter(w1), Parameter(w2.t()), Parameter(b)]


def _loss_grads(params, step, dtype):
    """Backward of tanh(w1 * x + b) * w2 for an output gradient that changes each step."""
    w1, w2, b = params
    x = rand(3, 4, dtype=dtype, seed=10 + step)
    g = rand(3, 4, dtype=dtype, seed=20 + step)
    if w1.is_cuda:
        x, g = cuda(x), cuda(g)
    out = (w1 * x + b).tanh() * w2
    out.backward(g)


def _run(make_opt, device, dtype, steps):
    params = _model(device, dtype)
    opt = make_opt(params)
    for step in range(steps):
        opt.zero_grad()
        _loss_grads(params, step, dtype)
        opt.step()
    return params


CASES = {
    "sgd": lambda ps: optim.SGD(ps, lr=0.1),
    "sgd_momentum_wd": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01),
    "sgd_nesterov_maximize": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1,
                                                  maximize=True),
    "adam": lambda ps: optim.Adam(ps, lr=0.01),
    "adam_amsgrad_wd": lambda ps: optim.Adam(ps, lr=0.01, betas=(0.8, 0.99), weight_decay=0.1, amsgrad=True),
    "adamw": lambda ps: optim.AdamW(ps, lr=0.01, weight_decay=0.1),
    "adamw_amsgrad_maximize": lambda ps: optim.AdamW(ps, lr=0.02, amsgrad=True, maximize=True),
    "adadelta": lambda ps: optim.Adadelta(ps, lr=1.0, rho=0.9, weight_decay=0.01),
    "rmsprop": lambda ps: optim.RMSprop(ps, lr=0.01),
    "rmsprop_centered_momentum": lambda ps: optim.RMSprop(ps, lr=0.01, alpha=0.9, momentum=0.5, centered=True,
                                                           weight_decay=0.01),
    "rmsprop_momentum_maximize": lambda ps: optim.RMSprop(ps, lr=0.01, momentum=0.9, maximize=True),
}


@pytest.mark.parametrize("case", list(CASES))
def test_optimizer_steps_match_cpu(case):
    cpu = _run(CASES[case], "cpu", minitorch.float32, 4)
    gpu = _run(CASES[case], "cuda", minitorch.float32, 4)
    for pc, pg in zip(cpu, gpu):
        assert_same(pg, pc, rtol=1e-6, atol=1e-7)
    assert not gpu[1].is_contiguous()       # the transposed parameter was updated in place


@pytest.mark.parametrize("case", ["sgd_momentum_wd", "adam_amsgrad_wd", "adadelta", "rmsprop_centered_momentum"])
def test_optimizer_steps_float64(case):
    cpu = _run(CASES[case], "cpu", minitorch.float64, 3)
    gpu = _run(CASES[case], "cuda", minitorch.float64, 3)
    for pc, pg in zip(cpu, gpu):
        assert_same(pg, pc, rtol=1e-13, atol=1e-15)


def _pair(shape_base, seed, transpose=False, positive=False):
    """The same float32 values as a CPU NumPy array and a CUDA array (optionally transposed views)."""
    host = np.random.default_rng(seed).standard_normal(shape_base).astype(np.float32)
    if positive:
        host = np.abs(host)
    be = minitorch.tensor([0.0]).cuda()._backend
    dev = be.from_numpy(host)
    if transpose:
        return host.T, be.permute(dev, (1, 0)), be
    return host, dev, be


@pytest.mark.parametrize("method", ["sgd_step", "adam_step", "adadelta_step", "rmsprop_step"])
def test_step_ops_strided_param_and_broadcast_grad(method):
    """The op-table calls directly: a transposed parameter, a broadcast (stride-0) gradient
    and a strided state, updated in place as on the CPU."""
    p_h, p_d, be = _pair((4, 3), 1, transpose=True)                # (3, 4) view, strides (1, 3)
    g_row = np.random.default_rng(2).standard_normal(4).astype(np.float32)
    g_h = np.broadcast_to(g_row, (3, 4))
    g_d = be.expand(be.from_numpy(g_row), (3, 4))
    # strided, nonzero states (positive: square averages are >= 0)
    states = [_pair((4, 3), 3 + k, transpose=True, positive=True) for k in range(3)]
    s_h = [s[0] for s in states]
    s_d = [s[1] for s in states]
    cpu = minitorch.tensor([0.0])._backend
    if method == "sgd_step":
        kw = dict(lr=0.1, momentum=0.9, dampening=0.0, weight_decay=0.01, nesterov=True, maximize=False,
                  first_step=False)
        args_h, args_d = (s_h[0],), (s_d[0],)
    elif method == "adam_step":
        kw = dict(step=3, lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.1, amsgrad=True,
                  maximize=False, decoupled_weight_decay=False)
        args_h, args_d = tuple(s_h), tuple(s_d)
    elif method == "adadelta_step":
        kw = dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=True)
        args_h, args_d = tuple(s_h[:2]), tuple(s_d[:2])
    else:
        kw = dict(lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.5, centered=False, maximize=False)
        args_h, args_d = (s_h[0], None, s_h[1]), (s_d[0], None, s_d[1])
    for _ in range(2):
        getattr(cpu, method)(p_h, g_h, *args_h, **kw)
        getattr(be, method)(p_d, g_d, *args_d, **kw)
    np.testing.assert_allclose(be.to_numpy(p_d), p_h, rtol=1e-6, atol=1e-7)
    for h, d in zip(s_h, s_d):
        np.testing.assert_allclose(be.to_numpy(d), h, rtol=1e-6, atol=1e-7)
