"""Numba kernels of PyTorch's CPU samplers for torch.distributions, bit for bit.

Each reproduces one ATen routine of aten/src/ATen/native/Distributions.{h,cpp}: the same
draws from the generator (random_kernels.py's engine: ``mt``, ``pos`` and the cached double
normal ``cache``), in the same order, with the same roundings:

- ``standard_gamma_f32/f64``: _s_gamma_cpu's sample_gamma (Marsaglia-Tsang, alpha < 1 boosted by a
  uniform), a float64 uniform and at::normal_distribution<double> (which serves and fills
  the generator's cached normal) per draw, then max(smallest normal of the dtype, sample).
- ``dirichlet_gammas``: _s_dirichlet_cpu's float64 gammas (random_ops.py divides them by
  their row sum, in torch's summation order).
- ``poisson``: _s_poisson_cpu's sample_poisson (Hoermann's transformed rejection for
  rate >= 10, multiplied uniforms below).
- ``binomial``: _s_binomial_cpu's sample_binomial (BTRS from count * p >= 10, inversion below).
- ``cauchy``, ``geometric``: cauchy_kernel's and geometric_kernel's transformations of
  float64 uniforms.

The reparameterised gradients of Gamma and Dirichlet draws are in distribution_grad_kernels.py.

The float32 paths keep ATen's float32 arithmetic where the C++ does it in float (the boosted
alpha, 1/alpha, d = alpha - 1/3) and its float literals (0.0331f, 1.0f/3.0f) where they are
promoted to double. ``error_model="numpy"``: a division by zero gives inf/NaN, as in C.
"""
import math

import numpy as np
from numba import njit

from .random_kernels import N, _twist, _u01_f64

_f = np.float32
_THIRD_F32 = _f(1.0) / _f(3.0)            # the C++ literal 1.0f / 3.0f
_THIRD_AS_F64 = np.float64(_THIRD_F32)
_SQUEEZE = np.float64(_f(0.0331))          # 0.0331f promoted to double
_F32_ONE = _f(1.0)
_F32_TINY = np.finfo(np.float32).tiny
_F64_TINY = np.finfo(np.float64).tiny


@njit(cache=True, inline="always")
def _next32(mt, pos):
    """One tempered engine output, advancing torch's [left, next] counters (raw32 for one)."""
    if pos[0] == 1:
        _twist(mt)
        pos[0] = N + 1
        pos[1] = 0
    y = np.int64(mt[pos[1]])
    y ^= y >> 11
    y ^= (y << 7) & 0x9D2C5680
    y ^= (y << 15) & 0xEFC60000
    y ^= y >> 18
    pos[1] += 1
    pos[0] -= 1
    return y


@njit(cache=True, error_model="numpy")
def _uniform(mt, pos):
    """One at::uniform_real_distribution<double>(0, 1) draw (two engine words)."""
    hi = _next32(mt, pos)
    return _u01_f64(hi, _next32(mt, pos))


@njit(cache=True, error_model="numpy")
def _normal(mt, pos, cache):
    """One at::normal_distribution<double>(0, 1) draw: the cached sample first, else
    Box-Muller on two uniforms, caching r * sin(theta)."""
    if cache[0] != 0.0:
        cache[0] = 0.0
        return cache[1]
    u1 = _uniform(mt, pos)
    u2 = _uniform(mt, pos)
    r = math.sqrt(-2.0 * math.log1p(-u2))
    theta = 2.0 * math.pi * u1
    cache[0] = 1.0
    cache[1] = r * math.sin(theta)
    return r * math.cos(theta)


@njit(cache=True, error_model="numpy")
def _gamma_one(mt, pos, cache, alpha, f32):
    """sample_gamma<scalar_t, double>(alpha): alpha is the scalar_t value (as float64);
    f32 says scalar_t is float. Returns the double sample before the cast. Expected O(1)."""
    scale = 1.0
    if alpha < 1.0:
        if alpha == 0.0:
            return 0.0
        u = _uniform(mt, pos)
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
        x = _normal(mt, pos, cache)
        y = 1.0 + c * x
        while y <= 0:
            x = _normal(mt, pos, cache)
            y = 1.0 + c * x
        v = y * y * y
        u = 1.0 - _uniform(mt, pos)
        xx = x * x
        if u < 1.0 - _SQUEEZE * xx * xx:
            return scale * d * v
        if math.log(u) < 0.5 * xx + d * (1.0 - v + math.log(v)):
            return scale * d * v


@njit(cache=True, error_model="numpy")
def standard_gamma_f32(mt, pos, cache, alpha, out):
    """out[i] ~ Gamma(alpha[i], 1) as _s_gamma_cpu for float32 (alpha, out flat float32)."""
    for i in range(alpha.size):
        s = _f(_gamma_one(mt, pos, cache, np.float64(alpha[i]), True))
        out[i] = s if _F32_TINY < s else _F32_TINY  # std::max(min, s): NaN gives min


@njit(cache=True, error_model="numpy")
def standard_gamma_f64(mt, pos, cache, alpha, out):
    """out[i] ~ Gamma(alpha[i], 1) as _s_gamma_cpu for float64 (alpha, out flat float64)."""
    for i in range(alpha.size):
        s = _gamma_one(mt, pos, cache, alpha[i], False)
        out[i] = s if _F64_TINY < s else _F64_TINY


@njit(cache=True, error_model="numpy")
def dirichlet_gammas(mt, pos, cache, alpha, out):
    """_s_dirichlet_cpu's first pass: float64 Gamma(alpha[i], 1) draws (alpha flat, any float
    dtype; out flat float64), each at least the smallest normal double."""
    for i in range(alpha.size):
        s = _gamma_one(mt, pos, cache, np.float64(alpha[i]), False)
        out[i] = s if _F64_TINY < s else _F64_TINY


