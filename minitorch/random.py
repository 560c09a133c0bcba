"""Random numbers: Generator, the default generator, manual_seed, rand/randn/randint/randperm.

The engine is NumPy's MT19937 seeded from the user's seed. Same seed, same numbers
across runs and platforms; bit-compatibility with PyTorch's own generator is a
separate piece of work (see docs/porting-from-pytorch.md).
"""
from __future__ import annotations

import json
import time

import numpy as np

from . import dtypes
from ._tensor_ops import _sizes


class Generator:
    """A source of random numbers with its own state, as torch.Generator."""

    def __init__(self, device="cpu") -> None:
        self.device = device
        self.manual_seed(67280421310721)

    def manual_seed(self, seed: int) -> "Generator":
        """Reset the state from seed; the same seed gives the same numbers."""
        seed = int(seed)
        if seed < -0x8000_0000_0000_0000 or seed > 0xFFFF_FFFF_FFFF_FFFF:
            raise RuntimeError("Overflow when unpacking long")
        self._seed = seed & 0xFFFF_FFFF_FFFF_FFFF
        self._rng = np.random.Generator(np.random.MT19937(self._seed))
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
        """The full state as a uint8 tensor (restore it with set_state)."""
        from ._creation import tensor
        state = self._rng.bit_generator.state
        blob = json.dumps({"seed": self._seed, "key": state["state"]["key"].tolist(),
                           "pos": state["state"]["pos"]}).encode()
        return tensor(list(blob), dtype=dtypes.uint8)

    def set_state(self, new_state) -> "Generator":
        try:
            blob = json.loads(bytes(new_state.tolist()).decode())
        except (ValueError, UnicodeDecodeError, AttributeError):
            raise RuntimeError("Invalid generator state") from None
        self._seed = blob["seed"]
        bitgen = np.random.MT19937()
        bitgen.state = {"bit_generator": "MT19937",
                        "state": {"key": np.array(blob["key"], dtype=np.uint32), "pos": blob["pos"]}}
        self._rng = np.random.Generator(bitgen)
        return self


default_generator = Generator()


def _gen(generator) -> Generator:
    return default_generator if generator is None else generator


def manual_seed(seed: int) -> Generator:
    """Seed the default generator."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    default_generator.set_state(new_state)


def _float_dtype(dtype, name: str):
    dtype = dtype or dtypes.get_default_dtype()
    if not dtype.is_floating_point:
        raise RuntimeError(f"\"{name}\" not implemented for '{dtype.name.capitalize()}'")
    return dtype


def _uniform(shape, low, high, dtype, generator) -> np.ndarray:
    values = _gen(generator)._rng.random(tuple(shape), dtype=np.float64)
    return (low + (high - low) * values).astype(dtype.np)


def _normal(shape, mean, std, dtype, generator) -> np.ndarray:
    values = _gen(generator)._rng.standard_normal(tuple(shape), dtype=np.float64)
    return (mean + std * values).astype(dtype.np)


def _shape(size) -> tuple:
    shape = _sizes(size)
    for s in shape:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(shape)}")
    return shape


def _wrap(data, device, requires_grad):
    from ._creation import _finish
    return _finish(data, device, requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad: bool = False):
    """Uniform random numbers in [0, 1)."""
    dtype = _float_dtype(dtype, "check_uniform_bounds")
    return _wrap(_uniform(_shape(size), 0.0, 1.0, dtype, generator), device, requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad: bool = False):
    """Standard normal random numbers."""
    dtype = _float_dtype(dtype, "normal_kernel_cpu")
    return _wrap(_normal(_shape(size), 0.0, 1.0, dtype, generator), device, requires_grad)


def rand_like(input, *, dtype=None, device=None, requires_grad: bool = False):
    return rand(input.shape, dtype=dtype or input.dtype, device=device or input.device, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, device=None, requires_grad: bool = False):
    return randn(input.shape, dtype=dtype or input.dtype, device=device or input.device, requires_grad=requires_grad)


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
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    dtype = dtype or dtypes.int64
    data = _gen(generator)._rng.integers(int(low), int(high), size=_shape((size,) if isinstance(size, int) else size))
    return _wrap(np.asarray(data).astype(dtype.np), device, requires_grad)


def randperm(n: int, *, generator=None, dtype=None, device=None, requires_grad: bool = False):
    """A random permutation of 0..n-1."""
    if n < 0:
        raise RuntimeError(f"n must be non-negative, got{n}")
    dtype = dtype or dtypes.int64
    return _wrap(_gen(generator)._rng.permutation(int(n)).astype(dtype.np), device, requires_grad)
