"""Numba kernels of grid_sample: the plan of taps (per batch item, tap and output point, a flat
input position, a weight and its derivatives; see minitorch/_backends/grid_taps_host.py, whose
NumPy arithmetic ``tap_plan`` repeats point by point) and its application over the channels.

The appliers are O(N C T P) for T taps and P output points; their loops run the points
innermost, so a channel's plane stays in cache while its taps are read (or, backward, written).
"""

import numpy as np
from numba import njit

_A = -0.75  # the cubic convolution's constant, as in PyTorch


# ----- the plan: grid_taps_host.py's arithmetic, one point at a time -------------------------

@njit(cache=True, inline="always")
def _clip(x, size, scalar):
    """x clipped to [0, size - 1] (NaN to 0, or scalar to size - 1) and its derivative (0 at
    and beyond the bounds)."""
    if x > 0 and x < size - 1:
        return x, 1.0
    if x <= 0:
        return 0.0, 0.0
    if x > 0 or scalar:
        return size - 1.0, 0.0
    return 0.0, 0.0


@njit(cache=True, inline="always")
def _reflect(x, twice_low, twice_high):
    if twice_low == twice_high:
        return 0.0, 0.0
    low, span = twice_low / 2.0, (twice_high - twice_low) / 2.0
    x = x - low
    sign = 1.0
    if x < 0:
        sign, x = -1.0, -x
    extra = np.fmod(x, span)
    if np.fmod(np.floor(x / span), 2.0) == 0:
        return extra + low, sign
    return span - extra + low, -sign


@njit(cache=True, inline="always")
def _pad(x, size, padding, align_corners, scalar):
    """compute_coordinates: the padding mode's map of a pixel coordinate and its derivative."""
    if padding == 1:
        return _clip(x, size, scalar)
    if padding == 2:
        if align_corners:
            x, d_reflect = _reflect(x, 0, 2 * (size - 1))
        else:
            x, d_reflect = _reflect(x, -1, 2 * size - 1)
        x, d_clip = _clip(x, size, scalar)
        return x, d_reflect * d_clip
    return x, 1.0


@njit(cache=True, inline="always")
def _axis_taps(coord, size, mode, padding, align_corners, scalar, pos, w, dw, i):
    """Axis i's taps of one grid value into row i of pos/w/dw (position, weight, d weight /
    d grid value); returns their count (bilinear 2, nearest 1, bicubic 4)."""
    if align_corners:
        x, d_un = (coord + 1.0) / 2.0 * (size - 1), (size - 1) / 2.0
    else:
        x, d_un = ((coord + 1.0) * size - 1.0) / 2.0, size / 2.0
    if mode == 2:
        base = np.floor(x)
        t = x - base
        for k in range(4):
            pos[i, k] = _pad(base - 1 + k, size, padding, align_corners, scalar)[0]
        u, v = t + 1.0, 1.0 - t
        r = 2.0 - t
        w[i, 0] = ((_A * u - 5 * _A) * u + 8 * _A) * u - 4 * _A
        w[i, 1] = ((_A + 2) * t - (_A + 3)) * t * t + 1
        w[i, 2] = ((_A + 2) * v - (_A + 3)) * v * v + 1
        w[i, 3] = ((_A * r - 5 * _A) * r + 8 * _A) * r - 4 * _A
        dw[i, 0] = ((3 * _A * u - 10 * _A) * u + 8 * _A) * d_un
        dw[i, 1] = ((3 * (_A + 2) * t - 2 * (_A + 3)) * t) * d_un
        dw[i, 2] = -((3 * (_A + 2) * v - 2 * (_A + 3)) * v) * d_un
        dw[i, 3] = -((3 * _A * r - 10 * _A) * r + 8 * _A) * d_un
        return 4
    x, d_pad = _pad(x, size, padding, align_corners, scalar)
    if mode == 1:
        pos[i, 0], w[i, 0], dw[i, 0] = np.rint(x), 1.0, 0.0
        return 1
    base = np.floor(x)
    frac = x - base
    scale = d_un * d_pad
    pos[i, 0], w[i, 0], dw[i, 0] = base, 1.0 - frac, -scale
    pos[i, 1], w[i, 1], dw[i, 1] = base + 1.0, frac, scale
    return 2


