"""conv2d, max_pool2d, avg_pool2d, batch_norm and their modules: values and gradients against
PyTorch (hypothesis over sizes and options), central-difference gradchecks without it,
PyTorch's error messages, reprs and state_dict keys."""
import math
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
from tests.strategies import hsettings, layout_of

def _second_order(fn):
    """fn (which calls autograd.grad with create_graph) made usable by gradcheck, whose
    central differences run under no_grad."""
    def wrapped(*args):
        outer = minitorch.is_grad_enabled()
        with minitorch.enable_grad():
            out = fn(*args)
        return out if outer else out.detach()
    return wrapped


TOL = {"float32": dict(rtol=1e-5, atol=1e-5), "float64": dict(rtol=1e-10, atol=1e-10)}


def _arr(shape, dtype="float32", seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _pair(mt_t, torch_t, **tol):
    np.testing.assert_allclose(mt_t.detach().numpy(), torch_t.detach().numpy(), **tol)


def _leaves(*arrays):
    """(minitorch leaves, torch leaves) holding copies of arrays (None stays None)."""
    mts = [None if a is None else minitorch.tensor(a, requires_grad=True) for a in arrays]
    tts = [None if a is None else torch.tensor(a, requires_grad=True) for a in arrays]
    return mts, tts


def _check_fwd_bwd(mt_fn, torch_fn, arrays, dtype, seed=1):
    """Same output and same gradient of every input for a random upstream gradient."""
    (mts, tts) = _leaves(*arrays)
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


# ----- conv2d -------------------------------------------------------------------------------

@st.composite
def conv_configs(draw):
    groups = draw(st.sampled_from([1, 1, 2]))
    cin = groups * draw(st.integers(1, 3))
    cout = groups * draw(st.integers(1, 3))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    hw = tuple(max(draw(st.integers(1, 8)), d * (k - 1) + 1 - 2 * p)
               for k, d, p in zip(kernel, dilation, padding))
    n = draw(st.integers(1, 3))
    return dict(x=(n, cin) + hw, w=(cout, cin // groups) + kernel, stride=stride, padding=padding,
                dilation=dilation, groups=groups, bias=draw(st.booleans()))


@requires_torch
@hsettings(max_examples=60)
@given(cfg=conv_configs(), dtype=st.sampled_from(["float32", "float64"]))
def test_conv2d_matches_torch_values_and_gradients(cfg, dtype):
    args = dict(stride=cfg["stride"], padding=cfg["padding"], dilation=cfg["dilation"], groups=cfg["groups"])
    arrays = [_arr(cfg["x"], dtype, 2), _arr(cfg["w"], dtype, 3), _arr(cfg["w"][0], dtype, 4) if cfg["bias"] else None]
    _check_fwd_bwd(lambda x, w, b: F.conv2d(x, w, b, **args),
                   lambda x, w, b: torch.nn.functional.conv2d(x, w, b, **args), arrays, dtype)


@requires_torch
@hsettings(max_examples=15)
@given(data=st.data())
def test_conv2d_accepts_non_contiguous_input(data):
    x = _arr((2, 3, 6, 7))
    w = _arr((4, 3, 3, 3), seed=5)
    xm = data.draw(layout_of(x))
    out = F.conv2d(xm, minitorch.tensor(w), padding=1)
    _pair(out, torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), padding=1), **TOL["float32"])


@requires_torch
@pytest.mark.parametrize("padding,dilation", [("same", 1), ("same", 2), ("valid", 1)])
@pytest.mark.parametrize("kernel", [3, 4, (2, 5)])
def test_conv2d_string_padding_matches_torch(padding, dilation, kernel):
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    arrays = [_arr((2, 2, 9, 10), "float64"), _arr((3, 2, kh, kw), "float64", 1), _arr((3,), "float64", 2)]
    with pytest.warns(UserWarning) if padding == "same" and (dilation * (kh - 1) % 2 or dilation * (kw - 1) % 2) \
            else _no_warning():
        _check_fwd_bwd(lambda x, w, b: F.conv2d(x, w, b, padding=padding, dilation=dilation),
                       lambda x, w, b: torch.nn.functional.conv2d(x, w, b, padding=padding, dilation=dilation),
                       arrays, "float64")


