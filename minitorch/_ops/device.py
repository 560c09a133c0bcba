"""Conversions: ``to`` (dtype and device), ``cpu``/``cuda``, ``float``/``double``/..., ``type``.

A move between devices is differentiable: the gradient goes back to the device the
input came from.
"""
from __future__ import annotations

from .. import _backends as backends, dtypes
from .._layouts import preserve_format
from .._declare import method
from ..autograd.function import Function, _legacy_type_name
from ..device import as_device
from ..tensor import Tensor
from .shape import to_dtype


class ToCopyBackward0(Function):
    """A copy of a on another device (PyTorch names the node as for a dtype copy)."""

    moves_device = True

    @staticmethod
    def forward(ctx, a, target):
        ctx.source = source = a._backend
        host = source.to_numpy(a._data)
        # (a host array that is the CPU tensor's own memory is copied: the result is new memory)
        return host.copy() if host is a._data and target is backends.cpu else target.from_numpy(host)

    @staticmethod
    def backward(ctx, grad):
        return to_backend(grad, ctx.source), None


def to_backend(a: Tensor, target) -> Tensor:
    """a on target's device (a itself when it is there already)."""
    if a._backend is target:
        return a
    return ToCopyBackward0.apply(a, target)


@method
def to(self, *args, **kwargs) -> Tensor:
    """Convert dtype and/or device: ``to(dtype)``, ``to(device)``, ``to(other)``, ``to(device, dtype)``."""
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    if dtype is not None and not isinstance(dtype, dtypes.dtype):
        raise TypeError(f"to(): argument 'dtype' must be torch.dtype, not {type(dtype).__name__}")
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    memory_format = kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kwargs))}'")
    for a in args:
        if a is None:
            continue
        if isinstance(a, dtypes.dtype):
            dtype = a
        elif isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        elif isinstance(a, (str, int)) or type(a).__name__ == "device":
            device = a
        elif isinstance(a, bool):
            continue
        else:
            raise TypeError(f"to() received an invalid combination of arguments - got ({type(a).__name__})")
    out = self
    if device is not None:
        out = to_backend(out, backends.get(as_device(device)))
        copy = copy and out is self
    if dtype is not None:
        out = to_dtype(out, dtype, copy)
    elif copy:
        out = out.clone()
    if memory_format is not None and memory_format is not preserve_format:
        out = out.contiguous(memory_format=memory_format)
    return out


@method
def cpu(self) -> Tensor:
    """This tensor on the CPU (itself when it is there already)."""
    return to_backend(self, backends.cpu)


@method
def cuda(self, device=None) -> Tensor:
    """A copy on the GPU (itself when it is there already); a RuntimeError saying why when no
    GPU can be used."""
    return to(self, "cuda" if device is None else device)


_LEGACY_TYPES = {"torch.FloatTensor": dtypes.float32, "torch.DoubleTensor": dtypes.float64,
                 "torch.LongTensor": dtypes.int64, "torch.IntTensor": dtypes.int32,
                 "torch.BoolTensor": dtypes.bool, "torch.HalfTensor": dtypes.float16,
                 "torch.ShortTensor": dtypes.int16, "torch.CharTensor": dtypes.int8,
                 "torch.ByteTensor": dtypes.uint8}


@method(name="type")
def _type(self, dtype=None) -> Tensor:
    """The legacy type name ('torch.FloatTensor'), or a conversion to dtype (or such a name)."""
    if dtype is None:
        return _legacy_type_name(self)
    if isinstance(dtype, str):
        if dtype not in _LEGACY_TYPES:
            raise ValueError(f"invalid type: '{dtype}'")
        dtype = _LEGACY_TYPES[dtype]
    elif isinstance(dtype, type) and isinstance(getattr(dtype, "dtype", None), dtypes.dtype):
        dtype = dtype.dtype  # a legacy type class: minitorch.FloatTensor
    return to(self, dtype)


def _conversion(name: str, dtype: dtypes.dtype) -> None:
    def convert(self) -> Tensor:
        return to_dtype(self, dtype)
    convert.__name__ = convert.__qualname__ = name
    convert.__doc__ = f"self as {dtype} (self itself when it is one already)."
    method(convert)


for _name, _dtype in (("float", dtypes.float32), ("double", dtypes.float64), ("half", dtypes.float16),
                      ("long", dtypes.int64), ("int", dtypes.int32), ("short", dtypes.int16),
                      ("char", dtypes.int8), ("byte", dtypes.uint8), ("bool", dtypes.bool)):
    _conversion(_name, _dtype)
