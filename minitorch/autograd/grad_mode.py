"""Grad mode: whether operations record the graph (no_grad, enable_grad, set_grad_enabled)."""
from __future__ import annotations

import functools

from .._grad_enabled import _enabled  # the cell every operation reads


def is_grad_enabled() -> bool:
    """True when operations record the graph for backward."""
    return _enabled[0]


class _GradMode:
    """Base of the grad-mode switches: a context manager and a decorator."""

    _mode: bool = True

    def __enter__(self) -> None:
        self._prev = _enabled[0]
        _enabled[0] = self._mode

    def __exit__(self, *exc) -> None:
        _enabled[0] = self._prev

    def __call__(self, fn):
        cls = type(self)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with cls():
                return fn(*args, **kwargs)
        return wrapper


class _NoParamGradMode(_GradMode):
    """A switch that also decorates without parentheses: ``@no_grad`` as well as ``@no_grad()``."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoParamGradMode):
    """Operations inside do not record the graph (context manager or decorator)."""

    _mode = False


class enable_grad(_NoParamGradMode):
    """Operations inside record the graph, even within no_grad (context manager or decorator)."""

    _mode = True


class set_grad_enabled(_GradMode):
    """Switch recording on or off: ``with set_grad_enabled(False):`` or as a call."""

    def __init__(self, mode: bool) -> None:
        self._prev = _enabled[0]
        self._mode = bool(mode)
        _enabled[0] = self._mode

    def __enter__(self) -> None:
        pass

    def __call__(self, fn):
        _enabled[0] = self._prev
        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)
        return wrapper


class inference_mode(_GradMode):
    """Like no_grad (minitorch has no separate inference tensors)."""

    def __init__(self, mode: bool = True) -> None:
        self._mode = not mode

    def __call__(self, fn):
        mode = not self._mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(mode):
                return fn(*args, **kwargs)
        return wrapper
