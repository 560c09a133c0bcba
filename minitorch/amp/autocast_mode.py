"""autocast: PyTorch's mixed-precision regions, in a framework that computes in float32.

minitorch has no bfloat16 and no autocasting kernels, so an autocast region runs every op in
the tensors' own dtype. ``autocast(..., enabled=False)`` (the common ``enabled=args.amp``)
is exactly a no-op. ``enabled=True`` is treated as PyTorch treats a device/dtype pair it
cannot autocast: a UserWarning, and autocast disabled — the script runs unchanged and its
numbers are the ones PyTorch gives with autocast off. On "cuda" without a GPU the warning is
PyTorch's own ("CUDA is not available ...").
"""
from __future__ import annotations

import functools
import threading
import warnings

__all__ = ["autocast", "custom_fwd", "custom_bwd", "is_autocast_available", "is_autocast_enabled"]

# Devices an autocast region may name (PyTorch's autocast devices that minitorch knows).
_AUTOCAST_DEVICES = ("cpu", "cuda")


class _State(threading.local):
    """Per thread, as PyTorch keeps it: is autocast on, per device type."""

    def __init__(self) -> None:
        self.enabled = {"cpu": False, "cuda": False}


_STATE = _State()


def _device_type(device_type: str) -> str:
    """The device type of a device string, with minitorch.device's error for a bad one."""
    from ..device import device
    return device(device_type).type


def is_autocast_available(device_type: str) -> bool:
    """True when ``autocast(device_type)`` is accepted: "cpu" and "cuda"."""
    return _device_type(device_type) in _AUTOCAST_DEVICES


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """Is an autocast region active on device_type (no argument: "cuda", as in PyTorch)?

    Always False in minitorch: a region that asks for it warns and runs in float32."""
    kind = "cuda" if device_type is None else _device_type(device_type)
    return _STATE.enabled.get(kind, False)


def _dtype_name(dtype) -> str:
    return "torch.bfloat16" if dtype is None else str(dtype)


class autocast:
    """``with minitorch.autocast("cuda", dtype=minitorch.float16):`` runs its ops in their own
    dtype (float32): see the module's docstring. Also a decorator: ``@autocast("cpu")``."""

    def __init__(self, device_type: str, dtype=None, enabled: bool = True, cache_enabled: bool | None = None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        self.device = device_type
        if not is_autocast_available(device_type):
            raise RuntimeError(f"User specified an unsupported autocast device_type '{device_type}'")
        self.fast_dtype = dtype
        self._cache_enabled = True if cache_enabled is None else cache_enabled
        kind = _device_type(device_type)
        if enabled is True:  # (a non-bool is refused by __enter__, as in PyTorch)
            if kind == "cuda" and not _cuda_available():
                warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.",
                              stacklevel=2)
            else:
                name = kind.upper()
                warnings.warn(
                    f"In {name} autocast, but the target dtype is not supported. Disabling autocast.\n"
                    f"minitorch has no mixed precision: the region runs in the tensors' own dtype "
                    f"(float32), not {_dtype_name(dtype)}. Pass enabled=False to autocast to "
                    "silence this warning.", stacklevel=2)
            enabled = False
        self._enabled = enabled
        self._kind = kind

    def __enter__(self) -> "autocast":
        if not isinstance(self._enabled, bool):
            raise TypeError(f"set_autocast_enabled(): argument 'enabled' (position 2) must be bool, "
                            f"not {type(self._enabled).__name__}")
        self._prev = _STATE.enabled[self._kind]
        _STATE.enabled[self._kind] = self._enabled
        return self

    def __exit__(self, exc_type, exc_val, exc_tb) -> bool:
        _STATE.enabled[self._kind] = self._prev
        return False

    def __call__(self, func):
        if not callable(func):
            raise TypeError(
                f"autocast()(func) requires a callable, but got {type(func).__name__}. "
                "Did you mean to use autocast as a context manager? For example:\n"
                "    with torch.autocast(device_type=...):\n"
                "        output = model(input)")

        @functools.wraps(func)
        def decorate_autocast(*args, **kwargs):
            with self:
                return func(*args, **kwargs)
        return decorate_autocast


def _cuda_available() -> bool:
    from .. import cuda
    return cuda.is_available()


def custom_fwd(fwd=None, *, device_type: str, cast_inputs=None):
    """Decorate an autograd.Function's forward for autocast regions. minitorch never
    autocasts, so forward runs as written (cast_inputs only applies inside an enabled region,
    and no region is enabled); it records what custom_bwd needs, as PyTorch does."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def decorate_fwd(*args, **kwargs):
        args[0]._fwd_used_autocast = is_autocast_enabled(device_type) if cast_inputs is None else False
        return fwd(*args, **kwargs)
    return decorate_fwd


def custom_bwd(bwd=None, *, device_type: str):
    """Decorate an autograd.Function's backward to run in forward's autocast state (which in
    minitorch is always "off")."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def decorate_bwd(*args, **kwargs):
        with autocast(device_type, enabled=getattr(args[0], "_fwd_used_autocast", False)):
            return bwd(*args, **kwargs)
    return decorate_bwd
