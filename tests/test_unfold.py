"""Tensor.unfold(dimension, size, step): windows along a dimension, against NumPy's sliding
windows, finite differences, and PyTorch where installed."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import minitorch
from minitorch.autograd import gradcheck

from ._compat import requires_torch, torch
from .strategies import hsettings, tensors, to_numpy


def _numpy_unfold(arr, dim, size, step):
    windows = np.lib.stride_tricks.sliding_window_view(arr, size, axis=dim)
    return np.take(windows, np.arange(0, arr.shape[dim] - size + 1, step), axis=dim)


@given(pair=tensors(shape=st.sampled_from([(5,), (2, 6), (3, 4, 5)])), data=st.data())
@hsettings(max_examples=30)
def test_unfold_matches_numpy_sliding_windows_on_any_layout(pair, data):
    arr, t = pair
    dim = data.draw(st.integers(-arr.ndim, arr.ndim - 1))
    size = data.draw(st.integers(0, arr.shape[dim]))
    step = data.draw(st.integers(1, 3))
    np.testing.assert_array_equal(to_numpy(t.unfold(dim, size, step)), _numpy_unfold(arr, dim % arr.ndim, size, step))


@pytest.mark.parametrize("dim,size,step", [(1, 2, 1), (0, 2, 2), (2, 3, 2), (-1, 1, 3)])
def test_unfold_gradients_by_finite_differences(dim, size, step):
    x = minitorch.randn(3, 4, 5, dtype=minitorch.float64, requires_grad=True)
    assert gradcheck(lambda a: a.unfold(dim, size, step), (x,))
    assert minitorch.autograd.gradgradcheck(lambda a: a.unfold(dim, size, step), (x,))


@pytest.mark.parametrize("args,error,message", [
    ((2, 5, 1), RuntimeError, "maximum size for tensor at dimension 2 is 4 but size is 5"),
    ((2, 2, 0), RuntimeError, "step is 0 but must be > 0"),
    ((2, -1, 1), RuntimeError, "size is -1 but must be >= 0"),
    ((3, 1, 1), IndexError, r"Dimension out of range \(expected to be in range of \[-3, 2\], but got 3\)")])
def test_unfold_bad_arguments(args, error, message):
    with pytest.raises(error, match=message):
        minitorch.zeros(2, 3, 4).unfold(*args)


@requires_torch
@pytest.mark.parametrize("shape,args", [((2, 3, 8, 8), (2, 4, 4)), ((2, 3, 8), (-1, 3, 2)), ((), (0, 1, 1))])
def test_unfold_values_nodes_and_gradients_match_torch(shape, args):
    data = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    got = []
    for lib in (minitorch, torch):
        x = lib.tensor(data, requires_grad=True)
        y = x.unfold(*args)
        (y * y).sum().backward()
        got.append((tuple(y.shape), y.detach().numpy(), x.grad.numpy(), type(y.grad_fn).__name__))
    assert got[0][0] == got[1][0]
    np.testing.assert_array_equal(got[0][1], got[1][1])
    np.testing.assert_allclose(got[0][2], got[1][2], rtol=1e-6)
    if shape:
        assert got[0][3] == got[1][3] == "UnfoldBackward0"
