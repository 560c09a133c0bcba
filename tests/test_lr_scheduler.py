"""minitorch.optim.lr_scheduler against torch.optim.lr_scheduler: the same learning rates
(as floats, exactly) over 40 epochs, the same state_dict, warnings and errors."""
import copy
import math
import warnings

import numpy as np
import pytest

import minitorch
from minitorch import optim
from minitorch.optim import lr_scheduler
from tests._compat import requires_torch, torch

EPOCHS = 40


class _Warmup:
    """A callable object: LambdaLR saves its __dict__ in state_dict (a plain lambda is not)."""

    def __init__(self, epochs):
        self.epochs = epochs

    def __call__(self, epoch):
        return min(1.0, (epoch + 1) / self.epochs)


SCHEDULERS = [
    ("StepLR", {"step_size": 7}),
    ("StepLR", {"step_size": 3, "gamma": 0.5}),
    ("MultiStepLR", {"milestones": [5, 12, 12, 30], "gamma": 0.3}),
    ("ExponentialLR", {"gamma": 0.93}),
    ("CosineAnnealingLR", {"T_max": 10}),
    ("CosineAnnealingLR", {"T_max": 13, "eta_min": 1e-4}),
    ("LambdaLR", {"lr_lambda": lambda epoch: 0.95 ** epoch}),
    ("LambdaLR", {"lr_lambda": [lambda epoch: 1 / (epoch + 1), _Warmup(5)]}),
    ("MultiplicativeLR", {"lr_lambda": lambda epoch: 0.97}),
    ("MultiplicativeLR", {"lr_lambda": [lambda epoch: 0.9 if epoch % 3 else 1.1, _Warmup(7)]}),
    ("ConstantLR", {}),
    ("ConstantLR", {"factor": 0.25, "total_iters": 9}),
    ("LinearLR", {}),
    ("LinearLR", {"start_factor": 0.1, "end_factor": 0.7, "total_iters": 17}),
    ("PolynomialLR", {}),
    ("PolynomialLR", {"total_iters": 30, "power": 2.5}),
    ("CosineAnnealingWarmRestarts", {"T_0": 7}),
    ("CosineAnnealingWarmRestarts", {"T_0": 3, "T_mult": 2, "eta_min": 1e-3}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 5}),
    ("CyclicLR", {"base_lr": [0.01, 0.02], "max_lr": 0.3, "step_size_up": 4, "step_size_down": 7,
                  "mode": "triangular2", "base_momentum": 0.7}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 6, "mode": "exp_range", "gamma": 0.97,
                  "cycle_momentum": False}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 3, "scale_fn": _Warmup(4),
                  "scale_mode": "iterations"}),
    ("OneCycleLR", {"max_lr": 0.5, "total_steps": 40}),
    ("OneCycleLR", {"max_lr": [0.5, 0.2], "epochs": 5, "steps_per_epoch": 9, "pct_start": 0.4,
                    "anneal_strategy": "linear", "three_phase": True, "div_factor": 10.0}),
]


def _optimizer(lib):
    """SGD over two param groups with different learning rates."""
    a, b = lib.zeros(2, requires_grad=True), lib.zeros(3, requires_grad=True)
    return lib.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.05}], lr=0.1, momentum=0.9)


def _scheduler(lib, name, kwargs, opt):
    return getattr(lib.optim.lr_scheduler, name)(opt, **kwargs)


def _case_id(case):
    return case[0] + "(" + ",".join(f"{k}={v}" for k, v in case[1].items() if k != "lr_lambda") + ")"


@requires_torch
@pytest.mark.parametrize("case", SCHEDULERS, ids=_case_id)
def test_learning_rates_match_torch(case):
    name, kwargs = case
    mt_opt, th_opt = _optimizer(minitorch), _optimizer(torch)
    mt_sched = _scheduler(minitorch, name, kwargs, mt_opt)
    th_sched = _scheduler(torch, name, kwargs, th_opt)
    assert mt_sched.get_last_lr() == th_sched.get_last_lr()
    for _ in range(EPOCHS):
        mt_opt.step()
        th_opt.step()
        mt_sched.step()
        th_sched.step()
        assert mt_sched.get_last_lr() == th_sched.get_last_lr()  # exact floats
        assert [g["lr"] for g in mt_opt.param_groups] == [g["lr"] for g in th_opt.param_groups]
    assert mt_sched.last_epoch == th_sched.last_epoch == EPOCHS
    assert mt_sched.state_dict() == th_sched.state_dict()
    assert mt_opt.state_dict()["param_groups"] == th_opt.state_dict()["param_groups"]