@njit(cache=True)
def _bilinear_plan_2d(grid, sizes, padding, align_corners, index, weight, deriv, with_deriv):
    """tap_plan for mode bilinear on a 2-D grid (the spatial transformer's case), its four taps
    computed in registers: the same arithmetic and bits, ~6x faster than the general loop."""
    h, wd = sizes[0], sizes[1]
    for n in range(grid.shape[0]):
        for p in range(grid.shape[1]):
            if align_corners:
                x, sx = (grid[n, p, 0] + 1.0) / 2.0 * (wd - 1), (wd - 1) / 2.0
                y, sy = (grid[n, p, 1] + 1.0) / 2.0 * (h - 1), (h - 1) / 2.0
            else:
                x, sx = ((grid[n, p, 0] + 1.0) * wd - 1.0) / 2.0, wd / 2.0
                y, sy = ((grid[n, p, 1] + 1.0) * h - 1.0) / 2.0, h / 2.0
            x, d_pad_x = _pad(x, wd, padding, align_corners, False)
            y, d_pad_y = _pad(y, h, padding, align_corners, False)
            sx *= d_pad_x
            sy *= d_pad_y
            x0, y0 = np.floor(x), np.floor(y)
            fx, fy = x - x0, y - y0
            for t in range(4):  # (y0, x0), (y0, x0 + 1), (y0 + 1, x0), (y0 + 1, x0 + 1)
                a, b = t >> 1, t & 1
                qy, qx = y0 + a, x0 + b
                wy = fy if a else 1.0 - fy
                wx = fx if b else 1.0 - fx
                wt = wy * wx
                if qy >= 0 and qy < h and qx >= 0 and qx < wd:
                    index[n, t, p] = int(qy) * wd + int(qx)
                    weight[n, t, p] = wt
                    if with_deriv:
                        deriv[0, n, t, p] = wy * (sx if b else -sx)
                        deriv[1, n, t, p] = (sy if a else -sy) * wx
                else:
                    index[n, t, p] = 0
                    weight[n, t, p] = 0.0 if np.isfinite(wt) else np.nan
                    if with_deriv:
                        deriv[0, n, t, p] = 0.0
                        deriv[1, n, t, p] = 0.0


@njit(cache=True)
def _nearest_plan_2d(grid, sizes, padding, align_corners, index, weight, deriv, with_deriv):
    """tap_plan for mode nearest on a 2-D grid: one tap a point, its derivative 0."""
    h, wd = sizes[0], sizes[1]
    for n in range(grid.shape[0]):
        for p in range(grid.shape[1]):
            if align_corners:
                x = (grid[n, p, 0] + 1.0) / 2.0 * (wd - 1)
                y = (grid[n, p, 1] + 1.0) / 2.0 * (h - 1)
            else:
                x = ((grid[n, p, 0] + 1.0) * wd - 1.0) / 2.0
                y = ((grid[n, p, 1] + 1.0) * h - 1.0) / 2.0
            qx = np.rint(_pad(x, wd, padding, align_corners, False)[0])
            qy = np.rint(_pad(y, h, padding, align_corners, False)[0])
            if qy >= 0 and qy < h and qx >= 0 and qx < wd:
                index[n, 0, p] = int(qy) * wd + int(qx)
                weight[n, 0, p] = 1.0
            else:
                index[n, 0, p] = 0
                weight[n, 0, p] = 0.0
            if with_deriv:
                deriv[0, n, 0, p] = 0.0
                deriv[1, n, 0, p] = 0.0


