"""Anomaly detection: backward checks every gradient a node returns for NaN.

``with detect_anomaly():`` (or ``set_detect_anomaly(True)``) makes the engine raise
``RuntimeError: Function 'SqrtBackward0' returned nan values in its 0th output.`` at the first
node whose backward produced a NaN, as PyTorch does, instead of letting the NaN spread to the
leaves. It costs one check per gradient, so it is for debugging only.
"""
from __future__ import annotations

import functools
import warnings

# [enabled, check_nan]: read by the engine once per node.
_anomaly = [False, True]


def is_anomaly_enabled() -> bool:
    """True inside detect_anomaly / after set_detect_anomaly(True)."""
    return _anomaly[0]


def is_anomaly_check_nan_enabled() -> bool:
    """True when anomaly mode checks gradients for NaN (its check_nan argument)."""
    return _anomaly[1]


class detect_anomaly:
    """Context manager (or decorator) turning anomaly detection on: backward raises at the
    first node that returns NaN gradients (with check_nan)."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan
        self._prev = None
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", UserWarning, stacklevel=2)

    def __enter__(self) -> None:
        self._prev = tuple(_anomaly)
        _anomaly[:] = [True, self.check_nan]

    def __exit__(self, *exc) -> None:
        _anomaly[:] = list(self._prev)

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__(self.check_nan):
                return fn(*args, **kwargs)
        return wrapper


class set_detect_anomaly:
    """Turn anomaly detection on or off: a plain call, or a context manager restoring the
    previous setting on exit."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self._prev = tuple(_anomaly)
        _anomaly[:] = [bool(mode), bool(check_nan)]

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> None:
        _anomaly[:] = list(self._prev)


def check_gradients(node, results: tuple) -> None:
    """The engine's check in anomaly mode: a NaN in any gradient node returned is an error."""
    if not _anomaly[1]:
        return
    for i, g in enumerate(results):
        if g is not None and g.dtype.is_floating_point and bool(g.isnan().any()):
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """Turn anomaly detection on or off (minitorch.set_anomaly_enabled, as torch's)."""
    _anomaly[:] = [bool(enabled), bool(check_nan)]
