"""conv1d, conv_transpose1d, conv_transpose2d and their modules (Conv1d, ConvTranspose1d/2d, and
Conv1d/Conv2d padding modes): values and every gradient against PyTorch (hypothesis over sizes
and options, non-contiguous inputs), against a NumPy scatter reference and central
differences without it; PyTorch's errors, reprs, state_dict keys and seeded initialisation."""
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitorch
from minitorch import nn
from minitorch.autograd.gradcheck import gradcheck
from minitorch.nn import functional as F
from tests._compat import requires_torch, torch
from tests._nn_compare import assert_grads_close, assert_same_state, load_from_torch, raises_like
from tests.strategies import hsettings, layout_of

TOL = {"float32": dict(rtol=1e-4, atol=1e-5), "float64": dict(rtol=1e-10, atol=1e-10)}


def _arr(shape, dtype="float32", seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _pair(m, t, **tol):
    np.testing.assert_allclose(m.detach().numpy(), t.detach().numpy(), **tol)


def _check_fwd_bwd(mt_fn, torch_fn, arrays, dtype, seed=9):
    """Same output, node name and gradient of every input for a random upstream gradient."""
    mts = [None if a is None else minitorch.tensor(a, requires_grad=True) for a in arrays]
    tts = [None if a is None else torch.tensor(a, requires_grad=True) for a in arrays]
    out_m, out_t = mt_fn(*mts), torch_fn(*tts)
    assert tuple(out_m.shape) == tuple(out_t.shape)
    assert type(out_m.grad_fn).__name__ == type(out_t.grad_fn).__name__
    _pair(out_m, out_t, **TOL[dtype])
    g = _arr(tuple(out_t.shape), dtype, seed)
    out_m.backward(minitorch.tensor(g))
    out_t.backward(torch.tensor(g))
    for m, t in zip(mts, tts):
        if m is not None:
            _pair(m.grad, t.grad, **TOL[dtype])


def _second_order(fn):
    """fn (which calls autograd.grad with create_graph) made usable by gradcheck, whose
    central differences run under no_grad."""
    def wrapped(*args):
        outer = minitorch.is_grad_enabled()
        with minitorch.enable_grad():
            out = fn(*args)
        return out if outer else out.detach()
    return wrapped


def conv_transpose_reference(x, w, b, stride, padding, output_padding, groups, dilation):
    """The transposed convolution as its definition: every input pixel scatters its weights."""
    n, cin = x.shape[:2]
    spatial = x.shape[2:]
    k = w.shape[2:]
    og = w.shape[1]
    out_sp = tuple((i - 1) * s - 2 * p + d * (kk - 1) + o + 1
                   for i, s, p, d, kk, o in zip(spatial, stride, padding, dilation, k, output_padding))
    pad_sp = tuple(o + 2 * p + max(s, d) * kk for o, p, s, d, kk in zip(out_sp, padding, stride, dilation, k))
    out = np.zeros((n, og * groups) + pad_sp, np.float64)
    cg = cin // groups
    for ci in range(cin):
        g = ci // cg
        for pos in np.ndindex(*spatial):
            for kpos in np.ndindex(*k):
                at = tuple(q * s + kk * d for q, s, kk, d in zip(pos, stride, kpos, dilation))
                idx = (slice(None), slice(g * og, (g + 1) * og)) + at
                out[idx] += x[(slice(None), ci) + pos][:, None] * w[(ci, slice(None)) + kpos][None, :]
    crop = tuple(slice(p, p + o) for p, o in zip(padding, out_sp))
    out = out[(slice(None), slice(None)) + crop]
    if b is not None:
        out += b.reshape((1, -1) + (1,) * len(spatial))
    return out


# ----- conv_transpose2d / conv_transpose1d ------------------------------------------------------

@st.composite
def transpose_configs(draw, dims=2):
    groups = draw(st.sampled_from([1, 1, 2]))
    cin, cout = groups * draw(st.integers(1, 3)), groups * draw(st.integers(1, 3))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(dims))
    output_padding = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
    spatial = tuple(draw(st.integers(1, 5)) for _ in range(dims))
    # padding small enough that the output keeps at least one element
    padding = tuple(draw(st.integers(0, max(0, ((i - 1) * s + d * (k - 1) + o) // 2)))
                    for i, s, d, k, o in zip(spatial, stride, dilation, kernel, output_padding))
    return dict(x=(draw(st.integers(1, 3)), cin) + spatial, w=(cin, cout // groups) + kernel, stride=stride,
                padding=padding, output_padding=output_padding, groups=groups, dilation=dilation,
                bias=draw(st.booleans()))


def _transpose_args(cfg):
    return {k: cfg[k] for k in ("stride", "padding", "output_padding", "groups", "dilation")}


@requires_torch
@hsettings(max_examples=25)
@given(cfg=transpose_configs(2), dtype=st.sampled_from(["float32", "float64"]))
def test_conv_transpose2d_matches_torch_values_and_gradients(cfg, dtype):
    args = _transpose_args(cfg)
    arrays = [_arr(cfg["x"], dtype, 1), _arr(cfg["w"], dtype, 2),
              _arr(cfg["w"][1] * cfg["groups"], dtype, 3) if cfg["bias"] else None]
    _check_fwd_bwd(lambda x, w, b: F.conv_transpose2d(x, w, b, **args),
                   lambda x, w, b: torch.nn.functional.conv_transpose2d(x, w, b, **args), arrays, dtype)


@requires_torch
@hsettings(max_examples=25)
@given(cfg=transpose_configs(1), dtype=st.sampled_from(["float32", "float64"]))
def test_conv_transpose1d_matches_torch_values_and_gradients(cfg, dtype):
    args = _transpose_args(cfg)
    arrays = [_arr(cfg["x"], dtype, 1), _arr(cfg["w"], dtype, 2),
              _arr(cfg["w"][1] * cfg["groups"], dtype, 3) if cfg["bias"] else None]
    _check_fwd_bwd(lambda x, w, b: F.conv_transpose1d(x, w, b, **args),
                   lambda x, w, b: torch.nn.functional.conv_transpose1d(x, w, b, **args), arrays, dtype)


@hsettings(max_examples=20)
@given(cfg=st.one_of(transpose_configs(1), transpose_configs(2)))
def test_conv_transpose_equals_the_scatter_definition(cfg):
    args = _transpose_args(cfg)
    x, w = _arr(cfg["x"], "float64", 1), _arr(cfg["w"], "float64", 2)
    b = _arr(cfg["w"][1] * cfg["groups"], "float64", 3) if cfg["bias"] else None
    fn = F.conv_transpose2d if len(cfg["x"]) == 4 else F.conv_transpose1d
    out = fn(minitorch.tensor(x), minitorch.tensor(w), None if b is None else minitorch.tensor(b), **args)
    want = conv_transpose_reference(x, w, b, **args)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-12, atol=1e-12)


def test_conv_transpose2d_of_a_delta_places_the_kernel_at_stride_steps():
    x = minitorch.zeros(1, 1, 2, 2)
    x[0, 0, 1, 1] = 1.0
    w = minitorch.arange(9.0).reshape(1, 1, 3, 3)
    out = F.conv_transpose2d(x, w, stride=2)
    expected = np.zeros((5, 5), np.float32)
    expected[2:5, 2:5] = np.arange(9.0).reshape(3, 3)
    np.testing.assert_array_equal(out[0, 0].numpy(), expected)


@requires_torch
@hsettings(max_examples=15)
@given(data=st.data())
def test_conv_transpose2d_and_conv1d_accept_non_contiguous_inputs(data):
    x, w = _arr((2, 3, 4, 5)), _arr((3, 2, 3, 3), seed=5)
    xm, wm = data.draw(layout_of(x)), data.draw(layout_of(w))
    out = F.conv_transpose2d(xm, wm, stride=2, padding=1, output_padding=1)
    want = torch.nn.functional.conv_transpose2d(torch.tensor(x), torch.tensor(w), stride=2, padding=1, output_padding=1)
    _pair(out, want, **TOL["float32"])
    x1, w1 = _arr((2, 3, 9), seed=6), _arr((4, 3, 3), seed=7)
    out = F.conv1d(data.draw(layout_of(x1)), data.draw(layout_of(w1)), stride=2, padding=1)
    _pair(out, torch.nn.functional.conv1d(torch.tensor(x1), torch.tensor(w1), stride=2, padding=1), **TOL["float32"])


@requires_torch
def test_unbatched_transposed_convolutions_are_squeezed_like_torch():
    x, w = _arr((3, 4, 4), "float64"), _arr((3, 2, 3, 3), "float64", 1)
    _check_fwd_bwd(lambda x, w: F.conv_transpose2d(x, w, stride=2),
                   lambda x, w: torch.nn.functional.conv_transpose2d(x, w, stride=2), [x, w], "float64")
    x, w = _arr((3, 5), "float64"), _arr((3, 2, 3), "float64", 1)
    _check_fwd_bwd(lambda x, w: F.conv_transpose1d(x, w, padding=1),
                   lambda x, w: torch.nn.functional.conv_transpose1d(x, w, padding=1), [x, w], "float64")


def test_conv_transpose_gradchecks():
    x = minitorch.tensor(_arr((2, 4, 3, 2), "float64"), requires_grad=True)
    w = minitorch.tensor(_arr((4, 1, 2, 3), "float64", 1), requires_grad=True)
    b = minitorch.tensor(_arr((2,), "float64", 2), requires_grad=True)
    assert gradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, stride=(2, 1), padding=(0, 1), groups=2,
                                                        output_padding=(1, 0), dilation=(1, 2)), (x, w, b))
    x1 = minitorch.tensor(_arr((2, 2, 4), "float64", 3), requires_grad=True)
    w1 = minitorch.tensor(_arr((2, 3, 2), "float64", 4), requires_grad=True)
    b1 = minitorch.tensor(_arr((3,), "float64", 5), requires_grad=True)
    assert gradcheck(lambda x, w, b: F.conv_transpose1d(x, w, b, stride=3, padding=1, output_padding=2), (x1, w1, b1))


def test_conv_transpose2d_second_derivative_gradcheck():
    x = minitorch.tensor(_arr((1, 2, 3, 3), "float64"), requires_grad=True)
    w = minitorch.tensor(_arr((2, 2, 2, 2), "float64", 1), requires_grad=True)

    @_second_order
    def grads(x, w):
        y = F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1)
        gx, gw = minitorch.autograd.grad((y * y).sum(), (x, w), create_graph=True)
        return (gx * gx).sum() + (gw * gw).sum()
    assert gradcheck(grads, (x, w))


