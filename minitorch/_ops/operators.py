"""The Python operators of Tensor: + - * / // % ** with a tensor or a number on either side,
and the in-place += -= *= /= **=."""
from __future__ import annotations

import builtins

from ..tensor import Tensor
from ._common import binary_dtype, scalar_tensor
from .arith import (_OPERAND, AddBackward0, DivBackward0, MulBackward0, NotImplemented, RemainderBackward1,
                    RsubBackward1, SubBackward0, _add_, _div_, _mul_, _sub_, remainder)
from .power import PowBackward2, _pow_, pow


# The operators: a number or a tensor on the right, NotImplemented for anything else (so
# Python tries the other operand's reflected method).
def _operator(name: str, fn):
    def operator(self, other):
        kind = other.__class__
        if kind is not Tensor and kind is not float and kind is not int and not isinstance(other, _OPERAND):
            return builtins.NotImplemented  # (NotImplemented here is floor division's node)
        return fn(self, other)
    operator.__name__ = operator.__qualname__ = name
    operator.__doc__ = fn.__doc__
    setattr(Tensor, name, operator)


_operator("__add__", AddBackward0.apply)
_operator("__radd__", AddBackward0.apply)
_operator("__sub__", SubBackward0.apply)
_operator("__rsub__", RsubBackward1.apply)
_operator("__mul__", MulBackward0.apply)
_operator("__rmul__", MulBackward0.apply)
_operator("__truediv__", DivBackward0.apply)
_operator("__rtruediv__", lambda a, b: a.reciprocal() * b)
_operator("__floordiv__", NotImplemented.apply)
_operator("__rfloordiv__", lambda a, b: NotImplemented.apply(scalar_tensor(b, a, binary_dtype(a, b)), a))
_operator("__mod__", remainder)
_operator("__rmod__", lambda a, b: RemainderBackward1.apply(scalar_tensor(b, a, binary_dtype(a, b)), a))
_operator("__pow__", pow)
_operator("__rpow__", lambda a, b: PowBackward2.apply(a, b))
Tensor.__iadd__ = _add_
Tensor.__isub__ = _sub_
Tensor.__imul__ = _mul_
Tensor.__itruediv__ = _div_
Tensor.__ipow__ = _pow_
