"""Antialiased bilinear resizing, as torchvision's ``Resize`` computes it.

An image is resampled one axis at a time, width first, then height (an axis whose size does
not change is skipped). Each output pixel i of an axis is a weighted sum of the input pixels
within ``support`` of its centre ``scale * (i + 0.5)``, scale = in / out, with the triangle
filter stretched by the scale when shrinking (so every input pixel contributes: no aliasing)
and the weights normalised to sum 1.

- uint8 images (the NumPy arrays that stand in for PIL images, and uint8 tensors) follow
  Pillow's ``Image.resize(..., BILINEAR)``: weights in double precision, rounded to 22-bit fixed
  point, integer accumulation with rounding, each pass clipped to 0..255.
- float tensors follow ATen's float antialiased kernel: float32 weights, each tap added with
  a fused multiply-add (agrees with PyTorch to within a few float32 ulps).

Cost: O(pixels x taps) per axis, taps = 2 * ceil(scale) + 1 when shrinking, 3 when growing.
"""
from __future__ import annotations

import math

import numpy as np

_PRECISION_BITS = 32 - 8 - 2  # Pillow's fixed-point precision for 8-bit images


def _taps_uint8(in_size: int, out_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Pillow's bilinear taps for one axis: first input index (out,), fixed-point weights (out, K)."""
    scale = in_size / out_size
    filterscale = max(scale, 1.0)
    support = 1.0 * filterscale
    k = int(math.ceil(support)) * 2 + 1
    xmins = np.zeros(out_size, np.int64)
    weights = np.zeros((out_size, k), np.int64)
    for i in range(out_size):
        center = (i + 0.5) * scale
        xmin = max(int(center - support + 0.5), 0)
        xsize = min(int(center + support + 0.5), in_size) - xmin
        row = [max(0.0, 1.0 - abs((j + xmin - center + 0.5) / filterscale)) for j in range(xsize)]
        total = sum(row)
        for j, w in enumerate(row):
            w = w / total if total != 0.0 else 0.0
            weights[i, j] = int(w * (1 << _PRECISION_BITS) + (-0.5 if w < 0 else 0.5))
        xmins[i] = xmin
    return xmins, weights


def _taps_float(in_size: int, out_size: int) -> tuple[np.ndarray, np.ndarray]:
    """ATen's float32 antialiased-bilinear taps for one axis (the same rounding steps)."""
    f32 = np.float32
    scale = f32(in_size) / f32(out_size)
    support = scale if scale >= 1.0 else f32(1.0)
    invscale = f32(1.0) / scale if scale >= 1.0 else f32(1.0)
    k = int(math.ceil(support)) * 2 + 1
    xmins = np.zeros(out_size, np.int64)
    weights = np.zeros((out_size, k), f32)
    for i in range(out_size):
        center = f32(float(scale) * (i + 0.5))
        xmin = max(int(float(center - support) + 0.5), 0)
        xsize = min(int(float(center + support) + 0.5), in_size) - xmin
        total = f32(0.0)
        for j in range(xsize):
            x = abs(f32((float(f32(f32(j + xmin) - center)) + 0.5) * float(invscale)))
            w = f32(1.0) - x if x < 1.0 else f32(0.0)
            weights[i, j] = w
            total = f32(total + w)
        if total != 0.0:
            weights[i, :xsize] = weights[i, :xsize] / total
        xmins[i] = xmin
    return xmins, weights


def _resample_axis(a: np.ndarray, axis: int, out_size: int) -> np.ndarray:
    in_size = a.shape[axis]
    moved = np.moveaxis(a, axis, -1)
    if a.dtype == np.uint8:
        xmins, weights = _taps_uint8(in_size, out_size)
        acc = np.full(moved.shape[:-1] + (out_size,), 1 << (_PRECISION_BITS - 1), np.int64)
        for j in range(weights.shape[1]):
            acc += moved[..., np.minimum(xmins + j, in_size - 1)].astype(np.int64) * weights[:, j]
        out = np.clip(acc >> _PRECISION_BITS, 0, 255).astype(np.uint8)
    else:
        xmins, weights = _taps_float(in_size, out_size)
        out = moved[..., xmins] * weights[:, 0]
        for j in range(1, weights.shape[1]):
            taps = moved[..., np.minimum(xmins + j, in_size - 1)].astype(np.float64)
            # a fused multiply-add: the product is exact in float64, one rounding to float32
            out = (taps * weights[:, j].astype(np.float64) + out).astype(np.float32)
    return np.moveaxis(out, -1, axis)


def resize_array(a: np.ndarray, height: int, width: int, h_axis: int) -> np.ndarray:
    """a resized so that axes (h_axis, h_axis + 1) become (height, width)."""
    if a.shape[h_axis + 1] != width:
        a = _resample_axis(a, h_axis + 1, width)
    if a.shape[h_axis] != height:
        a = _resample_axis(a, h_axis, height)
    return a


def resized_output_size(height: int, width: int, size, max_size) -> list[int]:
    """torchvision's output size: (h, w) as given, or the short side to size keeping the aspect
    ratio (its long side at most max_size)."""
    if isinstance(size, int) or len(size) == 1:
        requested = size if isinstance(size, int) else size[0]
        short, long = (width, height) if width <= height else (height, width)
        new_short, new_long = requested, int(requested * long / short)
        if max_size is not None:
            if max_size <= requested:
                raise ValueError(f"max_size = {max_size} must be strictly greater than the requested size for the "
                                 f"smaller edge size = {size}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        return [new_long, new_short] if width <= height else [new_short, new_long]
    return [int(size[0]), int(size[1])]
