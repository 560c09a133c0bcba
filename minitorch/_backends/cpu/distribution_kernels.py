"""Numba kernels of PyTorch's CPU samplers for torch.distributions, bit for bit.

Each reproduces one ATen routine of aten/src/ATen/native/Distributions.{h,cpp}: the same
draws from the generator (random_kernels.py's engine: ``mt``, ``pos`` and the cached double
normal ``cache``), in the same order, with the same roundings:

- ``standard_gamma``: _s_gamma_cpu's sample_gamma (Marsaglia-Tsang, alpha < 1 boosted by a
  uniform), a float64 uniform and at::normal_distribution<double> (which serves and fills
  the generator's cached normal) per draw, then max(smallest normal of the dtype, sample).
- ``dirichlet``: _s_dirichlet_cpu: float64 gammas per element, normalised by their row sum.
- ``poisson``: _s_poisson_cpu's sample_poisson (Hoermann's transformed rejection for
  rate >= 10, multiplied uniforms below).
- ``cauchy``: tan(pi * (u - 0.5)) on float64 uniforms (cauchy_kernel).

The float32 paths keep ATen's float32 arithmetic where the C++ does it in float (the boosted
alpha, 1/alpha, d = alpha - 1/3) and its float literals (0.0331f, 1.0f/3.0f) where they are
promoted to double.
"""
import math

import numpy as np
from numba import njit

from .random_kernels import _u01_f64, raw32

_f = np.float32
_THIRD_F32 = _f(1.0) / _f(3.0)            # the C++ literal 1.0f / 3.0f
_THIRD_AS_F64 = np.float64(_THIRD_F32)
_SQUEEZE = np.float64(_f(0.0331))          # 0.0331f promoted to double
_F32_ONE = _f(1.0)
_F32_TINY = np.finfo(np.float32).tiny
_F64_TINY = np.finfo(np.float64).tiny


@njit(cache=True)
def _uniform(mt, pos, buf):
    """One at::uniform_real_distribution<double>(0, 1) draw (two engine words)."""
    raw32(mt, pos, buf[:2])
    return _u01_f64(buf[0], buf[1])


@njit(cache=True)
def _normal(mt, pos, cache, buf):
    """One at::normal_distribution<double>(0, 1) draw: the cached sample first, else
    Box-Muller on two uniforms, caching r * sin(theta)."""
    if cache[0] != 0.0:
        cache[0] = 0.0
        return cache[1]
    raw32(mt, pos, buf)
    u1 = _u01_f64(buf[0], buf[1])
    u2 = _u01_f64(buf[2], buf[3])
    r = math.sqrt(-2.0 * math.log1p(-u2))
    theta = 2.0 * math.pi * u1
    cache[0] = 1.0
    cache[1] = r * math.sin(theta)
    return r * math.cos(theta)


@njit(cache=True)
def _gamma_one(mt, pos, cache, buf, alpha, f32):
    """sample_gamma<scalar_t, double>(alpha): alpha is the scalar_t value (as float64);
    f32 says scalar_t is float. Returns the double sample before the cast. Expected O(1)."""
    scale = 1.0
    if alpha < 1.0:
        if alpha == 0.0:
            return 0.0
        u = _uniform(mt, pos, buf)
        if f32:
            inv = np.float64(_F32_ONE / _f(alpha))
            alpha = np.float64(_f(alpha) + _F32_ONE)
        else:
            inv = 1.0 / alpha
            alpha = alpha + 1.0
        scale *= math.pow(1.0 - u, inv)
    if f32:
        d = np.float64(_f(alpha) - _THIRD_F32)
    else:
        d = alpha - _THIRD_AS_F64
    if not d > 0:
        return math.nan  # NaN or negative alpha: no draw is ever accepted (torch returns min)
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        x = _normal(mt, pos, cache, buf)
        y = 1.0 + c * x
        while y <= 0:
            x = _normal(mt, pos, cache, buf)
            y = 1.0 + c * x
        v = y * y * y
        u = 1.0 - _uniform(mt, pos, buf)
        xx = x * x
        if u < 1.0 - _SQUEEZE * xx * xx:
            return scale * d * v
        if math.log(u) < 0.5 * xx + d * (1.0 - v + math.log(v)):
            return scale * d * v


