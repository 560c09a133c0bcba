"""A sweep of bad input over the whole public API: every function of ``minitorch`` and
``nn.functional`` (the declarations, ``_declare.FUNCTIONS`` / ``FUNCTIONAL``, plus the
creation and random functions) and every Tensor method is called with arguments drawn
from a pool of bad values (wrong types, negative, huge and overflowing sizes, NaN and
inf, wrong dtypes, empty, 0-d and non-contiguous tensors). Whatever happens, only the
exception kinds PyTorch uses may come out (TypeError, ValueError, RuntimeError,
IndexError, NotImplementedError and their subclasses), raised by minitorch itself: an
exception of NumPy's or numba's own classes, or one raised from inside NumPy or numba
(a ValueError of a ufunc, an AxisError, a MemoryError, a KeyError of a lookup table),
is a bug, and so is a call that hangs.

Deterministic (hypothesis derandomised, no example database) and bounded: a few examples
per callable.
"""
import os
import signal
import traceback
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minitorch
from minitorch import _declare
from tests._compat import torch

ALLOWED = (TypeError, ValueError, RuntimeError, IndexError, NotImplementedError)
# Where the exception may not come from: raised inside these packages, it is a raw error.
_FOREIGN = (os.path.dirname(np.__file__),)
try:
    import numba
    _FOREIGN += (os.path.dirname(numba.__file__),)
except ImportError:  # pragma: no cover
    pass

# Functions that change process-wide state or touch files; their misuse is in the catalogue.
_SKIP = {"manual_seed", "seed", "set_rng_state", "set_default_dtype", "set_num_threads", "set_printoptions",
         "save", "load", "set_grad_enabled", "initial_seed", "get_rng_state", "default_generator",
         "register_hook", "cuda", "share_memory_", "data_ptr", "numpy", "tolist", "item", "backward"}

_CREATION = ("zeros", "ones", "empty", "full", "arange", "linspace", "eye", "tensor", "as_tensor", "from_numpy",
             "zeros_like", "ones_like", "empty_like", "full_like", "rand", "randn", "randint", "randperm",
             "rand_like", "randn_like", "normal", "bernoulli", "multinomial", "promote_types", "device")


def _stateful(name: str) -> bool:
    """A process-wide setter (set_default_device, use_deterministic_algorithms, ...): a bad
    value it accepts, as torch does (set_default_device(1) means cuda:1), would change every
    later test."""
    return name in _SKIP or name.startswith(("set_", "use_"))


def _functions():
    out = {f"minitorch.{n}": f for n, f in sorted(_declare.FUNCTIONS.items()) if not _stateful(n)}
    out.update({f"minitorch.{n}": getattr(minitorch, n) for n in _CREATION})
    out.update({f"F.{n}": f for n, f in sorted(_declare.FUNCTIONAL.items()) if not _stateful(n)})
    return out


def _methods():
    names = [n for n in dir(minitorch.Tensor) if not n.startswith("_") and n not in _SKIP
             and hasattr(minitorch.Tensor, n)]  # (unsupported names raise NotSupportedError)
    names += ["__getitem__", "__setitem__", "__add__", "__sub__", "__mul__", "__truediv__", "__floordiv__",
              "__mod__", "__pow__", "__matmul__", "__and__", "__or__", "__xor__", "__invert__", "__neg__",
              "__lt__", "__eq__", "__contains__", "__len__", "__bool__", "__float__", "__int__", "__index__",
              "__iadd__", "__imul__"]
    out = {}
    for n in names:
        attr = getattr(minitorch.Tensor, n)
        if callable(attr) and not isinstance(attr, (property, type)):
            out[f"Tensor.{n}"] = attr
    return out


FUNCTIONS = _functions()
METHODS = _methods()


