"""Random numbers, identical to PyTorch's CPU generator: same seed, same digits.

``Generator`` holds at::mt19937's state (624 uint32 words and torch's two counters)
and the cached second sample of the scalar normal path, in NumPy arrays that the
numba kernels of ``backends/cpu/random_kernels.py`` update in place. Every function
here makes the same draws, in the same order and with the same roundings, as the
ATen kernel it mirrors (named in each docstring), so ``manual_seed(1); randn(3)``
prints what PyTorch prints. The specification and its NumPy oracle live in
shared/reference/TORCH_CPU_RNG.md and torch_cpu_rng.py.
"""
from __future__ import annotations

import math
import sys
import time

import numpy as np

from . import dtypes
from ._declare import method
from ._size import sizes as _sizes
from .backends.cpu import random_kernels as _k

_DEFAULT_SEED = 67280421310721  # torch's default_rng_seed_val, the seed of a new Generator

# torch's CPUGeneratorImplState, byte for byte (get_state/set_state exchange it):
# the legacy THGeneratorState (64-bit state words) plus the float normal cache.
_STATE = np.dtype([("the_initial_seed", "<u8"), ("left", "<i4"), ("seeded", "<i4"), ("next", "<u8"),
                   ("state", "<u8", (_k.N,)), ("normal_x", "<f8"), ("normal_y", "<f8"),
                   ("normal_rho", "<f8"), ("normal_is_valid", "<i4"), ("_pad0", "V4"),
                   ("next_float_normal_sample", "<f4"), ("is_next_float_normal_sample_valid", "u1"),
                   ("_pad1", "V3")])
assert _STATE.itemsize == 5056


class Generator:
    """A source of random numbers with its own state, as torch.Generator (CPU, MT19937)."""

    def __init__(self, device="cpu") -> None:
        self.device = device
        self._mt = np.empty(_k.N, np.uint32)
        self._pos = np.zeros(2, np.int64)      # torch's [left, next]
        self._cache = np.zeros(2, np.float64)  # [valid, value] of the cached double normal
        self.manual_seed(_DEFAULT_SEED)

    def manual_seed(self, seed: int) -> "Generator":
        """Reset the state from seed (its low 32 bits seed MT19937, as in torch)."""
        seed = int(seed)
        if seed < -0x8000_0000_0000_0000 or seed > 0xFFFF_FFFF_FFFF_FFFF:
            raise RuntimeError("Overflow when unpacking long")
        self._seed = seed & 0xFFFF_FFFF_FFFF_FFFF
        _k.seed_mt(self._mt, self._pos, self._seed & 0xFFFF_FFFF)
        self._cache[:] = 0.0
        return self

    def seed(self) -> int:
        """Seed from a non-deterministic source and return the seed."""
        s = int.from_bytes(np.random.SeedSequence().entropy.to_bytes(16, "little")[:8], "little") ^ time.time_ns()
        s &= 0xFFFF_FFFF_FFFF_FFFF
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self):
        """The state as a 5056-byte uint8 tensor laid out as torch's CPUGeneratorImplState."""
        from ._creation import tensor
        st = np.zeros((), _STATE)
        st["the_initial_seed"] = self._seed
        st["left"], st["next"] = self._pos
        st["seeded"] = 1
        st["state"] = self._mt
        if self._cache[0]:
            st["normal_is_valid"], st["normal_y"] = 1, self._cache[1]
        return tensor(np.frombuffer(st.tobytes(), np.uint8).copy(), dtype=dtypes.uint8)

    def set_state(self, new_state) -> "Generator":
        """Restore a state from get_state (or from torch.get_rng_state().numpy())."""
        data = np.asarray(new_state.numpy() if hasattr(new_state, "numpy") else new_state)
        if data.dtype != np.uint8:
            raise TypeError(f"expected a torch.ByteTensor, but got {data.dtype}")
        if data.size != _STATE.itemsize:
            raise RuntimeError("Expected either a THGeneratorState of size 5048 or a CPUGeneratorImplState "
                               f"of size 5056 but found the input RNG state size to be {data.size}")
        st = np.frombuffer(data.tobytes(), _STATE)[0]
        left, nxt = int(st["left"]), int(st["next"])
        if not st["seeded"] or not 0 < left <= _k.N or nxt > _k.N:
            raise RuntimeError("Invalid mt19937 state")
        self._seed = int(st["the_initial_seed"])
        self._mt[:] = st["state"].astype(np.uint32)
        self._pos[:] = left, nxt
        self._cache[:] = (1.0, st["normal_y"]) if st["normal_is_valid"] else (0.0, 0.0)
        return self


