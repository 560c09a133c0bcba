"""The random entries of the CPU op table (a mixin of CPUBackend), and its generator.

``MT19937`` is at::mt19937's state: 624 uint32 words and torch's two counters, plus the
cached second sample of the scalar normal path, in NumPy arrays that the kernels of
``random_kernels.py`` update in place. Every draw makes the same calls, in the same order
and with the same roundings, as the ATen kernel it mirrors (named in each docstring), so
the same seed gives PyTorch's numbers. ``minitorch.random.Generator`` is the public face
of one of these states.
"""
from __future__ import annotations

import math
import time

import numpy as np

from ...dtypes import float16 as _float16, float32 as _float32, float64 as _float64
from . import distribution_grad_kernels as _gk, distribution_kernels as _dk, random_kernels as _k

DEFAULT_SEED = 67280421310721  # torch's default_rng_seed_val, the seed of a new generator


class MT19937:
    """The state of one CPU generator."""

    __slots__ = ("mt", "pos", "cache", "seed")

    def __init__(self) -> None:
        self.mt = np.empty(_k.N, np.uint32)
        self.pos = np.zeros(2, np.int64)      # torch's [left, next]
        self.cache = np.zeros(2, np.float64)  # [valid, value] of the cached double normal
        self.manual_seed(DEFAULT_SEED)

    def manual_seed(self, seed: int) -> None:
        """Reset the state from seed (its low 32 bits seed MT19937, as in torch)."""
        seed = int(seed)
        if seed < -0x8000_0000_0000_0000 or seed > 0xFFFF_FFFF_FFFF_FFFF:
            raise ValueError("Overflow when unpacking long long")
        self.seed = seed & 0xFFFF_FFFF_FFFF_FFFF
        _k.seed_mt(self.mt, self.pos, self.seed & 0xFFFF_FFFF)
        self.cache[:] = 0.0

    def nondeterministic_seed(self) -> int:
        """Seed from a non-deterministic source and return the seed."""
        s = int.from_bytes(np.random.SeedSequence().entropy.to_bytes(16, "little")[:8], "little") ^ time.time_ns()
        s &= 0xFFFF_FFFF_FFFF_FFFF
        self.manual_seed(s)
        return s


