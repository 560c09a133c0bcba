"""The ops of the torch 2.x programs (selection, scans, index/scatter, diagonals, einsum,
sequence indexing) on CUDA tensors against the same minitorch code on the CPU, values and
gradients; and the default device reaching the GPU."""
import numpy as np
import pytest

import minitorch

from .conftest import assert_same, cuda, rand, requires_cuda

pytestmark = requires_cuda


def _long(values):
    return minitorch.tensor(values, dtype=minitorch.int64)


CASES = {
    "sort": lambda x, s, dev: x.sort(1, descending=True).values,
    "topk": lambda x, s, dev: x.topk(2, 0).values,
    "kthvalue": lambda x, s, dev: x.kthvalue(2, 1).values,
    "cumsum": lambda x, s, dev: x.cumsum(1),
    "cumprod": lambda x, s, dev: x.cumprod(0),
    "index_select": lambda x, s, dev: x.index_select(1, dev(_long([0, 2, 2]))),
    "index_add": lambda x, s, dev: x.index_add(0, dev(_long([0, 0])), s, alpha=2),
    "index_copy": lambda x, s, dev: x.index_copy(0, dev(_long([2, 0])), s),
    "masked_select": lambda x, s, dev: x.masked_select(x > 0),
    "masked_scatter": lambda x, s, dev: x.masked_scatter(x > 0, s.repeat(2, 1)),
    "take": lambda x, s, dev: x.take(dev(_long([0, 11, -1]))),
    "scatter": lambda x, s, dev: x.scatter(1, dev(_long([[0, 1], [1, 2], [3, 0]])), s.repeat(2, 1)[:3, :2]),
    "scatter_reduce_amax": lambda x, s, dev: x.scatter_reduce(1, dev(_long([[0, 0], [1, 1], [2, 2]])),
                                                              s.repeat(2, 1)[:3, :2], "amax"),
    "repeat_interleave": lambda x, s, dev: x.repeat_interleave(dev(_long([1, 0, 2])), dim=0),
    "diagonal": lambda x, s, dev: x.diagonal(1),
    "diag_embed": lambda x, s, dev: minitorch.diag_embed(x, 1),
    "trace": lambda x, s, dev: x.trace(),
    "roll": lambda x, s, dev: x.roll((1, -1), (0, 1)),
    "rot90": lambda x, s, dev: x.rot90(),
    "einsum": lambda x, s, dev: minitorch.einsum("ij,kj->ik", x, s),
    "range_index": lambda x, s, dev: x[range(3), [0, 1, 2]],
    "list_of_lists": lambda x, s, dev: x[[0, 1], [1, 2]],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_op_on_cuda_matches_cpu(name):
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


def test_counting_and_diagonal_views_on_cuda():
    values, counts = minitorch.unique(cuda(_long([3, 1, 1])), return_counts=True)
    assert values.is_cuda and values.tolist() == [1, 3] and counts.tolist() == [2, 1]
    assert minitorch.bincount(cuda(_long([0, 1, 1]))).tolist() == [1, 2]
    z = minitorch.zeros(3, 3, device="cuda")
    z.diagonal().fill_(1.0)
    np.testing.assert_array_equal(z.cpu().numpy(), np.eye(3, dtype=np.float32))


def test_default_device_cuda_builds_and_trains():
    minitorch.set_default_device("cuda")
    try:
        model = minitorch.nn.Linear(3, 2)
        assert model.weight.is_cuda and minitorch.randn(2).is_cuda and minitorch.arange(3).is_cuda
        model(minitorch.randn(4, 3)).sum().backward()
        assert model.weight.grad.is_cuda
    finally:
        minitorch.set_default_device(None)
    assert minitorch.zeros(1).is_cpu
