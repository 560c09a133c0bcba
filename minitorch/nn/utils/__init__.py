"""nn.utils: gradient clipping, parameters as one vector, and (in ``nn.utils.rnn``) packed
variable-length sequences, as torch.nn.utils."""
from . import rnn
from .clip_grad import clip_grad_norm, clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm
from .convert_parameters import parameters_to_vector, vector_to_parameters

__all__ = [
    "clip_grad_norm",
    "clip_grad_norm_",
    "clip_grad_value_",
    "clip_grads_with_norm_",
    "get_total_norm",
    "parameters_to_vector",
    "rnn",
    "vector_to_parameters",
]


def __getattr__(name: str):
    from ..._unsupported import missing
    raise missing("nn.utils", name, "module 'minitorch.nn.utils'")
