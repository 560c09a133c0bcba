"""The legacy tensor types: ``minitorch.FloatTensor``, ``LongTensor``, ... as PyTorch keeps them.

Old tutorials still build tensors with ``torch.LongTensor(indices)`` or
``torch.FloatTensor(array)``, test ``isinstance(t, torch.FloatTensor)`` and convert with
``t.type(torch.LongTensor)``. Each name is a class whose call builds a CPU tensor of its dtype
as PyTorch's ``Tensor.new`` does (sizes as ints or a ``Size``, data as a sequence or array,
another tensor of the same type aliased), and whose ``isinstance`` holds for CPU tensors of
that dtype. They are not subclasses of ``Tensor``, as in PyTorch.
"""
from __future__ import annotations

import numpy as np

from .. import dtypes
from .._creation import empty, tensor
from .._declare import FUNCTIONS
from .._size import Size
from ..tensor import Tensor

# PyTorch's error names a dtype by its C++ type.
_CPP_NAMES = {dtypes.float32: "float", dtypes.float64: "double", dtypes.float16: "c10::Half",
              dtypes.int64: "long int", dtypes.int32: "int", dtypes.int16: "short int", dtypes.int8: "signed char",
              dtypes.uint8: "unsigned char", dtypes.bool: "bool"}

_SIGNATURES = ("new() received an invalid combination of arguments - got ({got}), but expected one of:\n"
               " * (*, torch.device device = None)\n * (torch.Storage storage)\n * (Tensor other)\n"
               " * (tuple of ints size, *, torch.device device = None)\n"
               " * (object data, *, torch.device device = None)\n")


def _options(dtype: dtypes.dtype) -> str:
    return (f"TensorOptions(dtype={_CPP_NAMES[dtype]}, device=cpu, layout=Strided, requires_grad=false (default), "
            "pinned_memory=false (default), memory_format=(nullopt))")


def _kind(value) -> str:
    """How PyTorch's argument parser names a keyword argument's type ('torch.dtype', 'int')."""
    kind = type(value)
    return f"torch.{kind.__name__}" if kind.__module__.startswith("minitorch") else kind.__name__


def _is_int(x) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


class tensortype(type):  # noqa: N801 - PyTorch's name
    """The metaclass of the legacy types: calling one builds a tensor, isinstance checks dtype."""

    dtype: dtypes.dtype

    def __call__(cls, *args, device=None, **kwargs) -> Tensor:
        if kwargs:
            got = ", ".join([type(a).__name__ for a in args] + [f"{k}={_kind(v)}" for k, v in kwargs.items()])
            raise TypeError(_SIGNATURES.format(got=got))
        if device is not None and str(device) != "cpu":
            raise RuntimeError(f"legacy constructor expects device type: cpu but device type: {device} was passed")
        if not args:
            return empty(0, dtype=cls.dtype)
        if all(_is_int(a) for a in args) or (len(args) == 1 and isinstance(args[0], Size)):
            return empty(*args, dtype=cls.dtype)
        if len(args) > 1:
            raise TypeError(_SIGNATURES.format(got=", ".join(type(a).__name__ for a in args)))
        data = args[0]
        if isinstance(data, Tensor):
            if data.dtype is not cls.dtype or data.device.type != "cpu":
                other = _options(data.dtype) if data.dtype in _CPP_NAMES else str(data.dtype)
                raise TypeError(f"expected {_options(cls.dtype)} (got {other})")
            return data.detach()
        if isinstance(data, str):
            raise TypeError("new(): invalid data type 'str'")
        if not isinstance(data, (list, tuple, np.ndarray)) and not hasattr(data, "__len__"):
            raise TypeError(f"new(): data must be a sequence (got {type(data).__name__})")
        return tensor(data, dtype=cls.dtype)

    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj.dtype is cls.dtype and obj.device.type == "cpu"

    def __subclasscheck__(cls, sub) -> bool:
        return sub is cls

    def __repr__(cls) -> str:
        return f"<class 'torch.{cls.__name__}'>"


def _declare(name: str, dtype: dtypes.dtype) -> tensortype:
    cls = tensortype(name, (), {"dtype": dtype, "__module__": "minitorch",
                                "__doc__": f"The legacy type of CPU {dtype} tensors: ``{name}(data)`` or "
                                           f"``{name}(*sizes)`` builds one."})
    # A class, not a function: registered in the table of minitorch.* names directly (the
    # @function decorator wraps functions), so isinstance and issubclass can take it.
    FUNCTIONS[name] = cls
    return cls


for _name, _dtype in (("FloatTensor", dtypes.float32), ("DoubleTensor", dtypes.float64),
                      ("HalfTensor", dtypes.float16), ("LongTensor", dtypes.int64), ("IntTensor", dtypes.int32),
                      ("ShortTensor", dtypes.int16), ("CharTensor", dtypes.int8), ("ByteTensor", dtypes.uint8),
                      ("BoolTensor", dtypes.bool)):
    globals()[_name] = _declare(_name, _dtype)
