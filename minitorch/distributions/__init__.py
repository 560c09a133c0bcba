"""Probability distributions with PyTorch's interface (torch.distributions).

Sampling draws on minitorch's torch-compatible generator: the same seed gives the same draws
as PyTorch (``Categorical.sample`` through ``multinomial``, ``Normal.rsample`` through
``normal_``, ...). ``log_prob`` and ``rsample`` are differentiable, so REINFORCE
(``-dist.log_prob(action) * reward``) and reparameterised VAEs train as in PyTorch.
"""
from . import constraints
from .bernoulli import Bernoulli
from .categorical import Categorical, OneHotCategorical, OneHotCategoricalStraightThrough
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .independent import Independent
from .kl import kl_divergence, register_kl
from .multivariate_normal import MultivariateNormal
from .normal import Normal, Uniform

__all__ = ["Bernoulli", "Categorical", "Distribution", "ExponentialFamily", "Independent", "MultivariateNormal", "Normal",
           "OneHotCategorical", "OneHotCategoricalStraightThrough", "Uniform", "constraints", "kl_divergence",
           "register_kl"]
