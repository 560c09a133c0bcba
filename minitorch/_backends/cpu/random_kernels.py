"""Numba kernels of PyTorch's CPU random numbers, bit for bit.

The engine is at::mt19937 (the reference MT19937). Its state lives in two arrays
owned by a ``minitorch.random.Generator`` and passed to every kernel:
``mt`` (624 uint32 words) and ``pos`` (int64 ``[left, next]``, torch's own counters:
each draw does ``left -= 1``, twists when it reaches 0, then returns
``temper(mt[next]); next += 1``). The cached second Box-Muller sample of the scalar
normal path lives in ``cache`` (float64 ``[valid, value]``).

Every kernel reproduces one ATen kernel (aten/src/ATen/native/cpu/DistributionTemplates.h,
core/TransformationHelper.h, avx_mathfun.h, randperm_cpu): the same draws in the same
order, and the same float32 roundings, including the fused multiply-adds the compiler
emits (``_fma`` is LLVM's correctly rounded ``llvm.fma``, one rounding like the
hardware instruction). Scalar libm calls (math.log, math.sin, ...) go to the same
glibc functions torch calls; NumPy's SIMD ufuncs would not, so they are not used here.
Float constants are float32 module globals: a float64 literal would silently promote
float32 math.
"""
import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

N = 624
M = 397
_f = np.float32
_MATRIX_A = 0x9908B0DF
_UPPER = 0x80000000
_LOWER = 0x7FFFFFFF


# ---------- primitives numba lacks: fused multiply-add and float32 bit casts ----------

@intrinsic
def _fma(typingctx, a, b, c):
    """a * b + c with one rounding (llvm.fma), for float32 or float64 operands of one type."""
    if not (isinstance(a, types.Float) and a == b == c):
        return None

    def codegen(context, builder, sig, args):
        lltype = context.get_value_type(sig.return_type)
        fnty = ir.FunctionType(lltype, [lltype, lltype, lltype])
        fn = builder.module.declare_intrinsic("llvm.fma", [lltype], fnty)
        return builder.call(fn, args)
    return a(a, b, c), codegen


@intrinsic
def _f32_bits(typingctx, x):
    """The int32 whose bits are float32 x."""
    if x != types.float32:
        return None

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.IntType(32))
    return types.int32(x), codegen


@intrinsic
def _bits_f32(typingctx, i):
    """The float32 whose bits are the low 32 bits of integer i."""
    if not isinstance(i, types.Integer):
        return None

    def codegen(context, builder, sig, args):
        low = args[0] if i.bitwidth == 32 else builder.trunc(args[0], ir.IntType(32))
        return builder.bitcast(low, ir.FloatType())
    return types.float32(i), codegen


# ---------- the engine ----------

@njit(cache=True)
def seed_mt(mt, pos, seed):
    """init_genrand(seed & 0xffffffff): the reference seeding (== NumPy's RandomState(seed)). O(624)."""
    s = seed & 0xFFFFFFFF
    mt[0] = s
    for j in range(1, N):
        s = (1812433253 * (s ^ (s >> 30)) + j) & 0xFFFFFFFF
        mt[j] = s
    pos[0] = 1  # the first draw twists
    pos[1] = 0


@njit(cache=True)
def _twist(mt):
    """Regenerate all 624 words (MT19937 next_state). O(624)."""
    for k in range(N - M):
        y = (np.int64(mt[k]) & _UPPER) | (np.int64(mt[k + 1]) & _LOWER)
        mt[k] = np.int64(mt[k + M]) ^ (y >> 1) ^ (_MATRIX_A if y & 1 else 0)
    for k in range(N - M, N - 1):
        y = (np.int64(mt[k]) & _UPPER) | (np.int64(mt[k + 1]) & _LOWER)
        mt[k] = np.int64(mt[k + M - N]) ^ (y >> 1) ^ (_MATRIX_A if y & 1 else 0)
    y = (np.int64(mt[N - 1]) & _UPPER) | (np.int64(mt[0]) & _LOWER)
    mt[N - 1] = np.int64(mt[M - 1]) ^ (y >> 1) ^ (_MATRIX_A if y & 1 else 0)


