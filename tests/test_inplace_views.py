"""The in-place view ops (unsqueeze_, squeeze_, transpose_/swapdims_/swapaxes_, t_): against
PyTorch where installed, against NumPy and finite differences always."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import minitorch
from minitorch.autograd import gradcheck

from ._compat import requires_torch, torch
from .strategies import hsettings, tensors, to_numpy

_CASES = [("unsqueeze_", (0,)), ("unsqueeze_", (-1,)), ("squeeze_", ()), ("squeeze_", (1,)), ("squeeze_", ((1, 3),)),
          ("transpose_", (0, 2)), ("swapdims_", (-1, 1)), ("swapaxes_", (3, 0))]
_OUT_OF_PLACE = {"unsqueeze_": "unsqueeze", "squeeze_": "squeeze", "transpose_": "transpose",
                 "swapdims_": "swapdims", "swapaxes_": "swapaxes"}


def _numpy_view(arr, name, args):
    if name == "unsqueeze_":
        return np.expand_dims(arr, args[0])
    if name == "squeeze_":
        if not args:
            return arr.squeeze()
        dims = args[0] if isinstance(args[0], tuple) else (args[0],)
        return arr.squeeze(tuple(d for d in dims if arr.shape[d] == 1))
    return np.swapaxes(arr, *args)


@given(pair=tensors(shape=st.sampled_from([(2, 1, 3, 1), (1, 1, 2, 1), (3, 1, 1, 2)])),
       case=st.sampled_from(_CASES))
@hsettings(max_examples=25)
def test_inplace_view_ops_match_numpy_on_any_layout(pair, case):
    arr, t = pair
    name, args = case
    before = t._version
    result = getattr(t, name)(*args)
    assert result is t
    expected = _numpy_view(arr, name, args)
    assert tuple(t.shape) == expected.shape
    np.testing.assert_array_equal(to_numpy(t), expected)
    assert t._version == before + 1


@given(pair=tensors(shape=st.sampled_from([(2, 3), (4,), (1, 5), ()])))
@hsettings(max_examples=20)
def test_t_in_place_is_the_matrix_transpose(pair):
    arr, t = pair
    t.t_()
    np.testing.assert_array_equal(to_numpy(t), arr.T)


def test_inplace_view_ops_write_through_to_the_same_memory():
    base = minitorch.zeros(2, 3)
    view = base[0]
    view.unsqueeze_(0)
    view[0, 1] = 5.0
    assert base[0, 1].item() == 5.0 and tuple(base.shape) == (2, 3)


@pytest.mark.parametrize("name,args", _CASES + [("t_", ())])
def test_inplace_view_gradients_by_finite_differences(name, args):
    shape = (3, 2) if name == "t_" else (2, 1, 3, 1)
    x = minitorch.randn(*shape, dtype=minitorch.float64, requires_grad=True)
    weights = minitorch.randn(*shape, dtype=minitorch.float64)

    def f(a):
        y = a * 1
        getattr(y, name)(*args)
        return (y * getattr(weights, _OUT_OF_PLACE.get(name, "t"))(*args)).sum()

    assert gradcheck(f, (x,))


def test_inplace_view_on_a_leaf_that_requires_grad_is_refused():
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        minitorch.ones(2, requires_grad=True).unsqueeze_(0)
    with pytest.raises(RuntimeError, match=r"t_\(\) expects a tensor with <= 2 dimensions, but self is 3D"):
        minitorch.ones(2, 3, 4).t_()
    with pytest.raises(IndexError, match="Dimension out of range"):
        minitorch.ones(2).unsqueeze_(3)


@requires_torch
@pytest.mark.parametrize("name,args", _CASES + [("t_", ())])
def test_inplace_view_ops_match_torch_values_nodes_and_gradients(name, args):
    shape = (3, 2) if name == "t_" else (2, 1, 3, 1)
    data = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    results = []
    for lib in (minitorch, torch):
        x = lib.tensor(data, requires_grad=True)
        y = x * 2
        getattr(y, name)(*args)
        (y * y).sum().backward()
        results.append((type(y.grad_fn).__name__, tuple(y.shape), tuple(y.stride()), y.detach().numpy(),
                        x.grad.numpy()))
    (mname, mshape, mstride, my, mg), (tname, tshape, tstride, ty, tg) = results
    assert (mname, mshape, mstride) == (tname, tshape, tstride)
    np.testing.assert_array_equal(my, ty)
    np.testing.assert_array_equal(mg, tg)
