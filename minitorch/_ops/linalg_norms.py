"""The norms and products of ``minitorch.linalg``: vector_norm, matrix_norm, norm, multi_dot,
vecdot, cross, matrix_power, composed from the ops (their gradients come with them)."""
from __future__ import annotations

import math

from ..tensor import Tensor
from ._common import check_tensor, wrap_dim
from .cross_cdist import cross as _cross
from .linalg_decompositions import svd as _svd
from .linalg_functions import _recorded, check_matrix
from .norms import norm as _vector_norm
from .products import _chain_order, matrix_power as _matrix_power


def _cast(x: Tensor, dtype) -> Tensor:
    return x if dtype is None else x.to(dtype)


def vector_norm(x: Tensor, ord=2, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The vector ord-norm of x over dim (all elements by default): (sum |x|^ord)^(1/ord), ord
    any real, 0 (the count of nonzeros), inf / -inf (the largest / smallest |x|)."""
    check_tensor(x, "linalg_vector_norm", "input")
    if isinstance(ord, str) or not isinstance(ord, (int, float)) or isinstance(ord, bool):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' (position 2) must be Number, not {type(ord).__name__}")
    if not x.dtype.is_floating_point:
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. "
                           f"Got {x.dtype.legacy_name}")
    return _vector_norm(_cast(x, dtype), ord, dim, keepdim)


_MATRIX_ORDS = ("fro", "nuc", math.inf, -math.inf, 1, -1, 2, -2)


def _matrix_dims(a: Tensor, dim) -> tuple[int, int]:
    if not isinstance(dim, (tuple, list)) or len(dim) != 2:
        got = " ".join(map(str, dim)) if isinstance(dim, (tuple, list)) else dim
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {got}")
    d0, d1 = wrap_dim(dim[0], a.dim()), wrap_dim(dim[1], a.dim())
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, {dim[1]})")
    return d0, d1


def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None) -> Tensor:
    """The matrix norm of A over the two dims: "fro" (Frobenius), "nuc" (sum of singular
    values), 2 / -2 (largest / smallest singular value), 1 / -1 (largest / smallest column
    sum of |A|), inf / -inf (largest / smallest row sum)."""
    check_tensor(A, "linalg_matrix_norm", "input")
    if A.dim() < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    if not A.dtype.is_floating_point:
        raise RuntimeError(f"linalg.matrix_norm: Expected a floating point or complex tensor as input. "
                           f"Got {A.dtype.legacy_name}")
    if ord not in _MATRIX_ORDS or isinstance(ord, bool):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    d0, d1 = _matrix_dims(A, dim)
    A = _cast(A, dtype)
    if ord == "fro":
        return _vector_norm(A, 2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        moved = A.movedim((d0, d1), (-2, -1))
        s = _svd(check_matrix(moved, "linalg.matrix_norm", square=False), False, _recorded(A))[1]
        if ord == "nuc" or s.shape[-1] == 0:  # (an empty matrix's norms are 0)
            out = s.sum(-1)
        else:
            out = s.amax(-1) if ord == 2 else s.amin(-1)
        if keepdim:
            for d in sorted((d0, d1)):
                out = out.unsqueeze(d)
        return out
    # 1 / -1: sums over the rows (dim 0), extreme over the columns; inf / -inf the other way round
    inner, outer = (d0, d1) if abs(ord) == 1 else (d1, d0)
    sums = A.abs().sum(inner, keepdim=True)
    out = sums.amax(outer, keepdim=True) if ord > 0 else sums.amin(outer, keepdim=True)
    return out if keepdim else out.squeeze((d0, d1))


def norm(input: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """vector_norm or matrix_norm as dim (and ord) say: dim None and ord None the 2-norm of
    all elements; an int dim (or 1-D A) a vector norm; two dims (or 2-D A with ord) a matrix
    norm."""
    A = check_tensor(input, "linalg_norm", "input")
    if dim is not None and not isinstance(dim, (tuple, list)):
        dim = (dim,)
    if dim is not None and len(dim) not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {list(dim)}")
    if ord is None:
        if dim is not None and len(dim) == 2:
            return matrix_norm(A, "fro", dim, keepdim, dtype=dtype)
        return vector_norm(A, 2, dim, keepdim, dtype=dtype)
    if dim is None:
        if A.dim() not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
                               f"Got {A.dim()}D.")
        dim = tuple(range(A.dim()))
    if isinstance(ord, str) or len(dim) == 2:
        return matrix_norm(A, ord, dim, keepdim, dtype=dtype)
    return vector_norm(A, ord, dim, keepdim, dtype=dtype)


def multi_dot(tensors) -> Tensor:
    """The product of a chain of matrices in the order of fewest multiplications; the first
    may be a row vector (1-D) and the last a column vector (1-D)."""
    tensors = list(tensors)
    n = len(tensors)
    if n < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {n}")
    for i, t in enumerate(tensors):
        check_tensor(t, "linalg_multi_dot", "tensors", 1)
        if 0 < i < n - 1 and t.dim() != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t.dim()}D")
    first, last = tensors[0], tensors[-1]
    if first.dim() not in (1, 2):
        raise RuntimeError(f"multi_dot(): the first tensor must be 1D or 2D but got {first.dim()}D")
    if last.dim() not in (1, 2):
        raise RuntimeError(f"multi_dot(): the last tensor must be 1D or 2D but got {last.dim()}D")
    for i, t in enumerate(tensors[1:], 1):
        if t.dtype is not first.dtype:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but tensor 0 is "
                               f"{first.dtype.c_name} and tensor {i} {t.dtype.c_name}")
    mats = [first.unsqueeze(0) if first.dim() == 1 else first] + tensors[1:-1] + \
        [last.unsqueeze(1) if last.dim() == 1 else last]
    for i in range(n - 1):
        if mats[i].shape[1] != mats[i + 1].shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes {list(tensors[i].shape)} and "
                               f"{list(tensors[i + 1].shape)} cannot be multiplied")
    split = _chain_order([tuple(m.shape) for m in mats])

    def product(i: int, j: int) -> Tensor:
        if i == j:
            return mats[i]
        k = split[i][j]
        return product(i, k).mm(product(k + 1, j))
    out = product(0, n - 1)
    if first.dim() == 1:
        out = out.squeeze(0)
    if last.dim() == 1:
        out = out.squeeze(-1)
    return out


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """The dot product of x and y (broadcast) along dim: sum(x * y, dim)."""
    check_tensor(x, "linalg_vecdot", "x")
    check_tensor(y, "linalg_vecdot", "y", 2)
    for t in (x, y):
        if not t.dtype.is_floating_point:
            raise RuntimeError(f"linalg.vecdot: Expected a floating point or complex tensor as input. "
                               f"Got {t.dtype.legacy_name}")
    if x.dim() == 1 and y.dim() == 1 and x.shape[0] != y.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{x.shape[0]}] and src [{y.shape[0]}] to have "
                           f"the same number of elements, but got {x.shape[0]} and {y.shape[0]} elements respectively")
    return (x * y).sum(dim)


def cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """The cross product of the 3-vectors along dim of input and other (broadcast)."""
    check_tensor(input, "linalg_cross", "input")
    return _cross(input, other, dim)


def matrix_power(A: Tensor, n: int) -> Tensor:
    """A (*, m, m) to the integer power n (negative: of A's inverse)."""
    check_tensor(A, "linalg_matrix_power", "A")
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"linalg_matrix_power(): argument 'n' (position 2) must be int, not {type(n).__name__}")
    return _matrix_power(A, n)


__all__ = ["vector_norm", "matrix_norm", "norm", "multi_dot", "vecdot", "cross", "matrix_power"]
