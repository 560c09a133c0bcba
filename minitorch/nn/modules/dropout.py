"""Dropout and its channel-wise (Dropout1d/2d/3d) and SELU (AlphaDropout, FeatureAlphaDropout) forms."""
from __future__ import annotations

from .. import functional as F
from .module import Module


class _DropoutNd(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """In training, zero elements with probability p and scale the rest by 1/(1-p); identity in eval."""

    def forward(self, input):
        return F.dropout(input, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """In training, zero whole channels with probability p and scale the rest by 1/(1-p).
    input: (N, C, L) or (C, L); identity in eval."""

    def forward(self, input):
        return F.dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """In training, zero whole channels with probability p and scale the rest by 1/(1-p).
    input: (N, C, H, W) (a 3-D input is read as (N, C, L), with PyTorch's warning); identity in eval."""

    def forward(self, input):
        return F.dropout2d(input, self.p, self.training, self.inplace)


class Dropout3d(_DropoutNd):
    """In training, zero whole channels with probability p and scale the rest by 1/(1-p).
    input: (N, C, D, H, W) or (C, D, H, W); identity in eval."""

    def forward(self, input):
        return F.dropout3d(input, self.p, self.training, self.inplace)


class AlphaDropout(_DropoutNd):
    """Dropout for SELU networks: in training, elements are set to SELU's saturation value with
    probability p, then scaled and shifted to keep zero mean and unit variance; identity in eval."""

    def forward(self, input):
        return F.alpha_dropout(input, self.p, self.training)


class FeatureAlphaDropout(_DropoutNd):
    """AlphaDropout of whole channels: input (N, C, *); identity in eval."""

    def forward(self, input):
        return F.feature_alpha_dropout(input, self.p, self.training)
