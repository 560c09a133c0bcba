"""minitorch.distributions on CUDA tensors, against the same code on the CPU: results stay on
the device, draws are the CPU generator's (as PyTorch's CPU-drawn functions), gradients flow."""
import numpy as np

import minitorch
import minitorch.distributions as md
from .conftest import assert_same, cuda, requires_cuda

pytestmark = requires_cuda

P = minitorch.tensor([[0.1, 0.5, 0.4], [0.3, 0.3, 0.4]])
COV = minitorch.tensor([[2.0, 0.5, 0.1], [0.5, 1.5, 0.2], [0.1, 0.2, 1.0]])


def test_categorical_sample_log_prob_and_entropy_on_cuda():
    minitorch.manual_seed(0)
    expected = md.Categorical(probs=P).sample((3,))
    minitorch.manual_seed(0)
    d = md.Categorical(probs=cuda(P))
    got = d.sample((3,))
    assert_same(got, expected)
    assert_same(d.log_prob(got), md.Categorical(probs=P).log_prob(expected))
    assert_same(d.entropy(), md.Categorical(probs=P).entropy())


def test_multivariate_normal_log_prob_and_its_gradient_on_cuda():
    x = minitorch.tensor([[0.0, 1.0, 2.0]])
    results = []
    for move in (lambda t: t, cuda):
        loc = move(minitorch.tensor([1.0, 0.0, -1.0])).requires_grad_(True)
        lp = md.MultivariateNormal(loc, covariance_matrix=move(COV)).log_prob(move(x))
        lp.sum().backward()
        results.append((lp, loc.grad))
    assert_same(results[1][0], results[0][0], rtol=1e-5)
    assert_same(results[1][1], results[0][1], rtol=1e-5)


def test_normal_kl_and_rsample_on_cuda():
    p, q = md.Normal(minitorch.zeros(2), minitorch.ones(2)), md.Normal(minitorch.ones(2), 2.0)
    pc, qc = md.Normal(cuda(minitorch.zeros(2)), cuda(minitorch.ones(2))), md.Normal(cuda(minitorch.ones(2)), 2.0)
    assert_same(md.kl_divergence(pc, qc), md.kl_divergence(p, q))
    draws = pc.rsample((4,))
    assert draws.device.type == "cuda" and draws.shape == (4, 2) and np.isfinite(draws.cpu().numpy()).all()
