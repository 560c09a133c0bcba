"""Host kernels of the special functions: lgamma, digamma, polygamma, erfinv, i0, i1, their
exponentially scaled i0e and i1e, erfc, erfcx, log_ndtr and ndtri (NumPy arrays in and out). The default ``special`` extra (defaults_nn.py) runs them after copying a
device's array to the host; on the CPU that copy is free, so these are the CPU's kernels too.

Each value is computed in float64 and rounded once to the input's dtype (PyTorch computes
float32 in float32, so a float32 result can differ from PyTorch's in its last bit or two).
The methods are the textbook ones: the recurrence and the asymptotic (Bernoulli) series for
digamma and the Hurwitz zeta, reflection for negative arguments, Newton steps on erf/erfc
from Winitzki's approximation for erfinv, the power series and the large-argument
expansion for the modified Bessel functions, the asymptotic series of erfcx where erfc
underflows, log_ndtr through erfcx in the lower tail, and Newton steps on log_ndtr for ndtri.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from . import bessel_kernels

# B_2, B_4, ..., B_20: the Bernoulli numbers of the Euler-Maclaurin tail of the Hurwitz zeta.
_BERNOULLI = np.array([1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510,
                       43867 / 798, -174611 / 330])

OPS = {"lgamma": 0, "digamma": 1, "polygamma": 2, "erfinv": 3, "i0": 4, "i1": 5, "i0e": 6, "i1e": 7,
       "erfc": 8, "erfcx": 9, "log_ndtr": 10, "ndtri": 11}


@njit(cache=True)
def _digamma(x: float) -> float:
    """psi(x) = d/dx log Gamma(x): -inf/inf at +-0, NaN at the negative integers."""
    if x == 0:
        return math.copysign(math.inf, -x)
    if x < 0:
        if x == math.floor(x):
            return math.nan
        return _digamma_positive(1 - x) - math.pi / math.tan(math.pi * x)
    return _digamma_positive(x)


@njit(cache=True)
def _digamma_positive(x: float) -> float:
    acc = 0.0
    while x < 10:  # psi(x) = psi(x + 1) - 1/x up to where the asymptotic series is exact
        acc -= 1 / x
        x += 1
    z = 1 / (x * x)
    tail = z * (1 / 12 - z * (1 / 120 - z * (1 / 252 - z * (1 / 240 - z * (1 / 132 - z * (691 / 32760 - z / 12))))))
    return acc + math.log(x) - 0.5 / x - tail


@njit(cache=True)
def _hurwitz_zeta(s: float, q: float, bernoulli) -> float:
    """zeta(s, q) = sum over k >= 0 of (q + k)^-s, s > 1 an integer: inf at the poles q = 0, -1, ..."""
    if q <= 0 and q == math.floor(q):
        return math.inf
    total = 0.0
    w = q
    while w < 20 + s:  # direct terms up to where the Euler-Maclaurin tail converges fast
        total += w ** -s
        w += 1
    total += w ** (1 - s) / (s - 1) + 0.5 * w ** -s
    c, p = s / 2, w ** (-s - 1)
    for j in range(len(bernoulli)):
        if j > 0:
            c *= (s + 2 * j - 1) * (s + 2 * j) / ((2 * j + 1) * (2 * j + 2))
            p /= w * w
        term = bernoulli[j] * c * p
        total += term
        if abs(term) < 1e-17 * abs(total):
            break
    return total


@njit(cache=True)
def _polygamma(n: int, x: float, bernoulli) -> float:
    """The n-th derivative of digamma (n >= 1): (-1)^(n+1) n! zeta(n + 1, x)."""
    if math.isinf(x) and n >= 2:
        return math.nan  # (PyTorch's zeta gives NaN there)
    sign = 1.0 if n % 2 == 1 else -1.0
    return sign * math.gamma(float(n + 1)) * _hurwitz_zeta(float(n + 1), x, bernoulli)


@njit(cache=True)
def _erfinv(y: float) -> float:
    """The inverse of erf on [-1, 1] (+-inf at +-1, NaN outside)."""
    if math.isnan(y) or y < -1 or y > 1:
        return math.nan
    if y == 1 or y == -1:
        return math.copysign(math.inf, y)
    a = abs(y)
    # Winitzki's closed form (relative error ~2e-3), then Newton steps on erf (or on erfc near 1,
    # where 1 - a is exact and erf(x) - a would cancel)
    k = 0.147
    ln = math.log((1 - a) * (1 + a))
    t = 2 / (math.pi * k) + ln / 2
    x = math.sqrt(math.sqrt(t * t - ln / k) - t)
    for _ in range(4):
        slope = 2 / math.sqrt(math.pi) * math.exp(-x * x)
        if slope == 0:
            break
        if a > 0.5:
            x += (math.erfc(x) - (1 - a)) / slope
        else:
            x -= (math.erf(x) - a) / slope
    return math.copysign(x, y)


@njit(cache=True)
def _bessel_i(nu: int, x: float, scaled: bool) -> float:
    """The modified Bessel function of the first kind I_nu(x), nu 0 or 1; times exp(-|x|) if scaled."""
    ax = abs(x)
    if math.isnan(x):
        return x
    if ax <= 25:  # the power series: sum of (x/2)^(2k+nu) / (k! (k+nu)!)
        term = 1.0 if nu == 0 else ax / 2
        total = term
        q = ax * ax / 4
        k = 1
        while term > 1e-17 * total:
            term *= q / (k * (k + nu))
            total += term
            k += 1
        if scaled:
            total *= math.exp(-ax)
    elif scaled and math.isinf(ax):
        total = 0.0
    else:  # e^x / sqrt(2 pi x) * (1 - (mu - 1) / 8x + (mu - 1)(mu - 9) / 2!(8x)^2 - ...), mu = 4 nu^2
        mu = 4.0 * nu * nu
        term = 1.0
        series = 1.0
        for k in range(1, 30):
            term *= -(mu - (2 * k - 1) ** 2) / (k * 8 * ax)
            series += term
            if abs(term) < 1e-17:
                break
        total = series / math.sqrt(2 * math.pi * ax)
        if not scaled:
            total *= math.exp(ax)
    return -total if nu == 1 and x < 0 else total


@njit(cache=True)
def _erfcx(x: float) -> float:
    """exp(x^2) erfc(x), finite where erfc underflows: ~1 / (x sqrt(pi)) for large x."""
    if math.isnan(x):
        return x
    if x < 0:
        if x < -26.7:
            return math.inf
        return 2 * math.exp(x * x) - _erfcx(-x)
    if x < 25:
        return math.exp(x * x) * math.erfc(x)
    if math.isinf(x):
        return 0.0
    # 1 / (x sqrt(pi)) * (1 - 1/(2x^2) + 1*3/(2x^2)^2 - 1*3*5/(2x^2)^3 + ...)
    z = 1 / (2 * x * x)
    term = 1.0
    series = 1.0
    for k in range(1, 20):
        term *= -(2 * k - 1) * z
        series += term
        if abs(term) < 1e-17:
            break
    return series / (x * math.sqrt(math.pi))


@njit(cache=True)
def _log_ndtr(x: float) -> float:
    """log of the standard normal CDF: log(erfcx(-x / sqrt 2) / 2) - x^2 / 2 below 0 (no underflow)."""
    if x < 0:
        return math.log(_erfcx(-x * 0.7071067811865476) / 2) - x * x / 2
    return math.log1p(-math.erfc(x * 0.7071067811865476) / 2)


@njit(cache=True)
def _ndtri(p: float) -> float:
    """The inverse of the standard normal CDF on [0, 1] (-inf at 0, inf at 1, NaN outside)."""
    if math.isnan(p) or p < 0 or p > 1:
        return math.nan
    if p == 0 or p == 1:
        return -math.inf if p == 0 else math.inf
    if p > 0.5:
        return -_ndtri(1 - p)  # (exact: 1 - p has no rounding error on [0.5, 1])
    if p > 0.135:  # 2p - 1 is exact, so small results keep their relative precision
        return math.sqrt(2.0) * _erfinv(2 * p - 1)
    # Abramowitz & Stegun 26.2.23 (error < 5e-4), then Newton steps on log ndtr(x) = log p
    t = math.sqrt(-2 * math.log(p))
    x = -(t - (2.515517 + t * (0.802853 + t * 0.010328)) / (1 + t * (1.432788 + t * (0.189269 + t * 0.001308))))
    target = math.log(p)
    for _ in range(50):
        # d/dx log ndtr(x) = sqrt(2 / pi) / erfcx(-x / sqrt 2)
        step = (_log_ndtr(x) - target) * _erfcx(-x * 0.7071067811865476) / math.sqrt(2 / math.pi)
        x -= step
        if abs(step) <= 1e-16 * abs(x):
            break
    return x


@njit(cache=True)
def special_kernel(code: int, n: int, x, out, bernoulli) -> None:
    """out[i] = f(x[i]) for the function of code (OPS), over flat float64 arrays; O(len(x))."""
    for i in range(x.shape[0]):
        v = x[i]
        if code == 0:
            out[i] = math.lgamma(v)
        elif code == 1:
            out[i] = _digamma(v)
        elif code == 2:
            out[i] = _digamma(v) if n == 0 else _polygamma(n, v, bernoulli)
        elif code == 3:
            out[i] = _erfinv(v)
        elif code <= 7:
            out[i] = _bessel_i((code - 4) % 2, v, code >= 6)
        elif code == 8:
            out[i] = math.erfc(v)
        elif code == 9:
            out[i] = _erfcx(v)
        elif code == 10:
            out[i] = _log_ndtr(v)
        else:
            out[i] = _ndtri(v)


# Cephes' Euler-Maclaurin denominators (2k)! / B_2k of its zeta: 12, -720, 30240, ...
_ZETA_A = np.array([12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9, 7.47242496e10,
                    -2.950130727918164224e12, 1.1646782814350067249e14, -4.5979787224074726105e15,
                    1.8152105401943546773e17, -7.1661652561756670113e18])
_MACHEP = 1.11022302462515654042e-16


@njit(cache=True)
def _zeta(x: float, q: float, denominators) -> float:
    """The Hurwitz zeta function sum over k >= 0 of (q + k)^-x, Cephes' algorithm (PyTorch's):
    direct terms until q + k > 9 (at least 9 of them), then the Euler-Maclaurin tail. inf at
    x = 1 and at the poles q = 0, -1, ...; NaN for x < 1, and for q < 0 with x not an integer."""
    if x == 1.0:
        return math.inf
    if x < 1.0:
        return math.nan
    if q <= 0.0:
        if q == math.floor(q):
            return math.inf
        if x != math.floor(x):
            return math.nan
    s = math.pow(q, -x)
    a = q
    i = 0
    b = 0.0
    while i < 9 or a <= 9.0:
        i += 1
        a += 1.0
        b = math.pow(a, -x)
        s += b
        if -_MACHEP * s < b < _MACHEP * s:
            return s
    w = a
    s += b * w / (x - 1.0)
    s -= 0.5 * b
    a = 1.0
    k = 0.0
    for j in range(12):
        a *= x + k
        b /= w
        t = a * b / denominators[j]
        s = s + t
        if abs(t / s) < _MACHEP:
            return s
        k += 1.0
        a *= x + k
        b /= w
        k += 1.0
    return s


@njit(cache=True)
def zeta_kernel(x, q, out, denominators) -> None:
    """out[i] = zeta(x[i], q[i]) over flat float64 arrays (NaN in, NaN out); O(len(x))."""
    for i in range(x.shape[0]):
        if math.isnan(x[i]) or math.isnan(q[i]):
            out[i] = math.nan
        else:
            out[i] = _zeta(x[i], q[i], denominators)


def apply(op: str, a: np.ndarray, n: int = 0) -> np.ndarray:
    """The special function op of float array a elementwise, in a's dtype (the Bessel functions
    of torch.special: bessel_kernels.py)."""
    if op in bessel_kernels.OPS:
        return bessel_kernels.apply(op, a)
    if op == "zeta":  # n: the array q, of a's shape and dtype
        x = np.ascontiguousarray(a, np.float64).reshape(-1)
        out = np.empty_like(x)
        zeta_kernel(x, np.ascontiguousarray(n, np.float64).reshape(-1), out, _ZETA_A)
        return out.reshape(a.shape).astype(a.dtype, copy=False)
    flat = np.ascontiguousarray(a, np.float64).reshape(-1)
    out = np.empty_like(flat)
    special_kernel(OPS[op], int(n), flat, out, _BERNOULLI)
    return out.reshape(a.shape).astype(a.dtype, copy=False)
