"""Numba kernels of layer normalisation over the rows of a C-contiguous (rows, n) array.

Row statistics accumulate in float64 (two passes: the mean, then the squared deviations),
so float32 rows keep full precision. Absent weight / bias are passed as empty arrays, which
keeps one compiled specialisation per dtype.
"""
import math

import numpy as np
from numba import njit


@njit(cache=True, fastmath={"reassoc", "contract"})
def layer_norm_rows(x, weight, bias, eps, out, mean, rstd):
    """out[r] = (x[r] - mean[r]) * rstd[r] * weight + bias, rstd = 1 / sqrt(biased var + eps);
    mean and rstd (float64, one per row) are written for the backward. O(rows * n)."""
    rows, n = x.shape
    has_w = weight.shape[0] == n
    has_b = bias.shape[0] == n
    for r in range(rows):
        s = 0.0
        for c in range(n):
            s += x[r, c]
        mu = s / n
        v = 0.0
        for c in range(n):
            d = x[r, c] - mu
            v += d * d
        inv = 1.0 / math.sqrt(v / n + eps)
        mean[r] = mu
        rstd[r] = inv
        for c in range(n):
            y = (x[r, c] - mu) * inv
            if has_w:
                y *= weight[c]
            if has_b:
                y += bias[c]
            out[r, c] = y


@njit(cache=True, fastmath={"reassoc", "contract"})
def layer_norm_backward_rows(grad, x, mean, rstd, weight, grad_x, grad_w, grad_b):
    """With xhat = (x - mean) * rstd and gw = grad * weight, per row:
    grad_x = rstd * (gw - mean(gw) - xhat * mean(gw * xhat)); and over all rows
    grad_w += sum(grad * xhat), grad_b += sum(grad) (float64 accumulators). O(rows * n)."""
    rows, n = x.shape
    has_w = weight.shape[0] == n
    for r in range(rows):
        mu = mean[r]
        inv = rstd[r]
        a = 0.0
        b = 0.0
        for c in range(n):
            g = np.float64(grad[r, c])
            xhat = (x[r, c] - mu) * inv
            gw = g * weight[c] if has_w else g
            a += gw
            b += gw * xhat
            grad_w[c] += g * xhat
            grad_b[c] += g
        a /= n
        b /= n
        for c in range(n):
            xhat = (x[r, c] - mu) * inv
            gw = grad[r, c] * weight[c] if has_w else np.float64(grad[r, c])
            grad_x[r, c] = inv * (gw - a - xhat * b)
