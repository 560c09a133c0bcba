"""Global switches that PyTorch keeps in its C++ context and exposes in several places
(``torch.backends.*`` flags, ``torch.set_float32_matmul_precision``,
``torch.use_deterministic_algorithms``). minitorch stores and reports them; none of them
changes a computation (there is no cuDNN, no TF32 and no nondeterministic kernel choice)."""
from __future__ import annotations

# float32 matmul precision: "highest" (the default), "high" or "medium". PyTorch ties it to
# torch.backends.cuda.matmul.allow_tf32: True is "high", False "highest".
MATMUL_PRECISION = ["highest"]

# torch.backends.cudnn / torch.backends.mkldnn flags, by name.
CUDNN = {"enabled": True, "benchmark": False, "deterministic": False, "allow_tf32": True}
MKLDNN = {"enabled": True, "deterministic": False}

# torch.use_deterministic_algorithms: (mode, warn_only).
DETERMINISTIC = [False, False]


def check_bool(setter: str, value) -> bool:
    """value when it is a Python bool; PyTorch's RuntimeError naming its C++ setter otherwise."""
    if not isinstance(value, bool):
        kind = type(value)
        name = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"
        raise RuntimeError(f"{setter} expects a bool, but got {name}")
    return value
