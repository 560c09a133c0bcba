"""The IDX file format of MNIST: a big-endian header, then the raw uint8 payload.

Header: two zero bytes, a type code (0x08 = unsigned byte), the number of dimensions,
then one big-endian uint32 per dimension.  As a big-endian int32 the first four bytes
are the "magic number": 2051 for an image file (uint8, 3 dims: N x rows x cols) and
2049 for a label file (uint8, 1 dim: N).
"""
from __future__ import annotations

import gzip
import math
import os
import zlib

import numpy as np

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049

_UINT8_CODE = 0x08


def read_idx(path: str, magic: int) -> np.ndarray:
    """The array stored in the IDX file at ``path`` (gzipped when it ends in ``.gz``).

    Raises RuntimeError naming the file when it is not a complete IDX file with that
    magic number; a damaged file never yields data.
    """
    buffer = _read_bytes(path)
    if len(buffer) < 4:
        raise RuntimeError(f"{path} is not an IDX file: it has only {len(buffer)} bytes")
    found = int.from_bytes(buffer[:4].tobytes(), "big")
    if found != magic:
        raise RuntimeError(f"{path} is not an IDX {_kind(magic)} file: its magic number is "
                           f"{found}, expected {magic}")
    ndim = found & 0xFF
    header = 4 + 4 * ndim
    if len(buffer) < header:
        raise RuntimeError(f"{path} is truncated: its header needs {header} bytes, "
                           f"the file has {len(buffer)}")
    shape = tuple(int(n) for n in buffer[4:header].view(">u4"))
    expected = header + math.prod(shape)
    if len(buffer) != expected:
        state = "truncated" if len(buffer) < expected else "corrupt (too long)"
        raise RuntimeError(f"{path} is {state}: a header of shape {list(shape)} means "
                           f"{expected} bytes, the file has {len(buffer)}")
    return buffer[header:].reshape(shape)


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX encoding of a uint8 array (the inverse of ``read_idx``)."""
    if array.dtype != np.uint8:
        raise TypeError(f"IDX files here hold uint8 data, got {array.dtype}")
    header = bytes([0, 0, _UINT8_CODE, array.ndim])
    header += np.asarray(array.shape, dtype=">u4").tobytes()
    return header + np.ascontiguousarray(array).tobytes()


def _read_bytes(path: str) -> np.ndarray:
    """The (decompressed) bytes of ``path`` as a writable uint8 array."""
    if not path.endswith(".gz"):
        return np.fromfile(path, dtype=np.uint8)
    try:
        with gzip.open(path, "rb") as file:
            data = file.read()
    except (OSError, EOFError, zlib.error) as error:
        raise RuntimeError(f"{path} is not a valid gzip file: {error}") from error
    # frombuffer over bytes is read-only; the copy lets tensors built on it be written.
    return np.frombuffer(data, dtype=np.uint8).copy()


def _kind(magic: int) -> str:
    return {IMAGES_MAGIC: "images", LABELS_MAGIC: "labels"}.get(magic, "")


def find_idx(folder: str, name: str) -> str | None:
    """The path of ``name`` in ``folder``, raw or gzipped (raw preferred), or None."""
    for candidate in (name, name + ".gz"):
        path = os.path.join(folder, candidate)
        if os.path.isfile(path):
            return path
    return None
