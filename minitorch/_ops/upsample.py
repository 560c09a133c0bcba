"""F.interpolate (and the deprecated F.upsample, upsample_nearest, upsample_bilinear): PyTorch's
argument handling, and its index and weight arithmetic per axis.

Modes nearest, nearest-exact, linear/bilinear/trilinear and bicubic are separable: each axis
maps output position j to a few input positions with weights, computed here on the host in
the input's precision exactly as ATen's CPU kernels compute them (nearest in float32 always),
then applied by the gathers of _resample.py (nodes Upsample{Nearest,Linear,...}{1,2,3}DBackward0).
Mode area is adaptive average pooling, as in PyTorch.
"""
from __future__ import annotations

import numbers
import warnings

import numpy as np

from .. import dtypes
from .._declare import functional
from ..tensor import Tensor
from . import _resample
from .adaptive_pool import adaptive_avg_pool1d, adaptive_avg_pool2d
from .conv import _dims

_NODES = {}


def _node(name: str) -> type:
    if name not in _NODES:
        _NODES[name] = _resample.named(name)
    return _NODES[name]


# ----- per-axis source indices and weights (ATen's UpSample.h arithmetic) -------------------

def _scales_value(scale, in_size: int, out_size: int, dt):
    """compute_scales_value: 1/scale_factor when one was given, else in/out, in dt."""
    if scale is not None and scale > 0:
        return dt(1.0 / scale)
    return dt(in_size) / dt(out_size)


def _area_scale(in_size: int, out_size: int, align_corners: bool, scale, dt):
    """area_pixel_compute_scale: the step between output positions in input coordinates."""
    if align_corners:
        return dt(in_size - 1) / dt(out_size - 1) if out_size > 1 else dt(0)
    return _scales_value(scale, in_size, out_size, dt)


def _source(in_size: int, out_size: int, align_corners: bool, scale, dt, cubic: bool):
    """area_pixel_compute_source_index for every output position, in dt."""
    s = _area_scale(in_size, out_size, align_corners, scale, dt)
    j = np.arange(out_size).astype(dt)
    if align_corners:
        return s * j
    real = s * (j + dt(0.5)) - dt(0.5)
    return real if cubic else np.where(real < 0, dt(0), real)


def _nearest_taps(in_size: int, out_size: int, scale, exact: bool) -> tuple:
    j = np.arange(out_size, dtype=np.int64)
    if not exact and out_size == in_size:
        src = j
    elif not exact and out_size == 2 * in_size:
        src = j >> 1
    else:
        s = _scales_value(scale, in_size, out_size, np.float32)  # nearest computes in float32 always
        if exact:  # (dst + 0.5) * scale in double, rounded to float, then floored
            src = np.floor(((j + 0.5) * np.float64(s)).astype(np.float32))
        else:
            src = np.floor(j.astype(np.float32) * s)
        src = np.minimum(src.astype(np.int64), in_size - 1)
    return ((src, None),)


def _linear_taps(in_size: int, out_size: int, align_corners: bool, scale, dt) -> tuple:
    if out_size == in_size:  # a copy: both taps on the same position, weights 1 and 0
        j = np.arange(out_size, dtype=np.int64)
        return ((j, np.ones(out_size, dt)), (j, np.zeros(out_size, dt)))
    real = _source(in_size, out_size, align_corners, scale, dt, cubic=False)
    i0 = np.minimum(np.floor(real).astype(np.int64), in_size - 1)
    i1 = i0 + (i0 < in_size - 1)
    lambda1 = np.clip(real - i0.astype(dt), dt(0), dt(1)).astype(dt)
    lambda0 = (dt(1) - lambda1).astype(dt)
    return ((i0, lambda0), (i1, lambda1))


