"""Resilient backpropagation, as torch.optim.Rprop."""
from __future__ import annotations

from .._creation import full_like, zeros_like
from .optimizer import Optimizer
from ._steps import check_capturable, check_lr, increment, scalar_state, steps_to_tensors, use_grad_for_differentiable, value


class Rprop(Optimizer):
    """Implements Rprop (Riedmiller & Braun, 1993): each element moves by its own step size,
    grown by etaplus while its gradient keeps its sign and shrunk by etaminus when it flips
    (that step then skips the element), within step_sizes.

    State per parameter: ``step``, ``prev`` (the last gradient used) and ``step_size``.
    """

    # The step is Tensor ops, so PyTorch's other implementations' options all work here.
    _unsupported_options = ()

    def __init__(self, params, lr: float = 1e-2, etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False, differentiable: bool = False) -> None:
        check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {"lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "capturable": capturable}
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
            etaminus, etaplus = group["etas"]
            step_size_min, step_size_max = group["step_sizes"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = scalar_state(0.0, p.device if group["capturable"] else None)
                    state["prev"] = zeros_like(p)
                    state["step_size"] = full_like(p.grad, value(group["lr"]))
                grad = -p.grad if group["maximize"] else p.grad
                prev, step_size = state["prev"], state["step_size"]
                if group["capturable"]:
                    check_capturable("params and state_steps", p, state["step"])
                increment(state["step"])
                sign = grad.mul(prev.clone() if group["differentiable"] else prev).sign()
                sign = sign.masked_fill(sign.gt(0), etaplus)
                sign = sign.masked_fill(sign.lt(0), etaminus)
                sign = sign.masked_fill(sign.eq(0), 1)
                step_size.mul_(sign).clamp_(step_size_min, step_size_max)
                # where the sign flipped, this step leaves the element alone and forgets its gradient
                grad = grad.masked_fill(sign.eq(etaminus), 0)
                p.addcmul_(grad.sign(), step_size, value=-1)
                prev.copy_(grad)
        return loss
