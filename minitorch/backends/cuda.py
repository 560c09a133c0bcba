"""minitorch.backends.cuda: torch.backends.cuda's matmul flags and ``is_built``.

``matmul.allow_tf32`` (and the reduced-precision flags) are kept as PyTorch keeps them and
are tied to ``minitorch.set_float32_matmul_precision`` the same way; minitorch's GPU matmul
always computes in full float32, so they change nothing.
"""
from __future__ import annotations

from .. import _flags

__all__ = ["is_built", "matmul"]


def is_built() -> bool:
    """Return whether minitorch is built with CUDA support (always: its CUDA backend is part
    of the package; ``minitorch.cuda.is_available()`` says whether a GPU can run it)."""
    return True


def _parse_reduction(value, attr: str) -> tuple:
    """PyTorch's (allow_reduced_precision, allow_splitk) from a bool or a tuple/list of bools."""
    def ensure_bool(obj, which):
        if isinstance(obj, bool):
            return obj
        raise TypeError(f"{attr} expects a bool for {which}, but got {type(obj)!r}")
    if isinstance(value, bool):
        return value, True
    if isinstance(value, (list, tuple)):
        if not value:
            raise TypeError(f"{attr} expects at least one boolean argument")
        if len(value) > 2:
            raise TypeError(f"{attr} expects at most two boolean arguments")
        first = ensure_bool(value[0], "allow_reduced_precision")
        return (first, True) if len(value) == 1 else (first, ensure_bool(value[1], "allow_splitk"))
    raise TypeError(f"{attr} expects a bool or a tuple/list of bools, but got {type(value)!r}")


class cuBLASModule:  # noqa: N801 - PyTorch's name
    """torch.backends.cuda.matmul: the cuBLAS flags (stored; they change nothing here)."""

    _reduction = {"fp16": (True, True), "bf16": (True, True)}

    def __getattr__(self, name):
        if name == "allow_tf32":
            return _flags.MATMUL_PRECISION[0] != "highest"
        if name == "fp32_precision":
            return "none" if _flags.MATMUL_PRECISION[0] == "highest" else "tf32"
        for kind in ("fp16", "bf16"):
            if name == f"allow_{kind}_reduced_precision_reduction":
                return self._reduction[kind][0]
            if name == f"allow_{kind}_reduced_precision_reduction_split_k":
                return self._reduction[kind][1]
        raise AttributeError("Unknown attribute " + name)

    def __setattr__(self, name, value):
        if name == "allow_tf32":
            _flags.MATMUL_PRECISION[0] = "high" if _flags.check_bool("set_allow_tf32_cublas", value) else "highest"
            return
        for kind in ("fp16", "bf16"):
            if name == f"allow_{kind}_reduced_precision_reduction":
                type(self)._reduction = {**self._reduction, kind: _parse_reduction(value, name)}
                return
        raise AttributeError("Unknown attribute " + name)


matmul = cuBLASModule()
