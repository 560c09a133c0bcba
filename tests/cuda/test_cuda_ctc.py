"""ctc_loss on the CUDA backend (the host default of the ctc_loss extras: the arrays go to the
host and back) against the CPU backend. Tiny shapes: in CI the kernels run in numba's CUDA
simulator."""
import pytest

import minitorch
import minitorch.nn.functional as F
from .conftest import assert_same, cuda, rand, requires_cuda

pytestmark = requires_cuda


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_ctc_loss_matches_the_cpu(reduction):
    x = rand(5, 2, 4, requires_grad=True)
    xc = cuda(x)
    targets = minitorch.tensor([[1, 2, 2], [3, 1, 0]])
    y = F.ctc_loss(x.log_softmax(2), targets, [5, 4], [3, 2], reduction=reduction, zero_infinity=True)
    yc = F.ctc_loss(xc.log_softmax(2), targets.cuda(), [5, 4], [3, 2], reduction=reduction, zero_infinity=True)
    y.sum().backward()
    yc.sum().backward()
    assert_same(yc, y)
    assert_same(xc.grad, x.grad)
