"""index_select, index_add, index_copy, index_fill, take, take_along_dim, scatter (src, value,
reduce=), scatter_reduce, masked_select, masked_scatter, repeat_interleave: values against
NumPy, values/gradients/node names/errors against torch, gradients against finite
differences, and hypothesis on non-contiguous inputs."""
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitorch
from minitorch.autograd import gradcheck
from tests._compat import requires_torch, torch
from tests.strategies import hsettings, tensors

RNG = np.random.default_rng(0)
A = RNG.standard_normal((3, 4))
S = RNG.standard_normal((2, 4))

# name -> expression over lib, x (3, 4) and s (2, 4), both requiring grad
CASES = {
    "index_select": "x.index_select(1, I([0, 2, 2]))",
    "index_select_int32": "lib.index_select(x, 0, I([2, 0], dtype=lib.int32))",
    "index_add": "x.index_add(0, I([0, 0]), s, alpha=2)",
    "index_copy": "x.index_copy(0, I([2, 0]), s)",
    "index_fill": "x.index_fill(1, I([0, -2]), -1.0)",
    "index_fill_tensor_value": "x.index_fill(1, I([0, 2]), s[0, 0])",
    "masked_select": "x.masked_select(x > 0)",
    "masked_select_broadcast": "x[0].masked_select(lib.tensor([[True, False, True, False]] * 2))",
    "masked_scatter": "x.masked_scatter(x > 0, s.repeat(2, 1))",
    "take": "x.take(I([0, 11, -1, 5]))",
    "take_along_dim": "x.take_along_dim(I([[0], [1], [2]]), 1)",
    "take_along_dim_broadcast": "x.take_along_dim(I([[0, 3]]), 1)",
    "take_along_dim_flat": "lib.take_along_dim(x, I([0, 5]))",
    "scatter_src": "x.scatter(1, I([[0, 1], [1, 2], [3, 0]]), s.repeat(2, 1)[:3, :2])",
    # repeated indices: the last write wins, yet every src element gets its gradient (torch's rule)
    "scatter_src_repeats": "x.scatter(1, I([[0, 0], [1, 2], [3, 3]]), s.repeat(2, 1)[:3, :2])",
    "scatter_value": "x.scatter(1, I([[0], [1], [2]]), 5.0)",
    "scatter_reduce_sum": "x.scatter_reduce(1, I([[0, 0], [1, 1], [2, 2]]), s.repeat(2, 1)[:3, :2], 'sum')",
    "scatter_reduce_mean": "x.scatter_reduce(1, I([[0, 0], [1, 1], [2, 2]]), s.repeat(2, 1)[:3, :2], 'mean', "
                           "include_self=False)",
    "scatter_reduce_amax": "x.scatter_reduce(1, I([[0, 0], [1, 1], [2, 2]]), s.repeat(2, 1)[:3, :2], 'amax')",
    "scatter_reduce_amin": "x.scatter_reduce(0, I([[0, 1, 2, 0]]), s[:1], 'amin', include_self=False)",
    "scatter_reduce_prod": "x.scatter_reduce(1, I([[0, 0], [1, 1], [2, 2]]), s.repeat(2, 1)[:3, :2], 'prod')",
    "index_put": "x.index_put((I([0, 2]), I([1, 3])), s[0, :2])",
    "index_put_select_first": "x.index_put((I(1), I([0, 2])), s[1, :2])",
    "index_put_accumulate": "x.index_put((I([0, 0]),), s, accumulate=True)",
    "repeat_interleave_int": "x.repeat_interleave(2, dim=1)",
    "repeat_interleave_flat": "x.repeat_interleave(2)",
    "repeat_interleave_tensor": "x.repeat_interleave(I([1, 0, 2]), dim=0)",
}


def _run(lib, expr, a=A, s=S, dtype=None):
    x = lib.tensor(a, dtype=dtype or lib.float32, requires_grad=True)
    ss = lib.tensor(s, dtype=dtype or lib.float32, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return x, ss, eval(expr, {"lib": lib, "x": x, "s": ss, "I": lib.tensor})


@requires_torch
@pytest.mark.parametrize("name", sorted(CASES))
def test_values_gradients_and_nodes_match_torch(name):
    out = []
    for lib in (torch, minitorch):
        x, s, y = _run(lib, CASES[name])
        g = np.random.default_rng(1).standard_normal(tuple(y.shape)).astype(np.float32)
        y.backward(lib.tensor(g))
        grads = [np.zeros(t.shape) if t.grad is None else t.grad.numpy() for t in (x, s)]
        out.append((y.grad_fn.name(), y.detach().numpy(), grads))
    (t_name, t_y, t_g), (m_name, m_y, m_g) = out
    assert m_name == t_name
    np.testing.assert_allclose(m_y, t_y, rtol=1e-6, atol=1e-6)
    for mine, theirs in zip(m_g, t_g):
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(set(CASES) - {"scatter_src_repeats"}))
def test_gradients_match_central_differences(name):
    a = minitorch.tensor(A, dtype=minitorch.float64, requires_grad=True)
    s = minitorch.tensor(S + 0.25, dtype=minitorch.float64, requires_grad=True)
    expr = CASES[name]

    def f(x, src):
        return eval(expr, {"lib": minitorch, "x": x, "s": src, "I": minitorch.tensor}).to(minitorch.float64)
    assert gradcheck(f, (a, s))


