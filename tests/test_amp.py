"""minitorch.amp: GradScaler against torch's (scale sequence, skipped steps, parameters) and
against a plain float32 run; autocast as a no-op / warning; the deprecated aliases."""
import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitorch
from minitorch import nn, optim
from minitorch.amp import GradScaler

from ._compat import requires_torch, torch
from .strategies import hsettings

INF_STEPS = {2, 3, 7}   # steps whose gradients get an injected inf
NAN_STEPS = {5}


def _ref_scales(init, growth, backoff, interval, steps, bad):
    """The scale after each update, by the rule PyTorch documents (float32 arithmetic)."""
    scale, count, out = np.float32(init), 0, []
    for step in range(steps):
        if step in bad:
            scale, count = np.float32(scale * np.float32(backoff)), 0
        else:
            count += 1
            if count == interval:
                grown = np.float32(scale * np.float32(growth))
                scale = grown if np.isfinite(grown) else scale
                count = 0
        out.append(float(scale))
    return out


def _loop(lib, scaler_cls, steps=10, use_scaler=True, unscale_first=False, init_scale=2.0 ** 6):
    lib.manual_seed(0)
    model = lib.nn.Linear(4, 3)
    opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scaler = scaler_cls("cpu", init_scale=init_scale, growth_interval=2) if use_scaler else None
    x = lib.randn(8, 4)
    y = lib.randn(8, 3)
    scales, skipped = [], []
    for step in range(steps):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        (scaler.scale(loss) if use_scaler else loss).backward()
        with lib.no_grad():
            if step in INF_STEPS:
                model.weight.grad[0, 1] = float("inf")
            if step in NAN_STEPS:
                model.bias.grad[2] = float("nan")
        before = model.weight.detach().clone()
        if use_scaler:
            if unscale_first:
                scaler.unscale_(opt)
            scaler.step(opt)
            scaler.update()
            scales.append(scaler.get_scale())
        elif step not in INF_STEPS | NAN_STEPS:
            opt.step()
        skipped.append(bool((model.weight.detach() == before).all()))
    return model, scales, skipped, scaler


@pytest.mark.parametrize("unscale_first", [False, True])
def test_gradscaler_matches_a_plain_run_that_skips_the_same_steps(unscale_first):
    model, scales, skipped, _ = _loop(minitorch, GradScaler, unscale_first=unscale_first)
    plain, _, plain_skipped, _ = _loop(minitorch, GradScaler, use_scaler=False)
    # powers-of-two scaling is exact in float32: the same parameters bit for bit
    assert np.array_equal(model.weight.detach().numpy(), plain.weight.detach().numpy())
    assert np.array_equal(model.bias.detach().numpy(), plain.bias.detach().numpy())
    assert skipped == plain_skipped == [s in INF_STEPS | NAN_STEPS for s in range(10)]
    assert scales == _ref_scales(2.0 ** 6, 2.0, 0.5, 2, 10, INF_STEPS | NAN_STEPS)


