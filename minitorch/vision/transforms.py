"""Image transforms with torchvision's interface: Compose, ToTensor, PILToTensor,
Normalize, Lambda, RandomCrop, RandomRotation, and (in _transforms_resize.py) Resize,
CenterCrop, RandomResizedCrop, RandomHorizontalFlip.

Each transform takes the image types the datasets give (a PIL Image when Pillow is
installed, else an (H, W) uint8 NumPy array) and (C, H, W) tensors, with torchvision's
defaults, reprs and error messages.  The random ones draw from minitorch's default
generator (``minitorch.manual_seed`` makes them repeatable), as torchvision's draw from
torch's.  Differences from torchvision:

- RandomCrop and RandomRotation also take NumPy arrays (H, W[, C]) and return arrays;
  arrays and tensors rotate with torchvision's tensor arithmetic (nearest only), PIL
  images with Pillow's ``Image.rotate`` as torchvision does.  For 0/90/180/270 degrees
  both agree with ``np.rot90``; at other angles PIL and tensors round differently, in
  torchvision as here.
- The transforms are plain callables, not ``nn.Module``s (a Module's call machinery
  would cost more than the transform on a 28x28 image).

The batch fast path
-------------------
Transforming 60000 images one ``dataset[i]`` at a time costs a few microseconds of
Python each, which adds up to a sizeable part of a small model's epoch.  The
deterministic transforms therefore also have a ``batch`` form that transforms a whole
stack of images at once, with results bit for bit equal to the per-sample path:

    transform = Compose([ToTensor(), Normalize((0.5,), (0.5,))])
    transform.batch(images)       # uint8 (N, H, W) or (N, H, W, C) -> float (N, C, H, W)
    supports_batch(transform)     # False when some step is random (RandomCrop, ...) or a Lambda

    train_set = apply_to_dataset(datasets.MNIST(root, train=True, transform=transform))
    loader = DataLoader(train_set, batch_size=64, shuffle=True)

``apply_to_dataset`` reads the dataset's ``.data`` (uint8 images), ``.targets`` and
``.transform`` and returns a ``TensorDataset`` of the transformed images and the
targets: ``train_set[i]`` equals the original ``dataset[i]`` (with the target as a
0-d int64 tensor instead of an int), and the DataLoader gathers its batches with one
indexed copy instead of 64 ``__getitem__`` calls and a stack.  The batch forms are
the per-sample arithmetic (uint8 -> float, / 255, - mean, / std) vectorised over the
stack: the same IEEE operations on the same values, hence the same bits.
"""
from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

from .. import dtypes
from .._creation import empty, from_numpy
from ..random import randint
from ..tensor import Tensor
from . import _functional_transforms as F
from ._functional_transforms import InterpolationMode
from ._transforms_resize import CenterCrop, RandomHorizontalFlip, RandomResizedCrop, Resize, ToPILImage

__all__ = ["Compose", "ToTensor", "PILToTensor", "Normalize", "Lambda", "RandomCrop", "RandomRotation",
           "Resize", "CenterCrop", "RandomResizedCrop", "RandomHorizontalFlip", "ToPILImage",
           "InterpolationMode", "supports_batch", "apply_to_dataset"]


class Compose:
    """Apply transforms one after the other: ``Compose([t1, t2])(img) == t2(t1(img))``."""

    def __init__(self, transforms) -> None:
        self.transforms = transforms

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def batch(self, images):
        """Every transform's batch form in turn, on a stack of images (N, ...).  A Normalize
        after a step that made a fresh tensor (ToTensor of uint8, another Normalize) runs
        in place on it: same values, one 188 MB allocation less for MNIST."""
        owned = False  # whether `images` is a fresh tensor nobody else holds
        for t in self.transforms:
            if not supports_batch(t):
                raise TypeError(f"{t!r} has no batch form: random transforms and Lambdas run per sample")
            if owned and type(t) is Normalize:
                images = t._apply(images, inplace=True)
                continue
            owned = type(t) is Normalize or (type(t) is ToTensor and _is_uint8(images))
            images = t.batch(images)
        return images

    def __repr__(self) -> str:
        lines = [f"{self.__class__.__name__}("]
        lines += [f"    {t}" for t in self.transforms]
        return "\n".join(lines) + "\n)"


class ToTensor:
    """PIL Image or (H, W[, C]) array -> (C, H, W) tensor; uint8 (and PIL modes 'L', 'RGB',
    ...) is scaled to floats in [0, 1], other dtypes are converted as they are."""

    def __call__(self, pic) -> Tensor:
        return F.to_tensor(pic)

    def batch(self, images) -> Tensor:
        """A stack of images: (N, H, W) or (N, H, W, C) array or tensor -> (N, C, H, W)."""
        arr = _stack_array(images)
        return F._chw_to_tensor(arr[:, None] if arr.ndim == 3 else arr.transpose(0, 3, 1, 2))

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