default_generator = Generator()


def _gen(generator) -> Generator:
    return default_generator if generator is None else generator


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (and the CUDA device's, as torch.manual_seed does)."""
    out = default_generator.manual_seed(seed)
    from .backends.cuda import _runtime
    _runtime.SEED[0] = int(seed)
    cuda_random = sys.modules.get("minitorch.backends.cuda._random")
    if cuda_random is not None:
        cuda_random.manual_seed(int(seed))
    return out


def _cuda_backend(device, generator):
    """The CUDA op table when device is a GPU (None for the CPU); a GPU draws on its own
    generator, so a CPU Generator cannot be used there (torch's error)."""
    if device is None:
        return None
    from .device import as_device
    d = as_device(device)
    if d.type != "cuda":
        return None
    if generator is not None:
        raise RuntimeError("Expected a 'cuda' device type for generator but found 'cpu'")
    from . import backends
    return backends.get(d)


def seed() -> int:
    """Seed the default generator non-deterministically; return the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    """The seed the default generator was last seeded with."""
    return default_generator.initial_seed()


def get_rng_state():
    """The default generator's state as a uint8 tensor (PyTorch's 5056-byte layout)."""
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    """Restore the default generator from a state given by get_rng_state."""
    default_generator.set_state(new_state)


# ---------- the draws other modules build on (NumPy arrays in, NumPy arrays out) ----------

def _float_dtype(dtype, name: str):
    dtype = dtype or dtypes.get_default_dtype()
    if not dtype.is_floating_point:
        raise RuntimeError(f"\"{name}\" not implemented for '{dtype.legacy_name}'")
    return dtype


def _uniform(shape, low, high, dtype, generator) -> np.ndarray:
    """uniform_kernel: fma(u, high - low, low) in dtype, u with dtype's mantissa bits."""
    g = _gen(generator)
    if dtype == dtypes.float64:
        out = np.empty(tuple(shape), np.float64)
        _k.uniform_f64(g._mt, g._pos, out.reshape(-1), float(low), float(high) - float(low))
        return out
    lo, hi = np.float32(low), np.float32(high)
    out = np.empty(tuple(shape), np.float32)
    _k.uniform_f32(g._mt, g._pos, out.reshape(-1), lo, hi - lo)
    if dtype == dtypes.float16:  # torch draws in float32; a value that rounds up to high becomes low
        half = out.astype(np.float16)
        half[half == np.float16(high)] = np.float16(low)
        return half
    return out


def _normal(shape, mean, std, dtype, generator) -> np.ndarray:
    """normal_kernel: the 16-lane float32 path (float32, >= 16 elements), normal_fill<double>
    (float64, >= 16), else the scalar double path with its cached second sample."""
    g = _gen(generator)
    n = math.prod(shape)
    if n >= 16 and dtype in (dtypes.float32, dtypes.float16):
        # float16 follows the float32 path: equal to torch except a ragged tail's last 16
        # (torch recomputes those in Half arithmetic)
        out = np.empty(tuple(shape), np.float32)
        _k.normal_fill_f32(g._mt, g._pos, out.reshape(-1), np.float32(mean), np.float32(std))
    elif n >= 16 and dtype == dtypes.float64:
        out = np.empty(tuple(shape), np.float64)
        _k.normal_fill_f64(g._mt, g._pos, out.reshape(-1), float(mean), float(std))
    else:
        out = np.empty(tuple(shape), np.float64)
        _k.normal_scalar(g._mt, g._pos, g._cache, out.reshape(-1), float(mean), float(std))
    return out.astype(dtype.np, copy=False)


def _bernoulli(p: np.ndarray, generator) -> np.ndarray:
    """bernoulli_tensor_cpu_kernel: True where a uniform < p; float64 p draws float64
    uniforms, any other p float32 ones. Returns a bool array of p's shape."""
    g = _gen(generator)
    out = np.empty(p.shape, np.bool_)
    if p.dtype == np.float64:
        _k.bernoulli_f64(g._mt, g._pos, np.ascontiguousarray(p).reshape(-1), out.reshape(-1))
    else:
        _k.bernoulli_f32(g._mt, g._pos, np.ascontiguousarray(p, np.float32).reshape(-1), out.reshape(-1))
    return out


def _random_int64(generator) -> int:
    """torch.empty((), dtype=torch.int64).random_(generator=g): random64() mod 2**63."""
    g = _gen(generator)
    out = np.empty(1, np.uint64)
    _k.random64(g._mt, g._pos, out)
    return int(out[0]) & (2 ** 63 - 1)