@requires_torch
@pytest.mark.parametrize("case", SCHEDULERS, ids=_case_id)
def test_state_dict_round_trip_continues_like_torch(case):
    name, kwargs = case
    mt_opt, th_opt = _optimizer(minitorch), _optimizer(torch)
    mt_sched = _scheduler(minitorch, name, kwargs, mt_opt)
    th_sched = _scheduler(torch, name, kwargs, th_opt)
    for _ in range(11):
        mt_opt.step()
        mt_sched.step()
        th_opt.step()
        th_sched.step()
    saved_sched = copy.deepcopy(mt_sched.state_dict())
    saved_opt = copy.deepcopy(mt_opt.state_dict())

    resumed_opt = _optimizer(minitorch)
    resumed = _scheduler(minitorch, name, kwargs, resumed_opt)
    resumed_opt.load_state_dict(saved_opt)
    resumed.load_state_dict(saved_sched)
    for _ in range(20):
        resumed_opt.step()
        resumed.step()
        th_opt.step()
        th_sched.step()
        assert resumed.get_last_lr() == th_sched.get_last_lr()


@requires_torch
@pytest.mark.parametrize("name, kwargs", [
    ("StepLR", {"step_size": 4}), ("MultiStepLR", {"milestones": [3, 9]}),
    ("ExponentialLR", {"gamma": 0.9}), ("CosineAnnealingLR", {"T_max": 6}),
    ("ConstantLR", {"factor": 0.5, "total_iters": 4}), ("LinearLR", {"total_iters": 8}),
    ("PolynomialLR", {"total_iters": 8, "power": 2.0}), ("CosineAnnealingWarmRestarts", {"T_0": 3, "T_mult": 2}),
])
def test_step_with_an_epoch_uses_the_closed_form_like_torch(name, kwargs):
    mt_opt, th_opt = _optimizer(minitorch), _optimizer(torch)
    mt_sched = _scheduler(minitorch, name, kwargs, mt_opt)
    th_sched = _scheduler(torch, name, kwargs, th_opt)
    mt_opt.step()
    th_opt.step()
    for epoch in (5, 2, 11):
        with warnings.catch_warnings(record=True) as mt_record:
            warnings.simplefilter("always")
            mt_sched.step(epoch)
        with warnings.catch_warnings(record=True) as th_record:
            warnings.simplefilter("always")
            th_sched.step(epoch)
        assert [str(w.message) for w in mt_record] == [str(w.message) for w in th_record]
        assert mt_sched.get_last_lr() == th_sched.get_last_lr()


@requires_torch
def test_resuming_with_last_epoch_matches_torch():
    mt_opt, th_opt = _optimizer(minitorch), _optimizer(torch)
    for opt in (mt_opt, th_opt):
        for group in opt.param_groups:
            group["initial_lr"] = group["lr"]
    mt_sched = optim.lr_scheduler.CosineAnnealingLR(mt_opt, T_max=10, last_epoch=4)
    th_sched = torch.optim.lr_scheduler.CosineAnnealingLR(th_opt, T_max=10, last_epoch=4)
    assert mt_sched.get_last_lr() == th_sched.get_last_lr()
    for _ in range(8):
        mt_opt.step()
        th_opt.step()
        mt_sched.step()
        th_sched.step()
        assert mt_sched.get_last_lr() == th_sched.get_last_lr()


@requires_torch
def test_warnings_match_torch():
    for lib in (minitorch, torch):
        opt = _optimizer(lib)
        sched = lib.optim.lr_scheduler.StepLR(opt, step_size=2)
        with pytest.warns(UserWarning, match=r"Detected call of `lr_scheduler.step\(\)` before"):
            sched.step()
        with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
            sched.get_lr()


@requires_torch
def test_errors_match_torch():
    def cases(lib):
        opt = _optimizer(lib)
        s = lib.optim.lr_scheduler
        return [
            lambda: s.StepLR("not an optimizer", step_size=2),
            lambda: s.LambdaLR(opt, lr_lambda=[lambda e: 1.0]),
            lambda: s.StepLR(_optimizer(lib), step_size=2, last_epoch=3),
        ]
    for mt_call, th_call in zip(cases(minitorch), cases(torch)):
        with pytest.raises(Exception) as th_info:
            th_call()
        with pytest.raises(type(th_info.value)) as mt_info:
            mt_call()
        assert str(mt_info.value) == str(th_info.value)