class PILToTensor:
    """PIL Image -> (C, H, W) tensor of the same dtype (no scaling)."""

    def __call__(self, pic) -> Tensor:
        return F.pil_to_tensor(pic)

    def batch(self, images) -> Tensor:
        """A stack of images as arrays: (N, H, W) or (N, H, W, C) -> (N, C, H, W), dtype kept."""
        arr = _stack_array(images)
        if arr.ndim == 3:
            arr = arr[..., None]
        return from_numpy(np.ascontiguousarray(arr)).permute(0, 3, 1, 2)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


class Normalize:
    """``output[c] = (input[c] - mean[c]) / std[c]`` for a float tensor image (..., C, H, W).

    Out of place unless ``inplace=True``.
    """

    def __init__(self, mean, std, inplace: bool = False) -> None:
        self.mean = mean
        self.std = std
        self.inplace = inplace
        self._cache = (None, None, None, None)  # (mean, std, dtype) it was made for, constants

    def _constants(self, dtype) -> tuple[np.ndarray, np.ndarray]:
        """mean and std as arrays of ``dtype``; cached while mean and std are the same
        tuples (a list could change in place, so lists are converted on every call)."""
        mean, std, cached_dtype, constants = self._cache
        if mean is self.mean and std is self.std and cached_dtype is dtype:
            return constants
        constants = F.normalize_constants(self.mean, self.std, dtype)
        if isinstance(self.mean, tuple) and isinstance(self.std, tuple):
            self._cache = (self.mean, self.std, dtype, constants)
        return constants

    def __call__(self, tensor: Tensor) -> Tensor:
        return self._apply(tensor, self.inplace)

    forward = __call__

    def _apply(self, tensor: Tensor, inplace: bool) -> Tensor:
        F.check_normalize_input(tensor)
        mean, std = self._constants(tensor.dtype)
        return F.normalize_with(tensor, mean, std, inplace)

    def batch(self, tensor: Tensor) -> Tensor:
        """The same on a batch (N, C, H, W): Normalize already broadcasts over leading dims."""
        return self(tensor)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(mean={self.mean}, std={self.std})"


class Lambda:
    """Apply a user-defined function as a transform."""

    def __init__(self, lambd) -> None:
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {repr(type(lambd).__name__)}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