@njit(cache=True)
def raw32(mt, pos, out):
    """Fill out (uint32) with the next out.size engine outputs, tempered. O(n)."""
    n = out.size
    left = pos[0]
    nxt = pos[1]
    i = 0
    while i < n:
        if left == 1:  # the next draw would bring left to 0: torch twists there
            _twist(mt)
            left = N + 1
            nxt = 0
        take = min(left - 1, n - i)
        for k in range(take):
            y = np.int64(mt[nxt + k])
            y ^= y >> 11
            y ^= (y << 7) & 0x9D2C5680
            y ^= (y << 15) & 0xEFC60000
            y ^= y >> 18
            out[i + k] = y
        nxt += take
        left -= take
        i += take
    pos[0] = left
    pos[1] = nxt


@njit(cache=True)
def _random64(mt, pos):
    """One random64(): (first << 32) | second, as uint64."""
    two = np.empty(2, np.uint32)
    raw32(mt, pos, two)
    return (np.uint64(two[0]) << np.uint64(32)) | np.uint64(two[1])


@njit(cache=True)
def random64(mt, pos, out):
    """Fill out (uint64) with random64() draws. O(n)."""
    raw = np.empty(2 * out.size, np.uint32)
    raw32(mt, pos, raw)
    for i in range(out.size):
        out[i] = (np.uint64(raw[2 * i]) << np.uint64(32)) | np.uint64(raw[2 * i + 1])


# ---------- uniforms: uniform_real_distribution<T> then fma(x, to - from, from) ----------

_F32_2M24 = np.float32(2.0 ** -24)
_F64_2M53 = 2.0 ** -53
_MASK24 = 0xFFFFFF
_MASK53 = (1 << 53) - 1


@njit(cache=True, inline="always")
def _u01_f32(word):
    return np.float32(np.int64(word) & _MASK24) * _F32_2M24


@njit(cache=True)
def _u01_f64(hi, lo):
    return np.float64(((np.int64(hi) << 32 | np.int64(lo)) & _MASK53)) * _F64_2M53


@njit(cache=True)
def uniform_f32(mt, pos, out, low, span):
    """out[i] = fma(u, span, low), u a 24-bit float32 uniform; span = float32(high) - float32(low). O(n)."""
    raw = out.view(np.uint32)  # the engine's words go straight into out, then become floats
    raw32(mt, pos, raw)
    for i in range(out.size):
        out[i] = _fma(_u01_f32(raw[i]), span, low)


@njit(cache=True)
def uniform_f64(mt, pos, out, low, span):
    """out[i] = fma(u, span, low), u a 53-bit float64 uniform from random64(). O(n)."""
    raw = out.view(np.uint32)  # two words per float64, in place
    raw32(mt, pos, raw)
    for i in range(out.size):
        out[i] = _fma(_u01_f64(raw[2 * i], raw[2 * i + 1]), span, low)


# ---------- normals ----------

@njit(cache=True)
def normal_scalar(mt, pos, cache, out, mean, std):
    """at::normal_distribution<double> per element (torch's path for < 16 elements):
    Box-Muller on two float64 uniforms; r*sin(theta) is cached in the generator and
    served first by the next scalar normal, even in a later call. out any float dtype. O(n)."""
    two_pi = 2.0 * math.pi
    two = np.empty(4, np.uint32)
    for i in range(out.size):
        if cache[0] != 0.0:
            cache[0] = 0.0
            v = cache[1]
        else:
            raw32(mt, pos, two)
            u1 = _u01_f64(two[0], two[1])
            u2 = _u01_f64(two[2], two[3])
            r = math.sqrt(-2.0 * math.log1p(-u2))
            theta = two_pi * u1
            cache[0] = 1.0
            cache[1] = r * math.sin(theta)
            v = r * math.cos(theta)
        out[i] = _fma(v, std, mean)


