"""minitorch.backends.cpu: the vector instruction set the CPU kernels can use."""
from __future__ import annotations

import platform

__all__ = ["get_cpu_capability"]


def get_cpu_capability() -> str:
    """Return the CPU capability as PyTorch names it: "AVX512", "AVX2" or "NO AVX" on x86-64
    (what numba's LLVM compiles the kernels for on this CPU), "DEFAULT" elsewhere."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return "DEFAULT"
    try:
        from llvmlite import binding as llvm
        features = llvm.get_host_cpu_features()
    except Exception:  # noqa: BLE001 - llvmlite could not read the features: assume nothing
        return "DEFAULT"
    if all(features.get(f, False) for f in ("avx512f", "avx512bw", "avx512vl", "avx512dq")):
        return "AVX512"
    if features.get("avx2", False):
        return "AVX2"
    return "NO AVX"
