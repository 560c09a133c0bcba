"""Device-side asserts: errors a kernel finds (an out-of-range class target) without a
host round trip, raised on the host at the next sync point.

PyTorch's CUDA kernels report such errors asynchronously too ("device-side assert
triggered", at a later CUDA call). minitorch's kernels write (1, value) into one small
device flag array; the host reads it only when it synchronises anyway (a copy to the
host: ``.item()``, ``.cpu()``, ``.numpy()``, printing; or ``minitorch.cuda.synchronize()``)
and only if a kernel that can set it ran since the last check. Then the flag is cleared
and the error raised there, e.g. ``IndexError: Target 12 is out of bounds.``, the
message the CPU raises at the call itself.
"""
from __future__ import annotations

import numpy as np

_state: dict = {"flag": None, "pending": None}


def flag():
    """The (2,) int64 device flag (made zeroed on first use)."""
    arr = _state["flag"]
    if arr is None:
        from ._array import CudaArray
        from ._table import backend
        arr = CudaArray.empty((2,), np.int64)
        backend(0).fill(arr, 0)
        _state["flag"] = arr
    return arr


def expect(kind: str) -> None:
    """A kernel that may set the flag was launched (kind names the error's message)."""
    _state["pending"] = kind


def check() -> None:
    """At a sync point: raise the error a kernel flagged since the last check, if any."""
    kind = _state["pending"]
    if kind is None:
        return
    _state["pending"] = None
    from ._array import read
    arr = _state["flag"]
    hit, value = (int(v) for v in read(arr, 0, 2))
    if hit:
        from ._table import backend
        backend(0).fill(arr, 0)
        if kind == "nll":
            raise IndexError(f"Target {value} is out of bounds.")
        raise RuntimeError(f"CUDA kernel error (device-side assert): {kind} {value}")
