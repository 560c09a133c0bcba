"""sort, argsort, msort, topk, kthvalue, unique, unique_consecutive, bincount.

Values against NumPy (so the tests check something without torch), indices against
torch's CPU kernels including the order of ties (the reason these ops replay torch's
algorithms), gradients against finite differences, errors against torch's."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitorch
from minitorch.autograd import gradcheck
from tests._compat import requires_torch, torch
from tests.strategies import hsettings, tensors


def _tie_heavy(rng, shape, dtype, nan=False):
    a = rng.integers(0, 4, shape).astype(dtype)
    if nan and a.dtype.kind == "f":
        a[rng.random(shape) < 0.15] = np.nan
    return a


# ----- values against NumPy ------------------------------------------------------------------
@given(data=st.data())
@hsettings(max_examples=40)
def test_sort_values_and_stable_indices_match_numpy(data):
    arr, t = data.draw(tensors(shape=st.tuples(st.integers(1, 4), st.integers(1, 6)), dtype="float32", lo=-3, hi=3))
    arr = np.round(arr)  # ties
    t = minitorch.tensor(arr) if data.draw(st.booleans()) else t.new_tensor(arr).t().contiguous().t()
    dim = data.draw(st.sampled_from([0, 1, -1]))
    out = t.sort(dim, stable=True)
    np.testing.assert_array_equal(out.values.numpy(), np.sort(arr, axis=dim))
    np.testing.assert_array_equal(out.indices.numpy(), np.argsort(arr, axis=dim, kind="stable"))
    desc = t.sort(dim=dim, descending=True, stable=True)
    np.testing.assert_array_equal(desc.values.numpy(), -np.sort(-arr, axis=dim))
    np.testing.assert_array_equal(desc.indices.numpy(), np.argsort(-arr, axis=dim, kind="stable"))


@given(data=st.data())
@hsettings(max_examples=40)
def test_topk_and_kthvalue_values_match_numpy(data):
    arr, t = data.draw(tensors(shape=st.tuples(st.integers(1, 4), st.integers(1, 7)), dtype="float64"))
    n = arr.shape[1]
    k = data.draw(st.integers(1, n))
    np.testing.assert_array_equal(t.topk(k).values.numpy(), -np.sort(-arr, axis=1)[:, :k])
    np.testing.assert_array_equal(t.topk(k, largest=False).values.numpy(), np.sort(arr, axis=1)[:, :k])
    kth = t.kthvalue(k)
    np.testing.assert_array_equal(kth.values.numpy(), np.sort(arr, axis=1)[:, k - 1])
    np.testing.assert_array_equal(np.take_along_axis(arr, kth.indices.numpy()[:, None], 1)[:, 0], kth.values.numpy())


def test_nan_sorts_above_every_number():
    x = minitorch.tensor([np.nan, 1.0, -np.inf, np.inf, np.nan, 0.0])
    assert x.sort(stable=True).indices.tolist() == [2, 5, 1, 3, 0, 4]
    assert x.sort(descending=True, stable=True).indices.tolist() == [0, 4, 3, 1, 5, 2]
    assert x.topk(2).indices.tolist() == [0, 4]


def test_unique_and_bincount_match_numpy():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 6, (4, 5))
    values, inverse, counts = minitorch.unique(minitorch.tensor(a), return_inverse=True, return_counts=True)
    ref_values, ref_inverse, ref_counts = np.unique(a, return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(values.numpy(), ref_values)
    np.testing.assert_array_equal(inverse.numpy(), ref_inverse.reshape(a.shape))
    np.testing.assert_array_equal(counts.numpy(), ref_counts)
    rows = minitorch.tensor([[1, 2], [1, 2], [0, 5]]).unique(dim=0, return_counts=True)
    assert rows[0].tolist() == [[0, 5], [1, 2]] and rows[1].tolist() == [1, 2]
    flat = a.reshape(-1)
    np.testing.assert_array_equal(minitorch.bincount(minitorch.tensor(flat), minlength=9).numpy(),
                                  np.bincount(flat, minlength=9))
    w = rng.standard_normal(flat.size).astype(np.float32)
    weighted = minitorch.bincount(minitorch.tensor(flat), weights=minitorch.tensor(w))
    assert weighted.dtype is minitorch.float32
    np.testing.assert_allclose(weighted.numpy(), np.bincount(flat, w), rtol=1e-6)
    assert minitorch.bincount(minitorch.tensor([0, 2]), weights=minitorch.tensor([1, 2])).dtype is minitorch.float64
    out = minitorch.unique_consecutive(minitorch.tensor([1, 1, 2, 2, 3, 1, 1, 2]), return_inverse=True,
                                       return_counts=True)
    assert [o.tolist() for o in out] == [[1, 2, 3, 1, 2], [0, 0, 1, 1, 2, 3, 3, 4], [2, 2, 1, 2, 1]]


def test_unique_keeps_every_nan_and_merges_signed_zeros():
    values, counts = minitorch.unique(minitorch.tensor([3.0, np.nan, -0.0, np.nan, 0.0]), return_counts=True)
    assert str(values) == "tensor([-0., 3., nan, nan])" and counts.tolist() == [2, 1, 1, 1]


# ----- indices against torch, ties included ---------------------------------------------------
@requires_torch
@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int32])
def test_tie_order_matches_torch(seed, dtype):
    rng = np.random.default_rng(seed)
    shape = (3, int(rng.integers(2, 300)))
    a = _tie_heavy(rng, shape, dtype, nan=seed % 2 == 0)
    t, m = torch.from_numpy(a), minitorch.from_numpy(a.copy())
    for dim in (0, 1):
        for desc in (False, True):
            for stable in (False, True):
                theirs, mine = t.sort(dim=dim, descending=desc, stable=stable), m.sort(dim=dim, descending=desc,
                                                                                     stable=stable)
                np.testing.assert_array_equal(mine.indices.numpy(), theirs.indices.numpy())
                np.testing.assert_array_equal(mine.values.numpy(), theirs.values.numpy())
        n = a.shape[dim]
        for k in {1, 2, n // 3 + 1, n}:
            for largest in (True, False):
                for srt in (True, False):
                    np.testing.assert_array_equal(m.topk(k, dim, largest, srt).indices.numpy(),
                                                  t.topk(k, dim, largest, srt).indices.numpy())
            np.testing.assert_array_equal(m.kthvalue(k, dim).indices.numpy(), t.kthvalue(k, dim).indices.numpy())
    np.testing.assert_array_equal(m.argsort(dim=1, descending=True).numpy(), t.argsort(dim=1, descending=True).numpy())
    assert np.array_equal(a, m.numpy(), equal_nan=True)  # the input is left as it was


@requires_torch
def test_long_integer_vectors_take_torchs_radix_path():
    a = np.random.default_rng(1).integers(0, 3, 40000)
    np.testing.assert_array_equal(minitorch.from_numpy(a).sort().indices.numpy(), torch.from_numpy(a).sort().indices.numpy())


@requires_torch
@given(data=st.data())
@hsettings(max_examples=30)
def test_sort_topk_on_non_contiguous_inputs_match_torch(data):
    arr, t = data.draw(tensors(shape=st.tuples(st.integers(1, 4), st.integers(1, 6)), dtype="float32", lo=-2, hi=2))
    arr = np.ascontiguousarray(arr)
    tt = torch.from_numpy(arr)
    dim = data.draw(st.sampled_from([0, 1]))
    for mine, theirs in ((t.sort(dim), tt.sort(dim)), (t.topk(1, dim), tt.topk(1, dim)),
                         (t.kthvalue(1, dim, keepdim=True), tt.kthvalue(1, dim, keepdim=True))):
        np.testing.assert_array_equal(mine.values.numpy(), theirs.values.numpy())
        np.testing.assert_array_equal(mine.indices.numpy(), theirs.indices.numpy())


@requires_torch
@pytest.mark.parametrize("op", ["sort", "topk", "kthvalue"])
def test_gradients_and_node_names_match_torch(op):
    a = np.array([[3.0, 1.0, 3.0, 2.0], [0.5, 0.5, -1.0, 4.0]], np.float32)
    g = np.arange(8, dtype=np.float32).reshape(2, 4)
    results = []
    for lib in (torch, minitorch):
        x = lib.tensor(a, requires_grad=True)
        y = {"sort": lambda: x.sort(1, descending=True).values, "topk": lambda: x.topk(2, 1).values,
             "kthvalue": lambda: x.kthvalue(2, 1).values}[op]()
        y.backward(lib.tensor(g[:, :y.shape[1]] if y.dim() == 2 else g[:, 0]))
        results.append((y.grad_fn.name(), y.tolist(), x.grad.tolist()))
    assert results[0] == results[1]


def test_gradients_match_central_differences():
    x = minitorch.tensor(np.random.default_rng(3).standard_normal((3, 5)), dtype=minitorch.float64,
                         requires_grad=True)
    assert gradcheck(lambda a: a.sort(1, descending=True).values, (x,))
    assert gradcheck(lambda a: a.topk(2, 0).values, (x,))
    assert gradcheck(lambda a: a.kthvalue(3, 1).values, (x,))
    assert gradcheck(lambda a: minitorch.msort(a), (x,))


# ----- edge cases and errors -------------------------------------------------------------------
def test_edge_shapes():
    assert minitorch.tensor(5.0).sort().indices.item() == 0
    assert minitorch.tensor(5.0).topk(1).values.item() == 5.0
    assert minitorch.zeros(2, 0).sort(1).values.shape == (2, 0)
    assert minitorch.zeros(3, 4).topk(0).values.shape == (3, 0)
    assert minitorch.zeros(0, 3).kthvalue(1).values.shape == (0,)
    expanded = minitorch.tensor([[2.0], [1.0]]).expand(2, 3)
    assert expanded.sort(1).indices.tolist() == [[0, 1, 2], [0, 1, 2]]


@pytest.mark.parametrize("call, error, message", [
    ("x.topk(5)", RuntimeError, "selected index k out of range"),
    ("x.topk(-1)", RuntimeError, "selected index k out of range"),
    ("x.kthvalue(0)", RuntimeError, "kthvalue(): selected number k out of range for dimension 1"),
    ("x.kthvalue(4, dim=0)", RuntimeError, "kthvalue(): selected number k out of range for dimension 0"),
    ("lib.zeros(2, 0).kthvalue(1)", IndexError, "kthvalue(): Expected reduction dim 1 to have non-zero size."),
    ("x.sort(dim=3)", IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 3)"),
    ("lib.tensor([True, False]).topk(1)", RuntimeError, "topk does not support bool dtypes on CPU"),
    ("lib.tensor([True, False]).kthvalue(1)", NotImplementedError, "\"kthvalue_cpu\" not implemented for 'Bool'"),
    ("lib.bincount(lib.tensor([[0, 2]]))", RuntimeError, "bincount only supports 1-d non-negative integral inputs."),
    ("lib.bincount(lib.tensor([-1, 2]))", RuntimeError, "bincount only supports 1-d non-negative integral inputs."),
    ("lib.bincount(lib.tensor([0.0, 2]))", NotImplementedError, "\"bincount_cpu\" not implemented for 'Float'"),
    ("lib.bincount(lib.tensor([0, 2]), weights=lib.tensor([1.0]))", RuntimeError,
     "weights should be 1-d and have the same length as input"),
    ("lib.bincount(lib.tensor([1, 2]), minlength=-1)", RuntimeError, "minlength should be >= 0"),
])
def test_errors(call, error, message):
    for lib in ([minitorch] if torch is None else [minitorch, torch]):
        with pytest.raises(error) as info:
            eval(call, {"lib": lib, "x": lib.zeros(3, 4)})
        assert str(info.value).split(" (Triggered")[0] == message


def test_sort_out_writes_both_tensors():
    x = minitorch.tensor([[3.0, 1.0, 2.0]])
    values, indices = minitorch.empty(1, 3), minitorch.empty(1, 3, dtype=minitorch.int64)
    out = minitorch.sort(x, out=(values, indices))
    assert out.values is values and out.indices is indices
    assert values.tolist() == [[1.0, 2.0, 3.0]] and indices.tolist() == [[1, 2, 0]]
    v, i = minitorch.empty(0), minitorch.empty(0, dtype=minitorch.int64)
    minitorch.topk(x, 2, out=(v, i))
    assert v.tolist() == [[3.0, 2.0]] and i.tolist() == [[0, 2]]
