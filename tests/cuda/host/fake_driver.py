"""The host tier's stand-in for the CUDA driver: numba-cuda's real host code without a GPU.

Everything above the driver is real: numba-cuda 0.30.4 types the kernels, compiles them
with NVVM (for sm_90) and loads its DeviceNDArray/AutoFreePointer classes, and
minitorch's own launch path flattens and packs every argument. Only what would reach
the driver is replaced:

- allocations are fake device addresses backed by host bytes (numba's finalizer, as on a
  GPU, frees an allocation when its last numba object dies: ``freed`` records it);
- host<->device copies and memsets read and write those bytes, and are counted;
- a kernel launch (minitorch's cuLaunchKernel, or numba's own cuda.core launch) is not
  run: it is recorded, and with ``check`` on it decodes the packed parameters by
  numba's ABI for the kernel's argument types, independently of minitorch's packer, and
  fails the launch (``errors``) if an array argument points into memory numba freed, into
  a block sitting in minitorch's free list, or past its allocation's end.

``install()`` must run before minitorch's CUDA backend is first used (it sets
NUMBA_ENABLE_CUDASIM=0 for this process). The host tier (tests/cuda/host) and
``benchmarks/bench_cuda.py --host-tier`` use it.
"""
from __future__ import annotations

import contextlib
import ctypes
import gc
import os

import numpy as np

STATE = {
    "launches": 0, "memsets": 0, "d2h": 0, "h2d": 0, "syncs": 0,
    "check": True,          # decode and check every launch's parameters
    "gc_each_launch": False,  # gc.collect() inside every launch (the GC-heavy run)
    "trace": None,          # a list: kernel names are appended
}
errors: list = []
freed: dict = {}            # base address -> size of allocations numba freed
_memory: dict = {}          # base address -> bytearray
_kernels: dict = {}         # fake function handle -> (name, numba argument types)
_next = [0x7F0000000000]
_installed = [False]


def reset_counts() -> None:
    for k in ("launches", "memsets", "d2h", "h2d", "syncs"):
        STATE[k] = 0


def _find(ptr: int):
    """(base, bytearray) of the live allocation holding ptr, or None."""
    for base, mem in _memory.items():
        if base <= ptr < base + max(len(mem), 1):
            return base, mem
    return None


def _check_array(name: str, ptr: int, nbytes: int) -> None:
    if any(b <= ptr < b + size for b, size in freed.items()):
        errors.append(f"{name}: array argument at {ptr:#x} points into memory numba freed")
        return
    hit = _find(ptr)
    if hit is None:
        errors.append(f"{name}: array argument at {ptr:#x} is not a live allocation")
        return
    base, mem = hit
    if ptr + nbytes > base + len(mem):
        errors.append(f"{name}: array argument at {ptr:#x} ({nbytes} bytes) runs past its "
                      f"allocation ({len(mem)} bytes)")
    from minitorch._backends.cuda import _array
    if _array.POOL.is_free(base):
        errors.append(f"{name}: array argument at {ptr:#x} is a block in minitorch's free list")


def _flatten(ty, out: list) -> None:
    """numba's kernel ABI for one argument type, as ctypes (dispatcher._prepare_args)."""
    from numba.cuda import types
    if isinstance(ty, types.Array):
        out.extend([("meminfo", ctypes.c_int64), ("parent", ctypes.c_int64),
                    ("nitems", ctypes.c_int64), ("itemsize", ctypes.c_int64), ("data", ctypes.c_uint64)])
        out.extend([("shape", ctypes.c_int64)] * ty.ndim + [("stride", ctypes.c_int64)] * ty.ndim)
    elif isinstance(ty, types.BaseTuple):
        for t in ty:
            _flatten(t, out)
    elif isinstance(ty, types.Boolean):
        out.append(("bool", ctypes.c_bool))
    elif isinstance(ty, types.Integer):
        out.append(("int", getattr(ctypes, f"c_{ty}")))
    elif ty == types.float32:
        out.append(("float", ctypes.c_float))
    elif ty == types.float64:
        out.append(("float", ctypes.c_double))
    else:
        raise NotImplementedError(f"fake driver: argument type {ty}")


