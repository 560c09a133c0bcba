"""The image operations behind ``minitorch.vision.transforms``, one per transform.

Three image kinds go in and the same kind comes out:

- a ``Tensor`` of shape (..., C, H, W) (or (H, W)), as torchvision's tensor functions;
- a NumPy array of shape (H, W) or (H, W, C), the image type of the datasets when
  Pillow is not installed (torchvision itself has no NumPy path; here it follows the
  tensor conventions);
- a PIL Image, handled by Pillow itself exactly as torchvision does.

Everything is NumPy underneath.  Pillow is optional and never imported here: an
object can only be a PIL Image if ``PIL.Image`` is already in ``sys.modules``.
"""
from __future__ import annotations

import math
import numbers
import sys
from enum import Enum
from fractions import Fraction

import numpy as np

from .. import dtypes
from .._creation import from_numpy
from ..tensor import Tensor


class InterpolationMode(Enum):
    """Interpolation modes, as torchvision.transforms.InterpolationMode."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


# Pillow's integer filter constants (PIL.Image.NEAREST == 0, ...), both ways.
_PIL_MODES = {InterpolationMode.NEAREST: 0, InterpolationMode.LANCZOS: 1, InterpolationMode.BILINEAR: 2,
              InterpolationMode.BICUBIC: 3, InterpolationMode.BOX: 4, InterpolationMode.HAMMING: 5}
_MODES_FROM_INT = {v: k for k, v in _PIL_MODES.items()}


def interpolation_mode(value) -> InterpolationMode:
    """An InterpolationMode from itself or from Pillow's integer constant."""
    if isinstance(value, int) and not isinstance(value, bool):
        return _MODES_FROM_INT[value]
    if not isinstance(value, InterpolationMode):
        raise TypeError("Argument interpolation should be a InterpolationMode or a corresponding Pillow "
                        "integer constant")
    return value


def _is_pil_image(img) -> bool:
    pil = sys.modules.get("PIL.Image")
    return pil is not None and isinstance(img, pil.Image)


def _image_array(img: Tensor, what: str) -> np.ndarray:
    """The NumPy array of a CPU tensor image (the NumPy paths cannot record autograd)."""
    if img.requires_grad:
        raise RuntimeError(f"{what} of a tensor that requires grad is not supported: "
                           "call it on tensor.detach()")
    return img.numpy()


def get_dimensions(img) -> list[int]:
    """[channels, height, width] of a tensor, NumPy or PIL image."""
    if isinstance(img, Tensor):
        if img.dim() < 2:
            raise TypeError("Tensor is not a torch image.")
        shape = img.shape
        return [1 if img.dim() == 2 else shape[-3], shape[-2], shape[-1]]
    if isinstance(img, np.ndarray):
        if img.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {img.ndim} dimensions.")
        return [1 if img.ndim == 2 else img.shape[2], img.shape[0], img.shape[1]]
    if _is_pil_image(img):
        width, height = img.size
        return [len(img.getbands()), height, width]
    raise TypeError(f"Unexpected type {type(img)}")


# ----- conversion -----------------------------------------------------------------------

def _chw_to_tensor(chw: np.ndarray) -> Tensor:
    """(C, H, W) array as ToTensor returns it: uint8 scaled to [0, 1] in the default
    float dtype (one division, like torch's ``img.float().div(255)``), others as they are."""
    if chw.dtype == np.uint8:
        float_type = dtypes.get_default_dtype().np
        out = chw.astype(float_type, order="C")
        np.divide(out, out.dtype.type(255), out=out)
        return Tensor._wrap(out)  # a fresh C-contiguous array: from_numpy's checks are moot
    return from_numpy(np.ascontiguousarray(chw))


def _pil_array(pic) -> np.ndarray:
    """A PIL image as an (H, W, C) array of torchvision's dtype for its mode."""
    nptype = {"I": np.int32, "I;16" if sys.byteorder == "little" else "I;16B": np.int16,
              "F": np.float32}.get(pic.mode, np.uint8)
    arr = np.array(pic, nptype, copy=True)
    if pic.mode == "1":
        arr = 255 * arr
    return arr.reshape(pic.size[1], pic.size[0], len(pic.getbands()))


def to_tensor(pic) -> Tensor:
    """PIL Image or (H, W[, C]) array -> (C, H, W) tensor; uint8 becomes float in [0, 1]."""
    if isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        return _chw_to_tensor(pic[None] if pic.ndim == 2 else pic.transpose(2, 0, 1))
    if _is_pil_image(pic):
        return _chw_to_tensor(_pil_array(pic).transpose(2, 0, 1))
    raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")