@njit(cache=True, error_model="numpy")
def poisson(mt, pos, rates, out):
    """sample_poisson per element (rates flat float64, out flat float64). Expected O(1 + rate)
    per draw below rate 10, O(1) above."""
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
                u = _uniform(mt, pos) - 0.5
                v = _uniform(mt, pos)
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
                prod *= _uniform(mt, pos)
                if prod > enlam:
                    x += 1
                else:
                    break
            out[i] = x


@njit(cache=True, error_model="numpy")
def cauchy(u, out, median, sigma):
    """out = median + sigma * tan(pi * (u - 0.5)): cauchy_kernel's transformation on float64
    uniforms. O(n)."""
    for i in range(u.size):
        out[i] = median + sigma * math.tan(math.pi * (u[i] - 0.5))


@njit(cache=True, error_model="numpy")
def geometric(u, out, p):
    """out = ceil(log(u) / log1p(-p)): geometric_kernel's transformation on float64 uniforms. O(n)."""
    for i in range(u.size):
        out[i] = math.ceil(math.log(u[i]) / math.log1p(-p))


# ---------- binomial draws (_s_binomial_cpu's sample_binomial) ----------

_STIRLING_TAIL = np.array([0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.02079067210376509,
                           0.0166446911898211, 0.0138761288230707, 0.0118967099458917, 0.0104112652619720,
                           0.00925546218271273, 0.00833056343336287])


@njit(cache=True, error_model="numpy")
def _s(x, f32):
    """x rounded to scalar_t: float32 where ATen computes in float for float32 tensors."""
    return np.float64(_f(x)) if f32 else x


@njit(cache=True, error_model="numpy")
def _stirling_tail(k):
    """log k! minus its Stirling approximation (a table up to 9)."""
    if k <= 9:
        return _STIRLING_TAIL[int(k)]
    kp1sq = (k + 1) * (k + 1)
    return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1)


@njit(cache=True, error_model="numpy")
def _binomial_inversion(mt, pos, count, prob, f32):
    """The number of geometric(prob) waiting times that fit in count trials. O(count * prob)."""
    logprob = np.float64(math.log1p(-_f(prob))) if f32 else math.log1p(-prob)
    geom_sum = 0.0
    num_geom = 0.0
    while True:
        u = _uniform(mt, pos)
        geom_sum += math.ceil(math.log(u) / logprob)
        if geom_sum > count:
            break
        num_geom = num_geom + 1
    return num_geom


@njit(cache=True, error_model="numpy")
def _btrs(mt, pos, count, prob, f32):
    """Hoermann's BTRS transformed rejection (count * prob >= 10, prob <= 0.5). Expected O(1)."""
    stddev = math.sqrt(_s(_s(count * prob, f32) * _s(1 - prob, f32), f32))
    stddev = _s(stddev, f32)
    b = 1.15 + 2.53 * stddev
    a = -0.0873 + 0.0248 * b + 0.01 * prob
    c = _s(count * prob, f32) + 0.5
    v_r = 0.92 - 4.2 / b
    r = _s(prob / _s(1 - prob, f32), f32)
    alpha = (2.83 + 5.1 / b) * stddev
    m = math.floor(_s(_s(count + 1, f32) * prob, f32))
    while True:
        u = _uniform(mt, pos) - 0.5
        v = _uniform(mt, pos)
        us = 0.5 - abs(u)
        k = _s(math.floor((2 * a / us + b) * u + c), f32)
        if k < 0 or k > count:
            continue
        if us >= 0.07 and v <= v_r:
            return k
        v = math.log(v * alpha / (a / (us * us) + b))
        n_k1 = _s(_s(count - k, f32) + 1, f32)
        upperbound = ((m + 0.5) * math.log((m + 1) / (r * (count - m + 1)))
                      + _s(count + 1, f32) * math.log((count - m + 1) / n_k1)
                      + (k + 0.5) * math.log(r * n_k1 / _s(k + 1, f32))
                      + _stirling_tail(m) + _stirling_tail(count - m)
                      - _stirling_tail(k) - _stirling_tail(_s(count - k, f32)))
        if v <= upperbound:
            return k


@njit(cache=True, error_model="numpy")
def _binomial_one(mt, pos, count, prob, f32):
    """sample_binomial<scalar_t, double>: count, prob are scalar_t values (as float64)."""
    if count <= 0.0 or prob <= 0.0:
        return 0.0
    if prob >= 1.0:
        return count
    if prob <= 0.5:
        if _s(count * prob, f32) >= 10.0:
            return _btrs(mt, pos, count, prob, f32)
        return _binomial_inversion(mt, pos, count, prob, f32)
    if prob > 0.5:
        qprob = _s(1.0 - prob, f32)
        if _s(count * qprob, f32) >= 10.0:
            return _s(count - _btrs(mt, pos, count, qprob, f32), f32)
        return _s(count - _binomial_inversion(mt, pos, count, qprob, f32), f32)
    return math.nan


@njit(cache=True, error_model="numpy")
def binomial(mt, pos, count, prob, out, f32):
    """out[i] ~ Binomial(count[i], prob[i]) as _s_binomial_cpu (flat float64 arrays holding
    scalar_t values; f32: scalar_t is float). Expected O(1 + min(count p, 10)) per draw."""
    for i in range(count.size):
        out[i] = _binomial_one(mt, pos, count[i], prob[i], f32)