def _exponential(shape, dtype, generator) -> np.ndarray:
    """exponential_(1): -log1p(-u) on float64 uniforms, cast to dtype."""
    u = _uniform(shape, 0.0, 1.0, dtypes.float64, generator)
    out = np.empty(u.shape, np.float64)
    _k.exponential(u.reshape(-1), out.reshape(-1))
    return out.astype(dtype.np, copy=False)


# ---------- public functions ----------

def _shape(size) -> tuple:
    shape = _sizes(size)
    for s in shape:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(shape)}")
    return shape


def _finish_cuda(data, backend, requires_grad):
    from .tensor import Tensor
    t = Tensor._wrap(data, backend)
    return t.requires_grad_(True) if requires_grad else t


def _wrap(data, device, requires_grad):
    from ._creation import _finish
    return _finish(data, device, requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad: bool = False):
    """Uniform random numbers in [0, 1)."""
    dtype = _float_dtype(dtype, "check_uniform_bounds")
    be = _cuda_backend(device, generator)
    if be is not None:
        from .backends.cuda import _random as cuda_random
        return _finish_cuda(cuda_random.uniform(_shape(size), dtype.np, 0.0, 1.0), be, requires_grad)
    return _wrap(_uniform(_shape(size), 0.0, 1.0, dtype, generator), device, requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad: bool = False):
    """Standard normal random numbers."""
    dtype = _float_dtype(dtype, "normal_kernel_cpu")
    be = _cuda_backend(device, generator)
    if be is not None:
        from .backends.cuda import _random as cuda_random
        return _finish_cuda(cuda_random.normal(_shape(size), dtype.np, 0.0, 1.0), be, requires_grad)
    return _wrap(_normal(_shape(size), 0.0, 1.0, dtype, generator), device, requires_grad)


def rand_like(input, *, generator=None, dtype=None, device=None, requires_grad: bool = False):
    """U[0, 1) numbers in input's shape (and dtype/device unless given)."""
    return rand(input.shape, generator=generator, dtype=dtype or input.dtype, device=device or input.device,
                requires_grad=requires_grad)


def randn_like(input, *, generator=None, dtype=None, device=None, requires_grad: bool = False):
    """Standard normal numbers in input's shape (and dtype/device unless given)."""
    return randn(input.shape, generator=generator, dtype=dtype or input.dtype, device=device or input.device,
                 requires_grad=requires_grad)


def randint(*args, size=None, low=None, high=None, generator=None, dtype=None, device=None,
            requires_grad: bool = False):
    """Random integers in [low, high): ``randint(high, size)`` or ``randint(low, high, size)``."""
    args = list(args)
    if high is not None:
        args = [0 if low is None else low, high] + args
    elif low is not None:
        args = [low] + args
    if size is None:
        if not args or not isinstance(args[-1], (tuple, list)):
            raise TypeError("randint() missing required argument 'size'")
        size = args.pop()
    if len(args) == 1:
        low, high = 0, args[0]
    elif len(args) == 2:
        low, high = args
    else:
        raise TypeError("randint() takes (high, size) or (low, high, size)")
    low, high = int(low), int(high)
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    dtype = dtype or dtypes.int64
    g = _gen(generator)
    out = np.empty(_shape((size,) if isinstance(size, int) else size), np.int64)
    _k.randint(g._mt, g._pos, out.reshape(-1), low, high - low)
    return _wrap(out.astype(dtype.np, copy=False), device, requires_grad)


def randperm(n: int, *, generator=None, dtype=None, device=None, requires_grad: bool = False):
    """A random permutation of 0..n-1 (randperm_cpu's swaps)."""
    if n < 0:
        raise RuntimeError(f"n must be non-negative, got{n}")
    dtype = dtype or dtypes.int64
    g = _gen(generator)
    out = np.empty(int(n), np.int64)
    _k.randperm(g._mt, g._pos, out)
    return _wrap(out.astype(dtype.np, copy=False), device, requires_grad)


def bernoulli(input, p=None, *, generator=None):
    """0/1 draws in input's dtype: probability input[i], or p for every element when given."""
    from .tensor import Tensor
    if not isinstance(input, Tensor):
        raise TypeError(f"bernoulli(): argument 'input' must be Tensor, not {type(input).__name__}")
    probs = input.numpy() if p is None else np.full(input.shape, float(p))
    _check_probability(probs)
    return _wrap(_bernoulli(probs, generator).astype(input.dtype.np), input.device, False)


