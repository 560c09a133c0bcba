"""minitorch.vision.transforms: torchvision's transforms and the batch fast path.

Deterministic values are checked exactly against NumPy references (and bit for bit
against torch where it is installed: ToTensor/Normalize as torchvision computes them,
RandomRotation against torchvision's tensor rotation written in torch ops: affine grid +
grid_sample).  Random transforms are checked by property on fixed seeds: every output
is a crop of the padded image at an in-range offset and every offset is reachable.
PIL tests run only where Pillow is importable; everything else runs without it.
"""
import numpy as np
import pytest

import minitorch
from minitorch.utils.data import DataLoader, TensorDataset
from minitorch.vision import transforms as T
from minitorch.vision import _functional_transforms as F
from tests._compat import requires_torch, torch

try:
    from PIL import Image
except ImportError:  # pragma: no cover - depends on the environment
    Image = None

requires_pil = pytest.mark.skipif(Image is None, reason="Pillow is not installed")


def _u8(*shape, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=shape, dtype=np.uint8)


def _bits(x):
    """An array's exact bit pattern, so that -0.0 != 0.0 and NaNs compare."""
    arr = x.numpy() if isinstance(x, minitorch.Tensor) else np.asarray(x)
    return arr.dtype.str, arr.shape, arr.tobytes()


# ----- ToTensor / PILToTensor ----------------------------------------------------------

def test_to_tensor_uint8_hw_gives_1xhxw_float32_divided_by_255():
    img = _u8(5, 7)
    out = T.ToTensor()(img)
    assert out.dtype == minitorch.float32 and tuple(out.shape) == (1, 5, 7)
    assert _bits(out) == _bits(img[None].astype(np.float32) / np.float32(255))


def test_to_tensor_uint8_hwc_gives_chw():
    img = _u8(4, 6, 3)
    out = T.ToTensor()(img)
    assert tuple(out.shape) == (3, 4, 6)
    assert _bits(out) == _bits(img.transpose(2, 0, 1).astype(np.float32) / np.float32(255))


@requires_torch
def test_to_tensor_matches_torch_float_div_255_bitwise():
    img = _u8(28, 28, 3, seed=1)
    expected = torch.from_numpy(img.transpose(2, 0, 1).copy()).to(torch.float32).div(255)
    assert T.ToTensor()(img).numpy().tobytes() == expected.numpy().tobytes()


def test_to_tensor_other_dtypes_are_not_scaled():
    f = np.linspace(0, 3, 12).reshape(3, 4)
    out = T.ToTensor()(f)
    assert out.dtype == minitorch.float64 and out.numpy().tolist() == [f.tolist()]
    i = np.arange(24, dtype=np.int16).reshape(2, 4, 3)
    out = T.ToTensor()(i)
    assert out.dtype == minitorch.int16 and out.numpy().tolist() == i.transpose(2, 0, 1).tolist()


def test_to_tensor_uses_the_default_float_dtype():
    minitorch.set_default_dtype(minitorch.float64)
    try:
        out = T.ToTensor()(_u8(2, 2))
    finally:
        minitorch.set_default_dtype(minitorch.float32)
    assert out.dtype == minitorch.float64


def test_to_tensor_rejects_other_types_with_torchvisions_messages():
    with pytest.raises(TypeError, match=r"^pic should be PIL Image or ndarray. Got <class 'list'>$"):
        T.ToTensor()([[1, 2]])
    with pytest.raises(TypeError, match=r"pic should be PIL Image or ndarray. Got <class 'minitorch"):
        T.ToTensor()(minitorch.zeros(1, 2, 2))
    with pytest.raises(ValueError, match=r"^pic should be 2/3 dimensional. Got 4 dimensions.$"):
        T.ToTensor()(np.zeros((1, 2, 2, 1), np.uint8))


@requires_pil
def test_to_tensor_pil_modes_L_RGB_and_1():
    gray = _u8(5, 6)
    assert _bits(T.ToTensor()(Image.fromarray(gray, mode="L"))) == _bits(T.ToTensor()(gray))
    rgb = _u8(5, 6, 3)
    assert _bits(T.ToTensor()(Image.fromarray(rgb, mode="RGB"))) == _bits(T.ToTensor()(rgb))
    bw = Image.fromarray(gray > 127)  # mode '1': 0/1 pixels scaled to 0/255 before /255
    assert bw.mode == "1"
    assert T.ToTensor()(bw).numpy().tolist() == [(gray > 127).astype(np.float32).tolist()]


