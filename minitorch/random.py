"""Random numbers, identical to PyTorch's CPU generator: same seed, same digits.

The draws belong to the devices' op tables (``random_uniform``, ``random_normal``, ... of
_backends/base.py): the CPU's reproduce PyTorch's CPU kernels bit for bit from an MT19937
state (_backends/cpu/random_ops.py; the specification and its NumPy oracle live in
shared/reference/TORCH_CPU_RNG.md and torch_cpu_rng.py), a GPU draws on its own generator.
This module is the public face: ``Generator``, ``manual_seed``, ``rand``, ``randn``,
``randint``, ... and the in-place fills ``uniform_``, ``normal_``, ``bernoulli_``.
Functions without a device of their own (randint, randperm, bernoulli, normal of tensors,
multinomial) draw on the CPU generator, then move the result, as before.
"""
from __future__ import annotations

import numpy as np

from . import _backends as backends, dtypes
from ._declare import method
from ._size import sizes as _sizes
from ._ops.inplace import check_inplace
from ._backends.cpu.random_ops import MT19937
from .device import as_device, factory_device
from .tensor import Tensor

_cpu = backends.cpu

# torch's CPUGeneratorImplState, byte for byte (get_state/set_state exchange it):
# the legacy THGeneratorState (64-bit state words) plus the float normal cache.
_STATE = np.dtype([("the_initial_seed", "<u8"), ("left", "<i4"), ("seeded", "<i4"), ("next", "<u8"),
                   ("state", "<u8", (624,)), ("normal_x", "<f8"), ("normal_y", "<f8"),
                   ("normal_rho", "<f8"), ("normal_is_valid", "<i4"), ("_pad0", "V4"),
                   ("next_float_normal_sample", "<f4"), ("is_next_float_normal_sample_valid", "u1"),
                   ("_pad1", "V3")])
assert _STATE.itemsize == 5056


class Generator:
    """A source of random numbers with its own state, as torch.Generator (CPU, MT19937)."""

    def __init__(self, device="cpu", *, _state: MT19937 | None = None) -> None:
        self.device = device
        self._mt19937 = MT19937() if _state is None else _state

    def manual_seed(self, seed: int) -> "Generator":
        """Reset the state from seed (its low 32 bits seed MT19937, as in torch)."""
        self._mt19937.manual_seed(seed)
        return self

    def seed(self) -> int:
        """Seed from a non-deterministic source and return the seed."""
        return self._mt19937.nondeterministic_seed()

    def initial_seed(self) -> int:
        return self._mt19937.seed

    def get_state(self):
        """The state as a 5056-byte uint8 tensor laid out as torch's CPUGeneratorImplState."""
        from ._creation import tensor
        g = self._mt19937
        st = np.zeros((), _STATE)
        st["the_initial_seed"] = g.seed
        st["left"], st["next"] = g.pos
        st["seeded"] = 1
        st["state"] = g.mt
        if g.cache[0]:
            st["normal_is_valid"], st["normal_y"] = 1, g.cache[1]
        return tensor(np.frombuffer(st.tobytes(), np.uint8).copy(), dtype=dtypes.uint8, device="cpu")

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
        if not st["seeded"] or not 0 < left <= 624 or nxt > 624:
            raise RuntimeError("Invalid mt19937 state")
        g = self._mt19937
        g.seed = int(st["the_initial_seed"])
        g.mt[:] = st["state"].astype(np.uint32)
        g.pos[:] = left, nxt
        g.cache[:] = (1.0, st["normal_y"]) if st["normal_is_valid"] else (0.0, 0.0)
        return self


default_generator = Generator(_state=_cpu.default_generator)


def _state(generator):
    """The op tables take a generator's state (None: the device's own generator)."""
    return None if generator is None else generator._mt19937


def manual_seed(seed: int) -> Generator:
    """Seed the default generator and every device's (as torch.manual_seed does)."""
    out = default_generator.manual_seed(seed)
    backends.manual_seed_devices(int(seed))
    return out


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


# ---------- public functions ----------
def _shape(size) -> tuple:
    shape = _sizes(size)
    for s in shape:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(shape)}")
    return shape


def _float_dtype(dtype, name: str):
    dtype = dtype or dtypes.get_default_dtype()
    if not dtype.is_floating_point:
        raise RuntimeError(f"\"{name}\" not implemented for '{dtype.legacy_name}'")
    return dtype


def _device_table(device):
    return _cpu if device is None else backends.get(as_device(device))


def _factory_table(device):
    """The op table of a factory function's device (None: the default device, as PyTorch's
    rand, randn, randint and randperm use it; normal does not)."""
    return backends.get(factory_device(device))


def rand(*size, generator=None, dtype=None, device=None, requires_grad: bool = False):
    """Uniform random numbers in [0, 1)."""
    dtype = _float_dtype(dtype, "check_uniform_bounds")
    be = _factory_table(device)
    return _finish(be.random_uniform(_shape(size), dtype, 0.0, 1.0, _state(generator)), be, requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad: bool = False):
    """Standard normal random numbers."""
    dtype = _float_dtype(dtype, "normal_kernel_cpu")
    be = _factory_table(device)
    return _finish(be.random_normal(_shape(size), dtype, 0.0, 1.0, _state(generator)), be, requires_grad)


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
    out = _cpu.random_integers(_shape((size,) if isinstance(size, int) else size), low, high, _state(generator))
    return _finish_host(out.astype(dtype.np, copy=False), factory_device(device), requires_grad)


