"""minitorch.optim against torch.optim: same trajectories, state, state_dict, reprs and errors.

The trajectory tests give both libraries the same float32 parameters and, at every step,
the same random gradients set directly on ``.grad``, then compare the parameters after
20 steps. The tests below the torch section need only NumPy.
"""
import copy
import itertools
import warnings

import numpy as np
import pytest

import minitorch
from minitorch import optim
from tests._compat import requires_torch, torch

SHAPES = [(5, 7), (3,), (), (2, 3, 4), (33,)]
STEPS = 20
# PyTorch's CPU sqrt is not always correctly rounded, so a parameter can differ from
# minitorch's in its last bit after a step; over 20 steps of RMSprop with momentum that
# grows to a few float32 ulps (measured up to 2.3e-6 relative).
RTOL, ATOL = 1e-5, 1e-6


def _options(**choices):
    """Every combination of the given option values, as keyword dicts."""
    names = list(choices)
    return [dict(zip(names, values)) for values in itertools.product(*choices.values())]


def _sgd_cases():
    cases = _options(lr=[0.1], momentum=[0, 0.9], dampening=[0, 0.5], nesterov=[False, True],
                     weight_decay=[0, 0.1], maximize=[False, True])
    return [c for c in cases if not c["nesterov"] or (c["momentum"] > 0 and c["dampening"] == 0)]


CASES = (
    [("SGD", c) for c in _sgd_cases()]
    + [("Adam", c) for c in _options(lr=[0.01], amsgrad=[False, True], weight_decay=[0, 0.1],
                                      maximize=[False, True], decoupled_weight_decay=[False, True])]
    + [("Adam", {"betas": (0.5, 0.9), "eps": 1e-3})]
    + [("AdamW", c) for c in _options(lr=[0.01], amsgrad=[False, True], weight_decay=[0, 0.1],
                                       maximize=[False, True])]
    + [("Adadelta", c) for c in _options(lr=[1.0, 0.3], weight_decay=[0, 0.1], maximize=[False, True])]
    + [("RMSprop", c) for c in _options(lr=[0.01], centered=[False, True], momentum=[0, 0.9],
                                         weight_decay=[0, 0.1], maximize=[False, True])]
    + [("RMSprop", {"alpha": 0.3})]  # 1 - alpha >= 0.5: lerp from the other end
)


def _case_id(case):
    name, kwargs = case
    return name + "(" + ",".join(f"{k}={v}" for k, v in kwargs.items()) + ")"


def _twin_params(rng, shapes=SHAPES, dtype=np.float32):
    """The same random leaf tensors in minitorch and torch."""
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    mt = [minitorch.tensor(a.copy(), requires_grad=True) for a in arrays]
    th = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    return mt, th


def _set_twin_grads(rng, mt, th, skip=()):
    for i, (a, b) in enumerate(zip(mt, th)):
        if i in skip:
            continue
        g = rng.standard_normal(tuple(a.shape)).astype(a.detach().numpy().dtype)
        a.grad = minitorch.tensor(g.copy())
        b.grad = torch.tensor(g.copy())


def _run_twins(rng, mt_opt, th_opt, mt, th, steps=STEPS, skip=()):
    for _ in range(steps):
        _set_twin_grads(rng, mt, th, skip)
        mt_opt.step()
        th_opt.step()


def _assert_same(mt_tensor, th_tensor, rtol=RTOL, atol=ATOL):
    actual, expected = mt_tensor.detach().numpy(), th_tensor.detach().numpy()
    assert actual.dtype == expected.dtype and actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


def _assert_same_state(mt_opt, th_opt):
    """Both state_dicts: same ids, keys, group options, and state values."""
    ms, ts = mt_opt.state_dict(), th_opt.state_dict()
    assert ms["param_groups"] == ts["param_groups"]
    assert ms["state"].keys() == ts["state"].keys()
    for pid in ts["state"]:
        assert list(ms["state"][pid]) == list(ts["state"][pid])
        for key, expected in ts["state"][pid].items():
            actual = ms["state"][pid][key]
            if key == "step":
                assert actual.shape == () and actual.dtype is minitorch.float32
                assert actual.item() == expected.item()
            else:
                _assert_same(actual, expected)


