"""Stacking, splitting, products, distances, scans and counting utilities (hstack ... logcumsumexp):
values, dtypes and gradients against torch, gradients against central differences (float64),
values against NumPy, on contiguous and non-contiguous inputs."""
import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitorch
from minitorch.autograd import gradcheck
from tests._compat import requires_torch, torch
from tests.strategies import hsettings, tensors, to_numpy

RNG = np.random.default_rng(7)


def _r(*shape):
    return RNG.standard_normal(shape)


# name -> (function of (lib, *tensors), input shapes); every input is differentiable
DIFFERENTIABLE = {
    "hstack": (lambda L, a, b: L.hstack([a, b]), [(2, 3), (2, 2)]),
    "hstack_1d": (lambda L, a, b: L.hstack((a, b)), [(3,), (2,)]),
    "vstack": (lambda L, a, b: L.vstack([a, b]), [(3,), (2, 3)]),
    "row_stack": (lambda L, a, b: L.row_stack([a, b]), [(2, 3), (1, 3)]),
    "dstack": (lambda L, a, b: L.dstack([a, b]), [(3,), (1, 3)]),
    "column_stack": (lambda L, a, b: L.column_stack([a, b]), [(3,), (3, 2)]),
    "atleast_2d": (lambda L, a: L.atleast_2d(a), [(3,)]),
    "atleast_3d": (lambda L, a, b: L.atleast_3d(a, b)[1] * L.atleast_3d(a, b)[0], [(), (3, 2)]),
    "tensor_split": (lambda L, a: L.tensor_split(a, 3, dim=1)[0] * 2, [(2, 7)]),
    "tensor_split_idx": (lambda L, a: a.tensor_split([1, 5, 10], 1)[1], [(2, 7)]),
    "hsplit": (lambda L, a: L.hsplit(a, 2)[1], [(2, 4)]),
    "vsplit": (lambda L, a: a.vsplit([1])[1], [(3, 4)]),
    "dsplit": (lambda L, a: L.dsplit(a, 2)[0], [(2, 1, 4)]),
    "broadcast_tensors": (lambda L, a, b: L.broadcast_tensors(a, b)[0] * L.broadcast_tensors(a, b)[1],
                          [(2, 1), (3,)]),
    "cartesian_prod": (lambda L, a, b: L.cartesian_prod(a, b), [(2,), (3,)]),
    "combinations": (lambda L, a: L.combinations(a, 2, with_replacement=True), [(4,)]),
    "block_diag": (lambda L, a, b, c: L.block_diag(a, b, c), [(2, 3), (2,), ()]),
    "kron": (lambda L, a, b: L.kron(a, b), [(2, 3), (2, 1, 2)]),
    "cross": (lambda L, a, b: L.cross(a, b, dim=1), [(4, 3), (1, 3)]),
    "cdist": (lambda L, a, b: L.cdist(a, b), [(4, 3), (5, 3)]),
    "cdist_mm": (lambda L, a, b: L.cdist(a, b), [(30, 3), (5, 3)]),
    "cdist_p1_batched": (lambda L, a, b: L.cdist(a, b, p=1), [(2, 4, 3), (5, 3)]),
    "cdist_p3": (lambda L, a, b: L.cdist(a, b, p=3), [(4, 3), (5, 3)]),
    "cdist_pinf": (lambda L, a, b: L.cdist(a, b, p=float("inf")), [(4, 3), (5, 3)]),
    "addmm": (lambda L, a, b, c: L.addmm(a, b, c, beta=0.5, alpha=2), [(3,), (2, 4), (4, 3)]),
    "addmv": (lambda L, a, b, c: L.addmv(a, b, c, beta=0.5, alpha=2), [(2,), (2, 4), (4,)]),
    "addr": (lambda L, a, b, c: a.addr(b, c), [(2, 3), (2,), (3,)]),
    "addbmm": (lambda L, a, b, c: L.addbmm(a, b, c, alpha=3), [(2, 3), (4, 2, 5), (4, 5, 3)]),
    "inner": (lambda L, a, b: L.inner(a, b), [(2, 3), (4, 3)]),
    "vdot": (lambda L, a, b: L.vdot(a, b), [(3,), (3,)]),
    "chain_matmul": (lambda L, a, b, c: L.chain_matmul(a, b, c), [(2, 6), (6, 3), (3, 5)]),
    "matrix_power_5": (lambda L, a: L.matrix_power(a, 5), [(2, 3, 3)]),
    "matrix_power_0": (lambda L, a: a.matrix_power(0) + a, [(3, 3)]),
    "tensordot_lists": (lambda L, a, b: L.tensordot(a, b, dims=([0, 2], [2, 1])), [(2, 3, 4), (3, 4, 2)]),
    "tensordot_int": (lambda L, a, b: L.tensordot(a, b, dims=2), [(2, 3, 4), (3, 4, 2)]),
    "std_mean": (lambda L, a: L.std_mean(a, 1)[0] + L.std_mean(a, 1)[1], [(3, 4)]),
    "var_mean": (lambda L, a: L.var_mean(a, dim=(0, 1), correction=0, keepdim=True)[0], [(3, 4)]),
    "aminmax": (lambda L, a: L.aminmax(a, dim=1).max - a.aminmax(dim=0).min.sum(), [(3, 4)]),
    "logcumsumexp": (lambda L, a: L.logcumsumexp(a * 30, 1), [(3, 4)]),
    "cummax": (lambda L, a: L.cummax(a, 1).values, [(3, 5)]),
    "cummin": (lambda L, a: a.cummin(0)[0], [(4, 3)]),
    "narrow_copy": (lambda L, a: L.narrow_copy(a, 1, 1, 2), [(3, 4)]),
}


