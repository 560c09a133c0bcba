"""Numba kernels of conv2d, pooling and batch norm: the gathers and scatters around BLAS.

Convolution itself is a matrix product (see conv_ops.py); these kernels only rearrange
pixels into columns (im2col) and add them back (col2im), which NumPy could only do with
a Python loop per kernel offset. Arrays are C-contiguous and 4-D (N, C, H, W) or 3-D
planes (P, H, W); sizes come in as arguments. Most kernels have a ``_parallel`` twin
whose outer loop (images, planes, rows or channels) is split over numba's threads, taken
when the work gives each thread at least the kernel's minimum (``parallel.py``): every
thread writes its own outputs, so no two threads add into one element, and a twin gives
its serial kernel's bits. The ``_batch`` kernels write/read the batch-wide layout
(C*kh*kw, N*oh*ow); im2col_batch's twin splits the rows, col2im_batch's the channels.
"""
import numpy as np
from numba import njit, prange


# ----- im2col / col2im ------------------------------------------------------------------

@njit(cache=True)
def _im2col_one(x, n, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, cols):
    channels, h, w = x.shape[1], x.shape[2], x.shape[3]
    for c in range(channels):
        for i in range(kh):
            for j in range(kw):
                row = (c * kh + i) * kw + j
                for y in range(oh):
                    iy = y * sh - ph + i * dh
                    base = y * ow
                    if iy < 0 or iy >= h:
                        for xx in range(ow):
                            cols[n, row, base + xx] = 0
                        continue
                    for xx in range(ow):
                        ix = xx * sw - pw + j * dw
                        if 0 <= ix < w:
                            cols[n, row, base + xx] = x[n, c, iy, ix]
                        else:
                            cols[n, row, base + xx] = 0


@njit(cache=True)
def im2col(x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, cols):
    """cols[n, (c*kh + i)*kw + j, y*ow + xx] = x[n, c, y*sh - ph + i*dh, xx*sw - pw + j*dw],
    0 where that pixel lies in the padding. x: (N, C, H, W), cols: (N, C*kh*kw, oh*ow).
    O(N C kh kw oh ow)."""
    for n in range(x.shape[0]):
        _im2col_one(x, n, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, cols)


@njit(cache=True, parallel=True)
def im2col_parallel(x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, cols):
    """im2col with the batch split over threads."""
    for n in prange(x.shape[0]):
        _im2col_one(x, n, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, cols)


@njit(cache=True)
def _col2im_one(cols, n, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, out):
    channels, h, w = out.shape[1], out.shape[2], out.shape[3]
    for c in range(channels):
        for i in range(kh):
            for j in range(kw):
                row = (c * kh + i) * kw + j
                for y in range(oh):
                    iy = y * sh - ph + i * dh
                    if iy < 0 or iy >= h:
                        continue
                    base = y * ow
                    for xx in range(ow):
                        ix = xx * sw - pw + j * dw
                        if 0 <= ix < w:
                            out[n, c, iy, ix] += cols[n, row, base + xx]


@njit(cache=True)
def col2im(cols, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, out):
    """The adjoint of im2col: out[n, c, iy, ix] += every column entry im2col read from there.
    out: (N, C, H, W), zero-filled by the caller. O(N C kh kw oh ow)."""
    for n in range(out.shape[0]):
        _col2im_one(cols, n, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, out)


@njit(cache=True, parallel=True)
def col2im_parallel(cols, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, out):
    """col2im with the batch split over threads (each image is written by one thread)."""
    for n in prange(out.shape[0]):
        _col2im_one(cols, n, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, out)


# ----- the batch-wide layout: one GEMM for the whole batch -------------------------------
# cols: (C*kh*kw, N*L), image n's columns side by side, so that conv2d is ONE product
# (O, K) @ (K, N*L) instead of N small ones (see conv_ops.py for the measured gain).
# 64x32x13x13, 1 thread: im2col_batch 0.84 ms, col2im_batch 0.75 ms (im2col/col2im: 1.0, 1.06).

