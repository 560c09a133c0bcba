"""Converters of the layers' ops: linear (Gemm), matmul, convolution, pooling, batch and
layer norm, embedding, and the recurrence of an RNN / LSTM / GRU layer run through its ops
(cells, packed sequences; nn.RNN/LSTM/GRU on a padded batch go whole, see _convert_modules.py).
"""
from __future__ import annotations

import numpy as np

from .._ops import adaptive_pool, batchnorm, conv, matmul, nn as nn_ops, normalization, pool, rnn
from ._graph import Value, static_dims
from ._registry import converts
from .errors import UnsupportedOperatorError


# ----- products ---------------------------------------------------------------------------------
@converts(nn_ops.AddmmBackward0)
def _addmm(g, bias, x, weight, *, out, ctx):
    """bias + x @ weight^T (nn.Linear): one Gemm."""
    xv = g.value(x)
    name = g.op("Gemm", xv.name, g.value(weight).name, g.value(bias).name, transB=1, hint="linear")
    return name, (xv.dims[0], (int(out.shape[1]), ()))


def _matmul_dims(a, b, shape):
    if len(a.shape) < 2 or len(b.shape) < 2:
        return None
    dims = []
    lead = len(shape) - 2
    for i in range(lead):
        pick = (int(shape[i]), ())
        for v in (a, b):
            j = i - lead + len(v.shape) - 2
            if 0 <= j and v.dims[j][1] and v.shape[j] == shape[i]:
                pick = v.dims[j]
                break
        dims.append(pick)
    return tuple(dims) + (a.dims[-2], b.dims[-1])


@converts(matmul._Product)
def _matmul(g, a, b, *, out, ctx):
    av, bv = g.value(a), g.value(b)
    return g.op("MatMul", av.name, bv.name), _matmul_dims(av, bv, out.shape)


@converts(matmul.BaddbmmBackward0)
def _baddbmm(g, input, batch1, batch2, beta, alpha, *, out, ctx):
    v1, v2 = g.value(batch1), g.value(batch2)
    prod = g.op("MatMul", v1.name, v2.name)
    if alpha != 1:
        prod = g.op("Mul", prod, g.scalar(alpha, out.dtype))
    if beta == 0:
        return prod, _matmul_dims(v1, v2, out.shape)
    base = g.operand(input, out.dtype)
    if beta != 1:
        base = g.op("Mul", base, g.scalar(beta, out.dtype))
    return g.op("Add", base, prod), _matmul_dims(v1, v2, out.shape)


# ----- convolution and pooling -----------------------------------------------------------------
def _pads(sizes, kernel, stride, begin, dilation, out_sizes) -> list:
    """ONNX pads (all begins, then all ends): the end pad is the begin pad when that gives the
    output size, else what the output size needs (padding='same' with an even kernel)."""
    ends = []
    for size, k, s, b, d, o in zip(sizes, kernel, stride, begin, dilation, out_sizes):
        effective = d * (k - 1) + 1
        if (size + 2 * b - effective) // s + 1 == o:
            ends.append(b)
        else:
            ends.append(max(0, (o - 1) * s + effective - size - b))
    return list(begin) + ends


def _spatial_dims(g, x, out_shape, n):
    dims = list(static_dims(out_shape))
    dims[0] = x.dims[0]
    for i in range(n):
        if x.dims[-n + i][1]:
            dims[-n + i] = g.opaque(out_shape[-n + i])
    return tuple(dims)


@converts(conv.ConvolutionBackward0)
def _conv(g, x, weight, bias, params, transposed, out_shape, *, out, ctx):
    """N-d convolution (weight: (O, C/groups, *kernel)) or, transposed, ConvTranspose (weight:
    (C, O/groups, *kernel)). params is 2-D (a 1-D convolution has a unit height)."""
    xv, wv = g.value(x), g.value(weight)
    n = len(wv.shape) - 2
    kernel = list(wv.shape[2:])
    stride, padding, dilation = (list(v)[-n:] for v in (params.stride, params.padding, params.dilation))
    inputs = [xv.name, wv.name] + ([g.value(bias).name] if bias is not None else [])
    out_sizes = list(out_shape)[-n:]
    if transposed:
        # out = s (in - 1) + d (k - 1) + 1 - 2p + output_padding
        extra = [o - (s * (i - 1) + d * (k - 1) + 1 - 2 * p)
                 for o, i, s, d, k, p in zip(out_sizes, xv.shape[-n:], stride, dilation, kernel, padding)]
        name = g.op("ConvTranspose", *inputs, kernel_shape=kernel, strides=stride,
                    pads=padding + padding, dilations=dilation, output_padding=extra,
                    group=int(params.groups), hint="conv_transpose")
    else:
        pads = _pads(xv.shape[-n:], kernel, stride, padding, dilation, out_sizes)
        name = g.op("Conv", *inputs, kernel_shape=kernel, strides=stride, pads=pads,
                    dilations=dilation, group=int(params.groups), hint="conv")
    return name, _spatial_dims(g, xv, out.shape, n)