def pil_to_tensor(pic) -> Tensor:
    """PIL Image -> (C, H, W) tensor of the image's own dtype (no scaling)."""
    if not _is_pil_image(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    arr = np.array(pic, copy=True)
    return from_numpy(arr.reshape(pic.size[1], pic.size[0], len(pic.getbands()))).permute(2, 0, 1)


# ----- normalize ------------------------------------------------------------------------

def normalize_constants(mean, std, dtype: dtypes.dtype) -> tuple[np.ndarray, np.ndarray]:
    """mean and std as arrays of the image dtype, shaped (C, 1, 1) to broadcast over
    (..., C, H, W); raises torchvision's error for a zero std."""
    mean = np.asarray(mean, dtype=dtype.np)
    std = np.asarray(std, dtype=dtype.np)
    if (std == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to {dtype}, leading to division by zero.")
    if mean.ndim == 1:
        mean = mean.reshape(-1, 1, 1)
    if std.ndim == 1:
        std = std.reshape(-1, 1, 1)
    return mean, std


def check_normalize_input(tensor) -> None:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    if tensor.dim() < 2:
        raise TypeError("Tensor is not a torch image.")
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.dim() < 3:
        raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). "
                         f"Got tensor.size() = {tensor.size()}")


def normalize_with(tensor: Tensor, mean: np.ndarray, std: np.ndarray, inplace: bool) -> Tensor:
    """``(tensor - mean) / std`` with prepared constants: input (..., C, H, W)."""
    arr = tensor.numpy(force=True)
    channels = arr.shape[-3]
    for const in (mean, std):
        if const.size != 1 and const.shape[0] != channels:
            raise RuntimeError(f"The size of tensor a ({channels}) must match the size of tensor b "
                               f"({const.shape[0]}) at non-singleton dimension {arr.ndim - 3}")
    if inplace or tensor.requires_grad:
        # The tensor ops keep autograd and the version counter right.
        out = tensor if inplace else tensor.clone()
        return out.sub_(from_numpy(mean)).div_(from_numpy(std))
    out = np.subtract(arr, mean)
    np.divide(out, std, out=out)
    return Tensor._wrap(out)


def normalize(tensor: Tensor, mean, std, inplace: bool = False) -> Tensor:
    """Per-channel ``(tensor - mean) / std`` of a float tensor image (..., C, H, W)."""
    check_normalize_input(tensor)
    mean, std = normalize_constants(mean, std, tensor.dtype)
    return normalize_with(tensor, mean, std, inplace)


# ----- pad and crop ---------------------------------------------------------------------

_PADDING_MODES = ("constant", "edge", "reflect", "symmetric")


def _parse_padding(padding) -> tuple[int, int, int, int]:
    """torchvision's padding argument as (left, top, right, bottom)."""
    if not isinstance(padding, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if isinstance(padding, numbers.Number):
        return (int(padding),) * 4
    if len(padding) not in (1, 2, 4):
        raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} "
                         "element tuple")
    if len(padding) == 1:
        return (int(padding[0]),) * 4
    if len(padding) == 2:
        return int(padding[0]), int(padding[1]), int(padding[0]), int(padding[1])
    return tuple(int(p) for p in padding)


def _pad_array(arr: np.ndarray, ltrb, fill, mode: str, h_axis: int) -> np.ndarray:
    """Pad the (H, W) axes starting at h_axis; a negative padding crops that border."""
    left, top, right, bottom = ltrb
    h, w = arr.shape[h_axis], arr.shape[h_axis + 1]
    index = [slice(None)] * arr.ndim
    index[h_axis] = slice(max(-top, 0), h - max(-bottom, 0))
    index[h_axis + 1] = slice(max(-left, 0), w - max(-right, 0))
    arr = arr[tuple(index)]
    left, top, right, bottom = (max(p, 0) for p in ltrb)
    if mode == "constant":
        shape = list(arr.shape)
        shape[h_axis] += top + bottom
        shape[h_axis + 1] += left + right
        out = np.empty(shape, dtype=arr.dtype)
        out[...] = fill  # a tuple fills the channels of an (H, W, C) array one by one
        index[h_axis] = slice(top, top + arr.shape[h_axis])
        index[h_axis + 1] = slice(left, left + arr.shape[h_axis + 1])
        out[tuple(index)] = arr
        return out
    widths = [(0, 0)] * arr.ndim
    widths[h_axis], widths[h_axis + 1] = (top, bottom), (left, right)
    return np.pad(arr, widths, mode=mode)


