"""The in-place view ops: ``unsqueeze_``, ``squeeze_``, ``transpose_`` (``swapdims_``,
``swapaxes_``) and ``t_`` change a tensor's shape and strides, not its values.

Each computes the out-of-place view, whose graph node (PyTorch's in-place name:
``UnsqueezeBackward1``, ``SqueezeBackward3``, ...) becomes the tensor's grad_fn, and then takes
that view's shape and strides as its own; the version counter moves on, as in PyTorch.
"""
from __future__ import annotations

from .._declare import method
from ..autograd.grad_mode import _enabled
from ..tensor import Tensor
from ._common import wrap_dim
from .permute import TBackward0, TransposeBackward0
from .shape import SqueezeBackward0, SqueezeBackward1, SqueezeBackward2, UnsqueezeBackward0


class UnsqueezeBackward1(UnsqueezeBackward0):
    """The node of ``unsqueeze_``."""


class SqueezeBackward3(SqueezeBackward0):
    """The node of ``squeeze_()``."""


class SqueezeBackward4(SqueezeBackward1):
    """The node of ``squeeze_(dim)``."""


class SqueezeBackward5(SqueezeBackward2):
    """The node of ``squeeze_(dims)``."""


class TransposeBackward1(TransposeBackward0):
    """The node of ``transpose_`` / ``swapdims_`` / ``swapaxes_``."""


class TBackward1(TBackward0):
    """The node of ``t_``."""


def _become(self: Tensor, node: type, *args) -> Tensor:
    """self takes the shape and strides of node.apply(self, *args), and its graph node."""
    if _enabled[0] and self._requires_grad and self._grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    view = node.apply(self, *args)
    self._data = view._data
    if view._grad_fn is not None:
        self._grad_fn = view._grad_fn
    self._vbox[0] += 1
    return self


@method
def unsqueeze_(self, dim: int) -> Tensor:
    """In place: a size-1 dim inserted at dim."""
    d = wrap_dim(dim, self.dim() + 1)
    shape = tuple(self.shape)
    return _become(self, UnsqueezeBackward1, shape[:d] + (1,) + shape[d:])


@method
def squeeze_(self, dim=None) -> Tensor:
    """In place: the size-1 dims removed (only dim, or the dims in a tuple, when given)."""
    shape = self.shape
    if dim is None:
        return _become(self, SqueezeBackward3, tuple(s for s in shape if s != 1))
    if isinstance(dim, (tuple, list)):
        dims = {wrap_dim(d, self.dim()) for d in dim}
        return _become(self, SqueezeBackward5, tuple(s for i, s in enumerate(shape) if not (i in dims and s == 1)))
    d = wrap_dim(dim, self.dim())
    return _become(self, SqueezeBackward4, tuple(s for i, s in enumerate(shape) if not (i == d and s == 1)))


def _transpose_(self, dim0: int, dim1: int) -> Tensor:
    """In place: dims dim0 and dim1 swapped."""
    n = self.dim()
    if n == 0:
        wrap_dim(dim0, 0), wrap_dim(dim1, 0)
        return _become(self, SqueezeBackward3, ())
    return _become(self, TransposeBackward1, wrap_dim(dim0, n), wrap_dim(dim1, n))


for _name in ("transpose_", "swapdims_", "swapaxes_"):
    method(_transpose_, name=_name)


@method
def t_(self) -> Tensor:
    """In place: the transpose of a matrix (0-d and 1-d tensors stay as they are)."""
    if self.dim() > 2:
        raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is {self.dim()}D")
    return _become(self, TBackward1)
