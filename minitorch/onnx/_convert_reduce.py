"""Converters of the reductions (sum, mean, prod, var / std, max / min with indices, argmax,
all / any, logsumexp, norm) and of the losses (cross_entropy / nll_loss as ONNX's
NegativeLogLikelihoodLoss, mse, l1, binary cross-entropy written out as PyTorch computes it)."""
from __future__ import annotations

import numpy as np

from .._ops import loss, minmax, norms, reduce
from ._graph import Value
from ._registry import converts


# ----- reductions ------------------------------------------------------------------------------
def _reduced_dims(x, axes, keepdim):
    if axes is None:
        axes = range(len(x.shape))
    axes = {a % max(len(x.shape), 1) for a in axes}
    dims = []
    for k, d in enumerate(x.dims):
        if k in axes:
            if keepdim:
                dims.append((1, ()))
        else:
            dims.append(d)
    return tuple(dims)


def _reduction(op_type):
    def convert(g, a, *rest, out, ctx):
        if len(rest) == 1:            # (dtype): every element
            dims, keepdim = None, False
        else:
            dims, keepdim = rest[0], rest[1]
            if isinstance(dims, int):
                dims = (dims,)
            if dims is not None and len(dims) == 0:
                dims = None
        x = g.value(a)
        name = g.operand(a, out.dtype)
        if not x.shape:
            return name, ()
        return g.reduce(op_type, name, dims, keepdim), _reduced_dims(x, dims, keepdim)
    return convert


converts(reduce.SumBackward0, reduce.SumBackward1)(_reduction("ReduceSum"))
converts(reduce.MeanBackward0, reduce.MeanBackward1)(_reduction("ReduceMean"))
converts(reduce.ProdBackward0, reduce.ProdBackward1)(_reduction("ReduceProd"))
converts(minmax.AmaxBackward0)(_reduction("ReduceMax"))
converts(minmax.AminBackward0)(_reduction("ReduceMin"))
converts(reduce.LogsumexpBackward0)(_reduction("ReduceLogSumExp"))


@converts(minmax._AllExtreme)
def _max_all(g, a, *, out, ctx):
    op_type = "ReduceMax" if type(ctx).__name__ == "MaxBackward1" else "ReduceMin"
    return g.reduce(op_type, g.value(a).name, None, False), ()


@converts(minmax.MaxBackward0)
def _max_dim(g, a, dim, keepdim, indices, *, out, ctx):
    """max(dim) / min(dim): the values, and the indices bound to the index tensor."""
    x = g.value(a)
    biggest = type(ctx).__name__ == "MaxBackward0"
    values = g.reduce("ReduceMax" if biggest else "ReduceMin", x.name, [dim], keepdim)
    arg = g.op("ArgMax" if biggest else "ArgMin", x.name, axis=int(dim), keepdims=int(bool(keepdim)))
    dims = _reduced_dims(x, [dim], keepdim)
    raw = indices._data
    g.bind(raw, Value(g, "node", raw.shape, raw.dtype, dims=dims, name=arg))
    return values, dims


@converts(reduce.VarBackward0, reduce.StdBackward0)
def _var(g, a, dims, correction, keepdim, *, out, ctx):
    x = g.value(a)
    axes = list(range(len(x.shape))) if dims is None else [d % len(x.shape) for d in dims]
    count = int(np.prod([x.shape[k] for k in axes]))
    mean = g.reduce("ReduceMean", x.name, axes, True)
    centered = g.op("Sub", x.name, mean)
    total = g.reduce("ReduceSum", g.op("Mul", centered, centered), axes, keepdim)
    result = g.op("Div", total, g.scalar(max(count - correction, 0), out.dtype))
    if type(ctx).__name__ == "StdBackward0":
        result = g.op("Sqrt", result)
    return result, _reduced_dims(x, axes, keepdim)


@converts(norms.LinalgVectorNormBackward0)
def _norm(g, a, p, dims, keepdim, *, out, ctx):
    x = g.value(a)
    if p == 2:
        result = g.reduce("ReduceL2", x.name, dims, keepdim)
    elif p == 1:
        result = g.reduce("ReduceL1", x.name, dims, keepdim)
    elif p == float("inf"):
        result = g.reduce("ReduceMax", g.op("Abs", x.name), dims, keepdim)
    else:
        powered = g.op("Pow", g.op("Abs", x.name), g.scalar(p, out.dtype))
        result = g.op("Pow", g.reduce("ReduceSum", powered, dims, keepdim), g.scalar(1.0 / p, out.dtype))
    return result, _reduced_dims(x, dims, keepdim)


