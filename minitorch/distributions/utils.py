"""Helpers shared by the distributions (torch.distributions.utils)."""
from __future__ import annotations

import numbers

from .. import dtypes, finfo
from ..autograd.grad_mode import enable_grad
from ..tensor import Tensor
from .._creation import empty, tensor
from .._ops._common import broadcast_shapes

__all__ = ["broadcast_all", "clamp_probs", "lazy_property", "logits_to_probs", "probs_to_logits"]

euler_constant = 0.5772156649015329


def broadcast_all(*values) -> tuple:
    """Tensors and numbers broadcast to one shape (expanded views); numbers become tensors of
    the first tensor's dtype and device (the default dtype when there is none)."""
    if not all(isinstance(v, (Tensor, numbers.Number)) for v in values):
        raise ValueError("Input arguments must all be instances of Number, torch.Tensor or objects "
                         "implementing __torch_function__.")
    like = next((v for v in values if isinstance(v, Tensor)), None)
    options = ({"dtype": dtypes.get_default_dtype()} if like is None
               else {"dtype": like.dtype, "device": like.device})
    values = [v if isinstance(v, Tensor) else tensor(v, **options) for v in values]
    shape = tuple(broadcast_shapes(*(tuple(v.shape) for v in values)))
    return tuple(v if tuple(v.shape) == shape else v.expand(shape) for v in values)


def _standard_normal(shape, dtype, device) -> Tensor:
    """N(0, 1) draws as torch makes them: ``empty(shape).normal_()``."""
    return empty(shape, dtype=dtype, device=device).normal_()


def _sum_rightmost(value: Tensor, dim: int) -> Tensor:
    """value summed over its dim rightmost dims."""
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[:-dim]) + (-1,)).sum(-1)


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """sigmoid of binary logits, softmax over the last dim of categorical ones."""
    if is_binary:
        return logits.sigmoid()
    return logits.softmax(-1)


def clamp_probs(probs: Tensor) -> Tensor:
    """probs clamped into [eps, 1 - eps] of their dtype."""
    eps = finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """log(p) (categorical) or log(p) - log1p(-p) (binary), of the clamped probabilities."""
    clamped = clamp_probs(probs)
    if is_binary:
        return clamped.log() - (-clamped).log1p()
    return clamped.log()


class lazy_property:
    """A property computed once, with grad enabled, then stored on the instance (so that
    ``'probs' in d.__dict__`` tells which parameterisation a distribution was made with)."""

    def __init__(self, wrapped) -> None:
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.__name__ = wrapped.__name__

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        with enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value
