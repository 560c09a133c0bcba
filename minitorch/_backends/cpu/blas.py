"""Which BLAS runs the CPU table's matrix products: NumPy's own (OpenBLAS) or Intel MKL.

NumPy's wheels carry OpenBLAS, and by default every product goes through NumPy's
``matmul``. Intel MKL, when installed (``pip install minitorch[mkl]``, which brings the
``mkl`` package: shared libraries only), is loaded with ctypes from its ``libmkl_rt`` and
its ``cblas_sgemm`` / ``cblas_dgemm`` are called directly, for float32/float64 matrices
(a transposed view is passed as a transpose flag, not copied). The choice:

    MINITORCH_BLAS=auto      (default) MKL when it is installed and the CPU is Intel's,
                             else NumPy's
    MINITORCH_BLAS=openblas  NumPy's BLAS always ("numpy" means the same)
    MINITORCH_BLAS=mkl       MKL whenever it is installed (a warning, then NumPy's, when not)

read at import (another value is a ValueError); ``set_blas(name)`` changes it while a
program runs and ``get_blas()`` says which library runs the large products. Measured
(docs/benchmarks.md, "Threads"): on the AMD EPYC of the development VMs MKL was no
faster than OpenBLAS at the training shapes and slower on small products, hence "auto"
keeps MKL for Intel CPUs, where torch's own MKL GEMMs are the ones to match.

A ctypes call costs a few microseconds more than NumPy's, so products smaller than
``MKL_MIN_MNK`` multiply-adds (m*n*k) stay on NumPy, as do batched and integer ones.
MKL's thread count follows ``minitorch.set_num_threads``; its OpenMP threads are told to
sleep as soon as a product ends (``KMP_BLOCKTIME=0`` unless the user set it), so they do
not spin on the cores numba's kernels run on next.
"""
from __future__ import annotations

import ctypes
import os
import warnings

import numpy as np

from ... import _threads
from . import _pool

ENV = "MINITORCH_BLAS"
CHOICES = ("auto", "openblas", "mkl")
_ALIASES = {"": "auto", "numpy": "openblas"}

# Products with fewer multiply-adds go to NumPy even when MKL is chosen: below this the
# ctypes call (3-8 µs here) is a large part of the product (64x128x10: NumPy 9 µs).
MKL_MIN_MNK = 1 << 18

_NEVER = 1 << 126
_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
# _MIN[0]: the least m*n*k that goes to MKL. 0 until the first product resolves the
# choice (so that product comes here to do it), then MKL_MIN_MNK or _NEVER.
_MIN = [0]
_STATE: dict = {"choice": None, "mkl": None, "lib": None}


def _parse(value: str) -> str:
    name = _ALIASES.get(value.strip().lower(), value.strip().lower())
    if name not in CHOICES:
        raise ValueError(f"{ENV}={value!r}: expected one of {', '.join(CHOICES)} (or numpy, the same as openblas)")
    return name


_STATE["choice"] = _parse(os.environ.get(ENV, ""))