def _adam(lib):
    a, b = lib.zeros(2, requires_grad=True), lib.zeros(3, requires_grad=True)
    return lib.optim.Adam([{"params": [a]}, {"params": [b], "lr": 0.05}], lr=0.1)


@requires_torch
@pytest.mark.parametrize("name, kwargs", [
    ("OneCycleLR", {"max_lr": 0.3, "total_steps": 30}),
    ("CyclicLR", {"base_lr": 0.001, "max_lr": 0.01, "step_size_up": 4, "base_momentum": 0.5}),
])
def test_cyclic_schedules_cycle_adams_beta1_like_torch(name, kwargs):
    mt_opt, th_opt = _adam(minitorch), _adam(torch)
    mt_sched, th_sched = _scheduler(minitorch, name, kwargs, mt_opt), _scheduler(torch, name, kwargs, th_opt)
    for _ in range(30):
        mt_opt.step()
        th_opt.step()
        mt_sched.step()
        th_sched.step()
        assert mt_sched.get_last_lr() == th_sched.get_last_lr()
        assert [g["betas"] for g in mt_opt.param_groups] == [g["betas"] for g in th_opt.param_groups]
    assert mt_opt.state_dict()["param_groups"] == th_opt.state_dict()["param_groups"]


def _composite(lib, kind, opt):
    s = lib.optim.lr_scheduler
    if kind == "sequential":
        return s.SequentialLR(opt, [s.LinearLR(opt, start_factor=0.2, total_iters=4),
                                    s.ExponentialLR(opt, gamma=0.9), s.CosineAnnealingLR(opt, T_max=6)],
                              milestones=[5, 14])
    if kind == "chained":
        return s.ChainedScheduler([s.ConstantLR(opt, factor=0.5, total_iters=6), s.ExponentialLR(opt, gamma=0.95),
                                   s.StepLR(opt, step_size=4, gamma=0.7)])
    # a chain holding a SequentialLR (state_dicts nested two deep)
    return s.ChainedScheduler([s.SequentialLR(opt, [s.LinearLR(opt, total_iters=3), s.ExponentialLR(opt, 0.9)],
                                              milestones=[4]),
                               s.MultiStepLR(opt, [8, 12])])


@requires_torch
@pytest.mark.parametrize("kind", ["sequential", "chained", "nested"])
def test_composite_schedulers_match_torch_and_round_trip(kind):
    mt_opt, th_opt = _optimizer(minitorch), _optimizer(torch)
    mt_sched, th_sched = _composite(minitorch, kind, mt_opt), _composite(torch, kind, th_opt)
    assert mt_sched.get_last_lr() == th_sched.get_last_lr()
    assert [g["lr"] for g in mt_opt.param_groups] == [g["lr"] for g in th_opt.param_groups]
    for epoch in range(EPOCHS):
        mt_opt.step()
        th_opt.step()
        mt_sched.step()
        th_sched.step()
        assert mt_sched.get_last_lr() == th_sched.get_last_lr(), epoch
        assert [g["lr"] for g in mt_opt.param_groups] == [g["lr"] for g in th_opt.param_groups]
        if epoch == 10:
            saved, saved_opt = copy.deepcopy(mt_sched.state_dict()), copy.deepcopy(mt_opt.state_dict())
    assert mt_sched.state_dict() == th_sched.state_dict()
    resumed_opt = _optimizer(minitorch)
    resumed = _composite(minitorch, kind, resumed_opt)
    resumed_opt.load_state_dict(saved_opt)
    resumed.load_state_dict(saved)
    for _ in range(EPOCHS - 11):
        resumed_opt.step()
        resumed.step()
    assert resumed.get_last_lr() == th_sched.get_last_lr()


@requires_torch
@pytest.mark.parametrize("kwargs", [
    {}, {"mode": "max", "factor": 0.5, "patience": 2, "threshold": 0.05},
    {"threshold_mode": "abs", "threshold": 0.1, "patience": 1, "cooldown": 3, "min_lr": [0.02, 0.01]},
    {"mode": "max", "threshold_mode": "abs", "patience": 0, "eps": 1e-3, "min_lr": 0.03},
])
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    metrics = [1.0, 0.9, 0.95, 0.9, 0.91, 0.92, 0.5, 0.6, 0.6, 0.6, 0.4, 0.45, 0.45, 0.46, 0.46] * 3
    mt_opt, th_opt = _optimizer(minitorch), _optimizer(torch)
    mt_sched = optim.lr_scheduler.ReduceLROnPlateau(mt_opt, **kwargs)
    th_sched = torch.optim.lr_scheduler.ReduceLROnPlateau(th_opt, **kwargs)
    for k, m in enumerate(metrics):
        mt_sched.step(minitorch.tensor(m, dtype=minitorch.float64) if k % 2 else m)
        th_sched.step(m)
        assert mt_sched.get_last_lr() == th_sched.get_last_lr(), k
        if k == 20:
            saved = copy.deepcopy(mt_sched.state_dict())
    assert mt_sched.state_dict() == th_sched.state_dict()
    resumed = optim.lr_scheduler.ReduceLROnPlateau(mt_opt, mode="max" if kwargs.get("mode") == "min" else "min")
    resumed.load_state_dict(saved)
    assert (resumed.mode, resumed.mode_worse) == (mt_sched.mode, mt_sched.mode_worse)


