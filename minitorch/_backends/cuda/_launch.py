"""Kernel launches, and the shape bookkeeping every elementwise launch shares.

On a real GPU minitorch launches kernels itself instead of through numba's dispatcher
(which types every argument and builds a DeviceNDArray-backed argument list on every
call, 22-62 us a launch on an H200 host): the first launch of a kernel with a given
argument signature resolves numba's compiled overload for it (compiling, or loading
numba's on-disk cache) and generates a packer for exactly those argument types; every
later launch packs its values into one preallocated parameter buffer (one
``struct.pack_into``) and calls the driver's ``cuLaunchKernel`` on the legacy default
stream, the stream numba's copies use. Array arguments are ``DevBuf``s
(``_array.py``), whose ABI values (numba's meminfo, parent, nitems, itemsize, data,
shape, strides) are computed once per buffer. In the simulator, which has no driver,
kernels go through numba's dispatcher.
"""
from __future__ import annotations

import ctypes
import struct

import numpy as np

from . import _runtime
from ._array import CudaArray, DevBuf

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
    blocks = (n + THREADS - 1) // THREADS
    launch_blocks(kernel, blocks if blocks < MAX_BLOCKS else MAX_BLOCKS, THREADS, *args)


def launch_blocks(kernel, blocks, threads, *args) -> None:
    """A launch with an explicit grid (reductions, tiled matmul): blocks and threads may be tuples."""
    if RECORD is not None:
        RECORD.append((kernel, args))
    if SIMULATOR:
        kernel[blocks, threads](*args)
        return
    by_types = _ENTRIES.get(kernel)
    if by_types is None:
        by_types = _ENTRIES[kernel] = {}
    entry = by_types.get(tuple(map(type, args)))
    if entry.__class__ is not _Entry:
        if entry is not None:        # tuple arguments: the second level, by their lengths
            entry = entry.get(tuple([len(a) for a in args if a.__class__ is tuple]))
        if entry is None:
            entry = _resolve(kernel, args, by_types)
    entry.pack(*args)
    if blocks.__class__ is tuple:
        gx, gy, gz = (blocks + (1, 1))[:3]
    else:
        gx, gy, gz = int(blocks), 1, 1
    if threads.__class__ is tuple:
        bx, by, bz = (threads + (1, 1))[:3]
    else:
        bx, by, bz = int(threads), 1, 1
    err = _cu.cuLaunchKernel(entry.function, gx, gy, gz, bx, by, bz, 0, _STREAM[0], entry.params, 0)[0]
    if err:
        raise RuntimeError(f"CUDA error launching {entry.name}: {err}")


def memset(ptr: int, pattern: int, count: int, width: int) -> None:
    """count words of width bytes (1, 2 or 4) at device address ptr set to pattern, queued
    on the launch stream (a driver memset: no kernel, no compile). Real GPU only."""
    driver = _driver()
    fn = driver.cuMemsetD32Async if width == 4 else driver.cuMemsetD16Async if width == 2 else driver.cuMemsetD8Async
    err = fn(ptr, pattern, count, _STREAM[0])[0]
    if err:
        raise RuntimeError(f"CUDA error in memset: {err}")


# ----- the launch path of a real GPU ------------------------------------------------------
_cu = None                 # cuda.bindings.driver (the host tier substitutes a fake)
_STREAM = [0]              # the legacy default stream
# kernel -> {tuple of argument classes -> _Entry, or (when tuples are among the
# arguments, whose lengths the classes do not tell) {tuple lengths -> _Entry}}
_ENTRIES: dict = {}


def use_driver(module) -> None:
    """Launch through module's cuLaunchKernel (cuda.bindings.driver, or a test's fake)."""
    global _cu
    _cu = module
    _STREAM[0] = module.CUstream(0)
    _ENTRIES.clear()


def _driver():
    if _cu is None:
        from cuda.bindings import driver
        use_driver(driver)
    return _cu


class _Entry:
    """One kernel signature's compiled function and its parameter packer."""

    __slots__ = ("name", "function", "pack", "params", "storage", "kernel")