@requires_pil
def test_pil_to_tensor_keeps_uint8_and_gives_chw():
    rgb = _u8(5, 6, 3)
    out = T.PILToTensor()(Image.fromarray(rgb))
    assert out.dtype == minitorch.uint8 and out.numpy().tolist() == rgb.transpose(2, 0, 1).tolist()


def test_pil_to_tensor_rejects_arrays():
    with pytest.raises(TypeError, match=r"^pic should be PIL Image. Got <class 'numpy.ndarray'>$"):
        T.PILToTensor()(np.zeros((2, 2), np.uint8))


# ----- Normalize ------------------------------------------------------------------------

def test_normalize_per_channel_matches_numpy_reference_bitwise():
    x = np.random.default_rng(2).random((3, 8, 9), dtype=np.float32)
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    out = T.Normalize(mean, std)(minitorch.from_numpy(x))
    ref = (x - np.array(mean, np.float32)[:, None, None]) / np.array(std, np.float32)[:, None, None]
    assert _bits(out) == _bits(ref)


@requires_torch
def test_normalize_matches_torch_sub_div_bitwise():
    x = np.random.default_rng(3).random((2, 3, 5, 5), dtype=np.float32)
    mean, std = [0.1, 0.2, 0.3], [0.9, 0.5, 0.25]
    t = torch.from_numpy(x.copy())
    t.sub_(torch.as_tensor(mean).view(-1, 1, 1)).div_(torch.as_tensor(std).view(-1, 1, 1))
    assert T.Normalize(mean, std)(minitorch.from_numpy(x)).numpy().tobytes() == t.numpy().tobytes()


def test_normalize_is_out_of_place_unless_inplace():
    x = minitorch.ones(1, 2, 2)
    out = T.Normalize((0.5,), (0.25,))(x)
    assert x.tolist() == [[[1.0, 1.0], [1.0, 1.0]]] and out.tolist() == [[[2.0, 2.0], [2.0, 2.0]]]
    same = T.Normalize((0.5,), (0.25,), inplace=True)(x)
    assert same is x and x.tolist() == [[[2.0, 2.0], [2.0, 2.0]]]


def test_normalize_backpropagates_through_a_tensor_that_requires_grad():
    x = minitorch.ones(1, 2, 2, requires_grad=True)
    T.Normalize((0.5,), (0.25,))(x).sum().backward()
    assert x.grad.tolist() == [[[4.0, 4.0], [4.0, 4.0]]]


def test_normalize_sees_a_mean_list_changed_in_place():
    norm = T.Normalize([0.0], [1.0])
    x = minitorch.ones(1, 1, 1)
    assert norm(x).item() == 1.0
    norm.mean[0] = 1.0
    assert norm(x).item() == 0.0


def test_normalize_errors_match_torchvision():
    with pytest.raises(ValueError, match=r"^std evaluated to zero after conversion to torch.float32, "
                                         r"leading to division by zero.$"):
        T.Normalize((0.5,), (0.0,))(minitorch.ones(1, 2, 2))
    with pytest.raises(ValueError, match="std evaluated to zero"):  # 1e-50 underflows in float32
        T.Normalize((0.5,), (1e-50,))(minitorch.ones(1, 2, 2))
    with pytest.raises(TypeError, match=r"^img should be Tensor Image. Got <class 'numpy.ndarray'>$"):
        T.Normalize((0.5,), (0.5,))(np.ones((1, 2, 2), np.float32))
    with pytest.raises(TypeError, match=r"^Input tensor should be a float tensor. Got torch.uint8.$"):
        T.Normalize((0.5,), (0.5,))(minitorch.ones(1, 2, 2, dtype=minitorch.uint8))
    with pytest.raises(ValueError, match=r"^Expected tensor to be a tensor image of size \(\.\.\., C, H, W\)\. "
                                         r"Got tensor.size\(\) = torch.Size\(\[2, 2\]\)$"):
        T.Normalize((0.5,), (0.5,))(minitorch.ones(2, 2))
    with pytest.raises(RuntimeError, match=r"size of tensor a \(3\) must match the size of tensor b \(2\)"):
        T.Normalize((0.5, 0.5), (0.5, 0.5))(minitorch.ones(3, 2, 2))


# ----- Compose / Lambda -----------------------------------------------------------------

