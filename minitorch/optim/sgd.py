"""Stochastic gradient descent (optionally with momentum), as torch.optim.SGD."""
from __future__ import annotations

from ..tensor import Tensor
from .._ops.optim import sgd_step, zeros_state
from .optimizer import Optimizer, _to_scalar


class SGD(Optimizer):
    """Implements stochastic gradient descent with optional (Nesterov) momentum.

    g = grad + weight_decay * param; buf = momentum * buf + (1 - dampening) * g (buf = g at
    the first step); param -= lr * (g + momentum * buf if nesterov else buf).
    State per parameter: ``momentum_buffer`` (only when momentum != 0).
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False,
                 fused: bool | None = None) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                    "foreach": foreach, "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            for key, default in (("nesterov", False), ("maximize", False), ("foreach", None),
                                 ("differentiable", False), ("fused", False)):
                group.setdefault(key, default)

    def step(self, closure=None):
        """Perform a single optimization step; parameters without a gradient are skipped."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            momentum = group["momentum"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                buf, first_step = None, False
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = zeros_state(p)
                        first_step = True
                sgd_step(p, p.grad, buf, lr=lr, momentum=momentum, dampening=group["dampening"],
                         weight_decay=_to_scalar(group["weight_decay"]), nesterov=group["nesterov"],
                         maximize=group["maximize"], first_step=first_step)
        return loss
