"""CUDA nn kernels: softmax family, NLL loss, GELU, leaky ReLU, dropout, embedding backward
(the launches are _nn.py's NnOps).

The kernels follow _backends/cpu/nn_kernels.py operation for operation, so a float32
result rounds as the CPU's does.

Softmax family: one block per row (a grid-stride loop over rows when there are more
rows than blocks). The softmax dim is moved last in the *metadata* only: a row is the
``r``-th combination of the other dims (read through their strides) and its elements
are ``stride[dim]`` apart, so any dim of any strided input works without a copy. The
threads of a block walk a row in a block-stride loop (rows of any length), then
reduce in shared memory: the row maximum as an argmax (so the maximum keeps the
input's dtype and ``x - max`` rounds in that dtype, as on the CPU), the sums in
float64 (the CPU kernel accumulates in float64 too).

NLL: one thread per row writes the row's loss; the loss and weight totals are block
partials in float64, reduced by a second one-block pass; the first out-of-range row
is an ``atomic.min``.

Kernels that take a ``flat`` flag read every operand at ``offset + i`` when all of
them are contiguous and through ``offset_of`` otherwise (the branch is uniform).
"""
from __future__ import annotations

import math

import numba
from numba import cuda

from . import _math as m
from ._kernels import index_at, offset_of
from ._launch import THREADS

_F64 = numba.float64
_NEG_F64_MAX = -1.7976931348623157e308      # below it: -inf


# ----- device helpers ------------------------------------------------------------------
@cuda.jit(device=True)
def _block_sum(sh, v, tid):
    """The sum of every thread's v (tree in shared memory sh, THREADS long)."""
    sh[tid] = v
    cuda.syncthreads()
    s = THREADS // 2
    while s > 0:
        if tid < s:
            sh[tid] += sh[tid + s]
        cuda.syncthreads()
        s //= 2
    total = sh[0]
    cuda.syncthreads()          # every thread has read sh[0] before sh is written again
    return total


@cuda.jit(device=True)
def _block_argmax(shv, shi, v, idx, tid):
    """The index of the largest value over the block's (v, idx) pairs; idx < 0 means none."""
    shv[tid] = v
    shi[tid] = idx
    cuda.syncthreads()
    s = THREADS // 2
    while s > 0:
        if tid < s:
            j = shi[tid + s]
            if j >= 0 and (shi[tid] < 0 or shv[tid + s] > shv[tid]):
                shv[tid] = shv[tid + s]
                shi[tid] = j
        cuda.syncthreads()
        s //= 2
    best = shi[0]
    cuda.syncthreads()
    return best


@cuda.jit(device=True)
def _row_argmax(x, xb, xsd, L, tid, shv, shi):
    """The column of the row's maximum (x[xb + c * xsd], c < L), over the whole block."""
    bv = _F64(0.0)
    bi = -1
    c = tid
    while c < L:
        v = _F64(x[xb + c * xsd])
        if bi < 0 or v > bv:
            bv = v
            bi = c
        c += THREADS
    return _block_argmax(shv, shi, bv, bi, tid)


# ----- softmax family ------------------------------------------------------------------
@cuda.jit(cache=True)
def k_log_softmax(out, oo, ost, osd, x, xo, xst, xsd, shape, rows, L):
    """out[row] = x[row] - max - log(sum(exp(x[row] - max))); a row of -inf gives NaN."""
    shv = cuda.shared.array(THREADS, numba.float64)
    shi = cuda.shared.array(THREADS, numba.int64)
    tid = cuda.threadIdx.x
    r = cuda.blockIdx.x
    while r < rows:
        xb = offset_of(r, shape, xst, xo)
        ob = offset_of(r, shape, ost, oo)
        mx = x[xb + _row_argmax(x, xb, xsd, L, tid, shv, shi) * xsd]
        s = _F64(0.0)
        c = tid
        while c < L:
            s += m.exp(_F64(x[xb + c * xsd] - mx))
            c += THREADS
        s = _block_sum(shv, s, tid)
        all_neg_inf = mx < _NEG_F64_MAX
        shift = mx + m.log(s)
        c = tid
        while c < L:
            xv = x[xb + c * xsd]
            if all_neg_inf:
                out[ob + c * osd] = xv - mx
            else:
                out[ob + c * osd] = xv - shift
            c += THREADS
        r += cuda.gridDim.x