@njit(cache=True)
def normal_fill_f64(mt, pos, out, mean, std):
    """normal_fill<double> (n >= 16): all float64 uniforms first, then Box-Muller per
    block of 16 pairing lane j with j + 8; a ragged tail recomputes the last 16 slots
    from 16 fresh uniforms. O(n)."""
    n = out.size
    uniform_f64(mt, pos, out, 0.0, 1.0)
    for b in range(0, n - 15, 16):
        _normal_16_f64(out, b, mean, std)
    if n % 16:
        uniform_f64(mt, pos, out[n - 16:], 0.0, 1.0)
        _normal_16_f64(out, n - 16, mean, std)


@njit(cache=True)
def _normal_16_f64(d, b, mean, std):
    two_pi = 2.0 * math.pi
    for j in range(8):
        u1 = 1.0 - d[b + j]
        u2 = d[b + j + 8]
        radius = math.sqrt(-2.0 * math.log(u1))
        theta = two_pi * u2
        d[b + j] = _fma(radius * math.cos(theta), std, mean)
        d[b + j + 8] = _fma(radius * math.sin(theta), std, mean)


# Cephes float32 log / sincos of avx_mathfun.h (log256_ps, sincos256_ps), with the
# multiply-adds GCC fuses written as _fma: each line is one vector instruction there.
_ONE = _f(1.0)
_ZERO = _f(0.0)
_HALF = _f(0.5)
_SQRTHF = _f(0.707106781186547524)
_LOG_P0 = _f(7.0376836292E-2)
_LOG_P1 = _f(-1.1514610310E-1)
_LOG_P2 = _f(1.1676998740E-1)
_LOG_P3 = _f(-1.2420140846E-1)
_LOG_P4 = _f(1.4249322787E-1)
_LOG_P5 = _f(-1.6668057665E-1)
_LOG_P6 = _f(2.0000714765E-1)
_LOG_P7 = _f(-2.4999993993E-1)
_LOG_P8 = _f(3.3333331174E-1)
_LOG_Q1 = _f(-2.12194440e-4)
_LOG_Q2 = _f(0.693359375)
_FOPI = _f(1.27323954473516)
_DP1 = _f(-0.78515625)
_DP2 = _f(-2.4187564849853515625e-4)
_DP3 = _f(-3.77489497744594108e-8)
_COS_P0 = _f(2.443315711809948E-005)
_COS_P1 = _f(-1.388731625493765E-003)
_COS_P2 = _f(4.166664568298827E-002)
_SIN_P0 = _f(-1.9515295891E-4)
_SIN_P1 = _f(8.3321608736E-3)
_SIN_P2 = _f(-1.6666654611E-1)
_MINUS_TWO = _f(-2.0)
_TWO_PI_F32 = _f(2.0 * math.pi)
_MIN_NORM_BITS = np.int32(0x00800000)


_I1 = np.int32(1)
_I2 = np.int32(2)
_I4 = np.int32(4)
_EVEN = np.int32(-2)
_EXP_BIAS = np.int32(0x7F)
_NOT_EXP = np.int32(~0x7F800000)
_HALF_EXP = np.int32(0x3F000000)


