"""Adaptive pooling (F.adaptive_avg_pool1d/2d, F.adaptive_max_pool1d/2d and their modules):
values, argmax indices and gradients against PyTorch where it is installed, and everywhere
against a NumPy loop over PyTorch's windows (start = floor(i * in / out), end =
ceil((i + 1) * in / out)), central differences, and PyTorch's error messages."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitorch
import minitorch.nn as nn
import minitorch.nn.functional as F
from tests._compat import requires_torch, torch
from tests.strategies import hsettings, tensors


# ----- the NumPy reference ------------------------------------------------------------------

def _window(i: int, size: int, out: int) -> tuple:
    return (i * size) // out, math.ceil((i + 1) * size / out)


def ref_pool2d(x: np.ndarray, oh: int, ow: int, grad: np.ndarray | None = None):
    """(avg, max, argmax, d avg / dx . grad, d max / dx . grad), each window visited row by row
    and the first maximum kept, as PyTorch's CPU kernel does."""
    h, w = x.shape[-2:]
    lead = x.shape[:-2]
    avg = np.zeros(lead + (oh, ow), x.dtype)
    mx = np.zeros(lead + (oh, ow), x.dtype)
    arg = np.zeros(lead + (oh, ow), np.int64)
    gavg, gmax = np.zeros_like(x), np.zeros_like(x)
    for idx in np.ndindex(*lead):
        plane = x[idx]
        for i in range(oh):
            h0, h1 = _window(i, h, oh)
            for j in range(ow):
                w0, w1 = _window(j, w, ow)
                cell = plane[h0:h1, w0:w1]
                avg[idx + (i, j)] = cell.sum() / cell.size
                k = int(np.argmax(cell))  # first maximum in row-major order
                mx[idx + (i, j)] = cell.reshape(-1)[k]
                arg[idx + (i, j)] = (h0 + k // cell.shape[1]) * w + w0 + k % cell.shape[1]
                if grad is not None:
                    gavg[idx][h0:h1, w0:w1] += grad[idx + (i, j)] / cell.size
                    gmax[idx].reshape(-1)[arg[idx + (i, j)]] += grad[idx + (i, j)]
    return avg, mx, arg, gavg, gmax


# Shapes and output sizes that reach each path: 1x1 (a mean), multiples (avg_pool2d /
# max_pool2d), overlapping windows, an output larger than the input, None, 3-D input.
CASES = [
    ((2, 3, 7, 5), (3, 2)),
    ((2, 3, 8, 6), (4, 3)),
    ((2, 3, 8, 6), 1),
    ((3, 7, 5), (1, 1)),
    ((2, 2, 1, 1), (7, 7)),
    ((1, 2, 10, 9), (4, None)),
    ((2, 1, 5, 11), (3, 7)),
    ((1, 4, 7, 7), 7),
    ((2, 3, 3, 4), (5, 6)),
]


def _sizes(shape, out):
    if isinstance(out, int):
        return out, out
    return tuple(shape[-2 + k] if v is None else v for k, v in enumerate(out))


@pytest.mark.parametrize("shape, out", CASES)
def test_adaptive_pool2d_matches_the_numpy_reference_values_indices_and_gradients(shape, out):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    oh, ow = _sizes(shape, out)
    g = rng.standard_normal(shape[:-2] + (oh, ow)).astype(np.float32)
    avg, mx, arg, gavg, gmax = ref_pool2d(x, oh, ow, g)

    xa = minitorch.tensor(x, requires_grad=True)
    got = F.adaptive_avg_pool2d(xa, out)
    got.backward(minitorch.tensor(g))
    np.testing.assert_allclose(got.detach().numpy(), avg, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(xa.grad.numpy(), gavg, rtol=1e-5, atol=1e-6)

    xm = minitorch.tensor(x, requires_grad=True)
    values, indices = F.adaptive_max_pool2d(xm, out, return_indices=True)
    values.backward(minitorch.tensor(g))
    np.testing.assert_array_equal(values.detach().numpy(), mx)
    np.testing.assert_array_equal(indices.numpy(), arg)
    assert indices.dtype == minitorch.int64
    np.testing.assert_allclose(xm.grad.numpy(), gmax, rtol=1e-6, atol=1e-6)


@requires_torch
@pytest.mark.parametrize("shape, out", CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_adaptive_pool2d_matches_torch(shape, out, dtype):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape).astype(dtype)
    tx, mx = torch.tensor(x, requires_grad=True), minitorch.tensor(x, requires_grad=True)
    expected, got = torch.nn.functional.adaptive_avg_pool2d(tx, out), F.adaptive_avg_pool2d(mx, out)
    assert tuple(got.shape) == tuple(expected.shape) and got.dtype == getattr(minitorch, dtype)
    g = rng.standard_normal(tuple(expected.shape)).astype(dtype)
    expected.backward(torch.tensor(g))
    got.backward(minitorch.tensor(g))
    tol = 1e-6 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(), rtol=tol * 10, atol=tol)
    np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), rtol=tol * 10, atol=tol * 10)

    tx, mx = torch.tensor(x, requires_grad=True), minitorch.tensor(x, requires_grad=True)
    (ev, ei), (gv, gi) = (torch.nn.functional.adaptive_max_pool2d(tx, out, True),
                          F.adaptive_max_pool2d(mx, out, True))
    ev.backward(torch.tensor(g))
    gv.backward(minitorch.tensor(g))
    np.testing.assert_array_equal(gv.detach().numpy(), ev.detach().numpy())
    np.testing.assert_array_equal(gi.numpy(), ei.numpy())
    np.testing.assert_array_equal(mx.grad.numpy(), tx.grad.numpy())


