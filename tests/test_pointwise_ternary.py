"""addcmul, addcdiv and lerp (and their in-place forms): values and gradients against torch
on broadcast, non-contiguous inputs; float64 gradcheck and NumPy references without torch;
dtypes, node names and errors."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitorch
from minitorch.autograd import gradcheck
from tests._compat import requires_torch, torch
from tests.strategies import broadcastable_shapes, grad_leaf, hsettings, tensors, to_numpy

OPS = ["addcmul", "addcdiv", "lerp"]


def _numpy(name, a, b, c, value=0.5):
    if name == "addcmul":
        return a + value * b * c
    if name == "addcdiv":
        return a + value * b / c
    return a + c * (b - a)


def _call(lib, name, a, b, c, value=0.5):
    fn = getattr(lib, name)
    return fn(a, b, c) if name == "lerp" else fn(a, b, c, value=value)


@requires_torch
@hsettings(max_examples=25)
@given(data=st.data(), name=st.sampled_from(OPS), dtype=st.sampled_from(["float32", "float64"]))
def test_values_and_gradients_match_torch_on_any_layout(data, name, dtype):
    shapes = data.draw(broadcastable_shapes(3, min_side=1, max_dims=3), label="shapes")
    if name == "lerp":  # the in-place result must hold the broadcast shape: keep input widest
        shapes = (np.broadcast_shapes(*shapes),) + tuple(shapes[1:])
    lo_hi = {"lo": 0.5, "hi": 3} if name == "addcdiv" else {}
    drawn = [data.draw(tensors(s, dtype, **(lo_hi if i == 2 else {})), label=f"t{i}") for i, s in enumerate(shapes)]
    arrays = [a for a, _ in drawn]
    mts = [grad_leaf(t) for _, t in drawn]
    ths = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    out, expected = _call(minitorch, name, *mts), _call(torch, name, *ths)
    assert out.grad_fn.name() == expected.grad_fn.name()
    rtol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(to_numpy(out), to_numpy(expected), rtol=rtol, atol=rtol)
    seed = np.random.default_rng(0).standard_normal(tuple(expected.shape)).astype(dtype)
    out.backward(minitorch.tensor(seed))
    expected.backward(torch.tensor(seed))
    for a, b in zip(mts, ths):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=rtol, atol=rtol)


@requires_torch
@pytest.mark.parametrize("name", OPS)
@pytest.mark.parametrize("weight", [0.25, 0.75, -0.6, 1.0])
def test_number_weight_and_value_match_torch(name, weight):
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((2, 3, 50)).astype(np.float32)
    c = rng.uniform(0.5, 2, (3, 50)).astype(np.float32)
    mt_args = [minitorch.tensor(x) for x in (a, b)]
    th_args = [torch.tensor(x) for x in (a, b)]
    if name == "lerp":
        out, expected = minitorch.lerp(*mt_args, weight), torch.lerp(*th_args, weight)
        assert out.grad_fn is None
    else:
        out = getattr(minitorch, name)(*mt_args, minitorch.tensor(c), value=weight)
        expected = getattr(torch, name)(*th_args, torch.tensor(c), value=weight)
    # PyTorch's CPU kernel fuses the last multiply-add (one rounding); here it is two
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=2e-7, atol=2e-7)


@requires_torch
@pytest.mark.parametrize("name", OPS)
def test_in_place_forms_and_out_match_torch(name):
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((2, 4, 3))
    c = rng.uniform(0.5, 2, (4, 3)) if name != "lerp" else rng.uniform(0, 1, (4, 3))
    x, y = minitorch.tensor(a.copy()), torch.tensor(a.copy())
    third = (lambda lib, v: 0.3) if name == "lerp" else (lambda lib, v: lib.tensor(v))
    kwargs = {} if name == "lerp" else {"value": -2.0}
    result = getattr(x, name + "_")(minitorch.tensor(b), third(minitorch, c), **kwargs)
    getattr(y, name + "_")(torch.tensor(b), third(torch, c), **kwargs)
    assert result is x and x._version == 1
    np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-12)
    out = minitorch.empty(4, 3, dtype=minitorch.float64)
    returned = getattr(minitorch, name)(minitorch.tensor(a), minitorch.tensor(b), third(minitorch, c),
                                        out=out, **kwargs)
    assert returned is out
    np.testing.assert_allclose(out.numpy(), y.numpy(), rtol=1e-12)


@requires_torch
def test_result_dtypes_follow_torchs_promotion():
    for dtypes in [("float32", "float64", "float32"), ("int64", "int64", "float32"),
                   ("float32", "float32", "float64")]:
        zero_d = [(3,), (), (3,)]
        for lib in (minitorch, torch):
            args = [lib.ones(s, dtype=getattr(lib, d)) for s, d in zip(zero_d, dtypes)]
            args_full = [lib.ones(3, dtype=getattr(lib, d)) for d in dtypes]
            if lib is minitorch:
                mine = (lib.addcmul(*args).dtype, lib.addcmul(*args_full).dtype)
            else:
                theirs = (lib.addcmul(*args).dtype, lib.addcmul(*args_full).dtype)
        assert [str(d) for d in mine] == [str(d) for d in theirs], dtypes
    ints = [minitorch.tensor([3, 4]) for _ in range(3)]
    assert minitorch.addcmul(*ints, value=2.9).tolist() == torch.addcmul(
        *[torch.tensor([3, 4]) for _ in range(3)], value=2.9).tolist()


def _errors(lib):
    f, d, i = lib.ones(3), lib.ones(3, dtype=lib.float64), lib.ones(3, dtype=lib.int64)
    return [
        lambda: lib.addcmul(f, lib.ones(4), f),
        lambda: lib.addcmul(f, [1.0], f),
        lambda: lib.addcdiv(f, i, i),
        lambda: lib.lerp(f, d, 0.5),
        lambda: lib.lerp(f, f, d),
        lambda: lib.lerp(f, i, 0.5),
        lambda: lib.lerp(f, f, "a"),
        lambda: lib.zeros(3).addcmul_(lib.ones(2, 3), f),
        lambda: lib.zeros(3).lerp_(lib.ones(2, 3), 0.5),
    ]


@requires_torch
def test_errors_match_torch():
    for k, (mine, theirs) in enumerate(zip(_errors(minitorch), _errors(torch))):
        with pytest.raises(Exception) as th_info:
            theirs()
        with pytest.raises(type(th_info.value)) as mt_info:
            mine()
        assert type(mt_info.value) is type(th_info.value), k
        assert str(mt_info.value) == str(th_info.value), k


# ----- without torch -----------------------------------------------------------------------

@pytest.mark.parametrize("name", OPS)
def test_gradients_match_central_differences(name):
    rng = np.random.default_rng(3)
    a = minitorch.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    b = minitorch.tensor(rng.standard_normal((1, 3)), requires_grad=True)
    c = minitorch.tensor(rng.uniform(0.5, 2, (2, 1)), requires_grad=True)
    assert gradcheck(lambda x, y, z: _call(minitorch, name, x, y, z, value=0.7), (a, b, c))
    if name == "lerp":
        assert gradcheck(lambda x, y: minitorch.lerp(x, y, 0.8), (a, b))


@hsettings(max_examples=20)
@given(data=st.data(), name=st.sampled_from(OPS))
def test_values_match_numpy_on_any_layout(data, name):
    shape = data.draw(st.sampled_from([(3, 4), (2, 3, 2), (5,)]))
    a, x = data.draw(tensors(shape, "float64"))
    b, y = data.draw(tensors(shape, "float64"))
    c, z = data.draw(tensors(shape, "float64", lo=0.5, hi=2))
    np.testing.assert_allclose(_call(minitorch, name, x, y, z).numpy(), _numpy(name, a, b, c), rtol=1e-12, atol=1e-12)


def test_lerp_is_exact_at_both_ends():
    a = minitorch.tensor([1e8, -3.0, 0.1])
    b = minitorch.tensor([1.0, 7.0, 1e-3])
    assert minitorch.lerp(a, b, 1.0).tolist() == b.tolist()
    assert minitorch.lerp(a, b, 0.0).tolist() == a.tolist()
    assert minitorch.lerp(a, b, minitorch.ones(3)).tolist() == b.tolist()


def test_in_place_form_records_the_graph_like_the_out_of_place_op():
    x = minitorch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    y.addcmul_(x, x, value=3)
    assert y.grad_fn.name() == "AddcmulBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [1 + 6 * 1.0, 1 + 6 * 2.0]