@njit(cache=True)
def standard_gamma_f32(mt, pos, cache, alpha, out):
    """out[i] ~ Gamma(alpha[i], 1) as _s_gamma_cpu for float32 (alpha, out flat float32)."""
    buf = np.empty(4, np.uint32)
    for i in range(alpha.size):
        s = _f(_gamma_one(mt, pos, cache, buf, np.float64(alpha[i]), True))
        out[i] = s if _F32_TINY < s else _F32_TINY  # std::max(min, s): NaN gives min


@njit(cache=True)
def standard_gamma_f64(mt, pos, cache, alpha, out):
    """out[i] ~ Gamma(alpha[i], 1) as _s_gamma_cpu for float64 (alpha, out flat float64)."""
    buf = np.empty(4, np.uint32)
    for i in range(alpha.size):
        s = _gamma_one(mt, pos, cache, buf, alpha[i], False)
        out[i] = s if _F64_TINY < s else _F64_TINY


@njit(cache=True)
def dirichlet_gammas(mt, pos, cache, alpha, out):
    """_s_dirichlet_cpu's first pass: float64 Gamma(alpha[i], 1) draws (alpha flat, any float
    dtype; out flat float64), each at least the smallest normal double."""
    buf = np.empty(4, np.uint32)
    for i in range(alpha.size):
        s = _gamma_one(mt, pos, cache, buf, np.float64(alpha[i]), False)
        out[i] = s if _F64_TINY < s else _F64_TINY


@njit(cache=True)
def poisson(mt, pos, rates, out):
    """sample_poisson per element (rates flat float64, out flat float64). Expected O(1 + rate)
    per draw below rate 10, O(1) above."""
    buf = np.empty(2, np.uint32)
    for i in range(rates.size):
        lam = rates[i]
        if lam >= 10:
            slam = math.sqrt(lam)
            loglam = math.log(lam)
            b = 0.931 + 2.53 * slam
            a = -0.059 + 0.02483 * b
            invalpha = 1.1239 + 1.1328 / (b - 3.4)
            vr = 0.9277 - 3.6224 / (b - 2)
            while True:
                u = _uniform(mt, pos, buf) - 0.5
                v = _uniform(mt, pos, buf)
                us = 0.5 - abs(u)
                k = math.floor((2 * a / us + b) * u + lam + 0.43)
                if us >= 0.07 and v <= vr:
                    break
                if k < 0 or (us < 0.013 and v > us):
                    continue
                if (math.log(v) + math.log(invalpha) - math.log(a / (us * us) + b)
                        <= -lam + k * loglam - math.lgamma(k + 1.0)):
                    break
            out[i] = k
        elif lam == 0:
            out[i] = 0.0
        else:
            enlam = math.exp(-lam)
            x = 0
            prod = 1.0
            while True:
                prod *= _uniform(mt, pos, buf)
                if prod > enlam:
                    x += 1
                else:
                    break
            out[i] = x


@njit(cache=True)
def cauchy(u, out):
    """out = tan(pi * (u - 0.5)): cauchy_kernel's transformation on float64 uniforms. O(n)."""
    for i in range(u.size):
        out[i] = math.tan(math.pi * (u[i] - 0.5))


# ---------- the reparameterised gradient of Gamma draws (_standard_gamma_grad) ----------

_PSI_10 = 2.25175258906672110764
_DIGAMMA_A = np.array([8.33333333333333333333E-2, -2.10927960927960927961E-2, 7.57575757575757575758E-3,
                       -4.16666666666666666667E-3, 3.96825396825396825397E-3, -8.33333333333333333333E-3,
                       8.33333333333333333333E-2])
_COEF_UV = np.array([
    [0.16009398, -0.094634809, 0.025146376, -0.0030648343, 1, 0.32668115, 0.10406089, 0.0014179084],
    [0.53487893, 0.1298071, 0.065735949, -0.0015649758, 0.16639465, 0.020070113, -0.0035938915,
     -0.00058392623],
    [0.040121004, -0.0065914022, -0.0026286047, -0.0013441777, 0.017050642, -0.0021309326, 0.00085092367,
     -1.5247877e-07]])