@requires_torch
@pytest.mark.parametrize("shape, out", [((2, 3, 7), 3), ((3, 7), 5), ((2, 3, 10), (4,)), ((2, 3, 4), 1),
                                        ((1, 2, 3), 8)])
def test_adaptive_pool1d_matches_torch_including_ties(shape, out):
    # Small integers make ties, where the first maximum of a window must win, as in PyTorch.
    x = np.random.default_rng(2).integers(0, 3, shape).astype(np.float32)
    tx, mx = torch.tensor(x, requires_grad=True), minitorch.tensor(x, requires_grad=True)
    (ev, ei), (gv, gi) = (torch.nn.functional.adaptive_max_pool1d(tx, out, True),
                          F.adaptive_max_pool1d(mx, out, True))
    np.testing.assert_array_equal(gv.detach().numpy(), ev.detach().numpy())
    np.testing.assert_array_equal(gi.numpy(), ei.numpy())
    ev.sum().backward()
    gv.sum().backward()
    np.testing.assert_array_equal(mx.grad.numpy(), tx.grad.numpy())
    ea, ga = torch.nn.functional.adaptive_avg_pool1d(tx, out), F.adaptive_avg_pool1d(mx, out)
    np.testing.assert_allclose(ga.detach().numpy(), ea.detach().numpy(), rtol=1e-6, atol=1e-6)


def test_adaptive_pool1d_is_the_2d_pool_of_one_row():
    x = np.random.default_rng(3).standard_normal((2, 3, 11)).astype(np.float32)
    avg, mx, arg, _, _ = ref_pool2d(x[:, :, None, :], 1, 4)
    values, indices = F.adaptive_max_pool1d(minitorch.tensor(x), 4, return_indices=True)
    np.testing.assert_allclose(F.adaptive_avg_pool1d(minitorch.tensor(x), 4).numpy(), avg[:, :, 0], rtol=1e-6)
    np.testing.assert_array_equal(values.numpy(), mx[:, :, 0])
    np.testing.assert_array_equal(indices.numpy(), arg[:, :, 0])