class _no_warning:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@requires_torch
def test_conv2d_unbatched_input_is_squeezed_like_torch():
    x, w = _arr((3, 6, 6), "float64"), _arr((4, 3, 3, 3), "float64", 1)
    _check_fwd_bwd(lambda x, w: F.conv2d(x, w, stride=2), lambda x, w: torch.nn.functional.conv2d(x, w, stride=2),
                   [x, w], "float64")


def test_conv2d_gradcheck_without_torch():
    x = minitorch.tensor(_arr((2, 2, 5, 4), "float64"), requires_grad=True)
    w = minitorch.tensor(_arr((3, 2, 2, 3), "float64", 1), requires_grad=True)
    b = minitorch.tensor(_arr((3,), "float64", 2), requires_grad=True)
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=(1, 2), dilation=(1, 2)), (x, w, b))


def test_conv2d_second_derivative_gradcheck():
    x = minitorch.tensor(_arr((1, 2, 4, 4), "float64"), requires_grad=True)
    w = minitorch.tensor(_arr((2, 2, 2, 2), "float64", 1), requires_grad=True)

    @_second_order
    def grads(x, w):
        y = F.conv2d(x, w, stride=2, padding=1)
        gx, gw = minitorch.autograd.grad((y * y).sum(), (x, w), create_graph=True)
        return (gx * gx).sum() + (gw * gw).sum()
    assert gradcheck(grads, (x, w))


def test_conv2d_known_values():
    x = minitorch.arange(16.0).reshape(1, 1, 4, 4)
    w = minitorch.ones(1, 1, 2, 2)
    assert F.conv2d(x, w, stride=2).tolist() == [[[[10.0, 18.0], [42.0, 50.0]]]]


