"""minitorch.vision.utils: make_grid against a NumPy transcription of torchvision's algorithm
(torchvision itself is not installed here), and save_image's files decoded back: by the
PNG reader below (every chunk's CRC checked, all five row filters), and by Pillow where it
is installed."""
import io
import math
import os
import struct
import sys
import zlib

import numpy as np
import pytest

import minitorch
from minitorch.vision import _png, utils

try:
    from PIL import Image
except ImportError:
    Image = None

requires_pillow = pytest.mark.skipif(Image is None, reason="Pillow is not installed")


# ----- references -----------------------------------------------------------------------------

def ref_make_grid(images, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False, pad_value=0.0):
    """torchvision.utils.make_grid, step by step in NumPy (float32 arithmetic)."""
    x = np.stack(images) if isinstance(images, list) else np.array(images, copy=True)
    if x.ndim == 2:
        x = x[None]
    if x.ndim == 3:
        if x.shape[0] == 1:
            x = np.concatenate([x, x, x], 0)
        x = x[None]
    if x.ndim == 4 and x.shape[1] == 1:
        x = np.concatenate([x, x, x], 1)
    if normalize:
        def norm(img):
            low, high = value_range if value_range is not None else (float(img.min()), float(img.max()))
            img = np.clip(img, np.float32(low), np.float32(high))
            return (img - np.float32(low)) / np.float32(max(high - low, 1e-5))
        x = np.stack([norm(img) for img in x]) if scale_each else norm(x)
    if x.shape[0] == 1:
        return x[0]
    n = x.shape[0]
    cols = min(nrow, n)
    rows = int(math.ceil(n / cols))
    h, w = x.shape[2] + padding, x.shape[3] + padding
    grid = np.full((x.shape[1], h * rows + padding, w * cols + padding), pad_value, dtype=x.dtype)
    for k in range(n):
        y0, x0 = (k // cols) * h + padding, (k % cols) * w + padding
        grid[:, y0:y0 + h - padding, x0:x0 + w - padding] = x[k]
    return grid


def ref_pixels(grid: np.ndarray) -> np.ndarray:
    """save_image's conversion: x * 255 + 0.5, clamped to [0, 255], truncated; (C, H, W) -> (H, W, C)."""
    scaled = np.clip(grid.astype(np.float32) * np.float32(255) + np.float32(0.5), 0, 255)
    return scaled.astype(np.uint8).transpose(1, 2, 0)


def decode_png(data: bytes) -> np.ndarray:
    """An 8-bit, non-interlaced PNG as an (H, W, C) uint8 array; every CRC is checked."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert crc == zlib.crc32(kind + body), f"bad CRC in {kind}"
        chunks.append((kind, body))
        pos += 12 + length
    assert chunks[0][0] == b"IHDR" and chunks[-1] == (b"IEND", b"")
    width, height, depth, color, compression, filtering, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (depth, compression, filtering, interlace) == (8, 0, 0, 0)
    channels = {0: 1, 4: 2, 2: 3, 6: 4}[color]
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    stride = width * channels
    out = np.zeros((height, stride), dtype=np.int64)
    for r in range(height):
        kind, line = raw[r * (stride + 1)], np.frombuffer(raw, np.uint8, stride, r * (stride + 1) + 1).astype(np.int64)
        prev = out[r - 1] if r else np.zeros(stride, np.int64)
        row = out[r]
        for i in range(stride):
            a = row[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if kind == 0:
                pred = 0
            elif kind == 1:
                pred = a
            elif kind == 2:
                pred = b
            elif kind == 3:
                pred = (a + b) // 2
            else:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            row[i] = (line[i] + pred) % 256
    return out.astype(np.uint8).reshape(height, width, channels)


@pytest.fixture
def no_pillow(monkeypatch):
    """Make this test see a machine without Pillow, whatever this one has."""
    monkeypatch.setitem(sys.modules, "PIL", None)
    monkeypatch.setitem(sys.modules, "PIL.Image", None)


# ----- make_grid --------------------------------------------------------------------------------

GRIDS = [
    ((5, 3, 4, 6), {}),
    ((5, 1, 4, 6), {"nrow": 2, "padding": 1, "pad_value": 0.5}),
    ((8, 3, 3, 3), {"nrow": 3, "padding": 0}),
    ((3, 2, 5, 4), {"nrow": 8, "padding": 3}),
    ((1, 3, 4, 4), {}),
    ((3, 4, 5), {}),
    ((1, 4, 5), {}),
    ((4, 5), {}),
    ((6, 3, 4, 4), {"normalize": True}),
    ((6, 3, 4, 4), {"normalize": True, "scale_each": True, "nrow": 4}),
    ((6, 1, 4, 4), {"normalize": True, "value_range": (-0.5, 0.5)}),
    ((6, 3, 4, 4), {"normalize": True, "value_range": (-1, 1), "scale_each": True}),
    ((4, 3, 2, 2), {"normalize": False, "value_range": (0, 1)}),  # value_range alone does nothing
]


@pytest.mark.parametrize("shape, kwargs", GRIDS)
def test_make_grid_matches_torchvisions_algorithm(shape, kwargs):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    before = x.copy()
    t = minitorch.tensor(x)
    grid = utils.make_grid(t, **kwargs)
    np.testing.assert_allclose(grid.numpy(), ref_make_grid(x, **kwargs), rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(t.numpy(), before)  # normalize works on a copy


def test_make_grid_takes_a_list_of_images():
    images = [np.random.default_rng(i).random((3, 4, 5), dtype=np.float32) for i in range(3)]
    grid = utils.make_grid([minitorch.tensor(a) for a in images], nrow=2, pad_value=1.0)
    np.testing.assert_array_equal(grid.numpy(), ref_make_grid(images, nrow=2, pad_value=1.0))
    assert tuple(grid.shape) == (3, 2 * 6 + 2, 2 * 7 + 2)


def test_make_grid_does_not_build_a_graph():
    x = minitorch.rand(4, 3, 2, 2, requires_grad=True)
    assert not utils.make_grid(x, normalize=True).requires_grad


@pytest.mark.parametrize("bad, message", [
    (np.zeros((2, 3, 4, 4)), "tensor or list of tensors expected, got <class 'numpy.ndarray'>"),
    ([minitorch.zeros(3, 4, 4), 5], "tensor or list of tensors expected, got a list containing <class 'int'>"),
])
def test_make_grid_rejects_what_is_not_tensors(bad, message):
    with pytest.raises(TypeError) as info:
        utils.make_grid(bad)
    assert str(info.value) == message


def test_make_grid_value_range_must_be_a_tuple():
    with pytest.raises(TypeError, match=r"value_range has to be a tuple \(min, max\) if specified"):
        utils.make_grid(minitorch.rand(2, 3, 4, 4), normalize=True, value_range=[0, 1])


# ----- save_image -------------------------------------------------------------------------------

@pytest.mark.parametrize("shape, kwargs", [((5, 3, 4, 6), {"nrow": 2}), ((5, 1, 4, 6), {"padding": 0}),
                                           ((3, 7, 9), {}), ((2, 4, 3, 3), {"pad_value": 1.0}),
                                           ((2, 2, 3, 3), {"normalize": True})])
def test_save_image_writes_a_png_of_the_grid_without_pillow(tmp_path, no_pillow, shape, kwargs):
    x = np.random.default_rng(1).uniform(-0.2, 1.2, shape).astype(np.float32)  # values outside [0, 1] clamp
    path = tmp_path / "grid.png"
    utils.save_image(minitorch.tensor(x), str(path), **kwargs)
    pixels = decode_png(path.read_bytes())
    np.testing.assert_array_equal(pixels, ref_pixels(ref_make_grid(x, **kwargs)))
    assert os.listdir(tmp_path) == ["grid.png"]  # the temporary file was renamed, nothing else left


def test_save_image_rounds_to_the_nearest_level(tmp_path, no_pillow):
    levels = np.array([0.0, 0.5 / 255, 0.49 / 255, 1.0, 1.7, -3.0, 128.4 / 255, 128.6 / 255], np.float32)
    image = np.broadcast_to(levels, (3, 1, levels.size)).copy()
    path = tmp_path / "levels.png"
    utils.save_image(minitorch.tensor(image), path)  # a pathlib.Path works too
    np.testing.assert_array_equal(decode_png(path.read_bytes())[0, :, 0], [0, 1, 0, 255, 255, 0, 128, 129])


def test_save_image_into_a_file_object_needs_a_format(no_pillow):
    buffer = io.BytesIO()
    utils.save_image(minitorch.rand(2, 3, 4, 4), buffer, format="png")
    assert decode_png(buffer.getvalue()).shape == (8, 14, 3)
    with pytest.raises(ValueError, match="unknown file extension: $"):
        utils.save_image(minitorch.rand(3, 4, 4), io.BytesIO())


def test_save_image_asks_for_pillow_for_other_formats_and_leaves_no_file(tmp_path, no_pillow):
    with pytest.raises(ImportError, match="pip install pillow"):
        utils.save_image(minitorch.rand(3, 4, 4), str(tmp_path / "image.jpg"))
    with pytest.raises(ImportError, match="pip install pillow"):
        utils.save_image(minitorch.rand(3, 4, 4), str(tmp_path / "image.png"), format="JPEG")
    assert os.listdir(tmp_path) == []


def test_save_image_replaces_an_existing_file_whole(tmp_path, no_pillow):
    path = tmp_path / "image.png"
    path.write_bytes(b"old contents")
    utils.save_image(minitorch.zeros(3, 2, 2), str(path))
    np.testing.assert_array_equal(decode_png(path.read_bytes()), np.zeros((2, 2, 3), np.uint8))


@pytest.mark.parametrize("channels, color_type", [(1, 0), (2, 4), (3, 2), (4, 6)])
def test_the_png_encoder_writes_each_pixel_format(channels, color_type):
    pixels = np.random.default_rng(2).integers(0, 256, (5, 7, channels), dtype=np.uint8)
    data = _png.encode_png(pixels)
    assert data[25] == color_type  # IHDR's colour type byte
    np.testing.assert_array_equal(decode_png(data), pixels)
    if channels == 1:
        np.testing.assert_array_equal(decode_png(_png.encode_png(pixels[:, :, 0])), pixels)


@pytest.mark.parametrize("pixels, exc, message", [
    (np.zeros((2, 2, 3), np.float32), TypeError, "PNG pixels must be uint8, got float32"),
    (np.zeros((2, 2, 5), np.uint8), TypeError, r"Cannot handle this data type: \(1, 1, 5\), \|u1"),
    (np.zeros((0, 2, 3), np.uint8), ValueError, r"cannot write an empty image \(2x0 pixels\) as PNG"),
])
def test_the_png_encoder_rejects_what_png_cannot_hold(pixels, exc, message):
    with pytest.raises(exc, match=message):
        _png.encode_png(pixels)


@requires_pillow
def test_pillow_reads_minitorchs_png_and_writes_what_minitorch_decodes(tmp_path, monkeypatch):
    pixels = np.random.default_rng(3).integers(0, 256, (6, 9, 3), dtype=np.uint8)
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(_png.encode_png(pixels)))), pixels)
    x = np.random.default_rng(4).random((4, 3, 5, 5), dtype=np.float32)
    utils.save_image(minitorch.tensor(x), str(tmp_path / "pil.png"), nrow=3)  # through Pillow
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "pil.png")), ref_pixels(ref_make_grid(x, nrow=3)))
    utils.save_image(minitorch.tensor(x), str(tmp_path / "pil.jpg"))
    assert Image.open(tmp_path / "pil.jpg").format == "JPEG"
    assert sorted(os.listdir(tmp_path)) == ["pil.jpg", "pil.png"]
