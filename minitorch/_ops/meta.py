"""Questions about tensors and dtypes, as minitorch.* functions: numel, is_tensor,
is_floating_point, broadcast_shapes, result_type, can_cast, the default dtype and device."""
from __future__ import annotations

from .. import dtypes
from ..device import CPU, device, get_default, set_default
from .._declare import function
from .._size import Size, sizes as _size_sizes
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
    """The shape the given shapes broadcast to (RuntimeError when they don't); a shape may be an int."""
    shapes = [(s,) if isinstance(s, int) else tuple(_size_sizes((s,), "broadcast_shapes", "shapes"))
              for s in shapes]
    ndim = max((len(s) for s in shapes), default=0)
    result = [1] * ndim
    for index, shape in enumerate(shapes):
        for i in range(-1, -len(shape) - 1, -1):
            n = shape[i]
            if n < 0:
                raise RuntimeError(f"Trying to create tensor with negative dimension {n}: {list(shape)}")
            if result[i] == 1:
                result[i] = n
            elif n != 1 and n != result[i]:
                raise RuntimeError(f"Attempting to broadcast a dimension of length {n} at {i}! Mismatching "
                                   f"argument at index {index} had {shape}; but expected shape should be "
                                   f"broadcastable to {result}")
    return Size(result)


@function
def result_type(tensor1, tensor2) -> dtypes.dtype:
    """The dtype PyTorch's arithmetic would give tensor1 op tensor2 (tensors or numbers)."""
    if isinstance(tensor1, Tensor):
        return _common.binary_dtype(tensor1, tensor2)
    if isinstance(tensor2, Tensor):
        return _common.binary_dtype(tensor2, tensor1)
    for position, value in enumerate((tensor1, tensor2), 1):
        if not _common.is_number(value):
            raise TypeError(f"result_type(): argument 'tensor{position}' (position {position}) must be Tensor or "
                            f"Number, not {type(value).__name__}")
    return dtypes.promote_types(dtypes.scalar_dtype(tensor1), dtypes.scalar_dtype(tensor2))


@function
def can_cast(from_, to) -> bool:
    """Whether PyTorch allows writing a from_ result into a to tensor (no float -> int, nothing -> bool)."""
    for position, (name, value) in enumerate((("from_", from_), ("to", to)), 1):
        if not isinstance(value, dtypes.dtype):
            raise TypeError(f"can_cast(): argument '{name}' (position {position}) must be torch.dtype, not "
                            f"{type(value).__name__}")
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
