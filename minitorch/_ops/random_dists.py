"""The samplers behind torch.distributions: ``poisson``, ``_standard_gamma`` and
``_sample_dirichlet``, drawing PyTorch's numbers from the CPU generator (the op table's
``random_poisson`` / ``random_standard_gamma`` / ``random_dirichlet`` extras), then moving
them to the input's device, like minitorch.random's functions without a device of their own.
The draws are outside the autograd graph."""
from __future__ import annotations

from .._backends import cpu as _cpu
from .._declare import op
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
def _standard_gamma(input: Tensor, generator=None) -> Tensor:
    """Gamma(input, 1) draws (Marsaglia-Tsang, as torch), at least the dtype's smallest normal."""
    from ..random import _check_generator, _state
    alpha = _host(input, "gamma_cpu")
    _check_generator(generator, "_standard_gamma")
    return _draw(input, _cpu.random_standard_gamma(alpha, _state(generator)))


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