def test_values_match_numpy():
    x = A.astype(np.float32)
    idx = np.array([2, 0, 2])
    m = minitorch.tensor(x)
    np.testing.assert_array_equal(m.index_select(1, minitorch.tensor(idx)).numpy(), x[:, idx])
    added = x.copy()
    np.add.at(added, (slice(None), idx), np.ones((3, 3), np.float32))
    np.testing.assert_allclose(m.index_add(1, minitorch.tensor(idx), minitorch.ones(3, 3)).numpy(), added)
    np.testing.assert_array_equal(m.take(minitorch.tensor([[0, -1]])).numpy(), x.reshape(-1)[[[0, -1]]])
    np.testing.assert_array_equal(m.masked_select(m > 0).numpy(), x[x > 0])
    np.testing.assert_array_equal(m.repeat_interleave(minitorch.tensor([1, 0, 3]), dim=0).numpy(),
                                  np.repeat(x, [1, 0, 3], axis=0))
    np.testing.assert_array_equal(minitorch.repeat_interleave(minitorch.tensor([0, 2, 0, 1])).tolist(), [1, 1, 3])
    index = np.array([[1, 0, 2, 1]])
    scattered = x.copy()
    np.put_along_axis(scattered, index, 9.0, axis=0)
    np.testing.assert_array_equal(m.scatter(0, minitorch.tensor(index), 9.0).numpy(), scattered)
    put = x.copy()
    np.add.at(put, ([0, 0, 2],), 1.0)
    np.testing.assert_array_equal(m.index_put((minitorch.tensor([0, 0, 2]),), minitorch.ones(4), accumulate=True).numpy(),
                                  put)
    masked = x.copy()
    masked[x > 0] = np.arange((x > 0).sum())
    np.testing.assert_array_equal(m.masked_scatter(m > 0, minitorch.arange(12.0)).numpy(), masked)


@pytest.mark.filterwarnings("ignore:The reduce argument of torch.scatter")
def test_repeated_indices_last_write_wins_and_reductions_combine():
    x = minitorch.zeros(1, 3)
    src = minitorch.tensor([[1.0, 2.0, 3.0]])
    assert x.scatter(1, minitorch.tensor([[0, 0, 0]]), src).tolist() == [[3.0, 0.0, 0.0]]
    assert x.index_copy(1, minitorch.tensor([1, 1, 1]), src).tolist() == [[0.0, 3.0, 0.0]]
    assert x.scatter(1, minitorch.tensor([[0, 0, 0]]), src, reduce="add").tolist() == [[6.0, 0.0, 0.0]]
    assert (x + 1).scatter(1, minitorch.tensor([[0, 0, 0]]), src, reduce="multiply").tolist() == [[6.0, 1.0, 1.0]]
    assert x.scatter_reduce(1, minitorch.tensor([[2, 2, 2]]), src, "mean").tolist() == [[0.0, 0.0, 1.5]]
    assert x.scatter_reduce(1, minitorch.tensor([[2, 2, 2]]), src, "amax", include_self=False).tolist() == [[0.0, 0.0, 3.0]]


def test_in_place_forms():
    x = minitorch.zeros(3, 4)
    assert x.index_fill_(1, minitorch.tensor([1]), 2.0) is x and x[:, 1].tolist() == [2.0] * 3
    x.index_add_(0, minitorch.tensor([0]), minitorch.ones(1, 4))
    x.scatter_(1, minitorch.tensor([[3]]), 7.0)
    x.masked_scatter_(x < 0.5, minitorch.full((12,), -1.0))
    assert x.tolist() == [[1.0, 3.0, 1.0, 7.0], [-1.0, 2.0, -1.0, -1.0], [-1.0, 2.0, -1.0, -1.0]]
    y = minitorch.zeros(2, 2)
    y.index_copy_(0, minitorch.tensor([1]), minitorch.ones(1, 2))
    y.scatter_reduce_(0, minitorch.tensor([[1, 1]]), minitorch.ones(1, 2), "sum")
    assert y.tolist() == [[0.0, 0.0], [2.0, 2.0]]


def test_scatter_with_reduce_warns_and_has_no_derivative():
    x = minitorch.zeros(2, 2, requires_grad=True)
    with pytest.warns(UserWarning, match="The reduce argument of torch.scatter with Tensor src is deprecated"):
        y = x.scatter(1, minitorch.tensor([[0], [1]]), minitorch.ones(2, 1), reduce="add")
    assert y.grad_fn.name() == "NotImplemented"
    with pytest.raises(RuntimeError, match="derivative for aten::scatter with reduce is not implemented"):
        y.sum().backward()


