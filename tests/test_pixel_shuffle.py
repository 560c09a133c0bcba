"""F.pixel_shuffle / F.pixel_unshuffle and their modules: against PyTorch where installed,
against a NumPy index formula and finite differences always."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import minitorch
import minitorch.nn.functional as F
from minitorch.autograd import gradcheck

from ._compat import requires_torch, torch
from .strategies import hsettings, tensors, to_numpy


def _numpy_shuffle(x, r):
    """out[..., c, h*r + i, w*r + j] = x[..., c*r*r + i*r + j, h, w], element by element."""
    *batch, cr2, h, w = x.shape
    out = np.empty((*batch, cr2 // (r * r), h * r, w * r), x.dtype)
    for c in range(cr2 // (r * r)):
        for i in range(r):
            for j in range(r):
                out[..., c, i::r, j::r] = x[..., c * r * r + i * r + j, :, :]
    return out


@given(pair=tensors(shape=st.sampled_from([(1, 4, 2, 3), (2, 8, 1, 2), (9, 2, 2), (2, 1, 4, 1, 1)])))
@hsettings(max_examples=25)
def test_pixel_shuffle_matches_the_index_formula_on_any_layout(pair):
    arr, t = pair
    r = 3 if arr.shape[-3] == 9 else 2
    out = F.pixel_shuffle(t, r)
    np.testing.assert_array_equal(to_numpy(out), _numpy_shuffle(arr, r))
    assert out.is_contiguous()
    np.testing.assert_array_equal(to_numpy(F.pixel_unshuffle(out, r)), arr)


def test_pixel_shuffle_gradients_by_finite_differences():
    x = minitorch.randn(2, 8, 2, 3, dtype=minitorch.float64, requires_grad=True)
    assert gradcheck(lambda a: F.pixel_shuffle(a, 2), (x,))
    y = minitorch.randn(1, 2, 4, 6, dtype=minitorch.float64, requires_grad=True)
    assert gradcheck(lambda a: F.pixel_unshuffle(a, 2), (y,))


def test_pixel_shuffle_modules_print_and_compute_as_the_functions():
    shuffle, unshuffle = minitorch.nn.PixelShuffle(3), minitorch.nn.PixelUnshuffle(2)
    assert repr(shuffle) == "PixelShuffle(upscale_factor=3)"
    assert repr(unshuffle) == "PixelUnshuffle(downscale_factor=2)"
    x = minitorch.randn(1, 9, 2, 2)
    assert minitorch.equal(shuffle(x), minitorch.pixel_shuffle(x, 3))
    assert type(F.pixel_shuffle(x.requires_grad_(), 3).grad_fn).__name__ == "PixelShuffleBackward0"


_BAD = [("pixel_shuffle", (2, 7, 3, 3), 2, RuntimeError, "'channel' dimension to be divisible by the square"),
        ("pixel_shuffle", (7, 3), 2, RuntimeError, "at least 3 dimensions, but got input with 2 dimension"),
        ("pixel_unshuffle", (1, 3, 5, 4), 2, RuntimeError, r"height to be divisible .* input.size\(-2\)=5"),
        ("pixel_unshuffle", (1, 3, 4, 5), 2, RuntimeError, r"width to be divisible .* input.size\(-1\)=5"),
        ("pixel_shuffle", (1, 4, 2, 2), 0, RuntimeError, "expects a positive upscale_factor, but got 0"),
        ("pixel_shuffle", (1, 4, 2, 2), 2.0, TypeError, "argument 'upscale_factor' .* must be int, not float")]


@pytest.mark.parametrize("name,shape,factor,error,message", _BAD)
def test_pixel_shuffle_bad_input_errors(name, shape, factor, error, message):
    with pytest.raises(error, match=message):
        getattr(F, name)(minitorch.zeros(*shape), factor)


@requires_torch
@pytest.mark.parametrize("name,shape,factor,error,message", _BAD)
def test_pixel_shuffle_errors_are_torchs(name, shape, factor, error, message):
    with pytest.raises(error) as ours:
        getattr(F, name)(minitorch.zeros(*shape), factor)
    with pytest.raises(error) as theirs:
        getattr(torch.nn.functional, name)(torch.zeros(*shape), factor)
    assert str(ours.value) == str(theirs.value)


@requires_torch
def test_pixel_shuffle_values_and_gradients_match_torch():
    data = np.random.default_rng(1).standard_normal((2, 3, 8, 2, 2)).astype(np.float32)
    weight = np.random.default_rng(2).standard_normal((2, 3, 2, 4, 4)).astype(np.float32)
    grads = []
    for lib in (minitorch, torch):
        x = lib.tensor(data, requires_grad=True)
        out = lib.nn.functional.pixel_shuffle(x.transpose(0, 1), 2)
        (out * lib.tensor(weight).transpose(0, 1)).sum().backward()
        grads.append((out.detach().numpy(), x.grad.numpy()))
    np.testing.assert_array_equal(grads[0][0], grads[1][0])
    np.testing.assert_array_equal(grads[0][1], grads[1][1])
