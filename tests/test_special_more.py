"""torch.special's elementary rest: erfc, exp2, erfcx, ndtr, log_ndtr, ndtri, i0e, i1, i1e,
entr, xlog1py, multigammaln. Values against torch 2.13 (float64 to 1e-12; float32 against
torch's float64 on the same inputs), against Python's math module and identities without torch,
gradients against central differences and torch's, integer promotion, out= and errors."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitorch
from tests._compat import requires_torch, torch
from tests.strategies import hsettings, tensors

UNARY = ["erfc", "exp2", "erfcx", "ndtr", "log_ndtr", "ndtri", "i0e", "i1", "i1e", "entr"]
# computed in float64 and rounded once (the rest are composed in float32 Tensor ops)
ROUNDED_ONCE = {"erfc", "erfcx", "log_ndtr", "ndtri", "i0e", "i1", "i1e"}

_rng = np.random.default_rng(1234)
WIDE = np.concatenate([_rng.normal(0, 4, 300), _rng.normal(0, 40, 100),
                       [0.0, -0.0, 1e-300, -1e-8, 24.9, 25.1, 26.0, 27.0, -26.0, -27.0, 700.0, -700.0,
                        np.inf, -np.inf, np.nan]])
PROBS = np.concatenate([_rng.uniform(0, 1, 300), 10.0 ** -_rng.uniform(0, 300, 100),
                        1 - 10.0 ** -_rng.uniform(0, 16, 50), [0.0, 1.0, 0.5, 0.5 - 1e-12, 0.135, 1e-320,
                                                               -0.5, 1.5, np.nan]])


def _inputs(name):
    if name == "ndtri":
        return PROBS
    if name == "i1":  # (I1 overflows float64 beyond ~713)
        return WIDE[np.abs(WIDE) < 700]
    return WIDE


def _call(lib, name, *args):
    return getattr(lib.special, name)(*args)


@requires_torch
@pytest.mark.parametrize("name", UNARY)
def test_float64_values_match_torch(name):
    x = _inputs(name)
    got = _call(minitorch, name, minitorch.tensor(x)).numpy()
    want = _call(torch, name, torch.tensor(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300)


@requires_torch
@pytest.mark.parametrize("name", UNARY)
def test_float32_values_match_torchs_float64(name):
    x = _inputs(name).astype(np.float32)
    got = _call(minitorch, name, minitorch.tensor(x))
    assert got.dtype is minitorch.float32
    want = _call(torch, name, torch.tensor(x, dtype=torch.float64)).numpy()
    finite = np.isfinite(want) & (np.abs(want) < 3e38) & (np.abs(want) > 1e-37)
    # one rounding of the float64 value; the composed ones round a few float32 steps
    rtol, atol = (6e-8, 0) if name in ROUNDED_ONCE else (1e-6, 1e-7)
    np.testing.assert_allclose(got.numpy()[finite], want[finite], rtol=rtol, atol=atol)
    np.testing.assert_array_equal(np.isnan(got.numpy()), np.isnan(want))


def test_values_match_pythons_math_and_identities():
    x = np.array([-30.0, -5.5, -1.0, -0.25, 0.0, 0.3, 1.0, 2.5, 6.0, 30.0])
    t = minitorch.tensor(x)
    np.testing.assert_allclose(minitorch.special.erfc(t).numpy(), [math.erfc(v) for v in x], rtol=1e-14)
    np.testing.assert_allclose(minitorch.special.exp2(t).numpy(), 2.0 ** x, rtol=1e-14)
    # (torch's ndtr is (1 + erf(x / sqrt 2)) / 2, 0 far in the lower tail; log_ndtr is exact there)
    ndtr = [(1 + math.erf(v / math.sqrt(2))) / 2 for v in x]
    np.testing.assert_allclose(minitorch.special.ndtr(t).numpy(), ndtr, rtol=1e-14)
    exact = [math.log(0.5 * math.erfc(-v / math.sqrt(2))) if v < 0 else math.log1p(-0.5 * math.erfc(v / math.sqrt(2)))
             for v in x]
    np.testing.assert_allclose(minitorch.special.log_ndtr(t).numpy(), exact, rtol=1e-12)
    far = minitorch.special.log_ndtr(minitorch.tensor([-60.0])).item()
    assert far == pytest.approx(-1800 - math.log(60 * math.sqrt(2 * math.pi)), rel=1e-6)
    small = x[np.abs(x) < 20]
    np.testing.assert_allclose(minitorch.special.erfcx(minitorch.tensor(small)).numpy(),
                               [math.exp(v * v) * math.erfc(v) for v in small], rtol=1e-12)
    i0, i1 = minitorch.special.i0(t).numpy(), minitorch.special.i1(t).numpy()
    np.testing.assert_allclose(minitorch.special.i0e(t).numpy(), np.exp(-np.abs(x)) * i0, rtol=1e-13)
    np.testing.assert_allclose(minitorch.special.i1e(t).numpy(), np.exp(-np.abs(x)) * i1, rtol=1e-13)
    # I1(x) as the derivative of I0
    h = 1e-5
    np.testing.assert_allclose(i1[2:-1], (minitorch.special.i0(t + h) - minitorch.special.i0(t - h)).numpy()[2:-1]
                               / (2 * h), rtol=1e-8)
    p = minitorch.tensor([1e-300, 1e-20, 0.01, 0.2, 0.5, 0.7, 0.99, 1 - 1e-12], dtype=minitorch.float64)
    back = [0.5 * math.erfc(-v / math.sqrt(2)) for v in minitorch.special.ndtri(p).tolist()]
    np.testing.assert_allclose(back, p.numpy(), rtol=1e-13)
    pos = np.array([0.0, 0.5, 1.0, 3.0])
    np.testing.assert_allclose(minitorch.special.entr(minitorch.tensor(pos)).numpy(),
                               [0.0] + [-v * math.log(v) for v in pos[1:]], rtol=1e-15)
    assert minitorch.special.entr(minitorch.tensor([-1.0])).item() == -math.inf
    y = np.array([0.5, -0.5, 1e-20, 3.0])
    np.testing.assert_allclose(minitorch.special.xlog1py(minitorch.tensor(pos), minitorch.tensor(y)).numpy(),
                               pos * np.log1p(y), rtol=1e-15)
    a = minitorch.tensor([1.6, 2.0, 7.25], dtype=minitorch.float64)
    want = [sum(math.lgamma(v - j / 2) for j in range(3)) + 1.5 * math.log(math.pi) for v in a.tolist()]
    np.testing.assert_allclose(minitorch.special.multigammaln(a, 3).numpy(), want, rtol=1e-13)


def test_two_argument_values_match_torch():
    if torch is None:
        pytest.skip("torch is not installed")
    x = np.array([[0.0], [0.0], [1.5], [-2.0]])
    y = np.array([-1.0, np.nan, -0.5, 3.0, 1e-20])
    for a, b in [(x, y), (2.5, y), (x, 0.0), (x, -2.0), (0, y)]:
        ma = minitorch.tensor(a) if isinstance(a, np.ndarray) else a
        mb = minitorch.tensor(b) if isinstance(b, np.ndarray) else b
        ta = torch.tensor(a) if isinstance(a, np.ndarray) else a
        tb = torch.tensor(b) if isinstance(b, np.ndarray) else b
        np.testing.assert_allclose(minitorch.special.xlog1py(ma, mb).numpy(), torch.special.xlog1py(ta, tb).numpy(),
                                   rtol=1e-15)
    a = np.array([[0.6, 1.1, 2.0], [3.3, 10.0, 100.5]])
    for p in (1, 2, 4):
        np.testing.assert_allclose(minitorch.special.multigammaln(minitorch.tensor(a) + p, p).numpy(),
                                   torch.special.multigammaln(torch.tensor(a) + p, p).numpy(), rtol=1e-12)


DOMAIN = {"ndtri": [0.1, 0.45, 0.9], "entr": [0.2, 1.3, 2.0]}


@pytest.mark.parametrize("name", UNARY)
def test_gradients_against_central_differences(name):
    x = minitorch.tensor(DOMAIN.get(name, [-1.3, 0.4, 2.2]), dtype=minitorch.float64, requires_grad=True)
    assert minitorch.autograd.gradcheck(getattr(minitorch.special, name), (x,))


def test_two_argument_gradients_against_central_differences():
    x = minitorch.tensor([[0.5], [2.0]], dtype=minitorch.float64, requires_grad=True)
    y = minitorch.tensor([0.3, 1.5, -0.4], dtype=minitorch.float64, requires_grad=True)
    assert minitorch.autograd.gradcheck(minitorch.special.xlog1py, (x, y))
    assert minitorch.autograd.gradcheck(lambda v: minitorch.special.xlog1py(v, 0.5), (x,))
    assert minitorch.autograd.gradcheck(lambda v: minitorch.special.xlog1py(2.0, v), (y,))
    a = minitorch.tensor([2.2, 3.5, 9.0], dtype=minitorch.float64, requires_grad=True)
    assert minitorch.autograd.gradcheck(lambda v: minitorch.special.multigammaln(v, 3), (a,))


@requires_torch
@pytest.mark.parametrize("name", UNARY)
def test_gradients_match_torch_at_special_points(name):
    x = [0.0, 1e-300, 0.3, 0.999] if name in ("ndtri", "entr") else [-30.0, -1.0, 0.0, 0.5, 30.0]
    mx = minitorch.tensor(x, dtype=minitorch.float64, requires_grad=True)
    tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    _call(minitorch, name, mx).sum().backward()
    _call(torch, name, tx).sum().backward()
    np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), rtol=1e-11, atol=1e-300)


@requires_torch
def test_xlog1py_gradients_match_torch_where_input_is_zero():
    x, y = [0.0, 0.0, 2.0, 1.0], [-1.0, -2.0, 3.0, np.nan]
    mx, my = (minitorch.tensor(v, dtype=minitorch.float64, requires_grad=True) for v in (x, y))
    tx, ty = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (x, y))
    minitorch.special.xlog1py(mx, my).sum().backward()
    torch.special.xlog1py(tx, ty).sum().backward()
    np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), rtol=1e-15)
    np.testing.assert_allclose(my.grad.numpy(), ty.grad.numpy(), rtol=1e-15)


@given(tensors(dtype="float64", lo=-8, hi=8), st.sampled_from(UNARY))
@hsettings(max_examples=40)
def test_noncontiguous_inputs_give_the_contiguous_values(drawn, name):
    arr, t = drawn
    if name == "ndtri":
        arr, t = 1 / (1 + np.exp(arr)), (1 + t.exp()).reciprocal()
    got = _call(minitorch, name, t)
    want = _call(minitorch, name, minitorch.tensor(np.ascontiguousarray(arr)))
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-15)
    if torch is not None:
        ref = _call(torch, name, torch.tensor(arr)).numpy()
        np.testing.assert_allclose(got.numpy(), ref, rtol=1e-11, atol=1e-300)


def test_integer_inputs_promote_to_the_default_float_dtype():
    ints = minitorch.tensor([0, 1, 2])
    for name in UNARY:
        assert _call(minitorch, name, ints).dtype is minitorch.float32, name
    assert minitorch.special.xlog1py(ints, ints).dtype is minitorch.float32
    assert minitorch.special.multigammaln(ints + 2, 2).dtype is minitorch.float32
    np.testing.assert_allclose(minitorch.special.exp2(ints).numpy(), [1.0, 2.0, 4.0])


def test_top_level_and_tensor_forms_of_erfc_and_exp2():
    x = minitorch.tensor([-1.0, 0.5, 3.0])
    for name in ("erfc", "exp2"):
        want = getattr(minitorch.special, name)(x).numpy()
        np.testing.assert_array_equal(getattr(minitorch, name)(x).numpy(), want)
        np.testing.assert_array_equal(getattr(x, name)().numpy(), want)
        y = x.clone()
        assert getattr(y, name + "_")() is y
        np.testing.assert_array_equal(y.numpy(), want)
        z = x.clone()
        getattr(minitorch, name + "_")(z)
        np.testing.assert_array_equal(z.numpy(), want)


def test_out_keyword():
    x = minitorch.tensor([0.2, 0.7])
    for name in UNARY:
        out = minitorch.empty(2)
        result = getattr(minitorch.special, name)(x, out=out)
        assert result is out
        np.testing.assert_array_equal(out.numpy(), _call(minitorch, name, x).numpy())
    out = minitorch.empty(2)
    minitorch.special.multigammaln(x + 1, 2, out=out)
    np.testing.assert_array_equal(out.numpy(), minitorch.special.multigammaln(x + 1, 2).numpy())
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        minitorch.special.xlog1py(x, x, out=minitorch.empty(2, dtype=minitorch.int64))


def test_bad_arguments_raise_torchs_errors():
    x = minitorch.tensor([3.0])
    with pytest.raises(RuntimeError, match=r"p has to be greater than or equal to 1"):
        minitorch.special.multigammaln(x, 0)
    with pytest.raises(TypeError,
                       match=r"special_multigammaln\(\): argument 'p' \(position 2\) must be int, not float"):
        minitorch.special.multigammaln(x, 2.0)
    with pytest.raises(TypeError, match=r"special_erfcx\(\): argument 'input' \(position 1\) must be Tensor, not list"):
        minitorch.special.erfcx([1.0])
    with pytest.raises(TypeError, match=r"special_xlog1py\(\)"):
        minitorch.special.xlog1py(2, 3)
    with pytest.raises(TypeError, match=r"erfc\(\): argument 'input' \(position 1\) must be Tensor, not list"):
        minitorch.erfc([1.0])