@njit(cache=True)
def _valid_range(j, sw, pw, dw, w, ow):
    """The outputs xx in [lo, hi) whose input column xx*sw - pw + j*dw lies inside 0..w-1."""
    off = j * dw - pw
    lo = 0 if off >= 0 else (sw - 1 - off) // sw
    hi = (w - 1 - off) // sw + 1
    hi = min(max(hi, lo), ow)
    return min(lo, ow), hi


@njit(cache=True)
def _im2col_batch_row(x, row, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, cols):
    # One row of cols, written front to back, image after image. The padding test is
    # hoisted out of the pixel loop (a zero head, a plain copy, a zero tail) and the
    # indices are unsigned (np.uintp) so that numba drops its negative-index wraparound
    # and LLVM vectorises the copy: 2.6 ms -> 0.8 ms for the 64x32x13x13 layer.
    h, w = x.shape[2], x.shape[3]
    c = row // (kh * kw)
    i = (row // kw) % kh
    j = row % kw
    lo, hi = _valid_range(j, sw, pw, dw, w, ow)
    off = j * dw - pw
    dst = cols[row]
    for n in range(x.shape[0]):
        for y in range(oh):
            iy = y * sh - ph + i * dh
            base = (n * oh + y) * ow
            if iy < 0 or iy >= h:
                for xx in range(ow):
                    dst[np.uintp(base + xx)] = 0
                continue
            src = x[n, c, iy]
            for xx in range(lo):
                dst[np.uintp(base + xx)] = 0
            for xx in range(lo, hi):
                dst[np.uintp(base + xx)] = src[np.uintp(xx * sw + off)]
            for xx in range(hi, ow):
                dst[np.uintp(base + xx)] = 0


@njit(cache=True)
def im2col_batch(x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, cols):
    """cols[(c*kh + i)*kw + j, n*oh*ow + y*ow + xx] = x[n, c, y*sh - ph + i*dh, xx*sw - pw + j*dw],
    0 in the padding. x: (N, C, H, W), cols: (C*kh*kw, N*oh*ow). O(N C kh kw oh ow)."""
    for row in range(cols.shape[0]):
        _im2col_batch_row(x, row, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, cols)


@njit(cache=True, parallel=True)
def im2col_batch_parallel(x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, cols):
    """im2col_batch with the rows split over threads (each row written by one thread)."""
    for row in prange(cols.shape[0]):
        _im2col_batch_row(x, row, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, cols)


@njit(cache=True)
def _col2im_batch_channel(cols, c, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, out):
    # Rows read front to back; the N planes of channel c that they add into stay in cache.
    # Unsigned indices as in _im2col_batch_row.
    h, w = out.shape[2], out.shape[3]
    for i in range(kh):
        for j in range(kw):
            src = cols[(c * kh + i) * kw + j]
            lo, hi = _valid_range(j, sw, pw, dw, w, ow)
            off = j * dw - pw
            for n in range(out.shape[0]):
                for y in range(oh):
                    iy = y * sh - ph + i * dh
                    if iy < 0 or iy >= h:
                        continue
                    base = (n * oh + y) * ow
                    dst = out[n, c, iy]
                    for xx in range(lo, hi):
                        dst[np.uintp(xx * sw + off)] += src[np.uintp(base + xx)]


@njit(cache=True)
def col2im_batch(cols, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, out):
    """The adjoint of im2col_batch. cols: (C*kh*kw, N*oh*ow); out: (N, C, H, W), zero-filled.
    O(N C kh kw oh ow)."""
    for c in range(out.shape[1]):
        _col2im_batch_channel(cols, c, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, out)


@njit(cache=True, parallel=True)
def col2im_batch_parallel(cols, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, out):
    """col2im_batch with the channels split over threads (channel c's planes are written by
    one thread only, so no two threads add into one element)."""
    for c in prange(out.shape[1]):
        _col2im_batch_channel(cols, c, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, out)


@njit(cache=True)
def _add_bias_image(prod, bias, n, out):
    channels, length = out.shape[1], out.shape[2]
    start = n * length
    for o in range(channels):
        b = bias[o]
        for k in range(length):
            out[n, o, k] = prod[o, start + k] + b


@njit(cache=True)
def batch_major_add_bias(prod, bias, out):
    """out[n, o, k] = prod[o, n*L + k] + bias[o]: the (O, N*L) product back to (N, O, L),
    with the bias added in the same pass. O(N O L)."""
    for n in range(out.shape[0]):
        _add_bias_image(prod, bias, n, out)


@njit(cache=True, parallel=True)
def batch_major_add_bias_parallel(prod, bias, out):
    """batch_major_add_bias with the images split over threads."""
    for n in prange(out.shape[0]):
        _add_bias_image(prod, bias, n, out)


# ----- max pooling ----------------------------------------------------------------------

@njit(cache=True)
def _max_pool_plane(x, p, kh, kw, sh, sw, ph, pw, dh, dw, lowest, out, indices):
    """out[p, y, xx] = max of x[p] over the (dilated) window at (y*sh - ph, xx*sw - pw);
    indices[p, y, xx] = its flat position iy*W + ix in the plane. The first maximum wins
    ties and a NaN wins over numbers, as in PyTorch; a window with no pixel inside gives
    lowest (-inf for floats). O(oh ow kh kw)."""
    h, w = x.shape[1], x.shape[2]
    oh, ow = out.shape[1], out.shape[2]
    for y in range(oh):
        y0 = y * sh - ph
        i0 = 0
        while y0 + i0 * dh < 0:
            i0 += 1
        for xx in range(ow):
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
                    v = x[p, iy, ix]
                    if v > best or v != v:
                        best = v
                        best_index = iy * w + ix
            out[p, y, xx] = best
            indices[p, y, xx] = best_index


@njit(cache=True)
def max_pool2d(x, kh, kw, sh, sw, ph, pw, dh, dw, lowest, out, indices):
    """Max pooling of every plane of x: (P, H, W) -> out, indices (P, oh, ow)."""
    for p in range(x.shape[0]):
        _max_pool_plane(x, p, kh, kw, sh, sw, ph, pw, dh, dw, lowest, out, indices)


@njit(cache=True, parallel=True)
def max_pool2d_parallel(x, kh, kw, sh, sw, ph, pw, dh, dw, lowest, out, indices):
    """max_pool2d with the planes split over numba's threads."""
    for p in prange(x.shape[0]):
        _max_pool_plane(x, p, kh, kw, sh, sw, ph, pw, dh, dw, lowest, out, indices)


@njit(cache=True)
def _adaptive_max_pool_plane(x, p, out, indices):
    # PyTorch's adaptive windows: output row y pools input rows [floor(y H / oh),
    # ceil((y + 1) H / oh)), columns likewise. The window is scanned row by row; the first
    # maximum wins and every NaN scanned replaces the maximum (PyTorch's CPU kernel).
    h, w = x.shape[1], x.shape[2]
    oh, ow = out.shape[1], out.shape[2]
    for y in range(oh):
        y0 = (y * h) // oh
        y1 = -((-(y + 1) * h) // oh)
        for xx in range(ow):
            x0 = (xx * w) // ow
            x1 = -((-(xx + 1) * w) // ow)
            best = x[p, y0, x0]
            best_index = y0 * w + x0
            for iy in range(y0, y1):
                for ix in range(x0, x1):
                    v = x[p, iy, ix]
                    if v > best or v != v:
                        best = v
                        best_index = iy * w + ix
            out[p, y, xx] = best
            indices[p, y, xx] = best_index


@njit(cache=True)
def adaptive_max_pool2d(x, out, indices):
    """Adaptive max pooling of every plane of x: (P, H, W) -> out, indices (P, oh, ow)."""
    for p in range(x.shape[0]):
        _adaptive_max_pool_plane(x, p, out, indices)


@njit(cache=True, parallel=True)
def adaptive_max_pool2d_parallel(x, out, indices):
    """adaptive_max_pool2d with the planes split over numba's threads."""
    for p in prange(x.shape[0]):
        _adaptive_max_pool_plane(x, p, out, indices)


@njit(cache=True)
def _adaptive_max_pool_volume(x, p, out, indices):
    # _adaptive_max_pool_plane over (D, H, W): PyTorch's windows along each dim, scanned
    # depth by depth, row by row; the first maximum wins, every NaN replaces the maximum.
    d, h, w = x.shape[1], x.shape[2], x.shape[3]
    od, oh, ow = out.shape[1], out.shape[2], out.shape[3]
    for z in range(od):
        z0 = (z * d) // od
        z1 = -((-(z + 1) * d) // od)
        for y in range(oh):
            y0 = (y * h) // oh
            y1 = -((-(y + 1) * h) // oh)
            for xx in range(ow):
                x0 = (xx * w) // ow
                x1 = -((-(xx + 1) * w) // ow)
                best = x[p, z0, y0, x0]
                best_index = (z0 * h + y0) * w + x0
                for iz in range(z0, z1):
                    for iy in range(y0, y1):
                        for ix in range(x0, x1):
                            v = x[p, iz, iy, ix]
                            if v > best or v != v:
                                best = v
                                best_index = (iz * h + iy) * w + ix
                out[p, z, y, xx] = best
                indices[p, z, y, xx] = best_index


@njit(cache=True)
def adaptive_max_pool3d(x, out, indices):
    """Adaptive max pooling of every volume of x: (P, D, H, W) -> out, indices (P, od, oh, ow)."""
    for p in range(x.shape[0]):
        _adaptive_max_pool_volume(x, p, out, indices)


@njit(cache=True, parallel=True)
def adaptive_max_pool3d_parallel(x, out, indices):
    """adaptive_max_pool3d with the volumes split over numba's threads."""
    for p in prange(x.shape[0]):
        _adaptive_max_pool_volume(x, p, out, indices)


@njit(cache=True)
def _max_pool_plane_2x2(x, p, sh, sw, out, indices):
    # The common MaxPool2d(2) case, every window inside the plane (no padding, no dilation):
    # the window unrolled, so LLVM turns the comparisons into selects instead of branches
    # that random data mispredicts. Same rules as _max_pool_plane (the first maximum wins,
    # a NaN wins over numbers). The conv1 output of the MNIST CNN (64x32x26x26, 1 thread):
    # 3.2 -> 1.4 ms.
    w = x.shape[2]
    src, dst, ind = x[p], out[p], indices[p]
    for y in range(out.shape[1]):
        y0 = y * sh
        r0, r1 = src[np.uintp(y0)], src[np.uintp(y0 + 1)]
        for xx in range(out.shape[2]):
            x0 = xx * sw
            best, best_index = r0[np.uintp(x0)], y0 * w + x0
            v = r0[np.uintp(x0 + 1)]
            if v > best or v != v:
                best, best_index = v, y0 * w + x0 + 1
            v = r1[np.uintp(x0)]
            if v > best or v != v:
                best, best_index = v, (y0 + 1) * w + x0
            v = r1[np.uintp(x0 + 1)]
            if v > best or v != v:
                best, best_index = v, (y0 + 1) * w + x0 + 1
            dst[np.uintp(y), np.uintp(xx)] = best
            ind[np.uintp(y), np.uintp(xx)] = best_index


@njit(cache=True)
def max_pool2d_2x2(x, sh, sw, out, indices):
    """max_pool2d for a 2x2 window lying inside every plane (no padding, no dilation)."""
    for p in range(x.shape[0]):
        _max_pool_plane_2x2(x, p, sh, sw, out, indices)


@njit(cache=True, parallel=True)
def max_pool2d_2x2_parallel(x, sh, sw, out, indices):
    """max_pool2d_2x2 with the planes split over numba's threads."""
    for p in prange(x.shape[0]):
        _max_pool_plane_2x2(x, p, sh, sw, out, indices)


@njit(cache=True)
def max_pool2d_backward(grad, indices, out):
    """out[p, indices[p, k]] += grad[p, k]: each output's gradient goes to its argmax.
    grad, indices: (P, oh*ow); out: (P, H*W), zero-filled. O(P oh ow).

    A window that lies wholly in the padding (possible with dilation: its taps step over the
    whole input) has the output -inf and an index past the plane, as PyTorch's forward gives
    it; its gradient reaches no input, so it is dropped here. (PyTorch's CPU backward writes
    it past the end of its gradient buffer: the heap corruption that aborted CI.)"""
    hw = out.shape[1]
    for p in range(grad.shape[0]):
        for k in range(grad.shape[1]):
            i = indices[p, k]
            if 0 <= i < hw:
                out[p, i] += grad[p, k]


@njit(cache=True, parallel=True)
def max_pool2d_backward_parallel(grad, indices, out):
    """max_pool2d_backward with the planes split over threads (a plane's argmaxes stay in it)."""
    hw = out.shape[1]
    for p in prange(grad.shape[0]):
        for k in range(grad.shape[1]):
            i = indices[p, k]
            if 0 <= i < hw:
                out[p, i] += grad[p, k]


# ----- average pooling ------------------------------------------------------------------

@njit(cache=True)
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


@njit(cache=True)
def _avg_pool_plane(x, p, kh, kw, sh, sw, ph, pw, count_include_pad, divisor, out):
    h, w = x.shape[1], x.shape[2]
    oh, ow = out.shape[1], out.shape[2]
    for y in range(oh):
        for xx in range(ow):
            y0, y1, x0, x1, factor = _avg_window(y, xx, h, w, kh, kw, sh, sw, ph, pw,
                                                 count_include_pad, divisor)
            if y0 >= y1 or x0 >= x1:
                out[p, y, xx] = 0
                continue
            s = 0.0
            for iy in range(y0, y1):
                for ix in range(x0, x1):
                    s += x[p, iy, ix]
            out[p, y, xx] = s / factor


@njit(cache=True)
def avg_pool2d(x, kh, kw, sh, sw, ph, pw, count_include_pad, divisor, out):
    """out[p, y, xx] = sum of x[p] over the window / its divisor: divisor if > 0, else the
    window size with (count_include_pad) or without the padding. A window entirely in the
    padding gives 0. x: (P, H, W), sums in float64. O(P oh ow kh kw)."""
    for p in range(x.shape[0]):
        _avg_pool_plane(x, p, kh, kw, sh, sw, ph, pw, count_include_pad, divisor, out)


@njit(cache=True, parallel=True)
def avg_pool2d_parallel(x, kh, kw, sh, sw, ph, pw, count_include_pad, divisor, out):
    """avg_pool2d with the planes split over numba's threads."""
    for p in prange(x.shape[0]):
        _avg_pool_plane(x, p, kh, kw, sh, sw, ph, pw, count_include_pad, divisor, out)


@njit(cache=True)
def _avg_pool_plane_backward(grad, p, kh, kw, sh, sw, ph, pw, count_include_pad, divisor, out):
    h, w = out.shape[1], out.shape[2]
    oh, ow = grad.shape[1], grad.shape[2]
    for y in range(oh):
        for xx in range(ow):
            y0, y1, x0, x1, factor = _avg_window(y, xx, h, w, kh, kw, sh, sw, ph, pw,
                                                 count_include_pad, divisor)
            if y0 >= y1 or x0 >= x1:
                continue
            g = grad[p, y, xx] / factor
            for iy in range(y0, y1):
                for ix in range(x0, x1):
                    out[p, iy, ix] += g


@njit(cache=True)
def avg_pool2d_backward(grad, kh, kw, sh, sw, ph, pw, count_include_pad, divisor, out):
    """The adjoint of avg_pool2d: out[p, iy, ix] += grad[p, y, xx] / divisor over each window.
    grad: (P, oh, ow); out: (P, H, W), zero-filled. O(P oh ow kh kw)."""
    for p in range(out.shape[0]):
        _avg_pool_plane_backward(grad, p, kh, kw, sh, sw, ph, pw, count_include_pad, divisor, out)


@njit(cache=True, parallel=True)
def avg_pool2d_backward_parallel(grad, kh, kw, sh, sw, ph, pw, count_include_pad, divisor, out):
    """avg_pool2d_backward with the planes split over numba's threads (a plane's windows stay in it)."""
    for p in prange(out.shape[0]):
        _avg_pool_plane_backward(grad, p, kh, kw, sh, sw, ph, pw, count_include_pad, divisor, out)


# ----- batch norm -----------------------------------------------------------------------

# The channel sums may be reassociated (fastmath "reassoc"): that lets LLVM vectorise them,
# 10x faster than a strictly ordered float64 sum; NaN and inf keep their IEEE meaning.
_REASSOC = {"reassoc"}


@njit(cache=True, fastmath=_REASSOC)
def _batch_norm_stats_channel(x, c, mean, var):
    n_, length = x.shape[0], x.shape[2]
    count = n_ * length
    s = 0.0
    for n in range(n_):
        for k in range(length):
            s += x[n, c, k]
    m = s / count
    ss = 0.0
    for n in range(n_):
        for k in range(length):
            d = x[n, c, k] - m
            ss += d * d
    mean[c] = m
    var[c] = ss / count


@njit(cache=True, fastmath=_REASSOC)
def batch_norm_stats(x, mean, var):
    """Per channel c of x: (N, C, L): mean[c] and biased var[c], two passes in float64. O(NCL)."""
    for c in range(x.shape[1]):
        _batch_norm_stats_channel(x, c, mean, var)


@njit(cache=True, fastmath=_REASSOC, parallel=True)
def batch_norm_stats_parallel(x, mean, var):
    """batch_norm_stats with the channels split over threads (each channel summed by one thread,
    in the same order as the serial kernel)."""
    for c in prange(x.shape[1]):
        _batch_norm_stats_channel(x, c, mean, var)


@njit(cache=True)
def _batch_norm_apply_image(x, n, scale, shift, out):
    for c in range(x.shape[1]):
        a = scale[c]
        b = shift[c]
        for k in range(x.shape[2]):
            out[n, c, k] = x[n, c, k] * a + b


@njit(cache=True)
def batch_norm_apply(x, scale, shift, out):
    """out[n, c, k] = x[n, c, k] * scale[c] + shift[c] (scale = w / std, shift = b - mean * scale).
    x, out: (N, C, L). O(NCL)."""
    for n in range(x.shape[0]):
        _batch_norm_apply_image(x, n, scale, shift, out)


@njit(cache=True, parallel=True)
def batch_norm_apply_parallel(x, scale, shift, out):
    """batch_norm_apply with the images split over threads."""
    for n in prange(x.shape[0]):
        _batch_norm_apply_image(x, n, scale, shift, out)


@njit(cache=True, fastmath=_REASSOC)
def _batch_norm_backward_channel(grad, x, c, mean, invstd, weight, training, grad_input, grad_weight,
                                 grad_bias):
    n_, length = x.shape[0], x.shape[2]
    count = n_ * length
    m = mean[c]
    sg = 0.0
    sgx = 0.0
    for n in range(n_):
        for k in range(length):
            g = grad[n, c, k]
            sg += g
            sgx += g * (x[n, c, k] - m)
    istd = invstd[c]
    grad_bias[c] = sg
    grad_weight[c] = sgx * istd
    a = istd * weight[c]
    if training:
        mean_g = sg / count
        k2 = sgx * istd * istd / count
        for n in range(n_):
            for k in range(length):
                grad_input[n, c, k] = (grad[n, c, k] - mean_g - (x[n, c, k] - m) * k2) * a
    else:
        for n in range(n_):
            for k in range(length):
                grad_input[n, c, k] = grad[n, c, k] * a


@njit(cache=True, fastmath=_REASSOC)
def batch_norm_backward(grad, x, mean, invstd, weight, training, grad_input, grad_weight, grad_bias):
    """Gradients of y = (x - mean) * invstd * weight + b per channel of (N, C, L) arrays:
    grad_bias = sum(g), grad_weight = sum(g * xhat), and grad_input =
    (g - [sum(g) + xhat sum(g xhat)] / M) * invstd * weight, the bracket only when the
    batch statistics were used (training). Sums in float64. O(NCL)."""
    for c in range(x.shape[1]):
        _batch_norm_backward_channel(grad, x, c, mean, invstd, weight, training, grad_input, grad_weight,
                                     grad_bias)


@njit(cache=True, fastmath=_REASSOC, parallel=True)
def batch_norm_backward_parallel(grad, x, mean, invstd, weight, training, grad_input, grad_weight, grad_bias):
    """batch_norm_backward with the channels split over threads."""
    for c in prange(x.shape[1]):
        _batch_norm_backward_channel(grad, x, c, mean, invstd, weight, training, grad_input, grad_weight,
                                     grad_bias)
