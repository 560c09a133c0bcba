"""torch.special's names in minitorch.special: each is the top-level op of the same values
(checked against torch 2.13 where installed, and against Python's math module without it),
gradients included; the names minitorch lacks raise NotImplementedError (test_unsupported)."""
import math

import numpy as np
import pytest

import minitorch
from tests._compat import torch

X = [0.05, 0.3, 0.5, 0.9, 1.7, 2.5]  # inside every function's domain (logit: (0, 1) for the first four)


def _args(name, lib):
    x = lib.tensor(X[:4] if name == "logit" else X, dtype=lib.float64)
    if name == "polygamma":
        return (1, x), {}
    if name == "zeta":
        return (x + 1, x), {}
    if name in ("xlogy", "xlog1py"):
        return (x, x + 1), {}
    if name == "multigammaln":
        return (x + 2, 3), {}
    if name in ("softmax", "log_softmax", "logsumexp"):
        return (x, 0), {}
    return (x,), {}


NAMES = sorted(minitorch.special.__all__)


def test_the_namespace_is_reachable_as_torch_special():
    assert minitorch.special is __import__("minitorch.special").special
    assert {"expit", "gammaln", "digamma", "psi", "erfinv", "i0", "logit", "xlogy"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_values_match_torch(name):
    if torch is None:
        pytest.skip("torch is not installed")
    args, kw = _args(name, minitorch)
    targs, tkw = _args(name, torch)
    got = getattr(minitorch.special, name)(*args, **kw)
    want = getattr(torch.special, name)(*targs, **tkw)
    # (torch's float64 trigamma is itself about 1e-10 off: at 0.5 it gives 4.934802202073678,
    # pi ** 2 / 2 is 4.934802200544679, which minitorch returns)
    rtol = 1e-9 if name == "polygamma" else 1e-12
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=rtol, atol=1e-12)


@pytest.mark.parametrize("name,reference", [
    ("expit", lambda v: 1 / (1 + math.exp(-v))), ("gammaln", math.lgamma), ("erf", math.erf),
    ("expm1", math.expm1), ("log1p", math.log1p), ("sinc", lambda v: math.sin(math.pi * v) / (math.pi * v)),
])
def test_values_match_pythons_math(name, reference):
    got = getattr(minitorch.special, name)(minitorch.tensor(X, dtype=minitorch.float64))
    np.testing.assert_allclose(got.numpy(), [reference(v) for v in X], rtol=1e-13)


@pytest.mark.parametrize("name", ["expit", "gammaln", "digamma", "erfinv", "logit", "i0", "sinc"])
def test_gradients_against_central_differences(name):
    x = minitorch.tensor([0.2, 0.35, 0.6], dtype=minitorch.float64, requires_grad=True)
    assert minitorch.autograd.gradcheck(getattr(minitorch.special, name), (x,))


def test_trigamma_is_exact_at_one_half():
    got = minitorch.special.polygamma(1, minitorch.tensor([0.5], dtype=minitorch.float64)).item()
    assert got == pytest.approx(math.pi ** 2 / 2, rel=1e-14)


def test_a_missing_special_function_is_a_clear_error():
    with pytest.raises(NotImplementedError, match=r"torch\.special\.gammainc is not supported"):
        minitorch.special.gammainc(minitorch.ones(2), minitorch.ones(2))
    assert not hasattr(minitorch.special, "gammainc")