def _run(lib, fn, arrays, dtype):
    inputs = [lib.tensor(a, dtype=dtype, requires_grad=True) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # chain_matmul's deprecation
        return inputs, fn(lib, *inputs)


@requires_torch
@pytest.mark.parametrize("name", sorted(DIFFERENTIABLE))
def test_values_and_gradients_match_torch(name):
    fn, shapes = DIFFERENTIABLE[name]
    arrays = [_r(*s).astype(np.float32) for s in shapes]
    m_in, m_out = _run(minitorch, fn, arrays, minitorch.float32)
    t_in, t_out = _run(torch, fn, arrays, torch.float32)
    assert tuple(m_out.shape) == tuple(t_out.shape) and str(m_out.dtype) == str(t_out.dtype)
    np.testing.assert_allclose(m_out.detach().numpy(), t_out.detach().numpy(), rtol=1e-5, atol=1e-5)
    weights = _r(*t_out.shape).astype(np.float32)
    (m_out * minitorch.tensor(weights)).sum().backward()
    (t_out * torch.tensor(weights)).sum().backward()
    for m, t in zip(m_in, t_in):
        if t.grad is None:  # an input the result does not use
            assert m.grad is None
            continue
        np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", sorted(DIFFERENTIABLE))
def test_gradients_match_central_differences(name):
    fn, shapes = DIFFERENTIABLE[name]
    arrays = [_r(*s) for s in shapes]
    if name.startswith("cummax") or name.startswith("cummin") or name == "aminmax" or "pinf" in name:
        arrays = [a + np.arange(a.size).reshape(a.shape) * 0.37 for a in arrays]  # no near-ties
    inputs = [minitorch.tensor(a, dtype=minitorch.float64, requires_grad=True) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert gradcheck(lambda *xs: fn(minitorch, *xs), tuple(inputs))


def test_add_products_ignore_input_when_beta_is_zero():
    nan_input = minitorch.full((2, 3), float("nan"), requires_grad=True)
    a, b = minitorch.ones(2, 4), minitorch.ones(4, 3)
    out = minitorch.addmm(nan_input, a, b, beta=0)
    np.testing.assert_array_equal(out.detach().numpy(), np.full((2, 3), 4.0))
    out.sum().backward()
    np.testing.assert_array_equal(nan_input.grad.numpy(), np.zeros((2, 3)))
    x = minitorch.zeros(2, 3)
    assert x.addmm_(a, b) is x and x[0, 0].item() == 4.0


def test_values_match_numpy():
    a, b = _r(2, 3).astype(np.float32), _r(3, 4).astype(np.float32)
    v = _r(5).astype(np.float32)
    m = minitorch.tensor
    np.testing.assert_array_equal(minitorch.hstack([m(a), m(a)]).numpy(), np.hstack([a, a]))
    np.testing.assert_array_equal(minitorch.vstack([m(v), m(v)]).numpy(), np.vstack([v, v]))
    np.testing.assert_array_equal(minitorch.dstack([m(a), m(a)]).numpy(), np.dstack([a, a]))
    np.testing.assert_array_equal(minitorch.column_stack([m(v), m(v)]).numpy(), np.column_stack([v, v]))
    np.testing.assert_array_equal(minitorch.kron(m(a), m(b)).numpy(), np.kron(a, b))
    np.testing.assert_allclose(minitorch.cross(m(a), m(a[::-1].copy()), dim=1).numpy(),
                               np.cross(a, a[::-1]), rtol=1e-6)
    np.testing.assert_allclose(minitorch.tensordot(m(a), m(b), dims=1).numpy(), np.tensordot(a, b, 1), rtol=1e-5)
    square = _r(3, 3)
    np.testing.assert_allclose(minitorch.matrix_power(m(square), 7).numpy(), np.linalg.matrix_power(square, 7),
                               rtol=1e-10)
    distances = np.sqrt(((a[:, None, :] - b.T[None, :3, :3]) ** 2).sum(-1))
    np.testing.assert_allclose(minitorch.cdist(m(a), m(b.T[:3, :3].copy())).numpy(), distances, rtol=1e-5)
    for pieces, expected in zip(minitorch.tensor_split(m(v), 3), np.array_split(v, 3)):
        np.testing.assert_array_equal(pieces.numpy(), expected)
    np.testing.assert_array_equal(minitorch.combinations(m(v), 3).numpy(),
                                  np.array(list(itertools.combinations(v, 3))))
    np.testing.assert_array_equal(minitorch.argwhere(m(a > 0)).numpy(), np.argwhere(a > 0))


def test_scans_and_counts_match_numpy():
    x = np.array([[1.0, 3, 3, np.nan, 2, np.nan], [0, -1, 0, -1, -2, -2]], np.float32)
    values, indices = minitorch.cummax(minitorch.tensor(x), 1)
    np.testing.assert_array_equal(values.numpy(), np.maximum.accumulate(x, 1))
    assert indices.tolist() == [[0, 1, 2, 3, 3, 5], [0, 0, 2, 2, 2, 2]]  # ties move on, NaN takes over
    assert minitorch.cummin(minitorch.tensor(x), 1).indices.tolist()[1] == [0, 1, 1, 3, 4, 5]
    wide = np.array([-1000.0, 0.0, float("-inf"), 5.0])
    np.testing.assert_allclose(minitorch.logcumsumexp(minitorch.tensor(wide), 0).numpy(),
                               np.logaddexp.accumulate(wide))
    data = _r(200).astype(np.float32)
    counts, _ = np.histogram(data, bins=7, range=(-1.5, 1.5))
    np.testing.assert_array_equal(minitorch.histc(minitorch.tensor(data), 7, -1.5, 1.5).numpy(), counts)
    seq = np.sort(_r(2, 6), -1)
    vals = _r(2, 3)
    found = minitorch.searchsorted(minitorch.tensor(seq), minitorch.tensor(vals), right=True)
    assert found.tolist() == [np.searchsorted(s, q, side="right").tolist() for s, q in zip(seq, vals)]
    assert minitorch.bucketize(minitorch.tensor([1.0, 2.0, 2.5]), minitorch.tensor([1.0, 2.0])).tolist() == [0, 1, 2]
    assert minitorch.count_nonzero(minitorch.tensor([[0, 1], [2, 0], [3, 3]]), dim=1).tolist() == [1, 1, 2]


@requires_torch
@pytest.mark.parametrize("call", [
    lambda L: L.searchsorted(L.tensor([1, 3, 5, 7, 9]), L.tensor([[3, 6, 9], [3, 6, 10]])),
    lambda L: L.searchsorted(L.tensor([[1, 3, 5], [2, 4, 6]]), L.tensor([[3, 5], [0, 9]]), side="right"),
    lambda L: L.searchsorted(L.tensor([1.0, 2.0, 2.0, 3.0]), L.tensor([2.0, float("nan")]), out_int32=True),
    lambda L: L.searchsorted(L.tensor([5, 1, 3]), L.tensor([3, 4]), sorter=L.tensor([1, 2, 0])),
    lambda L: L.searchsorted(L.tensor([1, 3, 5]), 3),
    lambda L: L.bucketize(L.tensor([[0.5, 3.0, 9.0]]), L.tensor([1.0, 3.0, 5.0]), right=True),
    lambda L: L.histc(L.tensor([1.0, 2, 1, 4, 2.5]), bins=4),
    lambda L: L.histc(L.tensor([2.0, 2.0]), bins=4),
    lambda L: L.histc(L.linspace(-3, 3, 61), bins=6, min=-2, max=2),
    lambda L: L.count_nonzero(L.tensor([[0.0, 1.0], [2.0, 0.0]])),
    lambda L: L.aminmax(L.tensor([[1, 5], [3, 4]]), dim=0, keepdim=True),
    lambda L: L.aminmax(L.tensor([[1, 5], [3, 4]])),
    lambda L: L.argwhere(L.tensor([[0, 1], [2, 0]])),
    lambda L: L.cummax(L.tensor([1, 3, 3, 0, 5]), 0),
    lambda L: L.combinations(L.tensor([1, 2, 3]), 0),
    lambda L: L.combinations(L.tensor([1, 2, 3]), 4),
    lambda L: L.block_diag(L.ones(2, 2), L.tensor(3), L.tensor([1, 2])),
    lambda L: L.block_diag(),
    lambda L: L.cartesian_prod(L.tensor([1, 2])),
    lambda L: L.atleast_1d(L.tensor(1.0), L.tensor([2.0])),
    lambda L: L.kron(L.tensor([[1, 2], [3, 4]]), L.tensor([1, 10])),
    lambda L: L.addr(L.ones(2, 2, dtype=L.float64), L.tensor([1.0, 2.0]), L.tensor([3.0, 4.0])),
    lambda L: L.addmm(L.tensor([[1, 2]]), L.tensor([[1, 2], [3, 4]]), L.tensor([[5, 6], [7, 8]]), beta=2),
])
def test_integer_and_edge_results_match_torch(call):
    def as_list(r):
        return list(r) if isinstance(r, tuple) else [r]
    mine, theirs = as_list(call(minitorch)), as_list(call(torch))
    assert len(mine) == len(theirs)
    for m, t in zip(mine, theirs):
        assert tuple(m.shape) == tuple(t.shape) and str(m.dtype) == str(t.dtype)
        np.testing.assert_array_equal(m.numpy(), t.numpy())


@requires_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("bins,low,high", [(100, -3, 3), (7, -1.1, 2.3), (13, 0, 0), (1000, -0.3, 0.3)])
def test_histc_bins_every_value_as_torch(dtype, bins, low, high):
    data = RNG.standard_normal(200_000).astype(dtype)  # many values land next to a bin edge
    mine = minitorch.histc(minitorch.tensor(data), bins, low, high)
    theirs = torch.histc(torch.tensor(data), bins, low, high)
    assert str(mine.dtype) == str(theirs.dtype)
    np.testing.assert_array_equal(mine.numpy(), theirs.numpy())


@requires_torch
def test_return_types_print_as_torch():
    x = [[1.0, 5.0], [3.0, 4.0]]
    assert repr(minitorch.aminmax(minitorch.tensor(x), dim=0)) == repr(torch.aminmax(torch.tensor(x), dim=0))
    assert repr(minitorch.cummin(minitorch.tensor(x), 1)) == repr(torch.cummin(torch.tensor(x), 1))


@requires_torch
@pytest.mark.parametrize("call", [
    lambda L: L.addmm(L.randn(2, 5), L.randn(2, 3), L.randn(4, 5)),
    lambda L: L.addmm(L.randn(3, 5), L.randn(2, 3), L.randn(3, 5)),
    lambda L: L.addmm(L.randn(2, 5), L.randn(3), L.randn(3, 5)),
    lambda L: L.addmv(L.randn(2), L.randn(2, 3), L.randn(4)),
    lambda L: L.addr(L.randn(2, 3), L.randn(2, 1), L.randn(3)),
    lambda L: L.addbmm(L.randn(2, 5), L.randn(4, 2, 3), L.randn(3, 3, 5)),
    lambda L: L.addbmm(L.randn(2, 5), L.randn(4, 2, 3), L.randn(4, 4, 5)),
    lambda L: L.addmm(L.ones(2, 2), L.ones(2, 2, dtype=L.float64), L.ones(2, 2)),
    lambda L: L.addmm(L.ones(2, 2, dtype=L.float64), L.ones(2, 2), L.ones(2, 2)),
    lambda L: L.addmv(L.ones(2), L.ones(2, 2, dtype=L.float64), L.ones(2)),
    lambda L: L.addbmm(L.ones(2, 2, dtype=L.float64), L.ones(1, 2, 2), L.ones(1, 2, 2)),
    lambda L: L.cross(L.randn(2, 4), L.randn(2, 4), dim=1),
    lambda L: L.cdist(L.randn(3, 4), L.randn(2, 5)),
    lambda L: L.cdist(L.randn(4), L.randn(2, 4)),
    lambda L: L.cdist(L.randn(3, 4), L.randn(2, 4), p=-1),
    lambda L: L.inner(L.randn(2, 3), L.randn(4)),
    lambda L: L.vdot(L.randn(2, 3), L.randn(4)),
    lambda L: L.matrix_power(L.randn(2, 3), 2),
    lambda L: L.matrix_power(L.randn(3), 2),
    lambda L: L.tensordot(L.randn(2, 3), L.randn(4, 5), dims=1),
    lambda L: L.tensordot(L.randn(2, 3), L.randn(3, 5), dims=-1),
    lambda L: L.hstack(L.randn(2, 3)),
    lambda L: L.vstack([]),
    lambda L: L.tensor_split(L.arange(7), 0),
    lambda L: L.tensor_split(L.tensor(1), 2),
    lambda L: L.hsplit(L.ones(4, 4), 3),
    lambda L: L.vsplit(L.ones(4), 2),
    lambda L: L.dsplit(L.ones(4, 3), 2),
    lambda L: L.broadcast_tensors(L.ones(2, 2), L.ones(3)),
    lambda L: L.cartesian_prod(L.ones(2, 2)),
    lambda L: L.combinations(L.tensor([1, 2, 3]), -1),
    lambda L: L.block_diag(L.ones(2, 2, 2)),
    lambda L: L.histc(L.tensor([1.0]), bins=0),
    lambda L: L.histc(L.tensor([1.0]), bins=4, min=3, max=1),
    lambda L: L.histc(L.tensor([1.0, float("inf")]), bins=4),
    lambda L: L.histc(L.tensor([1.0]), bins=4, min=0, max=float("inf")),
    lambda L: L.searchsorted(L.tensor([[1, 3], [2, 4]]), L.tensor([3, 6, 9])),
    lambda L: L.searchsorted(L.tensor([1, 3]), L.tensor([3]), side="mid"),
    lambda L: L.searchsorted(L.tensor([1, 3]), L.tensor([3]), side="left", right=True),
    lambda L: L.bucketize(L.tensor([3]), L.tensor([[1, 3]])),
    lambda L: L.aminmax(L.ones(0)),
    lambda L: L.chain_matmul(L.randn(2, 3), L.randn(3)),
])
def test_errors_match_torch(call):
    with pytest.raises(Exception) as theirs:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            call(torch)
    with pytest.raises(type(theirs.value)) as mine:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            call(minitorch)
    assert str(mine.value) == str(theirs.value).split(" (Triggered internally")[0]


@requires_torch
def test_deprecation_warnings_match_torch():
    with pytest.warns(UserWarning, match="Using torch.cross without specifying the dim arg is deprecated"):
        out = minitorch.cross(minitorch.ones(3, 2), minitorch.ones(3, 2))
    assert out.shape == (3, 2)


@given(a=tensors(shape=st.tuples(st.integers(1, 4), st.integers(1, 4)), lo=-3, hi=3),
       b=tensors(shape=st.tuples(st.integers(1, 4), st.integers(1, 4)), lo=-3, hi=3))
@hsettings(max_examples=25)
def test_stacks_and_kron_on_any_layout(a, b):
    (na, ma), (nb, mb) = a, b
    np.testing.assert_array_equal(minitorch.kron(ma, mb).numpy(), np.kron(na, nb))
    np.testing.assert_array_equal(minitorch.block_diag(ma, mb).numpy()[:na.shape[0], :na.shape[1]], na)
    if na.shape[0] == nb.shape[0]:
        np.testing.assert_array_equal(minitorch.hstack([ma, mb]).numpy(), np.hstack([na, nb]))
    if na.shape[1] == nb.shape[1]:
        np.testing.assert_array_equal(minitorch.vstack([ma, mb]).numpy(), np.vstack([na, nb]))
        dist = minitorch.cdist(ma, mb, p=1).numpy()
        np.testing.assert_allclose(dist, np.abs(na[:, None] - nb[None]).sum(-1), rtol=1e-5, atol=1e-5)
    for piece, expected in zip(minitorch.tensor_split(ma, 3, dim=1), np.array_split(na, 3, axis=1)):
        np.testing.assert_array_equal(to_numpy(piece), expected)


@given(a=tensors(shape=st.tuples(st.integers(1, 4), st.integers(1, 6)), lo=-50, hi=50),
       dim=st.integers(0, 1))
@hsettings(max_examples=25)
def test_scans_on_any_layout(a, dim):
    arr, t = a
    np.testing.assert_array_equal(minitorch.cummax(t, dim).values.numpy(), np.maximum.accumulate(arr, dim))
    np.testing.assert_array_equal(minitorch.cummin(t, dim).values.numpy(), np.minimum.accumulate(arr, dim))
    expected = np.logaddexp.accumulate(arr.astype(np.float64), dim).astype(np.float32)
    np.testing.assert_allclose(minitorch.logcumsumexp(t, dim).numpy(), expected, rtol=1e-6)
    counts = minitorch.histc(t, bins=5, min=-50, max=50).numpy()
    np.testing.assert_array_equal(counts, np.histogram(arr, bins=5, range=(-50, 50))[0])
    low, high = minitorch.aminmax(t, dim=dim)
    np.testing.assert_array_equal(low.numpy(), arr.min(dim))
    np.testing.assert_array_equal(high.numpy(), arr.max(dim))


@given(a=tensors(shape=st.tuples(st.integers(1, 3), st.integers(1, 4), st.integers(1, 3)), lo=-2, hi=2),
       b=tensors(shape=st.tuples(st.integers(1, 4), st.integers(1, 3)), lo=-2, hi=2))
@hsettings(max_examples=20)
def test_tensordot_and_add_products_on_any_layout(a, b):
    (na, ma), (nb, mb) = a, b
    if na.shape[1:] == nb.shape:
        np.testing.assert_allclose(minitorch.tensordot(ma, mb, 2).numpy(), np.tensordot(na, nb, 2),
                                   rtol=1e-5, atol=1e-5)
    if na.shape[2] == nb.shape[1]:
        expected = na[0] @ nb.T + 1.5
        got = minitorch.addmm(minitorch.full((1,), 3.0), ma[0], mb.t(), beta=0.5).numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