@requires_torch
@pytest.mark.parametrize("call,args", [
    ("conv2d", ((2, 4, 5, 5), (8, 3, 3, 3))),
    ("conv2d", ((4, 5, 5), (8, 3, 3, 3))),
    ("conv2d", ((2, 4, 5, 5), (8, 4, 3))),
    ("conv2d", ((2, 4, 5, 5), (8, 4))),
    ("conv2d", ((2, 4, 2, 2), (8, 4, 3, 3))),
    ("conv2d", ((2, 4, 5, 5), (8, 4, 3, 3), dict(dilation=3))),
    ("conv2d", ((4, 5), (8, 4, 3, 3))),
    ("conv2d", ((1, 2, 4, 5, 5), (8, 4, 3, 3))),
    ("conv2d", ((2, 4, 5, 5), (8, 4, 3, 3), dict(stride=2, padding="same"))),
    ("conv2d", ((2, 4, 5, 5), (8, 4, 3, 3), dict(padding="foo"))),
    ("conv2d", ((2, 4, 5, 5), (8, 4, 3, 3), dict(stride=0))),
    ("conv2d", ((2, 4, 5, 5), (8, 4, 3, 3), dict(padding=-1))),
    ("conv2d", ((2, 4, 5, 5), (8, 4, 3, 3), dict(dilation=0))),
    ("conv2d", ((2, 4, 5, 5), (8, 4, 3, 3), dict(stride=(1, 2, 3)))),
    ("conv2d", ((2, 4, 5, 5), (8, 4, 3, 3), dict(padding=(1, 1, 1)))),
    ("conv2d", ((2, 4, 5, 5), (8, 4, 3, 3), dict(groups=0))),
    ("conv2d", ((2, 4, 5, 5), (8, 4, 3, 3), dict(groups=3))),
    ("conv2d", ((2, 4, 5, 5), (0, 4, 3, 3))),
    ("conv2d", ((2, 4, 5, 5), (8, 4, 3, 3), dict(bias=(7,)))),
    ("conv2d", ((2, 4, 5, 5), (8, 4, 3, 3), dict(bias=(8, 1)))),
    ("conv2d", ((2, 4, 5, 5), (8, 4, 3, 3), dict(weight_dtype="float64"))),
    ("conv2d", ((2, 4, 5, 5), (8, 4, 3, 3), dict(bias=(8,), bias_dtype="float64"))),
    ("max_pool2d", ((2, 4, 5, 5), 6)),
    ("max_pool2d", ((2, 4, 5, 5), 3, dict(padding=2))),
    ("max_pool2d", ((2, 4, 5, 5), 0)),
    ("max_pool2d", ((2, 4, 5, 5), 0, dict(stride=1))),
    ("max_pool2d", ((2, 4, 5, 5), -1, dict(stride=1))),
    ("max_pool2d", ((2, 4, 5, 5), 2, dict(stride=-1))),
    ("max_pool2d", ((2, 4, 5, 5), 2, dict(padding=-1))),
    ("max_pool2d", ((2, 4, 5, 5), 2, dict(dilation=0))),
    ("max_pool2d", ((2, 4, 5, 5), 2, dict(padding=2, dilation=3))),
    ("max_pool2d", ((2, 4, 5, 5), (2, 2, 2))),
    ("max_pool2d", ((2, 4, 5, 5), 2, dict(stride=(1, 1, 1)))),
    ("max_pool2d", ((2, 4, 5, 5), 2, dict(padding=(1, 1, 1)))),
    ("max_pool2d", ((2, 4, 5, 5), 2, dict(dilation=(1, 1, 1)))),
    ("max_pool2d", ((5, 5), 2)),
    ("max_pool2d", ((3, 1, 5, 5, 5), 2)),
    ("max_pool2d", ((2, 4, 0, 5), 2)),
    ("max_pool2d", ((2, 0, 5, 5), 2)),
    ("max_pool2d", ((1, 1, 1, 1), 3, dict(stride=1, padding=1, dilation=2))),
    ("avg_pool2d", ((2, 4, 5, 5), 6)),
    ("avg_pool2d", ((2, 4, 5, 5), 3, dict(padding=2))),
    ("avg_pool2d", ((2, 4, 5, 5), 0, dict(stride=1))),
    ("avg_pool2d", ((2, 4, 5, 5), 2, dict(stride=0))),
    ("avg_pool2d", ((2, 4, 5, 5), 2, dict(divisor_override=0))),
    ("avg_pool2d", ((5, 5), 2)),
    ("avg_pool2d", ((3, 1, 5, 5, 5), 2)),
    ("avg_pool2d", ((2, 4, 5, 5), (2, 2, 2))),
    ("avg_pool2d", ((2, 4, 5, 5), 2, dict(stride=(1, 1, 1)))),
])
def test_bad_arguments_raise_torch_errors(call, args):
    shape, second, kwargs = (args + ({},))[:3]
    kwargs = dict(kwargs)
    x = _arr(shape)

    def run(lib, fn):
        if call == "conv2d":
            w = _arr(second).astype(kwargs.pop("weight_dtype", "float32"))
            bias_shape, bias_dtype = kwargs.pop("bias", None), kwargs.pop("bias_dtype", "float32")
            b = None if bias_shape is None else lib.tensor(_arr(bias_shape).astype(bias_dtype))
            return fn(lib.tensor(x), lib.tensor(w), b, **kwargs)
        return fn(lib.tensor(x), second, **kwargs)

    kw_copy = dict(kwargs)
    with pytest.raises(Exception) as expected:
        run(torch, getattr(torch.nn.functional, call))
    kwargs = kw_copy
    with pytest.raises(type(expected.value)) as got:
        run(minitorch, getattr(F, call))
    assert str(got.value) == str(expected.value)


def test_conv2d_rejects_non_tensors_with_type_error():
    with pytest.raises(TypeError, match="must be Tensor, not ndarray"):
        F.conv2d(np.zeros((1, 1, 3, 3)), minitorch.zeros(1, 1, 1, 1))


# ----- pooling ------------------------------------------------------------------------------

@st.composite
def pool_configs(draw, dilation=True):
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = draw(st.sampled_from([None, 1, 2, (1, 3)]))
    dil = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) if dilation else (1, 1)
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    hw = tuple(max(draw(st.integers(1, 7)), d * (k - 1) + 1) for k, d in zip(kernel, dil))
    lead = draw(st.sampled_from([(2, 3), (1, 1), (3,)]))
    return dict(shape=lead + hw, kernel_size=kernel, stride=stride, padding=padding, dilation=dil,
                ceil_mode=draw(st.booleans()))


@requires_torch
@hsettings(max_examples=50)
@given(cfg=pool_configs(), dtype=st.sampled_from(["float32", "float64"]), ties=st.booleans())
def test_max_pool2d_matches_torch_values_indices_and_gradients(cfg, dtype, ties):
    shape = cfg.pop("shape")
    x = _arr(shape, dtype)
    if ties:  # few distinct values: torch picks the first maximum of a window
        x = np.round(x).astype(dtype)
    _check_fwd_bwd(lambda x: F.max_pool2d(x, **cfg), lambda x: torch.nn.functional.max_pool2d(x, **cfg),
                   [x], dtype)
    _, idx_m = F.max_pool2d(minitorch.tensor(x), **cfg, return_indices=True)
    _, idx_t = torch.nn.functional.max_pool2d(torch.tensor(x), **cfg, return_indices=True)
    assert idx_m.dtype == minitorch.int64
    np.testing.assert_array_equal(idx_m.numpy(), idx_t.numpy())