def _resolve(kernel, args, by_types) -> "_Entry":
    """The _Entry for args, made on the first launch of their signature. Argument classes
    tell the signature except the lengths of tuple arguments (shapes, strides): kernels
    that take tuples get a second level keyed by those lengths."""
    types_key = tuple(map(type, args))
    if tuple not in types_key:
        entry = by_types[types_key] = _make_entry(kernel, args)
        return entry
    by_lengths = by_types.setdefault(types_key, {})
    lengths = tuple(len(a) for a in args if a.__class__ is tuple)
    entry = by_lengths.get(lengths)
    if entry is None:
        entry = by_lengths[lengths] = _make_entry(kernel, args)
    return entry


def _numba_type(value):
    """numba's type of one kernel argument, as its dispatcher would infer it."""
    from numba.cuda import types
    from numba.cuda.np.numpy_support import from_dtype
    from numba.cuda.typing.typeof import Purpose, typeof
    if value.__class__ is DevBuf:
        return types.Array(from_dtype(value.dtype), 1, "C")
    return typeof(value, Purpose.argument)


def _codes(ty, value, out: list) -> None:
    """struct codes of one argument's flattened parameters (numba's kernel ABI)."""
    from numba.cuda import types
    if isinstance(ty, types.Array):
        out.extend("q" * (5 + 2 * ty.ndim))
    elif isinstance(ty, types.BaseTuple):
        for t, v in zip(ty, value):
            _codes(t, v, out)
    elif isinstance(ty, types.Boolean):
        out.append("?")
    elif isinstance(ty, types.Integer):
        out.append(np.dtype(str(ty)).char)
    elif ty == types.float32:
        out.append("f")
    elif ty == types.float64:
        out.append("d")
    else:
        raise NotImplementedError(f"minitorch's CUDA launcher cannot pass a {ty} argument")


def _flat_device_array(a) -> tuple:
    """numba's ABI values of a numba device array (the random states)."""
    interface = a.__cuda_array_interface__
    strides = interface["strides"] or tuple(
        int(np.prod(a.shape[d + 1:], dtype=np.int64)) * a.dtype.itemsize for d in range(a.ndim))
    return (0, 0, a.size, a.dtype.itemsize, interface["data"][0], *a.shape, *strides)


def _make_entry(kernel, args) -> _Entry:
    """Compile (or load) kernel for args' types and generate its packer."""
    driver = _driver()
    argtypes = tuple(_numba_type(a) for a in args)
    overload = kernel.compile(argtypes)
    handle = overload._codelibrary.get_cufunc().handle
    err, function = driver.cuKernelGetFunction(handle)
    if err:
        function = handle       # a module-loaded CUfunction already
    codes: list = []
    pieces = []
    for i, (ty, value) in enumerate(zip(argtypes, args)):
        _codes(ty, value, codes)
        if value.__class__ is DevBuf:
            pieces.append(f"*a{i}.flat")
        elif value.__class__ is tuple:
            pieces.append(f"*a{i}")
        elif hasattr(value, "__cuda_array_interface__"):
            pieces.append(f"*_flat(a{i})")
        else:
            pieces.append(f"a{i}")
    offsets, fmt = [], "@"
    for code in codes:
        size = struct.calcsize(code)
        offsets.append(struct.calcsize(fmt + code) - size)
        fmt += code
    storage = ctypes.create_string_buffer(max(struct.calcsize(fmt), 1))
    base = ctypes.addressof(storage)
    pointers = (ctypes.c_void_p * len(codes))(*[base + off for off in offsets])
    names = ", ".join(f"a{i}" for i in range(len(args)))
    source = f"def pack({names}):\n    _pack_into(_storage, 0, {', '.join(pieces)})\n"
    scope = {"_pack_into": struct.Struct(fmt).pack_into, "_storage": storage, "_flat": _flat_device_array}
    exec(compile(source, f"<minitorch launch packer for {kernel.py_func.__name__}>", "exec"), scope)
    entry = _Entry()
    entry.name = kernel.py_func.__name__
    entry.function = function
    entry.pack = scope["pack"]
    entry.storage = (storage, pointers)
    entry.params = ctypes.addressof(pointers)
    entry.kernel = overload
    return entry


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
