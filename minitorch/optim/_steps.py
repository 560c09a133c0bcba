"""What the optimizers whose update is written in Tensor ops share (Adagrad, Adamax, NAdam,
RAdam, ASGD, Rprop, LBFGS): their scalar state, the grad mode of a step, and the checks of
PyTorch's ``capturable`` option.

These optimizers follow PyTorch's single-tensor implementations op for op (``lerp_``,
``addcmul_``, ``addcdiv_`` ... on the parameter and its state), so they run on every
backend and give PyTorch's numbers. ``foreach=True`` (PyTorch's multi-tensor variant of
the same formulas) runs the same per-parameter ops here.
"""
from __future__ import annotations

import functools

from .. import dtypes
from ..autograd.grad_mode import no_grad, set_grad_enabled
from ..tensor import Tensor

# The device types on which PyTorch allows capturable=True (CUDA-graph-safe steps).
_CAPTURABLE_DEVICES = ["cuda", "xpu", "hpu", "privateuseone", "xla"]


def scalar_dtype() -> dtypes.dtype:
    """The dtype of step counters and other scalar state: float32, or float64 when that is
    the default dtype (PyTorch's _get_scalar_dtype)."""
    return dtypes.float64 if dtypes.get_default_dtype() is dtypes.float64 else dtypes.float32


def scalar_state(value: float, device=None, dtype: dtypes.dtype | None = None) -> Tensor:
    """A 0-d scalar-state tensor (a step counter, NAdam's mu_product ...) of scalar_dtype(),
    on the CPU unless a device is given (capturable steps keep it on the parameter's device)."""
    from .._creation import tensor
    return tensor(float(value), dtype=dtype or scalar_dtype(), device=device)


def increment(step: Tensor) -> float:
    """step += 1 in place; the new count as a Python float."""
    with no_grad():
        step.add_(1)
    return step.item()


def value(x):
    """A Python number from a number or a one-element tensor (PyTorch's _get_value/_to_scalar)."""
    return x.item() if isinstance(x, Tensor) else x


def check_capturable(what: str, param: Tensor, *states: Tensor) -> None:
    """PyTorch's assertion for capturable=True outside a CUDA-graph-capable device."""
    if param.device.type not in _CAPTURABLE_DEVICES or any(s.device.type != param.device.type for s in states):
        raise AssertionError(f"If capturable=True, {what} must be on supported devices: {_CAPTURABLE_DEVICES}.")


def use_grad_for_differentiable(step):
    """Run an optimizer's step with gradient recording on only when the optimizer is
    ``differentiable`` (so the update itself becomes part of the graph), off otherwise."""
    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        with set_grad_enabled(bool(self.defaults["differentiable"])):
            return step(self, *args, **kwargs)
    return wrapper


def check_lr(lr) -> None:
    """The learning-rate checks every optimizer makes first."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def check_betas_eps_wd(betas, eps, weight_decay) -> None:
    """The Adam family's checks of eps, betas and weight_decay, in PyTorch's order."""
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


def steps_to_tensors(optimizer, *keys: str, on_param_device: bool | None = None) -> None:
    """After loading: turn scalar state saved as plain numbers (``step``, ...) into tensors,
    on the parameter's device when on_param_device (None: when the group is capturable)."""
    for group in optimizer.param_groups:
        on_device = group.get("capturable") if on_param_device is None else on_param_device
        for p in group["params"]:
            p_state = optimizer.state.get(p, {})
            for key in keys:
                if key in p_state and not isinstance(p_state[key], Tensor):
                    p_state[key] = scalar_state(float(p_state[key]), p.device if on_device else None)
