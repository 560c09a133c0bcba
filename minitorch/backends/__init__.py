"""Backends: one op table per device. Autograd functions call these, never NumPy directly."""
import numpy as np

from .cpu import CPUBackend

cpu = CPUBackend()


def get(device) -> "CPUBackend":
    """The op table of a device; a RuntimeError saying why when the device cannot be used."""
    if device.type == "cpu":
        return cpu
    from .cuda import _runtime
    _runtime.load()
    index = 0 if device.index is None else device.index
    count = _runtime.device_count()
    if index >= count:
        raise RuntimeError(f"CUDA error: invalid device ordinal: {device} was asked for and "
                           f"{count} CUDA device(s) are available")
    if index != 0:
        raise RuntimeError(f"minitorch's CUDA backend uses one GPU, cuda:0; {device} is not supported")
    from .cuda._table import backend
    return backend(index)


def of(array):
    """The op table that owns a raw array (a NumPy array is the CPU's)."""
    if isinstance(array, np.ndarray):
        return cpu
    from .cuda._table import backend
    return backend(0)