@cuda.jit(cache=True)
def k_softmax(out, oo, ost, osd, x, xo, xst, xsd, shape, rows, L):
    """out[row] = exp(x[row] - max) / sum(exp(x[row] - max))."""
    shv = cuda.shared.array(THREADS, numba.float64)
    shi = cuda.shared.array(THREADS, numba.int64)
    tid = cuda.threadIdx.x
    r = cuda.blockIdx.x
    while r < rows:
        xb = offset_of(r, shape, xst, xo)
        ob = offset_of(r, shape, ost, oo)
        mx = x[xb + _row_argmax(x, xb, xsd, L, tid, shv, shi) * xsd]
        s = _F64(0.0)
        c = tid
        while c < L:
            e = m.exp(_F64(x[xb + c * xsd] - mx))
            out[ob + c * osd] = e            # rounded to out's dtype, as the CPU kernel
            s += e
            c += THREADS
        s = _block_sum(shv, s, tid)
        inv = 1.0 / s
        c = tid
        while c < L:                         # each thread rescales the elements it wrote
            o = ob + c * osd
            out[o] = out[o] * inv
            c += THREADS
        r += cuda.gridDim.x


@cuda.jit(cache=True)
def k_log_softmax_backward(out, oo, ost, osd, g, go, gst, gsd, lp, lo, lst, lsd, shape, rows, L):
    """out[row] = grad[row] - exp(logp[row]) * sum(grad[row])."""
    sh = cuda.shared.array(THREADS, numba.float64)
    tid = cuda.threadIdx.x
    r = cuda.blockIdx.x
    while r < rows:
        gb = offset_of(r, shape, gst, go)
        lb = offset_of(r, shape, lst, lo)
        ob = offset_of(r, shape, ost, oo)
        s = _F64(0.0)
        c = tid
        while c < L:
            s += g[gb + c * gsd]
            c += THREADS
        s = _block_sum(sh, s, tid)
        c = tid
        while c < L:
            out[ob + c * osd] = g[gb + c * gsd] - m.exp(lp[lb + c * lsd]) * s
            c += THREADS
        r += cuda.gridDim.x


@cuda.jit(cache=True)
def k_softmax_backward(out, oo, ost, osd, g, go, gst, gsd, y, yo, yst, ysd, shape, rows, L):
    """out[row] = y[row] * (grad[row] - sum(grad[row] * y[row]))."""
    sh = cuda.shared.array(THREADS, numba.float64)
    tid = cuda.threadIdx.x
    r = cuda.blockIdx.x
    while r < rows:
        gb = offset_of(r, shape, gst, go)
        yb = offset_of(r, shape, yst, yo)
        ob = offset_of(r, shape, ost, oo)
        s = _F64(0.0)
        c = tid
        while c < L:
            s += g[gb + c * gsd] * y[yb + c * ysd]
            c += THREADS
        s = _block_sum(sh, s, tid)
        c = tid
        while c < L:
            out[ob + c * osd] = y[yb + c * ysd] * (g[gb + c * gsd] - s)
            c += THREADS
        r += cuda.gridDim.x


# ----- NLL -----------------------------------------------------------------------------
@cuda.jit(cache=True)
def k_nll_forward(losses, lp, lo, ls0, ls1, tg, to, ts, w, wo, ws, has_w, ignore_index, C, n,
                  partial, bad):
    """losses[i] = -w[t] * logp[i, t] (0 where t == ignore_index); per-block float64 sums of
    the losses and the weights used into partial[2 * block + (0, 1)]; bad[0] = min bad row."""
    shl = cuda.shared.array(THREADS, numba.float64)
    shw = cuda.shared.array(THREADS, numba.float64)
    tid = cuda.threadIdx.x
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    acc_l = _F64(0.0)
    acc_w = _F64(0.0)
    while i < n:
        t = tg[to + i * ts]
        if t == ignore_index:
            losses[i] = 0
        elif t < 0 or t >= C:
            losses[i] = 0
            cuda.atomic.min(bad, 0, i)
        else:
            wv = _F64(1.0)
            if has_w:
                wv = _F64(w[wo + t * ws])
            losses[i] = -wv * lp[lo + i * ls0 + t * ls1]
            acc_l += losses[i]               # the rounded loss, as the CPU sums it
            acc_w += wv
        i += step
    acc_l = _block_sum(shl, acc_l, tid)
    acc_w = _block_sum(shw, acc_w, tid)
    if tid == 0:
        partial[2 * cuda.blockIdx.x] = acc_l
        partial[2 * cuda.blockIdx.x + 1] = acc_w


