"""The resizing and flipping transforms: Resize, CenterCrop, RandomResizedCrop,
RandomHorizontalFlip, with torchvision's arguments, random draws and reprs; and ToPILImage.

Images: (..., C, H, W) tensors, (H, W[, C]) uint8 arrays (what the datasets give without
Pillow) or PIL images. Resizing is antialiased bilinear (see _resize.py): Pillow's own
``resize`` for PIL images, Pillow's arithmetic for uint8 arrays and tensors, ATen's for float
tensors. Other interpolation modes raise NotImplementedError.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np

from .. import dtypes
from .._creation import empty, from_numpy, tensor
from ..random import rand, randint
from ..tensor import Tensor
from . import _functional_transforms as F
from ._functional_transforms import InterpolationMode
from ._resize import resize_array, resized_output_size

__all__ = ["Resize", "CenterCrop", "RandomResizedCrop", "RandomHorizontalFlip", "ToPILImage"]


def _size_pair(size, error_msg: str) -> tuple[int, int]:
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError(error_msg)
    return tuple(size)


def _check_bilinear(interpolation) -> InterpolationMode:
    mode = F.interpolation_mode(interpolation)
    if mode is not InterpolationMode.BILINEAR:
        raise NotImplementedError(f"Resize with interpolation={mode.value} is not supported by minitorch yet: only "
                                  "InterpolationMode.BILINEAR (the default)")
    return mode


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """img resized to size (an int: the short side, keeping the aspect ratio)."""
    _check_bilinear(interpolation)
    if not antialias:
        raise NotImplementedError("Resize(antialias=False) is not supported by minitorch yet")
    _, height, width = F.get_dimensions(img)
    new_h, new_w = resized_output_size(height, width, size, max_size)
    if [height, width] == [new_h, new_w]:
        return img
    if F._is_pil_image(img):
        return img.resize((new_w, new_h), 2)  # Image.BILINEAR, as torchvision calls Pillow
    if isinstance(img, Tensor):
        array = F._image_array(img, "resize")
        out = resize_array(array if array.dtype == np.uint8 else array.astype(np.float32, copy=False),
                           new_h, new_w, array.ndim - 2)
        result = from_numpy(np.ascontiguousarray(out))
        return result if img.dtype in (dtypes.uint8, dtypes.float32) else result.to(img.dtype)
    if img.dtype != np.uint8:
        raise TypeError(f"resize of a NumPy image needs uint8 pixels (a PIL image's), got {img.dtype}")
    return resize_array(img, new_h, new_w, 0)


def hflip(img):
    """img mirrored left to right."""
    if F._is_pil_image(img):
        return img.transpose(0)  # Image.FLIP_LEFT_RIGHT
    if isinstance(img, Tensor):
        return img.flip(-1)
    return np.ascontiguousarray(img[:, ::-1])


def center_crop(img, output_size):
    """The central box of output_size, zero-padded first when the image is smaller."""
    crop_height, crop_width = _size_pair(output_size, "Please provide only two dimensions (h, w) for size.")
    _, image_height, image_width = F.get_dimensions(img)
    if crop_width > image_width or crop_height > image_height:
        padding = [(crop_width - image_width) // 2 if crop_width > image_width else 0,
                   (crop_height - image_height) // 2 if crop_height > image_height else 0,
                   (crop_width - image_width + 1) // 2 if crop_width > image_width else 0,
                   (crop_height - image_height + 1) // 2 if crop_height > image_height else 0]
        img = F.pad(img, padding, fill=0)
        _, image_height, image_width = F.get_dimensions(img)
        if crop_width == image_width and crop_height == image_height:
            return img
    top = int(round((image_height - crop_height) / 2.0))
    left = int(round((image_width - crop_width) / 2.0))
    return F.crop(img, top, left, crop_height, crop_width)


class Resize:
    """Resize to size: (h, w), or an int for the short side (aspect ratio kept, the long side
    at most max_size). Antialiased bilinear."""

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True) -> None:
        if not isinstance(size, (int, Sequence)):
            raise TypeError(f"Size should be int or sequence. Got {type(size)}")
        if isinstance(size, Sequence) and len(size) not in (1, 2):
            raise ValueError("If size is a sequence, it should have 1 or 2 values")
        self.size = size
        self.max_size = max_size
        self.interpolation = _check_bilinear(interpolation)
        self.antialias = antialias

    def __call__(self, img):
        return resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    forward = __call__

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(size={self.size}, interpolation={self.interpolation.value}, "
                f"max_size={self.max_size}, antialias={self.antialias})")


class CenterCrop:
    """Crop the central (h, w) box (an int: a square), zero-padding smaller images."""

    def __init__(self, size) -> None:
        self.size = _size_pair(size, "Please provide only two dimensions (h, w) for size.")

    def __call__(self, img):
        return center_crop(img, self.size)

    forward = __call__

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(size={self.size})"


class RandomHorizontalFlip:
    """Mirror the image left to right with probability p (one ``rand(1)`` draw per call)."""

    def __init__(self, p: float = 0.5) -> None:
        self.p = p

    def __call__(self, img):
        if rand(1) < self.p:
            return hflip(img)
        return img

    forward = __call__

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(p={self.p})"


class RandomResizedCrop:
    """Crop a random box (area a fraction in ``scale`` of the image's, aspect ratio in
    ``ratio``, log-uniformly), then resize it to size, as torchvision draws it."""

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0),
                 interpolation=InterpolationMode.BILINEAR, antialias=True) -> None:
        self.size = _size_pair(size, "Please provide only two dimensions (h, w) for size.")
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        self.interpolation = _check_bilinear(interpolation)
        self.antialias = antialias
        self.scale = scale
        self.ratio = ratio

    @staticmethod
    def get_params(img, scale, ratio) -> tuple[int, int, int, int]:
        """(top, left, height, width) of the random box: up to ten draws, else a central crop."""
        _, height, width = F.get_dimensions(img)
        area = height * width
        log_ratio = tensor(ratio).log()
        for _ in range(10):
            target_area = area * empty(1).uniform_(scale[0], scale[1]).item()
            aspect_ratio = empty(1).uniform_(log_ratio[0].item(), log_ratio[1].item()).exp().item()
            w = int(round(math.sqrt(target_area * aspect_ratio)))
            h = int(round(math.sqrt(target_area / aspect_ratio)))
            if 0 < w <= width and 0 < h <= height:
                i = randint(0, height - h + 1, size=(1,)).item()
                j = randint(0, width - w + 1, size=(1,)).item()
                return i, j, h, w
        in_ratio = float(width) / float(height)
        if in_ratio < min(ratio):
            w, h = width, int(round(width / min(ratio)))
        elif in_ratio > max(ratio):
            h, w = height, int(round(height * max(ratio)))
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def __call__(self, img):
        i, j, h, w = self.get_params(img, self.scale, self.ratio)
        return resize(F.crop(img, i, j, h, w), list(self.size), self.interpolation, antialias=self.antialias)

    forward = __call__

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(size={self.size}, scale={tuple(round(s, 4) for s in self.scale)}, "
                f"ratio={tuple(round(r, 4) for r in self.ratio)}, interpolation={self.interpolation.value}, "
                f"antialias={self.antialias})")


class ToPILImage:
    """A (C, H, W) tensor or (H, W, C) array as an image: floats scaled by 255 and converted
    to uint8 (wrapping, as PyTorch's ``byte()``), channels last; a PIL Image when Pillow is
    installed, else the uint8 array (H, W[, C]) that stands in for one in minitorch.vision."""

    def __init__(self, mode=None) -> None:
        if mode is not None:
            raise NotImplementedError(f"ToPILImage(mode={mode!r}) is not supported by minitorch yet: only mode=None "
                                      "(the mode follows the channel count)")
        self.mode = mode

    def __call__(self, pic):
        if isinstance(pic, Tensor):
            if pic.dim() not in (2, 3):
                raise ValueError(f"pic should be 2/3 dimensional. Got {pic.dim()} dimensions.")
            if pic.is_floating_point():
                pic = pic.mul(255).to(dtypes.uint8)
            pixels = F._image_array(pic, "ToPILImage")
            pixels = pixels[None] if pixels.ndim == 2 else pixels
            pixels = pixels.transpose(1, 2, 0)
        elif isinstance(pic, np.ndarray):
            if pic.ndim not in (2, 3):
                raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
            pixels = pic[:, :, None] if pic.ndim == 2 else pic
            if pixels.dtype.kind == "f":
                pixels = (pixels * 255).astype(np.uint8)
        else:
            raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
        if pixels.shape[2] > 4:
            raise ValueError(f"pic should not have > 4 channels. Got {pixels.shape[2]} channels.")
        pixels = np.ascontiguousarray(pixels[:, :, 0] if pixels.shape[2] == 1 else pixels)
        try:
            from PIL import Image
        except ImportError:
            return pixels
        return Image.fromarray(pixels)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"
