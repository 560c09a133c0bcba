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
from ._creation import check_shape, require_grad
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
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
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
    seed = int(seed)  # as torch: a float is truncated, a string parsed (ValueError when it is no number)
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
def _shape(size, fn: str, itemsize: int = 8) -> tuple:
    shape = _sizes(size, fn)
    check_shape(shape, itemsize)
    return shape


def _float_dtype(dtype, name: str, fn: str):
    if dtype is not None and not isinstance(dtype, dtypes.dtype):
        raise TypeError(f"{fn}(): argument 'dtype' must be torch.dtype, not {type(dtype).__name__}")
    dtype = dtype or dtypes.get_default_dtype()
    if not dtype.is_floating_point:
        raise NotImplementedError(f"\"{name}\" not implemented for '{dtype.legacy_name}'")
    return dtype


def _check_generator(generator, fn: str) -> None:
    if generator is not None and not isinstance(generator, Generator):
        raise TypeError(f"{fn}(): argument 'generator' must be torch.Generator, not {type(generator).__name__}")


def _check_tensor(input, fn: str) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")


def _float_arg(value, fn: str, arg: str, position: int) -> float:
    if isinstance(value, Tensor) and value.numel() == 1:
        value = value.item()
    if not isinstance(value, (int, float, np.number, np.bool_)):
        raise TypeError(f"{fn}(): argument '{arg}' (position {position}) must be float, not {type(value).__name__}")
    return float(value)


def _device_table(device):
    return _cpu if device is None else backends.get(as_device(device))


def _factory_table(device):
    """The op table of a factory function's device (None: the default device, as PyTorch's
    rand, randn, randint and randperm use it; normal does not)."""
    return backends.get(factory_device(device))


def rand(*size, generator=None, dtype=None, device=None, requires_grad: bool = False):
    """Uniform random numbers in [0, 1)."""
    dtype = _float_dtype(dtype, "check_uniform_bounds", "rand")
    _check_generator(generator, "rand")
    shape = _shape(size, "rand", dtype.itemsize)
    be = _factory_table(device)
    return _finish(be.random_uniform(shape, dtype, 0.0, 1.0, _state(generator)), be, requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad: bool = False):
    """Standard normal random numbers."""
    dtype = _float_dtype(dtype, "normal_kernel_cpu", "randn")
    _check_generator(generator, "randn")
    shape = _shape(size, "randn", dtype.itemsize)
    be = _factory_table(device)
    return _finish(be.random_normal(shape, dtype, 0.0, 1.0, _state(generator)), be, requires_grad)


def rand_like(input, *, generator=None, dtype=None, device=None, requires_grad: bool = False):
    """U[0, 1) numbers in input's shape (and dtype/device unless given)."""
    _check_tensor(input, "rand_like")
    return rand(input.shape, generator=generator, dtype=dtype or input.dtype, device=device or input.device,
                requires_grad=requires_grad)


def randn_like(input, *, generator=None, dtype=None, device=None, requires_grad: bool = False):
    """Standard normal numbers in input's shape (and dtype/device unless given)."""
    _check_tensor(input, "randn_like")
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
        if len(args) < 2:
            raise TypeError("randint() missing required argument 'size' (randint(high, size) or "
                            "randint(low, high, size))")
        size = args.pop()
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint(): argument 'size' (position {len(args) + 1}) must be tuple of ints, not "
                        f"{type(size).__name__}")
    if len(args) == 1:
        low, high = 0, args[0]
    elif len(args) == 2:
        low, high = args
    else:
        raise TypeError("randint() takes (high, size) or (low, high, size)")
    for name, value, position in (("low", low, 1), ("high", high, len(args))):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"randint(): argument '{name}' (position {position}) must be int, not "
                            f"{type(value).__name__}")
    low, high = int(low), int(high)
    for value in (low, high):
        if not -(1 << 63) <= value < (1 << 63):
            raise ValueError("Overflow when unpacking long long")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    if dtype is not None and not isinstance(dtype, dtypes.dtype):
        raise TypeError(f"randint(): argument 'dtype' must be torch.dtype, not {type(dtype).__name__}")
    _check_generator(generator, "randint")
    dtype = dtype or dtypes.int64
    out = _cpu.random_integers(_shape(size, "randint"), low, high, _state(generator))
    return _finish_host(out.astype(dtype.np, copy=False), factory_device(device), requires_grad)


def randperm(n: int, *, generator=None, dtype=None, device=None, requires_grad: bool = False):
    """A random permutation of 0..n-1 (randperm_cpu's swaps)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"randperm(): argument 'n' (position 1) must be int, not {type(n).__name__}")
    _shape((n,), "randperm")
    _check_generator(generator, "randperm")
    if dtype is not None and not isinstance(dtype, dtypes.dtype):
        raise TypeError(f"randperm(): argument 'dtype' must be torch.dtype, not {type(dtype).__name__}")
    dtype = dtype or dtypes.int64
    out = _cpu.random_permutation(int(n), _state(generator))
    return _finish_host(out.astype(dtype.np, copy=False), factory_device(device), requires_grad)


def bernoulli(input, p=None, *, generator=None):
    """0/1 draws in input's dtype: probability input[i], or p for every element when given."""
    _check_tensor(input, "bernoulli")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"bernoulli_tensor_cpu_p_\" not implemented for '{input.dtype.legacy_name}'")
    if p is not None:
        p = _float_arg(p, "bernoulli", "p", 2)
        if not 0 <= p <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p:g}")
    probs = input.detach().cpu().numpy() if p is None else np.full(input.shape, p)
    _check_probability(probs)
    draws = _cpu.random_bernoulli(probs, _state(generator))
    return _finish_host(draws.astype(input.dtype.np), input.device, False)


