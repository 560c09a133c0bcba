"""CIFAR-10 and CIFAR-100: 32x32 colour images in 10 or 100 classes, from the Python
versions of the archives (the layout torchvision reads).

Where the data comes from, in order:

1. the batch files already in ``root/cifar-10-batches-py`` (``root/cifar-100-python``),
   each checked against its published MD5;
2. with ``download=True``: the archive ``root/cifar-10-python.tar.gz`` if it is there and
   its MD5 is right (put it there by hand on a machine without internet), else the
   archive downloaded from ``url`` and checked against its MD5; then extracted into root;
3. otherwise a RuntimeError that says how to get the data.

The batches are Python pickles. They are read by a restricted unpickler that rebuilds
NumPy arrays and plain lists/dicts and nothing else (``_safe_pickle``), never by
``pickle.load``: a tampered file cannot run code.
"""
from __future__ import annotations

import http.client
import os
from typing import Any, Callable, Optional

import numpy as np

from ..._creation import from_numpy
from . import _download, _safe_pickle
from .vision import VisionDataset

try:
    from PIL import Image as _PILImage
except ImportError:  # Pillow is optional: images are then NumPy arrays
    _PILImage = None

__all__ = ["CIFAR10", "CIFAR100"]


class CIFAR10(VisionDataset):
    """`CIFAR10 <https://www.cs.toronto.edu/~kriz/cifar.html>`_: 50000 training and 10000 test
    32x32 colour images in 10 classes.

    Args:
        root: folder holding ``cifar-10-batches-py`` (or where the archive is extracted to).
        train: the training batches (``data_batch_1`` .. ``_5``) if True, else ``test_batch``.
        transform: applied to each image.
        target_transform: applied to each target (a Python int).
        download: fetch and extract the archive when the batches are missing or corrupt.

    ``dataset[i]`` is ``(image, target)``: a PIL Image of mode ``'RGB'`` when Pillow is
    installed, as in torchvision, else a (32, 32, 3) uint8 NumPy array (``transforms.ToTensor``
    accepts both). ``.data`` is the uint8 array (N, 32, 32, 3), ``.targets`` a list of ints,
    ``.classes`` the class names.
    """

    base_folder = "cifar-10-batches-py"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    filename = "cifar-10-python.tar.gz"
    tgz_md5 = "c58f30108f718f92721af3b95e74349a"
    train_list = [
        ["data_batch_1", "c99cafc152244af753f735de768cd75f"],
        ["data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"],
        ["data_batch_3", "54ebc095f3ab1f0389bbae665268c751"],
        ["data_batch_4", "634d18415352ddfa80567beed471001a"],
        ["data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"],
    ]
    test_list = [
        ["test_batch", "40351d587109b95175f43aff81a1287e"],
    ]
    meta = {
        "filename": "batches.meta",
        "key": "label_names",
        "md5": "5ff9c542aee3614f3951f8cda6e48888",
    }

    def __init__(self, root, train: bool = True, transform: Optional[Callable] = None,
                 target_transform: Optional[Callable] = None, download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        if not self._check_integrity():
            raise RuntimeError("Dataset not found or corrupted. You can use download=True to download it"
                               f"{self._how_to_get_data()}")
        chunks, self.targets = [], []
        for file_name, _ in self.train_list if self.train else self.test_list:
            data, labels = self._read_batch(os.path.join(self.root, self.base_folder, file_name))
            chunks.append(data)
            self.targets.extend(labels)
        self.data = np.vstack(chunks).reshape(-1, 3, 32, 32).transpose((0, 2, 3, 1))  # to HWC
        self._load_meta()

    def _read_batch(self, path: str) -> tuple:
        entry = _safe_pickle.load(path)
        if not isinstance(entry, dict) or "data" not in entry:
            raise RuntimeError(f"{path} is not a CIFAR batch: it holds no 'data'")
        data = entry["data"]
        labels = entry["labels"] if "labels" in entry else entry.get("fine_labels")
        if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
            raise RuntimeError(f"{path} is not a CIFAR batch: its 'data' must be a uint8 array (N, 3072)")
        if not isinstance(labels, list) or len(labels) != data.shape[0]:
            raise RuntimeError(f"{path} is not a CIFAR batch: it must hold one label per image")
        return data, labels

    def _load_meta(self) -> None:
        path = os.path.join(self.root, self.base_folder, self.meta["filename"])
        if not _check_integrity(path, self.meta["md5"]):
            raise RuntimeError("Dataset metadata file not found or corrupted. You can use download=True to download "
                               f"it{self._how_to_get_data()}")
        data = _safe_pickle.load(path)
        self.classes = data[self.meta["key"]]
        self.class_to_idx = {_class: i for i, _class in enumerate(self.classes)}

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """``(image, target)``: see the class docstring for the image's type."""
        img, target = self.data[index], self.targets[index]
        img = np.ascontiguousarray(img)
        if _PILImage is not None:
            img = _PILImage.fromarray(img)
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
        equal to collating __getitem__'s samples. None otherwise (the per-sample path)."""
        from ..transforms import supports_batch
        if (self.transform is None or self.target_transform is not None or not supports_batch(self.transform)
                or not isinstance(indices, list) or not indices or not all(type(i) is int for i in indices)):
            return None
        n = len(self.data)
        if any(i < -n or i >= n for i in indices):
            return None  # the per-sample path raises the IndexError
        targets = np.asarray(self.targets, dtype=np.int64)[indices]
        return [self.transform.batch(self.data[indices]), from_numpy(targets)]

    def _check_integrity(self) -> bool:
        return all(_check_integrity(os.path.join(self.root, self.base_folder, filename), md5)
                   for filename, md5 in self.train_list + self.test_list)

    def download(self) -> None:
        """Fetch (or take from root) the archive, check its MD5 and extract it into root."""
        if self._check_integrity():
            print("Files already downloaded and verified")
            return
        os.makedirs(self.root, exist_ok=True)
        archive = os.path.join(self.root, self.filename)
        if _check_integrity(archive, self.tgz_md5):
            print(f"Using downloaded and verified file: {archive}")
        else:
            print(f"Downloading {self.url} to {archive}")
            try:
                _download.download_url(self.url, archive, self.tgz_md5)
            except (OSError, http.client.HTTPException, ValueError, RuntimeError) as error:
                raise RuntimeError(f"Error downloading {self.url}: {error}{self._how_to_get_data()}") from error
        print(f"Extracting {archive} to {self.root}")
        _download.extract_tar(archive, self.root)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train is True else 'Test'}"

    def _how_to_get_data(self) -> str:
        names = ", ".join(name for name, _ in self.train_list + self.test_list)
        return (f".\nTo get the data use download=True (from {self.url}); or, without internet, download "
                f"{self.filename} (MD5 {self.tgz_md5}) elsewhere and put it in {os.path.abspath(self.root)}, then "
                f"use download=True to check and extract it; or extract it there yourself so that "
                f"{os.path.join(os.path.abspath(self.root), self.base_folder)} holds {names} and "
                f"{self.meta['filename']}.")


class CIFAR100(CIFAR10):
    """`CIFAR100 <https://www.cs.toronto.edu/~kriz/cifar.html>`_: 50000 training and 10000 test
    32x32 colour images in 100 classes (``targets`` are the fine labels).

    Same arguments and items as ``CIFAR10``, read from ``root/cifar-100-python``.
    """

    base_folder = "cifar-100-python"
    url = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    filename = "cifar-100-python.tar.gz"
    tgz_md5 = "eb9058c3a382ffc7106e4002c42a8d85"
    train_list = [
        ["train", "16019d7e3df5f24257cddd939b257f8d"],
    ]
    test_list = [
        ["test", "f0ef6b0ae62326f3e7ffdfab6717acfc"],
    ]
    meta = {
        "filename": "meta",
        "key": "fine_label_names",
        "md5": "7973b15100ade9c7d40fb424638fde48",
    }


def _check_integrity(path: str, md5: str) -> bool:
    return os.path.isfile(path) and _download.md5_of_file(path) == md5
