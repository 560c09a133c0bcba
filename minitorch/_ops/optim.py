"""The optimizers' access to tensors: one fused, in-place step per parameter through its
device's op table (``sgd_step``, ``adam_step``, ... of backends/base.py), the step counter,
state buffers, and resetting gradients. The optimizers in ``minitorch/optim`` call these and
never a tensor's memory, table or version counter themselves; each step counts as an
in-place write of the tensors it updates, as PyTorch's do."""
from __future__ import annotations

import numpy as np

from .. import dtypes
from .._creation import tensor
from ..tensor import Tensor


def _raw(t):
    return None if t is None else t._data


def _written(*tensors) -> None:
    for t in tensors:
        if t is not None:
            t._vbox[0] += 1


def sgd_step(param: Tensor, grad: Tensor, momentum_buffer, **options) -> None:
    """torch.optim.SGD's update of param (and its momentum buffer, when given), in place."""
    param._backend.sgd_step(param._data, grad._data, _raw(momentum_buffer), **options)
    _written(param, momentum_buffer)


def adam_step(param: Tensor, grad: Tensor, exp_avg: Tensor, exp_avg_sq: Tensor, max_exp_avg_sq, **options) -> None:
    """torch.optim.Adam's (AdamW's) update of param and its moments, in place."""
    param._backend.adam_step(param._data, grad._data, exp_avg._data, exp_avg_sq._data, _raw(max_exp_avg_sq),
                             **options)
    _written(param, exp_avg, exp_avg_sq, max_exp_avg_sq)


def adadelta_step(param: Tensor, grad: Tensor, square_avg: Tensor, acc_delta: Tensor, **options) -> None:
    """torch.optim.Adadelta's update of param and its running averages, in place."""
    param._backend.adadelta_step(param._data, grad._data, square_avg._data, acc_delta._data, **options)
    _written(param, square_avg, acc_delta)


def rmsprop_step(param: Tensor, grad: Tensor, square_avg: Tensor, grad_avg, momentum_buffer, **options) -> None:
    """torch.optim.RMSprop's update of param and its buffers, in place."""
    param._backend.rmsprop_step(param._data, grad._data, square_avg._data, _raw(grad_avg), _raw(momentum_buffer),
                                **options)
    _written(param, square_avg, grad_avg, momentum_buffer)


def zeros_state(param: Tensor) -> Tensor:
    """A state buffer: zeros of param's shape and dtype on its device, contiguous."""
    return Tensor._wrap(param._backend.zeros(param._data.shape, param.dtype), param._backend)


def step_counter(value: float = 0.0) -> Tensor:
    """The ``step`` entry of a parameter's state: a 0-d CPU tensor, float32 as in PyTorch
    (float64 when that is the default dtype)."""
    dtype = dtypes.float64 if dtypes.get_default_dtype() is dtypes.float64 else dtypes.float32
    return tensor(value, dtype=dtype)


def increment(step: Tensor) -> float:
    """step += 1 in place; returns the new count as a Python float."""
    data = step._data
    if type(data) is np.ndarray:  # the usual 0-d CPU counter: NumPy's scalar add, in its dtype
        value = data[()] + data.dtype.type(1)
        data[()] = value
        step._vbox[0] += 1
        return float(value)
    step._backend.inplace("add", data, 1)
    step._vbox[0] += 1
    return step._backend.scalar(data)


def zero_grad(params, set_to_none: bool = True) -> None:
    """Reset the .grad of every tensor in params: to None, or to zeros in place (detached
    first), as Module.zero_grad and Optimizer.zero_grad do."""
    for p in params:
        grad = p.grad
        if grad is None:
            continue
        if set_to_none:
            p.grad = None
            continue
        if grad.grad_fn is not None:
            grad.detach_()
        else:
            grad.requires_grad_(False)
        grad.zero_()
