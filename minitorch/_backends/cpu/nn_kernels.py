"""Numba kernels of the nn ops: softmax family, NLL loss, GELU, leaky ReLU, dropout.

Each is a module-level ``@njit(cache=True)`` function over C-contiguous arrays. Row
kernels take a 2-D (rows, classes) view: the caller moves the softmax dim last.
Sums of exponentials accumulate in float64, so float32 rows keep full precision and
large logits cannot overflow (the row maximum is subtracted first).
"""
import math

import numpy as np
from numba import njit, prange


@njit(cache=True)
def log_softmax_rows(x, out):
    """out[r] = x[r] - max - log(sum(exp(x[r] - max))) for each row. O(n)."""
    rows, cols = x.shape
    for r in range(rows):
        m = x[r, 0]
        for c in range(1, cols):
            if x[r, c] > m:
                m = x[r, c]
        if np.isinf(m) and m < 0:  # a row of only -inf gives NaN, as in PyTorch
            for c in range(cols):
                out[r, c] = x[r, c] - m
            continue
        s = 0.0
        for c in range(cols):
            s += math.exp(np.float64(x[r, c] - m))
        shift = m + math.log(s)
        for c in range(cols):
            out[r, c] = x[r, c] - shift


@njit(cache=True)
def log_softmax_backward_rows(grad, logp, out):
    """out[r] = grad[r] - exp(logp[r]) * sum(grad[r]). O(n)."""
    rows, cols = grad.shape
    for r in range(rows):
        s = 0.0
        for c in range(cols):
            s += grad[r, c]
        for c in range(cols):
            out[r, c] = grad[r, c] - math.exp(logp[r, c]) * s


@njit(cache=True)
def softmax_rows(x, out):
    """out[r] = exp(x[r] - max) / sum(exp(x[r] - max)) for each row. O(n)."""
    rows, cols = x.shape
    for r in range(rows):
        m = x[r, 0]
        for c in range(1, cols):
            if x[r, c] > m:
                m = x[r, c]
        s = 0.0
        for c in range(cols):
            e = math.exp(np.float64(x[r, c] - m))
            out[r, c] = e
            s += e
        inv = 1.0 / s
        for c in range(cols):
            out[r, c] = out[r, c] * inv


@njit(cache=True)
def softmax_backward_rows(grad, y, out):
    """out[r] = y[r] * (grad[r] - sum(grad[r] * y[r])). O(n)."""
    rows, cols = grad.shape
    for r in range(rows):
        s = 0.0
        for c in range(cols):
            s += grad[r, c] * y[r, c]
        for c in range(cols):
            out[r, c] = y[r, c] * (grad[r, c] - s)


@njit(cache=True)
def nll_forward(logp, target, weight, ignore_index, losses):
    """losses[i] = -weight[t] * logp[i, t] (0 where t == ignore_index), t = target[i].

    Returns (sum of losses, sum of the weights used, index of the first out-of-range
    target or -1). An empty weight array means weight 1 for every class. O(N).
    """
    n, c = logp.shape
    total = 0.0
    weight_sum = 0.0
    for i in range(n):
        t = target[i]
        if t == ignore_index:
            losses[i] = 0.0
            continue
        if t < 0 or t >= c:
            return total, weight_sum, i
        w = weight[t] if weight.size > 0 else 1.0
        losses[i] = -w * logp[i, t]
        total += losses[i]
        weight_sum += w
    return total, weight_sum, -1


@njit(cache=True)
def nll_backward(grad_per_row, target, weight, ignore_index, out):
    """out[i, t] = -weight[t] * grad_per_row[i] for t = target[i] (out zero-filled). O(N)."""
    for i in range(target.size):
        t = target[i]
        if t == ignore_index:
            continue
        w = weight[t] if weight.size > 0 else 1.0
        out[i, t] = -w * grad_per_row[i]


@njit(cache=True)
def _gelu_value(v, tanh_approx):
    """GELU of one float64: v * Phi(v) exactly (erf), or PyTorch's tanh approximation."""
    if tanh_approx:
        inner = 0.7978845608028654 * (v + 0.044715 * v * v * v)
        return 0.5 * v * (1.0 + math.tanh(inner))
    return 0.5 * v * (1.0 + math.erf(v * 0.7071067811865476))