@converts("arg_extreme")
def _arg_extreme(g, a, dim, keepdim, op, *, out, ctx):
    x = g.value(a)
    op_type = "ArgMax" if op == "argmax" else "ArgMin"
    if not x.shape:
        return g.const(np.array(0, dtype=np.int64))
    if dim is None:
        flat = g.op("Reshape", x.name, g.ints([-1]))
        result = g.op(op_type, flat, axis=0, keepdims=0)
        if keepdim:
            result = g.op("Reshape", result, g.ints([1] * len(x.shape)))
        return result
    return g.op(op_type, x.name, axis=int(dim), keepdims=int(bool(keepdim))), _reduced_dims(x, [dim], keepdim)


@converts("truth")
def _truth(g, a, name, dim, keepdim, *, out, ctx):
    """all / any: the min / max of the truth values."""
    x = g.value(a)
    as_int = g.cast(g.cast(x.name, x.dtype, np.bool_), np.bool_, np.int32)
    axes = None if dim is None else ([dim] if isinstance(dim, int) else list(dim))
    reduced = g.reduce("ReduceMin" if name == "all" else "ReduceMax", as_int, axes, keepdim if dim is not None else False)
    return g.cast(reduced, np.int32, np.bool_), (_reduced_dims(x, axes, keepdim) if dim is not None else ())


@converts(loss.MseLossBackward0)
def _mse(g, input, target, reduction, *, out, ctx):
    diff = g.op("Sub", g.operand(input, out.dtype), g.operand(target, out.dtype))
    return _reduce_loss(g, g.op("Mul", diff, diff), reduction)


def _reduce_loss(g, loss: str, reduction: str):
    if reduction == "none":
        return loss
    return g.reduce("ReduceMean" if reduction == "mean" else "ReduceSum", loss, None, False), ()


@converts(loss.NllLossBackward0)
def _nll(g, logp, target, weight, reduction, ignore_index, out_shape=None, *, out, ctx):
    inputs = [g.value(logp).name, g.operand(target, np.int64)] + ([g.value(weight).name] if weight is not None else [])
    result = g.op("NegativeLogLikelihoodLoss", *inputs, reduction=reduction, ignore_index=int(ignore_index),
                  hint="nll_loss")
    if reduction == "none" and out_shape is not None:
        result = g.op("Reshape", result, g.ints(out_shape))
    return result if reduction == "none" else (result, ())


@converts(loss.BinaryCrossEntropyBackward0)
def _bce(g, input, target, weight, reduction, *, out, ctx):
    """-(t log x + (1 - t) log(1 - x)), each log clamped at -100 as PyTorch does."""
    dtype = out.dtype
    x, t = g.operand(input, dtype), g.operand(target, dtype)
    one, floor = g.scalar(1, dtype), g.scalar(-100, dtype)
    log_x = g.op("Max", g.op("Log", x), floor)
    log_1mx = g.op("Max", g.op("Log", g.op("Sub", one, x)), floor)
    loss = g.op("Neg", g.op("Add", g.op("Mul", t, log_x), g.op("Mul", g.op("Sub", one, t), log_1mx)))
    if weight is not None:
        loss = g.op("Mul", loss, g.operand(weight, dtype))
    return _reduce_loss(g, loss, reduction)


@converts(loss.BinaryCrossEntropyWithLogitsBackward0)
def _bce_logits(g, input, target, weight, pos_weight, reduction, *, out, ctx):
    """(1 - t) x + (1 + (pw - 1) t) (log1p(exp(-|x|)) + max(-x, 0)): PyTorch's stable form."""
    dtype = out.dtype
    x, t = g.operand(input, dtype), g.operand(target, dtype)
    one = g.scalar(1, dtype)
    soft = g.op("Add", g.op("Log", g.op("Add", one, g.op("Exp", g.op("Neg", g.op("Abs", x))))),
                g.op("Relu", g.op("Neg", x)))
    if pos_weight is not None:
        scale = g.op("Add", one, g.op("Mul", g.op("Sub", g.operand(pos_weight, dtype), one), t))
        soft = g.op("Mul", scale, soft)
    loss = g.op("Add", g.op("Mul", g.op("Sub", one, t), x), soft)
    if weight is not None:
        loss = g.op("Mul", loss, g.operand(weight, dtype))
    return _reduce_loss(g, loss, reduction)
