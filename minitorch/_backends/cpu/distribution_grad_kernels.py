"""Numba kernels of the reparameterised gradients of torch's Gamma and Dirichlet draws,
as aten/src/ATen/native/Distributions.h computes them (in float64, the accscalar_t):

- ``standard_gamma_grad``: standard_gamma_grad_one, dx/dalpha of x ~ Gamma(alpha, 1) =
  -(d/dalpha cdf(x; alpha)) / pdf(x; alpha), by a Taylor series for small x, Rice's saddle
  point expansion for large alpha and a bivariate rational approximation between.
- ``dirichlet_grad``: dirichlet_grad_one, the same for x ~ Beta(alpha, total - alpha), which
  the Dirichlet backward combines over the components.

Both equal torch's float64 results bit for bit; ``_standard_gamma_grad`` equals its float32
ones too (torch computes that one in double), while torch's float32 Dirichlet gradient
rounds parts of its series to float32 where these stay in float64.
``error_model="numpy"``: a division by zero gives inf/NaN, as in C.
"""
import math

import numpy as np
from numba import njit

_f = np.float32


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
