"""Devices: where a tensor's memory lives ("cpu" or "cuda:N")."""
from __future__ import annotations

import re

# The device types PyTorch's parser knows (in the order its message lists them): a script may
# name any of them (torch.device("mps") is a valid object); minitorch runs on cpu and cuda.
DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga",
                "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")
_DEVICE_STRING = re.compile(r"([a-zA-Z_]+)(?::([1-9]\d*|0))?")


class device:
    """A device, as torch.device: ``device("cpu")``, ``device("cuda:0")``, ``device("cuda", 0)``."""

    __slots__ = ("type", "index")

    def __init__(self, type: "str | device | int", index: int | None = None) -> None:  # noqa: A002
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int) and not isinstance(type, bool) and index is None:
            type, index = "cuda", type  # a bare index names a GPU, as in PyTorch
        if not isinstance(type, str):
            raise TypeError(f"device() received an invalid combination of arguments - got ({type!r})")
        if index is not None and (not isinstance(index, int) or isinstance(index, bool)):
            raise TypeError(f"device(): argument 'index' (position 2) must be int, not {_type_name(index)}")
        name, idx = _parse(type)
        if idx is not None:
            if index is not None:
                raise RuntimeError("type (string) must not include an index because index was passed "
                                   f"explicitly: {type}")
            index = idx
        if index is not None and index < 0:
            raise RuntimeError("Device index must not be negative")
        self.type, self.index = name, index

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and self.type == other.type and self.index == other.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))


def _type_name(value) -> str:
    return type(value).__name__


def _parse(text: str) -> tuple[str, int | None]:
    """(type, index or None) of a device string, with PyTorch's errors."""
    if not text:
        raise RuntimeError("Device string must not be empty")
    match = _DEVICE_STRING.fullmatch(text)
    if match is None:
        raise RuntimeError(f"Invalid device string: '{text}'")
    name, idx = match.groups()
    if name not in DEVICE_TYPES:
        raise RuntimeError(f"Expected one of {', '.join(DEVICE_TYPES)} device type at start of device "
                           f"string: {text}")
    return name, None if idx is None else int(idx)


CPU = device("cpu")


def as_device(d) -> device:
    """Normalise a device argument (None, str, int, device) to a device."""
    if d is None:
        return CPU
    if isinstance(d, device):
        return d
    if isinstance(d, (str, int)) and not isinstance(d, bool):
        return device(d)
    raise TypeError(f"argument 'device' must be torch.device, not {_type_name(d)}")
