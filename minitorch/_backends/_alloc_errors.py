"""Allocation failures as PyTorch reports them.

NumPy reports an allocation it cannot make as ``MemoryError`` ("Unable to allocate 4.00
TiB for an array with shape ...") and a size whose byte count overflows as
``ValueError`` ("array is too big"); numba kernels raise a bare ``MemoryError``.
PyTorch raises ``RuntimeError`` for both: "DefaultCPUAllocator: can't allocate memory:
you tried to allocate N bytes" and "Storage size calculation overflowed with sizes=[...]".
An op table decorated with ``@translate_alloc_errors`` turns the former into the latter
for every method, so no op needs a check of its own: the op table is where memory is
allocated, and the one boundary every op crosses.
"""
from __future__ import annotations

import functools
import inspect

_INT64_MAX = (1 << 63) - 1
_TOO_BIG = "array is too big"  # NumPy's ValueError when a byte count overflows
_TOO_MANY_DIMS = "maximum supported dimension"  # NumPy's ValueError past 64 dims


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


def translated(error: Exception) -> Exception | None:
    """The PyTorch error for an allocation failure raised by NumPy or numba, else None."""
    if isinstance(error, MemoryError):
        return out_of_memory(error)
    if type(error) is ValueError and str(error).startswith(_TOO_BIG):
        return RuntimeError("Storage size calculation overflowed: the result would hold more than "
                            f"{_INT64_MAX} bytes")
    return None


def call_translating(fn, *args, **kwargs):
    """fn(*args, **kwargs) (NumPy work that allocates, outside an op table) with PyTorch's errors."""
    try:
        return fn(*args, **kwargs)
    except (MemoryError, ValueError) as error:
        better = translated(error)
        if better is None:
            raise
        raise better from None


def _translating(fn):
    @functools.wraps(fn)
    def method(self, *args, **kwargs):
        try:
            return fn(self, *args, **kwargs)
        except (MemoryError, ValueError) as error:
            better = translated(error)
            if better is None:
                raise
            raise better from None
    return method


def translate_alloc_errors(cls):
    """Class decorator for an op table: every public method (its own or inherited) reports
    allocation failures as PyTorch does."""
    for name in dir(cls):
        if name.startswith("_"):
            continue
        attr = inspect.getattr_static(cls, name)
        if inspect.isfunction(attr):
            setattr(cls, name, _translating(attr))
    return cls
