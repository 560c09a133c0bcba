"""The in-place view ops (unsqueeze_, squeeze_, transpose_/swapdims_/swapaxes_, t_) and the
legacy tensor types (minitorch.LongTensor, FloatTensor, ...): against PyTorch where installed,
against NumPy and finite differences always."""
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


# ----- legacy tensor types ---------------------------------------------------------------------
_TYPES = [("FloatTensor", "float32"), ("DoubleTensor", "float64"), ("LongTensor", "int64"), ("IntTensor", "int32"),
          ("ByteTensor", "uint8"), ("BoolTensor", "bool"), ("ShortTensor", "int16"), ("CharTensor", "int8")]


@pytest.mark.parametrize("name,dtype", _TYPES)
def test_legacy_type_builds_tensors_of_its_dtype(name, dtype):
    cls = getattr(minitorch, name)
    assert repr(cls) == f"<class 'torch.{name}'>" and cls.dtype is getattr(minitorch, dtype)
    made = cls([[1, 0], [1, 1]])
    np.testing.assert_array_equal(made.numpy(), np.array([[1, 0], [1, 1]], dtype=dtype))
    assert tuple(cls(2, 3).shape) == (2, 3) and tuple(cls(minitorch.Size([4])).shape) == (4,)
    assert tuple(cls().shape) == (0,) and cls().dtype is cls.dtype
    assert isinstance(made, cls) and not issubclass(cls, minitorch.Tensor)
    assert made.type() == f"torch.{name}"
    converted = minitorch.tensor([1.0, 0.0, 2.0]).type(cls)
    assert converted.dtype is cls.dtype and isinstance(converted, cls)


def test_legacy_type_converts_arrays_truncating_as_torch():
    np.testing.assert_array_equal(minitorch.LongTensor(np.array([1.7, -2.5])).numpy(), [1, -2])
    np.testing.assert_array_equal(minitorch.FloatTensor(np.arange(3, dtype=np.int32)).numpy(), [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(minitorch.LongTensor((2, 3)).numpy(), [2, 3])  # a tuple is data
    assert not isinstance(minitorch.ones(2), minitorch.LongTensor)


def test_legacy_type_of_a_tensor_shares_memory_or_refuses_another_dtype():
    x = minitorch.tensor([1, 2])
    y = minitorch.LongTensor(x)
    y[0] = 7
    assert x[0].item() == 7
    with pytest.raises(TypeError, match=r"expected TensorOptions\(dtype=long int.*got TensorOptions\(dtype=float"):
        minitorch.LongTensor(minitorch.ones(2))
    with pytest.raises(TypeError, match="new\\(\\): invalid data type 'str'"):
        minitorch.LongTensor("a")
    with pytest.raises(TypeError, match=r"new\(\): data must be a sequence \(got float\)"):
        minitorch.LongTensor(2.5)
    with pytest.raises(TypeError, match=r"got \(list, dtype=torch.dtype\)"):
        minitorch.LongTensor([1], dtype=minitorch.float32)


@requires_torch
@pytest.mark.parametrize("args", [([1.5, 2.0],), (2, 3), ((2, 3),), ([[1, 2], [3, 4]],), ()])
@pytest.mark.parametrize("name", ["FloatTensor", "LongTensor", "DoubleTensor", "BoolTensor"])
def test_legacy_types_match_torch(name, args):
    ours, theirs = getattr(minitorch, name)(*args), getattr(torch, name)(*args)
    assert tuple(ours.shape) == tuple(theirs.shape) and str(ours.dtype) == str(theirs.dtype)
    if all(not isinstance(a, int) for a in args):  # (sizes give uninitialised memory)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    for error_args in [("a",), (2.5,), ([1], 2)]:
        with pytest.raises(TypeError) as mine:
            getattr(minitorch, name)(*error_args)
        with pytest.raises(TypeError) as torchs:
            getattr(torch, name)(*error_args)
        assert str(mine.value).split("\n")[0] == str(torchs.value).split("\n")[0]