def _cubic_taps(in_size: int, out_size: int, align_corners: bool, scale, dt) -> tuple:
    real = _source(in_size, out_size, align_corners, scale, dt, cubic=True)
    index = np.minimum(np.floor(real).astype(np.int64), in_size - 1)
    t = np.clip(real - index.astype(dt), dt(0), dt(1)).astype(dt)
    a = dt(-0.75)

    def near(x):  # the cubic convolution kernel on [0, 1]
        return ((a + dt(2)) * x - (a + dt(3))) * x * x + dt(1)

    def far(x):  # ... and on [1, 2]
        return ((a * x - dt(5) * a) * x + dt(8) * a) * x - dt(4) * a

    coeffs = (far(t + dt(1)), near(t), near(dt(1) - t), far((dt(1) - t) + dt(1)))
    return tuple((np.clip(index - 1 + k, 0, in_size - 1), c.astype(dt)) for k, c in enumerate(coeffs))


# ----- the kernels' checks and plans --------------------------------------------------------

_AXES = ("D", "H", "W")


def _check_sizes(in_sizes, out_sizes) -> None:
    if all(s > 0 for s in in_sizes) and all(s > 0 for s in out_sizes):
        return
    names = _AXES[-len(in_sizes):]
    got_in = ", ".join(f"{n}: {s}" for n, s in zip(names, in_sizes))
    got_out = ", ".join(f"{n}: {s}" for n, s in zip(names, out_sizes))
    joint = " and" if len(in_sizes) == 1 else ""  # (PyTorch's 1-D wording)
    raise RuntimeError(f"Input and output sizes should be greater than 0, but got input ({got_in}){joint} "
                       f"output ({got_out})")


def _upsample(input: Tensor, kind: str, output_size, scale_factors, align_corners: bool | None) -> Tensor:
    """ATen's upsample_<kind><n>d: output size from scale_factors when no size is given, then
    the plan of each spatial axis (the scale_factors, when given, set the kernels' scales)."""
    n = input.dim() - 2
    in_sizes = tuple(input.shape[2:])
    if output_size is None:
        out_sizes = tuple(int(s * f) for s, f in zip(in_sizes, scale_factors))
        scales = tuple(scale_factors)
    else:
        out_sizes, scales = tuple(int(s) for s in output_size), (None,) * n
    _check_sizes(in_sizes, out_sizes)
    if any(s == 0 for s in input.shape[1:]):
        raise RuntimeError(f"Non-empty {n + 2}D data tensor expected but got a tensor with sizes "
                           f"{_dims(input.shape)}")
    nearest = kind in ("nearest", "nearest-exact")
    if not input.dtype.is_floating_point and not (nearest and input.dtype is dtypes.uint8):
        if input.dtype is dtypes.uint8 and n == 2:  # PyTorch rounds through int16 weights here
            mode = "bicubic" if kind == "cubic" else "bilinear"
            raise NotImplementedError(f"interpolate(): uint8 input in mode '{mode}' is not implemented in "
                                      "minitorch; convert it to float first")
        name = "nearest" if nearest else kind
        raise NotImplementedError(f"\"compute_indices_weights_{name}\" not implemented for "
                                  f"'{input.dtype.legacy_name}'")
    dt = input.dtype.np.type if input.dtype.is_floating_point else np.float32
    plan = []
    for i in range(n):
        args = (in_sizes[i], out_sizes[i])
        if kind in ("nearest", "nearest-exact"):
            taps = _nearest_taps(*args, scales[i], kind == "nearest-exact")
        elif kind == "linear":
            taps = _linear_taps(*args, align_corners, scales[i], dt)
        else:
            taps = _cubic_taps(*args, align_corners, scales[i], dt)
        plan.append(_resample.Axis(i + 2, in_sizes[i], taps))
    name = {"nearest": "UpsampleNearest", "nearest-exact": "UpsampleNearestExact", "cubic": "UpsampleBicubic",
            "linear": ("UpsampleLinear", "UpsampleBilinear", "UpsampleTrilinear")[n - 1]}[kind]
    return _node(f"{name}{n}D").apply(input, tuple(plan))


# ----- F.interpolate ------------------------------------------------------------------------