@given(data=st.data())
@hsettings(max_examples=25)
def test_adaptive_pool2d_on_any_layout_matches_the_reference(data):
    shape = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 3)), data.draw(st.integers(1, 9)),
             data.draw(st.integers(1, 9)))
    oh, ow = data.draw(st.integers(1, 9)), data.draw(st.integers(1, 9))
    x, t = data.draw(tensors(shape, "float32"))
    avg, mx, arg, _, _ = ref_pool2d(x, oh, ow)
    np.testing.assert_allclose(F.adaptive_avg_pool2d(t, (oh, ow)).numpy(), avg, rtol=1e-5, atol=1e-5)
    values, indices = F.adaptive_max_pool2d(t, (oh, ow), return_indices=True)
    np.testing.assert_array_equal(values.numpy(), mx)
    if len(np.unique(x)) == x.size:  # with repeated values (an expanded layout) the argmax is ambiguous
        np.testing.assert_array_equal(indices.numpy(), arg)


@pytest.mark.parametrize("out", [(3, 2), (2, 2), (1, 1), (4, 5)])
def test_adaptive_pool2d_gradients_match_central_differences(out):
    x = minitorch.tensor(np.random.default_rng(4).standard_normal((1, 2, 4, 5)), requires_grad=True)
    assert minitorch.autograd.gradcheck(lambda t: F.adaptive_avg_pool2d(t, out), (x,))
    assert minitorch.autograd.gradcheck(lambda t: F.adaptive_max_pool2d(t, out), (x,))


def test_an_empty_output_or_batch_keeps_its_shape_and_graph():
    x = minitorch.randn(2, 3, 5, 5, requires_grad=True)
    out = F.adaptive_avg_pool2d(x, (0, 3))
    assert tuple(out.shape) == (2, 3, 0, 3) and out.requires_grad
    values, indices = F.adaptive_max_pool2d(minitorch.randn(0, 3, 4, 5), 3, return_indices=True)
    assert tuple(values.shape) == tuple(indices.shape) == (0, 3, 3, 3) and indices.dtype == minitorch.int64
    assert tuple(F.adaptive_avg_pool2d(minitorch.randn(2, 0, 4, 5), 3).shape) == (2, 0, 3, 3)
    assert tuple(F.adaptive_avg_pool2d(minitorch.randn(7, 5), 1).shape) == (1, 1)  # the mean path, as in torch


def test_modules_print_and_pool_like_the_functions():
    x = minitorch.randn(2, 3, 9, 7)
    assert repr(nn.AdaptiveAvgPool2d((5, None))) == "AdaptiveAvgPool2d(output_size=(5, None))"
    assert repr(nn.AdaptiveMaxPool2d(3, True)) == "AdaptiveMaxPool2d(output_size=3)"
    assert repr(nn.AdaptiveAvgPool1d(4)) == "AdaptiveAvgPool1d(output_size=4)"
    assert repr(nn.AdaptiveMaxPool1d(2)) == "AdaptiveMaxPool1d(output_size=2)"
    assert minitorch.equal(nn.AdaptiveAvgPool2d((5, None))(x), F.adaptive_avg_pool2d(x, (5, 7)))
    values, indices = nn.AdaptiveMaxPool2d(4, return_indices=True)(x)
    assert minitorch.equal(values, F.adaptive_max_pool2d(x, 4))
    assert minitorch.equal(indices, F.adaptive_max_pool2d(x, 4, True)[1])
    seq = x[:, :, 0]
    assert minitorch.equal(nn.AdaptiveAvgPool1d(3)(seq), F.adaptive_avg_pool1d(seq, 3))
    assert minitorch.equal(nn.AdaptiveMaxPool1d(3)(seq), F.adaptive_max_pool1d(seq, 3))
    assert nn.AdaptiveAvgPool2d(1).state_dict() == {} and list(nn.AdaptiveMaxPool2d(1).parameters()) == []


# ----- bad input: PyTorch's exception types and messages --------------------------------------

