"""Questions about tensors and dtypes, as minitorch.* functions: numel, is_tensor,
is_floating_point, broadcast_shapes, result_type, can_cast, the default dtype and device."""
from __future__ import annotations

from .. import dtypes
from ..device import CPU, device, get_default, set_default
from .._declare import function
from .._size import Size
from ..tensor import Tensor
from . import _common


@function
def numel(input: Tensor) -> int:
    """The number of elements of input."""
    return _common.check_tensor(input, "numel").numel()


@function
def is_tensor(obj) -> bool:
    """True when obj is a minitorch Tensor."""
    return isinstance(obj, Tensor)


@function
def is_floating_point(input: Tensor) -> bool:
    """True when input's dtype is a floating-point type."""
    return _common.check_tensor(input, "is_floating_point").is_floating_point()


@function
def broadcast_shapes(*shapes) -> Size:
    """The shape the given shapes broadcast to (RuntimeError when they don't)."""
    return Size(_common.broadcast_shapes(*shapes))


@function
def result_type(tensor1, tensor2) -> dtypes.dtype:
    """The dtype PyTorch's arithmetic would give tensor1 op tensor2 (tensors or numbers)."""
    if isinstance(tensor1, Tensor):
        return _common.binary_dtype(tensor1, tensor2)
    if isinstance(tensor2, Tensor):
        return _common.binary_dtype(tensor2, tensor1)
    return dtypes.promote_types(dtypes.scalar_dtype(tensor1), dtypes.scalar_dtype(tensor2))


@function
def can_cast(from_, to) -> bool:
    """Whether PyTorch allows writing a from_ result into a to tensor (no float -> int, nothing -> bool)."""
    return dtypes.can_cast(from_, to)


@function
def get_default_dtype() -> dtypes.dtype:
    """The dtype of tensors made from Python floats (float32 unless changed)."""
    return dtypes.get_default_dtype()


@function
def set_default_dtype(d) -> None:
    """Set the dtype of tensors made from Python floats (float32 or float64)."""
    dtypes.set_default_dtype(d)


@function
def set_default_device(device) -> None:  # noqa: F811 - PyTorch's argument name
    """Make device (None: the CPU) where factory functions (``zeros``, ``tensor``, ``randn``, ...)
    called without ``device=`` create their tensors; ``*_like`` and ``from_numpy`` are not
    affected. ``with minitorch.device(d):`` does the same for one block."""
    set_default(device)


@function
def get_default_device() -> device:
    """The device factory functions use when given none (a CUDA device with its index)."""
    d = get_default()
    if d is None:
        return CPU
    if d.type == "cuda" and d.index is None:
        return device("cuda", 0)  # minitorch's current (and only) GPU
    return d
