"""Elementwise choice between two operands: maximum, minimum (the larger / smaller, broadcast)
and where (by a boolean condition)."""
from __future__ import annotations

from .. import dtypes
from .._declare import op
from ..autograd.function import Function
from ..tensor import Tensor
from ._common import binary_dtype, broadcast_shapes, check_number, same_device, scalar_tensor
from .arith import _binary


class MaximumBackward0(Function):
    """maximum(a, b): the gradient goes to the larger input, split evenly at ties."""

    op = "maximum"

    @classmethod
    def forward(cls, ctx, a, b):
        same_device(a, b)
        ctx.save_for_backward(a, b)
        return _binary(cls.op, a, b, binary_dtype(a, b))

    @staticmethod
    def backward(ctx, grad):
        # PyTorch's formula: where(a == b, grad / 2, grad), zeroed where the other input wins.
        # A NaN input compares false both ways, so both inputs get the full gradient.
        a, b = ctx.saved_tensors
        shared = where(a == b, grad / 2, grad)
        a_loses, b_loses = (a < b, a > b) if ctx.op == "maximum" else (a > b, a < b)
        grad_a = shared.masked_fill(a_loses, 0) if a._requires_grad else None
        grad_b = shared.masked_fill(b_loses, 0) if b._requires_grad else None
        return grad_a, grad_b


class MinimumBackward0(MaximumBackward0):
    op = "minimum"


class WhereBackward0(Function):
    @staticmethod
    def forward(ctx, condition, a, b):
        same_device(a, b)
        same_device(a, condition)
        broadcast_shapes(condition.shape, a.shape, b.shape)  # PyTorch's message, in its order
        dtype = binary_dtype(a, b)
        ctx.save_for_backward(condition)
        return a._backend.where(condition._data, a._data, b._data, dtype)

    @staticmethod
    def backward(ctx, grad):
        (c,) = ctx.saved_tensors
        return None, grad.masked_fill(~c, 0), grad.masked_fill(c, 0)


@op(out=True)
def maximum(input, other) -> Tensor:
    """The larger of input and other elementwise, broadcast (NaN propagates)."""
    if not isinstance(other, Tensor):
        raise TypeError(f"maximum(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    return MaximumBackward0.apply(input, other)


@op(out=True)
def minimum(input, other) -> Tensor:
    """The smaller of input and other elementwise, broadcast (NaN propagates)."""
    if not isinstance(other, Tensor):
        raise TypeError(f"minimum(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    return MinimumBackward0.apply(input, other)


def _where_method(self, condition, other) -> Tensor:
    """Elements of self where condition holds, else of other."""
    return where(condition, self, other)


@op(method=_where_method, checked=False)
def where(condition, input=None, other=None) -> Tensor:
    """Elements of input where condition holds, else of other; ``where(condition)`` gives the
    indices of its non-zero elements (as ``nonzero(condition, as_tuple=True)``)."""
    if not isinstance(condition, Tensor):
        raise TypeError(f"where(): argument 'condition' (position 1) must be Tensor, not {type(condition).__name__}")
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    if not isinstance(condition, Tensor):
        raise TypeError(f"where(): argument 'condition' (position 1) must be Tensor, not {type(condition).__name__}")
    if condition.dtype is not dtypes.bool:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype {condition.dtype.legacy_name}")
    a, b = input, other
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        dtype = dtypes.promote_types(dtypes.scalar_dtype(check_number(a)), dtypes.scalar_dtype(check_number(b)))
        a, b = scalar_tensor(a, condition, dtype), scalar_tensor(b, condition, dtype)
    elif not isinstance(a, Tensor):
        a = scalar_tensor(a, b, binary_dtype(b, check_number(a)))
    elif not isinstance(b, Tensor):
        b = scalar_tensor(b, a, binary_dtype(a, check_number(b)))
    return WhereBackward0.apply(condition, a, b)