# ----- the pool of bad values -----------------------------------------------------------------
def _tensor_makers():
    m = minitorch
    return [
        lambda: m.randn(2, 3),
        lambda: m.randn(3, dtype=m.float64),
        lambda: m.tensor([1, 2, 3]),
        lambda: m.tensor([0, 5, -1]),
        lambda: m.tensor([True, False]),
        lambda: m.tensor(1.5),
        lambda: m.tensor(2),
        lambda: m.zeros(0),
        lambda: m.zeros(0, 3),
        lambda: m.randn(3, 4).t(),                       # non-contiguous
        lambda: m.randn(6)[::2],                         # strided
        lambda: m.ones(1, 3).expand(4, 3),               # stride 0
        lambda: m.tensor([float("nan"), float("inf"), -float("inf")]),
        lambda: m.randn(2, 3, requires_grad=True),       # a leaf that requires grad
        lambda: m.randn(1, 2, 4, 4),                     # images (N, C, H, W)
        lambda: m.randn(2, 3, 4),
        lambda: m.tensor([[0, 1], [1, 0]]),
        lambda: m.tensor([0.5, 0.2], dtype=m.float16),
        lambda: m.tensor([7], dtype=m.uint8),
        lambda: m.zeros(2, 0),
        lambda: m.ones(1),
        lambda: m.randn(3, 2, dtype=m.float64).t(),
        lambda: m.tensor([[True, False, True]]),
        lambda: m.randn(2, 3, 5),                        # (N, C, L), or (batch, seq, features)
    ]


_BAD = [None, "a", "", b"x", [1, 2], [], (2, -3), (2.5,), {}, {"a": 1}, object(), 1.5, -0.5, True, False,
        complex(1, 2), float("nan"), float("inf"), -float("inf"), 1e300, 0, 1, 2, 3, -1, -7, 2 ** 58, 2 ** 62,
        2 ** 70, -2 ** 70, np.int64(2), np.float32(1.5), np.array([1, 2]), np.array(["a"]), slice(None),
        Ellipsis, minitorch.float64, minitorch.int64, minitorch.bool, "cpu", "cuda:x", "mean", "bogus",
        lambda *a: a]

_TENSORS = st.sampled_from(range(len(_tensor_makers()))).map(lambda i: _tensor_makers()[i]())
_VALUES = st.one_of(_TENSORS, st.sampled_from(_BAD), st.integers(-4, 4))
_KEYWORDS = ["dim", "dtype", "keepdim", "out", "device", "p", "reduction", "weight", "size", "requires_grad",
             "inplace", "alpha", "groups", "stride", "padding", "num_classes", "ignore_index", "label_smoothing",
             "as_tuple", "rounding_mode", "approximate", "generator", "correction", "unbiased", "min", "max",
             "diagonal", "start_dim", "end_dim", "index", "src", "mask", "value", "other", "exponent", "eps",
             "momentum", "training", "bias", "scale", "is_causal", "attn_mask", "dropout_p", "dilation"]
_KWARGS = st.dictionaries(st.sampled_from(_KEYWORDS), _VALUES, max_size=2)


class _Hang(Exception):
    pass


def _alarm(signum, frame):
    raise _Hang()


def _call(fn, args, kwargs):
    """fn(*args, **kwargs) under a 10 s alarm; the exception it raised (None if none)."""
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(10)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(*args, **kwargs)
    except _Hang:
        pytest.fail(f"{fn!r} hung on args={args!r} kwargs={kwargs!r}")
    except BaseException as error:  # noqa: BLE001 - what comes out is the point
        return error
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    return None


def check_error(name: str, error, args, kwargs) -> None:
    """error (or None) is one PyTorch would raise, raised by minitorch, not NumPy or numba."""
    if error is None:
        return
    where = f"{name}(*{args!r}, **{kwargs!r})"
    detail = "".join(traceback.format_exception(error))[-1500:]
    assert isinstance(error, ALLOWED), f"{where} raised {type(error).__module__}.{type(error).__name__}: {detail}"
    module = type(error).__module__
    assert not module.startswith(("numpy", "numba")), f"{where} raised NumPy/numba's {type(error)}: {detail}"
    frames = traceback.extract_tb(error.__traceback__)
    if frames:
        assert not frames[-1].filename.startswith(_FOREIGN), f"{where}: a raw error from inside: {detail}"
    for raw in ("ufunc", "numba", "operands could not be broadcast", "zero-size array", "array is too big"):
        assert raw not in str(error), f"{where}: a raw message: {detail}"


