"""Adagrad, as torch.optim.Adagrad."""
from __future__ import annotations

from .. import dtypes
from .._creation import full_like
from .optimizer import Optimizer
from ._steps import check_lr, increment, scalar_state, steps_to_tensors, use_grad_for_differentiable, value


class Adagrad(Optimizer):
    """Implements Adagrad (Duchi et al., 2011).

    sum += g^2;  param -= lr / (1 + (t - 1) lr_decay) * g / (sqrt(sum) + eps).
    State per parameter, made at construction for every parameter: ``step`` and ``sum``
    (filled with ``initial_accumulator_value``).
    """

    # The step is Tensor ops, so PyTorch's other implementations' options all work here.
    _unsupported_options = ()

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False, fused: bool | None = None) -> None:
        check_lr(lr)
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        if fused:
            if differentiable:
                raise RuntimeError("`fused` does not support `differentiable`")
            if foreach:
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(group, p)

    def _init_state(self, group, p) -> None:
        if group["fused"]:
            _check_fused(p)
        state = self.state[p]
        # The fused step counts in float32 on the parameter's device, as PyTorch's.
        state["step"] = scalar_state(0.0, p.device, dtypes.float32) if group["fused"] else scalar_state(0.0)
        state["sum"] = full_like(p, self.defaults["initial_accumulator_value"])

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            for key, default in (("foreach", None), ("maximize", False), ("differentiable", False),
                                 ("fused", None)):
                group.setdefault(key, default)
        steps_to_tensors(self, "step")

    @use_grad_for_differentiable
    def step(self, closure=None):
        """Perform a single optimization step; parameters without a gradient are skipped."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr = value(group["lr"])
            weight_decay, lr_decay, eps = group["weight_decay"], group["lr_decay"], group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    self._init_state(group, p)
                step = increment(state["step"])
                grad = -p.grad if group["maximize"] else p.grad
                if weight_decay != 0:
                    grad = grad.add(p, alpha=weight_decay)
                clr = lr / (1 + (step - 1) * lr_decay)
                state_sum = state["sum"]
                state_sum.addcmul_(grad, grad, value=1)
                std = state_sum.sqrt() + eps if group["differentiable"] else state_sum.sqrt().add_(eps)
                p.addcdiv_(grad, std, value=-clr)
        return loss


def _check_fused(p) -> None:
    """PyTorch's fused steps take floating-point parameters only."""
    if not p.is_floating_point():
        raise RuntimeError(f"`fused=True` requires all the params to be floating point Tensors of supported "
                           f"devices: ['mps', 'cuda', 'xpu', 'hpu', 'cpu', 'mtia', 'privateuseone'] but {p.dtype} "
                           f"and {p.device.type}")