@st.composite
def pool_2x2_inputs(draw):
    """Inputs of the 2x2 fast path (no padding, no dilation): NaNs, -inf and ties in it."""
    h, w = draw(st.integers(2, 9)), draw(st.integers(2, 9))
    lead = draw(st.sampled_from([(2, 3), (1,), (3, 1)]))
    dtype = draw(st.sampled_from(["float32", "float64"]))
    x = np.round(_arr(lead + (h, w), dtype, seed=draw(st.integers(0, 99))) * draw(st.sampled_from([1, 4])))
    flat = x.reshape(-1)
    for value in draw(st.lists(st.sampled_from([np.nan, -np.inf, np.inf]), max_size=4)):
        flat[draw(st.integers(0, flat.size - 1))] = value
    stride = draw(st.sampled_from([None, 1, 2, 3, (1, 2), (2, 1)]))
    return x.astype(dtype), dict(kernel_size=2, stride=stride, ceil_mode=draw(st.booleans()))


@hsettings(max_examples=60)
@given(case=pool_2x2_inputs(), data=st.data())
def test_max_pool2d_2x2_fast_path_equals_the_general_kernel(case, data):
    # The 2x2 kernel and the general one must agree on values and argmax (first maximum,
    # NaN wins), on any layout of the input; ceil_mode windows that leave the plane take
    # the general kernel.
    from minitorch._backends.cpu import conv_kernels as K
    x, cfg = case
    got, idx = F.max_pool2d(data.draw(layout_of(x)), **cfg, return_indices=True)
    planes = x.reshape(-1, *x.shape[-2:])
    out = np.empty((planes.shape[0],) + tuple(got.shape[-2:]), x.dtype)
    ref_idx = np.empty(out.shape, np.int64)
    s = cfg["stride"] or 2
    sh, sw = (s, s) if isinstance(s, int) else s
    K.max_pool2d(planes, 2, 2, sh, sw, 0, 0, 1, 1, x.dtype.type(-np.inf), out, ref_idx)
    np.testing.assert_array_equal(got.numpy().reshape(out.shape), out)
    np.testing.assert_array_equal(idx.numpy().reshape(out.shape), ref_idx)


@requires_torch
@hsettings(max_examples=40)
@given(case=pool_2x2_inputs())
def test_max_pool2d_2x2_matches_torch_with_nans_and_ties(case):
    x, cfg = case
    _check_fwd_bwd(lambda x: F.max_pool2d(x, **cfg), lambda x: torch.nn.functional.max_pool2d(x, **cfg),
                   [x], x.dtype.name)
    _, idx_m = F.max_pool2d(minitorch.tensor(x), **cfg, return_indices=True)
    _, idx_t = torch.nn.functional.max_pool2d(torch.tensor(x), **cfg, return_indices=True)
    np.testing.assert_array_equal(idx_m.numpy(), idx_t.numpy())


def test_max_pool2d_ties_pick_the_first_and_nan_wins():
    x = minitorch.tensor([[[[1.0, 1.0], [0.0, 1.0]]]], requires_grad=True)
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    assert idx.tolist() == [[[[0]]]]
    out.sum().backward()
    assert x.grad.tolist() == [[[[1.0, 0.0], [0.0, 0.0]]]]
    y = F.max_pool2d(minitorch.tensor([[[1.0, float("nan")], [3.0, 2.0]]]), 2)
    assert math.isnan(y.item())


def test_max_pool2d_works_on_integers():
    x = minitorch.tensor([[[[1, 5], [7, 2]]]])
    assert F.max_pool2d(x, 2).tolist() == [[[[7]]]]


@requires_torch
@hsettings(max_examples=50)
@given(cfg=pool_configs(dilation=False), dtype=st.sampled_from(["float32", "float64"]),
       count_include_pad=st.booleans(), divisor=st.sampled_from([None, None, 3]))
