"""CUDA conv2d, pooling and batch norm (the CPU table's ConvOps contracts, CudaArrays in and out).

conv2d is im2col + the tiled GEMM of _matmul.py (``strided_gemm``). The columns are laid out
(C*kh*kw, N, L), L = oh*ow, so that group g's rows are one (Kg, N*L) block (Kg = C/G*kh*kw):

- forward: one GEMM launch batched over (group, image): W_g (Og, Kg) @ cols[g, :, n] (Kg, L),
  written through strides straight into the (N, O, oh, ow) output, the bias added in the GEMM's
  store (no extra pass, no permute).
- input gradient: one GEMM batched over (group, image), W_g^T (read transposed in place) @
  grad[n, g] -> dcols (same layout as cols), then col2im as a gather (one thread per input
  pixel sums the column entries that im2col read from it: deterministic, no atomics).
- weight gradient: grad copied channel-major (O, N*L), then W_g += grad_g (Og, N*L) @ cols_g^T
  (cols read transposed in place): the batch sum happens inside the GEMM's K loop. The K loop
  is split over chunks of images (split-K) when the output has few tiles, so that enough blocks
  run; the partial products are summed by a small kernel.
conv2d(keep_cols=True) returns these columns; conv2d_weight_grad reuses them.

Pooling: one thread per output element (forward), max-pool backward a scatter with atomic adds
to the argmax (as the CPU kernel's scatter-add), avg-pool backward a gather (one thread per
input pixel over the windows that cover it). Sums in float64 as the CPU kernels.

Batch norm: per-channel sums by a block per channel (any N*H*W: the block's threads stride over
the channel, then a shared-memory tree reduction), in float64 as the CPU kernels; the
elementwise parts (apply, grad_input) are flat grid-stride kernels.
"""
from __future__ import annotations

import numba
import numpy as np
from numba import cuda

from ._array import CudaArray
from ._kernels import offset_of
from ._launch import THREADS, check_device, collapse, launch, launch_blocks
from ._matmul import BM, BN, strided_gemm

RT = THREADS                       # threads of a reduction block (a power of two)
MAX_BLOCKS_X = 65535
SPLIT_K_TARGET = 128               # blocks the weight-gradient GEMM aims for, at least


