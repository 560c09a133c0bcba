"""minitorch.accelerator: torch.accelerator, the device-agnostic view of the GPU.

The accelerator is CUDA when ``minitorch.cuda.is_available()``; otherwise there is none and
``current_accelerator()`` returns None, as PyTorch does on a machine without one. So the
usual line of PyTorch's examples works unchanged::

    device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"

minitorch drives one GPU, cuda:0.
"""
from __future__ import annotations

import warnings

from . import cuda as _cuda
from .device import device as _device

__all__ = ["current_accelerator", "current_device_idx", "current_device_index", "device_count", "device_index",
           "empty_cache", "is_available", "max_memory_allocated", "memory_allocated", "memory_reserved",
           "set_device_idx", "set_device_index", "synchronize"]

_NONE = "Cannot access accelerator device when none is available."


def is_available() -> bool:
    """Whether an accelerator (a CUDA GPU that minitorch can use) is available."""
    return _cuda.is_available()


def current_accelerator(check_available: bool = False):
    """The accelerator's device type as a device without an index (``device(type='cuda')``),
    or None when there is none."""
    return _device("cuda") if _cuda.is_available() else None


def device_count() -> int:
    """The number of accelerator devices (0 without one)."""
    return _cuda.device_count() if _cuda.is_available() else 0


def _require() -> None:
    if not _cuda.is_available():
        raise RuntimeError(_NONE)


def _device_index(device, optional: bool) -> int:
    """The index a device argument names (PyTorch's rules: an int is an index, a device must
    be the accelerator's type, None is the current device where allowed)."""
    if isinstance(device, int) and not isinstance(device, bool):
        return device
    if isinstance(device, str):
        device = _device(device)
    index = None
    if isinstance(device, _device):
        acc = current_accelerator()
        if acc is None:
            raise RuntimeError("Accelerator expected")
        if acc.type != device.type:
            raise ValueError(f"{device.type} doesn't match the current accelerator {acc}.")
        index = device.index
    if index is None:
        if not optional:
            raise ValueError(f"Expected a torch.device with a specified index or an integer, but got:{device}")
        return current_device_index()
    return index


def _check_index(index: int) -> None:
    _require()
    if index >= device_count() or index < -1:
        raise RuntimeError(f"CUDA error: invalid device ordinal: device {index} was asked for and "
                           f"{device_count()} CUDA device(s) are available")
    if index > 0:
        raise RuntimeError(f"minitorch's CUDA backend uses one GPU, cuda:0; cuda:{index} is not supported")


def current_device_index() -> int:
    """The index of the current accelerator device (always 0: minitorch uses cuda:0)."""
    _require()
    return _cuda.current_device()


def set_device_index(device, /) -> None:
    """Make device the current one (only cuda:0 exists for minitorch; a negative index is a no-op)."""
    index = _device_index(device, optional=False)
    if index < 0:
        _require()
        return
    _check_index(index)


def current_device_idx() -> int:
    """(Deprecated) current_device_index()."""
    warnings.warn("Use `current_device_index` instead.", FutureWarning, stacklevel=2)
    return current_device_index()


def set_device_idx(device, /) -> None:
    """(Deprecated) set_device_index(device)."""
    warnings.warn("Use `set_device_index` instead.", FutureWarning, stacklevel=2)
    set_device_index(device)


def synchronize(device=None, /) -> None:
    """Wait until every kernel launched on the accelerator has finished."""
    index = _device_index(device, optional=True)
    _check_index(index)
    _cuda.synchronize()


class device_index:  # noqa: N801 - PyTorch's name
    """Context manager that makes a device index current inside it (None: no change)."""

    def __init__(self, device, /) -> None:
        self.idx = device
        self.prev_idx = -1

    def __enter__(self) -> None:
        if self.idx is not None:
            self.prev_idx = current_device_index()
            set_device_index(self.idx)

    def __exit__(self, *exc_info) -> None:
        if self.idx is not None and self.prev_idx >= 0:
            set_device_index(self.prev_idx)


def memory_allocated(device_index=None, /) -> int:
    """Bytes held by live tensors on the accelerator."""
    _check_index(_device_index(device_index, optional=True))
    return _cuda.memory_allocated()


def max_memory_allocated(device_index=None, /) -> int:
    """The peak of memory_allocated() in this process."""
    _check_index(_device_index(device_index, optional=True))
    return _cuda.max_memory_allocated()


def memory_reserved(device_index=None, /) -> int:
    """Bytes obtained from the driver: live tensors plus the allocator's cache."""
    _check_index(_device_index(device_index, optional=True))
    return _cuda.memory_reserved()


def empty_cache() -> None:
    """Give the allocator's cached free blocks back to the driver."""
    _require()
    _cuda.empty_cache()