def test_avg_pool2d_matches_torch_values_and_gradients(cfg, dtype, count_include_pad, divisor):
    shape = cfg.pop("shape")
    del cfg["dilation"]
    cfg.update(count_include_pad=count_include_pad, divisor_override=divisor)
    _check_fwd_bwd(lambda x: F.avg_pool2d(x, **cfg), lambda x: torch.nn.functional.avg_pool2d(x, **cfg),
                   [_arr(shape, dtype)], dtype)


@requires_torch
def test_avg_pool2d_on_integers_truncates_like_torch():
    x = np.array([[[[-7, 2, 5], [1, 1, 9], [4, 4, 4]]]], dtype=np.int64)
    got = F.avg_pool2d(minitorch.tensor(x), 2, 1)
    assert got.dtype == minitorch.int64
    assert got.tolist() == torch.nn.functional.avg_pool2d(torch.tensor(x), 2, 1).tolist()


def test_pooling_gradchecks_and_second_derivatives():
    x = minitorch.tensor(_arr((1, 2, 5, 5), "float64"), requires_grad=True)
    assert gradcheck(lambda x: F.max_pool2d(x, 3, 2, 1), (x,))
    assert gradcheck(lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), (x,))

    @_second_order
    def second(x):
        loss = (F.avg_pool2d(x, 2, 1) ** 2).sum() + (F.max_pool2d(x, 2) ** 2).sum()
        g, = minitorch.autograd.grad(loss, (x,), create_graph=True)
        return (g * g).sum()
    assert gradcheck(second, (x,))


# ----- batch norm ---------------------------------------------------------------------------

@requires_torch
@hsettings(max_examples=40)
@given(shape=st.sampled_from([(4, 3), (3, 2, 5), (2, 3, 4, 5), (5, 1, 1, 2)]),
       training=st.booleans(), affine=st.booleans(), stats=st.booleans(),
       dtype=st.sampled_from(["float32", "float64"]), momentum=st.sampled_from([0.1, 0.5]))
def test_batch_norm_matches_torch_including_running_stats(shape, training, affine, stats, dtype, momentum):
    if not training:
        stats = True
    c = shape[1]
    x = _arr(shape, dtype) * 2 + 1
    wb = [_arr((c,), dtype, 7), _arr((c,), dtype, 8)] if affine else [None, None]
    rm_m, rv_m = (minitorch.tensor(_arr((c,), dtype, 9)), minitorch.tensor(np.abs(_arr((c,), dtype, 10)) + 0.5)) \
        if stats else (None, None)
    rm_t, rv_t = (torch.tensor(rm_m.numpy()), torch.tensor(rv_m.numpy())) if stats else (None, None)
    _check_fwd_bwd(lambda x, w, b: F.batch_norm(x, rm_m, rv_m, w, b, training, momentum),
                   lambda x, w, b: torch.nn.functional.batch_norm(x, rm_t, rv_t, w, b, training, momentum),
                   [x] + wb, dtype)
    if stats:
        _pair(rm_m, rm_t, **TOL[dtype])
        _pair(rv_m, rv_t, **TOL[dtype])


def test_batch_norm_gradcheck_train_eval_and_second_derivative():
    x = minitorch.tensor(_arr((3, 2, 2, 2), "float64"), requires_grad=True)
    w = minitorch.tensor(_arr((2,), "float64", 1), requires_grad=True)
    b = minitorch.tensor(_arr((2,), "float64", 2), requires_grad=True)
    rm, rv = minitorch.zeros(2, dtype=minitorch.float64), minitorch.ones(2, dtype=minitorch.float64)
    assert gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), (x, w, b))
    assert gradcheck(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=False), (x, w, b))

    @_second_order
    def second(x, w):
        y = F.batch_norm(x, None, None, w, training=True)
        g = minitorch.autograd.grad((y ** 3).sum(), (x, w), create_graph=True)
        return (g[0] * g[0]).sum() + (g[1] * g[1]).sum()
    assert gradcheck(second, (x, w))


@requires_torch
@pytest.mark.parametrize("shape,training,rm,w", [
    ((2, 4, 5, 5), False, None, None), ((2, 4, 5, 5), False, 3, None), ((2, 4, 5, 5), False, 4, 3),
    ((1, 4), True, None, None), ((1, 4, 1), True, None, None), ((4,), True, None, None),
])
def test_batch_norm_bad_arguments_raise_torch_errors(shape, training, rm, w):
    def run(lib, fn):
        stats = (None, None) if rm is None else (lib.zeros(rm), lib.ones(rm))
        return fn(lib.tensor(_arr(shape)), *stats, None if w is None else lib.ones(w), training=training)
    with pytest.raises(Exception) as expected:
        run(torch, torch.nn.functional.batch_norm)
    with pytest.raises(type(expected.value)) as got:
        run(minitorch, F.batch_norm)
    assert str(got.value) == str(expected.value)


