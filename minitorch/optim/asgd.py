"""Averaged stochastic gradient descent, as torch.optim.ASGD."""
from __future__ import annotations

from .._creation import full_like, tensor, zeros_like
from .._ops.arith import div
from .optimizer import Optimizer
from ._steps import check_capturable, check_lr, increment, scalar_state, steps_to_tensors, use_grad_for_differentiable, value


class ASGD(Optimizer):
    """Implements averaged SGD (Polyak & Juditsky, 1992).

    param = param (1 - lambd eta) - eta g;  ax += mu (param - ax) (ax = param while mu = 1);
    eta = lr / (1 + lambd lr t)^alpha;  mu = 1 / max(1, t - t0).
    State per parameter: ``step``, ``eta``, ``mu`` (0-d tensors) and ``ax``, the average.
    """

    # The step is Tensor ops, so PyTorch's other implementations' options all work here.
    _unsupported_options = ()

    def __init__(self, params, lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75,
                 t0: float = 1e6, weight_decay: float = 0, foreach: bool | None = None,
                 maximize: bool = False, differentiable: bool = False, capturable: bool = False) -> None:
        check_lr(lr)
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            for key, default in (("foreach", None), ("maximize", False), ("differentiable", False),
                                 ("capturable", False)):
                group.setdefault(key, default)
        steps_to_tensors(self, "step", "eta", "mu", on_param_device=True)

    @use_grad_for_differentiable
    def step(self, closure=None):
        """Perform a single optimization step; parameters without a gradient are skipped."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, lambd, alpha, t0 = value(group["lr"]), group["lambd"], group["alpha"], group["t0"]
            weight_decay = group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = scalar_state(0.0, p.device)
                    state["eta"] = scalar_state(lr, p.device)
                    state["mu"] = scalar_state(1.0, p.device)
                    state["ax"] = zeros_like(p)
                grad = -p.grad if group["maximize"] else p.grad
                mu, ax, eta = state["mu"], state["ax"], state["eta"]
                if group["capturable"]:
                    check_capturable("params, mus, etas, and state_steps", p, mu, eta, state["step"])
                step = increment(state["step"])
                if group["foreach"]:
                    _foreach_form(p, grad, ax, mu, eta, state["step"], lr, lambd, alpha, t0, weight_decay)
                    continue
                if weight_decay != 0:
                    grad = grad.add(p, alpha=weight_decay)
                eta_value = eta.item()
                p.mul_(1 - lambd * eta_value)  # the decay term
                p.add_(grad, alpha=-eta_value)
                if mu.item() != 1:
                    ax.add_(p.sub(ax).mul_(mu))
                else:
                    ax.copy_(p)
                # The new eta and mu pass through a default-dtype tensor, as in PyTorch.
                eta.copy_(tensor(lr / ((1 + lambd * lr * step) ** alpha)))
                mu.copy_(tensor(1 / max(1, step - t0)))
        return loss


def _foreach_form(p, grad, ax, mu, eta, step_t, lr, lambd, alpha, t0, weight_decay) -> None:
    """PyTorch's multi-tensor ASGD (foreach=True), which groups the same update differently:
    param -= eta (g + lambd param), ax += mu (param - ax) always, and the new eta computed in
    the step counter's precision."""
    intermediate = grad.add(p, alpha=weight_decay) if weight_decay != 0 else grad
    intermediate = intermediate.add(p, alpha=lambd)
    p.addcmul_(intermediate, eta, value=-1)
    ax.addcmul_(p.sub(ax), mu)
    base = (step_t * (lambd * lr) + 1) ** alpha
    eta.copy_(div(full_like(base, lr), base))
    mu.copy_(tensor(1 / max(1, step_t.item() - t0)))
