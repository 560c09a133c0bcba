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
- ``cauchy``, ``geometric``: cauchy_kernel's and geometric_kernel's transformations of
  float64 uniforms.

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


@njit(cache=True, error_model="numpy")
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


@njit(cache=True, error_model="numpy")
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


@njit(cache=True, error_model="numpy")
def standard_gamma_grad(alpha, x, out):
    """out[i] = d x[i] / d alpha[i] for x[i] ~ Gamma(alpha[i], 1) (flat arrays of one float
    dtype; computed in float64, as _standard_gamma_grad_cpu). O(n)."""
    for i in range(alpha.size):
        out[i] = _gamma_grad_one(np.float64(alpha[i]), np.float64(x[i]))


# ---------- the reparameterised gradient of Dirichlet draws (_dirichlet_grad) ----------

@njit(cache=True, error_model="numpy")
def _beta_grad_alpha_small(x, alpha, beta):
    """d x / d alpha of x ~ Beta(alpha, beta) near x = 0: a Taylor series."""
    factor = _digamma(alpha) - _digamma(alpha + beta) - math.log(x)
    numer = 1.0
    series = numer / alpha * (factor + 1 / alpha)
    for i in range(1, 11):
        numer *= (i - beta) * x / i
        denom = alpha + i
        series += numer / denom * (factor + 1 / denom)
    result = x * math.pow(1 - x, -beta) * series
    return 0.0 if result != result else result


@njit(cache=True, error_model="numpy")
def _beta_grad_beta_small(x, alpha, beta):
    """d x / d beta of x ~ Beta(alpha, beta) near x = 0: a Taylor series."""
    factor = _digamma(alpha + beta) - _digamma(beta)
    numer = 1.0
    betas = 1.0
    dbetas = 0.0
    series = factor / alpha
    for i in range(1, 9):
        numer *= -x / i
        dbetas = dbetas * (beta - i) + betas
        betas = betas * (beta - i)
        series += numer / (alpha + i) * (dbetas + factor * betas)
    result = -math.pow(1 - x, 1 - beta) * series
    return 0.0 if result != result else result


@njit(cache=True, error_model="numpy")
def _beta_grad_alpha_mid(x, alpha, beta):
    """d x / d alpha of x ~ Beta(alpha, beta) for large alpha and beta: Rice's saddle point."""
    total = alpha + beta
    mean = alpha / total
    std = math.sqrt(alpha * beta / (total + 1)) / total
    if mean - 0.1 * std <= x and x <= mean + 0.1 * std:
        poly = 47 * x * (beta * beta) * (beta * beta) + alpha * (
            (43 + 20 * (16 + 27 * beta) * x) * (beta * beta) * beta + alpha * (
                3 * (59 + 180 * beta - 90 * x) * (beta * beta) + alpha * (
                    (453 + 1620 * beta * (1 - x) - 455 * x) * beta + alpha * (
                        8 * (1 - x) * (135 * beta - 11)))))
        prefactor_num = (1 + 12 * alpha) * (1 + 12 * beta) / (total * total)
        prefactor_den = 12960 * alpha * alpha * alpha * beta * beta * (1 + 12 * total)
        return prefactor_num / (1 - x) * poly / prefactor_den
    prefactor = -x / math.sqrt(2 * alpha * beta / total)
    stirling = ((1 + 1 / (12 * alpha) + 1 / (288 * alpha * alpha)) * (1 + 1 / (12 * beta) + 1 / (288 * beta * beta))
                / (1 + 1 / (12 * total) + 1 / (288 * total * total)))
    term1_num = 2 * (alpha * alpha) * (x - 1) + alpha * beta * (x - 1) - x * (beta * beta)
    axbx = alpha * (x - 1) + beta * x
    term1_den = math.sqrt(2 * alpha / beta) * math.pow(total, 1.5) * axbx * axbx
    term1 = term1_num / term1_den
    term2 = 0.5 * math.log(alpha / (total * x))
    term3_num = math.sqrt(8 * alpha * beta / total)
    term3_den = beta * x + alpha * (x - 1)
    term3 = term3_num / term3_den
    term4_base = beta * math.log(beta / (total * (1 - x))) + alpha * math.log(alpha / (total * x))
    term4 = math.pow(term4_base, -1.5)
    term1234 = term1 + term2 * (term3 + (term4 if x < mean else -term4))
    return stirling * prefactor * term1234


