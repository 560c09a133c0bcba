"""A PNG encoder for 8-bit images, on zlib alone (TensorBoard shows images as PNG bytes).

A PNG is the 8-byte signature and a list of chunks (``length | type | data | CRC-32 of type
and data``): IHDR (size, bit depth, colour type), IDAT (the zlib-compressed scanlines, each
prefixed with its filter byte) and IEND. Every scanline uses filter 0 ("None"): the bytes are
the pixels as they are, which keeps the encoder a few lines; zlib still finds the repeats.
"""
from __future__ import annotations

import struct
import zlib

import numpy as np

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# channels -> PNG colour type: grey+alpha, RGB, RGBA (greyscale arrives here as 3 channels).
_COLOUR_TYPE = {2: 4, 3: 2, 4: 6}


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png(pixels: np.ndarray) -> bytes:
    """PNG bytes of ``pixels``: uint8, (H, W, C) with C in 2 (grey+alpha), 3 (RGB), 4 (RGBA)."""
    height, width, channels = pixels.shape
    if height == 0 or width == 0:
        raise ValueError(f"cannot write empty image: its shape is {tuple(pixels.shape)} after conversion to HWC")
    if channels not in _COLOUR_TYPE:
        raise TypeError(f"Cannot handle this data type: an image needs 2, 3 or 4 channels "
                        f"after conversion to HWC, got shape {tuple(pixels.shape)}")
    rows = np.empty((height, 1 + width * channels), dtype=np.uint8)
    rows[:, 0] = 0  # filter type "None" for every scanline
    rows[:, 1:] = np.ascontiguousarray(pixels, dtype=np.uint8).reshape(height, width * channels)
    header = struct.pack(">IIBBBBB", width, height, 8, _COLOUR_TYPE[channels], 0, 0, 0)
    return b"".join((_SIGNATURE, _chunk(b"IHDR", header),
                     _chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)), _chunk(b"IEND", b"")))