@given(data=st.data())
@hsettings(max_examples=30)
def test_non_contiguous_inputs(data):
    arr, t = data.draw(tensors(shape=st.tuples(st.integers(1, 4), st.integers(1, 5)), dtype="float32"))
    rows, cols = arr.shape
    idx = data.draw(st.lists(st.integers(0, cols - 1), min_size=1, max_size=6))
    index = minitorch.tensor(idx)
    np.testing.assert_array_equal(t.index_select(1, index).numpy(), arr[:, idx])
    gather_idx = np.array(data.draw(st.lists(st.integers(0, rows - 1), min_size=cols, max_size=cols)))[None, :]
    np.testing.assert_array_equal(t.take_along_dim(minitorch.tensor(gather_idx), 0).numpy(),
                                  np.take_along_axis(arr, gather_idx, 0))
    np.testing.assert_array_equal(t.masked_select(t > 0).numpy(), arr[arr > 0])
    flat = np.array(data.draw(st.lists(st.integers(-arr.size, arr.size - 1), min_size=1, max_size=5)))
    np.testing.assert_array_equal(t.take(minitorch.tensor(flat)).numpy(), arr.reshape(-1)[flat])
    out = t.scatter(0, minitorch.tensor(gather_idx), 0.5).numpy()
    expected = arr.copy()
    np.put_along_axis(expected, gather_idx, 0.5, axis=0)
    np.testing.assert_array_equal(out, expected)
    if torch is not None:
        tt = torch.from_numpy(np.ascontiguousarray(arr))
        theirs = tt.index_add(1, torch.tensor(idx), torch.ones(rows, len(idx)))
        np.testing.assert_allclose(t.index_add(1, index, minitorch.ones(rows, len(idx))).numpy(), theirs.numpy())


ERRORS = [
    "x.index_select(1, I([[0, 2]]))", "x.index_select(1, I([0.0, 2]))", "x.index_select(1, I([0, 5]))",
    "x.index_select(1, I([0, -1]))", "lib.tensor(5.0).index_select(0, I([0, 0]))",
    "x.index_add(0, I([0, 5]), lib.ones(2, 4))", "x.index_add(0, I([0, -1]), lib.ones(2, 4))",
    "x.index_add(0, I([0, 1]), lib.ones(2, 3))", "x.index_add(0, I([0, 1]), lib.ones(2, 4, dtype=lib.float64))",
    "x.index_add(0, I([0, 1, 2]), lib.ones(2, 4))", "x.index_copy(0, I([0]), lib.zeros(1, 4, dtype=lib.float64))",
    "x.index_copy(0, I([-1]), lib.zeros(1, 4))", "x.index_fill(1, I([0, 2]), I([-1.0]))",
    "x.index_fill(1, I([0, 7]), 1)", "x.masked_select(I([1, 0, 1, 0]))", "x.masked_select(I([True, False]))",
    "x.masked_scatter(x > 5, lib.arange(3.0))", "x.masked_scatter(x > 5, lib.arange(100, 112))",
    "x.take(I([12]))", "x.take(I([0.0]))", "x.take_along_dim(I([[0, 1]]), 0)", "x.take_along_dim(I([0, 1]), 1)",
    "x.scatter(1, I([[4]]), 1.0)", "x.scatter(1, I([[0]]), lib.zeros(1, 1, dtype=lib.float64))",
    "x.scatter(1, I([[0, 1]]), lib.zeros(1, 1))", "x.scatter(1, I([[0]]), 2.0, reduce='mean')",
    "x.scatter_reduce(1, I([[0, 0]]), lib.ones(1, 2), 'bad')", "x.repeat_interleave(I([1, 2]), dim=0)",
    "x.repeat_interleave(I([1, -2, 0]), dim=0)", "x.repeat_interleave(-1)",
    "x.index_put((I([0]),), lib.tensor([1.0, 2, 3]))", "x.index_put(I([0]), lib.ones(4))",
    "x.index_put((I([0]),), lib.ones(4, dtype=lib.float64))",
]


@pytest.mark.parametrize("expr", ERRORS)
def test_errors_carry_torchs_type_and_message(expr):
    with pytest.raises((RuntimeError, IndexError, TypeError)) as mine:
        eval(expr, {"lib": minitorch, "x": minitorch.arange(12.0).reshape(3, 4), "I": minitorch.tensor})
    if torch is not None:
        with pytest.raises(Exception) as theirs:
            eval(expr, {"lib": torch, "x": torch.arange(12.0).reshape(3, 4), "I": torch.tensor})
        assert type(mine.value) is type(theirs.value)
        assert str(mine.value) == str(theirs.value).split(" (Triggered")[0]
