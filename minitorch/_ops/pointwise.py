"""Ternary pointwise ops: addcmul, addcdiv, lerp (the building blocks of the optimizers'
updates), each with its in-place form (``addcmul_``, ...) and PyTorch's node names.

The values follow PyTorch's CPU formulas: ``input + (value * tensor1) * tensor2``,
``input + (value * tensor1) / tensor2``, and lerp's two-sided form, which is exact at both
ends: ``input + weight * (end - input)`` for ``|weight| < 0.5``, else
``end - (end - input) * (1 - weight)``. (PyTorch fuses the last multiply-add of addcmul and
lerp into one FMA instruction where the CPU has it; here it is two roundings, so a result
can differ from PyTorch's in its last bit.)
"""
from __future__ import annotations

from .. import dtypes
from .._declare import op
from ..autograd.function import Function
from ..tensor import Tensor
from ._common import NUMBER, broadcast_shapes, check_tensor, same_device


def _result_dtype(tensors) -> dtypes.dtype:
    """PyTorch's result dtype of several tensors: 0-d tensors count only where they are of a
    higher category (float over integer) than the dimensioned ones."""
    dims = [t.dtype for t in tensors if t.dim() > 0]
    zeros = [t.dtype for t in tensors if t.dim() == 0]
    dim_result = _promote_all(dims)
    zero_result = _promote_all(zeros)
    return dtypes.result_dtype(dim_result, zero_result, None)


def _promote_all(types):
    result = None
    for t in types:
        result = t if result is None else dtypes.promote_types(result, t)
    return result


def _value(name: str, value, dtype: dtypes.dtype):
    """The scalar factor as a number of the op's dtype (an integer op truncates it, as C++)."""
    if isinstance(value, Tensor) and value.numel() == 1:
        value = value.item()
    if not isinstance(value, NUMBER):
        raise TypeError(f"{name}(): argument 'value' must be Number, not {type(value).__name__}")
    return value if dtype.is_floating_point else int(value)


# The C++ type names PyTorch's dtype checks print (caffe2::TypeMeta's).
_TYPE_NAMES = {"long": "long int", "short": "short int"}


def _same_dtype(input: Tensor, other: Tensor, what: str) -> None:
    if other.dtype is not input.dtype:
        names = [_TYPE_NAMES.get(t.c_name, t.c_name) for t in (input.dtype, other.dtype)]
        raise RuntimeError(f"expected dtype {names[0]} for `{what}` but got dtype {names[1]}")


class AddcmulBackward0(Function):
    """input + value * tensor1 * tensor2: d/dtensor1 = grad * value * tensor2 (and symmetrically)."""

    @staticmethod
    def forward(ctx, input, tensor1, tensor2, value, dtype):
        # each factor is kept only for the other's gradient (PyTorch's choice, which lets an
        # optimizer update its state in place when only the parameter needs a gradient)
        ctx.save_for_backward(tensor1 if tensor2.requires_grad else None,
                              tensor2 if tensor1.requires_grad else None)
        ctx.value = value
        be = input._backend
        scaled = be.binary("mul", tensor1._data, value, dtype) if value != 1 else tensor1._data
        product = be.binary("mul", scaled, tensor2._data, dtype)
        return be.binary("add", input._data, product, dtype)

    @staticmethod
    def backward(ctx, grad):
        t1, t2 = ctx.saved_tensors
        v = ctx.value
        g1 = grad * (t2 * v) if t2 is not None else None
        g2 = grad * (t1 * v) if t1 is not None else None
        return grad, g1, g2, None, None


class AddcdivBackward0(Function):
    """input + value * tensor1 / tensor2: d/dtensor1 = grad * value / tensor2,
    d/dtensor2 = -grad * value * tensor1 / tensor2^2."""

    @staticmethod
    def forward(ctx, input, tensor1, tensor2, value, dtype):
        ctx.needs = (tensor1.requires_grad, tensor2.requires_grad)
        ctx.save_for_backward(tensor1 if tensor2.requires_grad else None,
                              tensor2 if tensor1.requires_grad or tensor2.requires_grad else None)
        ctx.value = value
        be = input._backend
        scaled = be.binary("mul", tensor1._data, value, dtype) if value != 1 else tensor1._data
        quotient = be.binary("div", scaled, tensor2._data, dtype)
        return be.binary("add", input._data, quotient, dtype)

    @staticmethod
    def backward(ctx, grad):
        t1, t2 = ctx.saved_tensors
        v = ctx.value
        g1 = grad * (v / t2) if ctx.needs[0] else None
        g2 = -grad * v * t1 / (t2 * t2) if ctx.needs[1] else None
        return grad, g1, g2, None, None


