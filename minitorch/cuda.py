"""minitorch.cuda: the GPU, as torch.cuda describes it.

Nothing here imports numba.cuda until it is asked a question about the GPU, so
``import minitorch`` works on machines without CUDA; there, ``is_available()`` is
False and using a "cuda" device raises a RuntimeError that says why.
"""
from __future__ import annotations

from ._backends.cuda import _runtime

__all__ = ["is_available", "device_count", "current_device", "get_device_name", "synchronize",
           "manual_seed", "manual_seed_all", "get_rng_state", "set_rng_state", "is_bf16_supported", "memory_allocated", "max_memory_allocated",
           "memory_reserved", "empty_cache", "is_simulator"]


def is_available() -> bool:
    """True when a CUDA GPU (or numba's CUDA simulator) can run minitorch's kernels."""
    return _runtime.is_available()


def is_simulator() -> bool:
    """True when kernels run in numba's CPU simulator (NUMBA_ENABLE_CUDASIM=1): for tests."""
    return _runtime.simulator() and _runtime.is_available()


def device_count() -> int:
    """How many GPUs numba sees (0 without CUDA)."""
    return _runtime.device_count()


def current_device() -> int:
    """The index of the GPU tensors go to (minitorch uses cuda:0)."""
    _runtime.load()
    return 0


def get_device_name(device=None) -> str:
    """The GPU's name, e.g. 'NVIDIA H100 80GB HBM3'."""
    cuda = _runtime.load()
    if _runtime.simulator():
        return "numba CUDA simulator"
    name = cuda.get_current_device().name
    return name.decode() if isinstance(name, bytes) else str(name)


def synchronize(device=None) -> None:
    """Wait until every kernel launched so far has finished (for timing); raises an error a
    kernel reported on the device since the last sync (an out-of-range class target)."""
    _runtime.load().synchronize()
    from ._backends.cuda import _device_errors
    _device_errors.check()


def manual_seed(seed: int) -> None:
    """Seed the GPU's random stream (dropout, rand/randn on cuda tensors)."""
    _runtime.load()
    from ._backends.cuda import _random
    _random.manual_seed(int(seed))


manual_seed_all = manual_seed


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """False: minitorch has no bfloat16 (scripts that pick their autocast dtype with this
    choose float16, and autocast then runs in float32 with a warning)."""
    return False


def get_rng_state(device="cuda"):
    """The GPU generator's state as a uint8 CPU tensor (for set_rng_state)."""
    _runtime.load()
    from ._backends.cuda import _random
    from ._creation import from_numpy
    return from_numpy(_random.get_rng_state())


def set_rng_state(new_state, device="cuda") -> None:
    """Restore the GPU generator from a state given by get_rng_state."""
    _runtime.load()
    from ._backends.cuda import _random
    _random.set_rng_state(new_state.numpy() if hasattr(new_state, "numpy") else new_state)


def _pool():
    _runtime.load()
    from ._backends.cuda._array import POOL
    return POOL


def memory_allocated(device=None) -> int:
    """Bytes held by live CUDA tensors (rounded to the allocator's block sizes)."""
    return _pool().allocated if _runtime.is_available() else 0


def max_memory_allocated(device=None) -> int:
    """The peak of memory_allocated() in this process."""
    return _pool().peak if _runtime.is_available() else 0


def memory_reserved(device=None) -> int:
    """Bytes obtained from the driver: live tensors plus the allocator's cache."""
    return _pool().reserved if _runtime.is_available() else 0


def empty_cache() -> None:
    """Give the allocator's cached free blocks back to the driver."""
    if _runtime.is_available():
        _pool().empty_cache()


# torch.cuda.amp, the deprecated spelling of torch.amp: this file is a module, not a package,
# so the submodule is registered by hand (``from minitorch.cuda.amp import GradScaler`` works).
import sys as _sys  # noqa: E402

from .amp import cuda_amp as amp  # noqa: E402

_sys.modules[__name__ + ".amp"] = amp
