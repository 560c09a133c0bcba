"""Joining and splitting tensors, NumPy style: hstack, vstack/row_stack, dstack, column_stack,
atleast_1d/2d/3d, tensor_split, hsplit/vsplit/dsplit, broadcast_tensors, cartesian_prod,
combinations, block_diag, narrow_copy, argwhere.

All are compositions of cat, reshape, narrow, expand and index_select, so they carry those
ops' gradients; splits return views, as PyTorch's.
"""
from __future__ import annotations

import itertools

from .._declare import FUNCTIONS, function, op
from ..tensor import Tensor
from ._common import broadcast_shapes, check_tensor


def _fn(name: str):
    """minitorch.<name> (looked up by name: the op's home module may move)."""
    return FUNCTIONS[name]


def _tensor_list(tensors, fn: str) -> list:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{fn}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                        f"not {type(tensors).__name__}")
    for t in tensors:
        check_tensor(t, fn, "tensors")
    if not tensors:
        raise RuntimeError(f"{fn} expects a non-empty TensorList")
    return list(tensors)


def _at_least(ndim: int, tensors: tuple, fn: str):
    """atleast_Nd: one tensor in, one out; several (or a list) in, a tuple out."""
    single = len(tensors) == 1 and isinstance(tensors[0], Tensor)
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    out = []
    for t in tensors:
        check_tensor(t, fn, "tensors")
        shape = tuple(t.shape)
        if t.dim() == 0:
            shape = (1,) * ndim
        elif t.dim() == 1 and ndim >= 2:
            shape = (1, shape[0], 1) if ndim == 3 else (1, shape[0])
        elif t.dim() == 2 and ndim == 3:
            shape = shape + (1,)
        out.append(t if shape == tuple(t.shape) else t.reshape(shape))
    return out[0] if single else tuple(out)


@function
def atleast_1d(*tensors):
    """Each tensor viewed with at least one dim (a 0-d tensor becomes (1,))."""
    return _at_least(1, tensors, "atleast_1d")


@function
def atleast_2d(*tensors):
    """Each tensor viewed with at least two dims: () -> (1, 1), (n,) -> (1, n)."""
    return _at_least(2, tensors, "atleast_2d")


@function
def atleast_3d(*tensors):
    """Each tensor viewed with at least three dims: () -> (1, 1, 1), (n,) -> (1, n, 1), (m, n) -> (m, n, 1)."""
    return _at_least(3, tensors, "atleast_3d")


@function(out=True)
def hstack(tensors) -> Tensor:
    """Concatenate column-wise: along dim 1, or dim 0 for 1-D tensors (0-d ones become 1-D)."""
    parts = _at_least(1, tuple(_tensor_list(tensors, "hstack")), "hstack")
    return _fn("cat")(list(parts), 0 if parts[0].dim() == 1 else 1)


@function(out=True, aliases=("row_stack",))
def vstack(tensors) -> Tensor:
    """Concatenate row-wise (dim 0), 0-d and 1-D tensors first viewed as rows (1, n)."""
    return _fn("cat")(list(_at_least(2, tuple(_tensor_list(tensors, "vstack")), "vstack")), 0)


@function(out=True)
def dstack(tensors) -> Tensor:
    """Concatenate depth-wise (dim 2), tensors first viewed with at least three dims."""
    return _fn("cat")(list(_at_least(3, tuple(_tensor_list(tensors, "dstack")), "dstack")), 2)


@function(out=True)
def column_stack(tensors) -> Tensor:
    """Concatenate along dim 1, 0-d and 1-D tensors first made columns (n, 1)."""
    parts = [t.reshape(t.numel(), 1) if t.dim() <= 1 else t for t in _tensor_list(tensors, "column_stack")]
    return _fn("cat")(parts, 1)


def _split_points(n: int, indices_or_sections) -> list:
    """The [start, end) bounds of tensor_split's pieces of a dim of size n."""
    if isinstance(indices_or_sections, Tensor):
        if indices_or_sections.dtype.is_floating_point or indices_or_sections.dtype.name == "bool" \
                or indices_or_sections.dim() > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to have integral dtype and be "
                               f"a zero-dimensional or one-dimensional tensor, but got a tensor with "
                               f"{indices_or_sections.dim()} dims")
        indices_or_sections = indices_or_sections.tolist()
    if isinstance(indices_or_sections, int):
        sections = indices_or_sections
        if sections <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
        size, extra = divmod(n, sections)
        bounds, start = [], 0
        for i in range(sections):
            end = start + size + (1 if i < extra else 0)
            bounds.append((start, end))
            start = end
        return bounds
    cuts = [0] + [min(max(int(i) if i >= 0 else n + int(i), 0), n) for i in indices_or_sections] + [n]
    return [(cuts[i], max(cuts[i], cuts[i + 1])) for i in range(len(cuts) - 1)]