# ----- conv1d -----------------------------------------------------------------------------------

@st.composite
def conv1d_configs(draw):
    groups = draw(st.sampled_from([1, 1, 2]))
    cin, cout = groups * draw(st.integers(1, 3)), groups * draw(st.integers(1, 3))
    k, s, d = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
    padding = draw(st.one_of(st.integers(0, 2), st.just("valid"), st.just("same") if s == 1 else st.just(0)))
    pad_total = 0 if isinstance(padding, str) and padding == "valid" else (
        d * (k - 1) if padding == "same" else 2 * padding)
    length = max(draw(st.integers(1, 9)), d * (k - 1) + 1 - pad_total)
    return dict(x=(draw(st.integers(1, 3)), cin, length), w=(cout, cin // groups, k), stride=s, padding=padding,
                dilation=d, groups=groups, bias=draw(st.booleans()))


@requires_torch
@hsettings(max_examples=30)
@given(cfg=conv1d_configs(), dtype=st.sampled_from(["float32", "float64"]))
def test_conv1d_matches_torch_values_and_gradients(cfg, dtype):
    args = dict(stride=cfg["stride"], padding=cfg["padding"], dilation=cfg["dilation"], groups=cfg["groups"])
    arrays = [_arr(cfg["x"], dtype, 1), _arr(cfg["w"], dtype, 2), _arr(cfg["w"][0], dtype, 3) if cfg["bias"] else None]
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # padding='same' with an even kernel warns in both
        _check_fwd_bwd(lambda x, w, b: F.conv1d(x, w, b, **args),
                       lambda x, w, b: torch.nn.functional.conv1d(x, w, b, **args), arrays, dtype)


def test_conv1d_equals_conv2d_with_a_unit_height():
    x, w, b = _arr((2, 3, 11), "float64"), _arr((4, 3, 3), "float64", 1), _arr((4,), "float64", 2)
    out = F.conv1d(minitorch.tensor(x), minitorch.tensor(w), minitorch.tensor(b), stride=2, padding=2, dilation=2)
    ref = F.conv2d(minitorch.tensor(x[:, :, None]), minitorch.tensor(w[:, :, None]), minitorch.tensor(b),
                   stride=(1, 2), padding=(0, 2), dilation=(1, 2))
    np.testing.assert_array_equal(out.numpy(), ref.numpy()[:, :, 0])
    # and a sliding dot product by hand
    x1, w1 = np.arange(6.0).reshape(1, 1, 6), np.array([[[1.0, -1.0]]])
    assert F.conv1d(minitorch.tensor(x1), minitorch.tensor(w1)).tolist() == [[[-1.0] * 5]]


def test_conv1d_gradchecks_first_and_second_order():
    x = minitorch.tensor(_arr((2, 4, 7), "float64"), requires_grad=True)
    w = minitorch.tensor(_arr((2, 2, 3), "float64", 1), requires_grad=True)
    b = minitorch.tensor(_arr((2,), "float64", 2), requires_grad=True)
    assert gradcheck(lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1, dilation=2, groups=2), (x, w, b))

    @_second_order
    def grads(x, w):
        y = F.conv1d(x, w, padding="same")
        gx, gw = minitorch.autograd.grad((y * y).sum(), (x, w), create_graph=True)
        return (gx * gx).sum() + (gw * gw).sum()
    x2 = minitorch.tensor(_arr((1, 2, 5), "float64", 3), requires_grad=True)
    w2 = minitorch.tensor(_arr((3, 2, 3), "float64", 4), requires_grad=True)
    assert gradcheck(grads, (x2, w2))


