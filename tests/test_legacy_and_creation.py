"""Legacy tensor types (FloatTensor, ...), set_default_tensor_type, and randint_like,
empty_strided, asarray, frombuffer, as torch's."""
import array
import warnings

import numpy as np
import pytest

import minitorch
from tests._compat import requires_torch, torch

NAMES = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor", "CharTensor",
         "ByteTensor", "BoolTensor"]


@pytest.mark.parametrize("name", NAMES)
def test_legacy_types_construct_and_match_by_dtype(name):
    kind = getattr(minitorch, name)
    assert repr(kind) == f"<class 'torch.{name}'>"
    made = kind([1, 0, 1])
    assert type(made) is minitorch.Tensor and made.dtype is kind.dtype and made.tolist() == [1, 0, 1]
    assert kind(2, 3).shape == (2, 3) and kind(2, 3).dtype is kind.dtype
    assert kind().shape == (0,)
    assert isinstance(made, kind)
    assert kind(made) is made  # same dtype: an alias, as the legacy constructor
    others = [getattr(minitorch, n) for n in NAMES if n != name]
    assert not any(isinstance(made, other) for other in others)
    assert made.type() == f"torch.{name}"
    assert minitorch.zeros(2).type(kind).dtype is kind.dtype


@requires_torch
@pytest.mark.parametrize("name", NAMES)
def test_legacy_types_agree_with_torch(name):
    mine, theirs = getattr(minitorch, name), getattr(torch, name)
    assert repr(mine) == repr(theirs) and str(mine.dtype) == str(theirs.dtype)
    data = [[1.7, 2.0], [0.0, 3.5]]
    np.testing.assert_array_equal(mine(data).numpy(), theirs(data).numpy())
    assert isinstance(minitorch.ones(2).to(mine.dtype), minitorch.FloatTensor) == \
        isinstance(torch.ones(2).to(theirs.dtype), torch.FloatTensor)
    assert minitorch.ones(2).type(f"torch.{name}").dtype is mine.dtype


def test_legacy_constructor_errors_and_parameters():
    with pytest.raises(TypeError, match=r"expected int tensor \(got long int tensor\)"):
        minitorch.IntTensor(minitorch.tensor([1, 2]))
    assert isinstance(minitorch.nn.Parameter(minitorch.ones(2)), minitorch.FloatTensor)
    assert not issubclass(minitorch.FloatTensor, minitorch.Tensor)
    assert minitorch.nn.Linear(2, 2).type(minitorch.DoubleTensor).weight.dtype is minitorch.float64


def test_set_default_tensor_type_warns_and_sets_the_default_dtype():
    try:
        with pytest.warns(UserWarning, match=r"torch.set_default_tensor_type\(\) is deprecated as of PyTorch 2.1"):
            minitorch.set_default_tensor_type(minitorch.DoubleTensor)
        assert minitorch.tensor([1.0]).dtype is minitorch.float64
        with pytest.warns(UserWarning):
            minitorch.set_default_tensor_type("torch.FloatTensor")
        assert minitorch.tensor([1.0]).dtype is minitorch.float32
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(TypeError, match="only floating-point types are supported as the default type"):
                minitorch.set_default_tensor_type(minitorch.LongTensor)
    finally:
        minitorch.set_default_dtype(minitorch.float32)


@requires_torch
@pytest.mark.parametrize("args,kwargs", [((10,), {}), ((3, 10), {"dtype": "int64"}), ((-5, 5), {})])
def test_randint_like_draws_as_torch(args, kwargs):
    def draw(lib):
        lib.manual_seed(5)
        kw = {k: getattr(lib, v) for k, v in kwargs.items()}
        return lib.randint_like(lib.ones(3, 4), *args, **kw)
    mine, theirs = draw(minitorch), draw(torch)
    assert str(mine.dtype) == str(theirs.dtype)
    np.testing.assert_array_equal(mine.numpy(), theirs.numpy())


def test_randint_like_stays_in_range():
    x = minitorch.randint_like(minitorch.zeros(1000, dtype=minitorch.int64), 3, 7)
    assert x.dtype is minitorch.int64 and 3 <= x.min().item() and x.max().item() <= 6


@pytest.mark.parametrize("size,stride", [((2, 3), (3, 1)), ((2, 3), (1, 2)), ((2, 3, 4), (1, 8, 2)), ((), ()),
                                         ((1, 3), (7, 1))])
def test_empty_strided_has_the_requested_layout(size, stride):
    t = minitorch.empty_strided(size, stride, dtype=minitorch.float64)
    assert t.shape == size and t.dtype is minitorch.float64
    assert all(s == st for s, st, n in zip(t.stride(), stride, size) if n > 1)
    with pytest.raises(NotImplementedError, match="not a dense layout"):
        minitorch.empty_strided((2, 3), (4, 1))


def test_asarray_shares_memory_where_it_can():
    arr = np.arange(4.0)
    shared = minitorch.asarray(arr)
    arr[0] = 9.0
    assert shared[0].item() == 9.0 and shared.dtype is minitorch.float64
    copied = minitorch.asarray(arr, dtype=minitorch.float32)
    arr[1] = 7.0
    assert copied[1].item() == 1.0
    t = minitorch.ones(2)
    assert minitorch.asarray(t) is t
    assert minitorch.asarray(t, copy=True) is not t
    assert minitorch.asarray(t, dtype=minitorch.float64).dtype is minitorch.float64
    assert minitorch.asarray([1, 2]).dtype is minitorch.int64 and minitorch.asarray(3).shape == ()
    assert minitorch.asarray([1.5], requires_grad=True).requires_grad
    with pytest.raises(ValueError):
        minitorch.asarray(t, dtype=minitorch.float64, copy=False)


def test_frombuffer_shares_memory_and_checks_sizes():
    buf = bytearray(np.array([1, 2, 3], np.int32).tobytes())
    t = minitorch.frombuffer(buf, dtype=minitorch.int32)
    assert t.tolist() == [1, 2, 3]
    buf[0] = 5
    assert t[0].item() == 5
    assert minitorch.frombuffer(array.array("f", [1.0, 2.0, 3.0]), dtype=minitorch.float32, count=2,
                                offset=4).tolist() == [2.0, 3.0]
    with pytest.raises(ValueError, match=r"buffer length \(3 bytes\) after offset \(0 bytes\) must be a multiple"):
        minitorch.frombuffer(bytearray(3), dtype=minitorch.int32)
    with pytest.raises(ValueError, match=r"both buffer length \(0\) and count \(-1\) must not be 0"):
        minitorch.frombuffer(bytearray(), dtype=minitorch.int32)


@requires_torch
@pytest.mark.parametrize("kwargs", [{}, {"count": 1, "offset": 4}, {"offset": 8}, {"count": 3}, {"offset": -1},
                                    {"count": 0}])
def test_frombuffer_matches_torch(kwargs):
    data = np.array([1, 2, 3], np.int32).tobytes()

    def run(lib):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return lib.frombuffer(bytearray(data), dtype=lib.int32, **kwargs)
    try:
        expected = run(torch)
    except Exception as e:  # noqa: BLE001 - mirror torch
        with pytest.raises(type(e), match="^" + str(e).replace("(", r"\(").replace(")", r"\)") + "$"):
            run(minitorch)
        return
    assert run(minitorch).tolist() == expected.tolist()