class LerpBackward0(Function):
    """lerp with a number weight: d/dinput = grad * (1 - weight), d/dend = grad * weight."""

    @staticmethod
    def forward(ctx, input, end, weight, dtype):
        ctx.weight = weight
        be = input._backend
        diff = be.binary("sub", end._data, input._data, dtype)
        if abs(weight) < 0.5:
            return be.binary("add", input._data, be.binary("mul", diff, weight, dtype), dtype)
        return be.binary("sub", end._data, be.binary("mul", diff, 1 - weight, dtype), dtype)

    @staticmethod
    def backward(ctx, grad):
        w = ctx.weight
        return grad * (1 - w), grad * w, None, None


class LerpBackward1(Function):
    """lerp with a tensor weight: also d/dweight = grad * (end - input)."""

    @staticmethod
    def forward(ctx, input, end, weight, dtype):
        ctx.needs = (input.requires_grad, end.requires_grad, weight.requires_grad)
        ctx.save_for_backward(input if weight.requires_grad else None, end if weight.requires_grad else None,
                              weight if input.requires_grad or end.requires_grad else None)
        be = input._backend
        w = weight._data
        diff = be.binary("sub", end._data, input._data, dtype)
        low = be.binary("add", input._data, be.binary("mul", w, diff, dtype), dtype)
        one_minus = be.rbinary("sub", 1, w, dtype)
        high = be.binary("sub", end._data, be.binary("mul", diff, one_minus, dtype), dtype)
        small = be.compare("lt", be.unary("abs", w), 0.5, dtype)
        return be.where(small, low, high, dtype)

    @staticmethod
    def backward(ctx, grad):
        input, end, w = ctx.saved_tensors
        g_in = grad * (1 - w) if ctx.needs[0] else None
        g_end = grad * w if ctx.needs[1] else None
        g_w = grad * (end - input) if ctx.needs[2] else None
        return g_in, g_end, g_w, None


def _operands(name: str, input, *others) -> dtypes.dtype:
    """Check the tensors of an op (one device, shapes that broadcast); their result dtype."""
    check_tensor(input, name)
    for position, t in enumerate(others, start=2):
        arg = ("tensor1", "tensor2")[position - 2] if name != "lerp" else ("end", "weight")[position - 2]
        check_tensor(t, name, arg, position)
        same_device(input, t)
    broadcast_shapes(input.shape, *(t.shape for t in others))  # PyTorch's error where they do not
    return _result_dtype((input,) + others)


# ----- the declarations ------------------------------------------------------------------------
@op(inplace=True, out=True)
def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1) -> Tensor:
    """input + value * tensor1 * tensor2, broadcast."""
    dtype = _operands("addcmul", input, tensor1, tensor2)
    return AddcmulBackward0.apply(input, tensor1, tensor2, _value("addcmul", value, dtype), dtype)


@op(inplace=True, out=True)
def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1) -> Tensor:
    """input + value * tensor1 / tensor2, broadcast."""
    dtype = _operands("addcdiv", input, tensor1, tensor2)
    if not tensor1.dtype.is_floating_point and not tensor2.dtype.is_floating_point:
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future  release addcdiv will "
            "perform a true division of tensor1 and tensor2. The historic addcdiv behavior can be "
            "implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer "
            "inputs and as (input + value * tensor1 / tensor2) for float inputs. The future addcdiv "
            "behavior is just the latter implementation: (input + value * tensor1 / tensor2), for all "
            "dtypes.")
    return AddcdivBackward0.apply(input, tensor1, tensor2, _value("addcdiv", value, dtype), dtype)


@op(inplace=True, out=True)
def lerp(input: Tensor, end: Tensor, weight) -> Tensor:
    """input + weight * (end - input), broadcast; weight a number or a tensor."""
    if isinstance(weight, Tensor):
        dtype = _operands("lerp", input, end, weight)
        _same_dtype(input, end, "end")
        _same_dtype(input, weight, "weight")
        return LerpBackward1.apply(input, end, weight, dtype)
    if not isinstance(weight, NUMBER):
        raise TypeError(
            f"lerp() received an invalid combination of arguments - got (Tensor, Tensor, {type(weight).__name__}), "
            "but expected one of:\n * (Tensor input, Tensor end, Tensor weight, *, Tensor out = None)\n"
            " * (Tensor input, Tensor end, Number weight, *, Tensor out = None)\n")
    dtype = _operands("lerp", input, end)
    _same_dtype(input, end, "end")
    return LerpBackward0.apply(input, end, weight, dtype)