def test_compose_applies_in_order_and_reprs_like_torchvision():
    pipeline = T.Compose([T.Lambda(lambda s: s + "a"), T.Lambda(lambda s: s + "b")])
    assert pipeline("") == "ab"
    standard = T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))])
    assert repr(standard) == "Compose(\n    ToTensor()\n    Normalize(mean=(0.5,), std=(0.5,))\n)"
    assert repr(T.Compose([])) == "Compose(\n)"


def test_lambda_needs_a_callable():
    assert repr(T.Lambda(abs)) == "Lambda()"
    with pytest.raises(TypeError, match=r"^Argument lambd should be callable, got 'int'$"):
        T.Lambda(3)


# ----- RandomCrop -----------------------------------------------------------------------

def _offset_in(out: np.ndarray, padded: np.ndarray, h: int, w: int):
    """The (top, left) offsets at which ``out`` is a crop of ``padded``."""
    return [(i, j) for i in range(padded.shape[-2] - h + 1) for j in range(padded.shape[-1] - w + 1)
            if np.array_equal(padded[..., i:i + h, j:j + w], out)]


def test_random_crop_with_padding_is_a_crop_of_the_padded_image_at_every_offset():
    img = np.arange(1, 1 + 2 * 4 * 5, dtype=np.float32).reshape(2, 4, 5)  # distinct values: one offset fits
    padded = np.pad(img, ((0, 0), (2, 2), (2, 2)), constant_values=-1)
    crop = T.RandomCrop((4, 5), padding=2, fill=-1)
    seen = set()
    for seed in range(300):
        minitorch.manual_seed(seed)
        out = crop(minitorch.from_numpy(img))
        assert tuple(out.shape) == (2, 4, 5)
        offsets = _offset_in(out.numpy(), padded, 4, 5)
        assert len(offsets) == 1
        seen.add(offsets[0])
    assert seen == {(i, j) for i in range(5) for j in range(5)}


@pytest.mark.parametrize("mode", ["edge", "reflect", "symmetric"])
def test_random_crop_padding_modes_pad_like_numpy(mode):
    img = np.arange(20, dtype=np.uint8).reshape(4, 5)
    minitorch.manual_seed(0)
    out = T.RandomCrop((8, 9), padding=2, padding_mode=mode)(img)  # crop size = padded size
    assert out.tolist() == np.pad(img, 2, mode=mode).tolist()
    out = T.RandomCrop((5, 11), padding=(3, 0, 3, 1), padding_mode=mode)(minitorch.from_numpy(img[None]))
    assert out.numpy().tolist() == [np.pad(img, ((0, 1), (3, 3)), mode=mode).tolist()]


def test_random_crop_pad_if_needed_pads_both_sides_by_the_shortfall():
    img = np.arange(15, dtype=np.uint8).reshape(3, 5) + 1
    padded = np.pad(img, ((2, 2), (0, 0)))  # height 3 < 5: 2 rows on top and 2 at the bottom, as torchvision
    crop = T.RandomCrop(5, pad_if_needed=True)
    seen = set()
    for seed in range(100):
        minitorch.manual_seed(seed)
        offsets = _offset_in(crop(img), padded, 5, 5)
        assert len(offsets) == 1
        seen.add(offsets[0])
    assert seen == {(0, 0), (1, 0), (2, 0)}


def test_random_crop_same_seed_same_crop_for_tensor_array_and_pil():
    img = _u8(10, 12)
    crop = T.RandomCrop(6, padding=1)
    minitorch.manual_seed(5)
    from_array = crop(img)
    minitorch.manual_seed(5)
    from_tensor = crop(minitorch.from_numpy(img[None].copy()))
    assert isinstance(from_array, np.ndarray) and from_tensor.numpy()[0].tolist() == from_array.tolist()
    if Image is not None:
        minitorch.manual_seed(5)
        from_pil = crop(Image.fromarray(img))
        assert isinstance(from_pil, Image.Image) and np.asarray(from_pil).tolist() == from_array.tolist()


def test_random_crop_draws_offsets_with_minitorch_randint():
    minitorch.manual_seed(7)
    i, j, h, w = T.RandomCrop.get_params(minitorch.zeros(1, 10, 12), (4, 5))
    minitorch.manual_seed(7)
    assert (i, j) == (minitorch.randint(0, 7, size=(1,)).item(), minitorch.randint(0, 8, size=(1,)).item())
    assert (h, w) == (4, 5)