def test_torch_namespace_has_the_convolution_functions():
    x, w = minitorch.randn(1, 2, 5), minitorch.randn(2, 3, 2)
    assert minitorch.conv_transpose1d(x, w).shape == (1, 3, 6)
    assert minitorch.conv1d(x, w.transpose(0, 1)).shape == (1, 3, 4)
    assert minitorch.conv_transpose2d(x[..., None], w[..., None]).shape == (1, 3, 6, 1)
    assert minitorch.conv2d is F.conv2d


# ----- errors -----------------------------------------------------------------------------------

_ERRORS = [
    ("conv1d", (1, 2, 3, 4), (4, 3, 3), {}),
    ("conv1d", (8,), (4, 3, 3), {}),
    ("conv1d", (2, 2, 8), (4, 3, 3), {}),
    ("conv1d", (2, 3, 8), (4, 3), {}),
    ("conv1d", (2, 3, 8), (4, 3, 1, 1), {}),
    ("conv1d", (2, 3, 2), (4, 3, 3), {}),
    ("conv1d", (2, 3, 8), (4, 3, 3), dict(stride=(1, 1))),
    ("conv1d", (2, 3, 8), (4, 3, 3), dict(stride=2, padding="same")),
    ("conv1d", (2, 3, 8), (4, 3, 3), dict(padding="foo")),
    ("conv1d", (2, 3, 8), (4, 3, 3), dict(bias=(3,))),
    ("conv1d", (2, 3, 8), (4, 3, 3), dict(padding=-1)),
    ("conv1d", (2, 3, 8), (4, 3, 3), dict(groups=2)),
    ("conv1d", (2, 3, 8), (4, 3, 3), dict(groups=0)),
    ("conv1d", (2, 3, 8), (4, 3, 3), dict(stride=0)),
    ("conv1d", (2, 3, 8), (4, 3, 3), dict(dilation=0)),
    ("conv1d", (1, 3, 0), (2, 3, 1), {}),
    ("conv1d", (2, 3, 8), (4, 3, 3), dict(bias_dtype="float64")),
    ("conv_transpose2d", (1, 3, 4, 4), (3, 2, 3, 3), dict(stride=2, padding=1, output_padding=2)),
    ("conv_transpose2d", (1, 3, 4, 4), (3, 2, 3, 3), dict(output_padding=1)),
    ("conv_transpose2d", (1, 2, 4, 4), (3, 2, 3, 3), {}),
    ("conv_transpose2d", (1, 3, 4, 4), (3, 2, 3, 3), dict(groups=2)),
    ("conv_transpose2d", (1, 3, 4, 4), (3, 2, 3, 3), dict(groups=4)),
    ("conv_transpose2d", (1, 3, 4, 4), (3, 2, 3, 3), dict(groups=0)),
    ("conv_transpose2d", (1, 3, 4, 4), (3, 2, 3, 3), dict(bias=(3,))),
    ("conv_transpose2d", (1, 3, 4, 4), (3, 2, 3, 3), dict(bias=(2, 1))),
    ("conv_transpose2d", (1, 3, 1, 1), (3, 2, 1, 1), dict(padding=1)),
    ("conv_transpose2d", (1, 3, 2, 2), (3, 2, 1, 1), dict(padding=1)),
    ("conv_transpose2d", (1, 3, 2, 2, 2), (3, 2, 1, 1), {}),
    ("conv_transpose2d", (3, 2), (3, 2, 1, 1), {}),
    ("conv_transpose2d", (1, 3, 4, 4), (3, 2, 3, 3), dict(padding="same")),
    ("conv_transpose2d", (1, 3, 4, 4), (3, 2, 3, 3), dict(padding=-1)),
    ("conv_transpose2d", (1, 3, 4, 4), (3, 2, 3, 3), dict(output_padding=-1)),
    ("conv_transpose2d", (1, 3, 4, 4), (3, 2, 3, 3), dict(stride=0)),
    ("conv_transpose2d", (1, 3, 4, 4), (3, 2, 3, 3), dict(dilation=0)),
    ("conv_transpose2d", (1, 3, 4, 4), (3, 2, 3, 3), dict(stride=(1, 1, 1))),
    ("conv_transpose2d", (1, 3, 4, 4), (3, 2, 3, 3), dict(output_padding=(1, 2, 3))),
    ("conv_transpose2d", (1, 3, 4, 4), (3, 2, 3), {}),
    ("conv_transpose2d", (1, 3, 4, 4), (3, 2), {}),
    ("conv_transpose2d", (1, 3, 4, 4), (3, 0, 3, 3), {}),
    ("conv_transpose2d", (1, 3, 0, 4), (3, 2, 3, 3), {}),
    ("conv_transpose2d", (1, 3, 4, 4), (3, 2, 3, 3), dict(output_padding=1.0)),
    ("conv_transpose2d", (1, 3, 4, 4), (3, 2, 3, 3), dict(groups="a")),
    ("conv_transpose2d", (1, 3, 4, 4), (3, 2, 3, 3), dict(input_dtype="float64")),
    ("conv_transpose2d", (1, 3, 4, 4), (3, 2, 3, 3), dict(weight_dtype="float64")),
    ("conv_transpose1d", (1, 3, 4), (3, 2, 3), dict(stride=2, output_padding=2)),
    ("conv_transpose1d", (1, 3, 1), (3, 2, 1), dict(padding=1)),
    ("conv_transpose1d", (1, 2, 4), (3, 2, 3), {}),
    ("conv_transpose1d", (1, 3, 4), (3, 2, 3), dict(groups=2)),
    ("conv_transpose1d", (1, 3, 4), (3, 2, 3), dict(dilation=0)),
    ("conv_transpose1d", (1, 3, 4), (3, 2, 3), dict(output_padding=(1, 1), stride=2)),
    ("conv_transpose1d", (1, 3, 4, 4), (3, 2, 3), {}),
]