def randperm(n: int, *, generator=None, dtype=None, device=None, requires_grad: bool = False):
    """A random permutation of 0..n-1 (randperm_cpu's swaps)."""
    if n < 0:
        raise RuntimeError(f"n must be non-negative, got{n}")
    dtype = dtype or dtypes.int64
    out = _cpu.random_permutation(int(n), _state(generator))
    return _finish_host(out.astype(dtype.np, copy=False), factory_device(device), requires_grad)


def bernoulli(input, p=None, *, generator=None):
    """0/1 draws in input's dtype: probability input[i], or p for every element when given."""
    if not isinstance(input, Tensor):
        raise TypeError(f"bernoulli(): argument 'input' must be Tensor, not {type(input).__name__}")
    probs = input.detach().cpu().numpy() if p is None else np.full(input.shape, float(p))
    _check_probability(probs)
    draws = _cpu.random_bernoulli(probs, _state(generator))
    return _finish_host(draws.astype(input.dtype.np), input.device, False)


def _check_probability(p: np.ndarray) -> None:
    if p.size and not ((p >= 0) & (p <= 1)).all():
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad: bool = False):
    """Normal draws: ``normal(mean_tensor, std_tensor)``, ``normal(mean_tensor, std=1.0)``,
    ``normal(mean, std_tensor)``, or ``normal(mean, std, size)`` for floats."""
    m_is_t, s_is_t = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not (m_is_t or s_is_t):
        if size is None:
            raise TypeError("normal() missing required argument 'size' (when mean and std are floats)")
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        dtype = _float_dtype(dtype, "normal_kernel_cpu")
        be = _device_table(device)
        return _finish(be.random_normal(_shape(size), dtype, mean, std, _state(generator)), be, requires_grad)
    if s_is_t and std.numel() and (std.detach().cpu().numpy() < 0).any():
        raise RuntimeError("normal expects all elements of std >= 0.0")
    like = mean if m_is_t else std
    mean_np = mean.detach().cpu().numpy() if m_is_t else like.dtype.np.type(mean)
    g = _state(generator)
    if s_is_t:  # torch: output.normal_(0, 1); output.mul_(std).add_(mean)
        shape = np.broadcast_shapes(np.shape(mean_np), std.shape)
        out = _cpu.random_normal(shape, like.dtype, 0.0, 1.0, g) * std.detach().cpu().numpy() + mean_np
    else:       # torch: output.normal_(0, std); output.add_(mean)
        out = _cpu.random_normal(mean.shape, like.dtype, 0.0, std, g) + mean_np
    return _finish_host(np.asarray(out, like.dtype.np), like.device, requires_grad)


def multinomial(input, num_samples: int, replacement: bool = False, *, generator=None):
    """Indices drawn from each row of input (k,) or (rows, k) with probability proportional
    to its values; int64 of shape (num_samples,) or (rows, num_samples).

    As torch: without replacement (or for one sample) argmax / topk of p / Exp(1) draws;
    with replacement, a binary search of a float64 uniform in the normalised cumsum."""
    probs = input.detach().cpu().numpy()
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
    g = _state(generator)
    if not replacement or num_samples == 1:
        q = rows / _cpu.random_exponential(rows.shape, input.dtype, g)
        if num_samples == 1:
            out = np.argmax(q, axis=1)[:, None]
        else:  # topk: largest first; a stable sort keeps the lower index first on ties
            out = np.argsort(-q, axis=1, kind="stable")[:, :num_samples]
    else:
        out = _cpu.random_multinomial(rows, num_samples, g)
    out = out.astype(np.int64).reshape(probs.shape[:-1] + (num_samples,))
    return _finish_host(out, input.device, False)


def random_int64(generator=None) -> int:
    """A random non-negative int64 from the CPU generator (what seeds a DataLoader's workers)."""
    return _cpu.random_int64(_state(generator))


def _finish_host(data: np.ndarray, device, requires_grad: bool) -> Tensor:
    """A host draw as a tensor on device."""
    be = _device_table(device)
    return _finish(be.from_numpy(data), be, requires_grad)


def _finish(data, be, requires_grad: bool) -> Tensor:
    t = Tensor._wrap(data, be)
    return t.requires_grad_(True) if requires_grad else t


# ----- the in-place random fills of a tensor -------------------------------------------------
@method
def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator=None):
    """Fill with draws from the uniform distribution on [a, b)."""
    return _fill_random(self, self._backend.random_uniform(self.shape, self.dtype, a, b, _state(generator)))


@method
def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator=None):
    """Fill with draws from the normal distribution N(mean, std^2)."""
    return _fill_random(self, self._backend.random_normal(self.shape, self.dtype, mean, std, _state(generator)))


@method
def bernoulli_(self, p=0.5, *, generator=None):
    """Fill with 0/1 draws: 1 with probability p (a float, or a tensor broadcast to self)."""
    probs = np.broadcast_to(p.detach().cpu().numpy(), self.shape) if isinstance(p, Tensor) \
        else np.full(self.shape, float(p))
    _check_probability(probs)
    draws = _cpu.random_bernoulli(probs, _state(generator)).astype(self.dtype.np)
    return _fill_random(self, self._backend.from_numpy(draws))


def _fill_random(t: Tensor, values) -> Tensor:
    """Write raw values of t's device into t, as an in-place op outside the graph."""
    if check_inplace(t):
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    t._backend.copy_into(t._data, values)
    t._vbox[0] += 1
    return t
