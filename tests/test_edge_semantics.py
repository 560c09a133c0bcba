"""Edge cases the bad-input sweep found that are not errors in PyTorch, so must not be in
minitorch either: Python ints beyond an integer dtype's range (they wrap, C-style),
clamp's result dtype, norm of order 0 and -inf, erf on the CPU, sign of a bool tensor,
flip of a 0-d tensor, nonzero of a 0-d tensor, assignment of a value with extra leading
size-1 dims, hardtanh of an integer tensor. Each checked against PyTorch where installed
and against a NumPy or math reference without it."""
import math

import numpy as np
import pytest

import minitorch
from tests._compat import requires_torch, torch


# ----- Python ints that an integer dtype can't hold wrap, as a C cast does -----------------------
def _c(value: int):
    """value C-cast to uint8 (mod 256), the NumPy reference of PyTorch's conversion."""
    return np.uint8(value % 256)


# (name, the call on a uint8 tensor t of the module m, its NumPy reference on the uint8 array a)
WRAPS = [
    ("sub_negative", lambda m, t: t - (-1), lambda a: a - _c(-1)),
    ("rsub", lambda m, t: 1 - t, lambda a: _c(1) - a),
    ("rsub_large", lambda m, t: 300 - t, lambda a: _c(300) - a),
    ("mul_large", lambda m, t: t * 1000, lambda a: a * _c(1000)),
    ("floordiv_negative", lambda m, t: t // -1, lambda a: a // _c(-1)),
    ("sub_inplace_negative", lambda m, t: t.clone().sub_(-1), lambda a: a - _c(-1)),
    ("eq_wraps", lambda m, t: t == 263, lambda a: a == _c(263)),
    ("gt_negative", lambda m, t: t > -1, lambda a: a > _c(-1)),
    ("lt_large", lambda m, t: t < 300, lambda a: a < _c(300)),
    ("where_negative", lambda m, t: m.where(t > 5, t, -1), lambda a: np.where(a > 5, a, _c(-1))),
    ("fill_negative", lambda m, t: t.clone().fill_(-1), lambda a: np.full_like(a, _c(-1))),
    ("clamp_min_wraps", lambda m, t: t.clamp(min=-255), lambda a: np.maximum(a, _c(-255))),
    ("clamp_max_negative", lambda m, t: t.clamp_max(-1), lambda a: np.minimum(a, _c(-1))),
]


@pytest.mark.parametrize("name,call,reference", WRAPS, ids=[w[0] for w in WRAPS])
def test_int_operands_wrap_into_small_integer_dtypes(name, call, reference):
    values = [7, 0, 200]
    got = call(minitorch, minitorch.tensor(values, dtype=minitorch.uint8))
    with np.errstate(over="ignore"):
        expected = reference(np.array(values, np.uint8))
    np.testing.assert_array_equal(got.numpy(), expected)
    assert got.numpy().dtype == expected.dtype
    if torch is not None:
        np.testing.assert_array_equal(got.numpy(), call(torch, torch.tensor(values, dtype=torch.uint8)).numpy())


def test_ints_beyond_64_bits_are_torchs_overflow_error():
    for call in (lambda: minitorch.tensor(2) + 2 ** 64, lambda: minitorch.tensor([2]) < 2 ** 70,
                 lambda: minitorch.full((2,), 2 ** 70), lambda: minitorch.arange(0, 3, 2 ** 70)):
        with pytest.raises(OverflowError, match="int too big to convert") as info:
            call()
        assert isinstance(info.value, RuntimeError)  # also one of the kinds ops raise


@pytest.mark.parametrize("call,message", [
    (lambda m: m.full((1,), 300, dtype=m.uint8), "uint8_t"),
    (lambda m: m.zeros(1, dtype=m.int8).clamp(max=1000), "int8_t"),
    (lambda m: m.zeros(1, dtype=m.uint8).clamp(min=-256), "uint8_t"),
    (lambda m: m.ones(1, dtype=m.uint8) ** 300, "uint8_t"),
    (lambda m: m.zeros(1, dtype=m.int32).fill_(2 ** 40), "int"),
    (lambda m: m.zeros(1, dtype=m.int64).fill_(2 ** 64 - 1), "int64_t"),
    (lambda m: m.full((1,), float("nan"), dtype=m.int64), "int64_t"),
    (lambda m: m.zeros(1).fill_(1e300), "float"),
    (lambda m: m.zeros(1).masked_fill(m.tensor([True]), 1e300), "float"),
])
def test_checked_conversions_refuse_what_the_dtype_cant_hold(call, message):
    with pytest.raises(RuntimeError, match=f"value cannot be converted to type {message} without overflow"):
        call(minitorch)
    if torch is not None:
        with pytest.raises(RuntimeError, match=f"value cannot be converted to type {message} without overflow"):
            call(torch)


def test_checked_conversions_accept_what_fits():
    assert minitorch.full((1,), -1, dtype=minitorch.uint8).tolist() == [255]  # -max..-1 fit an unsigned type
    assert minitorch.zeros(1, dtype=minitorch.int64).fill_(1.5).tolist() == [1]
    assert math.isinf(minitorch.full((1,), float("inf")).item())


# ----- clamp's result dtype ---------------------------------------------------------------------
@pytest.mark.parametrize("make,bounds,dtype", [
    (lambda m: m.tensor([True, False]), {"min": 2}, "int64"),
    (lambda m: m.tensor([True, False]), {"max": 3}, "int64"),
    (lambda m: m.tensor([7, 1], dtype=m.uint8), {"min": 1.5}, "float32"),
    (lambda m: m.tensor([7, 1], dtype=m.uint8), {"max": np.int64(2)}, "uint8"),
    (lambda m: m.tensor([1.0, 5.0]), {"min": 2}, "float32"),
])
def test_clamp_result_dtype_is_torchs(make, bounds, dtype):
    got = make(minitorch).clamp(**bounds)
    assert got.dtype.name == dtype
    lo, hi = bounds.get("min"), bounds.get("max")
    np.testing.assert_array_equal(got.numpy(), np.clip(make(minitorch).numpy().astype(got.dtype.np), lo, hi))
    if torch is not None:
        want = make(torch).clamp(**bounds)
        assert str(want.dtype) == f"torch.{dtype}"
        np.testing.assert_array_equal(got.numpy(), want.numpy())


# ----- norm of order 0 and -inf --------------------------------------------------------------------
@pytest.mark.parametrize("p", [0, -float("inf"), -1, 0.5, float("inf")])
def test_norm_orders(p):
    x = np.array([[0.0, -2.0, 3.0], [0.5, 0.0, -1.0]], np.float64)
    got = minitorch.tensor(x).norm(p)
    a = np.abs(x).reshape(-1)
    if p == 0:
        expected = np.count_nonzero(a)
    elif math.isinf(p):
        expected = a.max() if p > 0 else a.min()
    else:
        with np.errstate(divide="ignore"):
            expected = (a ** p).sum() ** (1 / p)
    np.testing.assert_allclose(got.item(), expected)
    if torch is not None:
        np.testing.assert_allclose(got.item(), torch.tensor(x).norm(p).item())


def test_norm_of_order_0_gives_no_gradient_and_of_minus_inf_the_min_ones():
    x = minitorch.tensor([[3.0, -1.0], [2.0, -4.0]], dtype=minitorch.float64, requires_grad=True)
    x.norm(0).backward()
    assert x.grad is None  # PyTorch's: the count of nonzeros sends no gradient at all
    if torch is not None:
        t = torch.tensor([[3.0, -1.0], [2.0, -4.0]], dtype=torch.float64, requires_grad=True)
        t.norm(0).backward()
        assert t.grad is None
    x.norm(-float("inf")).backward()
    assert x.grad.tolist() == [[0.0, -1.0], [0.0, 0.0]]
    if torch is not None:
        t = torch.tensor([[3.0, -1.0], [2.0, -4.0]], dtype=torch.float64, requires_grad=True)
        t.norm(-float("inf")).backward()
        assert t.grad.tolist() == x.grad.tolist()


def test_inf_norm_of_an_empty_tensor_is_torchs_error():
    with pytest.raises(RuntimeError, match="cannot compute the inf norm on an empty tensor"):
        minitorch.zeros(0).norm(float("inf"))


# ----- erf on the CPU ------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_erf_matches_libm_and_its_gradient(dtype):
    x = np.linspace(-4, 4, 41).astype(dtype)
    got = minitorch.tensor(x).erf()
    assert got.dtype.name == dtype
    np.testing.assert_allclose(got.numpy(), [math.erf(v) for v in x.astype(np.float64)], rtol=1e-6, atol=1e-7)
    assert minitorch.autograd.gradcheck(lambda t: t.erf(), (minitorch.tensor(x[::5].astype(np.float64),
                                                                               requires_grad=True),))
    if torch is not None:
        np.testing.assert_allclose(got.numpy(), torch.tensor(x).erf().numpy(), rtol=1e-6, atol=1e-7)


def test_erf_of_an_integer_tensor_is_a_float_tensor_and_non_contiguous_input_works():
    assert minitorch.tensor([0, 1]).erf().dtype == minitorch.float32
    x = minitorch.randn(4, 3)
    np.testing.assert_array_equal(x.t().erf().numpy(), x.erf().t().numpy())


# ----- small ones ----------------------------------------------------------------------------------
@requires_torch
@pytest.mark.parametrize("call", [
    lambda m: m.tensor([True, False]).sign(),
    lambda m: m.tensor(2.5).flip(0),
    lambda m: m.nonzero(m.tensor(3.0)),
    lambda m: m.nonzero(m.tensor(0.0)),
    lambda m: m.nonzero(m.tensor(1), as_tuple=True)[0],
    lambda m: m.nn.functional.hardtanh(m.tensor([0, 5, -3])),
    lambda m: m.nn.functional.hardtanh(m.tensor([[0, 1], [2, 0]]), 1, 1.5),
])
def test_matches_torch(call):
    got, want = call(minitorch), call(torch)
    assert str(got.dtype) == str(want.dtype) and tuple(got.shape) == tuple(want.shape)
    np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_assigning_a_value_with_extra_leading_ones():
    x = minitorch.zeros(2, 3)
    x[0] = minitorch.ones(1, 1, 3)
    y = minitorch.zeros(3)
    y[1] = minitorch.tensor([4.5])
    assert x.tolist() == [[1.0] * 3, [0.0] * 3] and y.tolist() == [0.0, 4.5, 0.0]
    with pytest.raises(RuntimeError, match="number of sizes provided"):
        x[0] = minitorch.ones(2, 1, 3)
