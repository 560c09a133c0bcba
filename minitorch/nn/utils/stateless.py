"""nn.utils.stateless: ``functional_call``, deprecated in PyTorch 2.0 in favour of
``torch.func.functional_call`` (minitorch/func.py), which is the same call."""
from __future__ import annotations

import warnings
from typing import Any

from ...func import _functional_call, _reparametrize_module  # noqa: F401 - torch has both here

__all__ = ["functional_call"]


def functional_call(module, parameters_and_buffers: dict, args: Any = None, kwargs: dict | None = None, *,
                    tie_weights: bool = True, strict: bool = False):
    """module(*args, **kwargs) with parameters_and_buffers ({dotted name: tensor}) in place of its
    own tensors of those names (deprecated: torch.func.functional_call is the same call)."""
    warnings.warn("`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 and will be "
                  "removed in a future version of PyTorch. Please use `torch.func.functional_call` instead "
                  "which is a drop-in replacement.", FutureWarning, stacklevel=2)
    return _functional_call(module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict)
