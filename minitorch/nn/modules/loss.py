"""Loss modules."""
from __future__ import annotations

from .. import functional as F


class MSELoss:
    """Mean squared error: ``loss(input, target)``, input and target of the same shape."""

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean") -> None:
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"{reduction} is not a valid value for reduction")
        self.reduction = reduction

    def __call__(self, input, target):
        return self.forward(input, target)

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)

    def __repr__(self) -> str:
        return "MSELoss()"
