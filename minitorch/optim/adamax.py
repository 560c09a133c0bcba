"""Adamax (Adam with the infinity norm), as torch.optim.Adamax."""
from __future__ import annotations

from .._creation import zeros_like
from .optimizer import Optimizer
from ._steps import (check_betas_eps_wd, check_capturable, check_lr, increment, scalar_state,
                     steps_to_tensors, use_grad_for_differentiable, value)


class Adamax(Optimizer):
    """Implements Adamax (Kingma & Ba, 2014, section 7).

    m = beta1 m + (1 - beta1) g;  u = max(beta2 u, |g| + eps);
    param -= lr / (1 - beta1^t) * m / u.
    State per parameter: ``step``, ``exp_avg`` (m) and ``exp_inf`` (u).
    """

    # The step is Tensor ops, so PyTorch's other implementations' options all work here.
    _unsupported_options = ()

    def __init__(self, params, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False, capturable: bool = False) -> None:
        check_lr(lr)
        check_betas_eps_wd(betas, eps, weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            for key, default in (("foreach", None), ("maximize", False), ("differentiable", False),
                                 ("capturable", False)):
                group.setdefault(key, default)
        steps_to_tensors(self, "step")

    @use_grad_for_differentiable
    def step(self, closure=None):
        """Perform a single optimization step; parameters without a gradient are skipped."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr, eps, weight_decay = value(group["lr"]), group["eps"], group["weight_decay"]
            capturable = group["capturable"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = scalar_state(0.0, p.device if capturable else None)
                    state["exp_avg"] = zeros_like(p)
                    state["exp_inf"] = zeros_like(p)
                grad = -p.grad if group["maximize"] else p.grad
                exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
                if capturable:
                    check_capturable("params and state_steps", p, state["step"])
                step = increment(state["step"])
                if weight_decay != 0:
                    grad = grad.add(p, alpha=weight_decay)
                exp_avg.lerp_(grad, 1 - beta1)
                # u = max(beta2 u, |g| + eps), the new u written over the old
                exp_inf.copy_(exp_inf.mul_(beta2).maximum(grad.abs().add_(eps)))
                clr = lr / (1 - beta1 ** step)
                p.addcdiv_(exp_avg, exp_inf, value=-clr)
        return loss