def _parse_fill(fill, img, name: str = "fillcolor") -> dict:
    """The fill of a PIL operation: one value per band, ints unless the mode is 'F'."""
    bands = len(img.getbands())
    if fill is None:
        fill = 0
    if isinstance(fill, (int, float)) and bands > 1:
        fill = tuple([fill] * bands)
    if isinstance(fill, (list, tuple)):
        if len(fill) == 1:
            fill = fill * bands
        elif len(fill) != bands:
            raise ValueError("The number of elements in 'fill' does not match the number of bands of the "
                             f"image ({len(fill)} != {bands})")
        fill = tuple(fill)
    if img.mode != "F":
        fill = tuple(int(x) for x in fill) if isinstance(fill, tuple) else int(fill)
    return {name: fill}


def _pad_pil(img, ltrb, fill, mode: str):
    from PIL import Image, ImageOps
    palette = img.getpalette() if img.mode == "P" else None
    if mode == "constant":
        out = ImageOps.expand(img, border=ltrb, **_parse_fill(fill, img, name="fill"))
    else:
        out = Image.fromarray(_pad_array(np.asarray(img), ltrb, 0, mode, h_axis=0))
    if palette is not None:
        out.putpalette(palette)
    return out


def pad(img, padding, fill=0, padding_mode: str = "constant"):
    """Pad the borders: padding is an int, (left/right, top/bottom) or (left, top, right, bottom)."""
    ltrb = _parse_padding(padding)
    if padding_mode not in _PADDING_MODES:
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    if fill is None:
        fill = 0
    if isinstance(img, Tensor):
        if not isinstance(fill, (int, float)):
            raise TypeError("Got inappropriate fill arg")
        get_dimensions(img)
        return from_numpy(_pad_array(_image_array(img, "pad"), ltrb, fill, padding_mode, img.dim() - 2))
    if isinstance(img, np.ndarray):
        get_dimensions(img)
        return _pad_array(img, ltrb, fill, padding_mode, h_axis=0)
    if _is_pil_image(img):
        return _pad_pil(img, ltrb, fill, padding_mode)
    raise TypeError(f"img should be PIL Image, Tensor or ndarray. Got {type(img)}")


def crop(img, top: int, left: int, height: int, width: int):
    """The (height, width) box at (top, left); parts outside the image come out zero."""
    _, h, w = get_dimensions(img)
    if _is_pil_image(img):
        return img.crop((left, top, left + width, top + height))
    bottom, right = top + height, left + width
    if left < 0 or top < 0 or right > w or bottom > h:
        inside = crop(img, max(top, 0), max(left, 0), min(bottom, h) - max(top, 0),
                      min(right, w) - max(left, 0))
        return pad(inside, [max(-left, 0), max(-top, 0), max(right - w, 0), max(bottom - h, 0)], fill=0)
    if isinstance(img, Tensor):
        return img[..., top:bottom, left:right]  # a view, as torchvision returns
    return img[top:bottom, left:right]


# ----- rotate ---------------------------------------------------------------------------

def _inverse_rotation_matrix(angle: float, center: list[float]) -> list[float]:
    """The 2x3 matrix taking output pixel coordinates to input ones for a rotation by
    ``angle`` degrees counter-clockwise about ``center`` (coordinates relative to the
    image centre, y down).  The float64 operations of torchvision's
    ``_get_inverse_affine_matrix(center, -angle, [0, 0], 1.0, [0, 0])``."""
    rot = math.radians(-angle)
    m = [math.cos(rot), math.sin(rot), 0.0, -math.sin(rot), math.cos(rot), 0.0]
    cx, cy = center
    m[2] += m[0] * -cx + m[1] * -cy
    m[5] += m[3] * -cx + m[4] * -cy
    m[2] += cx
    m[5] += cy
    return m


def _rotated_size(matrix: list[float], w: int, h: int) -> tuple[int, int]:
    """(width, height) that holds the whole rotated image, computed as torchvision does
    (float32 corners, precision truncated to 1e-4 before ceil/floor)."""
    f32 = np.float32
    pts = np.array([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0],
                    [0.5 * w, 0.5 * h, 1.0], [0.5 * w, -0.5 * h, 1.0]], dtype=f32)
    corners = pts @ np.array(matrix, dtype=f32).reshape(2, 3).T
    shift = np.array([w * 0.5, h * 0.5], dtype=f32)
    tol = f32(1e-4)
    cmax = np.ceil(np.trunc((corners.max(0) + shift) / tol) * tol)
    cmin = np.floor(np.trunc((corners.min(0) + shift) / tol) * tol)
    size = cmax - cmin
    return int(size[0]), int(size[1])


