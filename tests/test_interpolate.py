"""F.interpolate (nearest, nearest-exact, linear, bilinear, bicubic, trilinear, area), the
deprecated F.upsample* and the Upsample modules: values and gradients against PyTorch over
sizes, scale factors, align_corners and recompute_scale_factor (non-contiguous inputs too),
against NumPy references and central differences without it; nodes, errors, reprs."""
import warnings

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

MODES = {"nearest": (3, 4, 5), "nearest-exact": (3, 4, 5), "linear": (3,), "bilinear": (4,), "bicubic": (4,),
         "trilinear": (5,), "area": (3, 4)}
TOL = {"float32": dict(rtol=1e-5, atol=1e-5), "float64": dict(rtol=1e-12, atol=1e-12)}


def _arr(shape, dtype="float64", seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


@st.composite
def interpolate_cases(draw):
    mode = draw(st.sampled_from(sorted(MODES)))
    ndim = draw(st.sampled_from(MODES[mode]))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) + tuple(
        draw(st.integers(1, 6)) for _ in range(ndim - 2))
    kwargs = {"mode": mode}
    if draw(st.booleans()):
        size = tuple(draw(st.integers(1, 9)) for _ in range(ndim - 2))
        kwargs["size"] = size if draw(st.booleans()) or len(set(size)) > 1 else size[0]
    else:
        factors = st.sampled_from([0.5, 0.7, 1.0, 1.5, 2.0, 2.5, 3.0, 1 / 3])
        scale = tuple(draw(factors) for _ in range(ndim - 2))
        if any(int(s * f) < 1 for s, f in zip(shape[2:], scale)):
            scale = tuple(max(f, 1.0) for f in scale)
        kwargs["scale_factor"] = scale if draw(st.booleans()) or len(set(scale)) > 1 else scale[0]
        if mode != "area":
            kwargs["recompute_scale_factor"] = draw(st.sampled_from([None, True, False]))
    if mode in ("linear", "bilinear", "bicubic", "trilinear"):
        kwargs["align_corners"] = draw(st.sampled_from([None, False, True]))
    return shape, kwargs


@requires_torch
@hsettings(max_examples=80)
@given(case=interpolate_cases(), dtype=st.sampled_from(["float32", "float64"]), data=st.data())
def test_interpolate_matches_torch_values_gradients_and_nodes(case, dtype, data):
    shape, kwargs = case
    x = _arr(shape, dtype)
    xm = data.draw(layout_of(x)).requires_grad_()
    xt = torch.tensor(x, requires_grad=True)
    om, ot = F.interpolate(xm, **kwargs), torch.nn.functional.interpolate(xt, **kwargs)
    assert tuple(om.shape) == tuple(ot.shape)
    if kwargs["mode"] != "area":  # (adaptive_avg_pool2d names its node after avg_pool2d when windows are even)
        assert type(om.grad_fn).__name__ == type(ot.grad_fn).__name__
    np.testing.assert_allclose(om.detach().numpy(), ot.detach().numpy(), **TOL[dtype])
    g = _arr(tuple(ot.shape), dtype, 1)
    om.backward(minitorch.tensor(g))
    ot.backward(torch.tensor(g))
    np.testing.assert_allclose(xm.grad.numpy(), xt.grad.numpy(), **TOL[dtype])


@requires_torch
@pytest.mark.parametrize("size_in,size_out", [(3, 7), (5, 8), (7, 3), (10, 21), (9, 14), (33, 100), (100, 33)])
def test_nearest_picks_torchs_source_rows_exactly(size_in, size_out):
    """The float32 index arithmetic of ATen's nearest kernels, including sizes where rounding
    decides the row."""
    x = np.arange(size_in, dtype=np.float32).reshape(1, 1, size_in)
    for mode in ("nearest", "nearest-exact"):
        for kwargs in (dict(size=size_out), dict(scale_factor=size_out / size_in)):
            got = F.interpolate(minitorch.tensor(x), mode=mode, **kwargs).numpy()
            want = torch.nn.functional.interpolate(torch.tensor(x), mode=mode, **kwargs).numpy()
            np.testing.assert_array_equal(got, want)