@requires_torch
@pytest.mark.parametrize("fn,x_shape,w_shape,kwargs", _ERRORS)
def test_bad_arguments_raise_torch_errors(fn, x_shape, w_shape, kwargs):
    kwargs = dict(kwargs)
    dtypes = {k: kwargs.pop(k, "float32") for k in ("input_dtype", "weight_dtype", "bias_dtype")}
    bias_shape = kwargs.pop("bias", (w_shape[1] if "transpose" in fn else w_shape[0],) if dtypes["bias_dtype"]
                            != "float32" else None)
    x, w = _arr(x_shape, dtypes["input_dtype"]), _arr(w_shape, dtypes["weight_dtype"], 1)
    b = None if bias_shape is None else _arr(bias_shape, dtypes["bias_dtype"], 2)

    def call(lib, f):
        return lambda: f(lib.tensor(x), lib.tensor(w), None if b is None else lib.tensor(b), **kwargs)
    if dtypes["input_dtype"] != dtypes["weight_dtype"]:  # PyTorch's wording depends on its conv backend
        with pytest.raises(RuntimeError, match="expected scalar type"):
            call(minitorch, getattr(F, fn))()
        with pytest.raises(RuntimeError, match="expected scalar type"):
            call(torch, getattr(torch.nn.functional, fn))()
        return
    raises_like(call(minitorch, getattr(F, fn)), call(torch, getattr(torch.nn.functional, fn)))


