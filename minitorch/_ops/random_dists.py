"""The samplers behind torch.distributions, with PyTorch's numbers: ``poisson``, ``binomial``,
``_standard_gamma`` and ``_sample_dirichlet`` (and the Dirichlet draws of ``rsample``), and the
in-place fills ``exponential_``, ``cauchy_`` and ``geometric_``.

They draw on the CPU generator (the op table's ``random_*`` extras of _backends/cpu/
random_ops.py), then move the draws to the input's device, like minitorch.random's
functions without a device of their own. Gamma and Dirichlet draws are differentiable in
their concentration through torch's implicit reparameterisation gradients
(``_standard_gamma_grad``, ``_dirichlet_grad``, on the tensor's own op table); the others
are outside the autograd graph."""
from __future__ import annotations

from .._backends import cpu as _cpu
from .._declare import method, op
from ..autograd.function import Function
from ..tensor import Tensor


def _host(input: Tensor, kernel: str):
    if not input.dtype.is_floating_point or input.dtype.itemsize < 4:
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{input.dtype.legacy_name}'")
    return input.detach().cpu().numpy()


def _draw(input: Tensor, values) -> Tensor:
    from ..random import _finish_host
    return _finish_host(values, input.device, False)


@op(method=False)
def poisson(input: Tensor, generator=None) -> Tensor:
    """Poisson(rate) counts with the rates of input, in input's dtype (torch's sampler:
    transformed rejection from rate 10, multiplied uniforms below)."""
    from ..random import _check_generator, _state
    rates = _host(input, "poisson_cpu")
    _check_generator(generator, "poisson")
    if rates.size and not (rates >= 0).all():
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    return _draw(input, _cpu.random_poisson(rates, _state(generator)))


@op(method=False)
def binomial(count: Tensor, prob: Tensor, generator=None) -> Tensor:
    """Binomial(count, prob) draws, count and prob broadcast, in count's dtype (torch's sampler:
    BTRS transformed rejection where the mean is at least 10, geometric waiting times below)."""
    from ._common import broadcast_shapes
    from ..random import _check_generator, _state
    if not count.dtype.is_floating_point:
        raise ValueError(f"binomial only supports floating-point dtypes for count, got: {count.dtype.legacy_name}")
    if not isinstance(prob, Tensor):
        raise TypeError(f"binomial(): argument 'prob' (position 2) must be Tensor, not {type(prob).__name__}")
    if prob.dtype != count.dtype:
        raise RuntimeError(f"Found dtype {prob.dtype.legacy_name} but expected {count.dtype.legacy_name}")
    _check_generator(generator, "binomial")
    shape = tuple(broadcast_shapes(tuple(count.shape), tuple(prob.shape)))
    counts = _host(count.expand(shape), "binomial_cpu")
    probs = prob.detach().expand(shape).cpu().numpy()
    return _draw(count, _cpu.random_binomial(counts, probs, _state(generator)))


class StandardGammaBackward0(Function):
    """Gamma(alpha, 1) draws; backward: grad * dx/dalpha (torch's implicit reparameterisation
    gradient, _standard_gamma_grad), itself not differentiable (as in torch)."""

    saves_output = True
    tensor_inputs = 1

    @classmethod
    def forward(cls, alpha, generator):
        from ..random import _state
        draws = _cpu.random_standard_gamma(_host(alpha, "gamma_cpu"), _state(generator))
        return alpha._backend.from_numpy(draws)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, grad):
        (alpha,) = ctx.saved_tensors
        be = alpha._backend
        dx = Tensor._wrap(be.standard_gamma_grad(alpha.detach()._data, ctx.saved_output.detach()._data), be)
        return grad * dx, None


@op(method=False)
def _standard_gamma(input: Tensor, generator=None) -> Tensor:
    """Gamma(input, 1) draws (Marsaglia-Tsang, as torch), at least the dtype's smallest normal;
    differentiable in input through _standard_gamma_grad."""
    from ..random import _check_generator
    _check_generator(generator, "_standard_gamma")
    return StandardGammaBackward0.apply(input, generator)


@op(method=False)
def _standard_gamma_grad(input: Tensor, output: Tensor) -> Tensor:
    """d output / d input for draws output ~ Gamma(input, 1) (torch's formulas, in float64)."""
    _host(input, "_standard_gamma_grad_cpu")
    be = input._backend
    return Tensor._wrap(be.standard_gamma_grad(input.detach().contiguous()._data,
                                               output.detach().contiguous()._data), be)


