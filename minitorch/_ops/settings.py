"""Process-wide switches of the minitorch namespace that PyTorch programs set at start-up:
deterministic algorithms and the float32 matmul precision. minitorch keeps and reports them
as PyTorch does; its kernels are deterministic and compute float32 products in float32 on
every device, so neither changes a result."""
from __future__ import annotations

import warnings

from .. import _flags
from .._declare import function

_DEBUG_MODES = {"default": 0, "warn": 1, "error": 2}


@function
def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Ask for deterministic algorithms (every minitorch kernel already is one)."""
    if not isinstance(mode, bool):
        raise TypeError(f"_set_deterministic_algorithms(): argument 'mode' (position 1) must be bool, "
                        f"not {type(mode).__name__}")
    if not isinstance(warn_only, bool):
        raise TypeError(f"_set_deterministic_algorithms(): argument 'warn_only' must be bool, "
                        f"not {type(warn_only).__name__}")
    _flags.DETERMINISTIC[:] = [mode, warn_only]


@function
def are_deterministic_algorithms_enabled() -> bool:
    """Whether use_deterministic_algorithms(True) is in effect."""
    return _flags.DETERMINISTIC[0]


@function
def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """Whether use_deterministic_algorithms was called with warn_only=True."""
    return _flags.DETERMINISTIC[1]


@function
def set_deterministic_debug_mode(debug_mode) -> None:
    """use_deterministic_algorithms by level: "default" (0) off, "warn" (1) warn only, "error" (2) on."""
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError("invalid value of debug_mode, expected one of `default`, `warn`, `error`, "
                               f"but got {debug_mode}")
        debug_mode = _DEBUG_MODES[debug_mode]
    elif not isinstance(debug_mode, int) or isinstance(debug_mode, bool):
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode)}")
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}")
    _flags.DETERMINISTIC[:] = [debug_mode != 0, debug_mode == 1]


@function
def get_deterministic_debug_mode() -> int:
    """The level set_deterministic_debug_mode names: 0, 1 (warn only) or 2."""
    mode, warn_only = _flags.DETERMINISTIC
    return 0 if not mode else 1 if warn_only else 2


@function
def set_float32_matmul_precision(precision: str) -> None:
    """Set the float32 matmul precision ("highest", "high" or "medium"); minitorch always
    computes at "highest"."""
    if not isinstance(precision, str):
        raise RuntimeError(f"set_float32_matmul_precision expects a str, but got {type(precision).__name__}")
    if precision not in ("highest", "high", "medium"):
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      "setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    _flags.MATMUL_PRECISION[0] = precision


@function
def get_float32_matmul_precision() -> str:
    """The float32 matmul precision last set ("highest" by default)."""
    return _flags.MATMUL_PRECISION[0]
