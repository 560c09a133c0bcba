"""The activations and pointwise math of tests/test_activations_more.py and
test_pointwise_more.py on CUDA tensors (through the backend defaults: the composed extras
and the host special functions), values and gradients against the CPU."""
import pytest

import minitorch
from minitorch.nn import functional as F

from .conftest import assert_same, cuda, rand, requires_cuda

pytestmark = requires_cuda

CASES = {
    "silu": lambda x, y: F.silu(x), "mish": lambda x, y: F.mish(x), "softplus": lambda x, y: F.softplus(x, 2.0, 1.0),
    "elu": lambda x, y: F.elu(x, 0.5), "selu": lambda x, y: F.selu(x), "celu": lambda x, y: F.celu(x, 1.5),
    "logsigmoid": lambda x, y: F.logsigmoid(x), "hardswish": lambda x, y: F.hardswish(x),
    "hardsigmoid": lambda x, y: F.hardsigmoid(x), "threshold": lambda x, y: F.threshold(x, 0.1, -1.0),
    "softshrink": lambda x, y: F.softshrink(x), "hardshrink": lambda x, y: F.hardshrink(x, 0.3),
    "glu": lambda x, y: F.glu(x, 0), "softmin": lambda x, y: F.softmin(x, 1), "normalize": lambda x, y: F.normalize(x),
    "prelu": lambda x, y: F.prelu(x, y[0, :3].abs()),
    "lgamma": lambda x, y: x.lgamma(), "digamma": lambda x, y: x.abs().add(0.5).digamma(),
    "erfinv": lambda x, y: (x.tanh() * 0.9).erfinv(), "i0": lambda x, y: x.i0(), "sinc": lambda x, y: x.sinc(),
    "logit": lambda x, y: x.sigmoid().logit(), "logaddexp": lambda x, y: x.logaddexp(y[:1]),
    "hypot": lambda x, y: x.hypot(y[:1]), "fmod": lambda x, y: x.fmod(y[:1]), "copysign": lambda x, y: x.copysign(y[:1]),
    "xlogy": lambda x, y: x.xlogy(y[:1].abs()), "nan_to_num": lambda x, y: (x / 0).nan_to_num(),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_values_and_gradients_on_cuda_equal_the_cpus(case):
    x, y = rand(4, 3, requires_grad=True), rand(2, 3, seed=1, requires_grad=True)
    xc, yc = cuda(x), cuda(y)
    expected, got = CASES[case](x, y), CASES[case](xc, yc)
    assert_same(got, expected)
    expected.sum().backward()
    got.sum().backward()
    assert_same(xc.grad, x.grad)
    if y.grad is not None:
        assert_same(yc.grad, y.grad)


def test_rrelu_training_and_gumbel_softmax_draw_on_the_device():
    minitorch.manual_seed(0)
    x = cuda(rand(4, 5, requires_grad=True))
    y = F.rrelu(x, 0.1, 0.3, training=True)
    y.sum().backward()
    slope = (y.detach() / x.detach()).cpu().numpy()
    negative = (x.detach() < 0).cpu().numpy()
    assert ((slope[negative] >= 0.1 - 1e-6) & (slope[negative] <= 0.3 + 1e-6)).all()
    assert (slope[~negative] == 1).all()
    assert_same(x.grad, (y.detach() / x.detach()).cpu())
    soft = F.gumbel_softmax(x.detach(), hard=True)
    assert soft.device.type == "cuda"
    assert (soft.sum(-1).cpu().numpy() == 1).all()