# ----- against torch -----------------------------------------------------------------------

@requires_torch
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_trajectory_matches_torch(case):
    name, kwargs = case
    rng = np.random.default_rng(0)
    mt, th = _twin_params(rng)
    mt_opt, th_opt = getattr(optim, name)(mt, **kwargs), getattr(torch.optim, name)(th, **kwargs)
    _run_twins(rng, mt_opt, th_opt, mt, th)
    for a, b in zip(mt, th):
        _assert_same(a, b)
    _assert_same_state(mt_opt, th_opt)


@requires_torch
@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adadelta", "RMSprop"])
def test_float64_trajectory_matches_torch(name):
    rng = np.random.default_rng(1)
    mt, th = _twin_params(rng, dtype=np.float64)
    kwargs = {"momentum": 0.9} if name in ("SGD", "RMSprop") else {}
    mt_opt, th_opt = getattr(optim, name)(mt, **kwargs), getattr(torch.optim, name)(th, **kwargs)
    _run_twins(rng, mt_opt, th_opt, mt, th)
    for a, b in zip(mt, th):
        _assert_same(a, b, rtol=1e-12, atol=1e-12)


@requires_torch
@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_non_contiguous_parameter_is_updated_in_place(name):
    base = np.random.default_rng(2).standard_normal((4, 6)).astype(np.float32)
    mt = minitorch.tensor(base.copy()).t().detach().requires_grad_()
    th = torch.tensor(base.copy()).t().detach().requires_grad_()
    assert not mt.is_contiguous()
    kwargs = {"lr": 0.1, "momentum": 0.9} if name != "Adam" else {}
    mt_opt, th_opt = getattr(optim, name)([mt], **kwargs), getattr(torch.optim, name)([th], **kwargs)
    data = mt._data
    _run_twins(np.random.default_rng(3), mt_opt, th_opt, [mt], [th], steps=5)
    assert mt._data is data
    _assert_same(mt, th)


@requires_torch
def test_param_groups_with_their_own_options_match_torch():
    rng = np.random.default_rng(4)
    mt, th = _twin_params(rng)
    groups = lambda ps: [{"params": ps[:2], "lr": 0.1, "momentum": 0.5},  # noqa: E731
                         {"params": ps[2:], "nesterov": True}]
    mt_opt = optim.SGD(groups(mt), lr=0.01, momentum=0.9)
    th_opt = torch.optim.SGD(groups(th), lr=0.01, momentum=0.9)
    assert repr(mt_opt) == repr(th_opt)
    _run_twins(rng, mt_opt, th_opt, mt, th)
    for a, b in zip(mt, th):
        _assert_same(a, b)
    _assert_same_state(mt_opt, th_opt)


@requires_torch
def test_add_param_group_matches_torch():
    rng = np.random.default_rng(5)
    mt, th = _twin_params(rng)
    mt_opt, th_opt = optim.Adam(mt[:2], lr=0.01), torch.optim.Adam(th[:2], lr=0.01)
    _run_twins(rng, mt_opt, th_opt, mt, th, steps=3)
    mt_opt.add_param_group({"params": mt[2:], "lr": 0.05, "amsgrad": True})
    th_opt.add_param_group({"params": th[2:], "lr": 0.05, "amsgrad": True})
    _run_twins(rng, mt_opt, th_opt, mt, th, steps=5)
    for a, b in zip(mt, th):
        _assert_same(a, b)
    _assert_same_state(mt_opt, th_opt)
    assert repr(mt_opt) == repr(th_opt)


@requires_torch
@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adadelta", "RMSprop"])
def test_params_without_grad_are_skipped_as_in_torch(name):
    rng = np.random.default_rng(6)
    mt, th = _twin_params(rng)
    kwargs = {"momentum": 0.9} if name in ("SGD", "RMSprop") else {}
    mt_opt, th_opt = getattr(optim, name)(mt, **kwargs), getattr(torch.optim, name)(th, **kwargs)
    before = mt[1].detach().numpy().copy()
    _run_twins(rng, mt_opt, th_opt, mt, th, steps=3, skip=(1,))
    np.testing.assert_array_equal(mt[1].detach().numpy(), before)
    assert mt[1] not in mt_opt.state
    _assert_same_state(mt_opt, th_opt)


