"""minitorch: a small, readable deep-learning framework with PyTorch's interface.

``import minitorch as torch`` and PyTorch code runs: tensors, autograd, nn, optim and
data loading, on numba-compiled CPU kernels and a numba.cuda backend. The functions of
this namespace (``minitorch.exp``, ``minitorch.cat``, ...) are the ops' declarations in
``minitorch/_ops`` (see ``_declare.py``).
"""
from . import dtypes as _dtypes
from ._printing import get_printoptions, set_printoptions
from ._size import Size
from ._threads import get_num_threads, set_num_threads
from .device import device
from .dtypes import (bool, double, dtype, float, float16, float32, float64, half, int, int8,  # noqa: A004
                     int16, int32, int64, long, promote_types, short, uint8)
from .tensor import Tensor
from ._creation import (arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like,
                        linspace, ones, ones_like, tensor, zeros, zeros_like)
from . import _ops  # noqa: F401 - declares every op (Tensor methods, minitorch.* functions)
from ._declare import FUNCTIONS as _FUNCTIONS
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .autograd.anomaly_mode import is_anomaly_check_nan_enabled, is_anomaly_enabled, set_anomaly_enabled
from .random import (Generator, bernoulli, default_generator, get_rng_state, initial_seed, manual_seed,
                     multinomial, normal, rand,
                     rand_like, randint, randn, randn_like, randperm, seed, set_rng_state)
from . import autograd, nn, optim, utils  # noqa: E402
from .serialization import load, save  # noqa: E402
from .nn._compile import compile  # noqa: E402,A004 - torch.compile
from .amp.autocast_mode import autocast, is_autocast_enabled  # noqa: E402 - torch.autocast

__version__ = "0.1.0"

globals().update(_FUNCTIONS)  # minitorch.exp, minitorch.cat, ...: the ops' function forms

# Loaded on first use: they pull in tqdm and the dataset code, which most programs
# that only compute never need.
_LAZY_SUBMODULES = ("train", "viz", "vision", "distributed", "cuda", "onnx", "backends", "accelerator", "multiprocessing",
                    "distributions", "special", "hub", "amp", "compiler", "cpu", "linalg", "func")


def __getattr__(name: str):
    if name in _LAZY_SUBMODULES:
        import importlib
        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    from ._unsupported import missing
    raise missing("", name, "module 'minitorch'")