def test_random_crop_arguments_and_repr():
    assert repr(T.RandomCrop(28, padding=4)) == "RandomCrop(size=(28, 28), padding=4)"
    assert T.RandomCrop([5]).size == (5, 5)
    with pytest.raises(ValueError, match=r"^Please provide only two dimensions \(h, w\) for size.$"):
        T.RandomCrop((1, 2, 3))
    with pytest.raises(ValueError,
                       match=r"^Required crop size \(5, 5\) is larger than input image size \(3, 3\)$"):
        T.RandomCrop(5)(np.zeros((3, 3), np.uint8))
    with pytest.raises(ValueError, match="^Padding mode should be either constant, edge, reflect or symmetric"):
        T.RandomCrop(3, padding=1, padding_mode="wrap")(np.zeros((3, 3), np.uint8))
    with pytest.raises(ValueError, match="^Padding must be an int or a 1, 2, or 4 element tuple, not a 3 "):
        T.RandomCrop(3, padding=(1, 1, 1))(np.zeros((3, 3), np.uint8))


# ----- RandomRotation -------------------------------------------------------------------

def _rotate(img, angle, **kwargs):
    return T.RandomRotation((angle, angle), **kwargs)(img)


@pytest.mark.parametrize("size", [4, 5, 28])
@pytest.mark.parametrize("angle,k", [(0, 0), (90, 1), (180, 2), (-90, -1), (270, 3)])
def test_rotation_by_right_angles_is_np_rot90_counter_clockwise(size, angle, k):
    img = _u8(size, size, seed=size)
    expected = np.rot90(img, k).tolist()
    assert _rotate(img, angle).tolist() == expected
    assert _rotate(minitorch.from_numpy(img[None].copy()), angle).numpy()[0].tolist() == expected
    if Image is not None:
        assert np.asarray(_rotate(Image.fromarray(img), angle)).tolist() == expected


def test_rotation_fills_outside_and_keeps_the_shape():
    img = np.ones((3, 9, 9), np.float32)
    out = _rotate(minitorch.from_numpy(img), 45, fill=(7, 8, 9)).numpy()
    assert out.shape == (3, 9, 9)
    assert out[:, 0, 0].tolist() == [7, 8, 9] and out[:, 4, 4].tolist() == [1, 1, 1]
    out = _rotate(np.ones((9, 9), np.uint8), 45, fill=200)
    assert out.shape == (9, 9) and out[0, 0] == 200 and out[8, 8] == 200 and out[4, 4] == 1


def test_rotation_expand_grows_to_hold_the_image():
    img = _u8(4, 6)
    assert _rotate(img, 90, expand=True).tolist() == np.rot90(img).tolist()
    assert _rotate(img, 45, expand=True).shape == (8, 8)


@requires_pil
def test_pil_images_rotate_and_pad_with_pillow_as_torchvision_does():
    rgb = Image.fromarray(_u8(9, 11, 3))
    out = _rotate(rgb, 30, fill=(1, 2, 3))
    assert out.tobytes() == rgb.rotate(30, Image.NEAREST, False, None, fillcolor=(1, 2, 3)).tobytes()
    minitorch.manual_seed(0)
    padded = T.RandomCrop((13, 15), padding=2, fill=(7, 8, 9))(rgb)  # crop size = padded size
    assert isinstance(padded, Image.Image) and padded.getpixel((0, 0)) == (7, 8, 9)
    assert np.asarray(padded)[2:-2, 2:-2].tolist() == np.asarray(rgb).tolist()


def test_rotation_angle_is_drawn_from_minitorch_default_generator():
    img = minitorch.from_numpy(_u8(1, 11, 11))
    minitorch.manual_seed(3)
    out = T.RandomRotation(30)(img)
    minitorch.manual_seed(3)
    angle = float(minitorch.empty(1).uniform_(-30.0, 30.0).item())
    assert -30 <= angle <= 30
    assert _bits(out) == _bits(F.rotate(img, angle, fill=[0.0]))