@requires_torch
@pytest.mark.parametrize("name, kwargs", [
    ("SGD", {}), ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("Adam", {}), ("Adam", {"amsgrad": True, "betas": (0.8, 0.99), "eps": 1e-6}),
    ("AdamW", {}), ("Adadelta", {}), ("RMSprop", {}), ("RMSprop", {"centered": True}),
])
def test_repr_matches_torch(name, kwargs):
    mt, th = _twin_params(np.random.default_rng(7), shapes=[(2,)])
    assert repr(getattr(optim, name)(mt, **kwargs)) == repr(getattr(torch.optim, name)(th, **kwargs))


@requires_torch
def test_repr_of_several_groups_matches_torch():
    mt, th = _twin_params(np.random.default_rng(8), shapes=[(2,), (3,)])
    mt_opt = optim.RMSprop([{"params": [mt[0]]}, {"params": [mt[1]], "lr": 0.5}])
    th_opt = torch.optim.RMSprop([{"params": [th[0]]}, {"params": [th[1]], "lr": 0.5}])
    assert repr(mt_opt) == repr(th_opt)


@requires_torch
@pytest.mark.parametrize("name, kwargs", [
    ("SGD", {"lr": 0.1, "momentum": 0.9}), ("Adam", {"amsgrad": True}), ("AdamW", {}),
    ("Adadelta", {}), ("RMSprop", {"centered": True, "momentum": 0.5}),
])
def test_loading_torchs_state_dict_continues_torchs_trajectory(name, kwargs):
    """The state_dict layouts are the same: torch's state, converted tensor by tensor,
    loads into minitorch and the run goes on exactly as torch's does."""
    check_torchs_state_dict_continues(name, kwargs, np.random.default_rng(9), _assert_same_state)


def check_torchs_state_dict_continues(name, kwargs, rng, assert_same_state):
    """Seven torch steps, torch's state_dict converted and loaded into minitorch's optimizer
    (built with a wrong lr that the load must replace), then ten steps side by side."""
    mt, th = _twin_params(rng)
    th_opt = getattr(torch.optim, name)(th, **kwargs)
    for _ in range(7):
        _set_twin_grads(rng, mt, th)
        th_opt.step()
    for a, b in zip(mt, th):
        a.data = minitorch.tensor(b.detach().numpy().copy())
    saved = th_opt.state_dict()
    converted = {
        "state": {pid: {k: minitorch.tensor(v.numpy().copy()) for k, v in s.items()}
                  for pid, s in saved["state"].items()},
        "param_groups": copy.deepcopy(saved["param_groups"]),
    }
    mt_opt = getattr(optim, name)(mt, lr=123.0)
    mt_opt.load_state_dict(converted)
    assert repr(mt_opt) == repr(th_opt)
    _run_twins(rng, mt_opt, th_opt, mt, th, steps=10)
    for a, b in zip(mt, th):
        _assert_same(a, b)
    assert_same_state(mt_opt, th_opt)


@requires_torch
def test_named_parameters_are_kept_as_param_names_like_torch():
    mt, th = _twin_params(np.random.default_rng(10), shapes=[(2,), (3,)])
    mt_opt = optim.SGD([("w", mt[0]), ("b", mt[1])], lr=0.1)
    th_opt = torch.optim.SGD([("w", th[0]), ("b", th[1])], lr=0.1)
    assert mt_opt.state_dict()["param_groups"] == th_opt.state_dict()["param_groups"]
    assert repr(mt_opt) == repr(th_opt)


@requires_torch
@pytest.mark.parametrize("name, kwargs", [
    ("Adam", {"eps": 0.0}), ("Adadelta", {"eps": 0.0}), ("RMSprop", {"eps": 0.0}),
])
def test_zero_denominators_give_torchs_nan_not_an_exception(name, kwargs):
    mt = [minitorch.tensor([1.0, -2.0], requires_grad=True)]
    th = [torch.tensor([1.0, -2.0], requires_grad=True)]
    mt_opt, th_opt = getattr(optim, name)(mt, **kwargs), getattr(torch.optim, name)(th, **kwargs)
    mt[0].grad, th[0].grad = minitorch.tensor([0.0, 1.0]), torch.tensor([0.0, 1.0])
    mt_opt.step()
    th_opt.step()
    np.testing.assert_array_equal(mt[0].detach().numpy(), th[0].detach().numpy())


