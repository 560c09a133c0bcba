"""What can still go wrong inside an op table, reported as PyTorch reports it.

The ops validate their arguments before they call a table (shapes, dtypes, devices), so
what a table can still meet is the machine and the kernels' limits:

* memory: NumPy reports an allocation it cannot make as ``MemoryError`` ("Unable to
  allocate 4.00 TiB ...") and a byte count that overflows as ``ValueError`` ("array is
  too big"); numba kernels raise a bare ``MemoryError``. PyTorch raises ``RuntimeError``:
  "DefaultCPUAllocator: can't allocate memory: you tried to allocate N bytes" and
  "Storage size calculation overflowed with sizes=[...]".
* a kernel that has no version for a dtype: numba's typing errors (float16 arrays, for
  one) become PyTorch's ``NotImplementedError: "<op>" not implemented for 'Half'``.

An op table decorated with ``@torch_errors`` does this for every public method, so no op
needs a check of its own: the table is where memory is allocated and kernels run, the
one boundary every op crosses. The wrapper costs one Python call per table call (about
0.1-0.2 µs, measured on the 2-core machine of docs/benchmarks.md; noisy).
"""
from __future__ import annotations

import functools
import inspect
import os
import traceback

import numpy as np

from ..dtypes import FROM_NP, IntegerOverflowError  # noqa: F401 - the tables raise it

_INT64_MAX = (1 << 63) - 1
_TOO_BIG = "array is too big"  # NumPy's ValueError when a byte count overflows
try:
    from numba.core.errors import NumbaError
    import numba
    _NUMBA_DIR = os.path.dirname(numba.__file__)
except ImportError:  # pragma: no cover - numba is a dependency
    NumbaError, _NUMBA_DIR = (), None


def storage_overflow(shape, itemsize: int) -> RuntimeError | None:
    """PyTorch's error for a shape whose byte count overflows int64 (each partial product of
    the sizes is checked, so (2**62, 2**62, 0) overflows too), or None when it fits."""
    numel = 1
    overflow = False
    for s in shape:
        numel *= s
        overflow = overflow or numel > _INT64_MAX
    if overflow or numel * itemsize > _INT64_MAX:
        return RuntimeError(f"Storage size calculation overflowed with sizes={list(shape)}")
    return None


def out_of_memory(error: MemoryError) -> RuntimeError:
    """PyTorch's CPU allocator error for a MemoryError (NumPy's knows the byte count)."""
    nbytes = getattr(error, "_total_size", None)
    tried = f"you tried to allocate {nbytes} bytes" if nbytes is not None else "the allocation failed"
    return RuntimeError(f"DefaultCPUAllocator: can't allocate memory: {tried}. Error code 12 "
                        "(Cannot allocate memory)")


def _from_numba(error: BaseException) -> bool:
    if isinstance(error, NumbaError):
        return True
    frames = traceback.extract_tb(error.__traceback__)
    return bool(frames) and _NUMBA_DIR is not None and frames[-1].filename.startswith(_NUMBA_DIR)


def translated(error: Exception, name: str = "", args: tuple = ()) -> Exception | None:
    """The PyTorch error for a failure raised by NumPy or numba in method name, else None."""
    if isinstance(error, MemoryError):
        return out_of_memory(error)
    if type(error) is ValueError and str(error).startswith(_TOO_BIG):
        return RuntimeError("Storage size calculation overflowed: the result would hold more than "
                            f"{_INT64_MAX} bytes")
    if isinstance(error, (NotImplementedError, NumbaError)) and _from_numba(error):
        if args and isinstance(args[0], str):  # the op code of unary, binary, reduce ...
            name = args[0]
        arrays = [a for a in args if isinstance(a, np.ndarray)]
        odd = next((a.dtype for a in arrays if a.dtype == np.float16), arrays[0].dtype if arrays else None)
        dtype = FROM_NP[odd].legacy_name if odd in FROM_NP else str(odd)
        return NotImplementedError(f"\"{name}\" not implemented for '{dtype}'")
    return None


def call_translating(fn, *args, **kwargs):
    """fn(*args, **kwargs) (NumPy work that allocates, outside an op table) with PyTorch's errors."""
    try:
        return fn(*args, **kwargs)
    except (MemoryError, ValueError) as error:
        better = translated(error, fn.__name__, args)
        if better is None:
            raise
        raise better from None


def _translating(fn):
    @functools.wraps(fn)
    def method(self, *args, **kwargs):
        try:
            return fn(self, *args, **kwargs)
        except (MemoryError, ValueError, NotImplementedError, NumbaError) as error:
            better = translated(error, fn.__name__, args)
            if better is None:
                raise
            raise better from None
    return method


def torch_errors(cls):
    """Class decorator for an op table: every public method (its own or inherited) reports
    allocation failures and kernels without a version for a dtype as PyTorch does."""
    for name in dir(cls):
        if name.startswith("_"):
            continue
        attr = inspect.getattr_static(cls, name)
        if inspect.isfunction(attr):
            setattr(cls, name, _translating(attr))
    return cls
