"""max_pool3d, avg_pool3d, adaptive_avg_pool3d, adaptive_max_pool3d, their modules and
BatchNorm3d: values, indices and gradients against PyTorch (float64) and against NumPy loops
that follow PyTorch's CPU kernels, gradchecks, reprs, and PyTorch's errors.

PyTorch's CPU max-pool backward must never run on a window wholly in the padding (its
forward gives -inf and an index past the input, and its backward writes there, past its
buffer, corrupting the test process's heap): the tests run torch's backward only when its
forward output holds no -inf, and check minitorch's gradient of such windows against NumPy.
"""
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitorch
from minitorch import nn
from minitorch.autograd.gradcheck import gradcheck, gradgradcheck
from minitorch.nn import functional as F
from tests._compat import requires_torch, torch
from tests.strategies import hsettings, layout_of


def _arr(shape, seed=0, ties=False):
    rng = np.random.default_rng(seed)
    if ties:  # few distinct values: many ties, to check which maximum wins
        return rng.integers(-2, 3, shape).astype(np.float64)
    return rng.standard_normal(shape)


def _close(m, t, tol=1e-10):
    np.testing.assert_allclose(np.asarray(m.detach().numpy()), np.asarray(t.detach().numpy()), rtol=tol, atol=tol)


# ----- NumPy loops following PyTorch's CPU kernels ------------------------------------------

def _out_size(size, k, p, s, d, ceil):
    out = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil else 0)) // s + 1
    if ceil and (out - 1) * s >= size + p:
        out -= 1
    return out


def _max_pool3d_reference(x, kernel, stride, padding, dilation, ceil):
    """(values, indices) of x (P, D, H, W): the first maximum in (d, h, w) order; a window
    without input keeps the start index (each dim's first tap at or past 0)."""
    size = x.shape[1:]
    out = [_out_size(*a, ceil) for a in zip(size, kernel, padding, stride, dilation)]
    values = np.full((x.shape[0], *out), -np.inf)
    indices = np.zeros((x.shape[0], *out), np.int64)
    for o in np.ndindex(*out):
        starts, taps = [], []
        for i in range(3):
            s = o[i] * stride[i] - padding[i]
            while s < 0:
                s += dilation[i]
            starts.append(s)
            end = min(o[i] * stride[i] - padding[i] + (kernel[i] - 1) * dilation[i] + 1, size[i])
            taps.append(range(s, end, dilation[i]))
        for p in range(x.shape[0]):
            best, index = -np.inf, (starts[0] * size[1] + starts[1]) * size[2] + starts[2]
            for d in taps[0]:
                for h in taps[1]:
                    for w in taps[2]:
                        if x[p, d, h, w] > best:
                            best, index = x[p, d, h, w], (d * size[1] + h) * size[2] + w
            values[(p, *o)], indices[(p, *o)] = best, index
    return values, indices


# ----- max_pool3d ---------------------------------------------------------------------------