def _error_cases(lib):
    p = lib.randn(3, requires_grad=True)
    q = lib.randn(2, requires_grad=True)
    non_leaf = p * 2
    o = lib.optim
    return [
        (ValueError, lambda: o.SGD([], lr=0.1)),
        (ValueError, lambda: o.Adam([non_leaf])),
        (TypeError, lambda: o.Adam(p)),
        (TypeError, lambda: o.Adam([p, 1.0])),
        (TypeError, lambda: o.Adam([{"params": {p}}])),
        (ValueError, lambda: o.Adam([{"params": [p]}, {"params": [q, p]}])),
        (ValueError, lambda: o.SGD([p], lr=-1)),
        (ValueError, lambda: o.SGD([p], lr=0.1, momentum=-0.5)),
        (ValueError, lambda: o.SGD([p], lr=0.1, weight_decay=-1e-4)),
        (ValueError, lambda: o.SGD([p], lr=0.1, nesterov=True)),
        (ValueError, lambda: o.SGD([p], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)),
        (ValueError, lambda: o.Adam([p], lr=-1e-3)),
        (ValueError, lambda: o.Adam([p], eps=-1.0)),
        (ValueError, lambda: o.Adam([p], betas=(1.0, 0.999))),
        (ValueError, lambda: o.Adam([p], betas=(0.9, -0.1))),
        (ValueError, lambda: o.Adam([p], betas=(0, 0.999))),
        (ValueError, lambda: o.AdamW([p], weight_decay=-0.1)),
        (ValueError, lambda: o.Adadelta([p], rho=1.5)),
        (ValueError, lambda: o.Adadelta([p], eps=-1e-6)),
        (ValueError, lambda: o.RMSprop([p], alpha=-0.5)),
        (ValueError, lambda: o.RMSprop([p], momentum=-0.5)),
        (ValueError, lambda: o.SGD([p], lr=0.1).load_state_dict(
            {"state": {}, "param_groups": [{"lr": 0.1, "params": [0]}, {"lr": 0.1, "params": [1]}]})),
        (ValueError, lambda: o.SGD([p], lr=0.1).load_state_dict(
            {"state": {}, "param_groups": [{"lr": 0.1, "params": [0, 1]}]})),
    ]


@requires_torch
def test_bad_input_raises_torchs_errors():
    for i, ((mt_type, mt_call), (th_type, th_call)) in enumerate(zip(_error_cases(minitorch),
                                                                      _error_cases(torch))):
        with pytest.raises(th_type) as th_info:
            th_call()
        with pytest.raises(mt_type) as mt_info:
            mt_call()
        assert type(mt_info.value) is type(th_info.value), i
        assert str(mt_info.value) == str(th_info.value), i


@requires_torch
def test_duplicate_parameters_warn_like_torch():
    p, t = minitorch.randn(3, requires_grad=True), torch.randn(3, requires_grad=True)
    with pytest.warns(UserWarning) as mt_record:
        optim.SGD([p, p], lr=0.1)
    with pytest.warns(UserWarning) as th_record:
        torch.optim.SGD([t, t], lr=0.1)
    assert str(mt_record[0].message) == str(th_record[0].message)


# ----- without torch -----------------------------------------------------------------------

def test_error_messages_name_the_bad_value():
    p = minitorch.randn(3, requires_grad=True)
    with pytest.raises(ValueError, match="^optimizer got an empty parameter list$"):
        optim.Adam([])
    with pytest.raises(ValueError, match="^can't optimize a non-leaf Tensor$"):
        optim.Adam([p * 2])
    with pytest.raises(ValueError, match="^Invalid learning rate: -1$"):
        optim.Adam([p], lr=-1)
    with pytest.raises(ValueError, match="^some parameters appear in more than one parameter group$"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)


