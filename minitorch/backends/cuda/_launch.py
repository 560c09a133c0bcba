"""Launch configuration and the shape bookkeeping every elementwise launch shares."""
from __future__ import annotations

import numpy as np

from . import _runtime
from ._array import CudaArray

# The simulator runs every CUDA thread as a Python thread: small blocks keep it quick.
SIMULATOR = _runtime.simulator()
THREADS = 32 if SIMULATOR else 256
MAX_BLOCKS = 4 if SIMULATOR else 8192   # the kernels are grid-stride loops

# scripts/cuda_compile_check.py sets this to a list to record every (kernel, args) launched.
RECORD = None

_MISMATCH = "Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu!"


def launch(kernel, n: int, *args) -> None:
    """kernel over n work items with a size-chosen grid (nothing for n == 0)."""
    if n <= 0:
        return
    if RECORD is not None:
        RECORD.append((kernel, args))
    blocks = min((n + THREADS - 1) // THREADS, MAX_BLOCKS)
    kernel[blocks, THREADS](*args)


def launch_blocks(kernel, blocks, threads, *args) -> None:
    """A launch with an explicit grid (reductions, tiled matmul): blocks and threads may be tuples."""
    if RECORD is not None:
        RECORD.append((kernel, args))
    kernel[blocks, threads](*args)


def device_operand(x):
    """A CudaArray as is; a Python number, or a 0-d CPU array (PyTorch lets a 0-d CPU
    tensor take part in a CUDA op), as a Python scalar; anything else is on the wrong device."""
    if x.__class__ is CudaArray:
        return x
    if isinstance(x, np.ndarray):
        if x.ndim == 0:
            return x.item()
        raise RuntimeError(_MISMATCH)
    return x


def check_device(*arrays) -> None:
    for a in arrays:
        if a.__class__ is not CudaArray:
            raise RuntimeError(_MISMATCH)


def broadcast_strides(a: CudaArray, shape: tuple) -> tuple:
    """a's element strides for a broadcast to shape (0 where a is broadcast)."""
    lead = len(shape) - a.ndim
    strides = [0] * lead
    for n, s, target in zip(a.shape, a.estrides, shape[lead:]):
        strides.append(s if n == target and n != 1 else 0)
    return tuple(strides)


def collapse(shape: tuple, *strides_list) -> tuple:
    """Drop size-1 dims and merge neighbours that every operand walks contiguously.

    Returns (shape, [strides per operand]); shape is never empty ((1,) for one element),
    so a kernel's index loop always has a dimension.
    """
    dims = [(n, [s[d] for s in strides_list]) for d, n in enumerate(shape) if n != 1]
    if not dims:
        return (1,), [(0,) for _ in strides_list]
    merged = [dims[0]]
    for n, ss in dims[1:]:
        pn, pss = merged[-1]
        if all(ps == s * n for ps, s in zip(pss, ss)):
            merged[-1] = (pn * n, ss)
        else:
            merged.append((n, ss))
    new_shape = tuple(n for n, _ in merged)
    return new_shape, [tuple(ss[k] for _, ss in merged) for k in range(len(strides_list))]


def size_of(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n
