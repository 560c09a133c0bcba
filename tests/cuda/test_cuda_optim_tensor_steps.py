"""The Tensor-op optimizers (Adagrad, Adamax, NAdam, RAdam, ASGD, Rprop, LBFGS), the pointwise
ops they are built from and the new losses on the CUDA backend, against the CPU backend."""
import numpy as np
import pytest

import minitorch
import minitorch.nn.functional as F
from minitorch import optim
from .conftest import assert_same, cuda, rand, requires_cuda
from .test_cuda_optim import _run

pytestmark = requires_cuda

CASES = {
    "adagrad": lambda ps: optim.Adagrad(ps, lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.1),
    "adamax": lambda ps: optim.Adamax(ps, lr=0.01, weight_decay=0.1),
    "nadam": lambda ps: optim.NAdam(ps, lr=0.01, weight_decay=0.1, decoupled_weight_decay=True),
    "radam": lambda ps: optim.RAdam(ps, lr=0.01, betas=(0.9, 0.6)),
    "asgd": lambda ps: optim.ASGD(ps, lr=0.05, t0=1),
    "rprop": lambda ps: optim.Rprop(ps, lr=0.05, maximize=True),
}


@pytest.mark.parametrize("name", list(CASES))
def test_steps_on_cuda_match_the_cpu(name):
    cpu = _run(CASES[name], "cpu", minitorch.float32, steps=3)
    gpu = _run(CASES[name], "cuda", minitorch.float32, steps=3)
    for p, q in zip(gpu, cpu):
        assert_same(p, q, rtol=1e-5, atol=1e-6)


def test_lbfgs_on_cuda_matches_the_cpu():
    results = []
    for device in ("cpu", "cuda"):
        a, b = rand(6, 3, seed=1), rand(6, seed=2)
        x = minitorch.zeros(3)
        if device == "cuda":
            a, b, x = cuda(a), cuda(b), cuda(x)
        x.requires_grad_(True)
        opt = optim.LBFGS([x], max_iter=4, line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            loss = ((a @ x - b) ** 2).sum()
            loss.backward()
            return loss
        opt.step(closure)
        results.append(x)
    assert_same(results[1], results[0], rtol=1e-4, atol=1e-5)


def test_pointwise_ops_and_losses_on_cuda_match_the_cpu():
    x, y, z = rand(3, 4, seed=1), rand(3, 4, seed=2), rand(3, 4, seed=3)
    t = minitorch.tensor([0, 3, 1])
    calls = [
        lambda a, b, c, i: minitorch.addcdiv(a, b, c.abs() + 1, value=0.5),
        lambda a, b, c, i: a.lerp(b, c.sigmoid()),
        lambda a, b, c, i: F.smooth_l1_loss(a, b, beta=0.5),
        lambda a, b, c, i: F.huber_loss(a, b, reduction="none"),
        lambda a, b, c, i: F.multi_margin_loss(a, i, p=2),
        lambda a, b, c, i: F.cosine_embedding_loss(a, b, (i > 0).float() * 2 - 1),
        lambda a, b, c, i: F.triplet_margin_loss(a, b, c),
        lambda a, b, c, i: F.kl_div(a.log_softmax(1), b.softmax(1), reduction="batchmean"),
    ]
    for k, call in enumerate(calls):
        args_cpu = [v.clone().requires_grad_() for v in (x, y, z)]
        args_gpu = [cuda(v).requires_grad_() for v in (x, y, z)]
        out_cpu, out_gpu = call(*args_cpu, t), call(*args_gpu, cuda(t))
        assert_same(out_gpu, out_cpu)
        out_cpu.sum().backward()
        out_gpu.sum().backward()
        for p, q in zip(args_gpu, args_cpu):
            if q.grad is not None:
                assert_same(p.grad, q.grad)