@requires_torch
def test_gradscaler_matches_torch():
    model, scales, skipped, scaler = _loop(minitorch, GradScaler)
    tmodel, tscales, tskipped, tscaler = _loop(torch, torch.amp.GradScaler)
    assert scales == tscales and skipped == tskipped
    assert scaler.state_dict() == tscaler.state_dict()
    np.testing.assert_allclose(model.weight.detach().numpy(), tmodel.weight.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_gradscaler_non_power_of_two_scale_and_growth_cap():
    scaler = GradScaler("cpu", init_scale=3.0, growth_factor=3.0e38, growth_interval=1)
    p = nn.Parameter(minitorch.ones(2))
    opt = optim.SGD([p], lr=1.0)
    (scaler.scale(p.sum())).backward()
    assert p.grad.tolist() == [3.0, 3.0]
    scaler.step(opt)
    # the gradient is multiplied by float32(1/3), as torch does
    assert p.detach().numpy().tolist() == (np.float32(1) - np.float32(3) * np.float32(1 / 3)).repeat(2).tolist()
    scaler.update()  # 3 * 3e38 overflows: the scale stays
    assert scaler.get_scale() == 3.0 and scaler._get_growth_tracker() == 0


def _one_step_scaler(**kw):
    scaler = GradScaler("cpu", **kw)
    p = nn.Parameter(minitorch.ones(3))
    opt = optim.SGD([p], lr=0.5)
    scaler.scale((p * 2).sum()).backward()
    return scaler, opt, p


def test_gradscaler_stage_errors():
    scaler, opt, p = _one_step_scaler()
    scaler.unscale_(opt)
    assert p.grad.tolist() == [2.0, 2.0, 2.0]
    with pytest.raises(RuntimeError, match="unscale_\\(\\) has already been called on this optimizer"):
        scaler.unscale_(opt)
    scaler.step(opt)  # no second unscale
    assert p.detach().tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(RuntimeError, match="unscale_\\(\\) is being called after step\\(\\)"):
        scaler.unscale_(opt)
    with pytest.raises(RuntimeError, match="step\\(\\) has already been called since the last update"):
        scaler.step(opt)
    scaler.update()
    with pytest.raises(AssertionError, match="No inf checks were recorded prior to update"):
        scaler.update()
    with pytest.raises(RuntimeError, match="Closure use is not currently supported"):
        scaler.step(opt, closure=lambda: 0.0)
    fresh = GradScaler("cpu")
    with pytest.raises(AssertionError, match="Attempted step but _scale is None"):
        fresh.step(opt)
    with pytest.raises(AssertionError, match="growth factor must be > 1.0"):
        GradScaler("cpu", growth_factor=1.0)
    with pytest.raises(AssertionError, match="backoff factor must be < 1.0"):
        GradScaler("cpu", backoff_factor=1.0)


def test_gradscaler_step_returns_the_optimizers_result_and_none_when_skipped():
    scaler, opt, p = _one_step_scaler()
    assert scaler.step(opt, lambda: 7.5) == 7.5   # SGD.step(closure) returns the closure's loss
    scaler.update()
    opt.zero_grad()
    scaler.scale((p * float("inf")).sum()).backward()
    assert scaler.step(opt, lambda: 7.5) is None
    scaler.update()
    assert scaler.get_scale() == 2.0 ** 15


def test_gradscaler_no_grads_is_an_error():
    scaler = GradScaler("cpu")
    scaler.scale(minitorch.ones(()))
    opt = optim.SGD([nn.Parameter(minitorch.ones(2))], lr=0.1)
    with pytest.raises(AssertionError, match="No inf checks were recorded for this optimizer"):
        scaler.step(opt)


def test_gradscaler_scale_iterables_and_bad_outputs():
    scaler = GradScaler("cpu", init_scale=4.0)
    a, b = minitorch.tensor([1.0, 2.0]), minitorch.tensor(3.0)
    out = scaler.scale([a, (b, a)])
    assert isinstance(out, list) and isinstance(out[1], tuple)
    assert out[0].tolist() == [4.0, 8.0] and out[1][0].item() == 12.0
    gen = scaler.scale(x for x in (a, b))
    assert [t.tolist() for t in gen] == [[4.0, 8.0], 12.0]
    with pytest.raises(ValueError, match="outputs must be a Tensor or an iterable of Tensors"):
        scaler.scale([a, 3])
    assert scaler.scale(b).shape == ()


def test_gradscaler_update_new_scale_and_setters():
    scaler, opt, _ = _one_step_scaler()
    scaler.step(opt)
    scaler.update(new_scale=8.0)
    assert scaler.get_scale() == 8.0
    scaler.update(new_scale=minitorch.tensor([32.0]))
    assert scaler.get_scale() == 32.0
    with pytest.raises(AssertionError, match="new_scale should be a float or a 1-element"):
        scaler.update(new_scale=minitorch.ones(2))
    scaler.set_growth_factor(4.0)
    scaler.set_backoff_factor(0.25)
    scaler.set_growth_interval(7)
    assert (scaler.get_growth_factor(), scaler.get_backoff_factor(), scaler.get_growth_interval()) == (4.0, 0.25, 7)


def test_gradscaler_state_dict_roundtrip_and_pickle():
    scaler, opt, _ = _one_step_scaler(init_scale=2.0 ** 10, growth_interval=5)
    scaler.step(opt)
    scaler.update()
    state = scaler.state_dict()
    assert state == {"scale": 1024.0, "growth_factor": 2.0, "backoff_factor": 0.5, "growth_interval": 5,
                     "_growth_tracker": 1}
    other = GradScaler("cpu")
    other.load_state_dict(state)
    assert other.state_dict() == state
    assert pickle.loads(pickle.dumps(scaler)).state_dict() == state
    with pytest.raises(RuntimeError, match="The source state dict is empty"):
        other.load_state_dict({})


@requires_torch
def test_gradscaler_state_dict_keys_match_torch():
    t = torch.amp.GradScaler("cpu")
    assert GradScaler("cpu").state_dict() == t.state_dict()
    assert GradScaler("cpu", enabled=False).state_dict() == torch.amp.GradScaler("cpu", enabled=False).state_dict()


def test_disabled_gradscaler_is_a_pass_through():
    scaler = GradScaler("cpu", enabled=False)
    loss = minitorch.tensor(2.0)
    assert scaler.scale(loss) is loss
    p = nn.Parameter(minitorch.ones(2))
    p.grad = minitorch.tensor([1.0, float("inf")])
    opt = optim.SGD([p], lr=1.0)
    assert scaler.step(opt, lambda: 1.25) == 1.25      # steps even with an inf: no checks
    assert p.detach().tolist()[0] == 0.0
    scaler.unscale_(opt)
    scaler.update()
    assert (scaler.get_scale(), scaler.is_enabled(), scaler.state_dict()) == (1.0, False, {})


def test_cuda_gradscaler_without_cuda_warns_and_disables(no_cuda):
    with pytest.warns(UserWarning, match="GradScaler is enabled, but CUDA is not available.  Disabling."):
        scaler = GradScaler()
    assert not scaler.is_enabled()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        legacy = minitorch.cuda.amp.GradScaler(init_scale=8.0)
    assert [w.category for w in caught] == [FutureWarning, UserWarning]
    assert "`torch.cuda.amp.GradScaler(args...)` is deprecated" in str(caught[0].message)
    assert isinstance(legacy, GradScaler) and not legacy.is_enabled()


# ----- autocast ------------------------------------------------------------------------------
def test_autocast_disabled_is_a_no_op():
    minitorch.manual_seed(1)
    lin = nn.Linear(3, 2)
    x = minitorch.randn(4, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with minitorch.autocast("cpu", enabled=False) as ctx:
            out = lin(x)
            assert not minitorch.is_autocast_enabled("cpu")
        with minitorch.amp.autocast(device_type="cuda", dtype=minitorch.float16, enabled=False):
            out2 = lin(x)
    assert isinstance(ctx, minitorch.amp.autocast) and minitorch.autocast is minitorch.amp.autocast
    assert out.dtype == minitorch.float32
    assert np.array_equal(out.detach().numpy(), lin(x).detach().numpy())
    assert np.array_equal(out2.detach().numpy(), lin(x).detach().numpy())


def test_autocast_enabled_warns_and_runs_in_float32():
    with pytest.warns(UserWarning, match="In CPU autocast, but the target dtype is not supported. Disabling autocast"):
        region = minitorch.autocast("cpu", dtype=minitorch.float16)
    with region:
        assert not minitorch.is_autocast_enabled("cpu")
        assert (minitorch.ones(2, 2) @ minitorch.ones(2, 2)).dtype == minitorch.float32

    @minitorch.autocast("cpu", enabled=False)
    def f(x):
        return x * 2, minitorch.is_autocast_enabled("cpu")
    assert f(minitorch.ones(1))[0].tolist() == [2.0]


def test_cuda_autocast_without_cuda_warns_as_torch(no_cuda):
    with pytest.warns(UserWarning, match="CUDA is not available or torch_xla is imported. Disabling autocast."):
        with minitorch.autocast("cuda"):
            assert not minitorch.is_autocast_enabled()


def test_autocast_bad_arguments_as_torch():
    with pytest.raises(ValueError, match="Expected `device_type` of type `str`"):
        minitorch.autocast(0)
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda"):
        minitorch.autocast("foo")
    with pytest.raises(RuntimeError, match="unsupported autocast device_type 'mps'"):
        minitorch.autocast("mps")
    with pytest.raises(TypeError, match="must be bool, not int"):
        with minitorch.autocast("cpu", enabled=0):
            pass
    with pytest.raises(TypeError, match="requires a callable"):
        minitorch.autocast("cpu", enabled=False)(3)
    assert minitorch.amp.is_autocast_available("cpu") and not minitorch.amp.is_autocast_available("mps")


@requires_torch
def test_autocast_errors_and_warnings_match_torch_types():
    for args in [(0,), ("foo",)]:
        with pytest.raises(Exception) as theirs:
            torch.autocast(*args)
        with pytest.raises(type(theirs.value)):
            minitorch.autocast(*args)
    with warnings.catch_warnings(record=True) as ws:
        warnings.simplefilter("always")
        torch.autocast("cpu", dtype=torch.float64)
        minitorch.autocast("cpu", dtype=minitorch.float64)
    assert [w.category for w in ws] == [UserWarning, UserWarning]
    assert str(ws[1].message).split("\n")[0] == str(ws[0].message).split("\n")[0]


def test_deprecated_autocast_aliases_warn():
    with pytest.warns(FutureWarning, match=r"Please use `torch.amp.autocast\('cpu', args...\)` instead"):
        ctx = minitorch.cpu.amp.autocast(enabled=False)
    assert isinstance(ctx, minitorch.amp.autocast)
    with pytest.warns(FutureWarning, match=r"Please use `torch.amp.autocast\('cuda', args...\)` instead"):
        minitorch.cuda.amp.autocast(enabled=False)
    from minitorch.cpu.amp import autocast as cpu_autocast  # importable as torch's
    from minitorch.cuda.amp import GradScaler as LegacyScaler
    assert LegacyScaler is minitorch.cuda.amp.GradScaler and issubclass(LegacyScaler, GradScaler)
    assert cpu_autocast is minitorch.cpu.amp.autocast and minitorch.cpu.is_available()


def test_no_bfloat16_on_any_device():
    assert minitorch.cuda.is_bf16_supported() is False
    assert minitorch.cuda.is_bf16_supported(including_emulation=False) is False


def test_custom_fwd_bwd_run_the_function_unchanged():
    class Square(minitorch.autograd.Function):
        @staticmethod
        @minitorch.amp.custom_fwd(device_type="cpu", cast_inputs=minitorch.float32)
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @minitorch.amp.custom_bwd(device_type="cpu")
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = minitorch.tensor([1.5, -2.0], requires_grad=True)
    Square.apply(x).sum().backward()
    assert x.grad.tolist() == [3.0, -4.0]
    with pytest.raises(ValueError, match="Expected `device_type` of type `str`"):
        minitorch.amp.custom_fwd(device_type=None)
    with pytest.warns(FutureWarning, match=r"torch.cuda.amp.custom_fwd\(args...\)` is deprecated"):
        minitorch.cuda.amp.custom_fwd(lambda ctx, x: x)



def _scale_run(lib, scaler, bad, steps):
    p = lib.nn.Parameter(lib.ones(2))
    opt = lib.optim.SGD([p], lr=0.01)
    scales, ran = [], []
    for step in range(steps):
        opt.zero_grad()
        scaler.scale((p * p).sum()).backward()
        if step in bad:
            with lib.no_grad():
                p.grad[1] = float("inf") if step % 2 else float("nan")
        ran.append(scaler.step(opt, lambda: 1.0) is not None)
        scaler.update()
        scales.append(scaler.get_scale())
    return scales, ran, scaler.state_dict()


@hsettings(max_examples=15)
@given(init_exp=st.integers(-4, 24), growth=st.sampled_from([2.0, 4.0, 1.5]),
       backoff=st.sampled_from([0.5, 0.25, 0.75]), interval=st.integers(1, 4),
       bad=st.sets(st.integers(0, 11), max_size=6))
def test_scale_sequence_property(init_exp, growth, backoff, interval, bad):
    kw = dict(init_scale=2.0 ** init_exp, growth_factor=growth, backoff_factor=backoff, growth_interval=interval)
    scales, ran, state = _scale_run(minitorch, GradScaler("cpu", **kw), bad, 12)
    assert scales == _ref_scales(2.0 ** init_exp, growth, backoff, interval, 12, bad)
    assert ran == [s not in bad for s in range(12)]
    if torch is not None:
        assert (scales, ran, state) == _scale_run(torch, torch.amp.GradScaler("cpu", **kw), bad, 12)