@requires_torch
def test_scheduler_errors_match_torch():
    def cases(lib):
        s = lib.optim.lr_scheduler
        opt, other = _optimizer(lib), _optimizer(lib)
        one_cycle = s.OneCycleLR(_optimizer(lib), 1.0, total_steps=2)
        return [
            lambda: s.ConstantLR(opt, factor=1.5), lambda: s.LinearLR(opt, start_factor=0),
            lambda: s.LinearLR(opt, end_factor=2), lambda: s.MultiplicativeLR(opt, [lambda e: 1.0]),
            lambda: s.MultiplicativeLR(opt, 0.5),
            lambda: s.CosineAnnealingWarmRestarts(opt, T_0=0), lambda: s.CosineAnnealingWarmRestarts(opt, 2, T_mult=0),
            lambda: s.CosineAnnealingWarmRestarts(opt, 2, eta_min="x"),
            lambda: s.CosineAnnealingWarmRestarts(opt, 2).step(-1),
            lambda: s.CyclicLR(opt, 0.1, 1.0, mode="sawtooth"), lambda: s.CyclicLR(opt, [0.1], 1.0),
            lambda: s.CyclicLR(lib.optim.Adagrad([lib.zeros(1, requires_grad=True)]), 0.1, 1.0),
            lambda: s.CyclicLR("opt", 0.1, 1.0),
            lambda: s.OneCycleLR(opt, 1.0), lambda: s.OneCycleLR(opt, 1.0, total_steps=0),
            lambda: s.OneCycleLR(opt, 1.0, epochs=0, steps_per_epoch=3),
            lambda: s.OneCycleLR(opt, 1.0, epochs=2, steps_per_epoch=-3),
            lambda: s.OneCycleLR(opt, 1.0, total_steps=10, pct_start=1.5),
            lambda: s.OneCycleLR(opt, 1.0, total_steps=10, anneal_strategy="exp"),
            lambda: [one_cycle.step() for _ in range(3)],
            lambda: s.ReduceLROnPlateau(opt, factor=1.0), lambda: s.ReduceLROnPlateau(opt, mode="avg"),
            lambda: s.ReduceLROnPlateau(opt, threshold_mode="pct"), lambda: s.ReduceLROnPlateau(opt, min_lr=[0.1]),
            lambda: s.ReduceLROnPlateau("opt"),
            lambda: s.SequentialLR(opt, [], []), lambda: s.SequentialLR(opt, [s.StepLR(opt, 2)], [3]),
            lambda: s.SequentialLR(opt, [s.StepLR(other, 2)], []),
            lambda: s.SequentialLR(opt, [s.ReduceLROnPlateau(opt)], []),
            lambda: s.SequentialLR(opt, [object()], []),
            lambda: s.ChainedScheduler([]), lambda: s.ChainedScheduler([s.StepLR(opt, 2), s.StepLR(other, 2)]),
        ]
    for k, (mt_call, th_call) in enumerate(zip(cases(minitorch), cases(torch))):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(Exception) as th_info:
                th_call()
            with pytest.raises(type(th_info.value)) as mt_info:
                mt_call()
        assert type(mt_info.value) is type(th_info.value), k
        th_text = str(th_info.value).replace("torch", "minitorch").split(" has ")[0]
        assert str(mt_info.value).split(" has ")[0] == th_text, k


# ----- without torch -----------------------------------------------------------------------

def test_one_cycle_goes_up_to_max_lr_and_down_to_its_floor():
    opt = optim.SGD([minitorch.zeros(1, requires_grad=True)], lr=1.0, momentum=0.9)
    sched = lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=100, div_factor=10.0, final_div_factor=100.0)
    lrs = _lrs(sched, opt, 99)
    peak = int(np.argmax(lrs))
    assert lrs[0] == pytest.approx(0.1) and lrs[peak] == pytest.approx(1.0) and peak == 29
    assert lrs[-1] == pytest.approx(0.1 / 100)
    assert all(a <= b for a, b in zip(lrs[:peak], lrs[1:peak + 1]))
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.95)


