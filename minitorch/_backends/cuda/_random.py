"""The CUDA device's random number generator: numbers made on the GPU, never copied over.

One xoroshiro128+ generator per thread of a fixed grid (``numba.cuda.random``:
``create_xoroshiro128p_states`` seeds them as subsequences 2**64 steps apart), kept in
device memory for the whole process and created lazily on first use. A fill kernel is a
grid-stride loop: thread ``tid`` draws the values of its elements, in order, from state
``tid``, and the state advances in place, so consecutive calls give fresh numbers.

CUDA random streams are minitorch's own: they are NOT torch's CUDA Philox (curand)
stream, so ``torch.cuda.manual_seed(s); torch.rand(n, device="cuda")`` and minitorch's
equivalent give different numbers. Within minitorch they are reproducible:
``manual_seed(s)`` re-creates the states, and the same seed followed by the same
sequence of calls (shapes, dtypes) gives the same values. (The grid, and so the
streams, differ between numba's simulator, 32-thread blocks, and a GPU.)

The number of states is ``_RNG_BLOCKS * THREADS`` (at most 1024 blocks of 256
threads on a GPU: 262144 states, 4 MiB): numba initialises the states on the host
(a 2**64-step jump per state), so a full ``MAX_BLOCKS * THREADS`` set (2M states)
would cost about a second at every ``manual_seed``; a quarter of a million threads
already saturate an H100's memory bandwidth for a fill.

The generator core is numba's (``xoroshiro128p_next``); the conversions are written
here: float64 uniforms from the top 53 bits (numba's), float32 uniforms from the top
24 bits (exact, so never 1.0, which numba's float32 rounding can give), normals by
Box-Muller from two float64 uniforms with ``u1`` in (0, 1] (numba's normal draws
float32 uniforms and can take log(0)). In the simulator the same algorithm runs on
Python ints (numba's version there runs on NumPy uint64 scalars, thousands of times
slower); it gives the same bits.
"""
from __future__ import annotations

import warnings

import numba
import numpy as np
from numba import cuda

from . import _math as m
from . import _runtime
from ._array import CudaArray
from ._launch import MAX_BLOCKS, SIMULATOR, THREADS, launch_blocks

with warnings.catch_warnings():
    # the simulator's copy of numba.cuda.random passes nopython=False to numba.jit
    warnings.simplefilter("ignore")
    from numba.cuda.random import create_xoroshiro128p_states, xoroshiro128p_dtype, xoroshiro128p_next

_RNG_BLOCKS = min(MAX_BLOCKS, 1024)
N_STATES = _RNG_BLOCKS * THREADS
_DEFAULT_SEED = 67280421310721     # PyTorch's default seed (c10's default_rng_seed_val)
_MASK64 = (1 << 64) - 1
_TWO_M53 = 1.0 / 9007199254740992.0
_TWO_M24 = 1.0 / 16777216.0
_TWO_PI = 6.283185307179586
_F64 = numba.float64
_F32 = numba.float32
_U32 = numba.uint32

_state: dict = {"seed": _DEFAULT_SEED if _runtime.SEED[0] is None else _runtime.SEED[0] & _MASK64,
               "states": None}


# ----- one draw ------------------------------------------------------------------------
@cuda.jit(device=True)
def _gpu_u64(states, i):
    """U[0, 1) in float64 from the top 53 bits of the next output (numba's conversion)."""
    return _F64(xoroshiro128p_next(states, i) >> _U32(11)) * _TWO_M53


@cuda.jit(device=True)
def _gpu_u32(states, i):
    """U[0, 1) in float32 from the top 24 bits, exact in float32, so never 1.0 (numba's
    xoroshiro128p_uniform_float32 rounds a 53-bit value to float32 and can give 1.0)."""
    return _F32(_F64(xoroshiro128p_next(states, i) >> _U32(40)) * _TWO_M24)


# The simulator runs numba's xoroshiro code on NumPy uint64 scalars (wrap-around warnings,
# object-mode jit: ~3 ms a draw, 10 s to seed 128 states); there the same algorithm runs on
# Python ints, giving the same bits.
def _sim_next(states, i):
    st = states[i]
    s0, s1 = int(st["s0"]), int(st["s1"])
    result = (s0 + s1) & _MASK64
    s1 ^= s0
    st["s0"] = (((s0 << 55) | (s0 >> 9)) & _MASK64) ^ s1 ^ ((s1 << 14) & _MASK64)
    st["s1"] = ((s1 << 36) | (s1 >> 28)) & _MASK64
    return result


def _sim_u64(states, i):
    return np.float64((_sim_next(states, i) >> 11) * _TWO_M53)


def _sim_u32(states, i):
    return np.float32((_sim_next(states, i) >> 40) * _TWO_M24)


