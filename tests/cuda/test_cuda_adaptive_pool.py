"""Adaptive pooling and channel-wise dropout on the CUDA backend, against the CPU backend
(they are composed from ops both backends have: the index tensors must follow the input
to its device)."""
import pytest

import minitorch.nn.functional as F
from .conftest import assert_same, cuda, rand, requires_cuda

pytestmark = requires_cuda


@pytest.mark.parametrize("out", [(3, 2), (1, 1), (5, 7), (2, 3), (7, 4)])
def test_adaptive_pools_and_their_gradients_match_the_cpu(out):
    x = rand(1, 2, 5, 7, requires_grad=True)
    g = rand(1, 2, *out, seed=1)
    xc = cuda(x)
    y, yc = F.adaptive_avg_pool2d(x, out), F.adaptive_avg_pool2d(xc, out)
    y.backward(g)
    yc.backward(cuda(g))
    assert_same(yc, y)
    assert_same(xc.grad, x.grad)
    x.grad = xc.grad = None
    (m, i), (mc, ic) = F.adaptive_max_pool2d(x, out, True), F.adaptive_max_pool2d(xc, out, True)
    m.backward(g)
    mc.backward(cuda(g))
    assert_same(mc, m)
    assert_same(ic, i)
    assert_same(xc.grad, x.grad)


def test_channel_dropout_stays_on_the_device_and_drops_whole_channels():
    out = F.dropout2d(cuda(rand(3, 4, 2, 2)).abs() + 1, 0.5).cpu().numpy()
    per_channel = out.reshape(12, 4)
    assert ((per_channel == 0).all(1) | (per_channel > 0).all(1)).all()