_DIRICHLET_C = np.array([
    [[[1.003668233, -0.01061107488, -0.0657888334, 0.01201642863],
      [0.6336835991, -0.3557432599, 0.05486251648, -0.001465281033],
      [-0.03276231906, 0.004474107445, 0.002429354597, -0.0001557569013]],
     [[0.221950385, -0.3187676331, 0.01799915743, 0.01074823814],
      [-0.2951249643, 0.06219954479, 0.01535556598, 0.001550077057],
      [0.02155310298, 0.004170831599, 0.001292462449, 6.976601077e-05]],
     [[-0.05980841433, 0.008441916499, 0.01085618172, 0.002319392565],
      [0.02911413504, 0.01400243777, -0.002721828457, 0.000751041181],
      [0.005900514878, -0.001936558688, -9.495446725e-06, 5.385558597e-05]]],
    [[[1, -0.02924021934, -0.04438342661, 0.007285809825],
      [0.6357567472, -0.3473456711, 0.05454656494, -0.002407477521],
      [-0.03301322327, 0.004845219414, 0.00231480583, -0.0002307248149]],
     [[0.5925320577, -0.1757678135, 0.01505928619, 0.000564515273],
      [0.1014815858, -0.06589186703, 0.01272886114, -0.0007316646956],
      [-0.007258481865, 0.001096195486, 0.0003934994223, -4.12701925e-05]],
     [[0.06469649321, -0.0236701437, 0.002902096474, -5.896963079e-05],
      [0.001925008108, -0.002869809258, 0.0008000589141, -6.063713228e-05],
      [-0.0003477407336, 6.959756487e-05, 1.097287507e-05, -1.650964693e-06]]]])


@njit(cache=True, error_model="numpy")
def _dirichlet_grad_one(x, alpha, total):
    """dirichlet_grad_one<double, double>: -(d/dalpha cdf(x; alpha, total - alpha)) / pdf / (1 - x)
    for x ~ Beta(alpha, total - alpha), by the regime's approximation."""
    beta = total - alpha
    boundary = total * x * (1 - x)
    if x <= 0.5 and boundary < 2.5:
        return _beta_grad_alpha_small(x, alpha, beta)
    if x >= 0.5 and boundary < 0.75:
        return -_beta_grad_beta_small(1 - x, beta, alpha)
    if alpha > 6 and beta > 6:
        return _beta_grad_alpha_mid(x, alpha, beta)
    u = math.log(x)
    a = math.log(alpha) - u
    b = math.log(total) - a
    pow_u = (1.0, u, u * u)
    pow_a = (1.0, a, a * a)
    p = 0.0
    q = 0.0
    for i in range(3):
        for j in range(3):
            ua = pow_u[i] * pow_a[j]
            c0 = _DIRICHLET_C[0, i, j]
            c1 = _DIRICHLET_C[1, i, j]
            p += ua * (c0[0] + b * (c0[1] + b * (c0[2] + b * c0[3])))
            q += ua * (c1[0] + b * (c1[1] + b * (c1[2] + b * c1[3])))
    approx = x * (_digamma(total) - _digamma(alpha)) / beta
    return p / q * approx


@njit(cache=True, error_model="numpy")
def dirichlet_grad(x, alpha, total, out):
    """out[i] = dirichlet_grad_one(x[i], alpha[i], total[i]) in float64 (flat arrays). O(n)."""
    for i in range(x.size):
        out[i] = _dirichlet_grad_one(np.float64(x[i]), np.float64(alpha[i]), np.float64(total[i]))


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
