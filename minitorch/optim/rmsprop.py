"""RMSprop, as torch.optim.RMSprop."""
from __future__ import annotations

from ..tensor import Tensor
from .._ops.optim import increment, rmsprop_step, step_counter, zeros_state
from .optimizer import Optimizer, _steps_to_tensors, _to_scalar


class RMSprop(Optimizer):
    """Implements RMSprop (Hinton), optionally centered and with momentum.

    v = alpha v + (1 - alpha) g^2;  avg = sqrt(v - g_avg^2 if centered else v) + eps
    (g_avg = alpha g_avg + (1 - alpha) g);  buf = momentum buf + g / avg, param -= lr * buf
    (param -= lr * g / avg without momentum).
    State per parameter: ``step``, ``square_avg``, and ``momentum_buffer`` (momentum > 0)
    and ``grad_avg`` (centered).
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False,
                 capturable: bool = False, foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay, "capturable": capturable,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            for key, default in (("momentum", 0), ("centered", False), ("foreach", None),
                                 ("maximize", False), ("differentiable", False),
                                 ("capturable", False)):
                group.setdefault(key, default)
        _steps_to_tensors(self)

    def step(self, closure=None):
        """Perform a single optimization step; parameters without a gradient are skipped."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            momentum, centered = group["momentum"], group["centered"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = step_counter()
                    state["square_avg"] = zeros_state(p)
                    if momentum > 0:
                        state["momentum_buffer"] = zeros_state(p)
                    if centered:
                        state["grad_avg"] = zeros_state(p)
                increment(state["step"])
                rmsprop_step(p, p.grad, state["square_avg"], state["grad_avg"] if centered else None,
                             state["momentum_buffer"] if momentum > 0 else None,
                             lr=lr, alpha=group["alpha"], eps=group["eps"], weight_decay=group["weight_decay"],
                             momentum=momentum, centered=centered, maximize=group["maximize"])
        return loss
