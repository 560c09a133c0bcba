"""grid_sample's sampling taps, computed on the host from the grid with NumPy (ATen's
GridSampler.h arithmetic, vectorised over the grid's points): the default of the backend's
``grid_sample_plan`` (the CPU table runs the same arithmetic in numba, cpu/grid_kernels.py).

Every mode reads, for each output point, a few input pixels ("taps") and sums them weighted:
bilinear 2**d taps, nearest one, bicubic 16. A plan holds, per batch item, tap and point:

- ``index``: the tap's flat position in the input's spatial dims (0 where the tap falls outside
  the input under padding_mode 'zeros': such a tap has weight 0 and derivative 0 too, except that
  a non-finite grid value's NaN weight stays NaN, so that the output is NaN as PyTorch's is);
- ``weight``: its weight;
- ``deriv``: d weight / d grid value, one array per grid component (x, y[, z]), through the
  unnormalisation and the clipping or reflection of the padding mode.

The backend's ``grid_sample_gather`` / ``_scatter`` / ``_weight_grad`` apply a plan over the
channels; the gradient w.r.t. the grid is sum over taps of (d loss / d weight) * deriv.
Coordinates are computed in float64 whatever the dtype (PyTorch computes in the input's dtype:
float32 results differ from its in the last bits).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

# modes: 0 bilinear, 1 nearest, 2 bicubic; paddings: 0 zeros, 1 border, 2 reflection
_A = -0.75  # the cubic convolution's constant, as in PyTorch


class Plan(NamedTuple):
    index: np.ndarray   # (N, T, P) int64
    weight: np.ndarray  # (N, T, P) float64
    deriv: np.ndarray   # (d, N, T, P) float64: component c is d weight / d grid[..., c]


def _unnormalize(coord: np.ndarray, size: int, align_corners: bool):
    """Grid value in [-1, 1] -> pixel coordinate, and its derivative."""
    if align_corners:
        return (coord + 1) / 2 * (size - 1), (size - 1) / 2
    return ((coord + 1) * size - 1) / 2, size / 2


def _clip(x: np.ndarray, size: int, scalar: bool):
    """x clipped to [0, size - 1]; NaN goes to 0 as in PyTorch's vectorised 2-D kernel, or, scalar
    (its 3-D kernel's std::min/std::max), to size - 1. The derivative is 0 at and beyond the bounds."""
    inside = (x > 0) & (x < size - 1)
    beyond = (x <= 0) if scalar else (x > 0)
    low, high = (0.0, size - 1.0) if scalar else (size - 1.0, 0.0)
    return np.where(inside, x, np.where(beyond, low, high)), inside.astype(np.float64)


def _reflect(x: np.ndarray, twice_low: int, twice_high: int):
    """x reflected off the bounds twice_low / 2 and twice_high / 2 until inside, and the sign."""
    if twice_low == twice_high:
        return np.zeros_like(x), np.zeros_like(x)
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    x = x - low
    sign = np.where(x < 0, -1.0, 1.0)
    x = np.abs(x)
    extra = np.fmod(x, span)
    even = np.floor(x / span) % 2 == 0
    return np.where(even, extra + low, span - extra + low), np.where(even, sign, -sign)


def _pad(x: np.ndarray, size: int, padding: int, align_corners: bool, scalar: bool):
    """compute_coordinates: the padding mode's map of a pixel coordinate, and its derivative."""
    if padding == 1:
        return _clip(x, size, scalar)
    if padding == 2:
        low, high = (0, 2 * (size - 1)) if align_corners else (-1, 2 * size - 1)
        x, d_reflect = _reflect(x, low, high)
        x, d_clip = _clip(x, size, scalar)
        return x, d_reflect * d_clip
    return x, np.ones_like(x)


def _cubic(t: np.ndarray):
    """The four cubic-convolution weights of taps -1, 0, 1, 2 at fraction t, and d/dt of each."""
    def near(x):
        return ((_A + 2) * x - (_A + 3)) * x * x + 1

    def near_d(x):
        return (3 * (_A + 2) * x - 2 * (_A + 3)) * x

    def far(x):
        return ((_A * x - 5 * _A) * x + 8 * _A) * x - 4 * _A

    def far_d(x):
        return (3 * _A * x - 10 * _A) * x + 8 * _A

    weights = (far(t + 1), near(t), near(1 - t), far(2 - t))
    derivs = (far_d(t + 1), near_d(t), -near_d(1 - t), -far_d(2 - t))
    return weights, derivs


def _axis_taps(coord: np.ndarray, size: int, mode: int, padding: int, align_corners: bool, scalar: bool):
    """One spatial axis: a list of (integer position, weight, d weight / d grid value) per tap,
    positions possibly outside [0, size) (the caller masks them)."""
    x, d_un = _unnormalize(coord, size, align_corners)
    if mode == 2:  # bicubic: taps around the unpadded point, each tap's position padded
        base = np.floor(x)
        weights, derivs = _cubic(x - base)
        taps = []
        for k in range(4):
            pos, _ = _pad(base - 1 + k, size, padding, align_corners, scalar)
            taps.append((pos, weights[k], derivs[k] * d_un))
        return taps
    x, d_pad = _pad(x, size, padding, align_corners, scalar)
    scale = d_un * d_pad
    if mode == 1:  # nearest: rounded half to even, as nearbyint
        return [(np.rint(x), np.ones_like(x), np.zeros_like(x))]
    base = np.floor(x)
    frac = x - base
    return [(base, 1 - frac, -scale), (base + 1, frac, scale)]


def plan(grid: np.ndarray, sizes: tuple, mode: int, padding: int, align_corners: bool) -> Plan:
    """The taps of grid (N, P, d) over an input of spatial sizes (d of them, outermost
    first); grid[..., 0] indexes the last (x) axis, as PyTorch's grids do. The taps of the
    axes combine as an outer product, the outermost axis's taps varying slowest."""
    with np.errstate(invalid="ignore", over="ignore"):  # non-finite grids (inf reflects to NaN)
        return _plan(grid, sizes, mode, padding, align_corners)


def _plan(grid: np.ndarray, sizes: tuple, mode: int, padding: int, align_corners: bool) -> Plan:
    d = grid.shape[-1]
    g = grid.astype(np.float64)
    per_axis = []  # per axis (outermost first): positions, weights, derivatives, each (K, N, P)
    for i in range(d):  # grid component d - 1 - i belongs to axis i
        taps = _axis_taps(g[:, :, d - 1 - i], sizes[i], mode, padding, align_corners, d == 3)
        shape = (1,) * i + (len(taps),) + (1,) * (d - 1 - i) + g.shape[:2]
        per_axis.append(tuple(np.stack([t[k] for t in taps]).reshape(shape) for k in range(3)))
    inside, index, weight = True, 0, 1.0
    for i, (pos, w, _) in enumerate(per_axis):
        ok = (pos >= 0) & (pos < sizes[i])
        inside = inside & ok
        index = index * sizes[i] + np.where(ok, pos, 0).astype(np.int64)
        weight = weight * w
    deriv = []
    for i in range(d):
        dw = 1.0
        for j, (_, w, dwj) in enumerate(per_axis):
            dw = dw * (dwj if j == i else w)
        deriv.append(dw)

    def taps_first(a, outside=0):  # (K_0, ..., K_d-1, N, P) -> (N, T, P), outside taps set to `outside`
        a = np.where(inside, a, outside)
        count = int(np.prod(a.shape[:d]))
        return np.ascontiguousarray(a.reshape((count,) + g.shape[:2]).transpose(1, 0, 2))

    # a tap outside weighs 0, but in 2-D NaN where its weight is not finite (a non-finite grid
    # value): PyTorch's vectorised kernel multiplies that weight by the zero it reads there
    outside_weight = np.where(np.isfinite(weight) | (d == 3), 0.0, np.nan)
    # grid component c is axis d - 1 - c's derivative
    return Plan(taps_first(index), taps_first(weight, outside_weight),
                np.stack([taps_first(deriv[d - 1 - c]) for c in range(d)]))