def _batched(g, xv, n):
    """Pooling needs a batch dim: (C, *spatial) inputs get one, and lose it after."""
    return (g.unsqueeze(xv.name, [0]), True) if len(xv.shape) == n + 1 else (xv.name, False)


def _ceil_mode(sizes, kernel, stride, padding, dilation, out_sizes) -> int:
    for size, k, s, p, d, o in zip(sizes, kernel, stride, padding, dilation, out_sizes):
        if (size + 2 * p - d * (k - 1) - 1) // s + 1 != o:
            return 1
    return 0


@converts(pool.MaxPool2DWithIndicesBackward0)
def _max_pool(g, x, kernel, stride, padding, dilation, out_sizes, indices_out, *, out, ctx):
    xv = g.value(x)
    n = len(kernel)
    name, unbatched = _batched(g, xv, n)
    sizes = xv.shape[-n:]
    values, idx = g.op("MaxPool", name, outputs=2, kernel_shape=list(kernel), strides=list(stride),
                       pads=list(padding) * 2, dilations=list(dilation),
                       ceil_mode=_ceil_mode(sizes, kernel, stride, padding, dilation, out_sizes), hint="max_pool")
    if unbatched:
        values, idx = g.squeeze(values, [0]), g.squeeze(idx, [0])
    if indices_out:
        # ONNX counts positions over the whole tensor, PyTorch within each plane.
        plane = g.op("Mod", idx, g.ints([int(np.prod(sizes))]))
        raw = indices_out[0]
        g.bind(raw, Value(g, "node", raw.shape, raw.dtype, dims=_spatial_dims(g, xv, out.shape, n), name=plane))
    return values, _spatial_dims(g, xv, out.shape, n)


@converts(adaptive_pool.AdaptiveMaxPool2DBackward0)
def _adaptive_max_pool(g, x, out_hw, indices_out, *, out, ctx):
    """ONNX has no adaptive pooling: every window's positions (a constant (oh*ow, kh*kw) table
    of h * W + w, short windows repeating their last position) are gathered from the flattened
    planes, then ArgMax (the first maximum) moved to the last NaN where a window holds one
    (PyTorch's rule), the values and indices gathered at it."""
    xv = g.value(x)
    (h, w), (oh, ow) = xv.shape[-2:], out_hw
    rows, _ = adaptive_pool._windows(h, oh)
    cols, _ = adaptive_pool._windows(w, ow)
    k = rows.shape[1] * cols.shape[1]
    table = (rows[:, None, :, None] * w + cols[None, :, None, :]).reshape(oh * ow, k)
    keep = [0] * (len(xv.shape) - 2)
    blocks = g.op("Gather", g.op("Reshape", xv.name, g.ints(keep + [-1])), g.const(table), axis=-1)
    first = g.op("ArgMax", blocks, axis=-1, keepdims=1, select_last_index=0)
    rank = g.op("Mul", g.cast(g.op("IsNaN", blocks), np.bool_, np.int64), g.const(np.arange(1, k + 1, dtype=np.int64)))
    last = g.reduce("ReduceMax", rank, [-1], True)
    local = g.op("Where", g.op("Greater", last, g.ints([0])), g.op("Sub", last, g.ints([1])), first)
    values = g.op("GatherElements", blocks, local, axis=-1)
    shape = g.ints(keep + [oh, ow])
    dims = _spatial_dims(g, xv, out.shape, 2)
    if indices_out:
        at = g.op("Add", g.op("Squeeze", local, g.ints([-1])), g.const(np.arange(oh * ow, dtype=np.int64) * k))
        idx = g.op("Reshape", g.op("Gather", g.const(table.reshape(-1)), at, axis=0), shape)
        raw = indices_out[0]
        g.bind(raw, Value(g, "node", raw.shape, raw.dtype, dims=dims, name=idx))
    return g.op("Reshape", values, shape), dims