def test_cosine_warm_restarts_restart_at_t0_and_its_multiples():
    opt = optim.SGD([minitorch.zeros(1, requires_grad=True)], lr=1.0)
    sched = lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2)
    lrs = _lrs(sched, opt, 8)
    restarts = [i for i, lr in enumerate(lrs) if lr == 1.0]
    assert restarts == [0, 2, 6]
    assert lrs[4] == pytest.approx(0.5)  # half-way through the 4-epoch period


def test_reduce_lr_on_plateau_waits_patience_epochs():
    opt = optim.SGD([minitorch.zeros(1, requires_grad=True)], lr=1.0)
    sched = lr_scheduler.ReduceLROnPlateau(opt, patience=2, factor=0.5)
    seen = []
    for metric in [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5]:
        sched.step(metric)
        seen.append(opt.param_groups[0]["lr"])
    assert seen == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25]


def test_sequential_lr_switches_at_its_milestone():
    opt = optim.SGD([minitorch.zeros(1, requires_grad=True)], lr=1.0)
    warmup = lr_scheduler.LinearLR(opt, start_factor=0.25, total_iters=3)
    decay = lr_scheduler.ExponentialLR(opt, gamma=0.5)
    sched = lr_scheduler.SequentialLR(opt, [warmup, decay], milestones=[3])
    assert _lrs(sched, opt, 5) == [0.25, 0.5, 0.75, 1.0, 0.5, 0.25]

def _lrs(sched, opt, epochs):
    out = [sched.get_last_lr()[0]]
    for _ in range(epochs):
        opt.step()
        sched.step()
        out.append(sched.get_last_lr()[0])
    return out


def test_step_lr_decays_every_step_size_epochs():
    opt = optim.SGD([minitorch.zeros(1, requires_grad=True)], lr=1.0)
    sched = lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    assert _lrs(sched, opt, 7) == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25]
    assert opt.param_groups[0]["initial_lr"] == 1.0


def test_multistep_lr_decays_at_milestones():
    opt = optim.SGD([minitorch.zeros(1, requires_grad=True)], lr=1.0)
    sched = lr_scheduler.MultiStepLR(opt, milestones=[2, 4, 4], gamma=0.5)
    assert _lrs(sched, opt, 5) == [1.0, 1.0, 0.5, 0.5, 0.125, 0.125]


def test_cosine_annealing_follows_the_closed_form():
    opt = optim.SGD([minitorch.zeros(1, requires_grad=True)], lr=0.1)
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=8, eta_min=0.01)
    expected = [0.01 + 0.09 * (1 + math.cos(math.pi * t / 8)) / 2 for t in range(9)]
    for got, want in zip(_lrs(sched, opt, 8), expected):
        assert got == pytest.approx(want, rel=1e-12, abs=1e-15)


def test_lambda_lr_and_exponential_lr():
    opt = optim.SGD([minitorch.zeros(1, requires_grad=True)], lr=2.0)
    sched = lr_scheduler.LambdaLR(opt, lambda epoch: 1 / (epoch + 1))
    assert _lrs(sched, opt, 3) == [2.0, 1.0, 2.0 / 3, 0.5]
    opt = optim.SGD([minitorch.zeros(1, requires_grad=True)], lr=1.0)
    sched = lr_scheduler.ExponentialLR(opt, gamma=0.5)
    assert _lrs(sched, opt, 3) == [1.0, 0.5, 0.25, 0.125]


def test_scheduler_state_dict_has_no_optimizer_and_round_trips():
    opt = optim.SGD([minitorch.zeros(1, requires_grad=True)], lr=1.0)
    sched = lr_scheduler.StepLR(opt, step_size=2)
    _lrs(sched, opt, 3)
    state = sched.state_dict()
    assert "optimizer" not in state
    assert state["last_epoch"] == 3 and state["base_lrs"] == [1.0]
    other = lr_scheduler.StepLR(optim.SGD([minitorch.zeros(1, requires_grad=True)], lr=1.0), step_size=5)
    other.load_state_dict(state)
    assert other.step_size == 2 and other.last_epoch == 3


def test_no_warning_when_the_optimizer_steps_first():
    opt = optim.Adam([minitorch.zeros(1, requires_grad=True)])
    sched = lr_scheduler.ExponentialLR(opt, gamma=0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        sched.step()