# ----- modules ------------------------------------------------------------------------------

@requires_torch
@pytest.mark.parametrize("make", [
    lambda nn: nn.Conv2d(1, 32, 3),
    lambda nn: nn.Conv2d(4, 6, (2, 3), stride=2, padding=1, dilation=(1, 2), groups=2, bias=False),
    lambda nn: nn.Conv2d(3, 8, 3, padding="same"),
    lambda nn: nn.Conv2d(3, 8, 3, padding="valid"),
    lambda nn: nn.MaxPool2d(2),
    lambda nn: nn.MaxPool2d((2, 3), stride=1, padding=1, dilation=2, ceil_mode=True),
    lambda nn: nn.AvgPool2d(2),
    lambda nn: nn.AvgPool2d(3, 1, 1, True, False, 2),
    lambda nn: nn.BatchNorm1d(4),
    lambda nn: nn.BatchNorm2d(4, momentum=None, affine=False),
    lambda nn: nn.BatchNorm2d(4, track_running_stats=False, bias=False),
])
def test_module_reprs_and_state_dict_keys_match_torch(make):
    m, t = make(nn), make(torch.nn)
    assert repr(m) == repr(t)
    assert list(m.state_dict().keys()) == list(t.state_dict().keys())
    for k, v in t.state_dict().items():
        assert tuple(m.state_dict()[k].shape) == tuple(v.shape)
        assert m.state_dict()[k].dtype.name == str(v.dtype).replace("torch.", "")


def test_conv2d_init_draws_kaiming_weight_then_bias_from_the_default_generator():
    minitorch.manual_seed(3)
    conv = nn.Conv2d(2, 4, 3)
    bound = 1 / math.sqrt(2 * 3 * 3)  # kaiming_uniform(a=sqrt(5)) and the bias share this bound
    minitorch.manual_seed(3)
    w = minitorch.empty(4, 2, 3, 3).uniform_(-bound, bound)
    b = minitorch.empty(4).uniform_(-bound, bound)
    np.testing.assert_allclose(conv.weight.detach().numpy(), w.numpy(), rtol=1e-6)
    np.testing.assert_allclose(conv.bias.detach().numpy(), b.numpy(), rtol=1e-6)


@requires_torch
def test_modules_with_weights_copied_from_torch_train_identically():
    torch.manual_seed(0)
    t_layers = [torch.nn.Conv2d(2, 4, 3, padding=1), torch.nn.BatchNorm2d(4), torch.nn.MaxPool2d(2),
                torch.nn.Conv2d(4, 3, 2), torch.nn.AvgPool2d(2, ceil_mode=True)]
    m_layers = [nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.MaxPool2d(2), nn.Conv2d(4, 3, 2),
                nn.AvgPool2d(2, ceil_mode=True)]
    for m, t in zip(m_layers, t_layers):
        m.load_state_dict({k: minitorch.tensor(v.numpy()) for k, v in t.state_dict().items()})
    for step in range(3):
        x = _arr((3, 2, 8, 8), seed=step)
        xm, xt = minitorch.tensor(x), torch.tensor(x)
        for m, t in zip(m_layers, t_layers):
            xm, xt = m(xm), t(xt)
        _pair(xm, xt, rtol=1e-4, atol=1e-5)
        (xm * xm).sum().backward()
        (xt * xt).sum().backward()
    for m, t in zip(m_layers, t_layers):
        for (name, pm), (_, pt) in zip(m.state_dict(keep_vars=True).items(), t.state_dict(keep_vars=True).items()):
            _pair(pm, pt, rtol=1e-4, atol=1e-5)
            if getattr(pt, "grad", None) is not None:
                _pair(pm.grad, pt.grad, rtol=1e-4, atol=1e-4)
    for m, t in zip(m_layers, t_layers):
        m.eval()
        t.eval()
    x = _arr((2, 2, 8, 8), seed=9)
    xm, xt = minitorch.tensor(x), torch.tensor(x)
    for m, t in zip(m_layers, t_layers):
        xm, xt = m(xm), t(xt)
    _pair(xm, xt, rtol=1e-4, atol=1e-5)


