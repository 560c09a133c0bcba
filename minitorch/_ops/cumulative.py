"""Running extremes and the running log-sum-exp along a dim: cummax, cummin, logcumsumexp."""
from __future__ import annotations

from .._declare import op
from ..autograd.function import Function
from ..tensor import Tensor
from ._common import wrap_dim
from .reduce import _ReturnType


class cummax_return(_ReturnType):  # noqa: N801 - torch.return_types.cummax
    _name = "cummax"


class cummin_return(_ReturnType):  # noqa: N801
    _name = "cummin"


class _CumulativeExtreme(Function):
    """Running max/min along dim (values; the indices come with them). Each output's gradient
    goes back to the element it was taken from."""

    tensor_inputs = 1

    @staticmethod
    def forward(a, dim, values, indices):
        return values

    @staticmethod
    def setup_context(ctx, inputs, output):
        a, ctx.dim, _, ctx.indices = inputs
        ctx.shape = a.shape

    @staticmethod
    def backward(ctx, grad):
        if grad.dim() == 0:
            return grad, None, None, None
        return grad.new_zeros(ctx.shape).scatter_add(ctx.dim, ctx.indices, grad), None, None, None


class CummaxBackward0(_CumulativeExtreme):
    pass


class CumminBackward0(_CumulativeExtreme):
    pass


def _cumulative_extreme(input: Tensor, dim: int, which: str, node, result_type):
    dim = wrap_dim(dim, input.dim())
    be = input._backend
    values, indices = be.cumulative_extreme(which, input._data, dim)
    indices = Tensor._wrap(indices, be)
    return result_type(node.apply(input, dim, values, indices), indices)


@op
def cummax(input: Tensor, dim: int) -> cummax_return:
    """(running maximum along dim, int64 index where it was last reached); NaN propagates."""
    return _cumulative_extreme(input, dim, "max", CummaxBackward0, cummax_return)


@op
def cummin(input: Tensor, dim: int) -> cummin_return:
    """(running minimum along dim, int64 index where it was last reached); NaN propagates."""
    return _cumulative_extreme(input, dim, "min", CumminBackward0, cummin_return)


# the most negative finite value of each float dtype: log(0) stand-in that stays finite
_LOWEST = {"float16": -65504.0, "float32": -3.4028234663852886e38, "float64": -1.7976931348623157e308}


class LogcumsumexpBackward0(Function):
    """out_i = log sum_{j<=i} exp(x_j). d out_i / d x_j = exp(x_j - out_i) for j <= i, so the
    gradient of x_j is exp(x_j) * sum_{i>=j} g_i exp(-out_i), summed in log space separately
    for the positive and the negative g (PyTorch's formula), which never overflows."""

    tensor_inputs = 1

    @staticmethod
    def forward(a, dim):
        return a._backend.logcumsumexp(a._data, dim)

    @staticmethod
    def setup_context(ctx, inputs, output):
        a, ctx.dim = inputs
        ctx.save_for_backward(a, output)

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        if grad.dim() == 0:
            return grad, None
        dim = ctx.dim
        floor = _LOWEST[grad.dtype.name]
        log_abs = grad.abs().log()
        log_positive = log_abs.masked_fill(grad <= 0, floor)
        log_negative = log_abs.masked_fill(grad >= 0, floor)

        def reversed_logcumsumexp(t: Tensor) -> Tensor:
            return logcumsumexp(t.flip(dim), dim).flip(dim)
        positive = (reversed_logcumsumexp(log_positive - out) + a).exp()
        negative = (reversed_logcumsumexp(log_negative - out) + a).exp()
        return positive - negative, None


@op(out=True)
def logcumsumexp(input: Tensor, dim: int) -> Tensor:
    """log(cumsum(exp(input), dim)) without overflow: a running log-add-exp (float dtypes)."""
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"\"logcumsumexp_out_cpu\" not implemented for '{input.dtype.legacy_name}'")
    return LogcumsumexpBackward0.apply(input, wrap_dim(dim, input.dim()))
