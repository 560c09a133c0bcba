"""Devices: where a tensor's memory lives ("cpu" or "cuda:N", or a type a backend registered),
and the default device of the factory functions (``set_default_device``, ``with device("cuda"):``)."""
from __future__ import annotations

import re
import threading

# Device types beyond "cpu" and "cuda": those a new backend registered (_backends.register).
REGISTERED_TYPES: set = set()

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

    def __enter__(self) -> "device":
        """``with device("cuda"):``: factory functions called without a device inside the
        block create their tensors on this one (as torch.device's context manager)."""
        _state().stack.append(self)
        return self

    def __exit__(self, *exc) -> None:
        _state().stack.pop()


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
    if name not in DEVICE_TYPES and name not in REGISTERED_TYPES:
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


# The default device is per thread, as PyTorch's (its device context lives in thread-local
# state): ``stack`` holds the devices of the ``with device(...)`` blocks, innermost last;
# ``default`` is what set_default_device set (None: the CPU).
_local = threading.local()


def _state():
    state = _local.__dict__
    if "stack" not in state:
        _local.stack, _local.default = [], None
    return _local


def set_default(d) -> None:
    """Make d (None: the CPU) the device of factory functions called without one."""
    _state().default = None if d is None else as_device(d)


def get_default():
    """The device factory functions use when given none: the innermost ``with device(...)``
    block's, else set_default_device's, else None (the CPU)."""
    state = _state()
    return state.stack[-1] if state.stack else state.default


def factory_device(d) -> device:
    """The device of a factory function's ``device=`` argument (None: the default device)."""
    if d is None:
        state = _state()
        d = state.stack[-1] if state.stack else state.default
        if d is None:
            return CPU
    return as_device(d)