@pytest.mark.parametrize("option", ["foreach", "fused", "capturable", "differentiable"])
def test_options_of_other_implementations_only_take_their_defaults(option):
    p = minitorch.randn(3, requires_grad=True)
    optim.Adam([p], **{option: None if option in ("foreach", "fused") else False})
    with pytest.raises(NotImplementedError, match=f"{option}=True"):
        optim.Adam([p], **{option: True})


def _numpy_adam(param, grads, lr, beta1, beta2, eps, weight_decay):
    """Adam written out from the paper's update, in float64."""
    m = np.zeros_like(param)
    v = np.zeros_like(param)
    for t, g in enumerate(grads, start=1):
        g = g + weight_decay * param
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1 ** t)
        v_hat = v / (1 - beta2 ** t)
        param = param - lr * m_hat / (np.sqrt(v_hat) + eps)
    return param


def test_adam_matches_a_numpy_reference():
    rng = np.random.default_rng(11)
    start = rng.standard_normal((4, 5))
    grads = [rng.standard_normal((4, 5)) for _ in range(6)]
    p = minitorch.tensor(start, requires_grad=True)  # float64: the reference's precision
    opt = optim.Adam([p], lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)
    for g in grads:
        p.grad = minitorch.tensor(g)
        opt.step()
    expected = _numpy_adam(start, grads, 0.05, 0.8, 0.99, 1e-6, 0.1)
    np.testing.assert_allclose(p.detach().numpy(), expected, rtol=1e-12, atol=1e-12)
    assert opt.state[p]["step"].item() == 6.0


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.1),
    lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
    lambda ps: optim.Adam(ps, lr=0.1),
    lambda ps: optim.AdamW(ps, lr=0.1),
    lambda ps: optim.Adadelta(ps, lr=10.0),
    lambda ps: optim.RMSprop(ps, lr=0.01, centered=True),
], ids=["SGD", "SGD-nesterov", "Adam", "AdamW", "Adadelta", "RMSprop"])
def test_optimizer_reduces_a_quadratic(make):
    """loss = sum((A x - b)^2) through autograd; 50 steps must cut it by 10x."""
    rng = np.random.default_rng(12)
    a = minitorch.tensor((np.eye(6, 4) + rng.standard_normal((6, 4)) / 10).astype(np.float32))
    b = minitorch.tensor(rng.standard_normal(6).astype(np.float32))
    x = minitorch.zeros(4, requires_grad=True)
    opt = make([x])

    def closure():
        opt.zero_grad()
        loss = ((a @ x - b) ** 2).sum()
        loss.backward()
        return loss

    first = closure().item()
    for _ in range(50):
        loss = opt.step(closure)
    assert loss.item() < first
    best = np.linalg.lstsq(a.numpy(), b.numpy(), rcond=None)[0]
    floor = float(((a.numpy() @ best - b.numpy()) ** 2).sum())
    assert loss.item() - floor < (first - floor) / 10


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
    lambda ps: optim.Adam(ps, amsgrad=True),
    lambda ps: optim.AdamW(ps),
    lambda ps: optim.Adadelta(ps),
    lambda ps: optim.RMSprop(ps, momentum=0.9, centered=True),
], ids=["SGD", "Adam", "AdamW", "Adadelta", "RMSprop"])
def test_a_step_updates_in_place_without_new_arrays(make):
    p = minitorch.randn(8, 3, requires_grad=True)
    opt = make([p])
    p.grad = minitorch.randn(8, 3)
    opt.step()
    data, version = p._data, p._version
    buffers = {k: v._data for k, v in opt.state[p].items()}
    before = p.detach().numpy().copy()
    opt.step()
    assert p._data is data
    assert p._version > version
    assert not np.array_equal(p.detach().numpy(), before)
    assert {k: v._data for k, v in opt.state[p].items()}.keys() == buffers.keys()
    for k, v in opt.state[p].items():
        assert v._data is buffers[k], k