class RandomCrop:
    """Crop a random (h, w) box, after optional padding.

    ``padding``: int, (left/right, top/bottom) or (left, top, right, bottom), applied
    first; ``pad_if_needed`` then pads an image smaller than ``size`` (both sides, by the
    shortfall, as torchvision does); ``fill``/``padding_mode`` as in torchvision's ``pad``.
    Image: tensor (..., C, H, W), array (H, W[, C]) or PIL.
    """

    def __init__(self, size, padding=None, pad_if_needed: bool = False, fill=0,
                 padding_mode: str = "constant") -> None:
        self.size = tuple(_setup_size(size, error_msg="Please provide only two dimensions (h, w) for size."))
        self.padding = padding
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode

    @staticmethod
    def get_params(img, output_size) -> tuple[int, int, int, int]:
        """(top, left, height, width) of a random crop of ``output_size``."""
        _, h, w = F.get_dimensions(img)
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size {(h, w)}")
        if w == tw and h == th:
            return 0, 0, h, w
        i = randint(0, h - th + 1, size=(1,)).item()
        j = randint(0, w - tw + 1, size=(1,)).item()
        return i, j, th, tw

    def __call__(self, img):
        if self.padding is not None:
            img = F.pad(img, self.padding, self.fill, self.padding_mode)
        _, height, width = F.get_dimensions(img)
        if self.pad_if_needed and width < self.size[1]:
            img = F.pad(img, [self.size[1] - width, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and height < self.size[0]:
            img = F.pad(img, [0, self.size[0] - height], self.fill, self.padding_mode)
        i, j, h, w = self.get_params(img, self.size)
        return F.crop(img, i, j, h, w)

    forward = __call__

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(size={self.size}, padding={self.padding})"


class RandomRotation:
    """Rotate by an angle drawn uniformly from ``degrees`` ((min, max), or (-d, d) for a
    number), counter-clockwise for positive angles, about ``center`` ((x, y) from the
    top-left corner; default the image centre).  ``expand`` grows the output to hold the
    whole rotated image; pixels from outside the input get ``fill``.
    Image: tensor (..., C, H, W), array (H, W[, C]) or PIL.
    """

    def __init__(self, degrees, interpolation=InterpolationMode.NEAREST, expand: bool = False,
                 center=None, fill=0) -> None:
        if isinstance(interpolation, int):
            interpolation = F.interpolation_mode(interpolation)
        self.degrees = _setup_angle(degrees, name="degrees", req_sizes=(2,))
        if center is not None:
            _check_sequence_input(center, "center", req_sizes=(2,))
        self.center = center
        self.interpolation = interpolation
        self.expand = expand
        if fill is None:
            fill = 0
        elif not isinstance(fill, (Sequence, numbers.Number)):
            raise TypeError("Fill should be either a sequence or a number.")
        self.fill = fill

    @staticmethod
    def get_params(degrees) -> float:
        """An angle drawn uniformly from [degrees[0], degrees[1]]."""
        return float(empty(1).uniform_(float(degrees[0]), float(degrees[1])).item())

    def __call__(self, img):
        fill = self.fill
        channels, _, _ = F.get_dimensions(img)
        if isinstance(img, (Tensor, np.ndarray)):
            fill = [float(fill)] * channels if isinstance(fill, (int, float)) else [float(f) for f in fill]
        angle = self.get_params(self.degrees)
        return F.rotate(img, angle, self.interpolation, self.expand, self.center, fill)

    forward = __call__

    def __repr__(self) -> str:
        s = f"{self.__class__.__name__}(degrees={self.degrees}"
        s += f", interpolation={self.interpolation.value}"
        s += f", expand={self.expand}"
        if self.center is not None:
            s += f", center={self.center}"
        if self.fill is not None:
            s += f", fill={self.fill}"
        return s + ")"


# ----- argument checks, as torchvision's ------------------------------------------------

def _setup_size(size, error_msg: str):
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError(error_msg)
    return size


def _check_sequence_input(x, name: str, req_sizes) -> None:
    msg = req_sizes[0] if len(req_sizes) < 2 else " or ".join(str(s) for s in req_sizes)
    if not isinstance(x, Sequence):
        raise TypeError(f"{name} should be a sequence of length {msg}.")
    if len(x) not in req_sizes:
        raise ValueError(f"{name} should be a sequence of length {msg}.")


def _setup_angle(x, name: str, req_sizes=(2,)) -> list[float]:
    if isinstance(x, numbers.Number):
        if x < 0:
            raise ValueError(f"If {name} is a single number, it must be positive.")
        x = [-x, x]
    else:
        _check_sequence_input(x, name, req_sizes)
    return [float(d) for d in x]


# ----- the batch fast path --------------------------------------------------------------

def supports_batch(transform) -> bool:
    """Whether ``transform.batch(images)`` exists and equals the per-sample results."""
    if isinstance(transform, Compose):
        return all(supports_batch(t) for t in transform.transforms)
    return type(transform) in (ToTensor, PILToTensor, Normalize)


def _stack_array(images) -> np.ndarray:
    """A stack of images (N, H, W) or (N, H, W, C) as a NumPy array."""
    arr = images.numpy() if isinstance(images, Tensor) else np.asarray(images)
    if arr.ndim not in (3, 4):
        raise ValueError(f"images should be a stack (N, H, W) or (N, H, W, C). Got {arr.ndim} dimensions.")
    return arr


def _is_uint8(images) -> bool:
    if isinstance(images, Tensor):
        return images.dtype == dtypes.uint8
    return np.asarray(images).dtype == np.uint8


def apply_to_dataset(dataset):
    """The dataset with its transform applied to every image at once: a TensorDataset of
    (N, C, H, W) images and int64 targets, equal sample for sample to ``dataset``.

    ``dataset`` needs ``.data`` (uint8 images, (N, H, W) or (N, H, W, C)), ``.targets``
    and a ``.transform`` for which ``supports_batch`` holds; ``.target_transform``, if
    set, is applied to each target (an int) and must return an int.
    """
    from ..utils.data import TensorDataset

    transform = getattr(dataset, "transform", None)
    if transform is None or not supports_batch(transform):
        raise ValueError(f"apply_to_dataset needs a transform with a batch form (ToTensor, Normalize, "
                         f"PILToTensor in a Compose); got {transform!r}")
    images = transform.batch(dataset.data)
    targets = dataset.targets
    target_transform = getattr(dataset, "target_transform", None)
    if target_transform is not None:
        targets = [target_transform(int(t)) for t in targets.tolist()]
    if not isinstance(targets, Tensor):
        targets = from_numpy(np.asarray(targets, dtype=np.int64))
    elif targets.dtype != dtypes.int64:
        targets = targets.to(dtypes.int64)
    return TensorDataset(images, targets)
