"""The stacking, product, scan, counting, fold and shuffle utilities on CUDA tensors against the
same minitorch code on the CPU: values, devices and gradients."""
import pytest

import minitorch
from minitorch import nn

from .conftest import assert_same, cuda, rand, requires_cuda

pytestmark = requires_cuda

F = nn.functional

# x: (3, 4), s: (2, 4); dev moves a helper tensor to the device under test
CASES = {
    "hstack": lambda x, s, dev: minitorch.hstack([x, x[:, :1]]),
    "vstack": lambda x, s, dev: minitorch.vstack([x, s]),
    "tensor_split": lambda x, s, dev: minitorch.tensor_split(x, 3, dim=1)[0],
    "kron": lambda x, s, dev: minitorch.kron(x[:2, :2], s[:, :3]),
    "cross": lambda x, s, dev: minitorch.cross(x[:, :3], s[:1, :3].expand(3, 3), dim=1),
    "cdist": lambda x, s, dev: minitorch.cdist(x, s),
    "cdist_p1": lambda x, s, dev: minitorch.cdist(x, s, p=1),
    "addmm": lambda x, s, dev: minitorch.addmm(x[:, :2], x, s.t(), beta=0.5),
    "addbmm": lambda x, s, dev: minitorch.addbmm(s[:, :1], s.unsqueeze(0), x.t().unsqueeze(0)),
    "tensordot": lambda x, s, dev: minitorch.tensordot(x, s, ([1], [1])),
    "block_diag": lambda x, s, dev: minitorch.block_diag(x, s),
    "cummax": lambda x, s, dev: x.cummax(1).values,
    "logcumsumexp": lambda x, s, dev: x.logcumsumexp(0),
    "std_mean": lambda x, s, dev: minitorch.std_mean(x, 1)[0],
    "unfold": lambda x, s, dev: F.unfold(x.reshape(1, 1, 3, 4), 2, padding=1),
    "fold": lambda x, s, dev: F.fold(x.reshape(1, 4, 3), (2, 6), 2, stride=(1, 2)),
    "pixel_shuffle": lambda x, s, dev: F.pixel_shuffle(x.reshape(1, 4, 1, 3), 2),
    "bilinear": lambda x, s, dev: F.bilinear(x[:2], s, x.reshape(3, 1, 4).expand(3, 4, 4)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_utility_on_cuda_matches_cpu(name):
    x, s = rand(3, 4, seed=1, requires_grad=True), rand(2, 4, seed=2, requires_grad=True)
    xd, sd = cuda(x), cuda(s)
    exp = CASES[name](x, s, lambda t: t)
    got = CASES[name](xd, sd, cuda)
    assert_same(got, exp)
    w = rand(*exp.shape, seed=3)
    exp.backward(w)
    got.backward(cuda(w))
    assert_same(xd.grad, x.grad)
    if s.grad is not None:
        assert_same(sd.grad, s.grad)


def test_counting_on_cuda():
    x = rand(3, 5, seed=4)
    xd = cuda(x)
    assert_same(minitorch.searchsorted(xd.sort(1).values, xd[:, :2]), minitorch.searchsorted(x.sort(1).values,
                                                                                             x[:, :2]))
    assert_same(minitorch.histc(xd, 4), minitorch.histc(x, 4))
    assert_same(minitorch.cummin(xd, 0).indices, minitorch.cummin(x, 0).indices)
    assert_same(minitorch.count_nonzero(xd > 0, 1), minitorch.count_nonzero(x > 0, 1))