@requires_torch
@pytest.mark.parametrize("momentum", [0.1, None])
def test_batchnorm_module_running_stats_after_several_steps(momentum):
    m, t = nn.BatchNorm1d(3, momentum=momentum), torch.nn.BatchNorm1d(3, momentum=momentum)
    for step in range(4):
        x = _arr((5, 3, 2), seed=step) * (step + 1)
        _pair(m(minitorch.tensor(x)), t(torch.tensor(x)), rtol=1e-5, atol=1e-5)
    assert m.num_batches_tracked.item() == t.num_batches_tracked.item() == 4
    _pair(m.running_mean, t.running_mean, rtol=1e-5, atol=1e-6)
    _pair(m.running_var, t.running_var, rtol=1e-5, atol=1e-6)
    m.eval()
    t.eval()
    x = _arr((2, 3, 2), seed=11)
    _pair(m(minitorch.tensor(x)), t(torch.tensor(x)), rtol=1e-5, atol=1e-6)


def test_batchnorm_without_running_stats_uses_batch_stats_in_eval():
    m = nn.BatchNorm2d(2, track_running_stats=False).eval()
    y = m(minitorch.tensor(_arr((4, 2, 3, 3)) * 5 + 3))
    np.testing.assert_allclose(y.detach().numpy().mean(axis=(0, 2, 3)), 0, atol=1e-5)


@requires_torch
@pytest.mark.parametrize("make,shape", [(lambda nn: nn.BatchNorm2d(4), (4, 5, 5)),
                                        (lambda nn: nn.BatchNorm1d(4), (4, 5, 5, 5)),
                                        (lambda nn: nn.BatchNorm1d(4), (3, 5))])
def test_batchnorm_module_input_checks_match_torch(make, shape):
    with pytest.raises(Exception) as expected:
        make(torch.nn)(torch.tensor(_arr(shape)))
    with pytest.raises(type(expected.value)) as got:
        make(nn)(minitorch.tensor(_arr(shape)))
    assert str(got.value) == str(expected.value)


@requires_torch
@pytest.mark.parametrize("kwargs", [dict(groups=0), dict(groups=3), dict(padding="foo"),
                                    dict(padding="same", stride=2), dict(padding_mode="bad")])
def test_conv2d_module_construction_errors_match_torch(kwargs):
    with pytest.raises(ValueError) as expected:
        torch.nn.Conv2d(4, 6, 3, **kwargs)
    with pytest.raises(ValueError) as got:
        nn.Conv2d(4, 6, 3, **kwargs)
    assert _sets_sorted(str(got.value)) == _sets_sorted(str(expected.value))


def _sets_sorted(message: str) -> str:
    """A message with each printed Python set's items sorted: a set prints in hash order,
    which changes from process to process (PYTHONHASHSEED), in torch's messages too."""
    def sort_items(match):
        return "{" + ", ".join(sorted(match.group(1).split(", "))) + "}"
    return re.sub(r"\{([^{}]*)\}", sort_items, message)


