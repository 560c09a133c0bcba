"""CUDA transposed and 1-D convolutions, padding, interpolation, instance norm, 1-D pooling and
the in-place leaky_relu against the CPU backend: values and every input's gradient through
the public API (they run through the op table's conv2d_input_grad / conv2d_weight_grad,
getitem and index_add, so this checks those on the device)."""
import pytest

import minitorch
from minitorch import nn
from minitorch.nn import functional as F

from .conftest import assert_same, cuda, rand, requires_cuda

pytestmark = requires_cuda


def _check(fn, *cpu_inputs, rtol=1e-5, atol=1e-5, seed=7):
    """fn on CPU and on CUDA copies of the inputs: values, then every input's gradient for a
    random output gradient."""
    cpu_inputs = [None if t is None else t.detach().requires_grad_(t.requires_grad) for t in cpu_inputs]
    dev_inputs = [None if t is None else cuda(t) for t in cpu_inputs]
    want = fn(*cpu_inputs)
    got = fn(*dev_inputs)
    assert_same(got, want, rtol=rtol, atol=atol)
    assert type(got.grad_fn).__name__ == type(want.grad_fn).__name__
    g = rand(*want.shape, dtype=want.dtype, seed=seed)
    want.backward(g)
    got.backward(cuda(g))
    for d, c in zip(dev_inputs, cpu_inputs):
        if c is not None and c.requires_grad:
            assert_same(d.grad, c.grad, rtol=rtol, atol=atol)


@pytest.mark.parametrize("stride,padding,output_padding,groups,dilation,bias", [
    (1, 0, 0, 1, 1, True), (2, 1, 1, 1, 1, False), ((2, 1), (0, 1), (1, 0), 2, (1, 2), True)])
def test_conv_transpose2d_values_and_grads(stride, padding, output_padding, groups, dilation, bias):
    x = rand(2, 4, 3, 3, seed=1, requires_grad=True)
    w = rand(4, 3 // 1 if groups == 1 else 1, 3, 2, seed=2, requires_grad=True)
    b = rand(w.shape[1] * groups, seed=3, requires_grad=True) if bias else None
    _check(lambda x, w, b: F.conv_transpose2d(x, w, b, stride, padding, output_padding, groups, dilation), x, w, b)


def test_conv_transpose1d_and_conv1d_values_and_grads():
    x = rand(2, 3, 5, seed=1, requires_grad=True)
    w = rand(3, 2, 3, seed=2, requires_grad=True)
    b = rand(2, seed=3, requires_grad=True)
    _check(lambda x, w, b: F.conv_transpose1d(x, w, b, stride=2, padding=1, output_padding=1), x, w, b)
    w1 = rand(4, 3, 2, seed=4, requires_grad=True)
    _check(lambda x, w: F.conv1d(x, w, padding="same", dilation=2), x, w1)


def test_conv_transpose2d_module_with_output_size_stays_on_the_device():
    minitorch.manual_seed(0)
    m = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    d = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1).cuda()
    d.load_state_dict(m.state_dict())
    x = rand(1, 3, 3, 3, seed=5)
    assert_same(d(cuda(x), output_size=(6, 6)), m(x, output_size=(6, 6)))
    assert d.weight.device.type == "cuda"


@pytest.mark.parametrize("mode,pad", [("constant", (1, -1, 2, 0)), ("reflect", (2, 1, 1, 2)),
                                      ("replicate", (3, 0, 1, 1)), ("circular", (1, 2, 2, 1))])
def test_pad_values_and_grads(mode, pad):
    x = rand(2, 2, 3, 4, seed=1, requires_grad=True)
    _check(lambda x: F.pad(x, pad, mode), x)


@pytest.mark.parametrize("kwargs", [dict(scale_factor=2), dict(size=(5, 3), mode="nearest-exact"),
                                    dict(scale_factor=1.5, mode="bilinear"),
                                    dict(size=(4, 7), mode="bilinear", align_corners=True),
                                    dict(scale_factor=2, mode="bicubic")])
def test_interpolate_values_and_grads(kwargs):
    x = rand(2, 2, 3, 4, seed=1, requires_grad=True)
    _check(lambda x: F.interpolate(x, **kwargs), x)


def test_instance_norm_values_grads_and_running_stats():
    x = rand(2, 3, 4, 4, seed=1, requires_grad=True)
    w = rand(3, seed=2, requires_grad=True)
    b = rand(3, seed=3, requires_grad=True)
    _check(lambda x, w, b: F.instance_norm(x, weight=w, bias=b), x, w, b)
    m = nn.InstanceNorm2d(3, track_running_stats=True)
    d = nn.InstanceNorm2d(3, track_running_stats=True).cuda()
    assert_same(d(cuda(x)), m(x))
    assert_same(d.running_var, m.running_var)


def test_pool1d_and_inplace_leaky_relu_values_and_grads():
    x = rand(2, 3, 9, seed=1, requires_grad=True)
    _check(lambda x: F.max_pool1d(x, 3, 2, 1), x)
    _check(lambda x: F.avg_pool1d(x, 3, 2, 1, count_include_pad=False), x)
    _check(lambda x: F.leaky_relu(x * 1, 0.2, inplace=True), x)
