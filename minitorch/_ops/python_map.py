"""apply_ and map_: a Python function applied to every element of a CPU tensor, in place
(slow, as in PyTorch; for code that has nothing better)."""
from __future__ import annotations

from .. import _creation
from .._declare import method
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor


def _check(t: Tensor, name: str) -> None:
    if t._requires_grad:
        raise RuntimeError(f"Can't call {name}() on Variable that requires grad. Use var.detach().{name}() instead.")
    if t.device.type != "cpu":
        raise TypeError(f"{name} is only implemented on CPU tensors")


def _store(t: Tensor, values: list) -> Tensor:
    """values (a flat list, converted to t's dtype as PyTorch converts them) written into t."""
    with no_grad():
        t.copy_(_creation.tensor(values, dtype=t.dtype).reshape(t.shape))
    return t


@method
def apply_(self, callable) -> Tensor:  # noqa: A002 - PyTorch's argument name
    """Replace every element x with callable(x), in place (CPU tensors)."""
    _check(self, "apply_")
    return _store(self, [callable(v) for v in self.reshape(-1).tolist()])


@method
def map_(self, tensor: Tensor, callable) -> Tensor:  # noqa: A002
    """Replace every element x with callable(x, y), y the matching element of tensor
    (broadcast to self's shape), in place (CPU tensors)."""
    _check(self, "map_")
    if not isinstance(tensor, Tensor):
        raise TypeError(f"map_(): argument 'tensor' must be Tensor, not {type(tensor).__name__}")
    if tensor.dtype is not self.dtype:
        raise TypeError(f"map_: expected {self.type()} for 'other' (got {tensor.type()})")
    other = tensor.expand(self.shape).reshape(-1).tolist()
    return _store(self, [callable(x, y) for x, y in zip(self.reshape(-1).tolist(), other)])