def _is_integer(x) -> bool:
    return (isinstance(x, (numbers.Integral, np.integer)) and not isinstance(x, bool)) or (
        isinstance(x, Tensor) and not x.dtype.is_floating_point)


@functional
def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners=None,
                recompute_scale_factor=None, antialias: bool = False) -> Tensor:
    """Resample the spatial dims of input (N, C, *spatial) to size, or by scale_factor. mode:
    'nearest', 'nearest-exact', 'linear' (3-D input), 'bilinear' / 'bicubic' (4-D),
    'trilinear' (5-D), 'area'; align_corners for the interpolating modes."""
    if not isinstance(input, Tensor):
        raise TypeError(f"interpolate(): argument 'input' must be Tensor, not {type(input).__name__}")
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dim = input.dim() - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        scale_factors = None
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError("Input and output must have the same number of spatial dimensions, but got "
                                 f"input with spatial dimensions of {list(input.shape[2:])} and output size of "
                                 f"{size}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                                 "output size in (o1, o2, ...,oK) format.")
            if not all(_is_integer(x) for x in size):
                raise TypeError("expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                                f"Tuple[int, int, int], but got size with types {[type(x) for x in size]}")
            output_size = [int(x) for x in size]
        else:
            output_size = [int(size)] * dim
    elif scale_factor is not None:
        output_size = None
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError("Input and scale_factor must have the same number of spatial dimensions, but "
                                 f"got input with spatial dimensions of {list(input.shape[2:])} and "
                                 f"scale_factor of shape {scale_factor}. Please provide input tensor in (N, C, "
                                 "d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format.")
            scale_factors = [float(f) for f in scale_factor]
        else:
            scale_factors = [float(scale_factor)] * dim
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and output_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor:
        # the output size from the scale factors; the kernels then use in/out as the scales
        output_size = [int(input.shape[i + 2] * scale_factors[i]) for i in range(dim)]
        scale_factors = None
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.dim() == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires "
                         "a 4-D tensor as input")
    if antialias:
        raise NotImplementedError(f"interpolate(): antialias=True (mode '{mode}') is not implemented in minitorch")
    if mode in ("nearest", "nearest-exact") and input.dim() in (3, 4, 5):
        return _upsample(input, mode, output_size, scale_factors, None)
    if mode == "area" and input.dim() in (3, 4):
        pool = adaptive_avg_pool1d if input.dim() == 3 else adaptive_avg_pool2d
        return pool(input, output_size)
    if (mode, input.dim()) in (("linear", 3), ("bilinear", 4), ("trilinear", 5)):
        return _upsample(input, "linear", output_size, scale_factors, align_corners)
    if mode == "bicubic" and input.dim() == 4:
        return _upsample(input, "cubic", output_size, scale_factors, align_corners)
    if mode == "area" and input.dim() == 5:
        raise NotImplementedError("interpolate(): mode 'area' on 5-D input (adaptive_avg_pool3d) is not "
                                  "implemented in minitorch")
    if mode == "lanczos" and input.dim() == 4:
        if align_corners:
            raise ValueError("Lanczos mode does not support align_corners=True")
        raise ValueError("Lanczos mode requires antialias=True")
    expected = {"linear": 3, "bilinear": 4, "trilinear": 5}
    if mode in expected and input.dim() in (3, 4, 5):
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs {expected[mode]}D input")
    raise NotImplementedError("Input Error: Only 3D, 4D and 5D input Tensors supported"
                              f" (got {input.dim()}D) for the modes: nearest | linear | bilinear | bicubic | "
                              f"trilinear | lanczos | area | nearest-exact (got {mode})")


@functional
def upsample(input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners=None) -> Tensor:
    """Deprecated alias of interpolate (warns, as PyTorch does)."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


@functional
def upsample_nearest(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated: interpolate(..., mode='nearest') (warns, as PyTorch does)."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


@functional
def upsample_bilinear(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated: interpolate(..., mode='bilinear', align_corners=True) (warns, as PyTorch does)."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
