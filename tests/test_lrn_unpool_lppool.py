"""LocalResponseNorm, MaxUnpool1d/2d, LPPool1d/2d and pdist: values and gradients against
PyTorch (non-contiguous inputs too), NumPy references and central differences without it,
module reprs, errors as PyTorch's."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitorch
from minitorch import nn
from minitorch.autograd.gradcheck import gradcheck
from minitorch.nn import functional as F
from tests._compat import requires_torch, torch
from tests._nn_compare import raises_like
from tests.strategies import hsettings, layout_of


def _compare(m_fn, t_fn, arrays, data, dtype, grads=True):
    """m_fn on minitorch tensors (drawn layouts) against t_fn on torch float64 tensors of the
    same values: outputs and the gradients of a random upstream gradient."""
    ms = [data.draw(layout_of(a)) for a in arrays]
    ts = [torch.tensor(a.astype(np.float64) if a.dtype.kind == "f" else a) for a in arrays]
    for m, t in zip(ms, ts):
        if grads and t.dtype.is_floating_point:
            m.requires_grad_()
            t.requires_grad_()
    om, ot = m_fn(*ms), t_fn(*ts)
    tol = dict(rtol=2e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(om.detach().numpy(), ot.detach().numpy(), **tol)
    if not grads or ot.numel() == 0:
        return
    assert type(om.grad_fn).__name__ == type(ot.grad_fn).__name__
    upstream = np.random.default_rng(0).standard_normal(tuple(ot.shape)).astype(dtype)
    om.backward(minitorch.tensor(upstream))
    ot.backward(torch.tensor(upstream.astype(np.float64)))
    for m, t in zip(ms, ts):
        if t.grad is not None:
            np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), **tol)


DTYPES = st.sampled_from(["float32", "float64"])


@requires_torch
@hsettings(max_examples=25)
@given(dims=st.lists(st.integers(1, 4), min_size=1, max_size=3), channels=st.integers(1, 6),
       size=st.integers(1, 7), alpha=st.sampled_from([1e-4, 0.1, 1.0]), beta=st.sampled_from([0.75, 0.5]),
       k=st.sampled_from([1.0, 2.0]), dtype=DTYPES, data=st.data())
def test_local_response_norm_matches_torch(dims, channels, size, alpha, beta, k, dtype, data):
    x = np.random.default_rng(size).standard_normal((2, channels, *dims)).astype(dtype)
    _compare(lambda a: F.local_response_norm(a, size, alpha, beta, k),
             lambda a: torch.nn.functional.local_response_norm(a, size, alpha, beta, k), [x], data, dtype)


def test_local_response_norm_equals_its_formula_numpy():
    x = np.random.default_rng(1).standard_normal((2, 6, 3))
    got = nn.LocalResponseNorm(3, alpha=0.3, beta=0.6, k=1.5)(minitorch.tensor(x)).numpy()
    padded = np.pad(x ** 2, ((0, 0), (1, 1), (0, 0)))
    window = sum(padded[:, c:c + 6] for c in range(3)) / 3
    np.testing.assert_allclose(got, x / (1.5 + 0.3 * window) ** 0.6, rtol=1e-13)


def test_local_response_norm_gradchecks():
    x = minitorch.tensor(np.random.default_rng(2).standard_normal((2, 5, 2, 2)), requires_grad=True)
    assert gradcheck(lambda a: F.local_response_norm(a, 3, alpha=0.5), (x,))


@requires_torch
@hsettings(max_examples=25)
@given(p=st.sampled_from([1, 2, 3, 1.5, float("inf"), -float("inf")]), two_d=st.booleans(),
       kernel=st.integers(1, 3), stride=st.sampled_from([None, 1, 2]), ceil_mode=st.booleans(), dtype=DTYPES,
       data=st.data())
def test_lp_pool_matches_torch(p, two_d, kernel, stride, ceil_mode, dtype, data):
    shape = (2, 3, 5, 6) if two_d else (2, 3, 7)
    # positive inputs away from 0: x ** p is smooth there for every p (and max |x| has no ties)
    x = (np.random.default_rng(kernel).random(shape) + 0.2).astype(dtype)
    fm, ft = (F.lp_pool2d, torch.nn.functional.lp_pool2d) if two_d else (F.lp_pool1d, torch.nn.functional.lp_pool1d)
    _compare(lambda a: fm(a, p, kernel, stride, ceil_mode), lambda a: ft(a, p, kernel, stride, ceil_mode),
             [x], data, dtype)


def test_lp_pool_is_the_p_norm_of_each_window_numpy():
    x = np.random.default_rng(3).random((1, 2, 4, 6)) + 0.1
    got = nn.LPPool2d(3, (2, 3))(minitorch.tensor(x)).numpy()
    windows = x.reshape(1, 2, 2, 2, 2, 3)
    np.testing.assert_allclose(got, (windows ** 3).sum(axis=(3, 5)) ** (1 / 3), rtol=1e-13)
    x1 = minitorch.tensor(np.random.default_rng(4).random((2, 6)) + 0.1, requires_grad=True)
    assert gradcheck(lambda a: F.lp_pool1d(a, 2.5, 2), (x1,))


# ----- max_unpool ---------------------------------------------------------------------------

@requires_torch
@hsettings(max_examples=25)
@given(two_d=st.booleans(), kernel=st.integers(1, 3), stride=st.sampled_from([None, 1, 2, 3]),
       padding=st.integers(0, 1), batched=st.booleans(), extra=st.booleans(), dtype=DTYPES, data=st.data())
def test_max_unpool_inverts_max_pool_like_torch(two_d, kernel, stride, padding, batched, extra, dtype, data):
    if 2 * padding > kernel:
        padding = 0
    shape = ((2,) if batched else ()) + ((3, 5, 7) if two_d else (3, 8))
    x = np.random.default_rng(kernel).standard_normal(shape).astype(dtype)
    pool = torch.nn.functional.max_pool2d if two_d else torch.nn.functional.max_pool1d
    out, idx = pool(torch.tensor(x), kernel, stride, padding, return_indices=True)
    step = stride or kernel
    n = 2 if two_d else 1
    default = [(s - 1) * step + kernel - 2 * padding for s in out.shape[-n:]]
    # an output at least as large as the input: every argmax fits
    size = [max(d, s) for d, s in zip(default, shape[-n:])]
    if any(s >= d + step for s, d in zip(size, default)):
        return  # (outside the sizes PyTorch accepts for this pooling)
    kwargs = dict(output_size=size) if extra or size != default else {}
    fm, ft = (F.max_unpool2d, torch.nn.functional.max_unpool2d) if two_d else (
        F.max_unpool1d, torch.nn.functional.max_unpool1d)
    _compare(lambda a, i: fm(a, i, kernel, stride, padding, **kwargs),
             lambda a, i: ft(a, i, kernel, stride, padding, **kwargs),
             [out.numpy().astype(dtype), idx.numpy()], data, dtype)


def test_max_unpool_puts_each_max_back_and_zeros_elsewhere_numpy():
    x = minitorch.tensor(np.random.default_rng(5).standard_normal((2, 3, 4, 6)))
    pooled, idx = F.max_pool2d(x, 2, return_indices=True)
    back = nn.MaxUnpool2d(2)(pooled, idx).numpy()
    xs = x.numpy()
    blocks = xs.reshape(2, 3, 2, 2, 3, 2)
    is_max = blocks == blocks.max(axis=(3, 5), keepdims=True)
    np.testing.assert_array_equal(back, np.where(is_max, blocks, 0).reshape(xs.shape))
    p = pooled.detach().requires_grad_()
    assert gradcheck(lambda a: F.max_unpool2d(a, idx, 2), (p,))
    q, i1 = F.max_pool1d(x[0], 2, return_indices=True)
    assert nn.MaxUnpool1d(2)(q, i1).shape == (3, 4, 6)
    empty = minitorch.zeros(0, 3, 2, 2, requires_grad=True)
    out = F.max_unpool2d(empty, minitorch.zeros(0, 3, 2, 2, dtype=minitorch.int64), 2)
    assert out.shape == (0, 3, 4, 4)
    out.sum().backward()
    assert empty.grad.shape == (0, 3, 2, 2)


# ----- pdist --------------------------------------------------------------------------------

@requires_torch
@hsettings(max_examples=25)
@given(n=st.integers(0, 6), m=st.integers(0, 4), p=st.sampled_from([0, 1, 2, 3, 1.5, 0.5, float("inf")]),
       dtype=DTYPES, data=st.data())
def test_pdist_matches_torch(n, m, p, dtype, data):
    x = np.random.default_rng(n * 7 + m).standard_normal((n, m)).astype(dtype)
    _compare(lambda a: F.pdist(a, p), lambda a: torch.nn.functional.pdist(a, p), [x], data, dtype)


def test_pdist_is_the_upper_triangle_of_the_distance_matrix_numpy():
    x = np.random.default_rng(6).standard_normal((5, 3))
    full = np.linalg.norm(x[:, None] - x[None], axis=-1)
    np.testing.assert_allclose(minitorch.pdist(minitorch.tensor(x)).numpy(), full[np.triu_indices(5, 1)], rtol=1e-13)
    for p in (1, 2, 3.5, float("inf")):
        t = minitorch.tensor(x, requires_grad=True)
        assert gradcheck(lambda a: F.pdist(a, p), (t,))
    twins = minitorch.tensor([[1.0, 2.0], [1.0, 2.0], [0.0, 0.0]], dtype=minitorch.float64, requires_grad=True)
    F.pdist(twins).sum().backward()  # a zero distance contributes no gradient (not NaN)
    assert np.isfinite(twins.grad.numpy()).all()


# ----- modules and errors -------------------------------------------------------------------

@requires_torch
@pytest.mark.parametrize("expr", ["LocalResponseNorm(2)", "LocalResponseNorm(5, 1e-3, 0.5, 2.0)", "LPPool2d(2, 3)",
                                  "LPPool1d(1.5, 3, 2, True)", "LPPool2d(3, (2, 3), (1, 2))", "MaxUnpool2d(2)",
                                  "MaxUnpool1d(3, 2, 1)", "MaxUnpool2d((2, 3), 1, (0, 1))"])
def test_module_reprs_are_torchs(expr):
    m, t = eval("nn." + expr), eval("torch.nn." + expr)
    assert repr(m) == repr(t)
    assert list(m.state_dict()) == list(t.state_dict()) == []


X = np.zeros((2, 4, 3, 4), np.float32)
IDX = np.zeros((2, 4, 3, 4), np.int64)
ERRORS = [
    (lambda lib: lib.nn.functional.local_response_norm(lib.zeros(2, 3), 2)),
    (lambda lib: lib.nn.functional.max_unpool2d(lib.tensor(X), lib.tensor(IDX).int(), 2)),
    (lambda lib: lib.nn.functional.max_unpool2d(lib.tensor(X), lib.tensor(IDX[:, :, :1]), 2)),
    (lambda lib: lib.nn.functional.max_unpool2d(lib.tensor(X), lib.tensor(IDX + 39), 2, output_size=(5, 7))),
    (lambda lib: lib.nn.functional.max_unpool2d(lib.tensor(X), lib.tensor(IDX), 2, output_size=(2, 2))),
    (lambda lib: lib.nn.functional.max_unpool2d(lib.tensor(X), lib.tensor(IDX), 2, output_size=(1, 2, 3))),
    (lambda lib: lib.nn.functional.max_unpool2d(lib.tensor(X[0, 0]), lib.tensor(IDX[0, 0]), 2)),
    (lambda lib: lib.nn.functional.max_unpool2d(lib.tensor(X).long(), lib.tensor(IDX), 2)),
    (lambda lib: lib.nn.functional.max_unpool2d(lib.tensor(X), lib.tensor(IDX).float(), 2)),
    (lambda lib: lib.nn.functional.max_unpool1d(lib.tensor(X[0, 0, 0]), lib.tensor(IDX[0, 0, 0]), 2)),
    (lambda lib: lib.nn.functional.pdist(lib.zeros(5, 3, 2))),
    (lambda lib: lib.nn.functional.pdist(lib.zeros(5, 3).long())),
    (lambda lib: lib.nn.functional.pdist(lib.zeros(5, 3), -1)),
    (lambda lib: lib.nn.functional.pdist(lib.zeros(5, 3), p="a")),
    (lambda lib: lib.nn.functional.pdist([1.0])),
]


@requires_torch
@pytest.mark.parametrize("call", ERRORS)
def test_errors_match_torch(call):
    raises_like(lambda: call(minitorch), lambda: call(torch))