ERRORS = [
    ("adaptive_avg_pool2d", (2, 3, 7, 5), ((3, 2, 1),), RuntimeError, "adaptive_avg_pool2d: output_size must be 2"),
    ("adaptive_avg_pool2d", (2, 3, 7, 5), ((3,),), RuntimeError, "adaptive_avg_pool2d: output_size must be 2"),
    ("adaptive_avg_pool2d", (2, 3, 7, 5), (-1,), RuntimeError,
     "adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but received {-1, -1}"),
    ("adaptive_avg_pool2d", (2, 3, 7, 5), ("a",), TypeError,
     "adaptive_avg_pool2d(): argument 'output_size' (position 2) must be tuple of ints, but found element of "
     "type str at pos 0"),
    ("adaptive_avg_pool2d", (3, 4, 5), (True,), TypeError,
     "adaptive_avg_pool2d(): argument 'output_size' (position 2) must be tuple of ints, not bool"),
    ("adaptive_avg_pool2d", (7, 5), (3,), RuntimeError,
     "adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got [7, 5]"),
    ("adaptive_avg_pool2d", (7, 5), ((1, 1),), ValueError, "Input dimension should be at least 3"),
    ("adaptive_avg_pool2d", (2, 3, 7, 5, 1), (3,), RuntimeError,
     "adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got [2, 3, 7, 5, 1]"),
    ("adaptive_avg_pool2d", (2, 3, 0, 5), (3,), RuntimeError,
     "adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch dimensions, but input has sizes "
     "[2, 3, 0, 5] with dimension 2 being empty"),
    ("adaptive_max_pool2d", (2, 3, 7, 5), ((3, 2, 1),), RuntimeError,
     "adaptive_max_pool2d(): internal error: output_size.size() must be 2"),
    ("adaptive_max_pool2d", (3, 4, 5), ((2, -1),), RuntimeError,
     "Trying to create tensor with negative dimension -1: [3, 2, -1]"),
    ("adaptive_max_pool2d", (7, 5), (3,), RuntimeError, "adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: [7, 5]"),
    ("adaptive_max_pool2d", (2, 0, 4, 5), (2,), RuntimeError,
     "adaptive_max_pool2d(): Expected input to have non-zero size for non-batch dimensions, but input has sizes "
     "[2, 0, 4, 5] with dimension 1 being empty"),
    ("adaptive_avg_pool1d", (2, 3, 7), ((3, 2),), RuntimeError,
     "adaptive_avg_pool1d() argument 'output_size' should contain one int (got 2)"),
    ("adaptive_avg_pool1d", (2, 3, 7), (None,), TypeError,
     "adaptive_avg_pool1d(): argument 'output_size' (position 2) must be tuple of ints, not NoneType"),
    ("adaptive_avg_pool1d", (7,), (3,), RuntimeError,
     "Expected 2 to 3 dimensions, but got 1-dimensional tensor for argument #1 'self' (while checking arguments "
     "for adaptive_avg_pool1d)"),
    ("adaptive_avg_pool1d", (3, 4), (-2,), RuntimeError,
     "adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but received {1, -2}"),
    ("adaptive_max_pool1d", (3, 4), (-2,), RuntimeError,
     "Trying to create tensor with negative dimension -2: [3, 1, -2]"),
    ("adaptive_max_pool1d", (2, 0, 4), (2,), RuntimeError,
     "adaptive_max_pool1d(): Expected input to have non-zero size for non-batch dimensions, but input has sizes "
     "[2, 0, 4] with dimension 1 being empty"),
]


def _call(lib, fn, shape, args, dtype="float32"):
    functional = torch.nn.functional if lib is torch else F
    x = lib.zeros(shape, dtype=getattr(lib, dtype))
    return getattr(functional, fn)(x, *args)


@pytest.mark.parametrize("fn, shape, args, exc, message", ERRORS)
def test_bad_arguments_raise_torchs_error(fn, shape, args, exc, message):
    with pytest.raises(exc) as info:
        _call(minitorch, fn, shape, args)
    assert str(info.value) == message
    if torch is not None:
        with pytest.raises(exc) as expected:
            _call(torch, fn, shape, args)
        assert str(expected.value) == message