@cuda.jit(cache=True)
def k_nll_totals(partial, nblocks, bad, res):
    """One block: res = (sum of the loss partials, sum of the weight partials, bad row)."""
    shl = cuda.shared.array(THREADS, numba.float64)
    shw = cuda.shared.array(THREADS, numba.float64)
    tid = cuda.threadIdx.x
    acc_l = _F64(0.0)
    acc_w = _F64(0.0)
    b = tid
    while b < nblocks:
        acc_l += partial[2 * b]
        acc_w += partial[2 * b + 1]
        b += THREADS
    acc_l = _block_sum(shl, acc_l, tid)
    acc_w = _block_sum(shw, acc_w, tid)
    if tid == 0:
        res[0] = acc_l
        res[1] = acc_w
        res[2] = bad[0]


@cuda.jit(cache=True)
def k_nll_backward(out, C, g, go, gs, tg, to, ts, w, wo, ws, has_w, ignore_index, n):
    """out[i, t] = -w[t] * grad_per_row[i] for t = target[i] (out zero-filled, contiguous)."""
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        t = tg[to + i * ts]
        if t != ignore_index and t >= 0 and t < C:
            wv = _F64(1.0)
            if has_w:
                wv = _F64(w[wo + t * ws])
            out[i * C + t] = -wv * g[go + i * gs]
        i += step


@cuda.jit(cache=True)
def k_nll_reduced(out, wsum, err, losses, lp, lo, ls0, ls1, tg, to, ts, w, wo, ws, has_w, ignore_index,
                  C, n, mean):
    """One block, no host copy: out[0] = sum of -w[t] * logp[i, t] over the rows (divided by
    the weight total when mean, NaN when that is 0), wsum[0] = the weight total (float64).
    An out-of-range target sets err = (1, target) (the device-side assert, raised on the
    host at the next sync). losses is per-row scratch: each loss is rounded to the dtype
    before it is summed, as the CPU sums them. O(n / THREADS) per thread."""
    shl = cuda.shared.array(THREADS, numba.float64)
    shw = cuda.shared.array(THREADS, numba.float64)
    tid = cuda.threadIdx.x
    acc_l = _F64(0.0)
    acc_w = _F64(0.0)
    i = tid
    while i < n:
        t = tg[to + i * ts]
        if t != ignore_index:
            if t < 0 or t >= C:
                err[1] = t
                err[0] = 1
            else:
                wv = _F64(1.0)
                if has_w:
                    wv = _F64(w[wo + t * ws])
                losses[i] = -wv * lp[lo + i * ls0 + t * ls1]
                acc_l += losses[i]
                acc_w += wv
        i += THREADS
    acc_l = _block_sum(shl, acc_l, tid)
    acc_w = _block_sum(shw, acc_w, tid)
    if tid == 0:
        wsum[0] = acc_w
        if mean:
            if acc_w != 0:
                out[0] = acc_l / acc_w
            else:
                out[0] = math.nan
        else:
            out[0] = acc_l


