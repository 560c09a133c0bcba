"""Memory formats and layouts, the tokens PyTorch code passes as ``memory_format=`` and
``layout=``: ``contiguous_format``, ``preserve_format``, ``channels_last``,
``channels_last_3d``, and the one layout minitorch tensors have, ``strided``."""
from __future__ import annotations


class memory_format:  # noqa: N801 - PyTorch's name
    """How a copy lays its elements out in memory (prints as ``torch.channels_last``)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return "torch." + self.name

    def __reduce__(self):
        return (_by_name, (self.name,))


class layout:  # noqa: N801 - PyTorch's name
    """The storage layout of a tensor (minitorch's are all ``strided``: dense with strides)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return "torch." + self.name

    def __reduce__(self):
        return (_by_name, (self.name,))


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
strided = layout("strided")

_ALL = {x.name: x for x in (contiguous_format, preserve_format, channels_last, channels_last_3d, strided)}


def _by_name(name: str):
    return _ALL[name]


def copy_order(shape, strides, fmt, fn: str = "clone") -> list | None:
    """The order of dims, outermost first, in which a copy lays out its elements for the
    memory format fmt (None: row-major). preserve_format (the default) keeps the order of a
    tensor whose elements are dense without overlap, as PyTorch does; channels_last puts the
    channel dim innermost."""
    nd = len(shape)
    if fmt is channels_last:
        if nd != 4:
            raise RuntimeError("required rank 4 tensor to use channels_last format")
        return [0, 2, 3, 1]
    if fmt is channels_last_3d:
        if nd != 5:
            raise RuntimeError("required rank 5 tensor to use channels_last_3d format")
        return [0, 2, 3, 4, 1]
    if fmt is contiguous_format or nd < 2:
        return None
    if fmt is not None and fmt is not preserve_format:
        raise TypeError(f"{fn}(): argument 'memory_format' must be torch.memory_format, not {type(fmt).__name__}")
    order = sorted(range(nd), key=lambda d: -strides[d])
    if order == list(range(nd)):
        return None
    expected = 1
    for d in reversed(order):
        if shape[d] != 1 and strides[d] != expected:
            return None  # overlapping, with gaps or expanded: a row-major copy
        expected *= shape[d]
    return order
