"""F.pad in its four modes and the padding modules: values and gradients against PyTorch
(hypothesis over shapes, pads, negative pads and non-contiguous inputs), against NumPy's np.pad
and central differences without it; PyTorch's node names, errors and reprs."""
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

NP_MODE = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _arr(shape, dtype="float64", seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


@st.composite
def pad_cases(draw, mode=None, negative=True):
    """(shape, pad, mode): a shape of 2..5 dims and pads valid for the mode."""
    mode = mode or draw(st.sampled_from(list(NP_MODE)))
    if mode == "constant":
        ndim = draw(st.integers(1, 4))
        n = draw(st.integers(0, ndim))
    else:
        n = draw(st.integers(1, 3))
        ndim = n + draw(st.integers(1, 2))
    shape = tuple(draw(st.integers(1, 4)) for _ in range(ndim))
    pad = []
    for i in range(n):
        size = shape[ndim - 1 - i]
        hi = {"reflect": size - 1, "circular": size}.get(mode, 3)
        lo = -(size // 2) if negative and (mode != "reflect" or size > 2) else 0
        left, right = draw(st.integers(lo, hi)), draw(st.integers(lo, hi))
        # reflect and circular read within what the other side's crop leaves (np.pad's meaning)
        slack = {"reflect": 1, "circular": 0}.get(mode)
        if slack is not None:
            right = min(right, size + min(left, 0) - slack)
            left = min(left, size + min(right, 0) - slack)
        if size + left + right < (0 if mode == "constant" else 1):
            left, right = max(left, 0), max(right, 0)
        pad += [left, right]
    return shape, tuple(pad), mode


def numpy_pad(x, pad, mode, value=0.0):
    """np.pad of x with F.pad's (last dim first) pads; negative pads crop after padding."""
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        widths[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    grow = [(max(a, 0), max(b, 0)) for a, b in widths]
    crop = tuple(slice(max(-a, 0), x.shape[d] - max(-b, 0)) for d, (a, b) in enumerate(widths))
    cropped = x[crop]
    kwargs = {"constant_values": value} if mode == "constant" else {}
    return np.pad(cropped, grow, mode=NP_MODE[mode], **kwargs)


@requires_torch
@hsettings(max_examples=60)
@given(case=pad_cases(), data=st.data(), dtype=st.sampled_from(["float32", "float64"]))
def test_pad_matches_torch_values_gradients_and_nodes_on_any_layout(case, data, dtype):
    shape, pad, mode = case
    x = _arr(shape, dtype)
    xm = data.draw(layout_of(x)).requires_grad_()
    xt = torch.tensor(x, requires_grad=True)
    value = data.draw(st.sampled_from([None, 0.0, 1.5])) if mode == "constant" else None
    om, ot = F.pad(xm, pad, mode, value), torch.nn.functional.pad(xt, pad, mode, value)
    assert tuple(om.shape) == tuple(ot.shape)
    np.testing.assert_array_equal(om.detach().numpy(), ot.detach().numpy())
    assert type(om.grad_fn).__name__ == type(ot.grad_fn).__name__
    if om.numel():
        g = _arr(tuple(ot.shape), dtype, 1)
        om.backward(minitorch.tensor(g))
        ot.backward(torch.tensor(g))
        # The gradient sums the output gradients read from each input position (up to 7**3 of
        # them at a replicate corner), in an order torch does not promise: both are held to the
        # float64 sum, within the rounding that k additions of the dtype may add.
        exact, terms, size = (_pad_adjoint(xt, pad, mode, w) for w in (g, np.abs(g), np.ones_like(g)))
        bound = np.finfo(dtype).eps * size * terms + np.finfo(dtype).tiny
        for got in (xm.grad.numpy(), xt.grad.numpy()):
            assert np.all(np.abs(got - exact) <= bound), (got, exact, bound)


def _pad_adjoint(xt, pad, mode, weights):
    """The pad's vector-Jacobian product with `weights`, in float64 by torch."""
    x64 = xt.detach().double().requires_grad_()
    torch.nn.functional.pad(x64, pad, mode).backward(torch.tensor(weights, dtype=torch.float64))
    return x64.grad.numpy()


@hsettings(max_examples=60)
@given(case=pad_cases(), data=st.data())
def test_pad_equals_numpy_pad(case, data):
    shape, pad, mode = case
    x = _arr(shape)
    out = F.pad(data.draw(layout_of(x)), pad, mode, 2.5 if mode == "constant" else None)
    np.testing.assert_array_equal(out.numpy(), numpy_pad(x, pad, mode, 2.5))


@hsettings(max_examples=40)
@given(case=pad_cases(negative=False))
def test_pad_gradient_is_the_adjoint_of_padding(case):
    """<pad(x), g> = <x, pad^T(g)>: the gradient adds every output position's gradient into the
    input position it was read from (the edges accumulate for reflect and replicate)."""
    shape, pad, mode = case
    x, = [minitorch.tensor(_arr(shape), requires_grad=True)]
    out = F.pad(x, pad, mode)
    g = _arr(tuple(out.shape), seed=1)
    out.backward(minitorch.tensor(g))
    # the adjoint by brute force: pad the indices, then scatter g back through them
    index = np.arange(int(np.prod(shape))).reshape(shape)
    src = numpy_pad(index, pad, mode, -1)
    want = np.zeros(index.size)
    np.add.at(want, src[src >= 0], g[src >= 0])
    np.testing.assert_allclose(x.grad.numpy(), want.reshape(shape), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode,shape,pad", [
    ("constant", (2, 3, 4), (1, -1, 2, 0)), ("reflect", (2, 3, 4), (2, 1)), ("reflect", (2, 3, 4, 3), (1, 2, 2, 1)),
    ("reflect", (1, 3, 3, 4, 3), (1, 1, 2, 0, 1, 2)), ("replicate", (2, 3, 4), (3, -1)),
    ("replicate", (2, 2, 3), (2, 3, 1, 2)), ("circular", (2, 3, 4), (2, -1)), ("circular", (2, 3, 4, 3), (1, 2, 2, 1))])
def test_pad_gradchecks_first_and_second_order(mode, shape, pad):
    x = minitorch.tensor(_arr(shape), requires_grad=True)
    assert gradcheck(lambda x: F.pad(x, pad, mode), (x,))

    def second(x):
        with minitorch.enable_grad():
            y = F.pad(x, pad, mode)
            (g,) = minitorch.autograd.grad((y * y * y).sum(), (x,), create_graph=True)
        return (g * g).sum()
    assert gradcheck(second, (x,))


@requires_torch
@pytest.mark.parametrize("mode,pad", [("reflect", (-3, 1)), ("reflect", (-1, 2)), ("reflect", (2, -2)),
                                      ("replicate", (-4, 3)), ("replicate", (5, -2)), ("circular", (-1, 3))])
def test_pads_that_crop_one_side_and_pad_the_other_match_torch(mode, pad):
    x = _arr((2, 3, 4))
    xm, xt = minitorch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    om, ot = F.pad(xm, pad, mode), torch.nn.functional.pad(xt, pad, mode)
    np.testing.assert_array_equal(om.detach().numpy(), ot.detach().numpy())
    (om * om).sum().backward()
    (ot * ot).sum().backward()
    np.testing.assert_allclose(xm.grad.numpy(), xt.grad.numpy(), rtol=1e-14)


@requires_torch
def test_constant_pad_values_are_converted_like_torch():
    for make, value in ((lambda lib: lib.arange(3), 2.7), (lambda lib: lib.arange(3), -2.7),
                        (lambda lib: lib.tensor([True, False]), 0.5), (lambda lib: lib.arange(3.0), float("inf"))):
        got, want = F.pad(make(minitorch), (1, 1), value=value), torch.nn.functional.pad(make(torch), (1, 1), value=value)
        assert got.tolist() == want.tolist()
        assert str(got.dtype) == str(want.dtype)


_ERRORS = [
    ((1, 2, 3), (1,), "constant", None), ((1, 2, 3), (1, 1) * 4, "constant", None),
    ((1, 2, 3), (-2, -2), "constant", None), ((1, 2, 3), (-4, 0), "constant", None),
    ((3,), (1, 1), "reflect", None), ((1, 2, 3), (3, 3), "reflect", None), ((1, 2, 3, 4), (1, 1, 3, 1), "reflect", None),
    ((1, 2, 3, 4), (4, 1, 1, 1), "reflect", None), ((1, 2, 3, 4, 5), (1, 1, 1, 1, 3, 1), "reflect", None),
    ((1, 2, 3), (-2, -1), "reflect", None), ((1, 2, 3), (-4, 3), "reflect", None),
    ((1, 2, 3, 4, 5), (1,) * 8, "reflect", None), ((1, 2, 3, 4), (1, 1), "reflect", None),
    ((1, 0, 3), (1, 1), "replicate", None), ((1, 0, 3, 3), (1, 1, 1, 1), "replicate", None),
    ((1, 2, 0, 3), (1, 1, 1, 1), "reflect", None), ((1, 2, 3), (-3, -3), "replicate", None),
    ((1, 2, 3), (4, 1), "circular", None), ((1, 2, 3), (-2, -2), "circular", None),
    ((3,), (1, 1), "circular", None), ((3, 4), (1, 1, 1, 1), "circular", None),
    ((1, 2, 3), (1, 1), "reflect", 1.0), ((1, 2, 3), (1, 1), "foo", None), ((1, 2, 3), (1.0, 1), "constant", None),
    ((1, 2, 3), 1, "constant", None), ((1, 2, 3), (1, 1), None, None), ((1, 2, 3), (1, 1), "constant", "a"),
    ((1, 2, 3), (), "reflect", None),
]


@requires_torch
@pytest.mark.parametrize("shape,pad,mode,value", _ERRORS)
def test_pad_errors_match_torch(shape, pad, mode, value):
    x = _arr(shape, "float32")
    raises_like(lambda: F.pad(minitorch.tensor(x), pad, mode, value),
                lambda: torch.nn.functional.pad(torch.tensor(x), pad, mode, value))


@requires_torch
def test_pad_rejects_bool_reflection_like_torch():
    for mode in ("reflect", "replicate"):
        raises_like(lambda: F.pad(minitorch.ones(1, 2, 3, dtype=minitorch.bool), (1, 1), mode),
                    lambda: torch.nn.functional.pad(torch.ones(1, 2, 3, dtype=torch.bool), (1, 1), mode))


def test_pad_of_an_empty_batch_is_an_empty_batch():
    for mode in NP_MODE:
        assert F.pad(minitorch.zeros(0, 2, 3), (1, 2), mode).shape == (0, 2, 6)


_MODULES = [
    lambda nn: nn.ReflectionPad1d(2), lambda nn: nn.ReflectionPad1d((1, 2)), lambda nn: nn.ReflectionPad2d(1),
    lambda nn: nn.ReflectionPad2d((1, 0, 2, 1)), lambda nn: nn.ReflectionPad3d((1, 0, 1, 1, 0, 1)),
    lambda nn: nn.ReplicationPad1d((3, 1)), lambda nn: nn.ReplicationPad2d(2), lambda nn: nn.ReplicationPad3d(1),
    lambda nn: nn.ZeroPad1d((1, 2)), lambda nn: nn.ZeroPad2d((1, 2, 3, 0)), lambda nn: nn.ZeroPad3d(1),
    lambda nn: nn.ConstantPad1d(2, 3.5), lambda nn: nn.ConstantPad2d((1, 0, 0, 2), -1), lambda nn: nn.ConstantPad3d(1, 0),
    lambda nn: nn.CircularPad1d(1), lambda nn: nn.CircularPad2d((1, 2, 0, 1)), lambda nn: nn.CircularPad3d(1),
]


@requires_torch
@pytest.mark.parametrize("make", _MODULES)
def test_padding_modules_match_torch(make):
    m, t = make(nn), make(torch.nn)
    assert repr(m) == repr(t)
    assert list(m.state_dict()) == list(t.state_dict()) == []
    ndim = len(t.padding) // 2 + 2
    x = _arr((2, 2, 4, 3, 4)[-ndim:], "float32")
    xm, xt = minitorch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    om, ot = m(xm), t(xt)
    np.testing.assert_array_equal(om.detach().numpy(), ot.detach().numpy())
    om.sum().backward()
    ot.sum().backward()
    np.testing.assert_array_equal(xm.grad.numpy(), xt.grad.numpy())


@requires_torch
def test_circular_pad_modules_check_their_input_dims_like_torch():
    raises_like(lambda: nn.CircularPad2d(1)(minitorch.zeros(3, 3)), lambda: torch.nn.CircularPad2d(1)(torch.zeros(3, 3)))


def test_index_add_kernels_equal_numpy_add_at():
    """The CPU scatter-add behind the reflect/replicate/interpolate backwards (serial and parallel
    twins) against np.add.at, with repeated indices."""
    from minitorch._backends.cpu import resample_kernels as R
    rng = np.random.default_rng(0)
    src = rng.standard_normal((3, 7, 5))
    index = np.array([0, 1, 1, 3, 0, 2, 3], np.int64)
    want = np.zeros((3, 4, 5))
    np.add.at(want, (slice(None), index), src)
    for kernel in (R.index_add_axis, R.index_add_axis_parallel):
        out = np.zeros((3, 4, 5))
        kernel(out, index, src)
        np.testing.assert_allclose(out, want, rtol=1e-15)
    be = minitorch.tensor([0.0])._backend
    out = np.zeros((2, 4, 3, 5))
    be.index_add(out, 1, np.array([3, 3, 0], np.int64), np.ones((2, 3, 3, 5)).transpose(0, 1, 2, 3))
    assert out[:, 3].sum() == 2 * 2 * 15 and out[:, 0].sum() == 2 * 15 and not out[:, 1:3].any()
