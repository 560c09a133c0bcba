"""CUDA conv2d / pooling / batch norm (_backends/cuda/_conv.py) against the CPU backend:
values and gradients through the public API (F.conv2d, nn.Conv2d, F.max_pool2d, F.avg_pool2d,
nn.BatchNorm1d/2d in train and eval mode, running statistics)."""
import copy

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
    g = rand(*want.shape, dtype=want.dtype, seed=seed)
    want.backward(g)
    got.backward(cuda(g))
    for d, c in zip(dev_inputs, cpu_inputs):
        if c is not None and c.requires_grad:
            assert_same(d.grad, c.grad, rtol=rtol, atol=atol)


# ----- conv2d -------------------------------------------------------------------------------

CONV = [
    # (C, O, kernel, stride, padding, dilation, groups, bias)
    (3, 2, 3, 1, 0, 1, 1, True),
    (2, 3, 3, 2, 1, 1, 1, False),
    (2, 2, 2, (1, 2), (1, 0), (2, 1), 1, True),
    (4, 6, 3, 1, 1, 1, 2, True),              # grouped
    (3, 3, 3, 2, 2, 2, 3, False),             # depthwise, strided, dilated
]


@pytest.mark.parametrize("c,o,k,stride,padding,dilation,groups,bias", CONV)
def test_conv2d_values_and_grads(c, o, k, stride, padding, dilation, groups, bias):
    x = rand(2, c, 5, 5, seed=1, requires_grad=True)
    w = rand(o, c // groups, k, k, seed=2, requires_grad=True)
    b = rand(o, seed=3, requires_grad=True) if bias else None
    _check(lambda x, w, b: F.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation,
                                    groups=groups), x, w, b)


def test_conv2d_non_contiguous_input_and_weight():
    x = rand(5, 5, 2, 3, seed=1, requires_grad=True)   # permuted to (2, 3, 5, 5)
    w = rand(3, 2, 3, 2, seed=2, requires_grad=True)   # permuted to (2, 3, 2, 3)
    _check(lambda x, w: F.conv2d(x.permute(2, 3, 0, 1), w.permute(3, 0, 1, 2), padding=1), x, w)
    x2 = rand(2, 2, 5, 9, seed=4, requires_grad=True)
    w2 = rand(2, 2, 2, 2, seed=5, requires_grad=True)
    _check(lambda x, w: F.conv2d(x[:, :, :, ::2], w, stride=2), x2, w2)


def test_conv2d_unbatched_and_float64():
    x = rand(2, 4, 4, dtype=minitorch.float64, seed=1, requires_grad=True)
    w = rand(3, 2, 2, 2, dtype=minitorch.float64, seed=2, requires_grad=True)
    b = rand(3, dtype=minitorch.float64, seed=3, requires_grad=True)
    _check(lambda x, w, b: F.conv2d(x, w, b, padding=1), x, w, b, rtol=1e-12, atol=1e-12)


def test_conv2d_module_backward():
    minitorch.manual_seed(0)
    conv = nn.Conv2d(2, 3, 3, stride=1, padding=1)
    conv_d = copy.deepcopy(conv).cuda()
    x = rand(2, 2, 5, 5, seed=1, requires_grad=True)
    xd = cuda(x)
    out, out_d = conv(x), conv_d(xd)
    assert_same(out_d, out)
    g = rand(*out.shape, seed=2)
    out.backward(g)
    out_d.backward(cuda(g))
    assert_same(xd.grad, x.grad)
    assert_same(conv_d.weight.grad, conv.weight.grad)
    assert_same(conv_d.bias.grad, conv.bias.grad)


def test_conv2d_weight_grad_without_kept_columns():
    # x needs no grad but the weight does: conv2d keeps its columns for the weight's gradient;
    # under no_grad it keeps none, and a second product recomputes them.
    x = rand(2, 2, 5, 5, seed=1)
    w = rand(3, 2, 3, 3, seed=2, requires_grad=True)
    _check(lambda x, w: F.conv2d(x, w, stride=2), x, w)
    with minitorch.no_grad():
        assert_same(F.conv2d(cuda(x), cuda(w)), F.conv2d(x, w))


def test_conv2d_double_backward():
    x = rand(2, 2, 4, 4, seed=1, requires_grad=True)
    w = rand(2, 2, 2, 2, seed=2, requires_grad=True)
    xd, wd = cuda(x), cuda(w)
    results = []
    for xx, ww in ((x, w), (xd, wd)):
        out = F.conv2d(xx, ww, padding=1)
        g = rand(*out.shape, seed=3)
        g = cuda(g) if xx is xd else g
        gx, = minitorch.autograd.grad(out, [xx], g, create_graph=True)
        gg = rand(*gx.shape, seed=4)
        gx.backward(cuda(gg) if xx is xd else gg)
        results.append((gx, ww.grad))
    assert_same(results[1][0], results[0][0])
    assert_same(results[1][1], results[0][1])


# ----- pooling ------------------------------------------------------------------------------

MAX_POOL = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=2, stride=1, dilation=2),
    dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0), ceil_mode=True),
]


