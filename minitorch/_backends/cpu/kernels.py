"""Numba kernels of the CPU backend: the fused passes NumPy would need several ufuncs for.

Plain elementwise math stays on NumPy's ufuncs: they are SIMD-vectorised (a numba
loop calls scalar libm ``expf``, measured 4x slower than ``np.exp`` here), while a
fused kernel saves whole passes over memory. Every kernel works on flat C-contiguous
arrays, so it has one compiled specialisation per dtype, and is cached on disk.
No kernel uses literals mixed with array values: a float64 literal would silently
promote float32 math to float64.
"""
import math
import os

import numba
import numpy as np
from numba import njit, prange

# numba's fork-safe threading layer (TBB if installed, else numba's workqueue), unless the
# user chose one through NUMBA_THREADING_LAYER. GNU OpenMP wakes its threads faster (relu
# of 1.4M float32, 2 cores: 137 µs serial, 84 µs parallel with OpenMP, 341 µs with the
# workqueue), but its idle threads spin on the cores OpenBLAS's threads need: the MNIST
# CNN's training step at 2 threads took 53 ms with OpenMP against 19 ms with the workqueue.
if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER = "forksafe"

# GNU OpenMP (a layer the user may choose) cannot run a parallel region in a process forked
# after one ran: numba terminates the child (DataLoader workers fork). So a forked child
# runs the serial kernels only, as PyTorch's DataLoader workers run single-threaded.
_FORKED = [False]
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=lambda: _FORKED.__setitem__(0, True))

# Above this many elements the parallel variant pays for waking numba's threads. On the
# 2-core VM of docs/benchmarks.md the workqueue never paid for relu (4M float32: 726 µs
# serial, 946 µs parallel), and the MNIST CNN's step at 2 threads took 18.1 ms with the
# twins off against 19.9 ms with them on from 512k elements (six alternating runs each):
# their threads compete with OpenBLAS's for the cores. So only arrays of 8M elements and
# more (32 MiB of float32), where a multi-core machine gains most, take the twins.
PARALLEL_THRESHOLD = 1 << 23


def parallel_pays(size: int) -> bool:
    """Whether a kernel's parallel twin pays for size elements: a large array, more than
    one numba thread (with one thread the twin is the serial loop plus the wake-up cost),
    and not a forked child (see _FORKED)."""
    return size >= PARALLEL_THRESHOLD and not _FORKED[0] and numba.get_num_threads() > 1


def flat(a: np.ndarray) -> np.ndarray:
    """The kernels' layout: a flat view of a C-contiguous array (a flat copy otherwise)."""
    return np.ascontiguousarray(a).reshape(-1)


@njit(cache=True)
def relu(x, out):
    """out = max(x, 0) as PyTorch's relu: NaN stays NaN and -0. stays -0. (x is kept unless x < 0).
    O(n); 3x faster than np.maximum here."""
    zero = np.zeros(1, x.dtype)[0]
    for i in range(x.size):
        v = x[i]
        out[i] = zero if v < zero else v


@njit(cache=True, parallel=True)
def relu_parallel(x, out):
    """relu over threads, for large arrays. O(n)."""
    zero = np.zeros(1, x.dtype)[0]
    for i in prange(x.size):
        v = x[i]
        out[i] = zero if v < zero else v


@njit(cache=True)
def relu_backward(grad, x, out):
    """out = 0 where x <= 0, else grad (a NaN input passes the gradient, as PyTorch's). O(n)."""
    zero = np.zeros(1, grad.dtype)[0]
    for i in range(x.size):
        out[i] = zero if x[i] <= 0 else grad[i]


@njit(cache=True, parallel=True)
def relu_backward_parallel(grad, x, out):
    """relu_backward over threads, for large arrays. O(n)."""
    zero = np.zeros(1, grad.dtype)[0]
    for i in prange(x.size):
        out[i] = zero if x[i] <= 0 else grad[i]


@njit(cache=True)
def tanh_backward(grad, y, out):
    """out = grad * (1 - y^2) in one pass, y = tanh(x): PyTorch's formula and order, so an
    infinite grad where y = 0 stays infinite (grad - grad*y*y would give inf - inf = NaN). O(n)."""
    one = np.ones(1, y.dtype)[0]
    for i in range(y.size):
        out[i] = grad[i] * (one - y[i] * y[i])


@njit(cache=True)
def sigmoid_backward(grad, y, out):
    """out = grad * (1 - y) * y in one pass, y = sigmoid(x) (PyTorch's formula and order). O(n)."""
    one = np.ones(1, y.dtype)[0]
    for i in range(y.size):
        out[i] = grad[i] * (one - y[i]) * y[i]


@njit(cache=True)
def erf(x, out):
    """out = erf(x) elementwise (libm's erf, as PyTorch's CPU kernel calls it). O(n)."""
    for i in range(x.size):
        out[i] = math.erf(x[i])


@njit(cache=True)
def logsumexp_rows(x, out):
    """out[r] = log(sum(exp(x[r, :] - m))) + m, m = max of row r, for a 2-D array with cols > 0. O(n).

    Sums in float64 so float32 rows keep full precision.
    """
    rows, cols = x.shape
    for r in range(rows):
        m = x[r, 0]
        has_nan = m != m
        for c in range(1, cols):
            if x[r, c] > m:
                m = x[r, c]
            has_nan = has_nan or x[r, c] != x[r, c]
        if has_nan:
            out[r] = np.nan  # NaN anywhere in the row gives NaN, as in PyTorch
            continue
        if np.isinf(m):
            out[r] = m  # an all -inf row gives -inf; any +inf gives +inf
            continue
        s = 0.0
        for c in range(cols):
            s += np.exp(np.float64(x[r, c] - m))
        out[r] = np.log(s) + m


@njit(cache=True)
def index_add_rows(out, index, src):
    """out[index[i], :] += src[i, :] for 2-D out/src and 1-D int64 index (scatter-add). O(n)."""
    for i in range(index.size):
        j = index[i]
        for k in range(src.shape[1]):
            out[j, k] += src[i, k]


@njit(cache=True)
def erf(x, out):
    """out = erf(x) elementwise (libm's erf; NumPy has no ufunc for it). O(n)."""
    for i in range(x.size):
        out[i] = math.erf(x[i])
