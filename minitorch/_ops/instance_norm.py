"""instance_norm: batch norm of (1, N*C, *) as PyTorch computes it, each (sample, channel)
plane normalised by its own statistics; the graph is batch norm's, seen through views
(the output's node is ViewBackward0, as in PyTorch)."""
from __future__ import annotations

from .._declare import functional
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from .batchnorm import batch_norm
from .conv import _check_tensor


@functional
def instance_norm(input: Tensor, running_mean: Tensor | None = None, running_var: Tensor | None = None,
                  weight: Tensor | None = None, bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each (sample, channel) plane of input: (N, C, *) by its own mean and biased var
    (use_input_stats; running stats, when given, move toward the planes' average with momentum)
    or by running_mean/running_var: (C,); then scale by weight: (C,) and shift by bias: (C,)."""
    _check_tensor("instance_norm", "input", 1, input)
    for position, (name, value) in enumerate((("weight", weight), ("bias", bias), ("running_mean", running_mean),
                                              ("running_var", running_var)), 2):
        if value is not None:
            _check_tensor("instance_norm", name, position, value)
    if use_input_stats:
        planes = 1
        for s in input.shape[2:]:
            planes *= s
        if planes == 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input size {input.shape!r}")
    elif running_mean is None or running_var is None:
        raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is false")
    if input.dim() < 2:
        n = max(input.dim(), 1)
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got 1)")
    b, c = input.shape[0], input.shape[1]

    def repeat(t):
        return None if t is None else t.repeat(b)

    mean_, var_ = repeat(running_mean), repeat(running_var)
    reshaped = input.contiguous().view((1, b * c) + tuple(input.shape[2:]))
    out = batch_norm(reshaped, mean_, var_, repeat(weight), repeat(bias), use_input_stats, momentum, eps)
    with no_grad():
        if running_mean is not None:
            running_mean.copy_(mean_.view(b, c).mean(0))
        if running_var is not None:
            running_var.copy_(var_.view(b, c).mean(0))
    return out.view(input.shape)
