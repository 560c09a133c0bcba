"""CUDA optim ops: one fused, in-place elementwise kernel per step per parameter.

The methods are the CPU table's (_backends/cpu/optim_ops.py) and each kernel is the CPU
kernel (_backends/cpu/optim_kernels.py) line for line: the scalar coefficients are
computed on the host in float64 and passed in the parameter's dtype, the elementwise
math runs in that dtype, and ``_fma`` / ``_lerp`` compute in float64 and round once.

Rounding to the parameter's dtype: where the CPU kernel writes ``t(...)`` (round a
float64 intermediate to the dtype), a numba-CUDA kernel has no dtype-generic cast. It
stores the value into an element of the parameter's dtype that the thread owns and
reads it back: into the state array the CPU also stores it in (exp_avg, exp_avg_sq,
square_avg, momentum_buffer, grad_avg), or into ``param[i]`` itself as scratch (its
old value is held in a register; the final store overwrites it).

Operands may be non-contiguous (a parameter that is a view, a broadcast gradient):
each is read through its own strides (``offset_of``) unless all of them are
contiguous, where the kernel indexes ``offset + i`` (the ``flat`` flag, uniform per
launch). An unused state (no momentum, not amsgrad, not centered) is passed as the
parameter, as the CPU table does, and never touched.

On the GPU, NVVM may contract a float multiply and add into one FMA, so a parameter
can differ from the CPU's in the last bit (PyTorch's own CPU and CUDA steps differ
likewise).
"""
from __future__ import annotations

import numba
import numpy as np
from numba import cuda

from . import _math as m
from ._kernels import index_at
from ._launch import broadcast_strides, check_device, collapse, launch

_F64 = numba.float64


@cuda.jit(device=True)
def _fma(a, b, c):
    """a * b + c in float64 (exact product for float32 operands; one rounding to the dtype
    happens at the caller's store)."""
    return _F64(a) * _F64(b) + _F64(c)


@cuda.jit(device=True)
def _lerp(start, end, weight, weight_minus_one):
    """PyTorch's lerp, start + weight * (end - start), computed from the nearer end."""
    if abs(weight) < 0.5:
        return _fma(weight, end - start, start)
    return _fma(weight_minus_one, end - start, end)


@cuda.jit(device=True)
def _param_and_grad(i, p, po, pst, g, go, gst, flat, shape, weight_decay, maximize):
    """Element i's index in p, its value, and its gradient as SGD, Adadelta and RMSprop use
    it: negated when maximizing, plus weight_decay * p rounded to p's dtype through a store
    into p[ip] (the step overwrites it), as the CPU kernels round."""
    ip = index_at(i, flat, shape, pst, po)
    pv = p[ip]
    gv = g[index_at(i, flat, shape, gst, go)]
    if maximize:
        gv = -gv
    if weight_decay != 0:
        p[ip] = _fma(weight_decay, pv, gv)
        gv = p[ip]
    return ip, pv, gv


@cuda.jit(cache=True)
def k_sgd_step(p, po, pst, g, go, gst, b, bo, bst, flat, shape, n, neg_lr, momentum,
               dampening_weight, weight_decay, use_momentum, first_step, nesterov, maximize):
    """SGD: g += wd * p; buf = momentum * buf + (1 - dampening) * g (g on the first step);
    p -= lr * (g + momentum * buf if nesterov else buf)."""
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        ip, pv, gv = _param_and_grad(i, p, po, pst, g, go, gst, flat, shape, weight_decay, maximize)
        if use_momentum:
            ib = index_at(i, flat, shape, bst, bo)
            if first_step:
                b[ib] = gv
            else:
                b[ib] = _fma(dampening_weight, gv, b[ib] * momentum)
            bv = b[ib]
            if nesterov:
                p[ip] = _fma(momentum, bv, gv)
                gv = p[ip]
            else:
                gv = bv
        p[ip] = _fma(neg_lr, gv, pv)
        i += step


