"""NAdam (Adam with Nesterov momentum), as torch.optim.NAdam."""
from __future__ import annotations

from .._creation import zeros_like
from .optimizer import Optimizer
from ._steps import (check_betas_eps_wd, check_capturable, check_lr, increment, scalar_state,
                     steps_to_tensors, use_grad_for_differentiable, value)


class NAdam(Optimizer):
    """Implements NAdam (Dozat, 2016), with momentum decay.

    mu_t = beta1 (1 - 0.5 * 0.96^(t psi));  m = beta1 m + (1 - beta1) g;
    v = beta2 v + (1 - beta2) g^2;  denom = sqrt(v / (1 - beta2^t)) + eps;
    param -= lr (1 - mu_t) / (1 - prod mu_1..t) g / denom
             + lr mu_{t+1} / (1 - prod mu_1..t+1) m / denom.
    State per parameter: ``step``, ``mu_product``, ``exp_avg`` (m) and ``exp_avg_sq`` (v).
    """

    # The step is Tensor ops, so PyTorch's other implementations' options all work here.
    _unsupported_options = ()

    def __init__(self, params, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False) -> None:
        check_lr(lr)
        check_betas_eps_wd(betas, eps, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay, "decoupled_weight_decay": decoupled_weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            for key, default in (("maximize", False), ("foreach", None), ("capturable", False),
                                 ("differentiable", False), ("decoupled_weight_decay", False)):
                group.setdefault(key, default)
        steps_to_tensors(self, "step", "mu_product")

    @use_grad_for_differentiable
    def step(self, closure=None):
        """Perform a single optimization step; parameters without a gradient are skipped."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr, eps, weight_decay = value(group["lr"]), group["eps"], group["weight_decay"]
            momentum_decay, capturable = group["momentum_decay"], group["capturable"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    device = p.device if capturable else None
                    state["step"] = scalar_state(0.0, device)
                    state["mu_product"] = scalar_state(1.0, device)
                    state["exp_avg"] = zeros_like(p)
                    state["exp_avg_sq"] = zeros_like(p)
                grad = -p.grad if group["maximize"] else p.grad
                exp_avg, exp_avg_sq, mu_product = state["exp_avg"], state["exp_avg_sq"], state["mu_product"]
                if capturable:
                    check_capturable("params, mu_products and state_steps", p, mu_product, state["step"])
                step = increment(state["step"])
                bias_correction2 = 1 - beta2 ** step
                if weight_decay != 0:
                    if group["decoupled_weight_decay"]:
                        p.mul_(1 - lr * weight_decay)
                    else:
                        grad = grad.add(p, alpha=weight_decay)
                mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
                mu_product.mul_(mu)  # in the state's own precision, as PyTorch's
                exp_avg.lerp_(grad, 1 - beta1)
                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                denom = exp_avg_sq.div(bias_correction2).sqrt()
                if group["differentiable"] or capturable:
                    # the products stay tensors, so gradients flow through mu_product
                    denom = denom.add(eps)
                    mu_product_next = mu_product * mu_next
                    p.addcdiv_(grad * (-lr * (1.0 - mu) / (1.0 - mu_product)), denom)
                    p.addcdiv_(exp_avg * (-lr * mu_next / (1.0 - mu_product_next)), denom)
                else:
                    product = mu_product.item()
                    mu_product_next = product * mu_next
                    denom.add_(eps)
                    p.addcdiv_(grad, denom, value=-lr * (1.0 - mu) / (1.0 - product))
                    p.addcdiv_(exp_avg, denom, value=(-lr * mu_next) / (1.0 - mu_product_next))
        return loss
