"""grid_sample / affine_grid, embedding_bag, max_unpool, LP pooling, local response norm and
pdist on the CUDA backend (through the composed defaults of the backend extras), against the
CPU backend. Tiny shapes: in CI the kernels run in numba's CUDA simulator."""
import numpy as np
import pytest

import minitorch
import minitorch.nn.functional as F
from .conftest import assert_same, cuda, rand, requires_cuda

pytestmark = requires_cuda


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
def test_grid_sample_and_affine_grid_match_the_cpu(mode):
    x = rand(1, 2, 3, 4, requires_grad=True)
    theta = minitorch.tensor([[[0.9, 0.2, 0.1], [-0.1, 1.1, 0.05]]], requires_grad=True)
    xc, tc = cuda(x), cuda(theta)
    y = F.grid_sample(x, F.affine_grid(theta, (1, 2, 2, 3), align_corners=False), mode, "border", False)
    yc = F.grid_sample(xc, F.affine_grid(tc, (1, 2, 2, 3), align_corners=False), mode, "border", False)
    g = rand(1, 2, 2, 3, seed=1)
    y.backward(g)
    yc.backward(cuda(g))
    assert_same(yc, y)
    assert_same(xc.grad, x.grad)
    assert_same(tc.grad, theta.grad, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_matches_the_cpu(mode):
    w = rand(5, 3, requires_grad=True)
    wc = cuda(w)
    index, offsets = minitorch.tensor([1, 4, 3, 3, 0]), minitorch.tensor([0, 2, 2])
    y = F.embedding_bag(index, w, offsets, mode=mode)
    yc = F.embedding_bag(index.cuda(), wc, offsets.cuda(), mode=mode)
    y.sum().backward()
    yc.sum().backward()
    assert_same(yc, y)
    assert_same(wc.grad, w.grad)


def test_unpool_lp_pool_lrn_and_pdist_match_the_cpu():
    x = rand(1, 2, 4, 4, requires_grad=True)
    xc = cuda(x)
    pooled, idx = F.max_pool2d(x, 2, return_indices=True)
    pooled_c, idx_c = F.max_pool2d(xc, 2, return_indices=True)
    outs = [F.max_unpool2d(pooled, idx, 2), F.lp_pool2d(x.abs() + 0.1, 2, 2), F.local_response_norm(x, 2),
            F.pdist(x.reshape(4, 8))]
    outs_c = [F.max_unpool2d(pooled_c, idx_c, 2), F.lp_pool2d(xc.abs() + 0.1, 2, 2), F.local_response_norm(xc, 2),
              F.pdist(xc.reshape(4, 8))]
    sum(o.sum() for o in outs).backward()
    sum(o.sum() for o in outs_c).backward()
    for a, b in zip(outs_c, outs):
        assert_same(a, b)
    assert_same(xc.grad, x.grad, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(idx_c.cpu().numpy(), idx.numpy())
