"""CUDA matmul (the tiled GEMM of _backends/cuda/_matmul.py) against the CPU backend:
NumPy's 1-D rules, batch broadcasting, transposed/sliced/expanded operands read in place,
mm/bmm, nn.Linear, integer products; values and gradients."""
import copy

import numpy as np
import pytest

import minitorch
from minitorch import nn

from .conftest import assert_same, cuda, rand, requires_cuda

pytestmark = requires_cuda




def _check_product(fn, *cpu_inputs, rtol=1e-5, atol=1e-5):
    """fn on CPU and CUDA copies: the values, then the gradients for a random output gradient."""
    cpu_inputs = [t.detach().requires_grad_(t.requires_grad) for t in cpu_inputs]  # fresh leaves
    dev_inputs = [cuda(t) for t in cpu_inputs]
    want = fn(*cpu_inputs)
    got = fn(*dev_inputs)
    assert_same(got, want, rtol=rtol, atol=atol)
    if not any(t.requires_grad for t in cpu_inputs):
        return
    if want.dim() == 0:
        want.backward()
        got.backward()
    else:
        g = rand(*want.shape, dtype=want.dtype, seed=7)
        want.backward(g)
        got.backward(cuda(g))
    for d, c in zip(dev_inputs, cpu_inputs):
        if c.requires_grad:
            assert_same(d.grad, c.grad, rtol=rtol, atol=atol)


SHAPES = [
    ((5,), (5,)),                  # dot: a 0-d result
    ((4,), (4, 3)),                # vector @ matrix
    ((3, 4), (4,)),                # matrix @ vector
    ((5, 7), (7, 6)),
    ((20, 17), (17, 19)),          # several tiles in every direction
    ((2, 5, 7), (7, 3)),           # batched @ matrix (rows folded)
    ((2, 5, 7), (7,)),
    ((3,), (2, 3, 4)),             # vector @ batched
    ((2, 4, 3), (2, 3, 5)),        # bmm
    ((2, 1, 4, 3), (3, 3, 2)),     # broadcast batch dims on both sides
    ((1, 3, 4), (2, 4, 5)),
]


@pytest.mark.parametrize("sa,sb", SHAPES)
def test_matmul_shapes_values_and_grads(sa, sb):
    a = rand(*sa, seed=1, requires_grad=True)
    b = rand(*sb, seed=2, requires_grad=True)
    _check_product(lambda x, y: x @ y, a, b)


def test_matmul_float64():
    a = rand(6, 9, dtype=minitorch.float64, seed=1, requires_grad=True)
    b = rand(9, 4, dtype=minitorch.float64, seed=2, requires_grad=True)
    _check_product(minitorch.matmul, a, b, rtol=1e-12, atol=1e-12)


def test_matmul_transposed_operands():
    a = rand(7, 5, seed=1, requires_grad=True)
    b = rand(9, 7, seed=2, requires_grad=True)
    _check_product(lambda x, y: x.t() @ y.t(), a, b)
    # the raw product reads the transposed views in place (no contiguous copy first)
    ad, bd = cuda(a).detach(), cuda(b).detach()
    assert not ad.t().is_contiguous()
    assert_same(ad.t() @ bd.t(), a.detach().t() @ b.detach().t())


def test_matmul_batched_transposed_and_sliced():
    # a (2, 4, 6) transposed view @ a column-sliced (2, 6, 4) view
    a = rand(2, 6, 4, seed=1, requires_grad=True)
    b = rand(2, 6, 8, seed=2, requires_grad=True)
    _check_product(lambda x, y: x.transpose(1, 2) @ y[:, :, ::2], a, b)


def test_matmul_expanded_batch():
    a = rand(1, 4, 3, seed=1, requires_grad=True)
    b = rand(3, 3, 5, seed=2, requires_grad=True)
    _check_product(lambda x, y: x.expand(3, 4, 3) @ y, a, b)
    _check_product(lambda x, y: y.transpose(1, 2) @ x.expand(3, 4, 3).transpose(1, 2), a, b)


def test_mm_bmm_and_methods():
    a = rand(4, 6, seed=1, requires_grad=True)
    b = rand(6, 5, seed=2, requires_grad=True)
    _check_product(minitorch.mm, a, b)
    _check_product(lambda x, y: x.mm(y), a, b)
    a3 = rand(3, 4, 6, seed=3, requires_grad=True)
    b3 = rand(3, 6, 2, seed=4, requires_grad=True)
    _check_product(minitorch.bmm, a3, b3)
    _check_product(lambda x, y: x.bmm(y), a3, b3)
    v = rand(6, seed=5, requires_grad=True)
    _check_product(lambda x, y: x.mv(y), a, v)
    w = rand(6, seed=6, requires_grad=True)
    _check_product(minitorch.dot, v, w)


def test_matmul_int64():
    rng = np.random.default_rng(0)
    a = minitorch.tensor(rng.integers(-50, 50, (5, 7)), dtype=minitorch.int64)
    b = minitorch.tensor(rng.integers(-50, 50, (7, 4)), dtype=minitorch.int64)
    _check_product(lambda x, y: x @ y, a, b)
    _check_product(lambda x, y: x.t() @ y.t(), b, a)
    a3 = minitorch.tensor(rng.integers(-9, 9, (2, 3, 4)), dtype=minitorch.int64)
    b3 = minitorch.tensor(rng.integers(-9, 9, (4,)), dtype=minitorch.int64)
    _check_product(lambda x, y: x @ y, a3, b3)
    _check_product(lambda x, y: y @ y, a3, b3)   # int dot: a 0-d int64


def test_matmul_empty_dims():
    _check_product(lambda x, y: x @ y, rand(3, 0), rand(0, 4))      # an empty sum: zeros
    _check_product(lambda x, y: x @ y, rand(3, 4), rand(4, 0))
    _check_product(lambda x, y: x @ y, rand(0, 2, 3), rand(3, 2))
    a = minitorch.zeros(2, 0, dtype=minitorch.int64)
    _check_product(lambda x, y: x @ y, a, minitorch.zeros(0, 3, dtype=minitorch.int64))


def test_linear_forward_backward():
    minitorch.manual_seed(0)
    lin = nn.Linear(7, 5)
    lin_d = copy.deepcopy(lin).cuda()
    x = rand(4, 7, seed=1, requires_grad=True)
    xd = cuda(x)
    out, out_d = lin(x), lin_d(xd)
    assert_same(out_d, out)
    g = rand(4, 5, seed=2)
    out.backward(g)
    out_d.backward(cuda(g))
    assert_same(xd.grad, x.grad)
    assert_same(lin_d.weight.grad, lin.weight.grad)
    assert_same(lin_d.bias.grad, lin.bias.grad)


def test_linear_batched_input_and_no_bias():
    minitorch.manual_seed(1)
    lin = nn.Linear(6, 3, bias=False)
    lin_d = copy.deepcopy(lin).cuda()
    x = rand(2, 3, 6, seed=3, requires_grad=True)
    xd = cuda(x)
    out, out_d = lin(x), lin_d(xd)
    assert_same(out_d, out)
    g = rand(2, 3, 3, seed=4)
    out.backward(g)
    out_d.backward(cuda(g))
    assert_same(xd.grad, x.grad)
    assert_same(lin_d.weight.grad, lin.weight.grad)