def _torchvision_rotate(img: np.ndarray, angle: float, expand=False, center=None, fill=None):
    """torchvision's tensor rotation in torch ops: inverse matrix, affine grid of pixel
    centres scaled to [-1, 1], grid_sample(nearest, zeros, align_corners=False), and a
    ones channel whose zeros mark where the fill goes."""
    x = torch.from_numpy(img)
    dtype = x.dtype if x.is_floating_point() else torch.float32
    h, w = img.shape[-2:]
    c = [0.0, 0.0] if center is None else [center[0] - w * 0.5, center[1] - h * 0.5]
    m = F._inverse_rotation_matrix(angle, c)
    ow, oh = F._rotated_size(m, w, h) if expand else (w, h)
    theta = torch.tensor(m, dtype=dtype).reshape(1, 2, 3)
    base = torch.empty(1, oh, ow, 3, dtype=dtype)
    base[..., 0].copy_(torch.linspace(-ow * 0.5 + 0.5, ow * 0.5 - 0.5, steps=ow))
    base[..., 1].copy_(torch.linspace(-oh * 0.5 + 0.5, oh * 0.5 - 0.5, steps=oh).unsqueeze_(-1))
    base[..., 2].fill_(1)
    scaled = theta.transpose(1, 2) / torch.tensor([0.5 * w, 0.5 * h], dtype=dtype)
    grid = base.view(1, oh * ow, 3).bmm(scaled).view(1, oh, ow, 2)
    src = torch.cat([x[None].to(dtype), torch.ones(1, 1, h, w, dtype=dtype)], dim=1)
    out = torch.nn.functional.grid_sample(src, grid, mode="nearest", padding_mode="zeros", align_corners=False)
    out, mask = out[0, :-1], out[0, -1:].expand(img.shape[0], oh, ow)
    if fill is not None:
        values = torch.tensor(fill, dtype=dtype).view(-1, 1, 1).expand_as(out)
        out[mask < 0.5] = values[mask < 0.5]
    if not x.is_floating_point():
        out = torch.round(out).to(x.dtype)
    return out.numpy()


@requires_torch
@pytest.mark.parametrize("dtype,shape", [(np.uint8, (1, 28, 28)), (np.float32, (3, 7, 10)),
                                         (np.float32, (1, 6, 3)), (np.float64, (2, 9, 6)),
                                         (np.float64, (1, 3, 6))])
def test_rotation_matches_torchvision_tensor_rotation_bitwise(dtype, shape):
    rng = np.random.default_rng(4)
    img = (rng.integers(0, 256, size=shape) if dtype == np.uint8 else rng.random(shape)).astype(dtype)
    angles = list(np.linspace(-180, 180, 73)) + list(rng.uniform(-45, 45, 40))
    for angle in angles:
        for kwargs in ({}, {"fill": [5.0] * shape[0]}, {"expand": True}, {"center": [2, 3], "fill": [1.0]}):
            out = F.rotate(minitorch.from_numpy(img), float(angle), **kwargs)
            expected = _torchvision_rotate(img, float(angle), **kwargs)
            assert _bits(out) == _bits(expected), (angle, kwargs)


def test_rotation_arguments_and_repr():
    assert repr(T.RandomRotation(10)) == \
        "RandomRotation(degrees=[-10.0, 10.0], interpolation=nearest, expand=False, fill=0)"
    assert repr(T.RandomRotation((0, 5), expand=True, center=(1, 2), fill=3)) == \
        "RandomRotation(degrees=[0.0, 5.0], interpolation=nearest, expand=True, center=(1, 2), fill=3)"
    assert T.RandomRotation(5, interpolation=0).interpolation is T.InterpolationMode.NEAREST
    with pytest.raises(ValueError, match="^If degrees is a single number, it must be positive.$"):
        T.RandomRotation(-1)
    with pytest.raises(ValueError, match=r"^degrees should be a sequence of length 2.$"):
        T.RandomRotation((1, 2, 3))
    with pytest.raises(TypeError, match=r"^center should be a sequence of length 2.$"):
        T.RandomRotation(5, center=3)
    with pytest.raises(TypeError, match="^Fill should be either a sequence or a number.$"):
        T.RandomRotation(5, fill=object())
    with pytest.raises(ValueError, match=r"cannot broadcast to match the number of channels of the image \(2 != 3"):
        T.RandomRotation(5, fill=(1, 2))(minitorch.zeros(3, 4, 4))
    with pytest.raises(ValueError, match="Interpolation mode 'bilinear' is unsupported with Tensor input"):
        T.RandomRotation(5, interpolation=T.InterpolationMode.BILINEAR)(minitorch.zeros(1, 4, 4))
    with pytest.raises(TypeError, match=r"^Argument angle should be int or float$"):
        F.rotate(minitorch.zeros(1, 4, 4), "90")


# ----- the batch fast path --------------------------------------------------------------

