"""cumsum, cumprod, diff, diagonal (a view), diagonal_scatter, diag, diag_embed, trace, roll,
rot90, fliplr, flipud, meshgrid, einsum: values against NumPy, values/gradients/node names/
errors against torch, gradients against finite differences, hypothesis on non-contiguous
inputs."""
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

CASES = {
    "cumsum": "x.cumsum(1)",
    "cumsum_dtype": "lib.cumsum(x, 0, dtype=lib.float64)",
    "cumprod": "x.cumprod(0)",
    "cumprod_with_zeros": "(x * (x > -0.5)).cumprod(1)",
    "diff": "x.diff(dim=0)",
    "diff_twice_prepend": "x.diff(n=2, prepend=s[:, :1].expand(2, 3).t()[:, :1])",
    "diagonal": "x.diagonal(1)",
    "diagonal_dims": "x.unsqueeze(0).expand(2, 3, 4).diagonal(-1, 2, 1)",
    "diagonal_scatter": "lib.diagonal_scatter(x, s[0, :3])",
    "diag_vector": "lib.diag(x[0], -1)",
    "diag_matrix": "lib.diag(x, 1)",
    "diag_embed": "lib.diag_embed(x, 1)",
    "diag_embed_dims": "lib.diag_embed(x, -1, 2, 0)",
    "trace": "x.trace()",
    "roll": "x.roll((1, -1), (0, 1))",
    "roll_flat": "x.roll(3)",
    "rot90": "x.rot90()",
    "rot90_3": "x.rot90(3, (1, 0))",
    "fliplr": "x.fliplr()",
    "flipud": "x.flipud()",
    "meshgrid_xy": "lib.meshgrid(x[0], s[1, :2], indexing='xy')[1]",
    "einsum_matmul": "lib.einsum('ij,kj->ik', x, s)",
    "einsum_batch": "lib.einsum('bi,bj->bij', x[:2], s)",
    "einsum_trace": "lib.einsum('ii', x[:, :3])",
    "einsum_diag": "lib.einsum('ii->i', x[:, :3])",
    "einsum_sum": "lib.einsum('ij->j', x)",
    "einsum_three": "lib.einsum('ij,jk,kl->il', x, s.t(), s)",
    "einsum_ellipsis": "lib.einsum('...j,kj->...k', x, s)",
}


def _run(lib, expr, dtype=None):
    x = lib.tensor(A, dtype=dtype or lib.float32, requires_grad=True)
    s = lib.tensor(S, dtype=dtype or lib.float32, requires_grad=True)
    return x, s, eval(expr, {"lib": lib, "x": x, "s": s})


@requires_torch
@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_gradients_match_torch(name):
    out = []
    for lib in (torch, minitorch):
        x, s, y = _run(lib, CASES[name])
        g = np.random.default_rng(1).standard_normal(tuple(y.shape)).astype(np.float32)
        y.backward(lib.tensor(g))
        grads = [np.zeros(t.shape) if t.grad is None else t.grad.numpy() for t in (x, s)]
        out.append((y.grad_fn.name(), y.detach().numpy(), grads))
    (t_name, t_y, t_g), (m_name, m_y, m_g) = out
    if not name.startswith("einsum"):  # einsum's nodes depend on how the contraction is split
        assert m_name == t_name
    np.testing.assert_allclose(m_y, t_y, rtol=1e-5, atol=1e-5)
    for mine, theirs in zip(m_g, t_g):
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradients_match_central_differences(name):
    x = minitorch.tensor(A, dtype=minitorch.float64, requires_grad=True)
    s = minitorch.tensor(S, dtype=minitorch.float64, requires_grad=True)
    assert gradcheck(lambda a, b: eval(CASES[name], {"lib": minitorch, "x": a, "s": b}).to(minitorch.float64), (x, s))


