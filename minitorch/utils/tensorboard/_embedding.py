"""add_embedding's files for TensorBoard's projector, laid out as torch writes them.

Under ``<log_dir>/<step, 5 digits>/<tag, '%', '/' and '\\' escaped>/``: ``tensors.tsv`` (one
row per point, tab-separated), ``metadata.tsv`` (labels, one per line, or a header row and
columns), ``sprite.png`` (the label images on a square grid); and ``<log_dir>/projector_config.pbtxt``,
the ProjectorConfig listing every embedding of the writer in protobuf's text format. These are
whole files, not streams: each is written to a temporary name and renamed over the target.
"""
from __future__ import annotations

import contextlib
import math
import os
import tempfile

import numpy as np

from ._png import encode_png
from ._summaries import _make_grid, make_np


def encode_tag(tag: str) -> str:
    """The tag as a directory name: '%', '/' and '\\' become %25, %2f and %5c."""
    return tag.replace("%", "%25").replace("/", "%2f").replace("\\", "%5c")


def write_atomic(path: str, data: bytes) -> None:
    fd, temp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(temp, 0o644)  # (mkstemp makes it private to the owner)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def tensors_tsv(mat: np.ndarray) -> bytes:
    """One line per row, each element as Python prints it (``str(x.item())``)."""
    return "".join("\t".join(str(x.item()) for x in row) + "\n" for row in mat).encode()


def metadata_tsv(metadata, metadata_header=None) -> bytes:
    """One label per line, or (with a header) a header row and tab-separated columns."""
    if not metadata_header:
        lines = [str(x) for x in metadata]
    else:
        if len(metadata_header) != len(metadata[0]):
            raise AssertionError("len of header must be equal to the number of columns in metadata")
        lines = ["\t".join(str(e) for e in row) for row in [metadata_header] + list(metadata)]
    return ("\n".join(lines) + "\n").encode()


def sprite_png(label_img) -> bytes:
    """The (N, C, H, W) label images on a grid ceil(sqrt(N)) wide, padded to a square,
    scaled by 255 (whatever their dtype, as torch does) and PNG-encoded."""
    ncols = math.ceil(label_img.size(0) ** 0.5)
    grid = _make_grid(make_np(label_img), ncols=ncols).transpose(1, 2, 0)
    if grid.shape[0] > grid.shape[1]:  # (torch fails here too, in NumPy's broadcasting)
        raise ValueError(f"label_img of shape {tuple(label_img.shape)} makes a sprite {grid.shape[0]}x"
                         f"{grid.shape[1]} pixels, taller than wide: use square label images")
    square = np.zeros((grid.shape[1], grid.shape[1], 3))
    square[:grid.shape[0]] = grid
    return encode_png(np.uint8((square * 255).clip(0, 255)))


def _text_string(text: str) -> str:
    """A string literal of protobuf's text format as protobuf writes it today (as_utf8): C
    escapes, other control characters in octal, the rest of Unicode as it is."""
    escapes = {"\n": "\\n", "\r": "\\r", "\t": "\\t", '"': '\\"', "'": "\\'", "\\": "\\\\"}
    out = []
    for char in text:
        if char in escapes:
            out.append(escapes[char])
        elif ord(char) < 32 or ord(char) == 127:
            out.append("\\%03o" % ord(char))
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def embedding_info_pbtxt(tag: str, global_step: int, subdir: str, has_metadata: bool, label_img) -> str:
    """One ``embeddings { ... }`` block of ProjectorConfig, fields in field-number order."""
    step = str(global_step).zfill(5)
    lines = [f"  tensor_name: {_text_string(f'{tag}:{step}')}"]
    if has_metadata:
        lines.append(f"  metadata_path: {_text_string(os.path.join(subdir, 'metadata.tsv'))}")
    if label_img is not None:
        lines += ["  sprite {", f"    image_path: {_text_string(os.path.join(subdir, 'sprite.png'))}",
                  f"    single_image_dim: {label_img.size(3)}", f"    single_image_dim: {label_img.size(2)}",
                  "  }"]
    lines.append(f"  tensor_path: {_text_string(os.path.join(subdir, 'tensors.tsv'))}")
    return "embeddings {\n" + "\n".join(lines) + "\n}\n"


def add_embedding(log_dir: str, configs: list[str], mat, metadata, label_img, global_step, tag: str,
                  metadata_header) -> None:
    """Write one embedding's files and the projector config listing ``configs`` and this one."""
    mat = make_np(mat)
    if global_step is None:
        global_step = 0
    if mat.ndim != 2:
        raise AssertionError("mat should be 2D, where mat.size(0) is the number of data points")
    if metadata is not None and mat.shape[0] != len(metadata):
        raise AssertionError("#labels should equal with #data points")
    if label_img is not None and mat.shape[0] != label_img.shape[0]:
        raise AssertionError("#images should equal with #data points")
    subdir = f"{str(global_step).zfill(5)}/{encode_tag(tag)}"
    save_path = os.path.join(log_dir, subdir)
    if os.path.isdir(save_path):
        print("warning: Embedding dir exists, did you set global_step for add_embedding()?")
    elif os.path.exists(save_path):
        raise NotADirectoryError(f"Path: `{save_path}` exists, but is a file. Cannot proceed.")
    else:
        os.makedirs(save_path)
    if metadata is not None:
        write_atomic(os.path.join(save_path, "metadata.tsv"), metadata_tsv(metadata, metadata_header))
    if label_img is not None:
        write_atomic(os.path.join(save_path, "sprite.png"), sprite_png(label_img))
    write_atomic(os.path.join(save_path, "tensors.tsv"), tensors_tsv(mat))
    configs.append(embedding_info_pbtxt(tag, global_step, subdir, metadata is not None, label_img))
    write_atomic(os.path.join(log_dir, "projector_config.pbtxt"), "".join(configs).encode())