@pytest.mark.parametrize("shape,mean,std", [((64, 28, 28), (0.5,), (0.5,)),
                                            ((64, 28, 28), (0.1307,), (0.3081,)),
                                            ((16, 5, 7, 3), (0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])
def test_batch_is_bitwise_equal_to_the_per_sample_path(shape, mean, std):
    images = _u8(*shape, seed=9)
    transform = T.Compose([T.ToTensor(), T.Normalize(mean, std)])
    per_sample = np.stack([transform(img).numpy() for img in images])
    assert _bits(transform.batch(images)) == _bits(per_sample)
    assert _bits(transform.batch(minitorch.from_numpy(images))) == _bits(per_sample)
    assert _bits(T.ToTensor().batch(images)) == _bits(np.stack([T.ToTensor()(img).numpy() for img in images]))


def test_batch_of_float_images_runs_the_steps_one_by_one():
    images = np.random.default_rng(1).random((4, 3, 3))
    transform = T.Compose([T.ToTensor(), T.Normalize((0.5,), (2.0,))])
    per_sample = np.stack([transform(img).numpy() for img in images])
    assert _bits(transform.batch(images)) == _bits(per_sample)


def test_supports_batch_only_for_deterministic_transforms():
    assert T.supports_batch(T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))]))
    assert not T.supports_batch(T.Compose([T.RandomCrop(28, padding=4), T.ToTensor()]))
    assert not T.supports_batch(T.Lambda(abs))
    with pytest.raises(TypeError, match="RandomCrop.* has no batch form"):
        T.Compose([T.ToTensor(), T.RandomCrop(2)]).batch(np.zeros((2, 3, 3), np.float32))


class _FakeMNIST:
    """MNIST's interface: uint8 ``data`` (N, 28, 28), int64 ``targets``; ``dataset[i]`` is
    ``(transform(image), int)`` with the image a PIL Image when Pillow is there."""

    def __init__(self, n, transform=None, target_transform=None, use_pil=False):
        self.data = minitorch.from_numpy(_u8(n, 28, 28, seed=n))
        self.targets = minitorch.from_numpy(np.arange(n, dtype=np.int64) % 10)
        self.transform, self.target_transform, self.use_pil = transform, target_transform, use_pil

    def __getitem__(self, index):
        img, target = self.data[index].numpy(), int(self.targets[index])
        if self.use_pil:
            img = Image.fromarray(img, mode="L")
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self):
        return len(self.data)


@pytest.mark.parametrize("use_pil", [False, pytest.param(True, marks=requires_pil)])
def test_apply_to_dataset_gives_the_same_batches_as_the_per_sample_loader(use_pil):
    transform = T.Compose([T.ToTensor(), T.Normalize((0.1307,), (0.3081,))])
    dataset = _FakeMNIST(300, transform, use_pil=use_pil)
    fast = T.apply_to_dataset(dataset)
    assert isinstance(fast, TensorDataset) and len(fast) == 300
    image, target = fast[7]
    assert _bits(image) == _bits(dataset[7][0]) and target.item() == dataset[7][1]
    for seed in (0, 1):
        minitorch.manual_seed(seed)
        slow_batches = [(x.numpy().copy(), y.tolist()) for x, y in DataLoader(dataset, 64, shuffle=True)]
        minitorch.manual_seed(seed)
        fast_batches = [(x.numpy().copy(), y.tolist()) for x, y in DataLoader(fast, 64, shuffle=True)]
        assert len(slow_batches) == len(fast_batches) == 5
        for (xs, ys), (xf, yf) in zip(slow_batches, fast_batches):
            assert _bits(xs) == _bits(xf) and ys == yf


def test_apply_to_dataset_applies_target_transform_and_needs_a_batch_transform():
    dataset = _FakeMNIST(10, T.ToTensor(), target_transform=lambda t: 9 - t)
    assert T.apply_to_dataset(dataset).tensors[1].tolist() == [9 - t for t in dataset.targets.tolist()]
    with pytest.raises(ValueError, match="needs a transform with a batch form"):
        T.apply_to_dataset(_FakeMNIST(10, T.Compose([T.RandomRotation(10), T.ToTensor()])))
    with pytest.raises(ValueError, match="needs a transform with a batch form"):
        T.apply_to_dataset(_FakeMNIST(10))


def test_positive_angles_rotate_counter_clockwise():
    img = np.zeros((3, 3), np.uint8)
    img[1, 2] = 1  # right of the centre ...
    assert _rotate(img, 90)[0, 1] == 1  # ... goes above it
    assert _rotate(img, -90)[2, 1] == 1
