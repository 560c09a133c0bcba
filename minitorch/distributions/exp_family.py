"""ExponentialFamily: distributions with density exp(<t(x), theta> - F(theta) + k(x)).

From the natural parameters theta and the log normaliser F alone, the entropy and the KL
divergence between two members of one family follow as Bregman divergences of F (its
gradient by autograd), as torch computes them for families without a closed form.
"""
from __future__ import annotations

from ..autograd import grad
from ..tensor import Tensor
from .distribution import Distribution

__all__ = ["ExponentialFamily"]


class ExponentialFamily(Distribution):
    """Base of exponential-family distributions: subclasses give ``_natural_params``,
    ``_log_normalizer(*natural_params)`` and ``_mean_carrier_measure`` (E[k(x)])."""

    @property
    def _natural_params(self) -> tuple:
        raise NotImplementedError

    def _log_normalizer(self, *natural_params) -> Tensor:
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self) -> float:
        raise NotImplementedError

    def entropy(self) -> Tensor:
        """F(theta) - <theta, grad F(theta)> - E[k(x)]."""
        nparams = [p.detach().requires_grad_() for p in self._natural_params]
        log_normalizer = self._log_normalizer(*nparams)
        gradients = grad(log_normalizer.sum(), nparams, create_graph=True)
        result = log_normalizer - self._mean_carrier_measure
        for theta, g in zip(nparams, gradients):
            result = result - (theta * g).reshape(tuple(self._batch_shape) + (-1,)).sum(-1)
        return result
