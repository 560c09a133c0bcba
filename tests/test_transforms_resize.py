"""Resize, CenterCrop, RandomResizedCrop, RandomHorizontalFlip: against an exact float64
reference of antialiased bilinear resampling, NumPy, and PyTorch's interpolate where installed."""
import math

import numpy as np
import pytest

import minitorch
from minitorch.vision import transforms as T
from minitorch.vision._resize import resize_array

from ._compat import requires_torch, torch

_SIZES = [(40, 40, 32, 32), (10, 13, 20, 7), (17, 9, 5, 3), (40, 30, 40, 11), (28, 28, 32, 32), (6, 8, 6, 8)]


def _exact(a, h, w):
    """Antialiased bilinear in float64 (a triangle filter stretched by the scale when shrinking)."""
    def axis(x, ax, out):
        n = x.shape[ax]
        scale = n / out
        fs = max(scale, 1.0)
        m = np.zeros((out, n))
        for i in range(out):
            c = (i + 0.5) * scale
            for j in range(n):
                m[i, j] = max(0.0, 1.0 - abs((j + 0.5 - c) / fs))
            m[i] /= m[i].sum()
        return np.moveaxis(np.tensordot(m, np.moveaxis(x, ax, 0), axes=1), 0, ax)
    return axis(axis(a.astype(np.float64), -1, w), -2, h)


@pytest.mark.parametrize("H,W,h,w", _SIZES)
def test_resize_float_tensors_match_the_exact_resampling(H, W, h, w):
    x = np.random.default_rng(0).standard_normal((3, H, W)).astype(np.float32)
    got = T.Resize((h, w))(minitorch.tensor(x))
    assert tuple(got.shape) == (3, h, w) and got.dtype is minitorch.float32
    np.testing.assert_allclose(got.numpy(), _exact(x, h, w), atol=2e-6)


@pytest.mark.parametrize("H,W,h,w", _SIZES)
def test_resize_uint8_arrays_round_the_exact_resampling(H, W, h, w):
    x = np.random.default_rng(1).integers(0, 256, (H, W, 3)).astype(np.uint8)
    got = T.Resize((h, w))(x)
    assert got.shape == (h, w, 3) and got.dtype == np.uint8
    exact = np.clip(_exact(np.moveaxis(x, -1, 0), h, w), 0, 255)
    assert np.abs(np.moveaxis(got, -1, 0).astype(np.float64) - exact).max() <= 1.0


def test_resize_int_size_sets_the_short_side_and_max_size_caps_the_long():
    x = minitorch.zeros(3, 40, 60)
    assert tuple(T.Resize(20)(x).shape) == (3, 20, 30)
    assert tuple(T.Resize(20, max_size=24)(x).shape) == (3, 16, 24)
    assert T.Resize((40, 60))(x) is x
    assert repr(T.Resize(20)) == "Resize(size=20, interpolation=bilinear, max_size=None, antialias=True)"
    with pytest.raises(ValueError, match="max_size = 20 must be strictly greater"):
        T.Resize(20, max_size=20)(x)
    with pytest.raises(NotImplementedError, match="interpolation=nearest"):
        T.Resize(20, interpolation=T.InterpolationMode.NEAREST)


@requires_torch
@pytest.mark.parametrize("H,W,h,w", _SIZES)
def test_resize_matches_torch_antialiased_interpolate(H, W, h, w):
    x = np.random.default_rng(2).standard_normal((2, 3, H, W)).astype(np.float32)
    theirs = torch.nn.functional.interpolate(torch.from_numpy(x), size=(h, w), mode="bilinear", antialias=True)
    np.testing.assert_allclose(T.Resize((h, w))(minitorch.tensor(x)).numpy(), theirs.numpy(), rtol=0, atol=3e-7)
    pixels = np.random.default_rng(3).integers(0, 256, (1, 3, H, W)).astype(np.uint8)
    theirs = torch.nn.functional.interpolate(torch.from_numpy(pixels), size=(h, w), mode="bilinear", antialias=True)
    ours = T.Resize((h, w))(minitorch.from_numpy(pixels)).numpy()
    assert np.abs(ours.astype(int) - theirs.numpy().astype(int)).max() <= 1