def _check_params(name: str, argtypes, values: list) -> None:
    """values: the flattened parameters; checks every array argument's memory."""
    layout: list = []
    for ty in argtypes:
        _flatten(ty, layout)
    if len(layout) != len(values):
        errors.append(f"{name}: {len(values)} parameters packed, the kernel takes {len(layout)}")
        return
    i = 0
    while i < len(layout):
        if layout[i][0] == "meminfo":
            nitems, itemsize, ptr = values[i + 2], values[i + 3], values[i + 4]
            if values[i] != 0 or values[i + 1] != 0:
                errors.append(f"{name}: meminfo/parent must be 0")
            _check_array(name, int(ptr), int(nitems) * int(itemsize))
            i += 5
        else:
            i += 1


def _launched(name: str) -> None:
    STATE["launches"] += 1
    if STATE["trace"] is not None:
        STATE["trace"].append(name)
    if STATE["gc_each_launch"]:
        gc.collect()


# ----- minitorch's path: cuda.bindings' driver API ------------------------------------
class _FakeCU:
    """The few cuda.bindings.driver names minitorch's launcher calls."""

    class CUresult:
        CUDA_SUCCESS = 0

    @staticmethod
    def CUstream(handle=0):
        return int(handle)

    @staticmethod
    def cuKernelGetFunction(handle):
        return 0, handle

    @staticmethod
    def cuLaunchKernel(fn, gx, gy, gz, bx, by, bz, shmem, stream, params, extra):
        name, argtypes = _kernels[fn]
        if STATE["check"]:
            layout: list = []
            for ty in argtypes:
                _flatten(ty, layout)
            slots = (ctypes.c_void_p * len(layout)).from_address(params)
            values = [ctype.from_address(slots[k]).value for k, (_, ctype) in enumerate(layout)]
            if STATE["gc_each_launch"]:
                gc.collect()   # collect before the check: a buffer only garbage holds is caught
            _check_params(name, argtypes, values)
            if min(gx, gy, gz, bx, by, bz) < 1 or bx * by * bz > 1024:
                errors.append(f"{name}: bad launch configuration {(gx, gy, gz)} x {(bx, by, bz)}")
        _launched(name)
        return (0,)

    @staticmethod
    def _memset(ptr, value, count, width):
        STATE["memsets"] += 1
        hit = _find(int(ptr))
        if hit is None or int(ptr) + count * width > hit[0] + len(hit[1]):
            errors.append(f"memset at {int(ptr):#x} of {count * width} bytes is outside an allocation")
            return (0,)
        base, mem = hit
        pattern = int(value).to_bytes(width, "little")
        start = int(ptr) - base
        mem[start:start + count * width] = pattern * count
        return (0,)

    @classmethod
    def cuMemsetD32Async(cls, ptr, value, count, stream):
        return cls._memset(ptr, value, count, 4)

    @classmethod
    def cuMemsetD16Async(cls, ptr, value, count, stream):
        return cls._memset(ptr, value, count, 2)

    @classmethod
    def cuMemsetD8Async(cls, ptr, value, count, stream):
        return cls._memset(ptr, value, count, 1)


