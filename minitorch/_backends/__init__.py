"""Backends: one op table per device (the interface is base.Backend). The ops call these,
never NumPy or numba.cuda directly."""
import sys

import numpy as np

from .base import Backend  # noqa: F401 - the interface every table implements
from .cpu import CPUBackend

cpu = CPUBackend()


# The op tables of the device types registered by new backends (register).
_REGISTERED: dict = {}


def register(device_type: str, table: Backend) -> None:
    """Make ``minitorch.device(device_type)`` a device whose tensors live in table: how a new
    backend plugs in (``x.to(device_type)``, ``zeros(..., device=device_type)``, ...)."""
    from ..device import REGISTERED_TYPES
    if not isinstance(table, Backend):
        raise TypeError(f"a backend must implement minitorch._backends.base.Backend, got {type(table).__name__}")
    REGISTERED_TYPES.add(device_type)
    _REGISTERED[device_type] = table


def get(device) -> "CPUBackend":
    """The op table of a device; a RuntimeError saying why when the device cannot be used."""
    if device.type == "cpu":
        return cpu
    table = _REGISTERED.get(device.type)
    if table is not None:
        return table
    if device.type != "cuda":
        raise RuntimeError(f"minitorch is not linked with support for {device.type} devices (it runs on "
                           "cpu and cuda, and on the device types a backend registered)")
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


def manual_seed_devices(seed: int) -> None:
    """Seed the default generator of every device that has one of its own (the GPU's: now
    when its module is loaded, else when it is first used)."""
    from .cuda import _runtime
    _runtime.SEED[0] = int(seed)
    cuda_random = sys.modules.get("minitorch._backends.cuda._random")
    if cuda_random is not None:
        cuda_random.manual_seed(int(seed))
