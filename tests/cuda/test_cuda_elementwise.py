"""The CUDA backend's memory, views and elementwise ops, against the CPU backend."""
import numpy as np
import pytest

import minitorch
from .conftest import assert_same, cuda, rand, requires_cuda

pytestmark = requires_cuda


def test_round_trip_and_device():
    x = rand(2, 3)
    y = x.cuda()
    assert y.device == minitorch.device("cuda", 0) and y.is_cuda
    assert str(y.device) == "cuda:0"
    np.testing.assert_array_equal(y.cpu().numpy(), x.numpy())
    assert y.cuda() is y and x.cpu() is x


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "maximum", "minimum", "pow", "remainder",
                                "floor_divide"])
def test_binary_broadcast_and_strided(op):
    a, b = rand(3, 4, seed=1), rand(4, seed=2).abs() + 0.5
    fn = getattr(minitorch, op)
    assert_same(fn(cuda(a), cuda(b)), fn(a, b))
    assert_same(fn(cuda(a).t(), cuda(rand(3, seed=3))), fn(a.t(), rand(3, seed=3)))
    s = minitorch.tensor(1.5)
    assert_same(fn(cuda(a)[:, ::2], cuda(s)), fn(a[:, ::2], s))


@pytest.mark.parametrize("op", ["neg", "abs", "exp", "log", "sqrt", "rsqrt", "sin", "cos", "tanh", "sigmoid",
                                "relu", "sign", "log1p", "expm1", "reciprocal", "floor", "ceil", "round",
                                "trunc", "square"])
def test_unary(op):
    x = minitorch.tensor([[-2.5, -0.5, 0.0, 0.5], [1.5, 2.5, 3.0, -0.0]])
    fn = getattr(minitorch, op)
    assert_same(fn(cuda(x)), fn(x), rtol=1e-6)
    assert_same(fn(cuda(x).t()), fn(x.t()), rtol=1e-6)


def test_unary_special_values():
    x = minitorch.tensor([float("inf"), float("-inf"), float("nan"), 0.0, -0.0, 1e30])
    for op in ("exp", "log", "sqrt", "tanh", "sigmoid", "relu", "floor", "round", "sign", "isnan", "isinf",
               "isfinite"):
        assert_same(getattr(minitorch, op)(cuda(x)), getattr(minitorch, op)(x))


def test_integer_and_bool_ops():
    a = minitorch.tensor([[5, -3, 0], [7, 2, -8]])
    b = minitorch.tensor([2, -2, 3])
    for fn in (lambda x, y: x + y, lambda x, y: x * y, lambda x, y: x // y, lambda x, y: x % y,
               lambda x, y: x & y, lambda x, y: x | y, lambda x, y: x ^ y, lambda x, y: x ** y.abs(),
               lambda x, y: x / y, lambda x, y: x > y, lambda x, y: x == y):
        assert_same(fn(cuda(a), cuda(b)), fn(a, b))
    m = a > 0
    assert_same(~cuda(m), ~m)
    assert_same(cuda(m) & cuda(b > 0), m & (b > 0))
    assert_same(-cuda(a), -a)
    assert_same(cuda(a).abs(), a.abs())


def test_mixed_dtypes_promote():
    a, b = minitorch.tensor([1, 2, 3]), minitorch.tensor([0.5, 1.5, 2.5], dtype=minitorch.float64)
    assert_same(cuda(a) + cuda(b), a + b)
    assert_same(cuda(a) * 2.5, a * 2.5)
    assert_same(2 - cuda(b), 2 - b)


def test_where_clamp_compare():
    x = rand(3, 4)
    assert_same(minitorch.where(cuda(x) > 0, cuda(x), 0.0), minitorch.where(x > 0, x, 0.0))
    assert_same(cuda(x).clamp(-0.5, 0.5), x.clamp(-0.5, 0.5))
    assert_same(cuda(x).clamp(min=0.1), x.clamp(min=0.1))
    assert_same(cuda(x) <= 0.2, x <= 0.2)


def test_views_share_memory():
    x = cuda(rand(2, 3, 4))
    v = x.view(6, 4)
    v[0, 0] = 100.0
    assert x[0, 0, 0].item() == 100.0
    p = x.permute(2, 0, 1)
    assert p.shape == (4, 2, 3) and not p.is_contiguous()
    assert_same(p.contiguous(), x.cpu().permute(2, 0, 1).contiguous())
    assert_same(p.reshape(4, 6), x.cpu().permute(2, 0, 1).reshape(4, 6))
    assert_same(x[1, :, ::2], x.cpu()[1, :, ::2])
    assert_same(x[None, ..., 1], x.cpu()[None, ..., 1])
    assert_same(x.expand(3, 2, 3, 4) * 1, x.cpu().expand(3, 2, 3, 4) * 1)
    assert_same(x.transpose(0, 2).unsqueeze(1).squeeze(1), x.cpu().transpose(0, 2))


def test_inplace_ops():
    x = rand(3, 4)
    y = cuda(x)
    x.add_(1).mul_(2)
    y.add_(1).mul_(2)
    assert_same(y, x)
    xt, yt = x.t(), y.t()
    xt.sub_(rand(3, seed=5))
    yt.sub_(cuda(rand(3, seed=5)))
    assert_same(y, x)
    y.zero_()
    assert y.abs().max().item() == 0.0


def test_creation_on_cuda():
    for fn in (lambda d: minitorch.zeros(2, 3, device=d), lambda d: minitorch.ones(2, 3, device=d),
               lambda d: minitorch.full((2, 2), 7.0, device=d), lambda d: minitorch.arange(5, device=d),
               lambda d: minitorch.eye(3, 4, device=d), lambda d: minitorch.linspace(0, 1, 5, device=d),
               lambda d: minitorch.tensor([[1, 2], [3, 4]], device=d)):
        assert_same(fn("cuda"), fn("cpu"))


def test_autograd_on_cuda():
    x, w = rand(3, 4, requires_grad=True), rand(3, 4, seed=7, requires_grad=True)
    xc, wc = cuda(x), cuda(w)
    for a, b in ((x, w), (xc, wc)):
        ((a * b).tanh() + a.exp() / (b.abs() + 1) - a.sigmoid() * b.relu()).pow(2).sum().backward()
    assert_same(xc.grad, x.grad, rtol=1e-5)
    assert_same(wc.grad, w.grad, rtol=1e-5)


def test_gradient_flows_across_devices():
    x = rand(2, 3, requires_grad=True)
    y = (x.cuda() * 3).cpu().sum()
    y.backward()
    assert x.grad.device.type == "cpu"
    np.testing.assert_allclose(x.grad.numpy(), np.full((2, 3), 3.0))


def test_mixing_devices_raises():
    a, b = rand(2, 3), cuda(rand(2, 3))
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device, but found at least two devices, "
                       "(cuda:0 and cpu|cpu and cuda:0)!"):
        a + b
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        b * a
    with pytest.raises(TypeError, match="can't convert cuda:0 device type tensor to numpy"):
        b.numpy()


def test_printing_and_item():
    x = minitorch.tensor([[1.5, 2.0]], device="cuda")
    assert repr(x) == "tensor([[1.5000, 2.0000]], device='cuda:0')"
    assert x[0, 1].item() == 2.0
    assert x.tolist() == [[1.5, 2.0]]
