"""The text form of a tensor, character for character what PyTorch's ``repr(tensor)`` prints.

The rules follow ``torch/_tensor_str.py`` (PyTorch 2.13), rewritten for NumPy arrays:

* One ``_Formatter`` per tensor decides how *every* element is written (fixed point,
  integer-looking ``1.``, or scientific) and the common column width, so columns line up.
* Tensors with more than ``threshold`` elements are summarised: each dimension longer than
  ``2 * edgeitems`` shows only its first and last ``edgeitems`` entries around ``...``.
  The formatter then looks only at the shown entries, which keeps huge tensors cheap.
* Rows wrap at ``linewidth``; nested brackets indent by one space per level.
* Suffixes such as ``dtype=torch.float64`` follow the contents, wrapping onto a new line
  when they would overflow ``linewidth``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Iterator
from typing import Any

import numpy as np


@dataclasses.dataclass
class _PrintOptions:
    """The knobs of torch.set_printoptions, with torch's defaults."""

    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


_OPTS = _PrintOptions()

# The named presets accepted as ``profile``; explicit arguments override them.
_PROFILES: dict[str, dict[str, Any]] = {
    "default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}

# Dtypes whose name is never printed for non-empty tensors (besides the default float dtype).
_IMPLIED_DTYPES = ("int64", "bool")


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Change how tensors print; same arguments and semantics as torch.set_printoptions."""
    # Like torch, an unknown profile name is silently ignored.
    for name, value in _PROFILES.get(profile, {}).items():
        setattr(_OPTS, name, value)
    given = dict(precision=precision, threshold=threshold, edgeitems=edgeitems, linewidth=linewidth)
    for name, value in given.items():
        if value is not None:
            setattr(_OPTS, name, value)
    # torch always overwrites sci_mode, so any call without it goes back to automatic.
    _OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """The current options, as keyword arguments that set_printoptions accepts."""
    return dataclasses.asdict(_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs: Any) -> Iterator[None]:
    """Temporarily change the print options inside a ``with`` block."""
    saved = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**saved)


class _Formatter:
    """Chooses one notation and one column width for all elements of a tensor."""

    def __init__(self, values: np.ndarray) -> None:
        """Inspect ``values`` (the shown elements) to pick the notation and width."""
        flat = values.reshape(-1)
        self.floating = flat.dtype.kind == "f"
        self.int_mode = True  # every float is a whole number: print "3." not "3.0000"
        self.sci_mode = False
        self.max_width = 1
        if not self.floating:
            if flat.size:
                # str() length grows with |v| on each side of zero, so the extremes are widest.
                self.max_width = max(len(str(flat.min().item())), len(str(flat.max().item())))
            return

        # Zeros, nan and inf say nothing about magnitudes, so they are left out of the stats.
        shown = flat[np.isfinite(flat) & (flat != 0)]
        if shown.size == 0:
            return  # keeps int_mode, and ignores a forced sci_mode, exactly as torch does

        magnitudes = np.abs(shown).astype(np.float64)  # torch does this arithmetic in double
        smallest, largest = magnitudes.min(), magnitudes.max()
        self.int_mode = bool(np.all(shown == np.ceil(shown)))
        if _OPTS.sci_mode is None:
            with np.errstate(over="ignore"):  # 1e308 / 1e-308 is inf, which is fine here
                ratio = largest / smallest
            self.sci_mode = bool(ratio > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4)
        else:
            self.sci_mode = _OPTS.sci_mode

        # .tolist() turns float32 into the exactly equal Python float, as torch's .item() does.
        widths = [len(self._plain(v)) for v in shown.tolist()]
        # In integer mode a "." is appended later, so reserve a column for it.
        dot = 1 if self.int_mode and not self.sci_mode else 0
        self.max_width = max(self.max_width, max(widths) + dot)

    def _plain(self, value: float) -> str:
        """One float in the chosen notation, without the integer-mode dot or padding."""
        precision = _OPTS.precision
        if self.sci_mode:
            return f"{value:.{precision}e}"
        if self.int_mode:
            return f"{value:.0f}"
        return f"{value:.{precision}f}"

    def format(self, value: float | int | bool) -> str:
        """One element, right-aligned to the shared column width."""
        if not self.floating:
            text = str(value)
        else:
            text = self._plain(value)
            # The dot marks "this is a float"; nan and inf already look like floats.
            if self.int_mode and not self.sci_mode and math.isfinite(value):
                text += "."
        return text.rjust(self.max_width)


def _summarized(values: np.ndarray) -> np.ndarray:
    """The elements a summarised print shows: the edge items of every long dimension."""
    edge = _OPTS.edgeitems
    if values.ndim == 0:
        return values
    if not edge:
        # Only "[...]" is printed, so no element needs formatting.
        return values[(slice(0, 0),) * values.ndim]
    for axis, size in enumerate(values.shape):
        if size > 2 * edge:
            kept = np.r_[0:edge, size - edge : size]
            values = np.take(values, kept, axis=axis)
    return values


def _vector_str(row: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    """A 1-d row, wrapped so each line fits in linewidth after ``indent`` columns."""
    edge = _OPTS.edgeitems
    # Each element takes its width plus ", " (the comma and the space).
    per_line = max(1, math.floor((_OPTS.linewidth - indent) / (fmt.max_width + 2)))
    if summarize and not edge:
        items = ["..."]
    elif summarize and row.shape[0] > 2 * edge:
        head = [fmt.format(v) for v in row[:edge].tolist()]
        tail = [fmt.format(v) for v in row[-edge:].tolist()]
        # " ..." carries a space so that, after ", ", it lines up like a column.
        items = head + [" ..."] + tail
    else:
        items = [fmt.format(v) for v in row.tolist()]
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(values: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    """Any-dimensional contents, one bracket level per dimension."""
    if values.ndim == 0:
        return fmt.format(values.item())
    if values.ndim == 1:
        return _vector_str(values, indent, summarize, fmt)

    edge = _OPTS.edgeitems
    size = values.shape[0]
    if summarize and size > 2 * edge:
        rows = list(range(edge)) + [None] + list(range(size - edge, size))
    else:
        rows = list(range(size))
    parts = ["..." if i is None else _nested_str(values[i], indent + 1, summarize, fmt) for i in rows]
    # Higher dimensions are separated by more blank lines: one per extra dimension.
    separator = "," + "\n" * (values.ndim - 1) + " " * (indent + 1)
    return "[" + separator.join(parts) + "]"


def _contents_str(values: np.ndarray, indent: int) -> str:
    """The bracketed contents of a non-empty tensor, summarised when it is large."""
    summarize = values.size > _OPTS.threshold
    fmt = _Formatter(_summarized(values) if summarize else values)
    return _nested_str(values, indent, summarize, fmt)


def _add_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    """Append ``, suffix`` items, starting a new indented line when one would not fit."""
    parts = [text]
    # torch's line-length estimate, kept as is (it counts two more than the visible text).
    line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if line_len + len(suffix) + 2 > _OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def tensor_repr(
    values: np.ndarray,
    *,
    dtype_name: str,
    device: str = "cpu",
    grad_fn: str | None = None,
    requires_grad: bool = False,
    default_dtype: str = "float32",
) -> str:
    """What repr(torch_tensor) prints for a tensor holding `values`."""
    values = np.asarray(values)
    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    # torch names the device first, and only when it is not the default (CPU).
    if device.split(":")[0] != "cpu":
        suffixes.append(f"device='{device}'")

    size = "size=" + str(tuple(int(n) for n in values.shape))
    dtype = "dtype=torch." + dtype_name
    if values.size == 0:
        # Empty contents hide the shape and dtype, so both are spelled out
        # (shape (0,) is the one that "[]" already implies).
        if values.ndim != 1:
            suffixes.append(size)
        if dtype_name != default_dtype:
            suffixes.append(dtype)
        contents = "[]"
    else:
        if not _OPTS.edgeitems:
            suffixes.append(size)  # with no edge items the contents are just "[...]"
        # Values already reveal int64 ("1") and bool ("True"), and float32 is the default.
        if dtype_name not in (default_dtype, *_IMPLIED_DTYPES):
            suffixes.append(dtype)
        contents = _contents_str(values, indent)

    if grad_fn is not None:
        suffixes.append(f"grad_fn=<{grad_fn}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + contents, suffixes, indent)