def install() -> None:
    """Replace the driver under numba-cuda and minitorch's launcher (idempotent)."""
    if _installed[0]:
        return
    _installed[0] = True
    os.environ["NUMBA_ENABLE_CUDASIM"] = "0"
    from numba import cuda
    import numba.cuda.api as api
    import numba.cuda.dispatcher as nd
    from numba.cuda import codegen
    from numba.cuda.cudadrv import devicearray as da
    from numba.cuda.cudadrv import devices
    from numba.cuda.cudadrv.driver import AutoFreePointer, binding
    from numba.cuda.utils import UniqueDict

    class _Device:
        compute_capability = (9, 0)
        name = b"host tier (no GPU)"
        id = 0

    allocs = UniqueDict()

    def memalloc(size):
        ptr_value = _next[0]
        _next[0] += max((size + (1 << 20) - 1) // (1 << 20), 1) << 20
        ptr = binding.CUdeviceptr(ptr_value)
        _memory[ptr_value] = bytearray(size)

        def finalize(p=ptr_value, key=ptr, size=size):
            allocs.pop(key, None)
            _memory.pop(p, None)
            freed[p] = size        # numba-cuda would cuMemFree here
        mem = AutoFreePointer(None, ptr, size, finalizer=finalize)
        allocs[ptr] = mem
        return mem.own()

    class _Context:
        device = _Device()

        def memalloc(self, size):
            return memalloc(size)

        def get_default_stream(self):
            return 0

    ctx = _Context()
    devices.get_context = lambda devnum=None: ctx
    nd.get_context = devices.get_context
    nd.get_current_device = lambda: _Device()
    api.get_current_device = lambda: _Device()
    devices._runtime.ensure_context = lambda: contextlib.nullcontext()
    codegen.JITCUDACodegen.magic_tuple = lambda self: ("nvptx64-nvidia-cuda", (9, 0), "")

    def _ptr(arr) -> int:
        return int(arr.__cuda_array_interface__["data"][0])

    def copy_to_host(self, ary=None, stream=0):
        STATE["d2h"] += 1
        base, mem = _find(_ptr(self))
        start = _ptr(self) - base
        host = np.frombuffer(bytes(mem[start:start + self.nbytes]), self.dtype).reshape(self.shape)
        if ary is not None:
            ary[...] = host
            return ary
        return host.copy()

    def copy_to_device(self, ary, stream=0):
        STATE["h2d"] += 1
        data = np.ascontiguousarray(ary).view(np.uint8).reshape(-1)
        base, mem = _find(_ptr(self))
        start = _ptr(self) - base
        mem[start:start + data.size] = data.tobytes()

    da.DeviceNDArray.copy_to_host = copy_to_host
    da.DeviceNDArray.copy_to_device = copy_to_device

    def synchronize():
        STATE["syncs"] += 1
    cuda.synchronize = synchronize

    # kernel modules: no cubin is loaded; a handle names the kernel for the fake launch
    class _Function:
        def __init__(self, handle):
            self.handle = handle
            self.kernel = handle
            self.module = None

    def get_cufunc(self):
        handle = id(self)
        if handle not in _kernels:
            _kernels[handle] = (self._entry_name, None)
        return _Function(handle)
    codegen.CUDACodeLibrary.get_cufunc = get_cufunc

    original_compile = nd.CUDADispatcher.compile

    def compile_(self, sig):
        kernel = original_compile(self, sig)
        _kernels[id(kernel._codelibrary)] = (self.py_func.__name__, kernel.argument_types)
        return kernel
    nd.CUDADispatcher.compile = compile_
    nd._Kernel.bind = lambda self: None

    # numba's own launch path (cuda.core's launch): the same checks on its flattened args
    def core_launch(stream, config, kernel, *args):
        name, argtypes = _kernels[kernel]
        values = [a.value if hasattr(a, "value") else a for a in args]
        if STATE["gc_each_launch"]:
            gc.collect()
        if STATE["check"]:
            _check_params(name, argtypes, values)
        _launched(name)
    nd.launch = core_launch

    from minitorch._backends.cuda import _launch, _runtime
    _runtime._state.clear()
    _runtime._state.update({"module": cuda, "available": True, "why": None})
    _runtime.device_count = lambda: 1
    if hasattr(_launch, "use_driver"):
        _launch.use_driver(_FakeCU)
