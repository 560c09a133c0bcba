"""F.pad: constant, reflect, replicate and circular padding, with PyTorch's checks and nodes.

``pad`` lists (left, right) pairs from the last dim backwards; negative values crop.
constant: its own node (ConstantPadNdBackward0), whose gradient is the constant padding of
grad by the negated pads. reflect and replicate: a gather along each padded dim (_resample.py,
nodes ReflectionPad{1,2,3}DBackward0 / ReplicationPad{1,2,3}DBackward0), whose backward adds
the gradient of each output position into the input position it was read from. circular:
slices copied into an empty tensor, as PyTorch does (so its node is CopySlices).
"""
from __future__ import annotations

import numpy as np

from .. import dtypes
from .._declare import functional
from .._size import Size
from ..autograd.function import Function
from ..tensor import Tensor
from . import _resample
from ._common import NUMBER
from .conv import _dims

_SUPPORTED = ("Supported combinations for non-constant padding:\n"
              "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
              "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
              "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")

_REFLECT = {1: _resample.named("ReflectionPad1D"), 2: _resample.named("ReflectionPad2D"),
            3: _resample.named("ReflectionPad3D")}
_REPLICATE = {1: _resample.named("ReplicationPad1D"), 2: _resample.named("ReplicationPad2D"),
              3: _resample.named("ReplicationPad3D")}


def _pairs(pad: tuple, ndim: int):
    """(dim, left, right) for each padded dim, from the last dim backwards as pad lists them."""
    return [(ndim - 1 - i, pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2)]


# ----- constant ---------------------------------------------------------------------------

class ConstantPadNdBackward0(Function):
    """x inside a tensor of value, pads (left, right) per dim from the last backwards;
    negative pads crop. d/dx: grad cropped by the pads (the pad with the pads negated)."""

    @staticmethod
    def forward(ctx, x, pad, value):
        ctx.pad = pad
        be, data = x._backend, x._data
        crop = [slice(None)] * data.ndim
        place = [slice(None)] * data.ndim
        shape = list(data.shape)
        for dim, left, right in _pairs(pad, data.ndim):
            size = data.shape[dim]
            crop[dim] = slice(max(-left, 0), size - max(-right, 0))
            shape[dim] = size + left + right
            place[dim] = slice(max(left, 0), shape[dim] - max(right, 0))
        out = be.full(tuple(shape), value, x.dtype)
        be.setitem(out, tuple(place), be.getitem(data, tuple(crop)))
        return out

    @staticmethod
    def backward(ctx, grad):
        return ConstantPadNdBackward0.apply(grad, tuple(-p for p in ctx.pad), 0), None, None


def _constant_pad(input: Tensor, pad: tuple, value) -> Tensor:
    for dim, left, right in _pairs(pad, input.dim()):
        size = input.shape[dim]
        # PyTorch crops with narrow() before it pads: its message for a crop past the end
        if size + min(left, 0) < 0 or size + min(left, 0) + min(right, 0) < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
        if size + left + right < 0:
            raise RuntimeError(f"The input size {size}, plus negative padding {left} and {right} resulted in a "
                               f"negative output size, which is invalid. Check dimension {dim} of your input.")
    if input.dtype.is_floating_point:
        value = float(value)
    elif input.dtype is dtypes.bool:
        value = bool(value)
    else:
        value = int(value)  # truncated toward zero, as PyTorch converts it
    return ConstantPadNdBackward0.apply(input, pad, value)


# ----- reflect / replicate ----------------------------------------------------------------

def _check_valid_input(input: Tensor, n: int) -> None:
    """PyTorch's padding::check_valid_input: (n+1)-D, or (n+2)-D with only the batch allowed empty."""
    s = input.shape
    batched = input.dim() == n + 2
    ok = all(v != 0 for v in (s[1:] if batched else s))
    if not ok:
        raise RuntimeError(f"Expected {n + 1}D or {n + 2}D (batch mode) tensor with possibly 0 batch size and "
                           f"other non-zero dimensions for input, but got: {_dims(s)}")


