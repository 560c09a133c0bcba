"""Defaults of the optimizer extras of the backend interface, composed from the core (see
base.py): one in-place step of SGD, Adam/AdamW, Adadelta and RMSprop per parameter, with the
formulas of PyTorch's single-tensor implementations (torch/optim/*.py). A device's fused
kernels round each step as PyTorch's do; these compose elementwise ops and may differ in the
last bit."""
from __future__ import annotations

from ..dtypes import FROM_NP


class OptimDefaults:
    """Mixin of Backend: the fused optimizer steps, updating their arrays in place."""

    def _ops(self, param):
        dt = FROM_NP[param.dtype]
        return (lambda a, b: self.binary("add", a, b, dt), lambda a, b: self.binary("mul", a, b, dt),
                lambda a, b: self.binary("div", a, b, dt))

    def _gradient(self, param, grad, weight_decay, maximize):
        add, mul, _ = self._ops(param)
        g = mul(grad, -1) if maximize else grad
        return add(g, mul(param, weight_decay)) if weight_decay != 0 else g

    def sgd_step(self, param, grad, momentum_buffer, *, lr, momentum, dampening, weight_decay,
                 nesterov, maximize, first_step) -> None:
        add, mul, _ = self._ops(param)
        g = self._gradient(param, grad, weight_decay, maximize)
        if momentum_buffer is not None:
            buf = g if first_step else add(mul(momentum_buffer, momentum), mul(g, 1 - dampening))
            self.copy_into(momentum_buffer, buf)
            g = add(g, mul(buf, momentum)) if nesterov else buf
        self.copy_into(param, add(param, mul(g, -lr)))

    def adam_step(self, param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, *, step, lr, beta1,
                  beta2, eps, weight_decay, amsgrad, maximize, decoupled_weight_decay) -> None:
        add, mul, div = self._ops(param)
        g = mul(grad, -1) if maximize else grad
        if weight_decay != 0:
            if decoupled_weight_decay:
                self.copy_into(param, mul(param, 1 - lr * weight_decay))
            else:
                g = add(g, mul(param, weight_decay))
        m = add(exp_avg, mul(add(g, mul(exp_avg, -1)), 1 - beta1))
        v = add(mul(exp_avg_sq, beta2), mul(mul(g, g), 1 - beta2))
        self.copy_into(exp_avg, m)
        self.copy_into(exp_avg_sq, v)
        if amsgrad:
            v = self.binary("maximum", max_exp_avg_sq, v, FROM_NP[param.dtype])
            self.copy_into(max_exp_avg_sq, v)
        denom = add(div(self.unary("sqrt", v), (1 - beta2 ** step) ** 0.5), eps)
        self.copy_into(param, add(param, mul(div(m, denom), -lr / (1 - beta1 ** step))))

    def adadelta_step(self, param, grad, square_avg, acc_delta, *, lr, rho, eps, weight_decay,
                      maximize) -> None:
        add, mul, div = self._ops(param)
        g = self._gradient(param, grad, weight_decay, maximize)
        sq = add(mul(square_avg, rho), mul(mul(g, g), 1 - rho))
        self.copy_into(square_avg, sq)
        delta = mul(div(self.unary("sqrt", add(acc_delta, eps)), self.unary("sqrt", add(sq, eps))), g)
        self.copy_into(acc_delta, add(mul(acc_delta, rho), mul(mul(delta, delta), 1 - rho)))
        self.copy_into(param, add(param, mul(delta, -lr)))

    def rmsprop_step(self, param, grad, square_avg, grad_avg, momentum_buffer, *, lr, alpha, eps,
                     weight_decay, momentum, centered, maximize) -> None:
        add, mul, div = self._ops(param)
        g = self._gradient(param, grad, weight_decay, maximize)
        sq = add(mul(square_avg, alpha), mul(mul(g, g), 1 - alpha))
        self.copy_into(square_avg, sq)
        if centered:
            g_avg = add(grad_avg, mul(add(g, mul(grad_avg, -1)), 1 - alpha))
            self.copy_into(grad_avg, g_avg)
            avg = add(self.unary("sqrt", add(sq, mul(mul(g_avg, g_avg), -1))), eps)
        else:
            avg = add(self.unary("sqrt", sq), eps)
        if momentum_buffer is not None:
            buf = add(mul(momentum_buffer, momentum), div(g, avg))
            self.copy_into(momentum_buffer, buf)
            self.copy_into(param, add(param, mul(buf, -lr)))
        else:
            self.copy_into(param, add(param, mul(div(g, avg), -lr)))
