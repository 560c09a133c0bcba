"""CUDA kernels of conv2d, pooling and batch norm (the launches are _conv.py's ConvOps).

im2col writes the columns contiguous (C*kh*kw, N, L), L = oh*ow, zero in the padding;
col2im, its adjoint, is a gather: one thread per input pixel sums the column entries that
im2col read from it (deterministic, no atomics). k_sum_partials sums the weight gradient's
split-K partial products.

Pooling: one thread per output element (forward), max-pool backward a scatter with atomic adds
to the argmax (as the CPU kernel's scatter-add), avg-pool backward a gather (one thread per
input pixel over the windows that cover it). Sums in float64 as the CPU kernels.

Batch norm: per-channel sums by a block per channel (any N*H*W: the block's threads stride over
the channel, then a shared-memory tree reduction), in float64 as the CPU kernels; the
elementwise parts (apply, grad_input) are flat grid-stride kernels.
"""
from __future__ import annotations

import numba
from numba import cuda

from ._kernels import offset_of
from ._launch import THREADS

RT = THREADS                       # threads of a reduction block (a power of two)


# ----- im2col / col2im ------------------------------------------------------------------------
@cuda.jit(cache=True)
def k_im2col(cols, x, xo, sxn, sxc, sxh, sxw, nimg, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow,
             zero, total):
    """cols[(c*kh + i)*kw + j, n, y*ow + xx] = x[n, c, y*sh - ph + i*dh, xx*sw - pw + j*dw] (0 in
    the padding); cols contiguous (C*kh*kw, N, oh*ow), x read through its strides."""
    idx = cuda.grid(1)
    step = cuda.gridsize(1)
    length = oh * ow
    while idx < total:
        pos = idx % length
        t = idx // length
        n = t % nimg
        row = t // nimg
        j = row % kw
        i = (row // kw) % kh
        c = row // (kw * kh)
        iy = (pos // ow) * sh - ph + i * dh
        ix = (pos % ow) * sw - pw + j * dw
        if iy >= 0 and iy < h and ix >= 0 and ix < w:
            cols[idx] = x[xo + n * sxn + c * sxc + iy * sxh + ix * sxw]
        else:
            cols[idx] = zero
        idx += step


@cuda.jit(cache=True)
def k_col2im(out, dcols, nimg, channels, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, zero, total):
    """The adjoint of k_im2col as a gather: out[n, c, iy, ix] = sum of the dcols entries that
    im2col read from (n, c, iy, ix). out contiguous (N, C, H, W), dcols (C*kh*kw, N, oh*ow)."""
    idx = cuda.grid(1)
    step = cuda.gridsize(1)
    length = oh * ow
    while idx < total:
        ix = idx % w
        t = idx // w
        iy = t % h
        t = t // h
        c = t % channels
        n = t // channels
        s = zero
        for i in range(kh):
            ty = iy + ph - i * dh
            if ty < 0:
                break
            if ty % sh != 0:
                continue
            y = ty // sh
            if y >= oh:
                continue
            for j in range(kw):
                tx = ix + pw - j * dw
                if tx < 0:
                    break
                if tx % sw != 0:
                    continue
                xx = tx // sw
                if xx >= ow:
                    continue
                s += dcols[(((c * kh + i) * kw + j) * nimg + n) * length + y * ow + xx]
        out[idx] = s
        idx += step


@cuda.jit(cache=True)
def k_sum_partials(out, parts, nparts, size):
    """out[i] = sum over p of parts[p * size + i] (the split-K partial products)."""
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < size:
        s = parts[i]
        for p in range(1, nparts):
            s += parts[p * size + i]
        out[i] = s
        i += step


# ----- pooling ------------------------------------------------------------------------------
@cuda.jit(cache=True)
def k_max_pool2d(out, indices, x, xo, lshape, lstr, sxh, sxw, h, w, kh, kw, sh, sw, ph, pw, dh, dw,
                 lowest, oh, ow, total):
    """out[p, y, xx] = max of plane p over the dilated window, indices its flat iy*W + ix; the
    first maximum wins ties, NaN wins over numbers (the CPU kernel's rules)."""
    idx = cuda.grid(1)
    step = cuda.gridsize(1)
    while idx < total:
        xx = idx % ow
        t = idx // ow
        y = t % oh
        p = t // oh
        base = offset_of(p, lshape, lstr, xo)
        y0 = y * sh - ph
        i0 = 0
        while y0 + i0 * dh < 0:
            i0 += 1
        x0 = xx * sw - pw
        j0 = 0
        while x0 + j0 * dw < 0:
            j0 += 1
        best_index = (y0 + i0 * dh) * w + x0 + j0 * dw
        best = lowest
        for i in range(i0, kh):
            iy = y0 + i * dh
            if iy >= h:
                break
            for j in range(j0, kw):
                ix = x0 + j * dw
                if ix >= w:
                    break
                v = x[base + iy * sxh + ix * sxw]
                if v > best or v != v:
                    best = v
                    best_index = iy * w + ix
        out[idx] = best
        indices[idx] = best_index
        idx += step


@cuda.jit(cache=True)
def k_max_pool2d_backward(out, grad, go, gshape, gstr, ind, io, ishape, istr, plane_out, hw, total):
    """out[p * H*W + indices[p, k]] += grad[p, k] (atomic: overlapping windows share argmaxes)."""
    idx = cuda.grid(1)
    step = cuda.gridsize(1)
    while idx < total:
        p = idx // plane_out
        target = ind[offset_of(idx, ishape, istr, io)]
        if target >= 0 and target < hw:
            cuda.atomic.add(out, p * hw + target, grad[offset_of(idx, gshape, gstr, go)])
        idx += step


@cuda.jit(device=True)
def _avg_window(y, xx, h, w, kh, kw, sh, sw, ph, pw, count_include_pad, divisor):
    """The clipped window (y0, y1, x0, x1) of output (y, xx) and its divisor, as PyTorch."""
    y0 = y * sh - ph
    x0 = xx * sw - pw
    y1 = min(y0 + kh, h + ph)
    x1 = min(x0 + kw, w + pw)
    pool_size = (y1 - y0) * (x1 - x0)
    y0 = max(y0, 0)
    x0 = max(x0, 0)
    y1 = min(y1, h)
    x1 = min(x1, w)
    if divisor > 0:
        factor = divisor
    elif count_include_pad:
        factor = pool_size
    else:
        factor = (y1 - y0) * (x1 - x0)
    return y0, y1, x0, x1, factor


@cuda.jit(cache=True)
def k_avg_pool2d(out, x, xo, lshape, lstr, sxh, sxw, h, w, kh, kw, sh, sw, ph, pw,
                 count_include_pad, divisor, oh, ow, total):
    """out[p, y, xx] = sum of plane p over the clipped window / its divisor (float64 sum)."""
    idx = cuda.grid(1)
    step = cuda.gridsize(1)
    while idx < total:
        xx = idx % ow
        t = idx // ow
        y = t % oh
        p = t // oh
        base = offset_of(p, lshape, lstr, xo)
        y0, y1, x0, x1, factor = _avg_window(y, xx, h, w, kh, kw, sh, sw, ph, pw, count_include_pad, divisor)
        s = 0.0
        if y0 < y1 and x0 < x1:
            for iy in range(y0, y1):
                for ix in range(x0, x1):
                    s += x[base + iy * sxh + ix * sxw]
            out[idx] = s / factor
        else:
            out[idx] = 0
        idx += step


@cuda.jit(cache=True)
def k_avg_pool2d_backward(out, grad, go, lshape, lstr, sgh, sgw, h, w, kh, kw, sh, sw, ph, pw,
                          count_include_pad, divisor, oh, ow, total):
    """The adjoint of k_avg_pool2d as a gather: out[p, iy, ix] = sum over the windows covering
    (iy, ix) of grad[p, y, xx] / divisor. out contiguous (P, H, W)."""
    idx = cuda.grid(1)
    step = cuda.gridsize(1)
    while idx < total:
        ix = idx % w
        t = idx // w
        iy = t % h
        p = t // h
        base = offset_of(p, lshape, lstr, go)
        # windows y with y*sh - ph <= iy < y*sh - ph + kh
        ylo = max(0, -((kh - 1 - iy - ph) // sh))
        yhi = min(oh - 1, (iy + ph) // sh)
        xlo = max(0, -((kw - 1 - ix - pw) // sw))
        xhi = min(ow - 1, (ix + pw) // sw)
        s = 0.0
        for y in range(ylo, yhi + 1):
            for xx in range(xlo, xhi + 1):
                y0, y1, x0, x1, factor = _avg_window(y, xx, h, w, kh, kw, sh, sw, ph, pw,
                                                     count_include_pad, divisor)
                if y0 <= iy and iy < y1 and x0 <= ix and ix < x1:
                    s += grad[base + y * sgh + xx * sgw] / factor
        out[idx] = s
        idx += step


# ----- batch norm ---------------------------------------------------------------------------
@cuda.jit(device=True)
def _block_sum(buf, v):
    """The sum of v over the block's RT threads (every thread gets it); buf: shared (RT,)."""
    tid = cuda.threadIdx.x
    buf[tid] = v
    cuda.syncthreads()
    half = RT // 2
    while half > 0:
        if tid < half:
            buf[tid] += buf[tid + half]
        cuda.syncthreads()
        half //= 2
    total = buf[0]
    cuda.syncthreads()
    return total


@cuda.jit(cache=True)
def k_bn_stats(mean, var, x, xo, sxc, cshape, cstr, channels, count):
    """Per channel c (one block each, grid-strided): mean[c] and the biased var[c] of x's
    count = N*L values, two passes, float64 sums."""
    buf = cuda.shared.array(RT, numba.float64)
    tid = cuda.threadIdx.x
    c = cuda.blockIdx.x
    while c < channels:
        base = xo + c * sxc
        s = 0.0
        e = tid
        while e < count:
            s += x[offset_of(e, cshape, cstr, base)]
            e += RT
        m = _block_sum(buf, s) / count
        ss = 0.0
        e = tid
        while e < count:
            d = x[offset_of(e, cshape, cstr, base)] - m
            ss += d * d
            e += RT
        v = _block_sum(buf, ss) / count
        if tid == 0:
            mean[c] = m
            var[c] = v
        c += cuda.gridDim.x


@cuda.jit(cache=True)
def k_bn_apply(out, x, xo, shape, xstr, mean, mo, ms, invstd, io, is_, weight, wo, ws, has_w,
               bias, bo, bs, has_b, channels, length, total):
    """out[n, c, k] = x * scale[c] + shift[c], scale = invstd * weight, shift = bias - mean * scale
    (computed in the arrays' dtype, as the CPU table does). out contiguous."""
    idx = cuda.grid(1)
    step = cuda.gridsize(1)
    while idx < total:
        c = (idx // length) % channels
        scale = invstd[io + c * is_]
        if has_w:
            scale = scale * weight[wo + c * ws]
        if has_b:
            shift = bias[bo + c * bs] - mean[mo + c * ms] * scale
        else:
            shift = -(mean[mo + c * ms] * scale)
        out[idx] = x[offset_of(idx, shape, xstr, xo)] * scale + shift
        idx += step


@cuda.jit(cache=True)
def k_bn_backward_sums(grad_weight, grad_bias, sums, grad, go, sgc, gshape, gstr, x, xo, sxc, xshape, xstr,
                       mean, mo, ms, invstd, io, is_, channels, count):
    """Per channel (one block each): sg = sum(g), sgx = sum(g * (x - mean)) in float64;
    grad_bias = sg, grad_weight = sgx * invstd, sums[2c], sums[2c+1] = sg, sgx."""
    buf = cuda.shared.array(RT, numba.float64)
    tid = cuda.threadIdx.x
    c = cuda.blockIdx.x
    while c < channels:
        gbase = go + c * sgc
        xbase = xo + c * sxc
        m = mean[mo + c * ms]
        sg = 0.0
        sgx = 0.0
        e = tid
        while e < count:
            g = grad[offset_of(e, gshape, gstr, gbase)]
            sg += g
            sgx += g * (x[offset_of(e, xshape, xstr, xbase)] - m)
            e += RT
        sg = _block_sum(buf, sg)
        sgx = _block_sum(buf, sgx)
        if tid == 0:
            grad_bias[c] = sg
            grad_weight[c] = sgx * invstd[io + c * is_]
            sums[2 * c] = sg
            sums[2 * c + 1] = sgx
        c += cuda.gridDim.x


@cuda.jit(cache=True)
def k_bn_backward_input(out, grad, go, gstr, x, xo, xstr, shape, sums, mean, mo, ms, invstd, io, is_,
                        weight, wo, ws, has_w, training, channels, length, count, total):
    """grad_input = (g - [sg + xhat * sgx * invstd] / M) * invstd * weight (bracket in training)."""
    idx = cuda.grid(1)
    step = cuda.gridsize(1)
    while idx < total:
        c = (idx // length) % channels
        istd = invstd[io + c * is_]
        a = istd
        if has_w:
            a = istd * weight[wo + c * ws]
        g = grad[offset_of(idx, shape, gstr, go)]
        if training:
            mean_g = sums[2 * c] / count
            k2 = sums[2 * c + 1] * istd * istd / count
            d = x[offset_of(idx, shape, xstr, xo)] - mean[mo + c * ms]
            out[idx] = (g - mean_g - d * k2) * a
        else:
            out[idx] = g * a
        idx += step


@cuda.jit(cache=True)
def k_bn_update_stats(rm, rmo, rms, rv, rvo, rvs, mean, mo, ms, var, vo, vs, momentum, keep, factor,
                      channels):
    """running = momentum * stat + (1 - momentum) * running, the var made unbiased by factor."""
    c = cuda.grid(1)
    step = cuda.gridsize(1)
    while c < channels:
        rm[rmo + c * rms] = momentum * mean[mo + c * ms] + keep * rm[rmo + c * rms]
        rv[rvo + c * rvs] = momentum * (var[vo + c * vs] * factor) + keep * rv[rvo + c * rvs]
        c += step
