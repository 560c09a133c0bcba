"""Scalar math for the kernels, the same on the GPU and in numba's simulator.

On the GPU the kernels call ``math.*`` (numba lowers them to CUDA's libdevice). The
simulator runs kernels as Python, where ``math.exp(1000.0)`` raises OverflowError
and ``math.log(0.0)`` raises ValueError; there the same names are NumPy's scalar
functions, which return inf and nan as the GPU does. floor/ceil/trunc/round are
written out because ``math.floor`` returns an integer in numba (losing inf, nan and
the sign of zero).
"""
import math

import numpy as np
from numba import cuda

from . import _runtime

if _runtime.simulator():
    exp, log, sqrt, sin, cos, tan, tanh = np.exp, np.log, np.sqrt, np.sin, np.cos, np.tan, np.tanh
    log1p, expm1, log2, log10, exp2 = np.log1p, np.expm1, np.log2, np.log10, np.exp2
    asin, acos, atan, sinh, cosh, atan2 = np.arcsin, np.arccos, np.arctan, np.sinh, np.cosh, np.arctan2
    pow_, fabs = np.power, np.fabs
    erf = math.erf  # never raises: erf(+-inf) = +-1, erf(nan) = nan
else:
    exp, log, sqrt, sin, cos, tan, tanh = math.exp, math.log, math.sqrt, math.sin, math.cos, math.tan, math.tanh
    log1p, expm1, log2, log10 = math.log1p, math.expm1, math.log2, math.log10
    asin, acos, atan, sinh, cosh, atan2 = math.asin, math.acos, math.atan, math.sinh, math.cosh, math.atan2
    pow_, fabs, erf = math.pow, math.fabs, math.erf


    @cuda.jit(device=True)
    def exp2(x):
        return math.pow(2.0, x)

# Above 2**52 every float is an integer; int64 holds every smaller one exactly.
_INTEGRAL = 4503599627370496.0


@cuda.jit(device=True)
def floor(x):
    if not (abs(x) < _INTEGRAL):        # inf, nan, or already integral
        return x * 1.0
    r = float(int(x))
    if r > x:
        r -= 1.0
    return math.copysign(r, x) if r == 0.0 else r


@cuda.jit(device=True)
def ceil(x):
    if not (abs(x) < _INTEGRAL):
        return x * 1.0
    r = float(int(x))
    if r < x:
        r += 1.0
    return math.copysign(r, x) if r == 0.0 else r


@cuda.jit(device=True)
def trunc(x):
    if not (abs(x) < _INTEGRAL):
        return x * 1.0
    r = float(int(x))
    return math.copysign(r, x) if r == 0.0 else r


@cuda.jit(device=True)
def rint(x):
    """Round half to even, as torch.round."""
    if not (abs(x) < _INTEGRAL):
        return x * 1.0
    r = floor(x + 0.5)
    if r - x == 0.5 and r % 2.0 != 0.0:
        r -= 1.0
    return math.copysign(r, x) if r == 0.0 else r
