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


def test_cuda_gradscaler_and_autocast_on_a_gpu():
    with pytest.warns(UserWarning, match="In CUDA autocast, but the target dtype is not supported"):
        minitorch.autocast("cuda")
    scaler = GradScaler()  # device="cuda"
    assert scaler.is_enabled()
    p = nn.Parameter(minitorch.ones(3, device="cuda"))
    opt = optim.SGD([p], lr=0.5)
    scaler.scale((p * 2).sum()).backward()
    assert p.grad.cpu().tolist() == [2.0 ** 17] * 3
    scaler.step(opt)
    scaler.update()
    assert p.detach().cpu().tolist() == [0.0] * 3 and scaler._scale.device.type == "cuda"
    opt.zero_grad()
    scaler.scale((p * float("nan")).sum()).backward()
    assert scaler.step(opt) is None
    scaler.update()
    assert scaler.get_scale() == 2.0 ** 15 and p.detach().cpu().tolist() == [0.0] * 3


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