@njit(cache=True, inline="always")
def _log_f32(x):
    """log256_ps for x > 0 (Box-Muller's 1 - u is in (0, 1]); branch-free so it vectorises."""
    bits = max(_f32_bits(x), _MIN_NORM_BITS)  # positive floats order like their bits
    e = _f((bits >> 23) - _EXP_BIAS) + _ONE
    x = _bits_f32((bits & _NOT_EXP) | _HALF_EXP)  # mantissa in [0.5, 1)
    small = x < _SQRTHF
    tmp = x if small else _ZERO
    x = x - _ONE
    e = e - (_ONE if small else _ZERO)
    x = x + tmp
    z = x * x
    y = _fma(_LOG_P0, x, _LOG_P1)
    y = _fma(y, x, _LOG_P2)
    y = _fma(y, x, _LOG_P3)
    y = _fma(y, x, _LOG_P4)
    y = _fma(y, x, _LOG_P5)
    y = _fma(y, x, _LOG_P6)
    y = _fma(y, x, _LOG_P7)
    y = _fma(y, x, _LOG_P8)
    y = y * x
    y = _fma(y, z, e * _LOG_Q1)
    y = _fma(-z, _HALF, y)
    x = x + y
    return _fma(e, _LOG_Q2, x)


@njit(cache=True, inline="always")
def _sincos_f32(x):
    """sincos256_ps for x >= 0: (sin x, cos x); branch-free so it vectorises."""
    j = np.int32(x * _FOPI)  # truncation, as cvttps
    j = (j + _I1) & _EVEN
    y = _f(j)
    x = _fma(y, _DP1, x)
    x = _fma(y, _DP2, x)
    x = _fma(y, _DP3, x)
    z = x * x
    c = _fma(_COS_P0, z, _COS_P1)
    c = _fma(c, z, _COS_P2)
    c = c * z
    c = _fma(c, z, -(z * _HALF))
    c = c + _ONE
    s = _fma(_SIN_P0, z, _SIN_P1)
    s = _fma(s, z, _SIN_P2)
    s = s * z
    s = _fma(s, x, x)
    poly = (j & _I2) == 0
    ysin = s if poly else c
    ycos = c if poly else s
    ysin = -ysin if (j & _I4) != 0 else ysin
    ycos = -ycos if ((j - _I2) & _I4) == 0 else ycos
    return ysin, ycos


@njit(cache=True)
def _box_muller_f32(u1, u2, mean, std, cos_out, sin_out):
    """One lane-pair per index: u1 = 1 - first uniform, u2 = second (normal_fill_16_AVX2's math)."""
    for m in range(u1.size):
        radius = np.sqrt(_MINUS_TWO * _log_f32(u1[m]))
        s, c = _sincos_f32(_TWO_PI_F32 * u2[m])
        cos_out[m] = _fma(radius * c, std, mean)
        sin_out[m] = _fma(radius * s, std, mean)


_CHUNK = 256  # blocks of 16 per pass through the lane buffers (4 KiB each: stays in L1)


@njit(cache=True)
def _normal_blocks_f32(d, nblocks, mean, std):
    """normal_fill_16_AVX2 on each block of 16 in d[:16 * nblocks]: lane j pairs with lane j + 8.
    The lanes go through contiguous buffers so that LLVM vectorises the math."""
    a = np.empty(8 * _CHUNK, np.float32)
    b = np.empty(8 * _CHUNK, np.float32)
    c = np.empty(8 * _CHUNK, np.float32)
    s = np.empty(8 * _CHUNK, np.float32)
    for first in range(0, nblocks, _CHUNK):
        count = min(_CHUNK, nblocks - first)
        for blk in range(count):
            base = 16 * (first + blk)
            for j in range(8):
                a[8 * blk + j] = _ONE - d[base + j]
                b[8 * blk + j] = d[base + 8 + j]
        _box_muller_f32(a[:8 * count], b[:8 * count], mean, std, c, s)
        for blk in range(count):
            base = 16 * (first + blk)
            for j in range(8):
                d[base + j] = c[8 * blk + j]
                d[base + 8 + j] = s[8 * blk + j]


