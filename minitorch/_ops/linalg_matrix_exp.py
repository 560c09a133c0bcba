"""matrix_exp: e^A of a batch of square matrices, by scaling and squaring (a Taylor series of
A / 2^s, squared s times), composed from matrix products; its gradient is the upper-right
block of the exponential of [[A^T, G], [0, A^T]] (Najfeld & Havel), itself a matrix_exp, so
the backward differentiates again."""
from __future__ import annotations

import math

from .._creation import eye
from .._declare import op
from ..autograd.function import Function
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from .linalg_functions import check_matrix

# Taylor terms after scaling to ||X||_1 <= 1/2: the remainder 0.5^19 / 19! is below float64's eps.
_DEGREE = 18


def _exp_values(a: Tensor) -> Tensor:
    """e^a for a (*, n, n) (no graph): one power-of-two scaling for the whole batch."""
    n = a.shape[-1]
    norm = float(a.abs().sum(-2).amax()) if a.numel() else 0.0
    s = max(0, math.ceil(math.log2(norm / 0.5))) if norm > 0.5 and math.isfinite(norm) else 0
    x = a / (2.0 ** s)
    identity = eye(n, dtype=a.dtype, device=a.device)
    result = identity + x / _DEGREE
    for k in range(_DEGREE - 1, 0, -1):  # Horner: I + X/1 (I + X/2 (I + ... (I + X/18)))
        result = identity + x.matmul(result) / k
    for _ in range(s):
        result = result.matmul(result)
    return result


class LinalgMatrixExpBackward0(Function):
    """E = e^A: gA = the (0, 1) block of exp([[A^T, G], [0, A^T]])."""

    tensor_inputs = 1

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        with no_grad():
            return _exp_values(a)._data

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        from .joins import cat
        n = a.shape[-1]
        at = a.mT
        top = cat([at, grad], -1)
        bottom = cat([grad.new_zeros(grad.shape), at], -1)
        return _matrix_exp(cat([top, bottom], -2))[..., :n, n:]


def _matrix_exp(a: Tensor) -> Tensor:
    return LinalgMatrixExpBackward0.apply(a)


@op
def matrix_exp(input: Tensor) -> Tensor:
    """The matrix exponential e^A = sum A^k / k! of A (*, n, n)."""
    return _matrix_exp(check_matrix(input, "linalg.matrix_exp", low=True))