@njit(cache=True)
def tap_plan(grid, sizes, mode, padding, align_corners, index, weight, deriv, with_deriv):
    """The taps of every point of grid (N, P, d), d 2 or 3 (grid_taps_host.plan, point by
    point): index, weight (N, T, P) and deriv (d, N, T, P), the taps of the axes combined as an
    outer product with the outermost axis's varying slowest; taps outside the input get index 0,
    weight 0 (NaN if not finite) and derivative 0; deriv is left alone (it may be empty) unless with_deriv. Products in
    the host's order (the same bits). O(N P T d)."""
    d = grid.shape[2]
    if d == 2 and mode == 0:
        _bilinear_plan_2d(grid, sizes, padding, align_corners, index, weight, deriv, with_deriv)
        return
    if d == 2 and mode == 1:
        _nearest_plan_2d(grid, sizes, padding, align_corners, index, weight, deriv, with_deriv)
        return
    pos = np.zeros((d, 4))
    w = np.zeros((d, 4))
    dw = np.zeros((d, 4))
    for n in range(grid.shape[0]):
        for p in range(grid.shape[1]):
            k = 1
            for i in range(d):  # grid component d - 1 - i belongs to axis i
                k = _axis_taps(grid[n, p, d - 1 - i], sizes[i], mode, padding, align_corners, d == 3,
                               pos, w, dw, i)
            for t in range(index.shape[1]):  # tap t's digits in base k, the outermost axis first
                if d == 2:
                    a, b = t // k, t % k
                    qy, qx = pos[0, a], pos[1, b]
                    wt = w[0, a] * w[1, b]
                    if qy >= 0 and qy < sizes[0] and qx >= 0 and qx < sizes[1]:
                        index[n, t, p] = int(qy) * sizes[1] + int(qx)
                        weight[n, t, p] = wt
                        if with_deriv:
                            deriv[0, n, t, p] = w[0, a] * dw[1, b]
                            deriv[1, n, t, p] = dw[0, a] * w[1, b]
                        continue
                else:
                    a, b, c = t // (k * k), (t // k) % k, t % k
                    qz, qy, qx = pos[0, a], pos[1, b], pos[2, c]
                    wt = w[0, a] * w[1, b] * w[2, c]
                    if qz >= 0 and qz < sizes[0] and qy >= 0 and qy < sizes[1] and qx >= 0 and qx < sizes[2]:
                        index[n, t, p] = (int(qz) * sizes[1] + int(qy)) * sizes[2] + int(qx)
                        weight[n, t, p] = wt
                        if with_deriv:
                            deriv[0, n, t, p] = w[0, a] * w[1, b] * dw[2, c]
                            deriv[1, n, t, p] = w[0, a] * dw[1, b] * w[2, c]
                            deriv[2, n, t, p] = dw[0, a] * w[1, b] * w[2, c]
                        continue
                index[n, t, p] = 0  # a tap outside the input: weight 0 (NaN from a non-finite
                weight[n, t, p] = 0.0 if np.isfinite(wt) or d == 3 else np.nan  # grid value in 2-D)
                if with_deriv:
                    for i in range(d):
                        deriv[i, n, t, p] = 0.0


@njit(cache=True)
def tap_gather(x, index, weight, out):
    """out[n, c, p] = sum_t weight[n, t, p] * x[n, c, index[n, t, p]], taps added in order
    (out zero-filled on entry; x (N, C, L), index and weight (N, T, P), out (N, C, P))."""
    for n in range(index.shape[0]):
        for c in range(x.shape[1]):
            for t in range(index.shape[1]):
                for p in range(index.shape[2]):
                    out[n, c, p] += weight[n, t, p] * x[n, c, index[n, t, p]]


@njit(cache=True)
def tap_scatter(grad, index, weight, out):
    """out[n, c, index[n, t, p]] += weight[n, t, p] * grad[n, c, p] (out zero-filled)."""
    for n in range(index.shape[0]):
        for c in range(grad.shape[1]):
            for t in range(index.shape[1]):
                for p in range(index.shape[2]):
                    out[n, c, index[n, t, p]] += weight[n, t, p] * grad[n, c, p]


@njit(cache=True)
def tap_weight_grad(grad, x, index, out):
    """out[n, t, p] += sum_c grad[n, c, p] * x[n, c, index[n, t, p]] (out float64, zero-filled)."""
    for n in range(index.shape[0]):
        for c in range(x.shape[1]):
            for t in range(index.shape[1]):
                for p in range(index.shape[2]):
                    out[n, t, p] += grad[n, c, p] * x[n, c, index[n, t, p]]


# ----- embedding_bag (here for want of a better home: it reads rows at indices too) -----------

@njit(cache=True)
def bag_sum(weight, index, bag, scale, use_scale, out):
    """out[bag[j]] += scale[j] * weight[index[j]] for bag[j] >= 0, j in order (out zero-filled)."""
    for j in range(index.shape[0]):
        b = bag[j]
        if b < 0:
            continue
        if use_scale:
            for d in range(weight.shape[1]):
                out[b, d] += scale[j] * weight[index[j], d]
        else:
            for d in range(weight.shape[1]):
                out[b, d] += weight[index[j], d]


@njit(cache=True)
def bag_max(weight, index, bag, out, argmax):
    """Per bag and column the maximum of weight[index[j]] over the bag's j (first on ties) and the
    row it came from (argmax -1 and out 0 where the bag is empty; argmax filled with -1)."""
    for j in range(index.shape[0]):
        b = bag[j]
        if b < 0:
            continue
        for d in range(weight.shape[1]):
            v = weight[index[j], d]
            if argmax[b, d] < 0 or v > out[b, d]:
                out[b, d] = v
                argmax[b, d] = index[j]