class DirichletBackward(Function):
    """Dirichlet draws over the last dim; backward (torch's): with t = sum(alpha),
    g = _dirichlet_grad(x, alpha, t), grad_alpha = g * (grad - sum(x * grad, -1))."""

    saves_output = True

    @classmethod
    def forward(cls, alpha):
        from ..random import _state
        values = _host(alpha, "dirichlet")
        scalar = values.ndim == 0
        draws = _cpu.random_dirichlet(values.reshape(1) if scalar else values, _state(None))
        return alpha._backend.from_numpy(draws.reshape(()) if scalar else draws)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, grad):
        (alpha,) = ctx.saved_tensors
        x = ctx.saved_output.detach()
        alpha = alpha.detach()
        total = alpha.sum(-1, True).expand_as(alpha)
        return _dirichlet_grad(x, alpha, total) * (grad - (x * grad).sum(-1, True))


@op(method=False)
def _dirichlet_grad(x: Tensor, alpha: Tensor, total: Tensor) -> Tensor:
    """The reparameterised gradient of Dirichlet draws x per component, seen as
    Beta(alpha, total - alpha) draws (torch's approximations, computed in float64)."""
    _host(x, "_dirichlet_grad_cpu")
    be = x._backend
    shape = tuple(x.shape)
    return Tensor._wrap(be.dirichlet_grad(x.contiguous()._data, alpha.expand(shape).contiguous()._data,
                                          total.expand(shape).contiguous()._data), be)


@op(method=False)
def _sample_dirichlet(input: Tensor, generator=None) -> Tensor:
    """Dirichlet(input) draws over the last dim: float64 gammas normalised by their sum."""
    from ..random import _check_generator, _state
    alpha = _host(input, "dirichlet")
    _check_generator(generator, "_sample_dirichlet")
    if alpha.ndim == 0:
        alpha = alpha.reshape(1)
        return _draw(input, _cpu.random_dirichlet(alpha, _state(generator)).reshape(()))
    return _draw(input, _cpu.random_dirichlet(alpha, _state(generator)))


def _standard_draws(kind: str, shape, dtype, device) -> Tensor:
    """Standard exponential (``empty(shape).exponential_()``) or Cauchy (``.cauchy_()``)
    draws of dtype from the default CPU generator, as torch makes them, on device."""
    from ..random import _finish_host, _state
    shape = tuple(shape)
    if kind == "exponential":
        return _finish_host(_cpu.random_exponential(shape, dtype, _state(None)), device, False)
    return _finish_host(_cpu.random_cauchy(shape, dtype, 0.0, 1.0, _state(None)), device, False)


# ----- the in-place fills of the other continuous and discrete distributions -----------------
def _fill_args(self, fn: str, kind: str, generator):
    from ..random import _check_generator
    if not self.dtype.is_floating_point and kind != "geometric":
        name = self.dtype.legacy_name if kind == "Exponential" else self.dtype.c_name
        raise RuntimeError(f"{kind} distribution is a continuous probability distribution. dtype must be a "
                           f"floating point but you specified {name}")
    _check_generator(generator, fn)


@method
def exponential_(self, lambd: float = 1.0, *, generator=None):
    """Fill with Exp(lambd) draws: (-1 / lambd) log1p(-u) of float64 uniforms (torch's)."""
    from .. import dtypes
    from ..random import _fill_random, _float_arg, _state
    lambd = _float_arg(lambd, "exponential_", "lambd", 1)
    _fill_args(self, "exponential_", "Exponential", generator)
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd:g}")
    draws = _cpu.random_exponential(tuple(self.shape), dtypes.float64, _state(generator)) * (1.0 / lambd)
    return _fill_random(self, self._backend.from_numpy(draws.astype(self.dtype.np)))


@method
def cauchy_(self, median: float = 0.0, sigma: float = 1.0, *, generator=None):
    """Fill with Cauchy(median, sigma) draws: median + sigma tan(pi (u - 1/2)) (torch's)."""
    from ..random import _fill_random, _float_arg, _state
    median = _float_arg(median, "cauchy_", "median", 1)
    sigma = _float_arg(sigma, "cauchy_", "sigma", 2)
    _fill_args(self, "cauchy_", "Cauchy", generator)
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma:g}")
    draws = _cpu.random_cauchy(tuple(self.shape), self.dtype, median, sigma, _state(generator))
    return _fill_random(self, self._backend.from_numpy(draws))


@method
def geometric_(self, p: float, *, generator=None):
    """Fill with the number of Bernoulli(p) trials up to the first success: ceil(log(u) /
    log1p(-p)) of float64 uniforms (torch's); any dtype."""
    from ..random import _fill_random, _float_arg, _state
    p = _float_arg(p, "geometric_", "p", 1)
    _fill_args(self, "geometric_", "geometric", generator)
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p:g}")
    draws = _cpu.random_geometric(tuple(self.shape), self.dtype, p, _state(generator))
    return _fill_random(self, self._backend.from_numpy(draws))