@requires_torch
@pytest.mark.parametrize("stride,padding,dilation", [(1, 0, 1), (2, 1, 1), (1, 2, 2)])
def test_conv2d_with_many_input_rows_takes_the_one_gemm_path_and_matches_torch(stride, padding, dilation):
    # C*kh*kw = 16*3*3 = 144 >= 128: the batch-wide (K, N*L) column layout and one product.
    rng = np.random.default_rng(7)
    x = rng.standard_normal((5, 16, 11, 9)).astype(np.float32)
    w = rng.standard_normal((12, 16, 3, 3)).astype(np.float32) * 0.1
    b = rng.standard_normal(12).astype(np.float32)
    xm, wm, bm = (minitorch.tensor(a, requires_grad=True) for a in (x, w, b))
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ym = minitorch.nn.functional.conv2d(xm, wm, bm, stride=stride, padding=padding, dilation=dilation)
    yt = torch.nn.functional.conv2d(xt, wt, bt, stride=stride, padding=padding, dilation=dilation)
    np.testing.assert_allclose(ym.detach().numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-5)
    g = rng.standard_normal(tuple(yt.shape)).astype(np.float32)
    ym.backward(minitorch.tensor(g))
    yt.backward(torch.tensor(g))
    for m, t in ((xm, xt), (wm, wt), (bm, bt)):
        np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_parallel_max_pool_kernels_equal_the_serial_ones():
    """The parallel twins run on large inputs with 2+ numba threads; same values, same argmaxes."""
    from minitorch._backends.cpu import conv_kernels as K
    rng = np.random.default_rng(0)
    x = rng.standard_normal((300, 30, 30)).astype(np.float32)
    x[0, :3, :3] = np.nan
    x[1, :4, :4] = 1.0  # ties: the first maximum wins
    args = (3, 3, 2, 2, 1, 1, 1, 1, np.float32(-np.inf))
    out_s, idx_s = np.empty((300, 15, 15), np.float32), np.empty((300, 15, 15), np.int64)
    out_p, idx_p = np.empty_like(out_s), np.empty_like(idx_s)
    K.max_pool2d(x, *args, out_s, idx_s)
    K.max_pool2d_parallel(x, *args, out_p, idx_p)
    np.testing.assert_array_equal(out_p, out_s)
    np.testing.assert_array_equal(idx_p, idx_s)
    grad = rng.standard_normal((300, 225)).astype(np.float32)
    back_s, back_p = np.zeros((300, 900), np.float32), np.zeros((300, 900), np.float32)
    K.max_pool2d_backward(grad, idx_s.reshape(300, 225), back_s)
    K.max_pool2d_backward_parallel(grad, idx_s.reshape(300, 225), back_p)
    np.testing.assert_array_equal(back_p, back_s)


def test_every_other_parallel_twin_equals_its_serial_kernel():
    """The twins run only above their kernels' minimum work (parallel.py), which few tests
    reach: called directly here on small inputs, they must give the serial kernels' bits
    (tests/test_parallel_kernels.py checks them through the op table)."""
    from minitorch._backends.cpu import conv_kernels as K
    from minitorch._backends.cpu import kernels
    rng = np.random.default_rng(1)
    v = rng.standard_normal(10_001).astype(np.float32)
    v[:3] = [np.nan, -0.0, 0.0]
    g = rng.standard_normal(v.size).astype(np.float32)
    for serial, parallel, args in ((kernels.relu, kernels.relu_parallel, (v,)),
                                   (kernels.relu_backward, kernels.relu_backward_parallel, (g, v))):
        a, b = np.empty_like(v), np.empty_like(v)
        serial(*args, a)
        parallel(*args, b)
        np.testing.assert_array_equal(a, b)
        assert np.array_equal(np.signbit(a), np.signbit(b))
    x = rng.standard_normal((6, 3, 9, 8)).astype(np.float32)
    conv = (3, 2, 2, 1, 1, 2, 1, 1)  # kh kw sh sw ph pw dh dw
    oh, ow = (9 + 2 - 3) // 2 + 1, (8 + 4 - 2) // 1 + 1
    cols_s = np.empty((6, 3 * 3 * 2, oh * ow), np.float32)
    cols_p = np.empty_like(cols_s)
    K.im2col(x, *conv, oh, ow, cols_s)
    K.im2col_parallel(x, *conv, oh, ow, cols_p)
    np.testing.assert_array_equal(cols_p, cols_s)
    back_s, back_p = np.zeros_like(x), np.zeros_like(x)
    K.col2im(cols_s, *conv, oh, ow, back_s)
    K.col2im_parallel(cols_s, *conv, oh, ow, back_p)
    np.testing.assert_array_equal(back_p, back_s)
    batch_s = np.empty((3 * 3 * 2, 6 * oh * ow), np.float32)
    batch_p = np.empty_like(batch_s)
    K.im2col_batch(x, *conv, oh, ow, batch_s)
    K.im2col_batch_parallel(x, *conv, oh, ow, batch_p)
    np.testing.assert_array_equal(batch_p, batch_s)
    planes = x.reshape(18, 9, 8)
    planes[0, 0, :2] = np.nan
    out_s, idx_s = np.empty((18, 4, 4), np.float32), np.empty((18, 4, 4), np.int64)
    out_p, idx_p = np.empty_like(out_s), np.empty_like(idx_s)
    K.max_pool2d_2x2(planes, 2, 2, out_s, idx_s)
    K.max_pool2d_2x2_parallel(planes, 2, 2, out_p, idx_p)
    np.testing.assert_array_equal(out_p, out_s)
    np.testing.assert_array_equal(idx_p, idx_s)