@converts(pool.AvgPool2DBackward0)
def _avg_pool(g, x, kernel, stride, padding, out_sizes, count_include_pad, divisor, *, out, ctx):
    xv = g.value(x)
    n = len(kernel)
    name, unbatched = _batched(g, xv, n)
    sizes = xv.shape[-n:]
    result = g.op("AveragePool", name, kernel_shape=list(kernel), strides=list(stride), pads=list(padding) * 2,
                  ceil_mode=_ceil_mode(sizes, kernel, stride, padding, (1,) * n, out_sizes),
                  count_include_pad=int(bool(count_include_pad) or bool(divisor)), hint="avg_pool")
    if divisor:
        result = g.op("Mul", result, g.scalar(float(np.prod(kernel)) / divisor, out.dtype))
    if unbatched:
        result = g.squeeze(result, [0])
    return result, _spatial_dims(g, xv, out.shape, n)


# ----- normalisation -----------------------------------------------------------------------------
def _param_or(g, t, fill: float, shape, dtype) -> str:
    if t is not None:
        return g.value(t).name
    return g.const(np.full(shape, fill, dtype=dtype))


@converts(batchnorm.NativeBatchNormBackward0)
def _batch_norm(g, x, weight, bias, running_mean, running_var, training, momentum, eps, *, out, ctx):
    xv = g.value(x)
    c = xv.shape[1]
    w = _param_or(g, weight, 1.0, (c,), out.dtype)
    b = _param_or(g, bias, 0.0, (c,), out.dtype)
    if not training:
        return g.op("BatchNormalization", xv.name, w, b, g.value(running_mean).name, g.value(running_var).name,
                    epsilon=float(eps), hint="batch_norm"), xv.dims
    # batch statistics (training, or no running stats): the normalisation written out
    axes = [0] + list(range(2, len(xv.shape)))
    mean = g.reduce("ReduceMean", xv.name, axes, True)
    centered = g.op("Sub", xv.name, mean)
    var = g.reduce("ReduceMean", g.op("Mul", centered, centered), axes, True)
    normed = g.op("Div", centered, g.op("Sqrt", g.op("Add", var, g.scalar(eps, out.dtype))))
    stat = g.ints([1, c] + [1] * (len(xv.shape) - 2))
    scaled = g.op("Mul", normed, g.op("Reshape", w, stat))
    return g.op("Add", scaled, g.op("Reshape", b, stat)), xv.dims


@converts(normalization.NativeLayerNormBackward0)
def _layer_norm(g, x, weight, bias, n, eps, *, out, ctx):
    xv = g.value(x)
    shape = xv.shape[-n:]
    w = _param_or(g, weight, 1.0, shape, out.dtype)
    if g.opset >= 17:
        inputs = [xv.name, w] + ([g.value(bias).name] if bias is not None else [])
        return g.op("LayerNormalization", *inputs, axis=-int(n), epsilon=float(eps), hint="layer_norm"), xv.dims
    axes = list(range(len(xv.shape) - n, len(xv.shape)))
    mean = g.reduce("ReduceMean", xv.name, axes, True)
    centered = g.op("Sub", xv.name, mean)
    var = g.reduce("ReduceMean", g.op("Mul", centered, centered), axes, True)
    normed = g.op("Div", centered, g.op("Sqrt", g.op("Add", var, g.scalar(eps, out.dtype))))
    result = g.op("Mul", normed, w)
    return (g.op("Add", result, g.value(bias).name) if bias is not None else result), xv.dims


@converts(nn_ops.EmbeddingBackward0)
def _embedding(g, weight, indices, padding_idx, *, out, ctx):
    iv = g.value(indices)
    return g.op("Gather", g.value(weight).name, iv.name, axis=0, hint="embedding"), \
        iv.dims + ((int(out.shape[-1]), ()),)


