"""Size: the shape of a tensor, a tuple that prints like torch.Size; dims as PyTorch wraps them."""
from __future__ import annotations

import numpy as np


class Size(tuple):
    """A tuple of dimension sizes; ``repr`` is ``torch.Size([2, 3])`` as in PyTorch."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"torch.Size([{', '.join(str(d) for d in self)}])"

    __str__ = __repr__

    def numel(self) -> int:
        """The number of elements a tensor of this shape holds."""
        n = 1
        for d in self:
            n *= d
        return n

    def __getitem__(self, key):
        out = tuple.__getitem__(self, key)
        return Size(out) if isinstance(key, slice) else out

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self))


def wrap_dim(dim: int, ndim: int) -> int:
    """A dim in range(ndim) from a possibly negative one, or PyTorch's IndexError."""
    if dim.__class__ is int and 0 <= dim < ndim:
        return dim
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}")
    n = max(ndim, 1)
    if dim < -n or dim >= n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim + n if dim < 0 else dim


def wrap_dims(dim, ndim: int) -> tuple:
    """A sorted tuple of dims from None (all), an int, or a sequence; duplicates rejected."""
    if dim is None:
        return tuple(range(ndim))
    if dim.__class__ is int and 0 <= dim < ndim:
        return (dim,)
    if isinstance(dim, (int, np.integer)) and not isinstance(dim, bool):
        d = wrap_dim(dim, ndim)
        return (d,) if ndim else ()
    if not isinstance(dim, (tuple, list)):
        raise TypeError(f"dim must be an int or a tuple of ints, got {type(dim).__name__}")
    dims = tuple(wrap_dim(d, ndim) for d in dim)
    if not dims and ndim:
        return tuple(range(ndim))  # an empty dim list reduces everything, as in PyTorch
    if len(set(dims)) != len(dims):
        repeated = next(d for i, d in enumerate(dims) if d in dims[:i])
        raise RuntimeError(f"dim {repeated} appears multiple times in the list of dims")
    if ndim == 0:
        return ()
    return tuple(sorted(dims))


def sizes(args, fn: str | None = None, arg: str = "size") -> tuple:
    """Sizes given as varargs (2, 3) or one sequence ((2, 3) / [2, 3] / Size), as ints; a
    TypeError worded as PyTorch's (naming the function fn) for anything else."""
    where = f"{fn}(): argument '{arg}'" if fn else f"argument '{arg}'"
    if len(args) == 1 and not _is_int(args[0]):
        if not isinstance(args[0], (tuple, list)):
            raise TypeError(f"{where} (position 1) must be tuple of ints, not {type(args[0]).__name__}")
        args = tuple(args[0])
    for i, s in enumerate(args):
        if not _is_int(s):
            raise TypeError(f"{where} (position 1) must be tuple of ints, but found element of type "
                            f"{type(s).__name__} at pos {i}")
        if not -(1 << 63) <= int(s) < (1 << 63):
            raise TypeError(f"{where} failed to unpack the object at pos {i + 1} with error \"Overflow when "
                            "unpacking long long\"")
    return tuple(int(s) for s in args)


def _is_int(s) -> bool:
    """An int, a NumPy integer or a one-element integer tensor (anything with __index__), not a bool."""
    if isinstance(s, bool):
        return False
    if isinstance(s, (int, np.integer)):
        return True
    try:
        s.__index__()
    except (AttributeError, TypeError):
        return False
    return True