@cuda.jit(cache=True)
def k_nll_backward_reduced(out, C, g, go, wsum, mean, tg, to, ts, w, wo, ws, has_w, ignore_index, total):
    """The whole (N, C) gradient of a reduced NLL in one pass (no fill): -w[t] * scale at
    (i, t = target[i]), 0 elsewhere; scale = grad / weight total (mean) or grad, read on
    the device and rounded to the dtype first, as the CPU's per-row gradient is."""
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < total:
        r = i // C
        t = tg[to + r * ts]
        if t == i - r * C and t != ignore_index:
            scale = _F64(g[go])
            if mean:
                scale = scale / wsum[0]
            out[i] = scale                    # round the scale to out's dtype
            wv = _F64(1.0)
            if has_w:
                wv = _F64(w[wo + t * ws])
            out[i] = -wv * out[i]
        else:
            out[i] = 0
        i += step


# ----- elementwise ---------------------------------------------------------------------
@cuda.jit(cache=True)
def k_gelu(out, x, xo, xst, flat, shape, n, tanh_approx):
    """GELU in float64: x * Phi(x) (erf), or PyTorch's tanh approximation."""
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        v = _F64(x[index_at(i, flat, shape, xst, xo)])
        if tanh_approx:
            inner = 0.7978845608028654 * (v + 0.044715 * v * v * v)
            out[i] = 0.5 * v * (1.0 + m.tanh(inner))
        else:
            out[i] = 0.5 * v * (1.0 + m.erf(v * 0.7071067811865476))
        i += step


@cuda.jit(cache=True)
def k_gelu_backward(out, g, go, gst, x, xo, xst, flat, shape, n, tanh_approx):
    """grad * d GELU / dx, the derivative in float64."""
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        v = _F64(x[index_at(i, flat, shape, xst, xo)])
        if tanh_approx:
            inner = 0.7978845608028654 * (v + 0.044715 * v * v * v)
            t = m.tanh(inner)
            d_inner = 0.7978845608028654 * (1.0 + 3.0 * 0.044715 * v * v)
            d = 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * d_inner
        else:
            cdf = 0.5 * (1.0 + m.erf(v * 0.7071067811865476))
            pdf = m.exp(-0.5 * v * v) * 0.3989422804014327
            d = cdf + v * pdf
        out[i] = g[index_at(i, flat, shape, gst, go)] * d
        i += step


@cuda.jit(cache=True)
def k_leaky_relu(out, x, xo, xst, flat, shape, n, slope):
    """out = x where x > 0, else x * slope (slope in x's dtype)."""
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        v = x[index_at(i, flat, shape, xst, xo)]
        out[i] = v if v > 0 else v * slope
        i += step


@cuda.jit(cache=True)
def k_leaky_relu_backward(out, g, go, gst, x, xo, xst, flat, shape, n, slope):
    """out = grad where x > 0, else grad * slope (slope in grad's dtype)."""
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        gv = g[index_at(i, flat, shape, gst, go)]
        out[i] = gv if x[index_at(i, flat, shape, xst, xo)] > 0 else gv * slope
        i += step


@cuda.jit(cache=True)
def k_dropout(out, mask, x, xo, xst, u, uo, ust, flat, shape, n, keep_prob, scale, zero):
    """mask = uniform < keep_prob; out = x * (scale if mask else 0) (x * 0 keeps -0.0 and NaN)."""
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        keep = u[index_at(i, flat, shape, ust, uo)] < keep_prob
        mask[i] = keep
        out[i] = x[index_at(i, flat, shape, xst, xo)] * (scale if keep else zero)
        i += step


@cuda.jit(cache=True)
def k_masked_scale(out, g, go, gst, mk, mo, mst, flat, shape, n, scale, zero):
    """out = grad * (scale if mask else 0): dropout's backward."""
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        keep = mk[index_at(i, flat, shape, mst, mo)]
        out[i] = g[index_at(i, flat, shape, gst, go)] * (scale if keep else zero)
        i += step


@cuda.jit(cache=True)
def k_embedding_backward(out, dim, g, go, gshape, gst, ix, io, ishape, ist, padding_idx, n):
    """out[idx[j], k] += grad[j, k] (atomic scatter-add), skipping idx == padding_idx."""
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        j = i // dim
        k = i - j * dim
        t = ix[offset_of(j, ishape, ist, io)]
        if t != padding_idx:
            cuda.atomic.add(out, t * dim + k, g[offset_of(i, gshape, gst, go)])
        i += step