def test_values_match_numpy():
    x = A.astype(np.float32)
    m = minitorch.tensor(x)
    np.testing.assert_array_equal(m.cumsum(1).numpy(), np.cumsum(x.astype(np.float64), 1).astype(np.float32))
    np.testing.assert_allclose(m.cumprod(0).numpy(), np.cumprod(x, 0), rtol=1e-6)
    np.testing.assert_array_equal(m.diff(n=2, dim=1).numpy(), np.diff(x, n=2, axis=1))
    np.testing.assert_array_equal(m.diagonal(-1).numpy(), np.diagonal(x, -1))
    np.testing.assert_array_equal(minitorch.diag(m[0], 2).numpy(), np.diag(x[0], 2))
    np.testing.assert_array_equal(m.roll((1, 2), (0, 1)).numpy(), np.roll(x, (1, 2), (0, 1)))
    np.testing.assert_array_equal(m.rot90(3).numpy(), np.rot90(x, 3))
    np.testing.assert_allclose(m.trace().item(), np.trace(x), rtol=1e-6)
    np.testing.assert_allclose(minitorch.einsum("ij,kj->ik", m, m).numpy(), np.einsum("ij,kj->ik", x, x), rtol=1e-5)
    np.testing.assert_allclose(minitorch.einsum("bij,bjk->bik", m.view(1, 3, 4), m.t().view(1, 4, 3)).numpy(),
                               np.einsum("bij,bjk->bik", x[None], x.T[None]), rtol=1e-5)
    for fn, np_fn in ((minitorch.tril_indices, np.tril_indices), (minitorch.triu_indices, np.triu_indices)):
        for n, k, m_ in ((3, 0, 3), (3, -1, 4), (4, 1, 3), (0, 0, 3)):
            np.testing.assert_array_equal(fn(n, m_, k).numpy(), np.stack(np_fn(n, k, m_)))
            if torch is not None:
                np.testing.assert_array_equal(fn(n, m_, k).numpy(), getattr(torch, fn.__name__)(n, m_, k).numpy())
    grid = minitorch.meshgrid(minitorch.arange(2), minitorch.arange(3), indexing="xy")
    for mine, ref in zip(grid, np.meshgrid(np.arange(2), np.arange(3), indexing="xy")):
        np.testing.assert_array_equal(mine.numpy(), ref)


def test_scans_round_as_torchs_cpu_kernels():
    a = np.random.default_rng(2).standard_normal(100000).astype(np.float32)
    # float32 running sums accumulate in float64, rounded once per element
    np.testing.assert_array_equal(minitorch.tensor(a).cumsum(0).numpy(), np.cumsum(a.astype(np.float64)).astype(np.float32))
    assert minitorch.tensor([1, 2], dtype=minitorch.int32).cumsum(0).dtype is minitorch.int64
    assert minitorch.tensor([True, True]).cumprod(0).tolist() == [1, 1]
    if torch is not None:
        np.testing.assert_array_equal(minitorch.tensor(a).cumsum(0).numpy(), torch.from_numpy(a).cumsum(0).numpy())


def test_diagonal_is_a_writable_view():
    x = minitorch.zeros(3, 4)
    d = x.diagonal(1)
    d.fill_(1.0)
    x.diagonal()[:] = 2.0
    assert x.tolist() == [[2.0, 1.0, 0.0, 0.0], [0.0, 2.0, 1.0, 0.0], [0.0, 0.0, 2.0, 1.0]]
    assert d.stride() == (5,) and d._base is x
    w = minitorch.zeros(3, 3, requires_grad=True)
    y = w * 1
    y.diagonal().mul_(3.0)
    (y * minitorch.arange(9.0).view(3, 3)).sum().backward()
    assert w.grad.tolist() == [[0.0, 1.0, 2.0], [3.0, 12.0, 5.0], [6.0, 7.0, 24.0]]


