"""A small PNG encoder: 8-bit grey, grey + alpha, RGB or RGBA images, for ``save_image``
when Pillow is not installed.

A PNG file is the 8-byte signature followed by chunks (length, type, data, CRC-32 of type
and data): IHDR (size and pixel format), IDAT (the zlib-compressed rows, each row led by
its filter byte, 0 = none here), IEND. Specification: https://www.w3.org/TR/png-3/.
"""
from __future__ import annotations

import struct
import zlib

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"

# channels -> PNG colour type (0 grey, 4 grey + alpha, 2 RGB, 6 RGBA)
COLOR_TYPES = {1: 0, 2: 4, 3: 2, 4: 6}


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png(pixels: np.ndarray, compress_level: int = 6) -> bytes:
    """The PNG file for an (H, W) or (H, W, C) uint8 array, C in 1..4. O(H W C)."""
    if pixels.dtype != np.uint8:
        raise TypeError(f"PNG pixels must be uint8, got {pixels.dtype}")
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    if pixels.ndim != 3 or pixels.shape[2] not in COLOR_TYPES:
        raise TypeError(f"Cannot handle this data type: {(1, 1) + pixels.shape[2:]}, |u1")
    height, width, channels = pixels.shape
    if height == 0 or width == 0:
        raise ValueError(f"cannot write an empty image ({width}x{height} pixels) as PNG")
    header = struct.pack(">IIBBBBB", width, height, 8, COLOR_TYPES[channels], 0, 0, 0)
    rows = np.zeros((height, 1 + width * channels), dtype=np.uint8)  # column 0: filter type 0
    rows[:, 1:] = np.ascontiguousarray(pixels).reshape(height, width * channels)
    return (SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows.tobytes(), compress_level))
            + _chunk(b"IEND", b""))