@pytest.mark.parametrize("kw", MAX_POOL)
def test_max_pool2d_values_indices_and_grads(kw):
    x = rand(2, 3, 5, 5, seed=1, requires_grad=True)
    _check(lambda x: F.max_pool2d(x, **kw), x)
    out, idx = F.max_pool2d(x.detach(), return_indices=True, **kw)
    out_d, idx_d = F.max_pool2d(cuda(x).detach(), return_indices=True, **kw)
    assert_same(out_d, out)
    assert_same(idx_d, idx)


def test_max_pool2d_ties_non_contiguous_and_unbatched():
    # ties (the first maximum wins) and overlapping windows sharing an argmax (atomic adds)
    x = minitorch.tensor([[[1.0, 3.0, 3.0, 0.0], [3.0, 2.0, 3.0, 1.0], [0.0, 3.0, 1.0, 1.0],
                           [2.0, 2.0, 2.0, 2.0]]], requires_grad=True)
    _check(lambda x: F.max_pool2d(x, 2, stride=1), x)
    y = rand(5, 5, 2, 2, seed=2, requires_grad=True)
    _check(lambda y: F.max_pool2d(y.permute(2, 3, 0, 1), 2, stride=2, padding=1), y)
    module = nn.MaxPool2d(3, stride=2)
    _check(module, rand(2, 5, 5, seed=3, requires_grad=True))


AVG_POOL = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 1), ceil_mode=True),
    dict(kernel_size=3, stride=1, padding=1, divisor_override=4),
]


@pytest.mark.parametrize("kw", AVG_POOL)
def test_avg_pool2d_values_and_grads(kw):
    x = rand(2, 3, 5, 5, seed=1, requires_grad=True)
    _check(lambda x: F.avg_pool2d(x, **kw), x)


def test_avg_pool2d_non_contiguous_and_module():
    y = rand(5, 6, 2, 2, seed=2, requires_grad=True)
    _check(lambda y: F.avg_pool2d(y.permute(2, 3, 0, 1)[:, :, :, ::2], 2, stride=1, padding=1), y)
    _check(nn.AvgPool2d(2), rand(3, 4, 4, seed=3, requires_grad=True))


# ----- batch norm ---------------------------------------------------------------------------

def _check_batch_norm(module, shape, non_contiguous=False):
    """module (CPU) and a CUDA copy: two training steps (outputs, input/weight/bias grads,
    running stats), then eval mode (outputs and grads)."""
    module_d = copy.deepcopy(module).cuda()
    for step, train in enumerate((True, True, False)):
        module.train(train)
        module_d.train(train)
        if non_contiguous:
            base = rand(*reversed(shape), seed=10 + step, requires_grad=True)
            x = base.detach().requires_grad_(True)
            xd = cuda(base)
            prep = lambda t: t.permute(*reversed(range(len(shape))))  # noqa: E731
        else:
            x = rand(*shape, seed=10 + step, requires_grad=True)
            xd = cuda(x)
            prep = lambda t: t  # noqa: E731
        for p in list(module.parameters()) + list(module_d.parameters()):
            p.grad = None
        out, out_d = module(prep(x)), module_d(prep(xd))
        assert_same(out_d, out, rtol=1e-4, atol=1e-5)
        g = rand(*out.shape, seed=20 + step)
        out.backward(g)
        out_d.backward(cuda(g))
        assert_same(xd.grad, x.grad, rtol=1e-4, atol=1e-5)
        for p, pd in zip(module.parameters(), module_d.parameters()):
            assert_same(pd.grad, p.grad, rtol=1e-4, atol=1e-5)
        if module.track_running_stats:
            assert_same(module_d.running_mean, module.running_mean, rtol=1e-5, atol=1e-6)
            assert_same(module_d.running_var, module.running_var, rtol=1e-5, atol=1e-6)
            assert module_d.num_batches_tracked.item() == module.num_batches_tracked.item()


def test_batch_norm2d_train_and_eval():
    _check_batch_norm(nn.BatchNorm2d(3, momentum=0.3), (2, 3, 5, 5))


def test_batch_norm2d_non_contiguous_no_affine():
    _check_batch_norm(nn.BatchNorm2d(2, affine=False), (2, 2, 3, 4), non_contiguous=True)


def test_batch_norm1d_2d_and_3d_inputs():
    _check_batch_norm(nn.BatchNorm1d(4), (5, 4))
    _check_batch_norm(nn.BatchNorm1d(3), (2, 3, 6))


def test_batch_norm_functional_without_running_stats():
    x = rand(3, 2, 4, seed=1, requires_grad=True)
    w = rand(2, seed=2, requires_grad=True)
    b = rand(2, seed=3, requires_grad=True)
    _check(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), x, w, b, rtol=1e-4)


def test_batch_norm_double_backward():
    x = rand(3, 2, 4, seed=1, requires_grad=True)
    w = rand(2, seed=2, requires_grad=True)
    res = []
    for xx, ww in ((x, w), (cuda(x), cuda(w))):
        dev = xx.device.type == "cuda"
        out = F.batch_norm(xx, None, None, ww, None, training=True)
        g = rand(*out.shape, seed=3)
        gx, = minitorch.autograd.grad(out, [xx], cuda(g) if dev else g, create_graph=True)
        gg = rand(*gx.shape, seed=4)
        gx.backward(cuda(gg) if dev else gg)
        res.append((gx, ww.grad))
    assert_same(res[1][0], res[0][0], rtol=1e-4, atol=1e-5)
    assert_same(res[1][1], res[0][1], rtol=1e-4, atol=1e-5)
