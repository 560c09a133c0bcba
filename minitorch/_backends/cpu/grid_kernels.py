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