# ----- recurrence through its ops --------------------------------------------------------------
@converts(rnn.RnnLayerBackward0)
def _rnn_layer(g, gx, h0, c0, w_hh, b_hh, w_hr, mode, batch_sizes, reverse, *, out, ctx):
    """One layer and direction unrolled over its (fixed) steps: the gate math of each step as
    ONNX ops, rows time-major as the packed layout; Y = [h | c] for an LSTM, h otherwise."""
    if g.value(gx).dynamic:
        raise UnsupportedOperatorError("rnn_layer", g.opset, detail=(
            "a recurrence run step by step has a fixed batch and length; nn.RNN/LSTM/GRU on a padded "
            "batch (not a PackedSequence, no proj_size) export as one ONNX node with dynamic axes"))
    dtype = out.dtype
    gxn, h = g.value(gx).name, g.value(h0).name
    c = g.value(c0).name if c0 is not None else None
    wt = g.op("Transpose", g.value(w_hh).name, perm=[1, 0])
    wr = g.op("Transpose", g.value(w_hr).name, perm=[1, 0]) if w_hr is not None else None
    bh = g.value(b_hh).name if b_hh is not None else None
    starts = np.concatenate([[0], np.cumsum(batch_sizes)]).astype(int)
    steps = range(len(batch_sizes) - 1, -1, -1) if reverse else range(len(batch_sizes))
    outputs = {}
    prev = None
    for t in steps:
        bs = int(batch_sizes[t])
        rows = g.op("Slice", gxn, g.ints([starts[t]]), g.ints([starts[t] + bs]), g.ints([0]))
        if prev is None:
            h_in, c_in = _rows(g, h, 0, bs), (_rows(g, c, 0, bs) if c is not None else None)
        elif not reverse or bs == prev[2]:
            h_in, c_in = _rows(g, prev[0], 0, bs), (_rows(g, prev[1], 0, bs) if c is not None else None)
        else:  # reverse over packed rows: sequences that start here begin from h0
            h_in = g.op("Concat", prev[0], _rows(g, h, prev[2], bs), axis=0)
            c_in = g.op("Concat", prev[1], _rows(g, c, prev[2], bs), axis=0) if c is not None else None
        gh = g.op("MatMul", h_in, wt)
        if bh is not None:
            gh = g.op("Add", gh, bh)
        h_new, c_new = _cell(g, mode, rows, gh, h_in, c_in, wr, dtype)
        outputs[t] = g.op("Concat", h_new, c_new, axis=1) if c_new is not None else h_new
        prev = (h_new, c_new, bs)
    return g.op("Concat", *[outputs[t] for t in range(len(batch_sizes))], axis=0) if len(outputs) > 1 \
        else outputs[0]


def _rows(g, name, start, stop):
    return g.op("Slice", name, g.ints([start]), g.ints([stop]), g.ints([0]))


def _cell(g, mode, gx, gh, h, c, wr, dtype):
    """One step's gates in PyTorch's order (aten/src/ATen/native/RNN.cpp)."""
    if mode in ("RNN_TANH", "RNN_RELU"):
        return g.op("Tanh" if mode == "RNN_TANH" else "Relu", g.op("Add", gx, gh)), None
    if mode == "LSTM":
        i, f, cand, o = g.op("Split", g.op("Add", gx, gh), outputs=4, axis=1, **_split4(g))
        c_new = g.op("Add", g.op("Mul", g.op("Sigmoid", f), c), g.op("Mul", g.op("Sigmoid", i), g.op("Tanh", cand)))
        h_new = g.op("Mul", g.op("Sigmoid", o), g.op("Tanh", c_new))
        if wr is not None:
            h_new = g.op("MatMul", h_new, wr)
        return h_new, c_new
    xr, xz, xn = g.op("Split", gx, outputs=3, axis=1, **_split3(g))
    hr, hz, hn = g.op("Split", gh, outputs=3, axis=1, **_split3(g))
    r = g.op("Sigmoid", g.op("Add", xr, hr))
    z = g.op("Sigmoid", g.op("Add", xz, hz))
    n = g.op("Tanh", g.op("Add", xn, g.op("Mul", r, hn)))
    one_minus_z = g.op("Sub", g.scalar(1, dtype), z)
    return g.op("Add", g.op("Mul", one_minus_z, n), g.op("Mul", z, h)), None


def _split4(g):
    return {"num_outputs": 4} if g.opset >= 18 else {}


def _split3(g):
    return {"num_outputs": 3} if g.opset >= 18 else {}