def _gather_pad(input: Tensor, pad: tuple, mode: str, n: int) -> Tensor:
    """reflect/replicate padding of the last n dims through one gather per dim."""
    kind = "reflection" if mode == "reflect" else "replication"
    if input.dtype is dtypes.bool:
        raise NotImplementedError(f"\"{kind}_pad{n}d\" not implemented for 'Bool'")
    _check_valid_input(input, n)
    pairs = _pairs(pad, input.dim())
    if mode == "reflect":
        arguments = {1: 4, 2: 6, 3: 8}  # the argument # PyTorch's message names, per padded dim
        for i, (dim, left, right) in enumerate(pairs):
            if not (left < input.shape[dim] and right < input.shape[dim]):
                raise RuntimeError(f"Argument #{arguments[i + 1]}: Padding size should be less than the "
                                   f"corresponding input dimension, but got: padding ({left}, {right}) at "
                                   f"dimension {dim} of input {_dims(input.shape)}")
    out_shape = list(input.shape)
    for dim, left, right in pairs:
        out_shape[dim] = input.shape[dim] + left + right
    if n == 1 and out_shape[-1] < 1:
        raise RuntimeError(f"input (W: {input.shape[-1]}) is too small. Calculated output W: {out_shape[-1]}")
    if any(s < 0 for s in out_shape):
        bad = next(s for s in out_shape if s < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {bad}: {_dims(out_shape)}")
    plan = []
    for dim, left, right in sorted(pairs):
        size = input.shape[dim]
        src = np.arange(size + left + right, dtype=np.int64) - left
        if mode == "reflect":
            src = np.abs(src)
            src = np.where(src >= size, 2 * (size - 1) - src, src)
        else:
            src = np.clip(src, 0, size - 1)
        plan.append(_resample.Axis(dim, size, ((src, None),)))
    node = (_REFLECT if mode == "reflect" else _REPLICATE)[n]
    return node.apply(input, tuple(plan))


# ----- circular ---------------------------------------------------------------------------

def _circular_pad(input: Tensor, pad: tuple) -> Tensor:
    """The input copied into an empty tensor, then the wrapped-around borders copied from it
    (the corners more than once), as PyTorch's _pad_circular does."""
    shape = list(input.shape)
    pairs = _pairs(pad, input.dim())
    for dim, left, right in pairs:
        size = input.shape[dim]
        shape[dim] = size + left + right
        if not (left <= size and right <= size):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if shape[dim] < 0:
            raise RuntimeError("Negative padding value is resulting in an empty dimension")
    out = input.new_empty(tuple(shape))
    out_slice, in_slice = out, input
    for dim, left, right in pairs:
        out_slice = out_slice.narrow(dim, max(left, 0), shape[dim] - max(left, 0) - max(right, 0))
        in_slice = in_slice.narrow(dim, max(-left, 0), input.shape[dim] - max(-left, 0) - max(-right, 0))
    out_slice.copy_(in_slice)
    for dim, left, right in pairs:
        if left > 0:
            out.narrow(dim, 0, left).copy_(out.narrow(dim, shape[dim] - left - max(right, 0), left))
        if right > 0:
            out.narrow(dim, shape[dim] - right, right).copy_(out.narrow(dim, max(left, 0), right))
    return out


# ----- F.pad --------------------------------------------------------------------------------

@functional
def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """input padded by pad = (left, right) pairs from the last dim backwards (negative values
    crop). mode 'constant' (with value, default 0) pads any dims; 'reflect', 'replicate' and
    'circular' pad the last 1, 2 or 3 dims of a (N, C, *) or (C, *) input."""
    if not isinstance(input, Tensor):
        raise TypeError(f"pad(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if isinstance(pad, bool) or not isinstance(pad, (tuple, list, Size)):
        raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, not {type(pad).__name__}")
    for i, p in enumerate(pad):
        if isinstance(p, bool) or not isinstance(p, (int, np.integer)):
            raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, but found element of "
                            f"type {type(p).__name__} at pos {i}")
    pad = tuple(int(p) for p in pad)
    if not isinstance(mode, str):
        raise TypeError(f"pad(): argument 'mode' (position 3) must be str, not {type(mode).__name__}")
    if value is not None and not isinstance(value, NUMBER):
        raise TypeError(f"pad(): argument 'value' (position 4) must be float, not {type(value).__name__}")
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) > 2 * input.dim():
        raise RuntimeError("Padding length should be less than or equal to two times the input dimension but "
                           f"got padding length {len(pad)} and input of dimension {input.dim()}")
    if mode == "constant":
        return _constant_pad(input, pad, 0 if value is None else value)
    if value is not None and value != 0:
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    n = len(pad) // 2
    if not (1 <= n <= 3 and input.dim() in (n + 1, n + 2)):
        raise NotImplementedError(f"Padding size {len(pad)} is not supported for {input.dim()}D input tensor.\n"
                                  + _SUPPORTED)
    if mode == "circular":
        return _circular_pad(input, pad)
    return _gather_pad(input, pad, mode, n)