def _check_probability(p: np.ndarray) -> None:
    if p.size and not ((p >= 0) & (p <= 1)).all():  # (NaN fails both)
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad: bool = False):
    """Normal draws: ``normal(mean_tensor, std_tensor)``, ``normal(mean_tensor, std=1.0)``,
    ``normal(mean, std_tensor)``, or ``normal(mean, std, size)`` for floats."""
    m_is_t, s_is_t = isinstance(mean, Tensor), isinstance(std, Tensor)
    _check_generator(generator, "normal")
    if not (m_is_t or s_is_t):
        if size is None:
            raise TypeError("normal() missing required argument 'size' (when mean and std are floats)")
        mean = _float_arg(mean, "normal", "mean", 1)
        std = _float_arg(std, "normal", "std", 2)
        if not isinstance(size, (tuple, list)):
            raise TypeError(f"normal(): argument 'size' (position 3) must be tuple of ints, not {type(size).__name__}")
        if not std >= 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
        dtype = _float_dtype(dtype, "normal_kernel_cpu", "normal")
        shape = _shape(size, "normal", dtype.itemsize)
        be = _device_table(device)
        return _finish(be.random_normal(shape, dtype, mean, std, _state(generator)), be, requires_grad)
    like = mean if m_is_t else std
    if not like.dtype.is_floating_point:
        raise NotImplementedError(f"\"normal_kernel_cpu\" not implemented for '{like.dtype.legacy_name}'")
    if m_is_t and not s_is_t:
        std = _float_arg(std, "normal", "std", 2)
        if not std >= 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    if not m_is_t:
        mean = _float_arg(mean, "normal", "mean", 1)
    if s_is_t and std.numel() and not (std.detach().cpu().numpy() >= 0).all():
        raise RuntimeError("normal expects all elements of std >= 0.0")
    if m_is_t and s_is_t and mean.shape != std.shape:
        from ._ops._common import broadcast_shapes
        broadcast_shapes(mean.shape, std.shape)
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
    _check_tensor(input, "multinomial")
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)):
        raise TypeError(f"multinomial(): argument 'num_samples' (position 2) must be int, not "
                        f"{type(num_samples).__name__}")
    _check_generator(generator, "multinomial")
    probs = input.detach().cpu().numpy()
    if probs.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: {input.dtype.legacy_name}")
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
    return require_grad(t) if requires_grad else t


# ----- the in-place random fills of a tensor -------------------------------------------------
@method
def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator=None):
    """Fill with draws from the uniform distribution on [a, b)."""
    a, b = _float_arg(a, "uniform_", "from", 1), _float_arg(b, "uniform_", "to", 2)
    if not self.dtype.is_floating_point:
        raise NotImplementedError(f"\"check_uniform_bounds\" not implemented for '{self.dtype.legacy_name}'")
    limit = float(np.finfo(self.dtype.np).max)
    for name, value in (("from", a), ("to", b)):
        if not -limit <= value <= limit:
            raise RuntimeError(f"{name} is out of bounds for {self.dtype.c_name}")
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={a:g} > to={b:g}")
    _check_generator(generator, "uniform_")
    return _fill_random(self, self._backend.random_uniform(self.shape, self.dtype, a, b, _state(generator)))


@method
def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator=None):
    """Fill with draws from the normal distribution N(mean, std^2)."""
    mean, std = _float_arg(mean, "normal_", "mean", 1), _float_arg(std, "normal_", "std", 2)
    if not self.dtype.is_floating_point:
        raise NotImplementedError(f"\"normal_kernel_cpu\" not implemented for '{self.dtype.legacy_name}'")
    if not std >= 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    _check_generator(generator, "normal_")
    return _fill_random(self, self._backend.random_normal(self.shape, self.dtype, mean, std, _state(generator)))


@method
def bernoulli_(self, p=0.5, *, generator=None):
    """Fill with 0/1 draws: 1 with probability p (a float, or a tensor broadcast to self)."""
    _check_generator(generator, "bernoulli_")
    if isinstance(p, Tensor):
        from ._ops._common import broadcast_shapes
        if broadcast_shapes(self.shape, p.shape) != self.shape:
            raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the broadcast shape "
                               f"{list(broadcast_shapes(self.shape, p.shape))}")
        probs = np.broadcast_to(p.detach().cpu().numpy(), self.shape)
    else:
        p = _float_arg(p, "bernoulli_", "p", 1)
        if not 0 <= p <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p:g}")
        probs = np.full(self.shape, p)
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