def test_non_tensor_arguments_raise_type_errors():
    for fn in (F.conv1d, F.conv_transpose1d, F.conv_transpose2d):
        with pytest.raises(TypeError, match="argument 'input' \\(position 1\\) must be Tensor, not list"):
            fn([1.0], minitorch.zeros(1, 1, 1))
        with pytest.raises(TypeError, match="argument 'weight' \\(position 2\\) must be Tensor, not int"):
            fn(minitorch.zeros(1, 1, 3), 3)


# ----- modules ----------------------------------------------------------------------------------

_MODULES = [
    lambda nn: nn.ConvTranspose2d(3, 4, 3),
    lambda nn: nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1),
    lambda nn: nn.ConvTranspose2d(4, 6, (2, 3), stride=(1, 2), groups=2, bias=False, dilation=(2, 1)),
    lambda nn: nn.ConvTranspose1d(3, 4, 3, 2, 1, 1, bias=False, dilation=2),
    lambda nn: nn.Conv1d(3, 4, 3),
    lambda nn: nn.Conv1d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2, bias=False),
    lambda nn: nn.Conv1d(3, 4, 3, padding="same", padding_mode="reflect"),
    lambda nn: nn.Conv1d(3, 4, 4, padding="valid", padding_mode="circular"),
    lambda nn: nn.Conv2d(3, 4, 3, padding=(1, 2), padding_mode="replicate"),
    lambda nn: nn.MaxPool1d(2),
    lambda nn: nn.MaxPool1d((2,), stride=1, padding=1, dilation=2, return_indices=True, ceil_mode=True),
    lambda nn: nn.AvgPool1d(2),
    lambda nn: nn.AvgPool1d(3, 1, 1, True, False),
]