@st.composite
def max_pool_cases(draw):
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(3))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(3))
    dilation = tuple(draw(st.integers(1, 3)) for _ in range(3))
    padding = tuple(draw(st.integers(0, ((k - 1) * d + 1) // 2)) for k, d in zip(kernel, dilation))
    padding = tuple(min(p, k // 2) for p, k in zip(padding, kernel))
    size = tuple(max(1, (k - 1) * d + 1 - 2 * p) + draw(st.integers(0, 3))
                 for k, d, p in zip(kernel, dilation, padding))
    batch = draw(st.sampled_from(((), (1,), (2,))))
    return batch + (draw(st.integers(1, 2)),) + size, kernel, stride, padding, dilation, draw(st.booleans())


@requires_torch
@hsettings(max_examples=25)
@given(case=max_pool_cases(), ties=st.booleans(), data=st.data())
def test_max_pool3d_matches_torch(case, ties, data):
    shape, kernel, stride, padding, dilation, ceil = case
    x = _arr(shape, ties=ties)
    mx = data.draw(layout_of(x)).detach().requires_grad_()
    tx = torch.tensor(x, requires_grad=True)
    out_m, idx_m = F.max_pool3d(mx, kernel, stride, padding, dilation, ceil, True)
    out_t, idx_t = torch.nn.functional.max_pool3d(tx, kernel, stride, padding, dilation, ceil, True)
    assert type(out_m.grad_fn).__name__ == type(out_t.grad_fn).__name__ == "MaxPool3DWithIndicesBackward0"
    np.testing.assert_array_equal(out_m.detach().numpy(), out_t.detach().numpy())
    np.testing.assert_array_equal(idx_m.numpy(), idx_t.numpy())
    g = _arr(tuple(out_t.shape), seed=3)
    out_m.backward(minitorch.tensor(g))
    if np.isfinite(out_t.detach().numpy()).all():  # never torch's backward of an empty window
        out_t.backward(torch.tensor(g))
        _close(mx.grad, tx.grad)


def test_max_pool3d_matches_numpy_loops_and_drops_empty_windows_gradient():
    x = _arr((2, 3, 2, 3), ties=True)
    # dilation 3 over 2-3 inputs with padding 1: some windows hold no input at all
    args = ((2, 2, 2), (2, 1, 1), (1, 1, 1), (3, 3, 1), False)
    mx = minitorch.tensor(x, requires_grad=True)
    out, idx = F.max_pool3d(mx, *args[:4], ceil_mode=args[4], return_indices=True)
    ref_v, ref_i = _max_pool3d_reference(x, *args)
    assert np.isinf(ref_v).any()  # the case under test
    np.testing.assert_array_equal(out.detach().numpy(), ref_v)
    np.testing.assert_array_equal(idx.numpy(), ref_i)
    g = _arr(ref_v.shape, seed=1)
    out.backward(minitorch.tensor(g))
    expected = np.zeros((2, x[0].size))
    for p in range(2):
        for k, i in zip(ref_i[p].ravel(), g[p].ravel()):
            if 0 <= k < x[0].size:
                expected[p, k] += i
    np.testing.assert_allclose(mx.grad.numpy(), expected.reshape(x.shape), rtol=1e-12)


def test_max_pool3d_gradcheck():
    x = minitorch.tensor(np.random.default_rng(0).permutation(60).reshape(1, 3, 4, 5) / 7.0, requires_grad=True)
    assert gradcheck(lambda x: F.max_pool3d(x, (2, 2, 3), (1, 2, 1), (1, 0, 1)), (x,))
    assert gradgradcheck(lambda x: F.max_pool3d(x, (2, 2, 3), (1, 2, 1), (1, 0, 1)), (x,))


# ----- avg_pool3d ---------------------------------------------------------------------------

@st.composite
def avg_pool_cases(draw):
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(3))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(3))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    size = tuple(k + draw(st.integers(0, 3)) for k in kernel)
    batch = draw(st.sampled_from(((), (1,), (2,))))
    divisor = draw(st.sampled_from((None, 1, 3)))
    return (batch + (draw(st.integers(1, 2)),) + size, kernel, stride, padding, draw(st.booleans()),
            draw(st.booleans()), divisor)


@requires_torch
@hsettings(max_examples=25)
@given(case=avg_pool_cases(), data=st.data())
def test_avg_pool3d_matches_torch(case, data):
    shape, kernel, stride, padding, ceil, count_pad, divisor = case
    x = _arr(shape)
    mx = data.draw(layout_of(x)).detach().requires_grad_()
    tx = torch.tensor(x, requires_grad=True)
    out_m = F.avg_pool3d(mx, kernel, stride, padding, ceil, count_pad, divisor)
    out_t = torch.nn.functional.avg_pool3d(tx, kernel, stride, padding, ceil, count_pad, divisor)
    assert type(out_m.grad_fn).__name__ == type(out_t.grad_fn).__name__ == "AvgPool3DBackward0"
    _close(out_m, out_t)
    g = _arr(tuple(out_t.shape), seed=3)
    out_m.backward(minitorch.tensor(g))
    out_t.backward(torch.tensor(g))
    _close(mx.grad, tx.grad)


@requires_torch
def test_avg_pool3d_float32_within_float32_rounding_of_torch_float64():
    x = _arr((2, 3, 6, 7, 5)).astype(np.float32)
    mx, tx = minitorch.tensor(x, requires_grad=True), torch.tensor(x.astype(np.float64), requires_grad=True)
    out_m = F.avg_pool3d(mx, 3, (2, 1, 2), 1, True, False)
    out_t = torch.nn.functional.avg_pool3d(tx, 3, (2, 1, 2), 1, True, False)
    out_m.sum().backward()
    out_t.sum().backward()
    np.testing.assert_allclose(out_m.detach().numpy(), out_t.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)


@requires_torch
def test_integer_pools_match_torch():
    x = np.random.default_rng(0).integers(-9, 9, (2, 3, 4, 5, 6))
    for args in ((2,), (3, 2, 1, True), (2, 1, 1, False, False), (2, 2, 0, False, True, 3)):
        np.testing.assert_array_equal(F.avg_pool3d(minitorch.tensor(x), *args).numpy(),
                                      torch.nn.functional.avg_pool3d(torch.tensor(x), *args).numpy())
    (v, i), (tv, ti) = (F.max_pool3d(minitorch.tensor(x), 2, 1, 1, return_indices=True),
                        torch.nn.functional.max_pool3d(torch.tensor(x), 2, 1, 1, return_indices=True))
    np.testing.assert_array_equal(v.numpy(), tv.numpy())
    np.testing.assert_array_equal(i.numpy(), ti.numpy())


@requires_torch
@pytest.mark.parametrize("pool", [
    lambda F, x: F.max_pool3d(x, 3, 1, 1, return_indices=True),
    lambda F, x: F.max_pool3d(x, (2, 3, 2), (2, 1, 2), 1, (2, 1, 1), True, return_indices=True),
    lambda F, x: F.adaptive_max_pool3d(x, (3, 2, 4), return_indices=True),
    lambda F, x: F.adaptive_max_pool3d(x, (2, 5, 3), return_indices=True),
    lambda F, x: F.adaptive_max_pool2d(x[0], (3, 4), return_indices=True),
])
def test_max_pools_let_the_last_nan_win_as_torch(pool):
    x = _arr((1, 2, 4, 5, 6))
    x[0, 0, 1, 2, 3] = x[0, 1, 3, 4, 5] = x[0, 0, 3, 1, 1] = np.nan
    x[0, 1, 0:2, 0:3, 0:3] = np.nan
    (v, i), (tv, ti) = pool(F, minitorch.tensor(x)), pool(torch.nn.functional, torch.tensor(x))
    np.testing.assert_array_equal(v.numpy(), tv.numpy())
    np.testing.assert_array_equal(i.numpy(), ti.numpy())


def test_avg_pool3d_matches_numpy_and_gradchecks():
    x = _arr((2, 3, 4, 5))
    out = F.avg_pool3d(minitorch.tensor(x), (2, 3, 2), (1, 2, 2), (1, 1, 0), count_include_pad=False)
    xp = np.pad(x, [(0, 0), (1, 1), (1, 1), (0, 0)])
    ones = np.pad(np.ones(x.shape), [(0, 0), (1, 1), (1, 1), (0, 0)])
    for o in np.ndindex(*out.shape[1:]):
        window = tuple(slice(i * s, i * s + k) for i, s, k in zip(o, (1, 2, 2), (2, 3, 2)))
        expected = xp[(slice(None),) + window].sum((1, 2, 3)) / ones[(slice(None),) + window].sum((1, 2, 3))
        np.testing.assert_allclose(out.numpy()[(slice(None),) + o], expected, rtol=1e-12)
    leaf = minitorch.tensor(x[:1], requires_grad=True)

    def fn(x):
        return F.avg_pool3d(x, 2, (1, 2, 2), 1, True, False, None)
    assert gradcheck(fn, (leaf,))
    assert gradgradcheck(fn, (leaf,))


# ----- adaptive pooling ---------------------------------------------------------------------

@requires_torch
@hsettings(max_examples=20)
@given(size=st.tuples(*(st.integers(1, 6) for _ in range(3))),
       out=st.tuples(*(st.integers(1, 7) for _ in range(3))),
       batched=st.booleans(), ties=st.booleans(), data=st.data())
def test_adaptive_pool3d_matches_torch(size, out, batched, ties, data):
    shape = ((2,) if batched else ()) + (2,) + size
    x = _arr(shape, ties=ties)
    mx = data.draw(layout_of(x)).detach().requires_grad_()
    tx = torch.tensor(x, requires_grad=True)
    avg_m, avg_t = F.adaptive_avg_pool3d(mx, out), torch.nn.functional.adaptive_avg_pool3d(tx, out)
    _close(avg_m, avg_t)
    (max_m, idx_m), (max_t, idx_t) = (F.adaptive_max_pool3d(mx, out, True),
                                      torch.nn.functional.adaptive_max_pool3d(tx, out, True))
    np.testing.assert_array_equal(max_m.detach().numpy(), max_t.detach().numpy())
    np.testing.assert_array_equal(idx_m.numpy(), idx_t.numpy())
    assert type(avg_m.grad_fn).__name__ == type(avg_t.grad_fn).__name__
    assert type(max_m.grad_fn).__name__ == type(max_t.grad_fn).__name__
    g1, g2 = _arr(tuple(avg_t.shape), 1), _arr(tuple(max_t.shape), 2)
    ((avg_m * minitorch.tensor(g1)).sum() + (max_m * minitorch.tensor(g2)).sum()).backward()
    ((avg_t * torch.tensor(g1)).sum() + (max_t * torch.tensor(g2)).sum()).backward()
    _close(mx.grad, tx.grad)


@requires_torch
def test_adaptive_pool3d_none_and_int_sizes():
    x = _arr((2, 3, 5, 6, 7))
    for size in (3, (2, None, 4), (None, None, None), 1):
        _close(F.adaptive_avg_pool3d(minitorch.tensor(x), size),
               torch.nn.functional.adaptive_avg_pool3d(torch.tensor(x), size))
        _close(F.adaptive_max_pool3d(minitorch.tensor(x), size),
               torch.nn.functional.adaptive_max_pool3d(torch.tensor(x), size))


def test_adaptive_pool3d_gradcheck_and_windows():
    x = minitorch.tensor(np.random.default_rng(0).permutation(60).reshape(1, 3, 4, 5) / 7.0, requires_grad=True)
    for fn in (lambda x: F.adaptive_avg_pool3d(x, (2, 3, 3)), lambda x: F.adaptive_max_pool3d(x, (2, 3, 3))):
        assert gradcheck(fn, (x,))
        assert gradgradcheck(fn, (x,))
    # window i of depth 3 -> 2 covers [floor(3 i / 2), ceil(3 (i + 1) / 2)): rows 0-1 and 1-2
    a = np.arange(3.0).reshape(1, 3, 1, 1)
    np.testing.assert_allclose(F.adaptive_avg_pool3d(minitorch.tensor(a), (2, 1, 1)).numpy().ravel(), [0.5, 1.5])


# ----- modules ------------------------------------------------------------------------------

@requires_torch
@pytest.mark.parametrize("name,args,kwargs", [
    ("MaxPool3d", (2,), {}),
    ("MaxPool3d", ((2, 3, 1),), dict(stride=(1, 2, 1), padding=(1, 1, 0), dilation=2, ceil_mode=True)),
    ("MaxPool3d", (3,), dict(return_indices=True)),
    ("AvgPool3d", (2,), {}),
    ("AvgPool3d", ((2, 3, 2),), dict(stride=1, padding=(1, 1, 0), ceil_mode=True, count_include_pad=False,
                                     divisor_override=3)),
    ("AdaptiveAvgPool3d", ((2, None, 3),), {}),
    ("AdaptiveMaxPool3d", (2,), dict(return_indices=True)),
])
def test_pool_modules_match_torch(name, args, kwargs):
    m, t = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(m) == repr(t)
    x = _arr((2, 2, 5, 6, 4))
    out_m, out_t = m(minitorch.tensor(x)), t(torch.tensor(x))
    if kwargs.get("return_indices"):
        np.testing.assert_array_equal(out_m[1].numpy(), out_t[1].numpy())
        out_m, out_t = out_m[0], out_t[0]
    _close(out_m, out_t)


@requires_torch
@pytest.mark.parametrize("kwargs", [{}, dict(affine=False, momentum=None), dict(track_running_stats=False)])
def test_batchnorm3d_matches_torch(kwargs):
    m, t = nn.BatchNorm3d(3, **kwargs).double(), torch.nn.BatchNorm3d(3, **kwargs).double()
    assert repr(m) == repr(t)
    assert list(m.state_dict()) == list(t.state_dict())
    x = _arr((2, 3, 3, 4, 2))
    mx, tx = minitorch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    for _ in range(2):
        _close(m(mx), t(tx))
    m(mx).pow(2).sum().backward()
    t(tx).pow(2).sum().backward()
    _close(mx.grad, tx.grad, 1e-8)
    for k, v in t.state_dict().items():
        np.testing.assert_allclose(m.state_dict()[k].numpy(), v.numpy(), rtol=1e-12)
    m.eval(), t.eval()
    _close(m(mx), t(tx))
    with pytest.raises(ValueError, match=re.escape("expected 5D input (got 4D input)")):
        m(minitorch.tensor(x[0]))


# ----- errors ------------------------------------------------------------------------------

ERROR_CASES = [
    lambda F, x: F.max_pool3d(x, (2, 2)),
    lambda F, x: F.max_pool3d(x, 2, stride=(1, 2)),
    lambda F, x: F.max_pool3d(x, 2, padding=(1, 2)),
    lambda F, x: F.max_pool3d(x, 2, dilation=(1, 2)),
    lambda F, x: F.max_pool3d(x, 2, padding=2),
    lambda F, x: F.max_pool3d(x, 0, stride=1),
    lambda F, x: F.max_pool3d(x, 2, stride=0),
    lambda F, x: F.max_pool3d(x, 2, dilation=0),
    lambda F, x: F.max_pool3d(x[0, 0], 2),
    lambda F, x: F.max_pool3d(x, 7),
    lambda F, x: F.max_pool3d(x, 2, padding=-1),
    lambda F, x: F.max_pool3d(x, 2.0),
    lambda F, x: F.max_pool3d(x, 2, (1, 2.0, 1)),
    lambda F, x: F.avg_pool3d(x, 2, 1, None),
    lambda F, x: F.max_pool3d(x, 2, 1, 0, None),
    lambda F, x: F.avg_pool3d(x, [2, 2.5, 2]),
    lambda F, x: F.max_pool3d(x[:, :0], 2),
    lambda F, x: F.avg_pool3d(x, (2, 2)),
    lambda F, x: F.avg_pool3d(x, 2, stride=(1, 2)),
    lambda F, x: F.avg_pool3d(x, 2, padding=(1, 2)),
    lambda F, x: F.avg_pool3d(x, 2, padding=2),
    lambda F, x: F.avg_pool3d(x, 2, stride=0),
    lambda F, x: F.avg_pool3d(x[0, 0], 2),
    lambda F, x: F.avg_pool3d(x, 7),
    lambda F, x: F.avg_pool3d(x, 2, divisor_override=0),
    lambda F, x: F.avg_pool3d(x[:, :, :0], 2),
    lambda F, x: F.adaptive_avg_pool3d(x, (2, 2)),
    lambda F, x: F.adaptive_avg_pool3d(x, (-1, 2, 3)),
    lambda F, x: F.adaptive_avg_pool3d(x[0, 0], 2),
    lambda F, x: F.adaptive_avg_pool3d(x[:, :, :0], 2),
    lambda F, x: F.adaptive_avg_pool3d(x.long(), 2),
    lambda F, x: F.adaptive_avg_pool3d(x[0, 0, 0], (2, None, 3)),
    lambda F, x: F.adaptive_max_pool3d(x, (2, 2)),
    lambda F, x: F.adaptive_max_pool3d(x, (-1, 2, 3)),
    lambda F, x: F.adaptive_max_pool3d(x[0, 0], 2),
    lambda F, x: F.adaptive_max_pool3d(x[:, :, :0], 2),
    lambda F, x: F.adaptive_max_pool3d(x.long(), 2),
]


@requires_torch
@pytest.mark.parametrize("call", ERROR_CASES)
def test_errors_match_torch(call):
    x = _arr((2, 3, 4, 5, 6)).astype(np.float32)
    with pytest.raises(Exception) as expected:
        call(torch.nn.functional, torch.tensor(x))
    with pytest.raises(type(expected.value)) as got:
        call(F, minitorch.tensor(x))
    assert str(got.value) == str(expected.value)


def test_empty_batch_gives_empty_outputs():
    x = minitorch.zeros(0, 2, 4, 4, 4)
    assert tuple(F.max_pool3d(x, 2).shape) == (0, 2, 2, 2, 2)
    assert tuple(F.avg_pool3d(x, 2).shape) == (0, 2, 2, 2, 2)
    assert tuple(F.adaptive_avg_pool3d(x, 3).shape) == (0, 2, 3, 3, 3)
    assert tuple(F.adaptive_max_pool3d(x, 3).shape) == (0, 2, 3, 3, 3)
