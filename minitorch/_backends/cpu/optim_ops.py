"""The optim entries of the CPU op table (a mixin of CPUBackend).

One fused, in-place step per parameter. The scalar coefficients are computed here in
float64 (Python floats, as PyTorch computes them) and converted to the parameter's
dtype, which is how PyTorch's CPU kernels receive them; the kernels in
``optim_kernels`` then do the elementwise math in that dtype.
"""
import numpy as np

from . import optim_kernels as kernels
from .kernels import flat as _flat


def _write_back(dst: np.ndarray, flat: np.ndarray) -> None:
    """Copy an updated flat array into dst when _flat had to copy dst."""
    if not dst.flags.c_contiguous:
        dst[...] = flat.reshape(dst.shape)


class OptimOps:
    """Op-table methods for optim; raw NumPy arrays, updated in place."""

    def sgd_step(self, param, grad, momentum_buffer, *, lr, momentum, dampening, weight_decay,
                 nesterov, maximize, first_step) -> None:
        """One SGD step of torch.optim.SGD; momentum_buffer is None without momentum, and
        is overwritten with the (decayed) gradient when first_step."""
        t = param.dtype.type
        p = _flat(param)
        buf = p if momentum_buffer is None else _flat(momentum_buffer)
        kernels.sgd_step(p, _flat(grad), buf, t(-lr), t(momentum), t(1 - dampening),
                         t(weight_decay), momentum_buffer is not None, bool(first_step),
                         bool(nesterov), bool(maximize))
        _write_back(param, p)
        if momentum_buffer is not None:
            _write_back(momentum_buffer, buf)

    def adam_step(self, param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, *, step, lr, beta1,
                  beta2, eps, weight_decay, amsgrad, maximize, decoupled_weight_decay) -> None:
        """One step of torch.optim.Adam (AdamW when decoupled_weight_decay); step counts
        from 1 and already includes this step. max_exp_avg_sq is None unless amsgrad."""
        t = param.dtype.type
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        step_size = lr / bias_correction1
        p, m, v = _flat(param), _flat(exp_avg), _flat(exp_avg_sq)
        v_max = _flat(max_exp_avg_sq) if amsgrad else p
        kernels.adam_step(p, _flat(grad), m, v, v_max, t(1 - beta1), t(beta2), t(1 - beta2),
                          t(-step_size), t(bias_correction2 ** 0.5), t(eps), t(weight_decay),
                          t(1 - lr * weight_decay), bool(amsgrad), bool(maximize),
                          bool(decoupled_weight_decay))
        for dst, flat in ((param, p), (exp_avg, m), (exp_avg_sq, v)):
            _write_back(dst, flat)
        if amsgrad:
            _write_back(max_exp_avg_sq, v_max)

    def adadelta_step(self, param, grad, square_avg, acc_delta, *, lr, rho, eps, weight_decay,
                      maximize) -> None:
        """One step of torch.optim.Adadelta."""
        t = param.dtype.type
        p, sq, acc = _flat(param), _flat(square_avg), _flat(acc_delta)
        kernels.adadelta_step(p, _flat(grad), sq, acc, t(-lr), t(rho), t(1 - rho), t(eps),
                              t(weight_decay), bool(maximize))
        for dst, flat in ((param, p), (square_avg, sq), (acc_delta, acc)):
            _write_back(dst, flat)

    def rmsprop_step(self, param, grad, square_avg, grad_avg, momentum_buffer, *, lr, alpha, eps,
                     weight_decay, momentum, centered, maximize) -> None:
        """One step of torch.optim.RMSprop; grad_avg is None unless centered, momentum_buffer
        None unless momentum > 0."""
        t = param.dtype.type
        p, sq = _flat(param), _flat(square_avg)
        g_avg = p if grad_avg is None else _flat(grad_avg)
        buf = p if momentum_buffer is None else _flat(momentum_buffer)
        kernels.rmsprop_step(p, _flat(grad), sq, g_avg, buf, t(-lr), t(alpha), t(1 - alpha), t(eps),
                             t(weight_decay), t(momentum), bool(centered),
                             momentum_buffer is not None, bool(maximize))
        for dst, flat in ((param, p), (square_avg, sq), (grad_avg, g_avg), (momentum_buffer, buf)):
            if dst is not None:
                _write_back(dst, flat)