def test_nearest_x2_repeats_each_pixel_and_its_gradient_sums_the_block():
    x = minitorch.tensor(_arr((2, 3, 4, 5)), requires_grad=True)
    out = F.interpolate(x, scale_factor=2)
    np.testing.assert_array_equal(out.detach().numpy(), x.detach().numpy().repeat(2, 2).repeat(2, 3))
    g = _arr((2, 3, 8, 10), seed=1)
    out.backward(minitorch.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), g.reshape(2, 3, 4, 2, 5, 2).sum((3, 5)), rtol=1e-13)


def test_linear_align_corners_equals_numpy_interp():
    x = _arr((2, 3, 6))
    out = F.interpolate(minitorch.tensor(x), size=11, mode="linear", align_corners=True).numpy()
    grid = np.linspace(0, 5, 11)
    want = np.stack([[np.interp(grid, np.arange(6), row) for row in plane] for plane in x])
    np.testing.assert_allclose(out, want, rtol=1e-12, atol=1e-12)
    out = F.interpolate(minitorch.tensor(x), scale_factor=2, mode="linear").numpy()  # half-pixel centres
    grid = np.clip((np.arange(12) + 0.5) / 2 - 0.5, 0, 5)
    want = np.stack([[np.interp(grid, np.arange(6), row) for row in plane] for plane in x])
    np.testing.assert_allclose(out, want, rtol=1e-12, atol=1e-12)


def test_bilinear_is_linear_along_each_axis():
    x = _arr((1, 2, 4, 5))
    both = F.interpolate(minitorch.tensor(x), size=(7, 9), mode="bilinear", align_corners=True)
    rows = F.interpolate(minitorch.tensor(x.transpose(0, 1, 3, 2).reshape(1, 10, 4)), size=7, mode="linear",
                         align_corners=True).numpy().reshape(1, 2, 5, 7).transpose(0, 1, 3, 2)
    cols = F.interpolate(minitorch.tensor(rows.reshape(1, 14, 5)), size=9, mode="linear", align_corners=True)
    np.testing.assert_allclose(both.numpy(), cols.numpy().reshape(1, 2, 7, 9), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape,kwargs", [
    ((1, 2, 3, 4), dict(scale_factor=2, mode="nearest")),
    ((1, 2, 5), dict(size=7, mode="nearest-exact")),
    ((1, 2, 4), dict(scale_factor=1.5, mode="linear")),
    ((1, 2, 3, 4), dict(size=(5, 3), mode="bilinear", align_corners=True)),
    ((1, 2, 3, 4), dict(scale_factor=1.7, mode="bicubic")),
    ((1, 1, 2, 3, 2), dict(scale_factor=2, mode="trilinear")),
])
def test_interpolate_gradchecks_first_and_second_order(shape, kwargs):
    x = minitorch.tensor(_arr(shape), requires_grad=True)
    assert gradcheck(lambda x: F.interpolate(x, **kwargs), (x,))

    def second(x):
        with minitorch.enable_grad():
            y = F.interpolate(x, **kwargs)
            (g,) = minitorch.autograd.grad((y * y * y).sum(), (x,), create_graph=True)
        return (g * g).sum()
    assert gradcheck(second, (x,))


_ERRORS = [
    ((1, 2, 4, 4), dict(scale_factor=2, align_corners=True)),
    ((1, 2, 4, 4), dict(size=3, scale_factor=2)),
    ((1, 2, 4, 4), dict(size=(3, 4, 5))),
    ((1, 2, 4, 4), dict(size=(3.0, 4))),
    ((1, 2, 4, 4), dict(scale_factor=(2, 2, 2))),
    ((1, 2, 4, 4), {}),
    ((1, 2, 4, 4), dict(size=3, recompute_scale_factor=True)),
    ((1, 2, 4, 4), dict(size=3, mode="bilinear", antialias=True, align_corners=False) | dict(mode="nearest")),
    ((1, 2, 4), dict(size=3, mode="bilinear")),
    ((1, 2, 4, 4), dict(size=3, mode="linear")),
    ((1, 2, 4, 4), dict(size=3, mode="trilinear")),
    ((1, 2, 4, 4, 4), dict(size=3, mode="bilinear")),
    ((1, 2, 4, 4), dict(size=3, mode="foo")),
    ((2, 4), dict(size=3)),
    ((1, 2, 4, 4), dict(size=0)),
    ((1, 2, 4, 4), dict(scale_factor=0.1, mode="bilinear")),
    ((1, 2, 4), dict(size=0, mode="linear")),
    ((1, 2, 3, 4, 5), dict(size=(2, 0, 1))),
    ((1, 2, 4, 4), dict(size=3, mode="lanczos")),
    ((1, 0, 4, 2), dict(size=(3, 1), mode="bilinear")),
    ((1, 0, 4), dict(size=3)),
    ((1, 2, 4), dict(size=2, mode="nearest", dtype="int64")),
    ((1, 2, 4), dict(size=2, mode="linear", dtype="int64")),
    ((1, 2, 4), dict(size=2, mode="linear", dtype="uint8")),
    ((1, 2, 4, 5), dict(size=2, mode="bicubic", dtype="int32")),
]


