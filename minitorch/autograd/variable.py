"""Variable: PyTorch's pre-0.4 wrapper, kept as PyTorch keeps it for old programs.

``Variable(t, requires_grad=True)`` is a tensor sharing t's memory, without its history, with
requires_grad set; ``isinstance(x, Variable)`` is true of every tensor.
"""
from __future__ import annotations

import warnings

from ..tensor import Tensor


class _VariableMeta(type):
    def __instancecheck__(cls, other) -> bool:
        return isinstance(other, Tensor)


class Variable(metaclass=_VariableMeta):
    """Variable(data, requires_grad=False): data's values as a new leaf (an alias, not a copy)."""

    def __new__(cls, data=None, requires_grad: bool = False, volatile: bool = False):
        if volatile:
            warnings.warn("volatile was removed and now has no effect. Use `with torch.no_grad():` "
                          "instead.", UserWarning, stacklevel=2)
        if data is None:
            data = Tensor()
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        return data.detach().requires_grad_(bool(requires_grad))
