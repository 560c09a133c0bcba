"""Adagrad, Adamax, NAdam, RAdam, ASGD and Rprop (steps written in Tensor ops) against
torch.optim: trajectories over 20 steps in float32 and float64 with every option, state,
state_dict, reprs and errors; then NumPy references that need no torch.

As in tests/test_optim.py, both libraries get the same parameters and, at every step, the
same random gradients set on ``.grad``.
"""
import copy

import numpy as np
import pytest

import minitorch
from minitorch import optim
from minitorch.optim import optimizer as _optimizer_module
from tests._compat import requires_torch, torch
from tests.test_optim import (_assert_same, _options, _run_twins, _twin_params,
                              check_torchs_state_dict_continues)

NAMES = ["Adagrad", "Adamax", "NAdam", "RAdam", "ASGD", "Rprop"]

CASES = (
    [("Adagrad", c) for c in _options(lr=[0.1], lr_decay=[0, 0.05], weight_decay=[0, 0.1],
                                       initial_accumulator_value=[0, 0.5], maximize=[False, True])]
    + [("Adagrad", {"eps": 1e-3})]
    + [("Adamax", c) for c in _options(lr=[0.01], weight_decay=[0, 0.1], maximize=[False, True])]
    + [("Adamax", {"betas": (0.5, 0.8), "eps": 1e-3})]
    + [("NAdam", c) for c in _options(lr=[0.01], weight_decay=[0, 0.1], decoupled_weight_decay=[False, True],
                                       maximize=[False, True])]
    + [("NAdam", {"momentum_decay": 0.1, "betas": (0.7, 0.9)})]
    + [("RAdam", c) for c in _options(lr=[0.01], weight_decay=[0, 0.1], decoupled_weight_decay=[False, True],
                                       maximize=[False, True])]
    + [("RAdam", {"betas": (0.9, 0.6)})]  # rho_t > 5 from the first steps: the rectified branch
    + [("ASGD", c) for c in _options(lr=[0.05], weight_decay=[0, 0.1], maximize=[False, True], t0=[1e6, 5])]
    + [("ASGD", {"lambd": 0.1, "alpha": 0.5, "t0": 0})]
    + [("Rprop", c) for c in _options(lr=[0.01, 0.5], maximize=[False, True])]
    + [("Rprop", {"etas": (0.3, 1.5), "step_sizes": (1e-3, 0.05)})]
)

# The base Optimizer refuses foreach/fused/capturable/differentiable (minitorch's fused-kernel
# optimizers implement only the defaults); these optimizers implement them and say so with
# ``_unsupported_options = ()``, which the base class honours once it reads that attribute.
_BASE_REFUSES = not hasattr(_optimizer_module.Optimizer, "_unsupported_options")
needs_base_options = pytest.mark.xfail(
    _BASE_REFUSES, raises=NotImplementedError, strict=True,
    reason="Optimizer.add_param_group must read the class's _unsupported_options")


def _case_id(case):
    name, kwargs = case
    return name + "(" + ",".join(f"{k}={v}" for k, v in kwargs.items()) + ")"


def _assert_same_state(mt_opt, th_opt, rtol=1e-5, atol=1e-6):
    """Both state_dicts: same ids, keys, group options and state values (the 0-d scalar state
    in its dtype)."""
    ms, ts = mt_opt.state_dict(), th_opt.state_dict()
    assert ms["param_groups"] == ts["param_groups"]
    assert ms["state"].keys() == ts["state"].keys()
    for pid in ts["state"]:
        assert list(ms["state"][pid]) == list(ts["state"][pid])
        for key, expected in ts["state"][pid].items():
            actual = ms["state"][pid][key]
            assert str(actual.dtype) == str(expected.dtype) and tuple(actual.shape) == tuple(expected.shape), key
            _assert_same(actual, expected, rtol=rtol, atol=atol)