@pytest.mark.parametrize("fn", ["adaptive_avg_pool2d", "adaptive_max_pool2d"])
def test_integer_input_is_not_implemented(fn):
    with pytest.raises(NotImplementedError, match=f"\"{fn}\" not implemented for 'Long'"):
        _call(minitorch, fn, (2, 3, 4, 5), (3,), dtype="int64")


def test_a_non_tensor_input_is_a_type_error():
    with pytest.raises(TypeError, match=r"adaptive_avg_pool1d\(\): argument 'input' \(position 1\) must be Tensor, "
                                        "not list"):
        F.adaptive_avg_pool1d([1.0], 2)


# ----- the adaptive_max_pool2d backend extra: ties and NaN, on the CPU kernel and the default ---

def ref_max_nan(x: np.ndarray, oh: int, ow: int):
    """(max, argmax) with PyTorch's CPU scan: row by row from -inf, a value replaces the maximum
    when it is larger or NaN (so the first maximum and the last NaN of a window win)."""
    h, w = x.shape[-2:]
    mx = np.zeros(x.shape[:-2] + (oh, ow), x.dtype)
    arg = np.zeros(x.shape[:-2] + (oh, ow), np.int64)
    for idx in np.ndindex(*x.shape[:-2]):
        for i in range(oh):
            h0, h1 = _window(i, h, oh)
            for j in range(ow):
                w0, w1 = _window(j, w, ow)
                best, at = -np.inf, h0 * w + w0
                for r in range(h0, h1):
                    for c in range(w0, w1):
                        v = x[idx + (r, c)]
                        if v > best or np.isnan(v):
                            best, at = v, r * w + c
                mx[idx + (i, j)], arg[idx + (i, j)] = best, at
    return mx, arg


def _tied_with_nans(shape, seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(-2, 3, shape).astype(np.float32)   # many ties
    x[rng.random(shape) < 0.08] = np.nan
    x[rng.random(shape) < 0.05] = -np.inf
    return x


@pytest.mark.parametrize("backend", ["cpu", "core"])
@pytest.mark.parametrize("shape, out", [((2, 3, 7, 5), (3, 2)), ((1, 4, 15, 15), (7, 7)), ((3, 5, 11), (4, 6)),
                                        ((1, 2, 3, 4), (5, 6)), ((2, 1, 6, 6), (3, 3))])
def test_adaptive_max_pool2d_ties_nans_and_infs_follow_torchs_scan_on_both_tables(backend, shape, out):
    from tests._core_backend import CORE
    x = _tied_with_nans(shape, 5)
    x[..., 0, 0] = -np.inf   # a window of -inf only keeps its first position
    t = minitorch.tensor(x, requires_grad=True)
    if backend == "core":
        t = minitorch.Tensor._wrap(CORE.from_numpy(x.copy()), CORE).requires_grad_(True)
    values, indices = F.adaptive_max_pool2d(t, out, return_indices=True)
    mx, arg = ref_max_nan(x, *out)
    np.testing.assert_array_equal(values.detach().cpu().numpy(), mx)
    np.testing.assert_array_equal(indices.cpu().numpy(), arg)
    g = np.random.default_rng(6).standard_normal(mx.shape).astype(np.float32)
    values.backward(minitorch.Tensor._wrap(t._backend.from_numpy(g), t._backend))
    expected = np.zeros((int(np.prod(shape[:-2])), shape[-2] * shape[-1]), np.float32)
    np.add.at(expected, (np.arange(expected.shape[0])[:, None], arg.reshape(expected.shape[0], -1)),
              g.reshape(expected.shape[0], -1))
    np.testing.assert_allclose(t.grad.cpu().numpy(), expected.reshape(shape), rtol=1e-6, atol=1e-6)


@requires_torch
@pytest.mark.parametrize("shape, out", [((2, 3, 7, 5), (3, 2)), ((1, 4, 15, 15), (7, 7)), ((2, 4, 9, 13), (4, 5))])
def test_adaptive_max_pool2d_ties_and_nans_match_torch(shape, out):
    x = _tied_with_nans(shape, 7)
    tx, mx = torch.tensor(x, requires_grad=True), minitorch.tensor(x, requires_grad=True)
    (ev, ei), (gv, gi) = (torch.nn.functional.adaptive_max_pool2d(tx, out, True),
                          F.adaptive_max_pool2d(mx, out, True))
    np.testing.assert_array_equal(gv.detach().numpy(), ev.detach().numpy())
    np.testing.assert_array_equal(gi.numpy(), ei.numpy())
    g = np.random.default_rng(8).standard_normal(tuple(ev.shape)).astype(np.float32)
    ev.backward(torch.tensor(g))
    gv.backward(minitorch.tensor(g))
    # (overlapping windows can send several terms to one position: their float32 sums may round apart)
    np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), rtol=1e-6, atol=1e-6)


