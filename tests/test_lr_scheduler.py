"""minitorch.optim.lr_scheduler against torch.optim.lr_scheduler: the same learning rates
(as floats, exactly) over 40 epochs, the same state_dict, warnings and errors."""
import copy
import math
import warnings

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
])
def test_step_with_an_epoch_uses_the_closed_form_like_torch(name, kwargs):
    mt_opt, th_opt = _optimizer(minitorch), _optimizer(torch)
    mt_sched = _scheduler(minitorch, name, kwargs, mt_opt)
    th_sched = _scheduler(torch, name, kwargs, th_opt)
    mt_opt.step()
    th_opt.step()
    for epoch in (5, 2, 11):
        with pytest.warns(UserWarning, match="epoch parameter"):
            mt_sched.step(epoch)
        with pytest.warns(UserWarning, match="epoch parameter"):
            th_sched.step(epoch)
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


# ----- without torch -----------------------------------------------------------------------

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