@requires_torch
@pytest.mark.parametrize("make", _MODULES)
def test_module_reprs_and_state_dict_keys_match_torch(make):
    m, t = make(nn), make(torch.nn)
    assert repr(m) == repr(t)
    assert list(m.state_dict()) == list(t.state_dict())
    for k, v in t.state_dict().items():
        assert tuple(m.state_dict()[k].shape) == tuple(v.shape)


@requires_torch
@pytest.mark.parametrize("make", [f for f in _MODULES[:9]])
def test_conv_modules_draw_torchs_initial_weights_from_the_same_seed(make):
    minitorch.manual_seed(7)
    torch.manual_seed(7)
    assert_same_state(make(nn), make(torch.nn))


@requires_torch
@pytest.mark.parametrize("make,shape,kwargs", [
    (_MODULES[1], (2, 3, 5, 5), {}),
    (_MODULES[1], (2, 3, 5, 5), dict(output_size=(9, 10))),
    (_MODULES[1], (3, 5, 5), dict(output_size=[4, 10, 9])),
    (_MODULES[2], (2, 4, 4, 5), dict(output_size=[6, 11])),
    (_MODULES[3], (2, 3, 6), dict(output_size=[14])),
    (_MODULES[6], (2, 3, 9), {}),
    (_MODULES[7], (2, 3, 9), {}),
    (_MODULES[8], (2, 3, 6, 7), {}),
    (lambda nn: nn.Conv1d(3, 4, 3, padding=2, padding_mode="circular"), (3, 9), {}),
])
def test_conv_modules_forward_and_backward_match_torch(make, shape, kwargs):
    t = make(torch.nn)
    m = make(nn)
    load_from_torch(m, t)
    x = _arr(shape, seed=3)
    xm, xt = minitorch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    om, ot = m(xm, **kwargs), t(xt, **kwargs)
    _pair(om, ot, **TOL["float32"])
    (om * om).sum().backward()
    (ot * ot).sum().backward()
    _pair(xm.grad, xt.grad, **TOL["float32"])
    assert_grads_close(m, t)


