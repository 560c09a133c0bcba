"""nn.utils: gradient clipping, parameters as one vector, (in ``nn.utils.rnn``) packed
variable-length sequences, parametrizations (``parametrize``, ``parametrizations``), the
hook-based weight and spectral normalisation, pruning (``prune``) and the deprecated
``stateless.functional_call``, as torch.nn.utils."""
from . import parametrizations, parametrize, prune, rnn, stateless
from .clip_grad import clip_grad_norm, clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm
from .convert_parameters import parameters_to_vector, vector_to_parameters
from .spectral_norm import remove_spectral_norm, spectral_norm
from .weight_norm import remove_weight_norm, weight_norm

__all__ = [
    "clip_grad_norm",
    "clip_grad_norm_",
    "clip_grad_value_",
    "clip_grads_with_norm_",
    "get_total_norm",
    "parameters_to_vector",
    "parametrizations",
    "parametrize",
    "prune",
    "remove_spectral_norm",
    "remove_weight_norm",
    "rnn",
    "spectral_norm",
    "stateless",
    "vector_to_parameters",
    "weight_norm",
]


def __getattr__(name: str):
    from ..._unsupported import missing
    raise missing("nn.utils", name, "module 'minitorch.nn.utils'")