def _sim_states(n: int, seed: int):
    """numba's init_xoroshiro128p_states_cpu (SplitMix64 seeding, then each state the
    previous one jumped 2**64 steps ahead) on Python ints."""
    z = (seed + 0x9E3779B97F4A7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    z ^= z >> 31
    s0 = s1 = z
    host = np.empty(n, xoroshiro128p_dtype)
    for i in range(n):
        if i:
            t0 = t1 = 0
            for word in (0xBEAC0467EBA5FACB, 0xD86B048B86AA9922):
                for b in range(64):
                    if (word >> b) & 1:
                        t0 ^= s0
                        t1 ^= s1
                    x1 = s1 ^ s0
                    s0 = (((s0 << 55) | (s0 >> 9)) & _MASK64) ^ x1 ^ ((x1 << 14) & _MASK64)
                    s1 = ((x1 << 36) | (x1 >> 28)) & _MASK64
            s0, s1 = t0, t1
        host[i] = (s0, s1)
    return cuda.to_device(host)


_u64 = _sim_u64 if SIMULATOR else _gpu_u64
_u32 = _sim_u32 if SIMULATOR else _gpu_u32


@cuda.jit(device=True)
def _normal(states, i):
    """N(0, 1) in float64 by Box-Muller from two float64 uniforms, u1 in (0, 1] (numba's
    xoroshiro128p_normal_float64 draws float32 uniforms: coarse, and log(0) = -inf once
    in 2**24 draws)."""
    u1 = 1.0 - _u64(states, i)
    u2 = _u64(states, i)
    return m.sqrt(-2.0 * m.log(u1)) * m.cos(_TWO_PI * u2)


# ----- kernels -------------------------------------------------------------------------
@cuda.jit(cache=True)
def k_uniform(states, out, n, low, span, is64):
    """out[i] = low + span * U[0, 1), the uniform drawn in float64 or float32."""
    tid = cuda.grid(1)
    step = cuda.gridsize(1)
    i = tid
    while i < n:
        if is64:
            out[i] = low + span * _u64(states, tid)
        else:
            out[i] = low + span * _u32(states, tid)
        i += step


@cuda.jit(cache=True)
def k_normal(states, out, n, mean, std, is64):
    """out[i] = mean + std * N(0, 1) (computed in float64, rounded once on the store)."""
    tid = cuda.grid(1)
    step = cuda.gridsize(1)
    i = tid
    while i < n:
        out[i] = mean + std * _normal(states, tid)
        i += step


# ----- the generator -------------------------------------------------------------------
def _states():
    states = _state["states"]
    if states is None:
        if SIMULATOR:
            states = _sim_states(N_STATES, _state["seed"])
        else:
            states = create_xoroshiro128p_states(N_STATES, seed=_state["seed"])
        _state["states"] = states
    return states


def manual_seed(seed: int) -> None:
    """Seed the device generator: the states are re-created (lazily, at the next draw)."""
    _state["seed"] = int(seed) & _MASK64
    _state["states"] = None


def seed() -> int:
    """Seed the device generator non-deterministically; return the seed."""
    import os
    s = int.from_bytes(os.urandom(8), "little") & ((1 << 63) - 1)
    manual_seed(s)
    return s


def initial_seed() -> int:
    """The seed the device generator was last seeded with."""
    return _state["seed"]


def get_rng_state() -> np.ndarray:
    """A host copy of every generator's state, as bytes (uint8)."""
    host = _states().copy_to_host()
    return np.frombuffer(host.tobytes(), np.uint8).copy()


def set_rng_state(state) -> None:
    """Restore the states that get_rng_state returned."""
    raw = np.ascontiguousarray(np.asarray(state, np.uint8))
    if raw.size != N_STATES * xoroshiro128p_dtype.itemsize:
        raise RuntimeError(f"RNG state is wrong size: expected {N_STATES * xoroshiro128p_dtype.itemsize} "
                           f"bytes, got {raw.size}")
    _states().copy_to_device(np.frombuffer(raw.tobytes(), xoroshiro128p_dtype))


def _fill(kernel, shape, np_dtype, a, b):
    np_dtype = np.dtype(np_dtype)
    if np_dtype.kind != "f":
        raise RuntimeError(f"random fill of a CUDA tensor needs a floating dtype, got {np_dtype}")
    work = np.dtype(np.float32) if np_dtype == np.float16 else np_dtype
    out = CudaArray.empty(tuple(shape), work)
    n = out.size
    if n:
        blocks = min((n + THREADS - 1) // THREADS, _RNG_BLOCKS)
        t = work.type
        launch_blocks(kernel, blocks, THREADS, _states(), out.buf, n, t(a), t(b), work == np.float64)
    if work != np_dtype:
        from ._table import _Dt, backend
        out = backend(0).astype(out, _Dt(np_dtype))
    return out


def uniform(shape, np_dtype, low: float = 0.0, high: float = 1.0) -> CudaArray:
    """A new contiguous CudaArray of U[low, high) values of np_dtype."""
    return _fill(k_uniform, shape, np_dtype, low, float(high) - float(low))


def normal(shape, np_dtype, mean: float = 0.0, std: float = 1.0) -> CudaArray:
    """A new contiguous CudaArray of N(mean, std**2) values of np_dtype."""
    return _fill(k_normal, shape, np_dtype, mean, std)