_SETTINGS = settings(max_examples=int(4 * float(os.environ.get("MINITORCH_HYPOTHESIS_SCALE", "1"))) or 1,
                     derandomize=True, database=None, deadline=None,
                     suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@_SETTINGS
@given(args=st.lists(_VALUES, max_size=4), kwargs=_KWARGS)
def test_function_with_bad_input(name, args, kwargs):
    check_error(name, _call(FUNCTIONS[name], args, kwargs), args, kwargs)


@pytest.mark.parametrize("name", sorted(METHODS))
@_SETTINGS
@given(self=_TENSORS, args=st.lists(_VALUES, max_size=3), kwargs=_KWARGS)
def test_method_with_bad_input(name, self, args, kwargs):
    check_error(name, _call(METHODS[name], (self,) + tuple(args), kwargs), args, kwargs)


# what the sweep found at MINITORCH_HYPOTHESIS_SCALE=25 (AttributeError/OverflowError from inside)
_FOUND = {
    "roll_float_shift": lambda m: m.roll(m.ones(3), float("inf")),
    "roll_float_in_shifts": lambda m: m.roll(m.ones(3), (1.5,)),
    "roll_str_dims": lambda m: m.roll(m.ones(3), 1, "a"),
    "roll_float_in_dims": lambda m: m.roll(m.ones(3), 1, (0.5,)),
    "instance_norm_str_running_mean": lambda m: m.nn.functional.instance_norm(m.ones(1, 2, 4), "a"),
    "instance_norm_str_weight": lambda m: m.nn.functional.instance_norm(m.ones(1, 2, 4), weight="a"),
    "gaussian_nll_no_input": lambda m: m.nn.functional.gaussian_nll_loss(None, m.ones(2, 3), m.ones(2, 3)),
    "gaussian_nll_no_target": lambda m: m.nn.functional.gaussian_nll_loss(m.ones(2, 3), None, m.ones(2, 3)),
    "clamp_max_list": lambda m: m.ones(2, 3).clamp_max([1, 2]),
    "clamp_max_str": lambda m: m.ones(2, 3).clamp_max("a"),
    "clamp_min_none": lambda m: m.ones(2, 3).clamp_min(None),
}


@pytest.mark.parametrize("name", list(_FOUND))
def test_cases_the_sweep_found_raise_torchs_error_type(name):
    with pytest.raises((TypeError, AttributeError)) as mine:
        _FOUND[name](minitorch)
    check_error(name, mine.value, (), {})
    if torch is not None:
        with pytest.raises(Exception) as theirs:
            _FOUND[name](torch)
        assert isinstance(mine.value, type(theirs.value))
        if name.startswith(("roll", "instance_norm")):
            assert str(mine.value) == str(theirs.value)


def test_the_sweep_covers_the_api():
    assert len(FUNCTIONS) > 150 and len(METHODS) > 200
    for name in ("minitorch.zeros", "minitorch.cat", "F.cross_entropy", "F.conv2d", "minitorch.randint"):
        assert name in FUNCTIONS
    for name in ("Tensor.view", "Tensor.__getitem__", "Tensor.add_", "Tensor.scatter_add_"):
        assert name in METHODS


def test_the_check_catches_raw_errors():
    """The sweep's check fails on what it is there to find (so that it cannot pass vacuously)."""
    def raw_numpy():
        np.add(np.ones(2), np.ones(3))

    def raw_lookup():
        return {}["erf"]
    for fn in (raw_numpy, raw_lookup, lambda: np.empty(2 ** 58)):
        error = _call(fn, (), {})
        with pytest.raises(AssertionError):
            check_error(fn.__name__, error, (), {})