@op
def tensor_split(input: Tensor, indices_or_sections, dim: int = 0) -> tuple:
    """Views of input split along dim into n nearly equal pieces (the first n % size one longer),
    or at the given indices."""
    if input.dim() == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims")
    if not -input.dim() <= dim < input.dim():
        raise IndexError(f"Dimension out of range (expected to be in range of [{-input.dim()}, "
                         f"{input.dim() - 1}], but got {dim})")
    dim %= input.dim()
    return tuple(input.narrow(dim, start, end - start)
                 for start, end in _split_points(input.shape[dim], indices_or_sections))


def _numpy_split(input: Tensor, indices_or_sections, dim: int, fn: str, min_dims: int) -> tuple:
    if input.dim() < min_dims:
        raise RuntimeError(f"torch.{fn} requires a tensor with at least {min_dims} dimension, but got a tensor "
                           f"with {input.dim()} dimensions!")
    if isinstance(indices_or_sections, int):
        size = input.shape[dim]
        if indices_or_sections == 0 or size % indices_or_sections:
            raise RuntimeError(f"torch.{fn} attempted to split along dimension {dim}, but the size of the "
                               f"dimension {size} is not divisible by the split_size {indices_or_sections}!")
    return tensor_split(input, indices_or_sections, dim)


@op
def hsplit(input: Tensor, indices_or_sections) -> tuple:
    """tensor_split along dim 1 (dim 0 for a 1-D tensor); sections must divide the size."""
    return _numpy_split(input, indices_or_sections, 0 if input.dim() == 1 else 1, "hsplit", 1)


@op
def vsplit(input: Tensor, indices_or_sections) -> tuple:
    """tensor_split along dim 0 of a tensor of at least two dims; sections must divide the size."""
    return _numpy_split(input, indices_or_sections, 0, "vsplit", 2)


@op
def dsplit(input: Tensor, indices_or_sections) -> tuple:
    """tensor_split along dim 2 of a tensor of at least three dims; sections must divide the size."""
    return _numpy_split(input, indices_or_sections, 2, "dsplit", 3)


@function
def broadcast_tensors(*tensors) -> tuple:
    """Each tensor expanded (a view) to the shape they all broadcast to."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    for t in tensors:
        check_tensor(t, "broadcast_tensors", "tensors")
    shape = broadcast_shapes(*(t.shape for t in tensors))
    return tuple(t.expand(shape) for t in tensors)


@function
def cartesian_prod(*tensors) -> Tensor:
    """All tuples (a_i, b_j, ...) of 1-D tensors' elements, in lexicographic order: (N_a * N_b *..., k);
    one tensor is returned as it is."""
    for t in tensors:
        check_tensor(t, "cartesian_prod", "tensors")
        if t.dim() != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = _fn("meshgrid")(*tensors, indexing="ij")
    return _fn("stack")([g.reshape(-1) for g in grids], 1)


@function
def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """All length-r combinations of a 1-D tensor's elements, in itertools order: (C, r)."""
    check_tensor(input, "combinations", "input")
    if input.dim() != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return input.new_empty((0,))
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = list(pick(range(input.shape[0]), r))
    if not rows:
        return input.new_empty((0, r))
    index = input.new_tensor([i for row in rows for i in row]).long()
    return input.index_select(0, index).reshape(len(rows), r)


@function
def block_diag(*tensors) -> Tensor:
    """A block-diagonal matrix of the tensors (0-d: 1x1, 1-D: one row), zeros elsewhere, in
    their promoted dtype."""
    blocks = []
    for i, t in enumerate(tensors):
        check_tensor(t, "block_diag", "tensors")
        if t.dim() > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has "
                               f"{t.dim()} dimensions")
        blocks.append(t.reshape(1, -1) if t.dim() < 2 else t)
    if not blocks:
        from .._creation import empty
        return empty(1, 0)
    from .. import dtypes
    dtype = blocks[0].dtype
    for b in blocks[1:]:
        dtype = dtypes.promote_types(dtype, b.dtype)
    width = sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        b = b.to(dtype)
        h, w = b.shape
        pieces = [b.new_zeros((h, left)), b, b.new_zeros((h, width - left - w))]
        rows.append(_fn("cat")(pieces, 1))
        left += w
    return _fn("cat")(rows, 0)


@op(out=True)
def narrow_copy(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """A new tensor holding input.narrow(dim, start, length)."""
    return input.narrow(dim, start, length).clone()


@op
def argwhere(input: Tensor) -> Tensor:
    """The indices of input's nonzero elements: (count, ndim), int64, row-major order."""
    return input.nonzero()