def _prod(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def _zero(dtype):
    return np.zeros((), dtype)[()]


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


# ----- host side ----------------------------------------------------------------------------
def _lead(a: CudaArray):
    """The collapsed (shape, strides) of a's leading dims (all but the last two): the planes."""
    shape, (strides,) = collapse(a.shape[:-2], a.estrides[:-2])
    return shape, strides


def _channel_walk(a: CudaArray):
    """The collapsed (shape, strides) of a (N, C, *) with the channel dim left out: the walk
    over one channel's N*L values."""
    dims = (0,) + tuple(range(2, a.ndim))
    shape, (strides,) = collapse(tuple(a.shape[d] for d in dims), tuple(a.estrides[d] for d in dims))
    return shape, strides


def _vec(a):
    """(buffer, offset, stride) of a 1-D (or one-element-per-channel) array."""
    return a.buf, a.offset, (a.estrides[-1] if a.ndim else 0)


class ConvOps:
    """The conv part of the CUDA op table."""

    # ----- conv2d -------------------------------------------------------------------------
    def _im2col(self, x, kernel, stride, padding, dilation, out_hw) -> CudaArray:
        (kh, kw), (sh, sw), (ph, pw), (dh, dw), (oh, ow) = kernel, stride, padding, dilation, out_hw
        n, c, h, w = x.shape
        cols = CudaArray.empty((c * kh * kw, n, oh * ow), x.dtype)
        sxn, sxc, sxh, sxw = x.estrides
        launch(k_im2col, cols.size, cols.buf, x.buf, x.offset, sxn, sxc, sxh, sxw, n, h, w, kh, kw,
               sh, sw, ph, pw, dh, dw, oh, ow, _zero(x.dtype), cols.size)
        return cols

    def conv2d(self, x, weight, bias, stride, padding, dilation, groups, out_hw, keep_cols=False):
        """(out, cols): out (N, O, oh, ow) of x (N, C, H, W) with weight (O, C/groups, kh, kw),
        plus bias (O,) or None; cols (this backend's im2col columns) when keep_cols."""
        check_device(x, weight)
        n, o = x.shape[0], weight.shape[0]
        oh, ow = out_hw
        length = oh * ow
        weight = self.contiguous(weight)
        kg = _prod(weight.shape[1:])
        og = o // groups
        out = CudaArray.empty((n, o, oh, ow), x.dtype)
        cols = self._im2col(x, weight.shape[2:], stride, padding, dilation, out_hw)
        if out.size:
            bias_arg = None
            if bias is not None:
                check_device(bias)
                bstride = bias.estrides[0]
                bias_arg = (bias, bias.offset, (og * bstride, 0), bstride)
            # batch (group g, image i): W_g (og, kg) @ cols[g*kg:(g+1)*kg, i, :] (kg, L)
            strided_gemm(out, 0, (og * length, o * length), length, 1,
                         weight, weight.offset, (og * kg, 0), kg, 1,
                         cols, 0, (kg * n * length, length), n * length, 1,
                         (groups, n), og, length, kg, bias=bias_arg)
        return out, (cols if keep_cols else None)

    def conv2d_input_grad(self, grad, weight, input_shape, stride, padding, dilation, groups):
        """d conv2d / d x for grad (N, O, oh, ow): col2im(weight^T @ grad), shape input_shape."""
        check_device(grad, weight)
        n, o, oh, ow = grad.shape
        length = oh * ow
        _, c, h, w = input_shape
        kh, kw = weight.shape[2:]
        weight = self.contiguous(weight)
        grad = self.contiguous(grad)
        kg = _prod(weight.shape[1:])
        og = o // groups
        out = CudaArray.empty(tuple(input_shape), grad.dtype)
        if out.size == 0:
            return out
        dcols = CudaArray.empty((c * kh * kw, n, length), grad.dtype)
        if dcols.size:
            # batch (g, i): W_g^T (kg, og) @ grad[i, g*og:(g+1)*og] (og, L) -> dcols[g*kg:, i, :]
            strided_gemm(dcols, 0, (kg * n * length, length), n * length, 1,
                         weight, weight.offset, (og * kg, 0), 1, kg,
                         grad, grad.offset, (og * length, o * length), length, 1,
                         (groups, n), kg, length, og)
        (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
        launch(k_col2im, out.size, out.buf, dcols.buf, n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw,
               oh, ow, _zero(grad.dtype), out.size)
        return out

    def conv2d_weight_grad(self, grad, x, weight_shape, stride, padding, dilation, groups, cols=None):
        """d conv2d / d weight for grad (N, O, oh, ow): grad @ cols^T summed over the batch."""
        check_device(grad, x)
        n, o, oh, ow = grad.shape
        length = oh * ow
        kg = _prod(weight_shape[1:])
        og = o // groups
        out = CudaArray.empty(tuple(weight_shape), grad.dtype)
        if out.size == 0:
            return out
        if n * length == 0:
            self.fill(out, 0)
            return out
        if cols is None:
            cols = self._im2col(x, weight_shape[2:], stride, padding, dilation, (oh, ow))
        # grad channel-major: (O, N, L), so that each group's rows run over (image, pixel) with stride 1
        gt = self.copy(self.permute(grad, (1, 0, 2, 3)))
        nl = n * length
        # split-K over chunks of images when the output has few tiles
        tiles = groups * -(-og // BM) * -(-kg // BN)
        want = max(1, min(n, SPLIT_K_TARGET // max(tiles, 1)))
        split = max(d for d in range(1, want + 1) if n % d == 0)
        chunk = (n // split) * length
        if split == 1:
            strided_gemm(out, 0, (og * kg,), kg, 1,
                         gt, 0, (og * nl,), nl, 1,
                         cols, 0, (kg * nl,), 1, nl,
                         (groups,), og, kg, nl)
            return out
        parts = CudaArray.empty((split, o * kg), grad.dtype)
        # batch (s, g): grad_g[:, chunk s] (og, chunk) @ cols_g[:, chunk s]^T (chunk, kg)
        strided_gemm(parts, 0, (o * kg, og * kg), kg, 1,
                     gt, 0, (chunk, og * nl), nl, 1,
                     cols, 0, (chunk, kg * nl), 1, nl,
                     (split, groups), og, kg, chunk)
        launch(k_sum_partials, o * kg, out.buf, parts.buf, split, o * kg)
        return out

    # ----- pooling ------------------------------------------------------------------------
    def max_pool2d(self, x, kernel, stride, padding, dilation, out_hw):
        """(values, int64 indices) of max pooling over the last two dims of x (*, H, W)."""
        check_device(x)
        lead = x.shape[:-2]
        h, w = x.shape[-2:]
        oh, ow = out_hw
        out = CudaArray.empty(lead + (oh, ow), x.dtype)
        indices = CudaArray.empty(lead + (oh, ow), np.int64)
        lowest = x.dtype.type(-np.inf) if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        lshape, lstr = _lead(x)
        launch(k_max_pool2d, out.size, out.buf, indices.buf, x.buf, x.offset, lshape, lstr,
               x.estrides[-2], x.estrides[-1], h, w, kernel[0], kernel[1], stride[0], stride[1],
               padding[0], padding[1], dilation[0], dilation[1], x.dtype.type(lowest), oh, ow, out.size)
        return out, indices

    def max_pool2d_backward(self, grad, indices, input_shape):
        """Scatter-add grad (*, oh, ow) to the argmax positions: a (*, H, W) array."""
        check_device(grad, indices)
        h, w = input_shape[-2:]
        out = CudaArray.empty(tuple(input_shape), grad.dtype)
        self.fill(out, 0)
        total = grad.size
        if total == 0:
            return out
        gshape, (gstr, istr) = _same_walk(grad, indices)
        launch(k_max_pool2d_backward, total, out.buf, grad.buf, grad.offset, gshape, gstr,
               indices.buf, indices.offset, gshape, istr, grad.shape[-2] * grad.shape[-1], h * w, total)
        return out

    def avg_pool2d(self, x, kernel, stride, padding, out_hw, count_include_pad, divisor):
        """Average pooling over the last two dims of x (*, H, W); divisor 0 means the window's size."""
        check_device(x)
        lead = x.shape[:-2]
        h, w = x.shape[-2:]
        oh, ow = out_hw
        out = CudaArray.empty(lead + (oh, ow), x.dtype)
        lshape, lstr = _lead(x)
        launch(k_avg_pool2d, out.size, out.buf, x.buf, x.offset, lshape, lstr, x.estrides[-2],
               x.estrides[-1], h, w, kernel[0], kernel[1], stride[0], stride[1], padding[0], padding[1],
               bool(count_include_pad), int(divisor), oh, ow, out.size)
        return out

    def avg_pool2d_backward(self, grad, input_shape, kernel, stride, padding, count_include_pad, divisor):
        """The adjoint of avg_pool2d: grad (*, oh, ow) spread over each window, a (*, H, W) array."""
        check_device(grad)
        h, w = input_shape[-2:]
        oh, ow = grad.shape[-2:]
        out = CudaArray.empty(tuple(input_shape), grad.dtype)
        lshape, lstr = _lead(grad)
        launch(k_avg_pool2d_backward, out.size, out.buf, grad.buf, grad.offset, lshape, lstr,
               grad.estrides[-2], grad.estrides[-1], h, w, kernel[0], kernel[1], stride[0], stride[1],
               padding[0], padding[1], bool(count_include_pad), int(divisor), oh, ow, out.size)
        return out

    # ----- batch norm ---------------------------------------------------------------------
    def batch_norm_stats(self, x):
        """(mean, biased var) per channel of x (N, C, *), in x's dtype (float64 sums)."""
        check_device(x)
        c = x.shape[1]
        count = x.size // c if c else 0
        mean = CudaArray.empty((c,), x.dtype)
        var = CudaArray.empty((c,), x.dtype)
        if c:
            cshape, cstr = _channel_walk(x)
            launch_blocks(k_bn_stats, min(c, MAX_BLOCKS_X), RT, mean.buf, var.buf, x.buf, x.offset,
                          x.estrides[1], cshape, cstr, c, count)
        return mean, var

    def batch_norm_apply(self, x, mean, invstd, weight, bias):
        """(x - mean) * invstd * weight + bias per channel of x (N, C, *); weight/bias may be None."""
        check_device(x, mean, invstd)
        out = CudaArray.empty(x.shape, x.dtype)
        if out.size == 0:
            return out
        c = x.shape[1]
        length = _prod(x.shape[2:])
        shape, (_, xstr) = collapse(x.shape, out.estrides, x.estrides)
        wb, wo, ws = _vec(invstd) if weight is None else _vec(weight)
        bb, bo, bs = _vec(invstd) if bias is None else _vec(bias)
        launch(k_bn_apply, out.size, out.buf, x.buf, x.offset, shape, xstr, *_vec(mean), *_vec(invstd),
               wb, wo, ws, weight is not None, bb, bo, bs, bias is not None, c, length, out.size)
        return out

    def batch_norm_backward(self, grad, x, mean, invstd, weight, training):
        """(grad_input, grad_weight, grad_bias) of batch_norm_apply; with training, mean and
        invstd are the batch's own statistics and their gradients are included."""
        check_device(grad, x, mean, invstd)
        c = x.shape[1]
        count = x.size // c if c else 0
        grad_input = CudaArray.empty(x.shape, x.dtype)
        grad_weight = CudaArray.empty((c,), x.dtype)
        grad_bias = CudaArray.empty((c,), x.dtype)
        if c == 0:
            return grad_input, grad_weight, grad_bias
        sums = CudaArray.empty((2 * c,), np.float64)
        gshape, gstr = _channel_walk(grad)
        xshape, xstr = _channel_walk(x)
        launch_blocks(k_bn_backward_sums, min(c, MAX_BLOCKS_X), RT, grad_weight.buf, grad_bias.buf, sums.buf,
                      grad.buf, grad.offset, grad.estrides[1], gshape, gstr,
                      x.buf, x.offset, x.estrides[1], xshape, xstr, *_vec(mean), *_vec(invstd), c, count)
        if grad_input.size:
            shape, (_, g2, x2) = collapse(x.shape, grad_input.estrides, grad.estrides, x.estrides)
            wb, wo, ws = _vec(invstd) if weight is None else _vec(weight)
            launch(k_bn_backward_input, grad_input.size, grad_input.buf, grad.buf, grad.offset, g2,
                   x.buf, x.offset, x2, shape, sums.buf, *_vec(mean), *_vec(invstd), wb, wo, ws,
                   weight is not None, bool(training), c, _prod(x.shape[2:]), count, grad_input.size)
        return grad_input, grad_weight, grad_bias

    def batch_norm_update_stats(self, running_mean, running_var, mean, var, momentum, count):
        """In place: running = (1 - momentum) * running + momentum * batch stat, the var unbiased."""
        check_device(running_mean, running_var, mean, var)
        factor = count / (count - 1)
        dt = mean.dtype.type if mean.dtype.kind == "f" else np.float64
        c = running_mean.size
        launch(k_bn_update_stats, c, *_vec(running_mean), *_vec(running_var), *_vec(mean), *_vec(var),
               dt(momentum), dt(1 - momentum), dt(factor), c)


def _same_walk(a: CudaArray, b: CudaArray):
    """Collapsed (shape, (a strides, b strides)) of two arrays of one shape."""
    shape, (sa, sb) = collapse(a.shape, a.estrides, b.estrides)
    return shape, (sa, sb)