@cuda.jit(cache=True)
def k_adam_step(p, po, pst, g, go, gst, ea, eao, east, es, eso, esst, vm, vmo, vmst, flat, shape, n,
                beta1_weight, beta1_weight_minus_one, beta2, beta2_weight, neg_step_size,
                bias_correction2_sqrt, eps, weight_decay, decay_factor, amsgrad, maximize, decoupled):
    """Adam / AdamW: m = lerp(m, g, 1 - beta1); v = beta2 * v + (1 - beta2) * g * g
    (v_max = max(v_max, v)); p += -step_size * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)."""
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        ip = index_at(i, flat, shape, pst, po)
        pv = p[ip]
        gv = g[index_at(i, flat, shape, gst, go)]
        if maximize:
            gv = -gv
        if weight_decay != 0:
            if decoupled:
                pv = pv * decay_factor
            else:
                p[ip] = _fma(weight_decay, pv, gv)
                gv = p[ip]
        ia = index_at(i, flat, shape, east, eao)
        ea[ia] = _lerp(ea[ia], gv, beta1_weight, beta1_weight_minus_one)
        mv = ea[ia]
        isq = index_at(i, flat, shape, esst, eso)
        es[isq] = _fma(beta2_weight * gv, gv, es[isq] * beta2)
        vv = es[isq]
        if amsgrad:
            im = index_at(i, flat, shape, vmst, vmo)
            v_max = vm[im]
            if vv > v_max or vv != vv:  # torch.maximum propagates NaN
                v_max = vv
            vm[im] = v_max
            vv = v_max
        denom = m.sqrt(vv) / bias_correction2_sqrt + eps
        p[ip] = pv + neg_step_size * mv / denom
        i += step


@cuda.jit(cache=True)
def k_adadelta_step(p, po, pst, g, go, gst, sq, sqo, sqst, ac, aco, acst, flat, shape, n,
                    neg_lr, rho, rho_weight, eps, weight_decay, maximize):
    """Adadelta: sq = rho * sq + (1 - rho) * g * g; delta = sqrt(acc + eps) / sqrt(sq + eps) * g;
    acc = rho * acc + (1 - rho) * delta * delta; p -= lr * delta."""
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        ip, pv, gv = _param_and_grad(i, p, po, pst, g, go, gst, flat, shape, weight_decay, maximize)
        isq = index_at(i, flat, shape, sqst, sqo)
        sq[isq] = _fma(rho_weight * gv, gv, sq[isq] * rho)
        sqv = sq[isq]
        ia = index_at(i, flat, shape, acst, aco)
        av = ac[ia]
        delta = m.sqrt(av + eps) / m.sqrt(sqv + eps) * gv
        ac[ia] = _fma(rho_weight * delta, delta, av * rho)
        p[ip] = _fma(neg_lr, delta, pv)
        i += step


@cuda.jit(cache=True)
def k_rmsprop_step(p, po, pst, g, go, gst, sq, sqo, sqst, ga, gao, gast, b, bo, bst, flat, shape, n,
                   neg_lr, alpha, alpha_weight, alpha_weight_minus_one, eps, weight_decay, momentum,
                   centered, use_momentum, maximize):
    """RMSprop: sq = alpha * sq + (1 - alpha) * g * g; avg = sqrt(sq - g_avg**2 if centered
    else sq) + eps (g_avg = lerp(g_avg, g, 1 - alpha)); buf = momentum * buf + g / avg,
    p -= lr * buf, or without momentum p -= lr * g / avg."""
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        ip, pv, gv = _param_and_grad(i, p, po, pst, g, go, gst, flat, shape, weight_decay, maximize)
        isq = index_at(i, flat, shape, sqst, sqo)
        sq[isq] = _fma(alpha_weight * gv, gv, sq[isq] * alpha)
        sqv = sq[isq]
        if centered:
            iga = index_at(i, flat, shape, gast, gao)
            ga[iga] = _lerp(ga[iga], gv, alpha_weight, alpha_weight_minus_one)
            gav = ga[iga]
            p[ip] = _fma(-gav, gav, sqv)            # p[ip] as scratch: round to the dtype
            avg = m.sqrt(p[ip]) + eps
        else:
            avg = m.sqrt(sqv) + eps
        if use_momentum:
            ib = index_at(i, flat, shape, bst, bo)
            bv = b[ib] * momentum + gv / avg
            b[ib] = bv
            p[ip] = _fma(neg_lr, bv, pv)
        else:
            p[ip] = pv + neg_lr * gv / avg
        i += step