@requires_torch
@pytest.mark.parametrize("make,call", [
    (lambda nn: nn.ConvTranspose2d(3, 4, 3, padding_mode="reflect"), None),
    (lambda nn: nn.ConvTranspose1d(3, 4, 3, groups=2), None),
    (lambda nn: nn.Conv1d(3, 4, 3, padding="full"), None),
    (lambda nn: nn.Conv1d(3, 4, 3, stride=2, padding="same"), None),
    (lambda nn: nn.Conv1d(3, 4, 3, padding_mode="wrap"), None),
    (lambda nn: nn.ConvTranspose2d(3, 4, 3, stride=2), lambda nn, m: m(nn_tensor(nn, (1, 3, 4, 4)),
                                                                       output_size=(12, 9))),
    (lambda nn: nn.ConvTranspose2d(3, 4, 3, stride=2), lambda nn, m: m(nn_tensor(nn, (1, 3, 4, 4)),
                                                                       output_size=(9,))),
])
def test_module_errors_match_torch(make, call):
    if call is None:
        with pytest.raises(Exception) as want:
            make(torch.nn)
        with pytest.raises(type(want.value)) as got:
            make(nn)
        assert _sets_sorted(str(got.value)) == _sets_sorted(str(want.value))
    else:
        raises_like(lambda: call(minitorch, make(nn)), lambda: call(torch, make(torch.nn)))


def _sets_sorted(message: str) -> str:
    """A message with each printed Python set's items sorted: a set literal prints in an order
    that depends on the process's string hashes and on how its module was compiled."""
    def sort_items(match):
        return "{" + ", ".join(sorted(match.group(1).split(", "))) + "}"
    return re.sub(r"\{([^{}]*)\}", sort_items, message)


def nn_tensor(lib, shape):
    return lib.tensor(_arr(shape))