def _twins(name, kwargs, dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    mt, th = _twin_params(rng, dtype=dtype)
    return rng, mt, th, getattr(optim, name)(mt, **kwargs), getattr(torch.optim, name)(th, **kwargs)


# ----- against torch -----------------------------------------------------------------------

@requires_torch
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_float32_trajectory_and_state_match_torch(case):
    rng, mt, th, mt_opt, th_opt = _twins(*case)
    _run_twins(rng, mt_opt, th_opt, mt, th)
    for a, b in zip(mt, th):
        _assert_same(a, b)
    _assert_same_state(mt_opt, th_opt)


@requires_torch
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_float64_trajectory_matches_torch(case):
    rng, mt, th, mt_opt, th_opt = _twins(*case, dtype=np.float64, seed=1)
    _run_twins(rng, mt_opt, th_opt, mt, th)
    for a, b in zip(mt, th):
        _assert_same(a, b, rtol=1e-12, atol=1e-12)
    _assert_same_state(mt_opt, th_opt, rtol=1e-12, atol=1e-12)


@requires_torch
def test_float64_default_dtype_makes_float64_scalar_state_like_torch():
    before_mt, before_th = minitorch.get_default_dtype(), torch.get_default_dtype()
    minitorch.set_default_dtype(minitorch.float64)
    torch.set_default_dtype(torch.float64)
    try:
        for name in NAMES:
            rng, mt, th, mt_opt, th_opt = _twins(name, {}, dtype=np.float64, seed=2)
            _run_twins(rng, mt_opt, th_opt, mt, th, steps=3)
            _assert_same_state(mt_opt, th_opt, rtol=1e-12, atol=1e-12)
    finally:
        minitorch.set_default_dtype(before_mt)
        torch.set_default_dtype(before_th)


@requires_torch
@needs_base_options
@pytest.mark.parametrize("name, kwargs", [
    ("Adagrad", {"foreach": True}), ("Adagrad", {"fused": True, "weight_decay": 0.1}),
    ("Adamax", {"foreach": True, "weight_decay": 0.1}), ("NAdam", {"foreach": True, "weight_decay": 0.1}),
    ("RAdam", {"foreach": True, "decoupled_weight_decay": True, "weight_decay": 0.1}),
    ("ASGD", {"foreach": True, "t0": 5, "weight_decay": 0.1}), ("Rprop", {"foreach": True}),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_foreach_and_fused_run_torchs_multi_tensor_numbers(name, kwargs, dtype):
    """PyTorch's multi-tensor and fused steps are the same formulas (ASGD's regrouped)."""
    rng, mt, th, mt_opt, th_opt = _twins(name, kwargs, dtype=dtype, seed=3)
    _run_twins(rng, mt_opt, th_opt, mt, th)
    tol = 1e-5 if dtype is np.float32 else 1e-12
    for a, b in zip(mt, th):
        _assert_same(a, b, rtol=tol, atol=tol / 10)
    assert repr(mt_opt) == repr(th_opt)


@requires_torch
@needs_base_options
@pytest.mark.parametrize("name, kwargs", [
    ("Adagrad", {"weight_decay": 0.1}), ("NAdam", {"weight_decay": 0.1}), ("RAdam", {"betas": (0.9, 0.6)}),
    ("ASGD", {"t0": 1}), ("Rprop", {}),
])
def test_differentiable_step_passes_gradients_through_the_update_like_torch(name, kwargs):
    rng = np.random.default_rng(4)
    start = rng.standard_normal((3, 4))
    grads = [rng.standard_normal((3, 4)) for _ in range(3)]
    results = []
    for lib in (minitorch, torch):
        leaf = lib.tensor(start.copy(), requires_grad=True)
        p = leaf * 1.5  # a non-leaf parameter: allowed only with differentiable=True
        opt = getattr(lib.optim, name)([p], differentiable=True, **kwargs)
        for g in grads:
            p.grad = lib.tensor(g.copy())
            opt.step()
        assert p.grad_fn is not None
        (p ** 2).sum().backward()
        results.append((p.detach().numpy(), leaf.grad.numpy()))
    (p_mt, g_mt), (p_th, g_th) = results
    np.testing.assert_allclose(p_mt, p_th, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(g_mt, g_th, rtol=1e-12, atol=1e-12)


@requires_torch
@needs_base_options
@pytest.mark.parametrize("name", ["Adamax", "NAdam", "RAdam", "ASGD", "Rprop"])
def test_capturable_on_the_cpu_fails_at_the_step_like_torch(name):
    p, t = minitorch.zeros(3, requires_grad=True), torch.zeros(3, requires_grad=True)
    mt_opt, th_opt = getattr(optim, name)([p], capturable=True), getattr(torch.optim, name)([t], capturable=True)
    assert repr(mt_opt) == repr(th_opt)
    p.grad, t.grad = minitorch.ones(3), torch.ones(3)
    with pytest.raises(AssertionError) as th_info:
        th_opt.step()
    with pytest.raises(AssertionError) as mt_info:
        mt_opt.step()
    assert str(mt_info.value) == str(th_info.value)


@requires_torch
@pytest.mark.parametrize("name, kwargs", [
    ("Adagrad", {}), ("Adagrad", {"lr_decay": 0.1, "initial_accumulator_value": 0.2}), ("Adamax", {}),
    ("NAdam", {}), ("NAdam", {"decoupled_weight_decay": True, "weight_decay": 0.1}), ("RAdam", {}),
    ("ASGD", {}), ("Rprop", {}), ("Rprop", {"etas": (0.4, 1.1)}),
])
def test_repr_and_param_groups_match_torch(name, kwargs):
    mt, th = _twin_params(np.random.default_rng(5), shapes=[(2,), (3,)])
    mt_opt = getattr(optim, name)([{"params": [mt[0]]}, {"params": [mt[1]], "lr": 0.5}], **kwargs)
    th_opt = getattr(torch.optim, name)([{"params": [th[0]]}, {"params": [th[1]], "lr": 0.5}], **kwargs)
    assert repr(mt_opt) == repr(th_opt)
    assert mt_opt.state_dict()["param_groups"] == th_opt.state_dict()["param_groups"]


@requires_torch
@pytest.mark.parametrize("name", NAMES)
def test_params_without_grad_are_skipped_as_in_torch(name):
    """Adagrad makes its state for every parameter at construction, the others at the first
    step that parameter has a gradient."""
    rng, mt, th, mt_opt, th_opt = _twins(name, {}, seed=6)
    before = mt[1].detach().numpy().copy()
    _run_twins(rng, mt_opt, th_opt, mt, th, steps=3, skip=(1,))
    np.testing.assert_array_equal(mt[1].detach().numpy(), before)
    assert (mt[1] in mt_opt.state) == (name == "Adagrad")
    _assert_same_state(mt_opt, th_opt)


@requires_torch
@pytest.mark.parametrize("name, kwargs", [
    ("Adagrad", {"lr_decay": 0.01}), ("Adamax", {}), ("NAdam", {}), ("RAdam", {}),
    ("ASGD", {"t0": 3}), ("Rprop", {}),
])
def test_loading_torchs_state_dict_continues_torchs_trajectory(name, kwargs):
    check_torchs_state_dict_continues(name, kwargs, np.random.default_rng(7), _assert_same_state)


@requires_torch
def test_non_contiguous_parameters_are_updated_in_place():
    base = np.random.default_rng(8).standard_normal((4, 6)).astype(np.float32)
    for name in NAMES:
        mt = minitorch.tensor(base.copy()).t().detach().requires_grad_()
        th = torch.tensor(base.copy()).t().detach().requires_grad_()
        assert not mt.is_contiguous()
        mt_opt, th_opt = getattr(optim, name)([mt]), getattr(torch.optim, name)([th])
        data = mt._data
        _run_twins(np.random.default_rng(9), mt_opt, th_opt, [mt], [th], steps=5)
        assert mt._data is data, name
        _assert_same(mt, th)


def _error_cases(lib):
    p = lib.randn(3, requires_grad=True)
    o = lib.optim
    return [
        (ValueError, lambda: o.Adagrad([p], lr=-1)),
        (ValueError, lambda: o.Adagrad([p], lr=lib.tensor([0.1, 0.2]))),
        (ValueError, lambda: o.Adagrad([p], lr_decay=-1)),
        (ValueError, lambda: o.Adagrad([p], weight_decay=-1)),
        (ValueError, lambda: o.Adagrad([p], initial_accumulator_value=-1)),
        (ValueError, lambda: o.Adagrad([p], eps=-1)),
        (ValueError, lambda: o.Adamax([p], lr=-1)),
        (ValueError, lambda: o.Adamax([p], eps=-1)),
        (ValueError, lambda: o.Adamax([p], betas=(1.0, 0.9))),
        (ValueError, lambda: o.Adamax([p], betas=(0.9, -0.1))),
        (ValueError, lambda: o.Adamax([p], weight_decay=-1)),
        (ValueError, lambda: o.NAdam([p], momentum_decay=-1)),
        (ValueError, lambda: o.NAdam([p], betas=(0.9, 1.0))),
        (ValueError, lambda: o.RAdam([p], lr=-0.1)),
        (ValueError, lambda: o.RAdam([p], weight_decay=-0.1)),
        (ValueError, lambda: o.ASGD([p], lr=-1)),
        (ValueError, lambda: o.ASGD([p], weight_decay=-1)),
        (ValueError, lambda: o.Rprop([p], lr=-1)),
        (ValueError, lambda: o.Rprop([p], etas=(1.5, 1.2))),
        (ValueError, lambda: o.Rprop([p], etas=(0.5, 0.9))),
        (TypeError, lambda: o.Adagrad([p], capturable=True)),
        (TypeError, lambda: o.Adamax([p], fused=True)),
        (ValueError, lambda: o.NAdam([p * 2])),
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
        th_text = str(th_info.value).replace("Adagrad.__init__", "").replace("Adamax.__init__", "")
        mt_text = str(mt_info.value).replace("Adagrad.__init__", "").replace("Adamax.__init__", "")
        assert mt_text == th_text, i


@requires_torch
@needs_base_options
def test_adagrad_fused_refuses_foreach_and_differentiable_like_torch():
    for kwargs in ({"fused": True, "foreach": True}, {"fused": True, "differentiable": True}):
        with pytest.raises(RuntimeError) as th_info:
            torch.optim.Adagrad([torch.zeros(2, requires_grad=True)], **kwargs)
        with pytest.raises(RuntimeError) as mt_info:
            optim.Adagrad([minitorch.zeros(2, requires_grad=True)], **kwargs)
        if isinstance(mt_info.value, NotImplementedError):  # (a RuntimeError too)
            raise mt_info.value
        assert str(mt_info.value) == str(th_info.value)


# ----- without torch -----------------------------------------------------------------------

def _numpy_reference(name, param, grads, **kw):
    """The update rules as the papers (and PyTorch's docs) write them, in float64."""
    p = param.copy()
    state = {}
    for t, g in enumerate(grads, start=1):
        if name == "Adagrad":
            g = g + kw["weight_decay"] * p
            state["sum"] = state.get("sum", np.full_like(p, kw["initial_accumulator_value"])) + g * g
            clr = kw["lr"] / (1 + (t - 1) * kw["lr_decay"])
            p = p - clr * g / (np.sqrt(state["sum"]) + kw["eps"])
        elif name == "Adamax":
            b1, b2 = kw["betas"]
            state["m"] = b1 * state.get("m", 0) + (1 - b1) * g
            state["u"] = np.maximum(b2 * state.get("u", 0), np.abs(g) + kw["eps"])
            p = p - kw["lr"] / (1 - b1 ** t) * state["m"] / state["u"]
        elif name == "Rprop":
            prev = state.get("prev", np.zeros_like(p))
            size = state.get("size", np.full_like(p, kw["lr"]))
            same = g * prev
            factor = np.where(same > 0, 1.2, np.where(same < 0, 0.5, 1.0))
            size = np.clip(size * factor, 1e-6, 50)
            g = np.where(same < 0, 0.0, g)
            p = p - np.sign(g) * size
            state["prev"], state["size"] = g, size
    return p


@pytest.mark.parametrize("name, kwargs", [
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.1, "initial_accumulator_value": 0.3, "eps": 1e-10}),
    ("Adamax", {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-8}),
    ("Rprop", {"lr": 0.1}),
])
def test_updates_match_a_numpy_reference(name, kwargs):
    rng = np.random.default_rng(10)
    start = rng.standard_normal((4, 5))
    grads = [rng.standard_normal((4, 5)) for _ in range(8)]
    p = minitorch.tensor(start, requires_grad=True)
    opt = getattr(optim, name)([p], **kwargs)
    for g in grads:
        p.grad = minitorch.tensor(g)
        opt.step()
    expected = _numpy_reference(name, start, grads, **kwargs)
    np.testing.assert_allclose(p.detach().numpy(), expected, rtol=1e-12, atol=1e-12)
    assert opt.state[p]["step"].item() == 8.0


def test_radam_takes_the_plain_momentum_step_until_the_variance_is_tractable():
    """With beta2 = 0.999, rho_t stays <= 5 for the first steps: param -= lr * m_hat exactly."""
    p = minitorch.tensor([1.0, -2.0], dtype=minitorch.float64, requires_grad=True)
    opt = optim.RAdam([p], lr=0.1)
    p.grad = minitorch.tensor([0.5, 4.0], dtype=minitorch.float64)
    opt.step()
    np.testing.assert_allclose(p.detach().numpy(), [1.0 - 0.1 * 0.5, -2.0 - 0.1 * 4.0], rtol=1e-15)


def test_asgd_average_follows_the_parameters_after_t0():
    p = minitorch.tensor([0.0], dtype=minitorch.float64, requires_grad=True)
    opt = optim.ASGD([p], lr=0.1, lambd=0.0, t0=2)
    values = []
    for _ in range(8):
        p.grad = minitorch.tensor([-1.0], dtype=minitorch.float64)
        opt.step()
        values.append(p.item())
    # step t uses mu = 1 / max(1, t - 1 - t0), made by the step before: ax copies the parameter
    # up to step t0 + 2 and is the running mean of the parameters from there on (mu, a float32
    # scalar, rounds 1/3 and 1/6: hence 1e-7)
    np.testing.assert_allclose(opt.state[p]["ax"].item(), np.mean(values[3:]), rtol=1e-7)
    np.testing.assert_allclose(np.diff(values), 0.1, rtol=1e-7)


@pytest.mark.parametrize("make", [
    lambda ps: optim.Adagrad(ps, lr=0.5),
    lambda ps: optim.Adamax(ps, lr=0.1),
    lambda ps: optim.NAdam(ps, lr=0.05),
    lambda ps: optim.RAdam(ps, lr=0.1),
    lambda ps: optim.ASGD(ps, lr=0.02),
    lambda ps: optim.Rprop(ps, lr=0.05),
], ids=NAMES)
def test_optimizer_reduces_a_quadratic(make):
    """loss = sum((A x - b)^2) through autograd; 100 steps must cut its excess by 5x."""
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
    for _ in range(100):
        loss = opt.step(closure)
    best = np.linalg.lstsq(a.numpy(), b.numpy(), rcond=None)[0]
    floor = float(((a.numpy() @ best - b.numpy()) ** 2).sum())
    assert loss.item() - floor < (first - floor) / 5


@pytest.mark.parametrize("name", NAMES)
def test_load_state_dict_round_trip_continues_identically(name):
    rng = np.random.default_rng(13)
    start = [rng.standard_normal(s).astype(np.float32) for s in [(3, 4), (5,)]]
    grads = [[rng.standard_normal(a.shape).astype(np.float32) for a in start] for _ in range(12)]
    make = getattr(optim, name)

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


@pytest.mark.parametrize("name", NAMES)
def test_the_update_leaves_the_graph_alone(name):
    """A step under the default (not differentiable) mode records nothing: the parameter stays
    a leaf and its state needs no gradient."""
    p = minitorch.randn(5, requires_grad=True)
    opt = getattr(optim, name)([p])
    for _ in range(2):
        p.grad = minitorch.randn(5)
        opt.step()
    assert p.is_leaf and p.grad_fn is None
    assert all(not v.requires_grad for v in opt.state[p].values())