def _operands(param, *others):
    """Launch arguments (buf, offset, strides) of param and of each other operand (None:
    the parameter stands in), the collapsed shape, whether all are contiguous, and n."""
    check_device(param)
    shape = param.shape
    arrays = [param] + [param if o is None else o for o in others]
    for a in arrays[1:]:
        check_device(a)
    cs, css = collapse(shape, param.estrides, *[broadcast_strides(a, shape) for a in arrays[1:]])
    flat = len(cs) == 1 and all(s == (1,) for s in css)
    args = []
    for a, st in zip(arrays, css):
        args += [a.buf, a.offset, st]
    return args, cs, flat, param.size


def _dtype_of(param):
    if param.dtype.kind != "f" or param.dtype == np.float16:
        raise NotImplementedError(f"CUDA optimizer steps support float32 and float64 parameters, "
                                  f"not {param.dtype}")
    return param.dtype.type


class OptimOps:
    """The optim part of the CUDA op table: in-place steps on CudaArrays."""

    def sgd_step(self, param, grad, momentum_buffer, *, lr, momentum, dampening, weight_decay,
                 nesterov, maximize, first_step) -> None:
        """One SGD step of torch.optim.SGD; momentum_buffer is None without momentum, and
        is overwritten with the (decayed) gradient when first_step."""
        t = _dtype_of(param)
        args, cs, flat, n = _operands(param, grad, momentum_buffer)
        launch(k_sgd_step, n, *args, flat, cs, n, t(-lr), t(momentum), t(1 - dampening),
               t(weight_decay), momentum_buffer is not None, bool(first_step), bool(nesterov),
               bool(maximize))

    def adam_step(self, param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, *, step, lr, beta1,
                  beta2, eps, weight_decay, amsgrad, maximize, decoupled_weight_decay) -> None:
        """One step of torch.optim.Adam (AdamW when decoupled_weight_decay); step counts
        from 1 and already includes this step. max_exp_avg_sq is None unless amsgrad."""
        t = _dtype_of(param)
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        step_size = lr / bias_correction1
        beta1_weight = t(1 - beta1)
        args, cs, flat, n = _operands(param, grad, exp_avg, exp_avg_sq,
                                      max_exp_avg_sq if amsgrad else None)
        launch(k_adam_step, n, *args, flat, cs, n, beta1_weight, t(beta1_weight - t(1)), t(beta2),
               t(1 - beta2), t(-step_size), t(bias_correction2 ** 0.5), t(eps), t(weight_decay),
               t(1 - lr * weight_decay), bool(amsgrad), bool(maximize), bool(decoupled_weight_decay))

    def adadelta_step(self, param, grad, square_avg, acc_delta, *, lr, rho, eps, weight_decay,
                      maximize) -> None:
        """One step of torch.optim.Adadelta."""
        t = _dtype_of(param)
        args, cs, flat, n = _operands(param, grad, square_avg, acc_delta)
        launch(k_adadelta_step, n, *args, flat, cs, n, t(-lr), t(rho), t(1 - rho), t(eps),
               t(weight_decay), bool(maximize))

    def rmsprop_step(self, param, grad, square_avg, grad_avg, momentum_buffer, *, lr, alpha, eps,
                     weight_decay, momentum, centered, maximize) -> None:
        """One step of torch.optim.RMSprop; grad_avg is None unless centered, momentum_buffer
        None unless momentum > 0."""
        t = _dtype_of(param)
        alpha_weight = t(1 - alpha)
        args, cs, flat, n = _operands(param, grad, square_avg, grad_avg, momentum_buffer)
        launch(k_rmsprop_step, n, *args, flat, cs, n, t(-lr), t(alpha), alpha_weight,
               t(alpha_weight - t(1)), t(eps), t(weight_decay), t(momentum), bool(centered),
               momentum_buffer is not None, bool(maximize))