def _source_index(g: np.ndarray, size: int, ftype) -> np.ndarray:
    """grid_sample's nearest source index along one axis for grid values ``g`` in [-1, 1]
    units: ``rint(fma(g + 1, size / 2, -0.5))``, half to even.  torch's CPU kernel fuses
    that multiply-add (one rounding); without ``math.fma`` (Python 3.13+) the product is
    taken in float64, exact for float32 grids.  For float64 grids the few values within
    1e-9 of a half-integer, where two roundings could pick the other pixel, are redone
    exactly with fractions."""
    a = g + ftype(1)
    wide = a.astype(np.float64) * (size / 2) - 0.5
    if ftype is np.float64:
        for i in np.flatnonzero(np.abs(wide - np.floor(wide) - 0.5) < 1e-9):
            wide.flat[i] = float(Fraction(float(a.flat[i])) * Fraction(size, 2) - Fraction(1, 2))
    return np.rint(wide.astype(ftype))


def _nearest_source(matrix: list[float], w: int, h: int, ow: int, oh: int, ftype):
    """For each output pixel, the nearest input pixel (row and column index arrays of
    shape (oh, ow)) and whether it lies inside the input.

    The float arithmetic is torchvision's tensor path step by step, in the image's
    float type (float32 for integer images): pixel centres of the output relative to
    its centre, the matrix scaled to [-1, 1] grid units, then grid_sample's
    ``align_corners=False`` un-normalisation and round-half-to-even.  Checked bit for
    bit against torch's affine grid + grid_sample in the tests.
    """
    t = np.array(matrix, dtype=ftype)
    sx, sy = ftype(0.5 * w), ftype(0.5 * h)
    x = (np.arange(ow, dtype=ftype) + ftype(-ow * 0.5 + 0.5))[None, :]
    y = (np.arange(oh, dtype=ftype) + ftype(-oh * 0.5 + 0.5))[:, None]
    col = _source_index(x * (t[0] / sx) + y * (t[1] / sx) + t[2] / sx, w, ftype)
    row = _source_index(x * (t[3] / sy) + y * (t[4] / sy) + t[5] / sy, h, ftype)
    inside = (col >= 0) & (col <= w - 1) & (row >= 0) & (row <= h - 1)
    col = np.clip(col, 0, w - 1).astype(np.intp)
    row = np.clip(row, 0, h - 1).astype(np.intp)
    return row, col, inside


def _rotate_chw(arr: np.ndarray, angle: float, expand: bool, center, fill) -> np.ndarray:
    """Nearest-neighbour rotation of an (..., C, H, W) or (H, W) array."""
    h, w = arr.shape[-2:]
    channels = arr.shape[-3] if arr.ndim > 2 else 1
    center_f = [0.0, 0.0] if center is None else [1.0 * (c - s * 0.5) for c, s in zip(center, [w, h])]
    matrix = _inverse_rotation_matrix(angle, center_f)
    ow, oh = _rotated_size(matrix, w, h) if expand else (w, h)
    ftype = arr.dtype.type if arr.dtype.kind == "f" else np.float32
    row, col, inside = _nearest_source(matrix, w, h, ow, oh, ftype)
    out = arr[..., row, col]
    if fill is None:
        fill = [0.0]
    if isinstance(fill, (list, tuple)) and len(fill) > 1 and len(fill) != channels:
        raise ValueError("The number of elements in 'fill' cannot broadcast to match the number of channels "
                         f"of the image ({len(fill)} != {channels})")
    values = np.asarray(fill, dtype=ftype)
    if arr.dtype.kind != "f":  # torchvision fills in float, then rounds back to the integer type
        values = np.rint(values)
    values = values.astype(arr.dtype).reshape((-1, 1, 1) if values.ndim == 1 and arr.ndim > 2 else -1)
    return np.where(inside, out, values if arr.ndim > 2 else values[0])


def rotate(img, angle: float, interpolation=InterpolationMode.NEAREST, expand: bool = False,
           center=None, fill=None):
    """Rotate by ``angle`` degrees counter-clockwise about ``center`` ((x, y) pixels from
    the top-left corner; default the image centre); outside pixels get ``fill``."""
    interpolation = interpolation_mode(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    if _is_pil_image(img):
        return img.rotate(angle, _PIL_MODES[interpolation], expand, center, **_parse_fill(fill, img))
    if not isinstance(img, (Tensor, np.ndarray)):
        raise TypeError(f"img should be PIL Image, Tensor or ndarray. Got {type(img)}")
    if interpolation is not InterpolationMode.NEAREST:
        raise ValueError(f"Interpolation mode '{interpolation.value}' is unsupported with Tensor input "
                         "(minitorch rotates tensors and arrays with 'nearest' only)")
    get_dimensions(img)
    if isinstance(img, Tensor):
        return from_numpy(_rotate_chw(_image_array(img, "rotate"), angle, expand, center, fill))
    chw = img[None] if img.ndim == 2 else img.transpose(2, 0, 1)
    out = _rotate_chw(chw, angle, expand, center, fill)
    return np.ascontiguousarray(out[0] if img.ndim == 2 else out.transpose(1, 2, 0))
