"""max_pool1d, avg_pool1d and MaxPool1d/AvgPool1d: values, argmax indices and gradients against
PyTorch (hypothesis over sizes and options), against a NumPy sliding window and central
differences without it, and PyTorch's errors on both of max_pool1d's paths."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitorch
from minitorch import nn
from minitorch.autograd.gradcheck import gradcheck
from minitorch.nn import functional as F
from tests._compat import requires_torch, torch
from tests._nn_compare import raises_like
from tests.strategies import hsettings, layout_of


def _arr(shape, dtype="float32", seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


@st.composite
def pool1d_configs(draw, dilation=True):
    k = draw(st.integers(1, 4))
    d = draw(st.integers(1, 2)) if dilation else 1
    p = draw(st.integers(0, k // 2))
    length = max(draw(st.integers(1, 10)), d * (k - 1) + 1 - 2 * p)
    shape = draw(st.sampled_from([(2, 3), (3,), ()])) + (length,)
    return dict(shape=shape, kernel_size=k, stride=draw(st.sampled_from([None, 1, 2, 3])), padding=p,
                dilation=d, ceil_mode=draw(st.booleans()))


@requires_torch
@hsettings(max_examples=30)
@given(cfg=pool1d_configs(), ties=st.booleans(), data=st.data())
def test_max_pool1d_matches_torch_values_indices_and_gradients(cfg, ties, data):
    shape = cfg.pop("shape")
    if len(shape) < 2:
        shape = (2,) + shape
    x = _arr(shape, "float64")
    if ties:
        x = np.round(x)
    xm = data.draw(layout_of(x)).requires_grad_()
    xt = torch.tensor(x, requires_grad=True)
    om, im = F.max_pool1d(xm, **cfg, return_indices=True)
    ot, it = torch.nn.functional.max_pool1d(xt, **cfg, return_indices=True)
    np.testing.assert_array_equal(om.detach().numpy(), ot.detach().numpy())
    np.testing.assert_array_equal(im.numpy(), it.numpy())
    assert type(om.grad_fn).__name__ == type(ot.grad_fn).__name__ == "SqueezeBackward1"
    g = _arr(tuple(ot.shape), "float64", 1)
    om.backward(minitorch.tensor(g))
    if _some_window_is_all_padding(shape[-1], ot.shape[-1], cfg):
        # torch 2.13's CPU backward writes such a window's gradient past the end of its
        # buffer (heap corruption that aborted CI): the reference is the scatter by hand.
        want = np.zeros(x.shape).reshape(-1, shape[-1])
        for row, (idx, grad) in enumerate(zip(it.numpy().reshape(len(want), -1), g.reshape(len(want), -1))):
            inside = idx < shape[-1]
            np.add.at(want[row], idx[inside], grad[inside])
        np.testing.assert_allclose(xm.grad.numpy(), want.reshape(x.shape), rtol=1e-12)
        return
    ot.backward(torch.tensor(g))
    np.testing.assert_allclose(xm.grad.numpy(), xt.grad.numpy(), rtol=1e-12)


def _some_window_is_all_padding(length, out_length, cfg):
    """Whether some output's (dilated) window has no tap inside [0, length): its taps step
    over the whole input. Its value is -inf and its index lies past the input."""
    k, d, p = cfg["kernel_size"], cfg["dilation"], cfg["padding"]
    s = cfg["stride"] or k
    return any(not any(0 <= o * s - p + j * d < length for j in range(k)) for o in range(out_length))


def test_a_window_wholly_in_the_padding_gives_minus_inf_and_no_gradient():
    """Length 1, kernel 2, dilation 2, padding 1: the taps at -1 and 1 miss the one input.
    torch gives -inf and index 1 (past the input); its gradient reaches no input (torch's own
    CPU backward writes it past its gradient buffer, so it is not run here)."""
    x = minitorch.zeros(3, 1, dtype=minitorch.float64, requires_grad=True)
    out, idx = F.max_pool1d(x, 2, padding=1, dilation=2, return_indices=True)
    assert out.tolist() == [[-float("inf")]] * 3 and idx.tolist() == [[1]] * 3
    out.backward(minitorch.tensor([[1.0], [10.0], [100.0]], dtype=minitorch.float64))
    assert x.grad.tolist() == [[0.0]] * 3
    if torch is not None:
        ot, it = torch.nn.functional.max_pool1d(torch.zeros(3, 1, dtype=torch.float64), 2, padding=1, dilation=2,
                                                return_indices=True)
        assert ot.tolist() == out.tolist() and it.tolist() == idx.tolist()


@requires_torch
@hsettings(max_examples=30)
@given(cfg=pool1d_configs(dilation=False), count_include_pad=st.booleans())
def test_avg_pool1d_matches_torch_values_and_gradients(cfg, count_include_pad):
    shape = cfg.pop("shape")
    if len(shape) < 2:
        shape = (2,) + shape
    cfg.pop("dilation")
    x = _arr(shape, "float32")
    xm, xt = minitorch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    om = F.avg_pool1d(xm, **cfg, count_include_pad=count_include_pad)
    ot = torch.nn.functional.avg_pool1d(xt, **cfg, count_include_pad=count_include_pad)
    np.testing.assert_allclose(om.detach().numpy(), ot.detach().numpy(), rtol=1e-6, atol=1e-6)
    g = _arr(tuple(ot.shape), "float32", 1)
    om.backward(minitorch.tensor(g))
    ot.backward(torch.tensor(g))
    np.testing.assert_allclose(xm.grad.numpy(), xt.grad.numpy(), rtol=1e-6, atol=1e-6)


def test_pool1d_equal_a_sliding_window_by_hand():
    x = _arr((2, 3, 9), "float64")
    windows = np.lib.stride_tricks.sliding_window_view(x, 3, axis=-1)[..., ::2, :]
    np.testing.assert_array_equal(F.max_pool1d(minitorch.tensor(x), 3, 2).numpy(), windows.max(-1))
    np.testing.assert_allclose(F.avg_pool1d(minitorch.tensor(x), 3, 2).numpy(), windows.mean(-1), rtol=1e-14)
    out, idx = nn.MaxPool1d(3, 2, return_indices=True)(minitorch.tensor(x))
    np.testing.assert_array_equal(idx.numpy(), windows.argmax(-1) + 2 * np.arange(4))


def test_pool1d_gradchecks():
    x = minitorch.tensor(_arr((2, 3, 8), "float64"), requires_grad=True)
    assert gradcheck(lambda x: F.max_pool1d(x, 3, 2, 1, dilation=1, ceil_mode=True), (x,))
    assert gradcheck(lambda x: F.avg_pool1d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), (x,))


_MAX_ERRORS = [((1, 2, 3, 4), 2, {}), ((4,), 2, {}), ((2, 3, 8), 0, {}), ((2, 3, 8), 2, dict(stride=0)),
               ((2, 3, 8), 2, dict(padding=-1)), ((2, 3, 8), 2, dict(padding=2)), ((1, 2, 2), 3, {}),
               ((2, 3, 8), (2, 2), {}), ((2, 3, 8), 2, dict(stride=(2, 2))), ((2, 3, 8), 2, dict(dilation=0)),
               ((2, 3, 0), 1, {}), ((2, 0, 4), 1, {}), ((2, 3, 8), "a", {}), ((2, 3, 8), 2.0, {})]


@requires_torch
@pytest.mark.parametrize("return_indices", [False, True])
@pytest.mark.parametrize("shape,kernel,kwargs", _MAX_ERRORS)
def test_max_pool1d_errors_match_torch_on_both_paths(shape, kernel, kwargs, return_indices):
    x = _arr(shape)
    raises_like(lambda: F.max_pool1d(minitorch.tensor(x), kernel, **kwargs, return_indices=return_indices),
                lambda: torch.nn.functional.max_pool1d(torch.tensor(x), kernel, **kwargs,
                                                       return_indices=return_indices))


@requires_torch
@pytest.mark.parametrize("shape,kernel,kwargs", [
    ((1, 2, 3, 4), 2, {}), ((4,), 2, {}), ((2, 3, 8), 0, {}), ((2, 3, 8), 2, dict(padding=2)), ((1, 2, 2), 3, {}),
    ((2, 3, 8), (2, 2), {}), ((2, 3, 8), 2, dict(stride=(2, 2))), ((2, 3, 8), 2, dict(padding=(1, 1))),
    ((2, 3, 8), 2, dict(stride=0)), ((2, 3, 8), 2, dict(padding=-1)), ((2, 3, 8), -1, {}), ((2, 3, 8), "a", {})])
def test_avg_pool1d_errors_match_torch(shape, kernel, kwargs):
    x = _arr(shape)
    raises_like(lambda: F.avg_pool1d(minitorch.tensor(x), kernel, **kwargs),
                lambda: torch.nn.functional.avg_pool1d(torch.tensor(x), kernel, **kwargs))


def test_empty_batch_pools_to_an_empty_batch():
    x = minitorch.zeros(0, 2, 4)
    assert F.max_pool1d(x, 2).shape == (0, 2, 2)
    assert F.avg_pool1d(x, 2).shape == (0, 2, 2)
