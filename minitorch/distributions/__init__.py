"""Probability distributions with PyTorch's interface (torch.distributions).

Sampling draws on minitorch's torch-compatible generator: the same seed gives the same draws
as PyTorch (``Categorical.sample`` through ``multinomial``, ``Normal.rsample`` through
``normal_``, ``Gamma``/``Beta``/``Dirichlet`` through torch's Marsaglia-Tsang sampler,
``Poisson`` through torch's ``poisson``, ...). ``log_prob`` and ``rsample`` are
differentiable (Gamma's and Dirichlet's with torch's implicit reparameterisation
gradients), so REINFORCE (``-dist.log_prob(action) * reward``) and reparameterised VAEs
train as in PyTorch.
"""
from . import constraints, transforms
from .bernoulli import Bernoulli
from .binomial import Binomial, NegativeBinomial
from .categorical import Categorical, OneHotCategorical, OneHotCategoricalStraightThrough
from .dirichlet import Beta, Dirichlet
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .exponential import Cauchy, Exponential, Laplace
from .gamma import Chi2, FisherSnedecor, Gamma, InverseGamma, StudentT
from .half import HalfCauchy, HalfNormal
from .independent import Independent
from .kl import kl_divergence, register_kl
from .log_normal import Gumbel, LogNormal
from .mixture_same_family import MixtureSameFamily
from .multinomial import Multinomial
from .multivariate_normal import MultivariateNormal
from .normal import Normal, Uniform
from .pareto import Pareto, Weibull
from .poisson import Geometric, Poisson
from .relaxed import ExpRelaxedCategorical, LogitRelaxedBernoulli, RelaxedBernoulli, RelaxedOneHotCategorical
from .transformed_distribution import TransformedDistribution
from .transforms import AbsTransform, AffineTransform, ExpTransform, PowerTransform, SigmoidTransform, Transform

__all__ = ["AbsTransform", "AffineTransform", "Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "Chi2",
           "Dirichlet", "Distribution", "ExpRelaxedCategorical", "ExpTransform", "Exponential", "ExponentialFamily",
           "FisherSnedecor", "Geometric", "Gamma", "Gumbel", "HalfCauchy", "HalfNormal", "Independent",
           "InverseGamma", "Laplace", "LogNormal", "LogitRelaxedBernoulli", "MixtureSameFamily", "Multinomial",
           "MultivariateNormal", "NegativeBinomial", "Normal", "OneHotCategorical", "OneHotCategoricalStraightThrough",
           "Pareto", "Poisson", "PowerTransform", "RelaxedBernoulli", "RelaxedOneHotCategorical", "SigmoidTransform",
           "StudentT", "Transform", "TransformedDistribution", "Uniform", "Weibull", "constraints", "kl_divergence",
           "register_kl", "transforms"]