@requires_torch
@pytest.mark.parametrize("shape,kwargs", _ERRORS)
def test_interpolate_errors_match_torch(shape, kwargs):
    kwargs = dict(kwargs)
    x = _arr(shape, "float32").astype(kwargs.pop("dtype", "float32"))
    raises_like(lambda: F.interpolate(minitorch.tensor(x), **kwargs),
                lambda: torch.nn.functional.interpolate(torch.tensor(x), **kwargs))


@requires_torch
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
def test_nearest_modes_take_uint8_images_like_torch(mode):
    x = np.arange(60, dtype=np.uint8).reshape(1, 3, 4, 5)
    got = F.interpolate(minitorch.tensor(x), size=(7, 3), mode=mode)
    want = torch.nn.functional.interpolate(torch.tensor(x), size=(7, 3), mode=mode)
    assert str(got.dtype) == str(want.dtype) == "torch.uint8"
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    with pytest.raises(NotImplementedError, match="uint8"):
        F.interpolate(minitorch.tensor(x), size=(7, 3), mode="bilinear")


def test_an_empty_batch_interpolates_to_an_empty_batch():
    for mode in ("nearest", "bilinear", "bicubic"):
        assert F.interpolate(minitorch.zeros(0, 2, 3, 4), size=(5, 2), mode=mode).shape == (0, 2, 5, 2)


def test_antialias_says_it_is_not_implemented():
    with pytest.raises(NotImplementedError, match="antialias"):
        F.interpolate(minitorch.zeros(1, 1, 4, 4), size=2, mode="bilinear", antialias=True)


@requires_torch
@pytest.mark.parametrize("name,kwargs", [("upsample", dict(scale_factor=2)), ("upsample", dict(size=5, mode="bilinear")),
                                         ("upsample_nearest", dict(size=(3, 7))),
                                         ("upsample_bilinear", dict(scale_factor=1.5))])
def test_deprecated_upsample_functions_warn_and_interpolate_like_torch(name, kwargs):
    x = _arr((1, 2, 3, 4), "float32")
    with pytest.warns(UserWarning, match=f"`nn.functional.{name}` is deprecated"):
        got = getattr(F, name)(minitorch.tensor(x), **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = getattr(torch.nn.functional, name)(torch.tensor(x), **kwargs)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6, atol=1e-6)


_MODULES = [
    lambda nn: nn.Upsample(scale_factor=2),
    lambda nn: nn.Upsample(scale_factor=(2, 1.5), mode="bilinear", align_corners=True),
    lambda nn: nn.Upsample(size=(3, 7), mode="bicubic"),
    lambda nn: nn.Upsample(size=5, mode="nearest-exact"),
    lambda nn: nn.Upsample(scale_factor=1.7, mode="bilinear", recompute_scale_factor=True),
    lambda nn: nn.UpsamplingNearest2d(scale_factor=2),
    lambda nn: nn.UpsamplingNearest2d(size=(5, 6)),
    lambda nn: nn.UpsamplingBilinear2d(size=3),
    lambda nn: nn.UpsamplingBilinear2d(scale_factor=2),
]


@requires_torch
@pytest.mark.parametrize("make", _MODULES)
def test_upsample_modules_match_torch(make):
    m, t = make(nn), make(torch.nn)
    assert repr(m) == repr(t)
    assert list(m.state_dict()) == []
    x = _arr((2, 3, 4, 5), "float32")
    xm, xt = minitorch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    om, ot = m(xm), t(xt)
    np.testing.assert_allclose(om.detach().numpy(), ot.detach().numpy(), rtol=1e-5, atol=1e-5)
    (om * om).sum().backward()
    (ot * ot).sum().backward()
    np.testing.assert_allclose(xm.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-5)