def test_center_crop_takes_the_middle_and_pads_small_images():
    x = np.arange(7 * 6).reshape(7, 6).astype(np.uint8)
    np.testing.assert_array_equal(T.CenterCrop((3, 2))(x), x[2:5, 2:4])
    t = minitorch.arange(12.0).reshape(1, 3, 4)
    np.testing.assert_array_equal(T.CenterCrop(2)(t).numpy(), t.numpy()[:, 0:2, 1:3])
    padded = T.CenterCrop(5)(t)
    assert tuple(padded.shape) == (1, 5, 5) and padded.sum().item() == t.sum().item()
    assert repr(T.CenterCrop(3)) == "CenterCrop(size=(3, 3))"


def test_random_horizontal_flip_draws_once_and_flips_below_p():
    x = minitorch.arange(6.0).reshape(1, 2, 3)
    minitorch.manual_seed(0)
    draws = [minitorch.rand(1).item() for _ in range(6)]
    minitorch.manual_seed(0)
    flip = T.RandomHorizontalFlip(0.5)
    for d in draws:
        expected = x.numpy()[..., ::-1] if d < 0.5 else x.numpy()
        np.testing.assert_array_equal(flip(x).numpy(), expected)
    assert repr(flip) == "RandomHorizontalFlip(p=0.5)"
    np.testing.assert_array_equal(T.RandomHorizontalFlip(1.0)(np.eye(3, 4, dtype=np.uint8)), np.eye(3, 4)[:, ::-1])


def test_random_resized_crop_box_follows_torchvisions_draws():
    img = minitorch.zeros(3, 40, 30)
    minitorch.manual_seed(5)
    i, j, h, w = T.RandomResizedCrop.get_params(img, (0.08, 1.0), (3 / 4, 4 / 3))
    minitorch.manual_seed(5)
    area = 1200 * minitorch.empty(1).uniform_(0.08, 1.0).item()
    log_ratio = minitorch.tensor((3 / 4, 4 / 3)).log()
    ratio = minitorch.empty(1).uniform_(log_ratio[0].item(), log_ratio[1].item()).exp().item()
    assert (h, w) == (int(round(math.sqrt(area / ratio))), int(round(math.sqrt(area * ratio))))
    assert 0 <= i <= 40 - h and 0 <= j <= 30 - w
    out = T.RandomResizedCrop(16)(np.zeros((40, 30, 3), np.uint8))
    assert out.shape == (16, 16, 3)
    assert repr(T.RandomResizedCrop(16)) == ("RandomResizedCrop(size=(16, 16), scale=(0.08, 1.0), ratio=(0.75, 1.3333), "
                                             "interpolation=bilinear, antialias=True)")


def test_random_resized_crop_falls_back_to_a_central_crop():
    img = minitorch.zeros(1, 10, 100)  # no box of ratio <= 4/3 and area >= 90% fits in ten tries
    i, j, h, w = T.RandomResizedCrop.get_params(img, (0.9, 1.0), (3 / 4, 4 / 3))
    assert (i, j, h, w) == (0, (100 - 13) // 2, 10, 13)


def test_to_pil_image_scales_floats_and_puts_channels_last():
    x = minitorch.tensor([[[0.0, 0.5], [1.0, 0.25]], [[0.1, 0.2], [0.3, 0.4]], [[1.0, 0.0], [0.0, 1.0]]])
    image = T.ToPILImage()(x)
    expected = (x.numpy() * 255).astype(np.uint8).transpose(1, 2, 0)
    np.testing.assert_array_equal(np.asarray(image), expected)
    gray = T.ToPILImage()(minitorch.tensor([[0, 255]], dtype=minitorch.uint8))
    np.testing.assert_array_equal(np.asarray(gray), [[0, 255]])
    assert repr(T.ToPILImage()) == "ToPILImage()"
    with pytest.raises(ValueError, match="pic should not have > 4 channels. Got 5 channels."):
        T.ToPILImage()(minitorch.zeros(5, 2, 2))
    with pytest.raises(NotImplementedError, match="ToPILImage\\(mode='RGB'\\)"):
        T.ToPILImage(mode="RGB")
