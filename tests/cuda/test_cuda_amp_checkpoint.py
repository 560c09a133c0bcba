"""GradScaler, autocast and checkpoint with CUDA tensors (the simulator in CI): the scale
lives on the GPU, and checkpoint restores the GPU's random state for dropout."""
import numpy as np
import pytest

import minitorch
from minitorch import nn, optim
from minitorch.amp import GradScaler
from minitorch.utils.checkpoint import checkpoint

from .conftest import requires_cuda

pytestmark = requires_cuda



@pytest.mark.parametrize("use_reentrant", [False, True])
def test_checkpoint_restores_the_gpu_random_state(use_reentrant):
    minitorch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 5), nn.Dropout(0.5), nn.Linear(5, 2)).cuda()
    x = minitorch.randn(3, 4, device="cuda", requires_grad=True)

    def grads(run):
        net.zero_grad()
        x.grad = None
        minitorch.manual_seed(1)
        out = run(x)
        minitorch.randn(4, device="cuda")  # the GPU stream moves on before backward
        out.sum().backward()
        return [p.grad.cpu().numpy() for p in net.parameters()] + [x.grad.cpu().numpy()]

    plain = grads(net)
    ours = grads(lambda v: checkpoint(net, v, use_reentrant=use_reentrant))
    for a, b in zip(ours, plain):
        assert np.array_equal(a, b)
