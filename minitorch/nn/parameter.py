"""Parameter: a Tensor that a Module registers as one of its learnable weights."""
from __future__ import annotations

from ..tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad and shares memory with ``data``.

    Assigning a Parameter to a Module attribute registers it, so it shows up in
    ``parameters()`` and ``state_dict()``; assigning a plain Tensor does not.
    ``Parameter()`` is an empty float32 tensor. Operations on a Parameter return
    plain Tensors.
    """

    # No __slots__ here: like torch's Parameters, instances accept extra attributes.

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True):
        if data is None:
            from .._creation import empty
            data = empty(0)
        if not isinstance(data, Tensor):
            from .._ops._common import NotATensorError  # PyTorch's AttributeError, from calling data.detach()
            raise NotATensorError(f"Parameter(): argument 'data' must be Tensor, not {type(data).__name__}")
        # Like data.detach(): the same memory, the same version counter, no history.
        return Tensor._make_subclass(cls, data, requires_grad)

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        # Everything happened in __new__; Tensor.__init__ (the legacy constructor) must not run.
        pass

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __deepcopy__(self, memo: dict) -> "Parameter":
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.data.clone(), self.requires_grad)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol):
        state = getattr(self, "__dict__", None)
        return (_rebuild_parameter, (type(self), self.data, self.requires_grad, state or None))


def _rebuild_parameter(cls, data: Tensor, requires_grad: bool, state: dict | None) -> Parameter:
    """Unpickle a Parameter (the target of ``Parameter.__reduce_ex__``)."""
    p = cls(data, requires_grad)
    if state:
        p.__dict__.update(state)
    return p
