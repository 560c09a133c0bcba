"""torchvision.utils' image helpers: ``make_grid`` tiles a batch of images into one, and
``save_image`` writes a tensor (or a batch, as a grid) to an image file.

``save_image`` goes through Pillow when it is installed, as torchvision does. Without
Pillow it still writes PNG (minitorch's own encoder, ``_png.py``); other formats then
need ``pip install pillow``. Files named by a path are written to a temporary name in the
same folder and renamed, so a failed save never leaves half an image.
"""
from __future__ import annotations

import io
import math
import os
import secrets
from typing import BinaryIO, List, Optional, Tuple, Union

from ..autograd.grad_mode import no_grad
from ..dtypes import uint8
from ..tensor import Tensor
from . import _png

__all__ = ["make_grid", "save_image"]


@no_grad()
def make_grid(tensor: Union[Tensor, List[Tensor]], nrow: int = 8, padding: int = 2, normalize: bool = False,
              value_range: Optional[Tuple[int, int]] = None, scale_each: bool = False,
              pad_value: float = 0.0) -> Tensor:
    """Tile images (B, C, H, W) (or a list of (C, H, W), or one (C, H, W) / (H, W) image) into one
    (C, rows (H + padding) + padding, cols (W + padding) + padding) image, nrow images per row.

    One-channel images become three-channel; ``normalize`` maps value_range (default: the
    tensor's min and max, per image with ``scale_each``) to [0, 1] after clamping to it.
    """
    if not isinstance(tensor, Tensor):
        if isinstance(tensor, list):
            for t in tensor:
                if not isinstance(t, Tensor):
                    raise TypeError(f"tensor or list of tensors expected, got a list containing {type(t)}")
        else:
            raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    if isinstance(tensor, list):
        tensor = _stack(tensor)
    if tensor.dim() == 2:  # one (H, W) image
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 3:  # one (C, H, W) image
        if tensor.shape[0] == 1:
            tensor = _cat((tensor, tensor, tensor), 0)
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 4 and tensor.shape[1] == 1:  # one-channel images
        tensor = _cat((tensor, tensor, tensor), 1)

    if normalize is True:
        tensor = tensor.clone()  # the caller's tensor is left alone
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max are numbers")
        if scale_each is True:
            for image in tensor:  # views: each image is rescaled in place
                _normalize_(image, value_range)
        else:
            _normalize_(tensor, value_range)

    if tensor.shape[0] == 1:
        return tensor.squeeze(0)
    nmaps = tensor.shape[0]
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(float(nmaps) / xmaps))
    height, width = int(tensor.shape[2] + padding), int(tensor.shape[3] + padding)
    channels = tensor.shape[1]
    grid = tensor.new_full((channels, height * ymaps + padding, width * xmaps + padding), pad_value)
    k = 0
    for y in range(ymaps):
        for x in range(xmaps):
            if k >= nmaps:
                break
            grid.narrow(1, y * height + padding, height - padding).narrow(
                2, x * width + padding, width - padding).copy_(tensor[k])
            k += 1
    return grid


def _normalize_(image: Tensor, value_range) -> None:
    """Clamp image to [low, high] and map that range to [0, 1], in place."""
    if value_range is not None:
        low, high = value_range[0], value_range[1]
    else:
        low, high = float(image.min()), float(image.max())
    image.clamp_(min=low, max=high)
    image.sub_(low).div_(max(high - low, 1e-5))


def _cat(tensors, dim: int) -> Tensor:
    from .. import cat
    return cat(tensors, dim)


def _stack(tensors) -> Tensor:
    from .. import stack
    return stack(tensors, dim=0)


@no_grad()
def save_image(tensor: Union[Tensor, List[Tensor]], fp: Union[str, "os.PathLike", BinaryIO],
               format: Optional[str] = None, **kwargs) -> None:
    """Write an image (C, H, W), or a batch tiled by ``make_grid(tensor, **kwargs)``, to fp (a path
    or a binary file object), values in [0, 1] scaled to 0..255 and rounded.

    The format comes from ``format`` or else from the file name's extension.
    """
    grid = make_grid(tensor, **kwargs)
    # Add 0.5 after scaling to [0, 255] to round to the nearest integer, as torchvision does.
    pixels = grid.mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).cpu().to(uint8).numpy()
    path = os.fspath(fp) if isinstance(fp, (str, os.PathLike)) else None
    data = _encode(pixels, format, path if path is not None else getattr(fp, "name", ""))
    if path is None:
        fp.write(data)
        return
    folder, name = os.path.split(os.path.abspath(path))
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.{secrets.token_hex(4)}.part")
    try:
        with open(tmp, "xb") as file:
            file.write(data)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _encode(pixels, format: Optional[str], filename) -> bytes:
    """The image file's bytes: through Pillow when installed, else minitorch's PNG encoder."""
    filename = filename if isinstance(filename, str) else ""
    try:
        from PIL import Image
    except ImportError:
        Image = None
    if Image is not None:
        if format is None:
            extension = os.path.splitext(filename)[1].lower()
            try:
                format = Image.registered_extensions()[extension]
            except KeyError:
                raise ValueError(f"unknown file extension: {extension}") from None
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, format=format)
        return buffer.getvalue()
    if format is None:
        extension = os.path.splitext(filename)[1].lower()
        if extension != ".png":
            if extension in ("", "."):
                raise ValueError(f"unknown file extension: {extension}")
            raise ImportError(f"save_image: writing {extension!r} files needs Pillow (pip install pillow); "
                              "without it minitorch writes PNG only (a file name ending in .png, or format='PNG')")
    elif format.upper() != "PNG":
        raise ImportError(f"save_image: format={format!r} needs Pillow (pip install pillow); without it minitorch "
                          "writes PNG only (format='PNG')")
    return _png.encode_png(pixels)