@njit(cache=True)
def _gelu_slope(v, tanh_approx):
    """d GELU / dv at one float64, for both forms."""
    if tanh_approx:
        inner = 0.7978845608028654 * (v + 0.044715 * v * v * v)
        t = math.tanh(inner)
        d_inner = 0.7978845608028654 * (1.0 + 3.0 * 0.044715 * v * v)
        return 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * d_inner
    cdf = 0.5 * (1.0 + math.erf(v * 0.7071067811865476))
    pdf = math.exp(-0.5 * v * v) * 0.3989422804014327
    return cdf + v * pdf


@njit(cache=True)
def gelu(x, out, tanh_approx):
    """GELU: x * Phi(x) exactly (erf), or PyTorch's tanh approximation. O(n)."""
    for i in range(x.size):
        out[i] = _gelu_value(np.float64(x[i]), tanh_approx)


@njit(cache=True, parallel=True)
def gelu_parallel(x, out, tanh_approx):
    """gelu over numba's threads. O(n)."""
    for i in prange(x.size):
        out[i] = _gelu_value(np.float64(x[i]), tanh_approx)


@njit(cache=True)
def gelu_backward(grad, x, out, tanh_approx):
    """d GELU / dx times grad, for both forms. O(n)."""
    for i in range(x.size):
        out[i] = grad[i] * _gelu_slope(np.float64(x[i]), tanh_approx)


@njit(cache=True, parallel=True)
def gelu_backward_parallel(grad, x, out, tanh_approx):
    """gelu_backward over numba's threads. O(n)."""
    for i in prange(x.size):
        out[i] = grad[i] * _gelu_slope(np.float64(x[i]), tanh_approx)


@njit(cache=True)
def leaky_relu(x, out, slope):
    """out = x where x > 0, else slope * x. O(n)."""
    for i in range(x.size):
        out[i] = x[i] if x[i] > 0 else x[i] * slope


@njit(cache=True, parallel=True)
def leaky_relu_parallel(x, out, slope):
    """leaky_relu over numba's threads. O(n)."""
    for i in prange(x.size):
        out[i] = x[i] if x[i] > 0 else x[i] * slope


@njit(cache=True)
def leaky_relu_backward(grad, x, out, slope):
    """out = grad where x > 0, else slope * grad. O(n)."""
    for i in range(x.size):
        out[i] = grad[i] if x[i] > 0 else grad[i] * slope


@njit(cache=True, parallel=True)
def leaky_relu_backward_parallel(grad, x, out, slope):
    """leaky_relu_backward over numba's threads. O(n)."""
    for i in prange(x.size):
        out[i] = grad[i] if x[i] > 0 else grad[i] * slope


@njit(cache=True)
def dropout(x, uniform, keep_prob, scale, out, mask):
    """Keep x[i] * scale where uniform[i] < keep_prob (the mask records it), else 0
    (torch's bernoulli_(1 - p) noise). O(n)."""
    zero = np.zeros(1, x.dtype)[0]
    for i in range(x.size):
        keep = uniform[i] < keep_prob
        mask[i] = keep
        out[i] = x[i] * (scale if keep else zero)  # x * 0 as torch: -0.0 and NaN survive


@njit(cache=True, parallel=True)
def dropout_parallel(x, uniform, keep_prob, scale, out, mask):
    """dropout over numba's threads (the noise is drawn before, so the same mask). O(n)."""
    zero = np.zeros(1, x.dtype)[0]
    for i in prange(x.size):
        keep = uniform[i] < keep_prob
        mask[i] = keep
        out[i] = x[i] * (scale if keep else zero)


@njit(cache=True)
def masked_scale(grad, mask, scale, out):
    """out = grad * scale where mask, else 0 (dropout's backward). O(n)."""
    zero = np.zeros(1, grad.dtype)[0]
    for i in range(grad.size):
        out[i] = grad[i] * (scale if mask[i] else zero)


@njit(cache=True, parallel=True)
def masked_scale_parallel(grad, mask, scale, out):
    """masked_scale over numba's threads. O(n)."""
    zero = np.zeros(1, grad.dtype)[0]
    for i in prange(grad.size):
        out[i] = grad[i] * (scale if mask[i] else zero)
