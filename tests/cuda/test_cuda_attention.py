"""The attention and normalization layers on the CUDA backend (composed from its ops; layer_norm
takes its Tensor-op path there), against the same minitorch code on the CPU."""
import copy
import warnings

import numpy as np
import pytest

import minitorch
import minitorch.nn.functional as F
from minitorch import tril, triu
from .conftest import assert_same, cuda, rand, requires_cuda

pytestmark = requires_cuda


def test_tril_triu_and_layer_norm_forward_backward():
    x = rand(2, 3, 4, requires_grad=True)
    w, b = rand(4, seed=1, requires_grad=True), rand(4, seed=2, requires_grad=True)
    assert_same(tril(cuda(x), -1), tril(x, -1))
    assert_same(triu(cuda(x), 1), triu(x, 1))
    xc, wc, bc = cuda(x), cuda(w), cuda(b)
    y, yc = F.layer_norm(x, (4,), w, b), F.layer_norm(xc, (4,), wc, bc)
    assert_same(yc, y)
    g = rand(2, 3, 4, seed=3)
    y.backward(g)
    yc.backward(cuda(g))
    for got, expected in ((xc, x), (wc, w), (bc, b)):
        assert_same(got.grad, expected.grad, rtol=1e-4, atol=1e-5)


def test_sdpa_with_bool_mask_and_causal_forward_backward():
    q, k, v = (rand(1, 2, 3, 4, seed=s, requires_grad=True) for s in range(3))
    keep = minitorch.tensor(np.array([[True, False, True], [False, False, False], [True, True, True]]))
    qc, kc, vc = cuda(q), cuda(k), cuda(v)
    for kwargs, kwargs_c in (({"attn_mask": keep}, {"attn_mask": cuda(keep)}), ({"is_causal": True},) * 2):
        y = F.scaled_dot_product_attention(q, k, v, **kwargs)
        yc = F.scaled_dot_product_attention(qc, kc, vc, **kwargs_c)
        assert_same(yc, y)
        y.sum().backward()
        yc.sum().backward()
        for got, expected in ((qc, q), (kc, k), (vc, v)):
            assert_same(got.grad, expected.grad, rtol=1e-4, atol=1e-5)


@pytest.mark.filterwarnings("ignore:Support for mismatched")
def test_transformer_encoder_layer_with_masks_matches_the_cpu():
    minitorch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layer = minitorch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0)
    layer_c = copy.deepcopy(layer).cuda()
    x = rand(4, 2, 8, requires_grad=True)
    pad = minitorch.tensor(np.array([[False] * 4, [False, False, True, True]]))
    mask = minitorch.nn.Transformer.generate_square_subsequent_mask(4)
    xc = cuda(x)
    y = layer(x, src_mask=mask, src_key_padding_mask=pad)
    yc = layer_c(xc, src_mask=mask.cuda(), src_key_padding_mask=pad.cuda())
    assert_same(yc, y, rtol=1e-4, atol=1e-5)
    y.sum().backward()
    yc.sum().backward()
    assert_same(xc.grad, x.grad, rtol=1e-4, atol=1e-5)
    for (name, p), pc in zip(layer.named_parameters(), layer_c.parameters()):
        np.testing.assert_allclose(pc.grad.cpu().numpy(), p.grad.numpy(), rtol=1e-4, atol=1e-5, err_msg=name)