def test_step_returns_the_closures_loss_and_none_without_one():
    p = minitorch.randn(3, requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    assert opt.step() is None
    assert opt.step(lambda: 42.0) == 42.0


def test_zero_grad_sets_none_or_zeros():
    p = minitorch.randn(3, requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    p.grad = minitorch.ones(3)
    opt.zero_grad(set_to_none=False)
    assert p.grad is not None and p.grad.tolist() == [0.0, 0.0, 0.0]
    opt.zero_grad()
    assert p.grad is None


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
    lambda ps: optim.Adam(ps, amsgrad=True, weight_decay=0.1),
    lambda ps: optim.AdamW(ps),
    lambda ps: optim.Adadelta(ps),
    lambda ps: optim.RMSprop(ps, momentum=0.9, centered=True),
], ids=["SGD", "Adam", "AdamW", "Adadelta", "RMSprop"])
def test_load_state_dict_round_trip_continues_identically(make):
    rng = np.random.default_rng(13)
    start = [rng.standard_normal(s).astype(np.float32) for s in [(3, 4), (5,)]]
    grads = [[rng.standard_normal(a.shape).astype(np.float32) for a in start] for _ in range(12)]

    def run(params, opt, gs):
        for step_grads in gs:
            for p, g in zip(params, step_grads):
                p.grad = minitorch.tensor(g)
            opt.step()

    straight = [minitorch.tensor(a.copy(), requires_grad=True) for a in start]
    opt = make(straight)
    run(straight, opt, grads)

    first = [minitorch.tensor(a.copy(), requires_grad=True) for a in start]
    opt1 = make(first)
    run(first, opt1, grads[:5])
    saved = copy.deepcopy(opt1.state_dict())
    resumed = [minitorch.tensor(p.detach().numpy().copy(), requires_grad=True) for p in first]
    opt2 = make(resumed)
    opt2.load_state_dict(saved)
    assert repr(opt2) == repr(opt1)
    run(resumed, opt2, grads[5:])
    for a, b in zip(resumed, straight):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_load_state_dict_converts_state_to_the_parameters_dtype():
    p = minitorch.randn(3, requires_grad=True)
    opt = optim.Adam([p])
    state = {"state": {0: {"step": minitorch.tensor(2.0),
                           "exp_avg": minitorch.zeros(3, dtype=minitorch.float64),
                           "exp_avg_sq": minitorch.zeros(3, dtype=minitorch.float64)}},
             "param_groups": opt.state_dict()["param_groups"]}
    opt.load_state_dict(state)
    assert opt.state[p]["exp_avg"].dtype is minitorch.float32
    assert opt.state[p]["step"].dtype is minitorch.float32
    p.grad = minitorch.ones(3)
    opt.step()
    assert opt.state[p]["step"].item() == 3.0


def test_state_dict_layout():
    w, b = minitorch.randn(2, 3, requires_grad=True), minitorch.randn(2, requires_grad=True)
    opt = optim.Adam([{"params": [w]}, {"params": [b], "lr": 0.1}])
    w.grad = minitorch.ones(2, 3)
    opt.step()
    sd = opt.state_dict()
    assert list(sd) == ["state", "param_groups"]
    assert list(sd["state"]) == [0]
    assert list(sd["state"][0]) == ["step", "exp_avg", "exp_avg_sq"]
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    assert sd["param_groups"][1]["lr"] == 0.1
    assert sd["state"][0]["exp_avg"] is opt.state[w]["exp_avg"]  # live state, as torch


def test_adamw_is_adam_with_decoupled_weight_decay():
    rng = np.random.default_rng(14)
    start = rng.standard_normal(10).astype(np.float32)
    p1, p2 = (minitorch.tensor(start.copy(), requires_grad=True) for _ in range(2))
    o1 = optim.AdamW([p1], lr=0.1, weight_decay=0.5)
    o2 = optim.Adam([p2], lr=0.1, weight_decay=0.5, decoupled_weight_decay=True)
    for _ in range(5):
        g = rng.standard_normal(10).astype(np.float32)
        p1.grad, p2.grad = minitorch.tensor(g), minitorch.tensor(g)
        o1.step()
        o2.step()
    np.testing.assert_array_equal(p1.detach().numpy(), p2.detach().numpy())
    assert o1.param_groups[0]["decoupled_weight_decay"] is True


def test_works_with_nn_parameters():
    nn = pytest.importorskip("minitorch.nn.parameter")
    p = nn.Parameter(minitorch.ones(3))
    opt = optim.SGD([p], lr=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p.grad = minitorch.ones(3)
        opt.step()
    assert p.tolist() == [0.5, 0.5, 0.5]
