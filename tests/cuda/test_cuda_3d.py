"""The 3-D convolutions and poolings on the CUDA backend, against the CPU backend (they are
composed from ops both backends have: the index and divisor tensors must follow the input to
its device)."""
import pytest

import minitorch.nn.functional as F
from .conftest import assert_same, cuda, rand, requires_cuda

pytestmark = requires_cuda


def test_conv3d_and_conv_transpose3d_and_their_gradients_match_the_cpu():
    x, w, b = rand(1, 2, 3, 3, 4, requires_grad=True), rand(2, 1, 2, 2, 2, seed=1, requires_grad=True), \
        rand(2, seed=2, requires_grad=True)
    xc, wc, bc = (cuda(t) for t in (x, w, b))
    for fn in (lambda x, w, b: F.conv3d(x, w, b, stride=(1, 2, 1), padding=1, groups=2),
               lambda x, w, b: F.conv_transpose3d(x, w, b, stride=2, padding=(0, 1, 0), groups=2)):
        y, yc = fn(x, w, b), fn(xc, wc, bc)
        g = rand(*y.shape, seed=3)
        y.backward(g)
        yc.backward(cuda(g))
        assert_same(yc, y)
        for t, tc in ((x, xc), (w, wc), (b, bc)):
            assert_same(tc.grad, t.grad)
            t.grad = tc.grad = None


@pytest.mark.parametrize("pool", [
    lambda x: F.max_pool3d(x, 2, 1, 1, (1, 2, 1), return_indices=True),
    lambda x: F.avg_pool3d(x, 2, (1, 2, 1), 1, True, False),
    lambda x: F.adaptive_avg_pool3d(x, (2, 3, 2)),
    lambda x: F.adaptive_max_pool3d(x, (2, 3, 2), True),
])
def test_3d_pools_and_their_gradients_match_the_cpu(pool):
    x = rand(1, 2, 3, 4, 3, requires_grad=True)
    xc = cuda(x)
    y, yc = pool(x), pool(xc)
    if isinstance(y, tuple):
        assert_same(yc[1], y[1])
        y, yc = y[0], yc[0]
    g = rand(*y.shape, seed=1)
    y.backward(g)
    yc.backward(cuda(g))
    assert_same(yc, y)
    assert_same(xc.grad, x.grad)
