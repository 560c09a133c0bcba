"""clamp, clamp_min, clamp_max: bounds that are numbers or tensors (broadcast)."""
from __future__ import annotations

import numpy as np

from .. import dtypes
from .._declare import op
from ..autograd.function import Function
from ..tensor import Tensor
from ._common import NUMBER, binary_dtype, broadcast_shapes, check_fits, same_device, scalar_tensor


class ClampBackward1(Function):
    """clamp(a, min, max) with number bounds: the gradient passes where min <= a <= max."""

    @staticmethod
    def forward(ctx, a, lo, hi):
        if lo is None and hi is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        ctx.save_for_backward(a)
        ctx.bounds = (lo, hi)
        dtype = a.dtype  # PyTorch's result type of (a, min, max): a float bound makes it float, an int one int64 of bool
        for bound in (lo, hi):
            if bound is not None:
                dtype = dtypes.promote_types(dtype, binary_dtype(a, bound))
        data = a._data if dtype is a.dtype else a._backend.astype(a._data, dtype)
        return a._backend.clamp(data, lo, hi)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        lo, hi = ctx.bounds
        keep = None
        if lo is not None:
            keep = a >= lo
        if hi is not None:
            keep = (a <= hi) if keep is None else keep & (a <= hi)
        return grad.masked_fill(~keep, 0), None, None


class ClampBackward0(Function):
    """clamp(a, min, max) with tensor bounds: min(max(a, min), max), broadcast."""

    @staticmethod
    def forward(ctx, a, lo, hi):
        be = a._backend
        out, dtype = a._data, a.dtype
        for bound, name in ((lo, "maximum"), (hi, "minimum")):
            if bound is not None:
                same_device(a, bound)
                dtype = binary_dtype(Tensor._wrap(out, be), bound)
                out = be.binary(name, out, bound._data, dtype)
        ctx.save_for_backward(a, lo, hi)
        return out if out is not a._data else be.copy(out)

    @staticmethod
    def backward(ctx, grad):
        # PyTorch's clamp_backward_min_max: a NaN input passes no gradient to either bound, and
        # with min > max the result (max) takes the gradient to max.
        a, lo, hi = ctx.saved_tensors
        grad_lo = grad_hi = None
        if lo is not None and hi is not None:
            inside = (a >= lo) & (a <= hi)
            if lo._requires_grad:
                grad_lo = grad.masked_fill(~((a < lo) & (lo < hi)), 0)
            if hi._requires_grad:
                grad_hi = grad.masked_fill(~((a > hi) | (hi < lo)), 0)
        elif lo is not None:
            inside = a >= lo
            grad_lo = grad.masked_fill(~(a < lo), 0) if lo._requires_grad else None
        else:
            inside = a <= hi
            grad_hi = grad.masked_fill(~(a > hi), 0) if hi._requires_grad else None
        return grad.masked_fill(~inside, 0), grad_lo, grad_hi


@op(inplace=True, out=True, aliases=("clip",))
def clamp(input: Tensor, min=None, max=None) -> Tensor:  # noqa: A002
    """Each element limited to [min, max] (numbers or broadcastable tensors)."""
    for name, bound in (("min", min), ("max", max)):
        if bound is not None and not isinstance(bound, (Tensor,) + NUMBER):
            raise TypeError(f"clamp(): argument '{name}' must be Tensor or Number, not {type(bound).__name__}")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        bounds = [b for b in (min, max) if isinstance(b, Tensor)]
        for bound in bounds:
            same_device(input, bound)
        broadcast_shapes(input.shape, *(b.shape for b in bounds))
        lo = scalar_tensor(min, input) if min is not None and not isinstance(min, Tensor) else min
        hi = scalar_tensor(max, input) if max is not None and not isinstance(max, Tensor) else max
        return ClampBackward0.apply(input, lo, hi)
    for bound in (min, max):
        if bound is not None and not (isinstance(bound, (float, np.floating)) and not input.dtype.is_floating_point):
            check_fits(bound, input.dtype)
    return ClampBackward1.apply(input, min, max)


class ClampMinBackward0(ClampBackward1):
    """clamp_min(a, number) (PyTorch names its node apart from clamp's)."""


class ClampMaxBackward0(ClampBackward1):
    """clamp_max(a, number)."""


@op(inplace=True, out=True)
def clamp_min(input: Tensor, min) -> Tensor:  # noqa: A002
    """Each element at least min."""
    _check_bound("clamp_min", "min", min)
    if isinstance(min, Tensor):
        return clamp(input, min=min)
    return ClampMinBackward0.apply(input, min, None)


@op(inplace=True, out=True)
def clamp_max(input: Tensor, max) -> Tensor:  # noqa: A002
    """Each element at most max."""
    _check_bound("clamp_max", "max", max)
    if isinstance(max, Tensor):
        return clamp(input, max=max)
    return ClampMaxBackward0.apply(input, None, max)


def _check_bound(fn: str, name: str, bound) -> None:
    """PyTorch's TypeError for a bound that is neither a tensor nor a number (None included)."""
    if not isinstance(bound, (Tensor,) + NUMBER):
        raise TypeError(f"{fn}() received an invalid combination of arguments - got ({type(bound).__name__}), "
                        f"but expected one of:\n * (Tensor {name})\n * (Number {name})\n")