class RandomOps:
    """Op-table methods for random numbers, drawn on the host from an MT19937 state."""

    default_generator = MT19937()

    def _state(self, generator) -> MT19937:
        return self.default_generator if generator is None else generator

    def random_uniform(self, shape, dtype, low: float, high: float, generator=None):
        """uniform_kernel: fma(u, high - low, low) in dtype, u with dtype's mantissa bits."""
        g = self._state(generator)
        if dtype == _float64:
            out = np.empty(tuple(shape), np.float64)
            _k.uniform_f64(g.mt, g.pos, out.reshape(-1), float(low), float(high) - float(low))
            return out
        lo, hi = np.float32(low), np.float32(high)
        out = np.empty(tuple(shape), np.float32)
        _k.uniform_f32(g.mt, g.pos, out.reshape(-1), lo, hi - lo)
        if dtype == _float16:  # torch draws in float32; a value that rounds up to high becomes low
            half = out.astype(np.float16)
            half[half == np.float16(high)] = np.float16(low)
            return half
        return out

    def random_normal(self, shape, dtype, mean: float, std: float, generator=None):
        """normal_kernel: the 16-lane float32 path (float32, >= 16 elements), normal_fill<double>
        (float64, >= 16), else the scalar double path with its cached second sample."""
        g = self._state(generator)
        n = math.prod(shape)
        if n >= 16 and dtype in (_float32, _float16):
            # float16 follows the float32 path: equal to torch except a ragged tail's last 16
            # (torch recomputes those in Half arithmetic)
            out = np.empty(tuple(shape), np.float32)
            _k.normal_fill_f32(g.mt, g.pos, out.reshape(-1), np.float32(mean), np.float32(std))
        elif n >= 16 and dtype == _float64:
            out = np.empty(tuple(shape), np.float64)
            _k.normal_fill_f64(g.mt, g.pos, out.reshape(-1), float(mean), float(std))
        else:
            out = np.empty(tuple(shape), np.float64)
            _k.normal_scalar(g.mt, g.pos, g.cache, out.reshape(-1), float(mean), float(std))
        return out.astype(dtype.np, copy=False)

    def random_bernoulli(self, p, generator=None):
        """bernoulli_tensor_cpu_kernel: True where a uniform < p; float64 p draws float64
        uniforms, any other p float32 ones. A bool array of p's shape."""
        g = self._state(generator)
        out = np.empty(p.shape, np.bool_)
        if p.dtype == np.float64:
            _k.bernoulli_f64(g.mt, g.pos, np.ascontiguousarray(p).reshape(-1), out.reshape(-1))
        else:
            _k.bernoulli_f32(g.mt, g.pos, np.ascontiguousarray(p, np.float32).reshape(-1), out.reshape(-1))
        return out

    def random_integers(self, shape, low: int, high: int, generator=None):
        """random_from_to: int64 draws on [low, high)."""
        g = self._state(generator)
        out = np.empty(tuple(shape), np.int64)
        _k.randint(g.mt, g.pos, out.reshape(-1), low, high - low)
        return out

    def random_permutation(self, n: int, generator=None):
        """randperm_cpu's swaps: a permutation of 0..n-1 (int64)."""
        g = self._state(generator)
        out = np.empty(int(n), np.int64)
        _k.randperm(g.mt, g.pos, out)
        return out

    def random_int64(self, generator=None) -> int:
        """torch.empty((), dtype=torch.int64).random_(generator=g): random64() mod 2**63."""
        g = self._state(generator)
        out = np.empty(1, np.uint64)
        _k.random64(g.mt, g.pos, out)
        return int(out[0]) & (2 ** 63 - 1)

    def random_exponential(self, shape, dtype, generator=None):
        """exponential_(1): -log1p(-u) on float64 uniforms, cast to dtype."""
        u = self.random_uniform(shape, _float64, 0.0, 1.0, generator)
        out = np.empty(u.shape, np.float64)
        _k.exponential(u.reshape(-1), out.reshape(-1))
        return out.astype(dtype.np, copy=False)

    def random_multinomial(self, probs, num_samples: int, generator=None):
        """multinomial with replacement: a binary search of a float64 uniform in each row's
        normalised cumulative sum; probs (rows, k) -> int64 (rows, num_samples)."""
        g = self._state(generator)
        out = np.empty((probs.shape[0], num_samples), np.int64)
        _k.multinomial_replacement(g.mt, g.pos, np.ascontiguousarray(probs), num_samples, out)
        return out

    # ----- the samplers of torch.distributions (distribution_kernels.py) ----------------
    def random_standard_gamma(self, alpha, generator=None):
        """_s_gamma_cpu: Gamma(alpha, 1) of alpha's shape and dtype (float32 / float64)."""
        g = self._state(generator)
        a = _contiguous(alpha)
        out = np.empty(a.shape, a.dtype)
        kernel = _dk.standard_gamma_f32 if a.dtype == np.float32 else _dk.standard_gamma_f64
        kernel(g.mt, g.pos, g.cache, a.reshape(-1), out.reshape(-1))
        return out

    def random_dirichlet(self, alpha, generator=None):
        """_s_dirichlet_cpu: float64 gammas, divided by their sum over the last dim, then
        clamped into [smallest normal, largest below 1] of alpha's dtype."""
        g = self._state(generator)
        a = _contiguous(alpha)
        gam = np.empty(a.shape, np.float64)
        _dk.dirichlet_gammas(g.mt, g.pos, g.cache, a.reshape(-1), gam.reshape(-1))
        x = (gam / _lane_sum(gam)).astype(a.dtype)
        return np.clip(x, np.finfo(a.dtype).tiny, np.nextafter(a.dtype.type(1), a.dtype.type(0)))

    def random_poisson(self, rates, generator=None):
        """_s_poisson_cpu: Poisson(rate) counts of rates' shape, in rates' dtype."""
        g = self._state(generator)
        lam = _contiguous(rates, np.float64)
        out = np.empty(lam.shape, np.float64)
        _dk.poisson(g.mt, g.pos, lam.reshape(-1), out.reshape(-1))
        return out.astype(rates.dtype)

    def standard_gamma_grad(self, alpha, x):
        """_standard_gamma_grad: d x / d alpha of Gamma(alpha, 1) draws x, in alpha's dtype."""
        a = _contiguous(alpha)
        xs = _contiguous(x, a.dtype)
        out = np.empty(a.shape, a.dtype)
        _gk.standard_gamma_grad(a.reshape(-1), xs.reshape(-1), out.reshape(-1))
        return out

    def dirichlet_grad(self, x, alpha, total):
        """_dirichlet_grad: the per-component reparameterised gradient of Dirichlet draws x
        (as Beta(alpha, total - alpha) draws), in x's dtype, computed in float64."""
        xs = _contiguous(x)
        out = np.empty(xs.shape, np.float64)
        _gk.dirichlet_grad(xs.reshape(-1), _contiguous(alpha).reshape(-1),
                           _contiguous(total).reshape(-1), out.reshape(-1))
        return out.astype(xs.dtype)

    def random_binomial(self, count, prob, generator=None):
        """_s_binomial_cpu: Binomial(count, prob) draws of count's shape and dtype (count and
        prob of one shape and float dtype)."""
        g = self._state(generator)
        c = _contiguous(count, np.float64)
        out = np.empty(c.shape, np.float64)
        _dk.binomial(g.mt, g.pos, c.reshape(-1), _contiguous(prob, np.float64).reshape(-1),
                     out.reshape(-1), count.dtype == np.float32)
        return out.astype(count.dtype)

    def random_cauchy(self, shape, dtype, median: float = 0.0, sigma: float = 1.0, generator=None):
        """cauchy_(median, sigma): median + sigma tan(pi (u - 0.5)) of float64 uniforms, as dtype."""
        u = self.random_uniform(shape, _float64, 0.0, 1.0, generator)
        out = np.empty(u.shape, np.float64)
        _dk.cauchy(u.reshape(-1), out.reshape(-1), float(median), float(sigma))
        return out.astype(dtype.np, copy=False)

    def random_geometric(self, shape, dtype, p: float, generator=None):
        """geometric_(p): ceil(log(u) / log1p(-p)) of float64 uniforms (trials up to the first
        success), as dtype."""
        u = self.random_uniform(shape, _float64, 0.0, 1.0, generator)
        out = np.empty(u.shape, np.float64)
        _dk.geometric(u.reshape(-1), out.reshape(-1), float(p))
        return out.astype(dtype.np, copy=False)


def _lane_sum(x: np.ndarray) -> np.ndarray:
    """x summed over its last dim (keepdim) in the order of torch's 4-lane float64 sum:
    lanes accumulate blocks of 4, the remainder goes into lane 0, then the lanes add in
    order. Equal to torch's bits for up to 5 elements and for 4k and 4k + 1 up to 17; for
    other lengths it may differ from torch in the last bit (its cascade differs there)."""
    n = x.shape[-1]
    m = n // 4 * 4
    if m == 0:
        total = x[..., 0].copy()
        for j in range(1, n):
            total += x[..., j]
        return total[..., None]
    acc = x[..., 0:4].copy()
    for i in range(4, m, 4):
        acc += x[..., i:i + 4]
    for j in range(m, n):
        acc[..., 0] += x[..., j]
    total = acc[..., 0] + acc[..., 1]
    total += acc[..., 2]
    total += acc[..., 3]
    return total[..., None]


def _contiguous(a, dtype=None) -> np.ndarray:
    """A C-contiguous array of a's shape (np.ascontiguousarray makes a 0-d array 1-d)."""
    return np.ascontiguousarray(a, dtype).reshape(np.shape(a))