def _cpu_vendor() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("vendor_id"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def _mkl_path() -> str | None:
    """The libmkl_rt of the installed ``mkl`` package, or None."""
    import importlib.metadata as metadata
    try:
        files = metadata.files("mkl") or ()
    except metadata.PackageNotFoundError:
        return None
    for f in files:
        if "libmkl_rt" in f.name:
            path = os.path.realpath(str(f.locate()))
            if os.path.exists(path):
                return path
    return None


def _load_mkl():
    """(sgemm, dgemm) of MKL, loaded once; None when MKL is not installed or cannot load."""
    if _STATE["lib"] is None:
        _STATE["lib"] = False
        path = _mkl_path()
        if path is None:
            return None
        os.environ.setdefault("KMP_BLOCKTIME", "0")  # read when MKL's OpenMP starts
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            return None
        ci, vp = ctypes.c_int, ctypes.c_void_p
        fns = []
        for name, real in (("cblas_sgemm", ctypes.c_float), ("cblas_dgemm", ctypes.c_double)):
            fn = getattr(lib, name)
            fn.argtypes = [ci, ci, ci, ci, ci, ci, real, vp, ci, vp, ci, real, vp, ci]
            fn.restype = None
            fns.append(fn)
        setter, getter = lib.MKL_Set_Num_Threads, lib.MKL_Get_Max_Threads
        setter.argtypes, setter.restype = [ci], None
        getter.argtypes, getter.restype = [], ci
        setter(_threads.get_num_threads())
        _threads.EXTRA_POOLS.append((setter, getter))
        _STATE["lib"] = tuple(fns)
    return _STATE["lib"] or None


def _resolve() -> None:
    """Settle which library runs the products (at the first product, or after set_blas)."""
    choice = _STATE["choice"]
    use_mkl = False
    if choice == "mkl":
        use_mkl = _load_mkl() is not None
        if not use_mkl:
            warnings.warn(f"{ENV}=mkl, but Intel MKL is not installed (pip install mkl, or minitorch[mkl]): "
                          "using NumPy's BLAS", RuntimeWarning, stacklevel=4)
    elif choice == "auto":
        use_mkl = _cpu_vendor() == "GenuineIntel" and _load_mkl() is not None
    _threads.apply_default_to_blas()
    _STATE["mkl"] = use_mkl
    _MIN[0] = MKL_MIN_MNK if use_mkl else _NEVER


def set_blas(name: str) -> None:
    """Run the products on name's library: "auto", "openblas" (NumPy's) or "mkl"
    (RuntimeError when MKL is not installed)."""
    name = _parse(name)
    if name == "mkl" and _load_mkl() is None:
        raise RuntimeError("Intel MKL is not installed (pip install mkl, or minitorch[mkl])")
    _STATE["choice"] = name
    _resolve()


def get_blas() -> str:
    """"mkl" or "openblas": the library that runs the large float products."""
    if not _MIN[0]:
        _resolve()
    return "mkl" if _STATE["mkl"] else "openblas"


def mkl_available() -> bool:
    """Whether Intel MKL is installed and loads."""
    return _load_mkl() is not None


def _operand(a: np.ndarray):
    """(transpose flag, leading dimension, array) of a 2-D operand for row-major CBLAS:
    a row-major matrix as it is, a transposed one (a column-major view) with the flag,
    anything else copied."""
    size = a.itemsize
    rows, cols = a.shape
    s0, s1 = a.strides
    if (s1 == size or cols == 1) and s0 % size == 0 and s0 // size >= max(cols, 1):
        return _NO_TRANS, s0 // size, a
    if (s0 == size or rows == 1) and s1 % size == 0 and s1 // size >= max(rows, 1):
        return _TRANS, s1 // size, a
    a = np.ascontiguousarray(a)
    return _NO_TRANS, max(cols, 1), a


def _mkl_product(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> np.ndarray:
    """out = a @ b through MKL's cblas_?gemm, or NumPy's matmul (choice not settled, not
    a float32/float64 product)."""
    if not _MIN[0]:
        _resolve()
        if not _STATE["mkl"] or a.shape[0] * b.shape[1] * a.shape[1] < _MIN[0]:
            return np.matmul(a, b, out=out)
    kind = a.dtype.char
    if kind not in "fd":
        return np.matmul(a, b, out=out)
    gemm = _STATE["lib"][0 if kind == "f" else 1]
    m, k = a.shape
    n = b.shape[1]
    ta, lda, a = _operand(a)
    tb, ldb, b = _operand(b)
    gemm(_ROW_MAJOR, ta, tb, m, n, k, 1.0, a.ctypes.data, lda, b.ctypes.data, ldb, 0.0, out.ctypes.data, n)
    return out


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b with NumPy's batch broadcasting; the product of two matrices goes into a pooled
    buffer, through MKL when it is chosen and the product is large enough."""
    if a.ndim == 2 and b.ndim == 2 and a.dtype is b.dtype and a.shape[1] == b.shape[0]:
        out = _pool.empty((a.shape[0], b.shape[1]), a.dtype)
        if a.shape[0] * b.shape[1] * a.shape[1] >= _MIN[0]:
            return _mkl_product(a, b, out)
        return np.matmul(a, b, out=out)
    out = np.matmul(a, b)
    return out if type(out) is np.ndarray else np.asarray(out)  # 1-D @ 1-D gives a NumPy scalar
