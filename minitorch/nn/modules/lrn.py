"""LocalResponseNorm (AlexNet's and GoogLeNet's normalisation across neighbouring channels)."""
from __future__ import annotations

from .. import functional as F
from .module import Module


class LocalResponseNorm(Module):
    """x / (k + alpha / size * sum of x ** 2 over `size` neighbouring channels) ** beta:
    input (N, C, *) -> same shape."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> None:
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