@given(data=st.data())
@hsettings(max_examples=30)
def test_non_contiguous_inputs(data):
    arr, t = data.draw(tensors(shape=st.tuples(st.integers(1, 4), st.integers(1, 5)), dtype="float64"))
    dim = data.draw(st.sampled_from([0, 1]))
    np.testing.assert_allclose(t.cumsum(dim).numpy(), np.cumsum(arr, dim), rtol=1e-12)
    np.testing.assert_allclose(t.cumprod(dim).numpy(), np.cumprod(arr, dim), rtol=1e-12)
    np.testing.assert_array_equal(t.diff(dim=dim).numpy(), np.diff(arr, axis=dim))
    offset = data.draw(st.integers(-3, 3))
    np.testing.assert_array_equal(t.diagonal(offset).numpy(), np.diagonal(arr, offset))
    shift = data.draw(st.integers(-6, 6))
    np.testing.assert_array_equal(t.roll(shift, dim).numpy(), np.roll(arr, shift, dim))
    k = data.draw(st.integers(-4, 4))
    np.testing.assert_array_equal(t.rot90(k).numpy(), np.rot90(arr, k))
    np.testing.assert_allclose(minitorch.einsum("ij,ij->i", t, t).numpy(), np.einsum("ij,ij->i", arr, arr), rtol=1e-12)


ERRORS = [
    "x.diagonal(0, 0, 0)", "lib.diag(lib.zeros(2, 2, 2))", "lib.diag(lib.tensor(1.0))", "lib.diag_embed(x, 0, 0, 0)",
    "lib.tensor([1.0]).trace()", "lib.tensor([[True, False]]).trace()", "x.roll((1, 2), 0)", "x.roll(1, (0, 1))",
    "x.rot90(1, [0])", "lib.ones(2).rot90()", "x.rot90(1, [0, 0])", "x.rot90(1, [0, 5])",
    "lib.meshgrid(lib.arange(2), indexing='foo')", "lib.meshgrid(indexing='ij')",
    "lib.meshgrid(lib.arange(2), lib.arange(3.0), indexing='ij')", "lib.ones(3).fliplr()", "lib.tensor(1.0).flipud()",
    "lib.einsum('ijk', x)", "lib.einsum('ij,jk', x)", "lib.einsum('ij', x, x)", "lib.einsum('i1', x)",
    "lib.einsum('ij->ii', x)", "lib.einsum('ij->k', x)", "lib.einsum('ij,jk', x, x)",
    "lib.einsum('i,i', lib.tensor([1, 2]), lib.tensor([3.0, 4]))", "lib.diff(lib.tensor(1.0))",
]


@pytest.mark.parametrize("expr", ERRORS)
def test_errors_carry_torchs_type_and_message(expr):
    with pytest.raises((RuntimeError, IndexError, TypeError, NotImplementedError)) as mine:
        eval(expr, {"lib": minitorch, "x": minitorch.zeros(3, 4)})
    if torch is not None:
        with pytest.raises(Exception) as theirs:
            eval(expr, {"lib": torch, "x": torch.zeros(3, 4)})
        assert type(mine.value) is type(theirs.value)
        assert str(mine.value) == str(theirs.value).split(" (Triggered")[0]


def test_meshgrid_without_indexing_warns_and_uses_ij():
    with pytest.warns(UserWarning, match="torch.meshgrid: in an upcoming release, it will be required to pass the "
                                         "indexing argument."):
        a, b = minitorch.meshgrid(minitorch.arange(2), minitorch.arange(3))
    assert a.shape == (2, 3) and b.tolist() == [[0, 1, 2], [0, 1, 2]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        minitorch.meshgrid([minitorch.arange(2)], indexing="ij")


def test_einsum_forms():
    x, y = minitorch.randn(2, 3), minitorch.randn(3, 4)
    expected = (x @ y).numpy()
    np.testing.assert_allclose(minitorch.einsum("ij,jk", [x, y]).numpy(), expected, rtol=1e-5)
    np.testing.assert_allclose(minitorch.einsum(x, [0, 1], y, [1, 2], [0, 2]).numpy(), expected, rtol=1e-5)
    np.testing.assert_allclose(minitorch.einsum("ij -> ji", x).numpy(), x.t().numpy())
    assert minitorch.einsum("Ba", x).shape == (2, 3) and minitorch.einsum("aB", x).shape == (3, 2)
    assert minitorch.einsum("i,i", minitorch.tensor([1, 2]), minitorch.tensor([3, 4])).item() == 11
