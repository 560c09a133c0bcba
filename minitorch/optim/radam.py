"""RAdam (rectified Adam), as torch.optim.RAdam."""
from __future__ import annotations

from .._creation import zeros_like
from .optimizer import Optimizer
from ._steps import (check_betas_eps_wd, check_capturable, check_lr, increment, scalar_state,
                     steps_to_tensors, use_grad_for_differentiable, value)


class RAdam(Optimizer):
    """Implements RAdam (Liu et al., 2019): Adam whose adaptive term is switched on (and
    rectified) only once the variance of its estimate is tractable.

    m, v as Adam; rho_inf = 2 / (1 - beta2) - 1, rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t);
    rho_t > 5: param -= lr m_hat * r_t sqrt(1 - beta2^t) / (sqrt(v) + eps), else param -= lr m_hat,
    with m_hat = m / (1 - beta1^t) and r_t the rectification term.
    State per parameter: ``step``, ``exp_avg`` (m) and ``exp_avg_sq`` (v).
    """

    # The step is Tensor ops, so PyTorch's other implementations' options all work here.
    _unsupported_options = ()

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        check_lr(lr)
        check_betas_eps_wd(betas, eps, weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "decoupled_weight_decay": decoupled_weight_decay, "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            for key, default in (("foreach", None), ("maximize", False), ("differentiable", False),
                                 ("decoupled_weight_decay", False), ("capturable", False)):
                group.setdefault(key, default)
        steps_to_tensors(self, "step")

    @use_grad_for_differentiable
    def step(self, closure=None):
        """Perform a single optimization step; parameters without a gradient are skipped."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr, eps, weight_decay = value(group["lr"]), group["eps"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = scalar_state(0.0, p.device if group["capturable"] else None)
                    state["exp_avg"] = zeros_like(p)
                    state["exp_avg_sq"] = zeros_like(p)
                grad = -p.grad if group["maximize"] else p.grad
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                if group["capturable"]:
                    check_capturable("params and state_steps", p, state["step"])
                step = increment(state["step"])
                if weight_decay != 0:
                    if group["decoupled_weight_decay"]:
                        p.mul_(1 - lr * weight_decay)
                    else:
                        grad = grad.add(p, alpha=weight_decay)
                exp_avg.lerp_(grad, 1 - beta1)
                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                bias_correction1 = 1 - beta1 ** step
                bias_correction2 = 1 - beta2 ** step
                bias_corrected_exp_avg = exp_avg / bias_correction1
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
                if rho_t > 5.0:
                    rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                    root = exp_avg_sq.sqrt()
                    root = root.add(eps) if group["differentiable"] else root.add_(eps)
                    adaptive_lr = (bias_correction2 ** 0.5) / root
                    p.add_(bias_corrected_exp_avg * lr * adaptive_lr * rect, alpha=-1.0)
                else:
                    p.add_(bias_corrected_exp_avg * lr, alpha=-1.0)
        return loss
