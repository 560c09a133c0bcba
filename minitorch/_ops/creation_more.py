"""More ways to make a tensor: randint_like, empty_strided, asarray, frombuffer."""
from __future__ import annotations

import warnings

import numpy as np

from .. import dtypes
from .._declare import function
from ..tensor import Tensor
from ._common import check_tensor


@function
def randint_like(input: Tensor, low=0, high=None, *, generator=None, dtype=None, layout=None, device=None,
                 requires_grad: bool = False, memory_format=None) -> Tensor:
    """Random integers in [low, high) of input's shape (and dtype/device unless given); with one
    bound, ``randint_like(input, high)``. The same draws as ``randint`` from the same seed."""
    from ..random import randint
    check_tensor(input, "randint_like", "input")
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(input.shape), generator=generator, dtype=dtype or input.dtype,
                   device=device or input.device, requires_grad=requires_grad)


@function
def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
                  pin_memory: bool = False) -> Tensor:
    """An uninitialised tensor of shape size laid out with the given strides. Dense layouts
    (any order of the dims) are supported: a contiguous tensor of the dims ordered by stride,
    permuted back."""
    from .._creation import empty
    size, stride = tuple(size), tuple(stride)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    order = sorted(range(len(size)), key=lambda d: -stride[d])
    expected = 1
    for d in reversed(order):
        if size[d] > 1 and stride[d] != expected:
            raise NotImplementedError(f"empty_strided: size {list(size)} with stride {list(stride)} is not a dense "
                                      "layout; minitorch supports only strides of some ordering of the dims")
        expected *= size[d]
    base = empty(*[size[d] for d in order], dtype=dtype, device=device)
    inverse = [order.index(d) for d in range(len(size))]
    out = base.permute(*inverse) if size else base
    return out.requires_grad_(requires_grad) if requires_grad else out


@function
def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad: bool = False) -> Tensor:
    """obj as a tensor, sharing its memory where possible (a tensor or a NumPy array of the
    requested dtype and device is not copied unless copy=True); copy=False forbids a copy."""
    from .._creation import from_numpy, tensor
    from ..device import as_device
    if isinstance(obj, Tensor):
        same = (dtype is None or obj.dtype is dtype) and (device is None or as_device(device) == obj.device)
        if same and not copy:
            out = obj
        elif copy is False:
            raise ValueError("can't alias tensor: a conversion of dtype or device needs a copy")
        else:
            out = obj.to(dtype=dtype or obj.dtype, device=device or obj.device, copy=True)
            if out is obj:
                out = obj.clone()
    elif isinstance(obj, np.ndarray) and (device is None or as_device(device).type == "cpu"):
        dtypes.from_numpy_dtype(obj.dtype)
        shared = obj.dtype == (dtype.np if dtype is not None else obj.dtype) and not copy
        if not shared and copy is False:
            raise ValueError("can't alias NumPy array: a conversion of dtype needs a copy")
        out = from_numpy(obj) if shared else tensor(obj, dtype=dtype)
    else:
        if copy is False and not isinstance(obj, np.ndarray):
            raise ValueError(f"can't alias Python object of type {type(obj).__name__} without copying")
        out = tensor(obj, dtype=dtype, device=device)
    if requires_grad:
        out.requires_grad_(True)
    return out


_NOT_WRITABLE_WARNED = [False]


@function
def frombuffer(buffer, *, dtype, count: int = -1, offset: int = 0, requires_grad: bool = False) -> Tensor:
    """A 1-D tensor sharing memory with an object of the buffer protocol (bytes, bytearray,
    array.array, memoryview): count elements of dtype from byte offset (all of them with -1)."""
    from .._creation import from_numpy
    if not isinstance(dtype, dtypes.dtype):
        raise TypeError(f"frombuffer(): argument 'dtype' must be torch.dtype, not {type(dtype).__name__}")
    view = memoryview(buffer)
    length, size = view.nbytes, dtype.itemsize
    if length == 0 and count != 0 or count == 0:
        raise ValueError(f"both buffer length ({length}) and count ({count}) must not be 0")
    if not 0 <= offset < length:
        raise ValueError(f"offset ({offset} bytes) must be non-negative and no greater than buffer length "
                         f"({length} bytes) minus 1")
    if count < 0 and (length - offset) % size:
        raise ValueError(f"buffer length ({length - offset} bytes) after offset ({offset} bytes) must be a "
                         f"multiple of element size ({size})")
    if count < 0:
        count = (length - offset) // size
    elif length - offset < count * size:
        raise ValueError(f"requested buffer length ({count} * {size} bytes) after offset ({offset} bytes) must "
                         f"not be greater than actual buffer length ({length} bytes)")
    if view.readonly and not _NOT_WRITABLE_WARNED[0]:
        _NOT_WRITABLE_WARNED[0] = True
        warnings.warn("The given buffer is not writable, and PyTorch does not support non-writable tensors. "
                      "This means you can write to the underlying (supposedly non-writable) buffer using the "
                      "tensor. You may want to copy the buffer to protect its data or make it writable before "
                      "converting it to a tensor. This type of warning will be suppressed for the rest of this "
                      "program.", UserWarning, stacklevel=2)
    # (memory that is read-only stays so: writing through the tensor raises rather than corrupts)
    out = from_numpy(np.frombuffer(buffer, dtype=dtype.np, count=count, offset=offset))
    if requires_grad:
        out.requires_grad_(True)
    return out