@njit(cache=True)
def normal_fill_f32(mt, pos, out, mean, std):
    """normal_fill_AVX2 (float32, n >= 16): all 24-bit uniforms first, Box-Muller per
    block of 16 with the Cephes float32 log/sincos; a ragged tail recomputes the last
    16 slots from 16 fresh uniforms. Never touches the normal cache. O(n)."""
    n = out.size
    uniform_f32(mt, pos, out, _ZERO, _ONE)
    _normal_blocks_f32(out, n // 16, mean, std)
    if n % 16:
        last = out[n - 16:]
        uniform_f32(mt, pos, last, _ZERO, _ONE)
        _normal_blocks_f32(last, 1, mean, std)


# ---------- integers, permutations, Bernoulli, multinomial ----------

@njit(cache=True)
def randint(mt, pos, out, low, span):
    """random_from_to: out[i] = random() % span + low when span < 2**32, else
    random64() % span + low. out int64. O(n)."""
    if span < (1 << 32):
        raw = np.empty(out.size, np.uint32)
        raw32(mt, pos, raw)
        for i in range(out.size):
            out[i] = np.int64(raw[i]) % span + low
    else:
        wide = np.empty(out.size, np.uint64)
        random64(mt, pos, wide)
        for i in range(out.size):
            out[i] = np.int64(wide[i] % np.uint64(span)) + low


@njit(cache=True)
def randperm(mt, pos, out):
    """randperm_cpu: out = arange(n) shuffled by swapping out[i] with out[i + random() % (n - i)]
    for i = 0..n-2; for n >= 2**32 / 20, the inside-out Fisher-Yates on random64(). O(n)."""
    n = out.size
    if n < 0xFFFFFFFF // 20:
        for i in range(n):
            out[i] = i
        raw = np.empty(max(n - 1, 0), np.uint32)
        raw32(mt, pos, raw)
        for i in range(n - 1):
            z = np.int64(raw[i]) % (n - i)
            sav = out[i]
            out[i] = out[z + i]
            out[z + i] = sav
    else:
        for i in range(n):
            z = np.int64(_random64(mt, pos) % np.uint64(i + 1))
            out[i] = out[z]
            out[z] = i


@njit(cache=True)
def exponential(u, out):
    """out = -log1p(-u): transformation::exponential with lambda 1 on float64 uniforms. O(n)."""
    for i in range(u.size):
        out[i] = -math.log1p(-u[i])


@njit(cache=True)
def bernoulli_f64(mt, pos, p, out):
    """out[i] = (float64 uniform < p[i]): bernoulli_distribution<double>, p flat float64. O(n)."""
    u = np.empty(out.size, np.float64)
    uniform_f64(mt, pos, u, 0.0, 1.0)
    for i in range(out.size):
        out[i] = u[i] < p[i]


@njit(cache=True)
def bernoulli_f32(mt, pos, p, out):
    """out[i] = (float32 uniform < p[i]): bernoulli_distribution<float>, p flat float32. O(n)."""
    u = np.empty(out.size, np.float32)
    uniform_f32(mt, pos, u, _ZERO, _ONE)
    for i in range(out.size):
        out[i] = u[i] < p[i]


@njit(cache=True)
def multinomial_replacement(mt, pos, probs, n_sample, out):
    """multinomial_with_replacement_apply: per row, the cumulative sums (in the row's
    dtype) divided by their total, the last forced to 1; each sample is the first slot
    whose cumulative value is >= a float64 uniform (binary search).
    probs (rows, k), out (rows, n_sample) int64. O(rows * (k + n_sample log k))."""
    rows, k = probs.shape
    cum = np.empty(k, probs.dtype)
    for r in range(rows):
        total = probs[r, 0] - probs[r, 0]
        for j in range(k):
            total += probs[r, j]
            cum[j] = total
        if total > 0:
            for j in range(k):
                cum[j] /= total
        cum[k - 1] = 1
        u = np.empty(n_sample, np.float64)
        uniform_f64(mt, pos, u, 0.0, 1.0)
        for s in range(n_sample):
            lo = 0
            hi = k
            while hi - lo > 0:
                mid = lo + (hi - lo) // 2
                if cum[mid] < u[s]:
                    lo = mid + 1
                else:
                    hi = mid
            out[r, s] = lo
