"""Pieces of a tensor along a dim, as views: narrow, select, split, chunk, unbind."""
from __future__ import annotations

import numpy as np

from .._declare import op
from .._backends._table_errors import call_translating
from ..tensor import Tensor
from ._common import wrap_dim
from .index import UnbindBackward0, _BASIC, getitem


@op
def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """A view of length elements along dim, from start."""
    if input.dim() == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    start = start.item() if isinstance(start, Tensor) and start.numel() == 1 else start
    for name, value, position in (("start", start, 2), ("length", length, 3)):
        _int_arg(value, "narrow", name, position)
    d = wrap_dim(dim, input.dim())
    size = input.shape[d]
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    return _narrow(input, dim, int(start), int(length))


def _int_arg(value, fn: str, arg: str, position: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{fn}(): argument '{arg}' (position {position}) must be int, not {type(value).__name__}")
    return int(value)


@op
def select(input: Tensor, dim: int, index: int) -> Tensor:
    """The slice at index along dim, that dim removed (a view)."""
    if input.dim() == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, input.dim())
    index = index.item() if isinstance(index, Tensor) and index.numel() == 1 else index
    _int_arg(index, "select", "index", 2)
    size = input.shape[d]
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(input.shape)} at "
                         f"dimension {d}")
    return getitem(input, (slice(None),) * d + (index,))


def _narrow(a: Tensor, dim: int, start: int, length: int, name: str = "SliceBackward0") -> Tensor:
    d = wrap_dim(dim, a.dim())
    size = a.shape[d]
    if start < 0:
        start += size
    if start < 0 or start + length > size or length < 0:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    idx = (slice(None),) * d + (slice(start, start + length),)
    return _BASIC[name].apply(a, idx)


@op
def split(tensor: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """A tuple of views along dim: pieces of split_size_or_sections (an int, or a list of sizes)."""
    a = tensor
    if a.dim() == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = wrap_dim(dim, a.dim())
    size = a.shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)) and not isinstance(split_size_or_sections, bool):
        step = split_size_or_sections = int(split_size_or_sections)
        if step < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={step}")
        if step == 0 and size > 0:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {size}")
        sections = [min(step, size - s) for s in range(0, size, step)] if size else [0]
    else:
        if not isinstance(split_size_or_sections, (list, tuple)):
            raise TypeError("split_with_sizes(): argument 'split_sizes' (position 2) must be tuple of ints, not "
                            f"{type(split_size_or_sections).__name__}")
        sections = [_int_arg(n, "split_with_sizes", "split_sizes", 2) for n in split_size_or_sections]
        if any(n < 0 for n in sections):
            raise RuntimeError("split_with_sizes expects split_sizes have only non-negative entries, but got "
                               f"split_sizes={sections}")
        if sum(sections) != size:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's size at "
                f"dimension {d}), but got split_sizes={sections}")
    name = "SplitBackward0" if isinstance(split_size_or_sections, int) else "SplitWithSizesBackward0"
    out, start = [], 0
    for n in sections:
        out.append(_numbered(_narrow(a, d, start, n, name), len(out)))
        start += n
    return tuple(out)


def _numbered(t: Tensor, output_nr: int) -> Tensor:
    """Record which output of a multi-output view function t is (named in PyTorch's error for
    an in-place op on it)."""
    if t._grad_fn is not None:
        t._grad_fn._output_nr = output_nr
    return t


@op
def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    """A tuple of at most chunks views of equal size (the last may be smaller) along dim."""
    a = input
    _int_arg(chunks, "chunk", "chunks", 1)
    if not -(1 << 63) <= chunks < (1 << 63):
        raise ValueError("Overflow when unpacking long long")
    if a.dim() == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    d = wrap_dim(dim, a.dim())
    size = a.shape[d]
    if size == 0:
        call_translating(np.empty, chunks, object)  # as many views as chunks: PyTorch's bad_alloc beyond memory
        return tuple(_numbered(_narrow(a, d, 0, 0, "SplitWithSizesBackward0"), i) for i in range(chunks))
    return split(a, -(-size // chunks), d)


@op
def unbind(input: Tensor, dim: int = 0) -> tuple:
    """A tuple of the slices along dim, that dim removed."""
    if input.dim() == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = wrap_dim(dim, input.dim())
    return tuple(_numbered(UnbindBackward0.apply(input, (slice(None),) * d + (i,)), i)
                 for i in range(input.shape[d]))
