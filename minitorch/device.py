"""Devices: where a tensor's memory lives ("cpu" or "cuda:N", or a type a backend registered),
and the default device of the factory functions (``set_default_device``, ``with device("cuda"):``)."""
from __future__ import annotations

import threading

# Device types beyond "cpu" and "cuda": those a new backend registered (_backends.register).
REGISTERED_TYPES: set = set()


class device:
    """A device, as torch.device: ``device("cpu")``, ``device("cuda:0")``, ``device("cuda", 0)``."""

    __slots__ = ("type", "index")

    def __init__(self, type: "str | device", index: int | None = None) -> None:  # noqa: A002
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if not isinstance(type, str):
            raise TypeError(f"device() received an invalid combination of arguments - got ({type!r})")
        name, _, idx = type.partition(":")
        if name not in ("cpu", "cuda") and name not in REGISTERED_TYPES:
            raise RuntimeError(
                f"Expected one of cpu, cuda device type at start of device string: {type}"
            )
        if idx:
            if index is not None or not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}'")
            index = int(idx)
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


CPU = device("cpu")


def as_device(d) -> device:
    """Normalise a device argument (None, str, int, device) to a device."""
    if d is None:
        return CPU
    if isinstance(d, device):
        return d
    if isinstance(d, int) and not isinstance(d, bool):
        return device("cuda", d)
    return device(d)


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
