"""Parametrizations, hook-based normalisations and pruning on CUDA tensors give the CPU's
values and gradients (the random draws made on the CPU, as torch makes them)."""
import warnings

import numpy as np

import minitorch
from minitorch.nn.utils import prune
from tests.cuda.conftest import requires_cuda


def _run(device):
    nn = minitorch.nn
    minitorch.manual_seed(0)
    wn = nn.Linear(4, 3).to(device)
    nn.utils.parametrizations.weight_norm(wn)
    sn = nn.Linear(4, 3)
    nn.utils.parametrizations.spectral_norm(sn)  # u, v drawn on the CPU, then moved
    sn.to(device)
    pruned = nn.Linear(4, 3).to(device)
    prune.l1_unstructured(pruned, "weight", amount=4)
    prune.random_structured(pruned, "weight", amount=1, dim=0)
    prune.ln_structured(pruned, "weight", amount=1, n=2, dim=1)
    minitorch.manual_seed(5)
    old = nn.Linear(4, 3).to(device)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        nn.utils.weight_norm(old, dim=None)
    x = minitorch.ones(2, 4).to(device)
    y = wn(x) + sn(x) + pruned(x) + old(x)
    y.sum().backward()
    return [t.detach().cpu().numpy() for t in (y, wn.parametrizations.weight.original1.grad,
                                                sn.parametrizations.weight.original.grad, pruned.weight_orig.grad,
                                                pruned.weight_mask, old.weight_g.grad)]


@requires_cuda
def test_parametrizations_and_pruning_on_cuda_match_cpu():
    for got, expected in zip(_run("cuda"), _run("cpu")):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