def test_adaptive_max_pool2d_differentiates_twice():
    x = minitorch.tensor(np.random.default_rng(9).standard_normal((1, 2, 7, 5)), requires_grad=True)
    assert minitorch.autograd.gradgradcheck(lambda t: F.adaptive_max_pool2d(t, (3, 4)), (x,))


def ref_max3d_nan(x: np.ndarray, out):
    """ref_max_nan over (D, H, W): the scan depth by depth, row by row."""
    d, h, w = x.shape[-3:]
    mx = np.zeros(x.shape[:-3] + tuple(out), x.dtype)
    arg = np.zeros(x.shape[:-3] + tuple(out), np.int64)
    for idx in np.ndindex(*x.shape[:-3]):
        for cell in np.ndindex(*out):
            (z0, z1), (y0, y1), (x0, x1) = (_window(c, n, o) for c, n, o in zip(cell, (d, h, w), out))
            best, at = -np.inf, (z0 * h + y0) * w + x0
            for p in np.ndindex(z1 - z0, y1 - y0, x1 - x0):
                z, y, c = z0 + p[0], y0 + p[1], x0 + p[2]
                v = x[idx + (z, y, c)]
                if v > best or np.isnan(v):
                    best, at = v, (z * h + y) * w + c
            mx[idx + cell], arg[idx + cell] = best, at
    return mx, arg


@pytest.mark.parametrize("backend", ["cpu", "core"])
@pytest.mark.parametrize("shape, out", [((2, 2, 5, 7, 6), (3, 2, 4)), ((3, 4, 4, 5), (2, 3, 5)),
                                        ((1, 1, 2, 3, 2), (3, 4, 3))])
def test_adaptive_max_pool3d_ties_nans_and_infs_follow_torchs_scan_on_both_tables(backend, shape, out):
    from tests._core_backend import CORE
    x = _tied_with_nans(shape, 10)
    if backend == "core":
        t = minitorch.Tensor._wrap(CORE.from_numpy(x.copy()), CORE).requires_grad_(True)
    else:
        t = minitorch.tensor(x, requires_grad=True)
    values, indices = F.adaptive_max_pool3d(t, out, return_indices=True)
    mx, arg = ref_max3d_nan(x, out)
    np.testing.assert_array_equal(values.detach().cpu().numpy(), mx)
    np.testing.assert_array_equal(indices.cpu().numpy(), arg)
    g = np.random.default_rng(11).standard_normal(mx.shape)
    values.backward(minitorch.Tensor._wrap(t._backend.from_numpy(g.astype(np.float32)), t._backend))
    planes = int(np.prod(shape[:-3]))
    expected = np.zeros((planes, int(np.prod(shape[-3:]))))
    np.add.at(expected, (np.arange(planes)[:, None], arg.reshape(planes, -1)), g.reshape(planes, -1))
    np.testing.assert_allclose(t.grad.cpu().numpy(), expected.reshape(shape), rtol=1e-6, atol=1e-6)


def test_adaptive_max_pool3d_differentiates_twice():
    x = minitorch.tensor(np.random.default_rng(12).standard_normal((2, 3, 5, 4)), requires_grad=True)
    assert minitorch.autograd.gradgradcheck(lambda t: F.adaptive_max_pool3d(t, (2, 4, 3)), (x,))
