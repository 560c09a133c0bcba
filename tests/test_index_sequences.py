"""Indexing with Python sequences: ranges, lists (of lists), tuples inside the index, NumPy
integer, bool and float arrays, as PyTorch converts them (a short list holding a sequence,
slice, tensor, None or Ellipsis is a tuple of indices, with PyTorch's deprecation warning).
Expected values come from NumPy where the rules agree, and from torch where installed."""
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitorch
from tests._compat import requires_torch, torch
from tests.strategies import hsettings, layout_of

X = np.arange(12.0).reshape(3, 4)

# (index expression over `lib`, expected value from NumPy's rules on X, or an exception type)
CASES = {
    "range_and_list": ("[range(3), [0, 1, 2]]", X[[0, 1, 2], [0, 1, 2]]),
    "range": ("[range(3)]", X[[0, 1, 2]]),
    "range_empty": ("[range(0)]", X[[]]),
    "range_in_second_dim": ("[:, range(1, 3)]", X[:, 1:3]),
    "ranges_around_ellipsis": ("[range(2), ..., range(2)]", X[[0, 1], [0, 1]]),
    "list_of_lists_is_a_tuple": ("[[[0, 1], [1, 2]]]", X[[0, 1], [1, 2]]),
    "list_with_a_slice": ("[[0, slice(None)]]", X[0, :]),
    "list_with_none": ("[[None, 0]]", X[None, 0]),
    "list_with_ellipsis": ("[[Ellipsis, 0]]", X[..., 0]),
    "nested_list_one_index": ("[[[0, 1]]]", X[[0, 1]]),
    "list_with_a_list": ("[[0, [1, 2]]]", X[0, [1, 2]]),
    "tuple_inside_the_index": ("[(1, 2), (0, 3)]", X[[1, 2], [0, 3]]),
    "tuple_of_a_range": ("[(range(2),)]", X[[0, 1]]),
    "numpy_ints": ("[np.array([0, 2])]", X[[0, 2]]),
    "numpy_int32_2d": ("[np.array([[0, 1], [1, 2]], dtype=np.int32)]", X[[[0, 1], [1, 2]]]),
    "numpy_0d": ("[np.array(1)]", X[1]),
    "numpy_bool": ("[np.array([True, False, True])]", X[[True, False, True]]),
    "numpy_floats_truncate": ("[np.array([0.5, 1.7])]", X[[0, 1]]),
    "list_floats_truncate": ("[[1.5, 2]]", X[[1, 2]]),
    "bool_and_int_list_is_int": ("[[True, 1]]", X[[1, 1]]),
    "empty_lists": ("[[], []]", X[[], []]),
    "list_then_ellipsis": ("[[1, 2], ...]", X[[1, 2], ...]),
    "negative_in_list": ("[[2, -1], range(2)]", X[[2, -1], [0, 1]]),
    "list_of_0d_tensors_is_a_tuple": ("[[lib.tensor(0), lib.tensor(1)]]", X[0, 1]),
    "list_of_tensors_is_a_tuple": ("[[lib.tensor([0, 1]), lib.tensor([1, 2])]]", X[[0, 1], [1, 2]]),
    "float_scalar": ("[0.5]", IndexError),
    "set": ("[{0, 1}]", IndexError),
    "out_of_range_range": ("[range(10)]", IndexError),
    "three_lists_are_too_many": ("[[[0, 1], [0, 1], [0, 1]]]", IndexError),
    "string": ("['ab']", TypeError),
}


def _index(lib, expr):
    x = lib.tensor(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return eval("x" + expr, {"x": x, "lib": lib, "np": np})


@pytest.mark.parametrize("name", sorted(CASES))
def test_sequence_index_values(name):
    expr, expected = CASES[name]
    if isinstance(expected, type):
        with pytest.raises(expected):
            _index(minitorch, expr)
        return
    np.testing.assert_array_equal(_index(minitorch, expr).numpy(), expected)


@requires_torch
@pytest.mark.parametrize("name", sorted(CASES))
def test_sequence_index_matches_torch(name):
    expr, expected = CASES[name]
    results = []
    for lib in (torch, minitorch):
        try:
            out = _index(lib, expr)
            results.append((tuple(out.shape), out.tolist()))
        except Exception as e:  # noqa: BLE001 - the same exception, same message
            results.append((type(e).__name__, str(e).split(" (Triggered")[0]))
    assert results[0] == results[1]


def test_range_index_backward_is_index_backward():
    x = minitorch.arange(12.0).reshape(3, 4).requires_grad_()
    y = x[range(3), [1, 1, 3]]
    assert y.grad_fn.name() == "IndexBackward0"
    y.sum().backward()
    expected = np.zeros((3, 4))
    expected[[0, 1, 2], [1, 1, 3]] = 1
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_non_tuple_sequence_warns_as_torch():
    x = minitorch.arange(12.0).reshape(3, 4)
    with pytest.warns(UserWarning, match="Using a non-tuple sequence for multidimensional indexing is deprecated"):
        x[[[0, 1], [1, 2]]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x[[0, 1]]
        x[range(2), [0, 1]]
    with pytest.warns(UserWarning, match="indexing with dtype torch.uint8 is now deprecated"):
        x[np.array([0, 1, 1], dtype=np.uint8)]


def test_mask_shape_error_names_both_shapes():
    x = minitorch.arange(12.0).reshape(3, 4)
    with pytest.raises(IndexError, match=r"^The shape of the mask \[2\] at index 0 does not match the shape of the "
                                         r"indexed tensor \[3, 4\] at index 0$"):
        x[np.array([True, False])]
    with pytest.raises(IndexError, match=r"mask \[1, 4\] at index 0 .* tensor \[3, 4\] at index 1"):
        x[[[0, 1]], [[True, False, True, False]]]


@pytest.mark.parametrize("expr", ["[range(3), [0, 1, 2]]", "[[[0, 1], [1, 2]]]", "[:, range(1, 3)]",
                                  "[np.array([0, 2])]", "[np.array([True, False, True])]", "[(1, 2), (0, 3)]"])
def test_sequence_assignment(expr):
    x = minitorch.tensor(X.copy())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec("x" + expr + " = -1.0", {"x": x, "np": np})
        expected = X.copy()
        exec("e" + expr.replace("[[[0, 1], [1, 2]]]", "[[0, 1], [1, 2]]") + " = -1.0", {"e": expected, "np": np})
    np.testing.assert_array_equal(x.numpy(), expected)


@given(data=st.data())
@hsettings(max_examples=40)
def test_range_and_list_indices_on_non_contiguous_tensors(data):
    rows = data.draw(st.integers(1, 5))
    cols = data.draw(st.integers(1, 5))
    arr = np.arange(rows * cols, dtype=np.float32).reshape(rows, cols) * 1.5
    t = data.draw(layout_of(arr))
    start = data.draw(st.integers(0, rows - 1))
    r = range(start, rows, data.draw(st.integers(1, 2)))
    picks = data.draw(st.lists(st.integers(-cols, cols - 1), min_size=len(r), max_size=len(r)))
    np.testing.assert_array_equal(t[r, picks].numpy(), arr[list(r), picks])
    np.testing.assert_array_equal(t[:, np.array(picks[:1] * 2)].numpy(), arr[:, picks[:1] * 2])
    if torch is not None:
        tt = torch.from_numpy(arr)
        np.testing.assert_array_equal(t[r, picks].numpy(), tt[r, picks].numpy())
