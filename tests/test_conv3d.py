"""conv3d / conv_transpose3d and nn.Conv3d / nn.ConvTranspose3d: values and gradients against
PyTorch (float64 to float64; float32 against PyTorch's float64 within float32 rounding),
central-difference gradchecks without it, module reprs, state_dict keys and init draws, and
PyTorch's errors."""
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


def _arr(shape, dtype="float64", seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _leaf(a):
    return minitorch.tensor(a, requires_grad=True)


def _tleaf(a):
    return torch.tensor(a, requires_grad=True)


def _close(m, t, tol=1e-10):
    np.testing.assert_allclose(m.detach().numpy(), t.detach().numpy(), rtol=tol, atol=tol)


# ----- hypothesis against PyTorch -----------------------------------------------------------

@st.composite
def conv3d_cases(draw):
    groups = draw(st.sampled_from((1, 2)))
    cin, cout = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(3))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(3))
    padding = draw(st.one_of(st.sampled_from(("same", "valid")),
                             st.tuples(*(st.integers(0, 2) for _ in range(3)))))
    stride = (1, 1, 1) if padding == "same" else tuple(draw(st.integers(1, 2)) for _ in range(3))
    pad_total = [0] * 3 if isinstance(padding, str) else [2 * p for p in padding]
    size = tuple(max(1, d * (k - 1) + 1 - t) + draw(st.integers(0, 3))
                 for d, k, t in zip(dilation, kernel, pad_total))
    batch = draw(st.sampled_from((None, 1, 2)))
    shape = ((batch,) if batch else ()) + (cin,) + size
    return shape, (cout, cin // groups) + kernel, stride, padding, dilation, groups, draw(st.booleans())


@requires_torch
@pytest.mark.filterwarnings("ignore:Using padding='same'")
@hsettings(max_examples=15)
@given(case=conv3d_cases(), data=st.data())
def test_conv3d_matches_torch_float64(case, data):
    shape, wshape, stride, padding, dilation, groups, bias = case
    x, w, b = _arr(shape), _arr(wshape, seed=1), _arr(wshape[:1], seed=2)
    mx = data.draw(layout_of(x)).detach().requires_grad_()
    mw, mb = _leaf(w), _leaf(b) if bias else None
    tx, tw, tb = _tleaf(x), _tleaf(w), _tleaf(b) if bias else None
    out_m = F.conv3d(mx, mw, mb, stride, padding, dilation, groups)
    out_t = torch.nn.functional.conv3d(tx, tw, tb, stride, padding, dilation, groups)
    assert tuple(out_m.shape) == tuple(out_t.shape)
    assert type(out_m.grad_fn).__name__ == type(out_t.grad_fn).__name__
    _close(out_m, out_t)
    g = _arr(tuple(out_t.shape), seed=3)
    out_m.backward(minitorch.tensor(g))
    out_t.backward(torch.tensor(g))
    for m, t in ((mx, tx), (mw, tw), (mb, tb)):
        if m is not None:
            _close(m.grad, t.grad)


@st.composite
def conv_transpose3d_cases(draw):
    groups = draw(st.sampled_from((1, 2)))
    cin, cout = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(3))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(3))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(3))
    out_pad = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
    size = tuple(draw(st.integers(1, 3)) for _ in range(3))
    # padding small enough that every output size is positive
    padding = tuple(draw(st.integers(0, max(0, ((i - 1) * s + d * (k - 1) + o) // 2)))
                    for i, s, d, k, o in zip(size, stride, dilation, kernel, out_pad))
    batch = draw(st.sampled_from((None, 1, 2)))
    shape = ((batch,) if batch else ()) + (cin,) + size
    return shape, (cin, cout // groups) + kernel, stride, padding, out_pad, dilation, groups, draw(st.booleans())


@requires_torch
@hsettings(max_examples=15)
@given(case=conv_transpose3d_cases(), data=st.data())
def test_conv_transpose3d_matches_torch_float64(case, data):
    shape, wshape, stride, padding, out_pad, dilation, groups, bias = case
    x, w, b = _arr(shape), _arr(wshape, seed=1), _arr((wshape[1] * groups,), seed=2)
    mx = data.draw(layout_of(x)).detach().requires_grad_()
    mw, mb = _leaf(w), _leaf(b) if bias else None
    tx, tw, tb = _tleaf(x), _tleaf(w), _tleaf(b) if bias else None
    out_m = F.conv_transpose3d(mx, mw, mb, stride, padding, out_pad, groups, dilation)
    out_t = torch.nn.functional.conv_transpose3d(tx, tw, tb, stride, padding, out_pad, groups, dilation)
    assert tuple(out_m.shape) == tuple(out_t.shape)
    assert type(out_m.grad_fn).__name__ == type(out_t.grad_fn).__name__
    _close(out_m, out_t)
    g = _arr(tuple(out_t.shape), seed=3)
    out_m.backward(minitorch.tensor(g))
    out_t.backward(torch.tensor(g))
    for m, t in ((mx, tx), (mw, tw), (mb, tb)):
        if m is not None:
            _close(m.grad, t.grad)


@requires_torch
def test_conv3d_float32_within_float32_rounding_of_torch_float64():
    x, w, b = _arr((2, 4, 5, 6, 7), "float32"), _arr((6, 2, 3, 3, 2), "float32", 1), _arr((6,), "float32", 2)
    mx, mw, mb = (_leaf(a) for a in (x, w, b))
    tx, tw, tb = (_tleaf(a.astype(np.float64)) for a in (x, w, b))
    out_m = F.conv3d(mx, mw, mb, stride=(1, 2, 1), padding=1, groups=2)
    out_t = torch.nn.functional.conv3d(tx, tw, tb, stride=(1, 2, 1), padding=1, groups=2)
    assert out_m.dtype is minitorch.float32
    g = _arr(tuple(out_t.shape), "float32", 3)
    out_m.backward(minitorch.tensor(g))
    out_t.backward(torch.tensor(g.astype(np.float64)))
    for m, t in ((out_m, out_t), (mx.grad, tx.grad), (mw.grad, tw.grad), (mb.grad, tb.grad)):
        # each value sums at most a few hundred float32 products of unit-size numbers
        np.testing.assert_allclose(m.detach().numpy(), t.detach().numpy(), rtol=1e-4, atol=2e-4)


# ----- without PyTorch: central differences and a NumPy reference ---------------------------

def _conv3d_reference(x, w, stride, padding, dilation):
    """Direct loops: out[n, o, z, y, x] = sum_c,k x_pad[n, c, z s + k d] w[o, c, k]."""
    n, c, d, h, wd = x.shape
    o, _, kd, kh, kw = w.shape
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in padding])
    out_size = [(s + 2 * p - dl * (k - 1) - 1) // st + 1
                for s, p, dl, k, st in zip((d, h, wd), padding, dilation, (kd, kh, kw), stride)]
    out = np.zeros((n, o, *out_size))
    for z in range(out_size[0]):
        for y in range(out_size[1]):
            for xx in range(out_size[2]):
                patch = xp[:, :, z * stride[0]:z * stride[0] + dilation[0] * (kd - 1) + 1:dilation[0],
                           y * stride[1]:y * stride[1] + dilation[1] * (kh - 1) + 1:dilation[1],
                           xx * stride[2]:xx * stride[2] + dilation[2] * (kw - 1) + 1:dilation[2]]
                out[:, :, z, y, xx] = np.einsum("ncdhw,ocdhw->no", patch, w)
    return out


def test_conv3d_matches_direct_loops():
    x, w = _arr((2, 3, 5, 4, 6)), _arr((4, 3, 2, 3, 2), seed=1)
    got = F.conv3d(minitorch.tensor(x), minitorch.tensor(w), stride=(2, 1, 2), padding=(1, 1, 0),
                   dilation=(1, 1, 2))
    np.testing.assert_allclose(got.numpy(), _conv3d_reference(x, w, (2, 1, 2), (1, 1, 0), (1, 1, 2)),
                               rtol=1e-12, atol=1e-12)


def test_conv3d_gradcheck_and_gradgradcheck():
    x, w, b = _leaf(_arr((1, 2, 4, 3, 4))), _leaf(_arr((2, 1, 2, 2, 3), seed=1)), _leaf(_arr((2,), seed=2))

    def fn(x, w, b):
        return F.conv3d(x, w, b, stride=(2, 1, 1), padding=(1, 0, 1), dilation=(1, 2, 1), groups=2)
    assert gradcheck(fn, (x, w, b))
    assert gradgradcheck(fn, (x, w, b))


def test_conv_transpose3d_gradcheck_and_gradgradcheck():
    x, w, b = _leaf(_arr((1, 2, 2, 3, 2))), _leaf(_arr((2, 2, 2, 2, 3), seed=1)), _leaf(_arr((2,), seed=2))

    def fn(x, w, b):
        return F.conv_transpose3d(x, w, b, stride=(2, 1, 2), padding=(1, 0, 1), output_padding=(1, 0, 0))
    assert gradcheck(fn, (x, w, b))
    assert gradgradcheck(fn, (x, w, b))


def test_conv_transpose3d_is_the_adjoint_of_conv3d():
    x, w, y = _arr((2, 2, 5, 4, 5)), _arr((3, 2, 3, 2, 2), seed=1), None
    conv = F.conv3d(minitorch.tensor(x), minitorch.tensor(w), stride=2, padding=1)
    y = _arr(tuple(conv.shape), seed=2)
    back = F.conv_transpose3d(minitorch.tensor(y), minitorch.tensor(w), stride=2, padding=1,
                              output_padding=(0, 0, 1))
    assert tuple(back.shape) == x.shape
    np.testing.assert_allclose(float((conv.numpy() * y).sum()), float((x * back.numpy()).sum()), rtol=1e-10)


# ----- modules -----------------------------------------------------------------------------

@requires_torch
@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("kwargs", [dict(), dict(stride=2, padding=1, bias=False),
                                    dict(padding="same", dilation=(1, 2, 1), groups=2),
                                    dict(padding=(1, 0, 2), padding_mode="circular"),
                                    dict(padding=1, padding_mode="reflect"),
                                    dict(padding=(0, 1, 1), padding_mode="replicate")])
def test_conv3d_module_init_repr_state_dict_and_forward(kwargs):
    minitorch.manual_seed(5)
    torch.manual_seed(5)
    m, t = nn.Conv3d(4, 6, (2, 3, 3), **kwargs), torch.nn.Conv3d(4, 6, (2, 3, 3), **kwargs)
    assert repr(m) == repr(t)
    assert list(m.state_dict()) == list(t.state_dict())
    for k, v in t.state_dict().items():
        np.testing.assert_array_equal(m.state_dict()[k].numpy(), v.numpy())
    x = _arr((2, 4, 4, 5, 5), "float32")
    np.testing.assert_allclose(m(minitorch.tensor(x)).detach().numpy(), t(torch.tensor(x)).detach().numpy(),
                               rtol=1e-4, atol=1e-5)


@requires_torch
def test_conv_transpose3d_module_init_repr_state_dict_and_output_size():
    minitorch.manual_seed(3)
    torch.manual_seed(3)
    m = nn.ConvTranspose3d(4, 2, (1, 2, 3), stride=2, groups=2, dilation=(1, 1, 2))
    t = torch.nn.ConvTranspose3d(4, 2, (1, 2, 3), stride=2, groups=2, dilation=(1, 1, 2))
    assert repr(m) == repr(t)
    assert list(m.state_dict()) == list(t.state_dict())
    for k, v in t.state_dict().items():
        np.testing.assert_array_equal(m.state_dict()[k].numpy(), v.numpy())
    x = _arr((1, 4, 2, 3, 3), "float32")
    out_m, out_t = m(minitorch.tensor(x), output_size=(4, 7, 10)), t(torch.tensor(x), output_size=(4, 7, 10))
    assert tuple(out_m.shape) == tuple(out_t.shape) == (1, 2, 4, 7, 10)
    np.testing.assert_allclose(out_m.detach().numpy(), out_t.detach().numpy(), rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match=re.escape('Only "zeros" padding mode is supported for ConvTranspose3d')):
        nn.ConvTranspose3d(2, 2, 2, padding_mode="reflect")


# ----- errors ------------------------------------------------------------------------------

_X, _W = (2, 3, 4, 5, 6), (4, 3, 2, 2, 2)
ERROR_CASES = [
    ("conv3d", lambda lib, x, w: lib.conv3d(x, w, stride=(1, 2))),
    ("conv3d", lambda lib, x, w: lib.conv3d(x, w, padding=(1, 2))),
    ("conv3d", lambda lib, x, w: lib.conv3d(x, w, dilation=0)),
    ("conv3d", lambda lib, x, w: lib.conv3d(x[:1], w, dilation=0)),
    ("conv3d", lambda lib, x, w: lib.conv3d(x[0, 0], w)),
    ("conv3d", lambda lib, x, w: lib.conv3d(x, w[:, :2])),
    ("conv3d", lambda lib, x, w: lib.conv3d(x, w.repeat(1, 1, 5, 1, 1))),
    ("conv3d", lambda lib, x, w: lib.conv3d(x, w, padding="full")),
    ("conv3d", lambda lib, x, w: lib.conv3d(x, w, stride=2, padding="same")),
    ("conv3d", lambda lib, x, w: lib.conv3d(x, w.double())),
    ("conv_transpose3d", lambda lib, x, w: lib.conv_transpose3d(x[:1], w[:3], dilation=0)),
    ("conv_transpose3d", lambda lib, x, w: lib.conv_transpose3d(x, w[:3], stride=2, output_padding=2)),
    ("conv_transpose3d", lambda lib, x, w: lib.conv_transpose3d(x[:1], w[:3], padding=5)),
    ("conv_transpose3d", lambda lib, x, w: lib.conv_transpose3d(x[:1], w[:3].double())),
    ("conv_transpose3d", lambda lib, x, w: lib.conv_transpose3d(x[:1], w[:3, :0])),
    ("conv_transpose3d", lambda lib, x, w: lib.conv_transpose3d(x, w)),
]


@requires_torch
@pytest.mark.parametrize("name,call", ERROR_CASES)
def test_errors_match_torch(name, call):
    x, w = _arr(_X, "float32"), _arr(_W, "float32", 1)
    with pytest.raises(Exception) as expected:
        call(torch.nn.functional, torch.tensor(x), torch.tensor(w))
    with pytest.raises(type(expected.value)) as got:
        call(F, minitorch.tensor(x), minitorch.tensor(w))
    assert str(got.value) == str(expected.value)
