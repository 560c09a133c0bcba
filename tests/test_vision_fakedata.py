"""FakeData: image i is torchvision's (seed i + random_offset, randn(*image_size), one
randint for the target, ToPILImage's conversion), and the caller's random stream is left
as it was."""
import numpy as np
import pytest

import minitorch
from minitorch.utils.data import DataLoader
from minitorch.vision import datasets, transforms
from tests._compat import requires_torch, torch


@pytest.fixture
def no_pillow(monkeypatch):
    from minitorch.vision.datasets import fakedata
    monkeypatch.setattr(fakedata, "_PILImage", None)


@requires_torch
@pytest.mark.parametrize("image_size, num_classes, offset", [((3, 8, 6), 7, 0), ((1, 5, 5), 3, 11), ((4, 2, 3), 10, 2),
                                                             ((6, 4), 5, 1)])
def test_each_image_is_torchvisions_draw(no_pillow, image_size, num_classes, offset):
    data = datasets.FakeData(size=6, image_size=image_size, num_classes=num_classes, random_offset=offset)
    for i in range(6):
        img, target = data[i]
        torch.manual_seed(i + offset)  # torchvision's FakeData.__getitem__, then ToPILImage's conversion
        expected = torch.randn(*image_size).mul(255).byte().numpy()
        expected_target = torch.randint(0, num_classes, size=(1,), dtype=torch.long)[0].item()
        expected = expected[None] if expected.ndim == 2 else expected
        expected = expected.transpose(1, 2, 0)
        np.testing.assert_array_equal(img, expected[:, :, 0] if expected.shape[2] == 1 else expected)
        assert target == expected_target and type(target) is int


def test_images_are_repeatable_and_leave_the_random_stream_alone(no_pillow):
    data = datasets.FakeData(size=4, image_size=(3, 5, 5))
    minitorch.manual_seed(0)
    expected_next = minitorch.rand(3)
    minitorch.manual_seed(0)
    first = data[2][0]
    assert minitorch.equal(minitorch.rand(3), expected_next)
    np.testing.assert_array_equal(data[2][0], first)
    assert not np.array_equal(data[1][0], first)
    # the pixels are randn * 255 wrapped into uint8, as ToPILImage converts it
    minitorch.manual_seed(2)
    wrapped = (minitorch.randn(3, 5, 5).numpy() * np.float32(255)).astype(np.int64) % 256
    np.testing.assert_array_equal(first, wrapped.astype(np.uint8).transpose(1, 2, 0))


def test_random_offset_shifts_the_seeds(no_pillow):
    plain, shifted = datasets.FakeData(size=5, image_size=(3, 4, 4)), datasets.FakeData(size=5, image_size=(3, 4, 4),
                                                                                        random_offset=2)
    np.testing.assert_array_equal(shifted[1][0], plain[3][0])
    assert shifted[1][1] == plain[3][1]


def test_length_index_errors_transforms_and_repr(no_pillow):
    data = datasets.FakeData(size=3, image_size=(3, 4, 4), transform=transforms.ToTensor(),
                             target_transform=lambda t: t + 1)
    assert len(data) == 3
    with pytest.raises(IndexError, match="^FakeData index out of range$"):
        data[3]
    image, target = data[0]
    plain_image, plain_target = datasets.FakeData(size=3, image_size=(3, 4, 4))[0]
    assert tuple(image.shape) == (3, 4, 4) and image.dtype == minitorch.float32
    np.testing.assert_allclose(image.numpy(), plain_image.transpose(2, 0, 1) / 255, rtol=1e-6)
    assert target == plain_target + 1
    assert repr(data).splitlines()[:2] == ["Dataset FakeData", "    Number of datapoints: 3"]
    images, targets = next(iter(DataLoader(data, batch_size=3)))
    assert tuple(images.shape) == (3, 3, 4, 4) and targets.dtype == minitorch.int64


def test_images_are_pil_images_where_pillow_is_installed():
    Image = pytest.importorskip("PIL.Image")
    rgb, grey = datasets.FakeData(size=2, image_size=(3, 6, 5))[1][0], datasets.FakeData(size=2, image_size=(1, 6, 5))[1][0]
    assert isinstance(rgb, Image.Image) and rgb.mode == "RGB" and rgb.size == (5, 6)
    assert grey.mode == "L"
