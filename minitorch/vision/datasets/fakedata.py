"""FakeData: random images and labels, each drawn from a seed derived from its index, so
``dataset[i]`` is the same image every time and the same one torchvision's FakeData gives."""
from __future__ import annotations

from typing import Any, Callable, Optional, Tuple

import numpy as np

from ... import dtypes, random
from .vision import VisionDataset

try:
    from PIL import Image as _PILImage
except ImportError:  # Pillow is optional: images are then NumPy arrays
    _PILImage = None

__all__ = ["FakeData"]


class FakeData(VisionDataset):
    """A dataset of ``size`` random images of ``image_size`` (C, H, W) with targets in
    [0, num_classes).

    Image i is drawn as torchvision draws it: seed the default generator with
    ``i + random_offset``, ``randn(*image_size)`` then one ``randint(0, num_classes)``,
    and restore the generator's state afterwards (the caller's random stream is not
    disturbed). The image is then converted as ``ToPILImage`` converts a float tensor
    (``mul(255)``, then to uint8 wrapping around as PyTorch's ``byte()`` does): a PIL
    Image ('L', 'LA', 'RGB' or 'RGBA' by channel count) when Pillow is installed, else the
    uint8 array (H, W, C), or (H, W) for one channel. The target is a Python int.
    """

    def __init__(self, size: int = 1000, image_size: Tuple[int, int, int] = (3, 224, 224), num_classes: int = 10,
                 transform: Optional[Callable] = None, target_transform: Optional[Callable] = None,
                 random_offset: int = 0) -> None:
        super().__init__(None, transform=transform, target_transform=target_transform)
        self.size = size
        self.num_classes = num_classes
        self.image_size = image_size
        self.random_offset = random_offset

    def __getitem__(self, index: int) -> Tuple[Any, Any]:
        """``(image, target)`` for index (see the class docstring)."""
        if index >= len(self):
            raise IndexError(f"{self.__class__.__name__} index out of range")
        rng_state = random.get_rng_state()
        random.manual_seed(index + self.random_offset)
        img = random.randn(*self.image_size)
        target = random.randint(0, self.num_classes, size=(1,), dtype=dtypes.int64)[0]
        random.set_rng_state(rng_state)

        img = _to_image(img)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target.item() if hasattr(target, "item") else target

    def __len__(self) -> int:
        return self.size


def _to_image(img):
    """ToPILImage of a float (C, H, W) or (H, W) tensor: x * 255 to uint8 (wrapping), channels last."""
    pixels = img.mul(255).to(dtypes.uint8).numpy()
    if pixels.ndim == 2:
        pixels = pixels[None]
    if pixels.ndim != 3 or pixels.shape[0] > 4:
        raise ValueError(f"pic should not have > 4 channels. Got {pixels.shape[0]} channels."
                         if pixels.ndim == 3 else f"pic should be 2/3 dimensional. Got {pixels.ndim} dimensions.")
    pixels = np.ascontiguousarray(pixels.transpose(1, 2, 0))
    if pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    return _PILImage.fromarray(pixels) if _PILImage is not None else pixels
