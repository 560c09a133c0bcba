"""Dropout."""
from __future__ import annotations

from .. import functional as F
from .module import Module


def _memory_order(input) -> list | None:
    """The permutation that lists input's dims from the largest stride to the smallest, when that
    differs from the logical order and no dim is broadcast (stride 0); else None.

    PyTorch fills dropout's random mask in the memory order of its input (its mask is an
    empty_like of the input), so a transposed input -- batch_first attention's output, say --
    gets its random numbers in another order than a contiguous one of the same shape."""
    strides = input.stride()
    if any(s == 0 and n > 1 for s, n in zip(strides, input.shape)):
        return None
    perm = sorted(range(input.dim()), key=lambda d: -strides[d])
    return None if perm == sorted(perm) else perm


class Dropout(Module):
    """In training, zero elements with probability p and scale the rest by 1/(1-p); identity in eval."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input):
        perm = _memory_order(input) if self.training and self.p > 0 else None
        if perm is None:
            return F.dropout(input, self.p, self.training, self.inplace)
        # draw the mask in the input's memory order, as PyTorch does
        inverse = sorted(range(len(perm)), key=perm.__getitem__)
        return F.dropout(input.permute(*perm), self.p, self.training, self.inplace).permute(*inverse)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
