"""Numba kernels of grid_sample: a plan of taps (minitorch/_ops/_grid_taps.py: per batch item,
tap and output point, a flat input position and a weight) applied over the channels.

Each is O(N C T P) for T taps and P output points; the loops run the points innermost, so a
channel's plane stays in cache while its taps are read (or, backward, written).
"""
from numba import njit


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
