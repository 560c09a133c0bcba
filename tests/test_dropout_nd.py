"""Channel-wise dropout (F.dropout1d/2d/3d, nn.Dropout1d/2d/3d) and alpha dropout
(F.alpha_dropout, F.feature_alpha_dropout, nn.AlphaDropout, nn.FeatureAlphaDropout).

The noise is PyTorch's: bernoulli_(1 - p) on an (N, C, 1, ..) tensor (or the input's shape
for alpha dropout), so the same seed must give the same output, bit for bit, as torch.
Without torch the tests rebuild that noise from minitorch's own bernoulli_ (itself checked
against torch's generator in test_random.py)."""
import importlib.util
import math
import os
import warnings

import numpy as np
import pytest

import minitorch
import minitorch.nn as nn
import minitorch.nn.functional as F
from tests._compat import requires_torch, torch

FEATURE = [("dropout1d", (4, 6, 5)), ("dropout1d", (6, 5)), ("dropout2d", (4, 6, 3, 3)),
           ("dropout2d", (6, 4, 5)), ("dropout3d", (2, 5, 2, 3, 2)), ("dropout3d", (5, 2, 3, 2))]
PS = [0.1, 0.3, 0.5, 0.7, 0.123]


def _input(shape, dtype="float32", seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def _oracle():
    """tests/reference/torch_cpu_rng.py: torch's CPU generator in NumPy."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference", "torch_cpu_rng.py")
    spec = importlib.util.spec_from_file_location("torch_cpu_rng", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _channel_dropout_reference(x, p, batched, seed):
    """torch's feature dropout from its definition and the NumPy oracle of its generator:
    noise (N, C, 1, ...) = bernoulli(1 - p) (a float64 uniform < 1 - p per channel), then
    noise / (1 - p) in x's dtype, and x * noise. Returns (output, noise, the next rand(3))."""
    ref = _oracle()
    ref.manual_seed(seed)
    xb = x if batched else x[None]
    channels = xb.shape[0] * xb.shape[1]
    keep = ref._uniform_f64(ref._gen, channels) < 1 - p
    noise = keep.astype(x.dtype) / x.dtype.type(1 - p)
    noise = noise.reshape(xb.shape[:2] + (1,) * (xb.ndim - 2))
    out = xb * noise
    noise = np.broadcast_to(noise, xb.shape)
    return (out if batched else out[0]), (noise if batched else noise[0]), ref.rand(3)


@pytest.mark.parametrize("fn, shape", FEATURE)
@pytest.mark.parametrize("p", PS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_channel_dropout_draws_torchs_mask_from_the_same_seed(fn, shape, p, dtype):
    x = _input(shape, dtype)
    if torch is None:  # against torch's definition and the NumPy oracle of its generator
        # torch takes a 3-D input to dropout2d as a batch (N, C, L), with a warning
        batched = len(shape) == {"dropout1d": 3, "dropout2d": 4, "dropout3d": 5}[fn] or fn == "dropout2d"
        want, noise, following = _channel_dropout_reference(x, p, batched, seed=7)
        minitorch.manual_seed(7)
        mx = minitorch.tensor(x, requires_grad=True)
        got = _quiet(getattr(F, fn), mx, p)
        np.testing.assert_array_equal(got.detach().numpy(), want)
        g = _input(shape, dtype, seed=1)
        got.backward(minitorch.tensor(g))
        np.testing.assert_array_equal(mx.grad.numpy(), g * noise)
        np.testing.assert_array_equal(minitorch.rand(3).numpy(), following)
        return
    torch.manual_seed(7)
    tx = torch.tensor(x, requires_grad=True)
    expected = _quiet(getattr(torch.nn.functional, fn), tx, p)
    minitorch.manual_seed(7)
    mx = minitorch.tensor(x, requires_grad=True)
    got = _quiet(getattr(F, fn), mx, p)
    np.testing.assert_array_equal(got.detach().numpy(), expected.detach().numpy())
    g = _input(shape, dtype, seed=1)
    expected.backward(torch.tensor(g))
    got.backward(minitorch.tensor(g))
    np.testing.assert_array_equal(mx.grad.numpy(), tx.grad.numpy())
    assert type(got.grad_fn).__name__ == type(expected.grad_fn).__name__  # MulBackward0 (SqueezeBackward1 unbatched)
    # the generator moved on by the same number of draws
    assert torch.rand(3).tolist() == minitorch.rand(3).tolist()


@requires_torch
@pytest.mark.parametrize("fn", ["alpha_dropout", "feature_alpha_dropout"])
@pytest.mark.parametrize("p", PS)
def test_alpha_dropout_draws_torchs_noise_from_the_same_seed(fn, p):
    x = _input((3, 4, 5))
    torch.manual_seed(11)
    expected = getattr(torch.nn.functional, fn)(torch.tensor(x), p, True)
    minitorch.manual_seed(11)
    got = getattr(F, fn)(minitorch.tensor(x), p, True)
    np.testing.assert_array_equal(got.numpy(), expected.numpy())


@requires_torch
@pytest.mark.parametrize("cls", ["Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"])
def test_modules_match_torch_in_training_and_are_the_identity_in_eval(cls):
    shape = {"Dropout1d": (4, 6, 5), "Dropout3d": (2, 5, 2, 3, 2)}.get(cls, (4, 6, 3, 3))
    x = _input(shape)
    torch.manual_seed(3)
    expected = getattr(torch.nn, cls)(0.4)(torch.tensor(x))
    minitorch.manual_seed(3)
    module = getattr(nn, cls)(0.4)
    np.testing.assert_array_equal(module(minitorch.tensor(x)).numpy(), expected.numpy())
    module.eval()
    mx = minitorch.tensor(x)
    assert module(mx) is mx
    assert repr(module) == repr(getattr(torch.nn, cls)(0.4)) == f"{cls}(p=0.4, inplace=False)"


@pytest.mark.parametrize("fn, shape", FEATURE)
@pytest.mark.parametrize("p", [0.25, 0.6])
def test_channel_dropout_is_the_bernoulli_noise_of_one_value_per_channel(fn, shape, p):
    x = _input(shape, seed=5)
    minitorch.manual_seed(21)
    got = _quiet(getattr(F, fn), minitorch.tensor(x), p).numpy()
    # the noise: one bernoulli_(1 - p) draw per (sample, channel), in order
    unbatched = (fn, len(shape)) in (("dropout1d", 2), ("dropout3d", 4))  # dropout2d reads 3-D as (N, C, L)
    batched = x[None] if unbatched else x
    noise_shape = batched.shape[:2] + (1,) * (batched.ndim - 2)
    minitorch.manual_seed(21)
    keep = minitorch.empty(noise_shape).bernoulli_(1 - p).numpy()
    scale = np.float32(1) / np.float32(1 - p)
    expected = (batched * (keep * scale)).reshape(x.shape)
    np.testing.assert_array_equal(got, expected)
    assert 0 < keep.sum() < keep.size  # both outcomes occur for these seeds, so the test can tell


def test_the_share_of_dropped_channels_is_p():
    minitorch.manual_seed(0)
    out = F.dropout2d(minitorch.ones(200, 100, 2, 2), 0.3).numpy()
    per_channel = out.reshape(200, 100, 4)
    assert (per_channel == per_channel[..., :1]).all()  # a channel is dropped or kept as a whole
    dropped = (per_channel[..., 0] == 0).mean()
    assert abs(dropped - 0.3) < 0.01  # 20000 channels: 4.6 standard deviations
    np.testing.assert_array_equal(np.unique(per_channel), np.array([0, np.float32(1) / np.float32(0.7)]))


def test_alpha_dropout_keeps_zero_mean_and_unit_variance():
    minitorch.manual_seed(0)
    x = minitorch.randn(400, 500)
    out = F.alpha_dropout(x, 0.2, training=True).numpy()
    assert abs(out.mean()) < 0.02 and abs(out.std() - 1) < 0.02
    alpha = 1.7580993408473766
    a = 1 / math.sqrt((alpha ** 2 * 0.2 + 1) * 0.8)
    dropped = np.isclose(out, a * 0.2 * alpha - alpha * a, atol=1e-6)  # the SELU saturation value, shifted
    assert abs(dropped.mean() - 0.2) < 0.005


@pytest.mark.parametrize("fn", ["dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"])
def test_p_zero_or_eval_return_the_input_and_p_one_zeroes_everything(fn):
    shape = {"dropout1d": (2, 3, 4), "dropout3d": (2, 3, 2, 2, 2)}.get(fn, (2, 3, 4, 4))
    x = minitorch.randn(*shape)
    assert getattr(F, fn)(x, 0.0, True) is x
    assert getattr(F, fn)(x, 0.5, False) is x
    out = getattr(F, fn)(x, 1.0, True)
    if fn.endswith("alpha_dropout"):
        assert minitorch.isfinite(out).all()
    else:
        assert out.abs().sum().item() == 0 and out.shape == x.shape


@pytest.mark.parametrize("fn, shape", [("dropout1d", (4, 6, 5)), ("dropout1d", (6, 5)), ("dropout2d", (4, 6, 3, 3)),
                                       ("dropout3d", (5, 2, 3, 2))])
def test_inplace_writes_into_the_input_and_returns_it(fn, shape):
    x = _input(shape)
    minitorch.manual_seed(9)
    expected = getattr(F, fn)(minitorch.tensor(x), 0.5).numpy()
    minitorch.manual_seed(9)
    t = minitorch.tensor(x)
    out = getattr(F, fn)(t, 0.5, inplace=True)
    assert out is t
    np.testing.assert_array_equal(t.numpy(), expected)


# ----- PyTorch's warnings and errors ------------------------------------------------------------

WARNINGS = [
    ("dropout2d", (3, 2, 2), "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
     "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. This behavior will "
     "change in a future release to interpret the input as one without a batch dimension, i.e. shape (C, H, W). To "
     "maintain the 1D channel-wise dropout behavior, please switch to using dropout1d instead."),
    ("dropout2d", (3, 2), "dropout2d: Received a 2-D input to dropout2d, which is deprecated and will result in an "
     "error in a future release. To retain the behavior and silence this warning, please use dropout instead. Note "
     "that dropout2d exists to provide channel-wise dropout on inputs with 2 spatial dimensions, a channel "
     "dimension, and an optional batch dimension (i.e. 3D or 4D inputs)."),
    ("dropout3d", (2, 3), "dropout3d: Received a 2-D input to dropout3d, which is deprecated and will result in an "
     "error in a future release. To retain the behavior and silence this warning, please use dropout instead. Note "
     "that dropout3d exists to provide channel-wise dropout on inputs with 3 spatial dimensions, a channel "
     "dimension, and an optional batch dimension (i.e. 4D or 5D inputs)."),
]


@pytest.mark.parametrize("fn, shape, message", WARNINGS)
def test_unexpected_ranks_warn_as_torch_does_and_still_drop_channels(fn, shape, message):
    x = _input(shape)
    with pytest.warns(UserWarning) as record:
        minitorch.manual_seed(1)
        got = getattr(F, fn)(minitorch.tensor(x), 0.5)
    assert [str(w.message) for w in record] == [message]
    assert record[0].filename == __file__  # stacklevel points at the caller
    if torch is not None:
        with pytest.warns(UserWarning) as expected_record:
            torch.manual_seed(1)
            expected = getattr(torch.nn.functional, fn)(torch.tensor(x), 0.5)
        assert [str(w.message) for w in expected_record] == [message]
        np.testing.assert_array_equal(got.numpy(), expected.numpy())


ERRORS = [
    (lambda lib, f: f.dropout1d(lib.ones(1, 2, 3, 4), 0.5), RuntimeError,
     "dropout1d: Expected 2D or 3D input, but received a 4D input. Note that dropout1d exists to provide channel-wise "
     "dropout on inputs with 1 spatial dimension, a channel dimension, and an optional batch dimension (i.e. 2D or "
     "3D inputs)."),
    (lambda lib, f: f.dropout2d(lib.ones(3), 0.5), RuntimeError,
     "Feature dropout requires at least 2 dimensions in the input"),
    (lambda lib, f: f.dropout2d(lib.ones(2, 3, 4, 4), 1.5), ValueError,
     "dropout probability has to be between 0 and 1, but got 1.5"),
    (lambda lib, f: f.alpha_dropout(lib.ones(2, 3), -0.1, True), ValueError,
     "dropout probability has to be between 0 and 1, but got -0.1"),
    (lambda lib, f: lib.nn.Dropout2d(2), ValueError, "dropout probability has to be between 0 and 1, but got 2"),
    (lambda lib, f: lib.nn.AlphaDropout(-1), ValueError, "dropout probability has to be between 0 and 1, but got -1"),
]


@pytest.mark.parametrize("call, exc, message", ERRORS)
def test_bad_input_raises_torchs_error(call, exc, message):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(exc) as info:
            call(minitorch, F)
        assert str(info.value) == message
        if torch is not None:
            with pytest.raises(exc) as expected:
                call(torch, torch.nn.functional)
            assert str(expected.value) == message
