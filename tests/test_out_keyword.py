"""The out= keyword as torch 2.13 has it: the result written into out and out returned,
out resized (with the deprecation warning when it had elements), autograd refused, the
device checked. Literal expectations; where torch is installed, compared with it too."""
import warnings

import numpy as np
import pytest

import minitorch
from tests._compat import torch

CALLS = {
    "add": "lib.add(a, b, out=o)",
    "add_alpha": "lib.add(a, b, alpha=2, out=o)",
    "mul": "lib.mul(a, b, out=o)",
    "mul_scalar": "lib.mul(a, 2, out=o)",
    "matmul": "lib.matmul(a, b.t(), out=o)",
    "matmul_vectors": "lib.matmul(a[0], b[0], out=o)",
    "cat": "lib.cat([a, b], out=o)",
    "cat_dim1": "lib.cat([a, b], 1, out=o)",
    "stack": "lib.stack([a, b], out=o)",
    "exp": "lib.exp(a, out=o)",
    "sum_dim": "lib.sum(a, 0, out=o)",
    "cumsum": "lib.cumsum(a, 1, out=o)",
    "index_select": "lib.index_select(a, 1, lib.tensor([0, 2]), out=o)",
    "gather": "lib.gather(a, 1, lib.tensor([[0], [2]]), out=o)",
}


def _inputs(lib):
    return lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), lib.tensor([[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]])


def _expected(lib, name):
    a, b = _inputs(lib)
    return eval(CALLS[name].replace(", out=o", ""), {"lib": lib, "a": a, "b": b})


@pytest.mark.parametrize("name", sorted(CALLS))
@pytest.mark.parametrize("out_shape", ["right", "empty", "wrong"])
def test_result_is_written_into_out_and_out_is_returned(name, out_shape):
    a, b = _inputs(minitorch)
    expected = _expected(minitorch, name)
    shape = {"right": tuple(expected.shape), "empty": (0,), "wrong": (7,)}[out_shape]
    o = minitorch.full(shape, -1.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = eval(CALLS[name], {"lib": minitorch, "a": a, "b": b, "o": o})
    assert result is o
    np.testing.assert_array_equal(o.numpy(), expected.numpy())
    resized = [w for w in caught if "An output with one or more elements was resized" in str(w.message)]
    assert len(resized) == (1 if out_shape == "wrong" else 0)
    if torch is not None:
        ta, tb = _inputs(torch)
        to = torch.full(shape, -1.0)
        with warnings.catch_warnings(record=True) as theirs:
            warnings.simplefilter("always")
            eval(CALLS[name], {"lib": torch, "a": ta, "b": tb, "o": to})
        np.testing.assert_allclose(o.numpy(), to.numpy(), rtol=1e-6)  # (exp: libm vs SLEEF, 1 ulp)
        assert [str(w.message) for w in resized] == [str(w.message).split(" (Triggered")[0] for w in theirs
                                                     if "was resized" in str(w.message)]


@pytest.mark.parametrize("name", ["add", "mul", "matmul", "cat", "exp", "cumsum"])
def test_out_refuses_autograd(name):
    a, b = _inputs(minitorch)
    a.requires_grad_()
    fn = "cat" if name == "cat" else name
    with pytest.raises(RuntimeError, match=rf"^{fn}\(\): functions with out=\.\.\. arguments don't support automatic "
                                           r"differentiation, but one of the arguments requires grad\.$"):
        eval(CALLS[name], {"lib": minitorch, "a": a, "b": b, "o": minitorch.empty(0)})
    with minitorch.no_grad():
        eval(CALLS[name], {"lib": minitorch, "a": a, "b": b, "o": minitorch.empty(0)})


def test_out_must_be_a_tensor():
    a, b = _inputs(minitorch)
    with pytest.raises(TypeError, match=r"^add\(\): argument 'out' must be Tensor, not list$"):
        minitorch.add(a, b, out=[])


def test_out_may_be_a_wider_float():
    a, b = _inputs(minitorch)
    o = minitorch.empty(2, 3, dtype=minitorch.float64)
    minitorch.add(a, b, out=o)
    assert o.dtype is minitorch.float64 and o.tolist() == [[2.0, 3.0, 4.0], [6.0, 7.0, 8.0]]


def test_out_views_are_written_through():
    a, b = _inputs(minitorch)
    base = minitorch.zeros(2, 4)
    minitorch.add(a, b, out=base[:, 1:])
    assert base.tolist() == [[0.0, 2.0, 3.0, 4.0], [0.0, 6.0, 7.0, 8.0]]


# torch refuses these, and so does minitorch's shared out= rule (minitorch/_declare.py, _into_out).
@pytest.mark.parametrize("call, message", [
    ("lib.add(a, b, out=lib.empty(2, 3, dtype=lib.int64))", "result type Float can't be cast to the desired output type Long"),
    ("lib.exp(a, out=lib.empty(2, 3, dtype=lib.int32))", "result type Float can't be cast to the desired output type Int"),
])
def test_out_refuses_a_narrowing_cast(call, message):
    a, b = _inputs(minitorch)
    with pytest.raises(RuntimeError, match=f"^{message}$"):
        eval(call, {"lib": minitorch, "a": a, "b": b})


def test_out_that_requires_grad_is_refused_as_torch():
    a, b = _inputs(minitorch)
    with pytest.raises(RuntimeError, match=r"^add\(\): functions with out=\.\.\. arguments don't support"):
        minitorch.add(a, b, out=minitorch.empty(2, 3, requires_grad=True))
    out = minitorch.empty(2, 3, requires_grad=True)
    with minitorch.no_grad():  # no graph, no refusal: torch writes into it
        minitorch.add(a, b, out=out)
    assert out.requires_grad and out.tolist() == (a + b).tolist()
