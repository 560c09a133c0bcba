"""The legacy tensor types: ``FloatTensor``, ``DoubleTensor``, ``LongTensor``, ``IntTensor``,
``ShortTensor``, ``CharTensor``, ``ByteTensor``, ``BoolTensor``, ``HalfTensor`` (the CPU ones),
and the deprecated ``set_default_tensor_type``.

As in PyTorch each is a class of its own (not a Tensor subclass): calling it builds a plain
``Tensor`` of its dtype with the legacy constructor's rules (``FloatTensor(2, 3)`` uninitialised,
``FloatTensor([1, 2])`` from data), and ``isinstance(x, FloatTensor)`` is true for a float32 CPU
tensor. ``x.type(FloatTensor)`` converts, as ``x.type('torch.FloatTensor')``.
"""
from __future__ import annotations

import warnings

import numpy as np

from .. import dtypes
from .._declare import FUNCTIONS, function
from .._size import Size
from ..tensor import Tensor


class _LegacyTensorType(type):
    """The metaclass of the legacy types (torch.tensortype): instances are type objects whose
    call makes a Tensor and whose isinstance checks dtype and device."""

    def __instancecheck__(cls, instance) -> bool:
        return isinstance(instance, Tensor) and instance.dtype is cls.dtype and instance.device.type == "cpu"

    def __call__(cls, *args, device=None):
        from .._creation import _tensor, empty
        if device is not None and str(device) != "cpu":
            raise RuntimeError(f"legacy constructor expects device type: cpu but device type: {device} was "
                               "passed")
        if not args:
            return empty(0, dtype=cls.dtype)
        if len(args) == 1 and isinstance(args[0], Tensor):
            if args[0].dtype is not cls.dtype:
                raise TypeError(f"expected {cls.dtype.c_name} tensor (got {args[0].dtype.c_name} tensor)")
            return args[0]  # an alias, as PyTorch's
        if len(args) == 1 and not isinstance(args[0], (int, np.integer, Size)):
            return _tensor(args[0], cls.dtype, None, False)
        return empty(*args, dtype=cls.dtype)

    def __repr__(cls) -> str:
        return f"<class 'torch.{cls.__name__}'>"


def _legacy_type(name: str, dtype: dtypes.dtype) -> type:
    doc = f"The legacy CPU {dtype} tensor type: ``{name}(2, 3)``, ``{name}(data)``, ``isinstance(x, {name})``."
    return _LegacyTensorType(name, (), {"dtype": dtype, "is_cuda": False, "is_sparse": False,
                                        "__doc__": doc, "__module__": "minitorch"})


FloatTensor = _legacy_type("FloatTensor", dtypes.float32)
DoubleTensor = _legacy_type("DoubleTensor", dtypes.float64)
HalfTensor = _legacy_type("HalfTensor", dtypes.float16)
LongTensor = _legacy_type("LongTensor", dtypes.int64)
IntTensor = _legacy_type("IntTensor", dtypes.int32)
ShortTensor = _legacy_type("ShortTensor", dtypes.int16)
CharTensor = _legacy_type("CharTensor", dtypes.int8)
ByteTensor = _legacy_type("ByteTensor", dtypes.uint8)
BoolTensor = _legacy_type("BoolTensor", dtypes.bool)

LEGACY_TYPES = {t.__name__: t for t in (FloatTensor, DoubleTensor, HalfTensor, LongTensor, IntTensor,
                                        ShortTensor, CharTensor, ByteTensor, BoolTensor)}
# minitorch.FloatTensor, ...: exported with the ops' functions
FUNCTIONS.update(LEGACY_TYPES)


def legacy_dtype(t) -> dtypes.dtype | None:
    """The dtype of a legacy type or of its name ('torch.FloatTensor'); None for anything else."""
    if isinstance(t, _LegacyTensorType):
        return t.dtype
    if isinstance(t, str) and t.startswith("torch.") and t[6:] in LEGACY_TYPES:
        return LEGACY_TYPES[t[6:]].dtype
    return None


@function
def set_default_tensor_type(t) -> None:
    """Deprecated (as in PyTorch 2.1+): set the default floating-point dtype from a legacy type
    or its name; use set_default_dtype instead."""
    warnings.warn("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
                  "torch.set_default_dtype() and torch.set_default_device() as alternatives.",
                  UserWarning, stacklevel=2)
    dtype = legacy_dtype(t)
    if dtype is None:
        if isinstance(t, str):
            raise ValueError(f"invalid type: '{t}'")
        raise TypeError("invalid type object: only floating-point types are supported as the default type")
    if not dtype.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    dtypes.set_default_dtype(dtype)
