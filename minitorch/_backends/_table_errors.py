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
needs a check of its own: the table is where memory is allocated and kernels run. A wrapper
costs one Python call per table call (0.3-0.4 µs on an `a + b` of 3 µs, measured on the
2-core machine of docs/benchmarks.md), so the methods every op's forward calls (``HOT``)
are not wrapped: their errors are translated where the ops cross into the tables,
``Function.apply`` and the backward engine, by ``from_table``, which reads the method and
its arguments from the traceback. A ``try`` costs nothing until something is raised.
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


# Raised inside a table, translated on the way out.
TABLE_ERRORS = (MemoryError, ValueError, NotImplementedError) + (NumbaError if isinstance(NumbaError, tuple)
                                                                  else (NumbaError,))

# The table methods of every op's forward and backward (measured: the calls of the per-op
# benchmarks and of MLP and CNN training steps), translated at the apply/engine boundary.
# (Only methods whose callers are Functions: comparisons and in-place updates run outside
# apply and keep their wrappers.)
HOT = frozenset({"binary", "rbinary", "unary", "reduce", "where", "matmul", "addmm", "getitem", "reshape",
                 "view", "permute", "expand", "concatenate", "astype", "relu_backward", "can_adopt", "mean",
                 "clamp", "log_softmax", "log_softmax_backward", "nll_loss_reduced", "nll_backward_reduced",
                 "nll_forward", "nll_backward", "masked_scale"})


def from_table(error: BaseException) -> Exception | None:
    """translated() for an error raised below an op: the outermost op-table method in its
    traceback names the method and its arguments (as the method wrapper knows them)."""
    tb = error.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        owner = frame.f_locals.get("self")
        if owner is not None and type(owner).__module__.startswith("minitorch._backends"):
            code = frame.f_code
            args = tuple(frame.f_locals.get(v) for v in code.co_varnames[1:code.co_argcount])
            return translated(error, code.co_name, args)
        tb = tb.tb_next
    return translated(error)


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
    """Class decorator for an op table: every public method (its own or inherited) but the
    HOT ones reports allocation failures and kernels without a version for a dtype as
    PyTorch does."""
    for name in dir(cls):
        if name.startswith("_") or name in HOT:
            continue
        attr = inspect.getattr_static(cls, name)
        if inspect.isfunction(attr):
            setattr(cls, name, _translating(attr))
    return cls