_F0_8 = np.float64(_f(0.8))
_F0_9 = np.float64(_f(0.9))
_F1_1 = np.float64(_f(1.1))


@njit(cache=True)
def _digamma(x):
    """digamma_one<double, double> of Distributions.h (Cephes): recurrence up to 10, then
    the asymptotic series."""
    if x == 0:
        return math.inf
    additional = 0.0
    if x < 0:
        if x == math.floor(x):
            return math.inf
        additional = -math.pi / math.tan(math.pi * x)
        x = 1 - x
    result = 0.0
    while x < 10:
        result -= 1 / x
        x += 1
    if x == 10:
        return result + _PSI_10 + additional
    y = 0.0
    if x < 1.0e17:
        z = 1.0 / (x * x)
        p = 0.0
        for k in range(7):
            p = p * z + _DIGAMMA_A[k]
        y = z * p
    return result + math.log(x) - (0.5 / x) - y + additional


@njit(cache=True)
def _gamma_grad_one(alpha, x):
    """standard_gamma_grad_one<scalar_t, double>: -(d/dalpha cdf(x; alpha)) / pdf(x; alpha),
    by a Taylor series for x < 0.8, Rice's saddle point expansion for alpha > 8, else a
    bivariate rational approximation."""
    if x < _F0_8:
        numer = 1.0
        denom = alpha
        series1 = numer / denom
        series2 = numer / (denom * denom)
        for i in range(1, 6):
            numer *= -x / i
            denom += 1
            series1 += numer / denom
            series2 += numer / (denom * denom)
        pow_x_alpha = math.pow(x, alpha)
        gamma_pdf = math.pow(x, alpha - 1) * math.exp(-x)
        gamma_cdf = pow_x_alpha * series1
        gamma_cdf_alpha = (math.log(x) - _digamma(alpha)) * gamma_cdf - pow_x_alpha * series2
        result = -gamma_cdf_alpha / gamma_pdf
        return 0.0 if result != result else result
    if alpha > 8.0:
        if _F0_9 * alpha <= x and x <= _F1_1 * alpha:
            numer_1 = 1 + 24 * alpha * (1 + 12 * alpha)
            numer_2 = 1440 * (alpha * alpha) + 6 * x * (53 - 120 * x) - 65 * x * x / alpha + alpha * (107 + 3600 * x)
            denom = 1244160 * (alpha * alpha) * (alpha * alpha)
            return numer_1 * numer_2 / denom
        denom = math.sqrt(8 * alpha)
        term2 = denom / (alpha - x)
        term3 = math.pow(x - alpha - alpha * math.log(x / alpha), -1.5)
        term23 = term2 - term3 if x < alpha else term2 + term3
        term1 = math.log(x / alpha) * term23 - math.sqrt(2 / alpha) * (alpha + x) / ((alpha - x) * (alpha - x))
        stirling = 1 + 1 / (12 * alpha) * (1 + 1 / (24 * alpha))
        numer = x * term1
        return -stirling * numer / denom
    u = math.log(x / alpha)
    v = math.log(alpha)
    coef_v = np.empty(8)
    for i in range(8):
        coef_v[i] = _COEF_UV[0, i] + u * (_COEF_UV[1, i] + u * _COEF_UV[2, i])
    p = coef_v[0] + v * (coef_v[1] + v * (coef_v[2] + v * coef_v[3]))
    q = coef_v[4] + v * (coef_v[5] + v * (coef_v[6] + v * coef_v[7]))
    return math.exp(p / q)


@njit(cache=True)
def standard_gamma_grad(alpha, x, out):
    """out[i] = d x[i] / d alpha[i] for x[i] ~ Gamma(alpha[i], 1) (flat arrays of one float
    dtype; computed in float64, as _standard_gamma_grad_cpu). O(n)."""
    for i in range(alpha.size):
        out[i] = _gamma_grad_one(np.float64(alpha[i]), np.float64(x[i]))