def _check_probability(p: np.ndarray) -> None:
    if p.size and not ((p >= 0) & (p <= 1)).all():
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad: bool = False):
    """Normal draws: ``normal(mean_tensor, std_tensor)``, ``normal(mean_tensor, std=1.0)``,
    ``normal(mean, std_tensor)``, or ``normal(mean, std, size)`` for floats."""
    from .tensor import Tensor
    m_is_t, s_is_t = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not (m_is_t or s_is_t):
        if size is None:
            raise TypeError("normal() missing required argument 'size' (when mean and std are floats)")
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        dtype = _float_dtype(dtype, "normal_kernel_cpu")
        return _wrap(_normal(_shape(size), mean, std, dtype, generator), device, requires_grad)
    if s_is_t and std.numel() and (std.numpy() < 0).any():
        raise RuntimeError("normal expects all elements of std >= 0.0")
    like = mean if m_is_t else std
    mean_np = mean.numpy() if m_is_t else like.dtype.np.type(mean)
    if s_is_t:  # torch: output.normal_(0, 1); output.mul_(std).add_(mean)
        shape = np.broadcast_shapes(np.shape(mean_np), std.shape)
        out = _normal(shape, 0.0, 1.0, like.dtype, generator) * std.numpy() + mean_np
    else:       # torch: output.normal_(0, std); output.add_(mean)
        out = _normal(mean.shape, 0.0, std, like.dtype, generator) + mean_np
    return _wrap(np.asarray(out, like.dtype.np), like.device, requires_grad)


def multinomial(input, num_samples: int, replacement: bool = False, *, generator=None):
    """Indices drawn from each row of input (k,) or (rows, k) with probability proportional
    to its values; int64 of shape (num_samples,) or (rows, num_samples).

    As torch: without replacement (or for one sample) argmax / topk of p / Exp(1) draws;
    with replacement, a binary search of a float64 uniform in the normalised cumsum."""
    probs = input.numpy()
    if probs.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not input.dtype.is_floating_point:
        raise RuntimeError("multinomial only supports floating-point dtypes for input")
    k = probs.shape[-1]
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > k:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    rows = probs.reshape(-1, k)
    if not np.isfinite(rows).all() or (rows < 0).any():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if (rows.sum(axis=1) <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    if not replacement or num_samples == 1:
        q = rows / _exponential(rows.shape, input.dtype, generator)
        if num_samples == 1:
            out = np.argmax(q, axis=1)[:, None]
        else:  # topk: largest first; a stable sort keeps the lower index first on ties
            out = np.argsort(-q, axis=1, kind="stable")[:, :num_samples]
    else:
        g = _gen(generator)
        out = np.empty((rows.shape[0], num_samples), np.int64)
        _k.multinomial_replacement(g._mt, g._pos, np.ascontiguousarray(rows), num_samples, out)
    out = out.astype(np.int64).reshape(probs.shape[:-1] + (num_samples,))
    return _wrap(out, input.device, False)


# ----- the in-place random fills of a tensor -------------------------------------------------
@method
def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator=None):
    """Fill with draws from the uniform distribution on [a, b)."""
    if _cuda_backend(self.device, generator) is not None:
        from .backends.cuda import _random as cuda_random
        return _fill_random(self, cuda_random.uniform(self.shape, self.dtype.np, a, b))
    return _fill_random(self, _uniform(self.shape, a, b, self.dtype, generator))


@method
def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator=None):
    """Fill with draws from the normal distribution N(mean, std^2)."""
    if _cuda_backend(self.device, generator) is not None:
        from .backends.cuda import _random as cuda_random
        return _fill_random(self, cuda_random.normal(self.shape, self.dtype.np, mean, std))
    return _fill_random(self, _normal(self.shape, mean, std, self.dtype, generator))


@method
def bernoulli_(self, p=0.5, *, generator=None):
    """Fill with 0/1 draws: 1 with probability p (a float, or a tensor broadcast to self)."""
    from .tensor import Tensor
    probs = np.broadcast_to(p.numpy(), self.shape) if isinstance(p, Tensor) else np.full(self.shape, float(p))
    _check_probability(probs)
    return _fill_random(self, _bernoulli(probs, generator).astype(self.dtype.np))


def _fill_random(t, values):
    """Write values (raw, or a host array) into t, as an in-place op outside the graph."""
    from ._ops.inplace import check_inplace
    if check_inplace(t):
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    t._backend.copy_into(t._data, values if values.__class__ is not np.ndarray else t._backend.from_numpy(values))
    t._vbox[0] += 1
    return t
