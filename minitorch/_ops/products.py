"""Products built on mm/bmm: addmm, addmv, addr, addbmm, inner, vdot, kron, tensordot,
chain_matmul, matrix_power.

The ``add*`` ops compute ``beta * input + alpha * product`` with PyTorch's rules: input
broadcasts to the product's shape, and with ``beta == 0`` it is ignored (its NaN and inf do
not propagate) while its gradient is still a (zero) tensor. The rest are compositions of
differentiable ops, so their values and gradients are those of the products they are made of.
"""
from __future__ import annotations

import warnings

from .. import dtypes
from .._declare import function, op
from ..autograd.function import Function
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from ._common import check_tensor


def _x(shape) -> str:
    return "x".join(map(str, shape))


def _scaled_sum(input: Tensor, product: Tensor, beta, alpha) -> Tensor:
    """beta * input + alpha * product (no graph), input ignored when beta == 0."""
    if alpha != 1:
        product = product * alpha
    if beta != 0:
        product = product + (input if beta == 1 else input * beta)
    return product


class _AddProduct(Function):
    """beta * input + alpha * product(a, b); subclasses give the product and its two gradients."""

    tensor_inputs = 3

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, a, b, ctx.beta, ctx.alpha = inputs
        ctx.save_for_backward(a, b)
        ctx.needs = (input._requires_grad, a._requires_grad, b._requires_grad)

    @classmethod
    def _backward(cls, ctx, grad):
        a, b = ctx.saved_tensors
        grad_input = grad * ctx.beta if ctx.needs[0] else None
        scaled = grad if ctx.alpha == 1 else grad * ctx.alpha
        grad_a = cls._grad_a(scaled, b) if ctx.needs[1] else None
        grad_b = cls._grad_b(scaled, a) if ctx.needs[2] else None
        return grad_input, grad_a, grad_b, None, None


class AddmmBackward0(_AddProduct):
    """input + mat1 (n, m) @ mat2 (m, p)."""

    @staticmethod
    def forward(input, a, b, beta, alpha):
        with no_grad():
            return _scaled_sum(input, a.mm(b), beta, alpha)._data

    @staticmethod
    def backward(ctx, grad):
        return AddmmBackward0._backward(ctx, grad)

    @staticmethod
    def _grad_a(grad, b):
        return grad.mm(b.t())

    @staticmethod
    def _grad_b(grad, a):
        return a.t().mm(grad)


class AddmvBackward0(_AddProduct):
    """input + mat (n, m) @ vec (m,)."""

    @staticmethod
    def forward(input, a, b, beta, alpha):
        with no_grad():
            return _scaled_sum(input, a.mv(b), beta, alpha)._data

    @staticmethod
    def backward(ctx, grad):
        return AddmvBackward0._backward(ctx, grad)

    @staticmethod
    def _grad_a(grad, b):
        return grad.unsqueeze(1) * b.unsqueeze(0)

    @staticmethod
    def _grad_b(grad, a):
        return a.t().mv(grad)


class AddrBackward0(_AddProduct):
    """input + outer(vec1 (n,), vec2 (p,))."""

    @staticmethod
    def forward(input, a, b, beta, alpha):
        with no_grad():
            return _scaled_sum(input, a.unsqueeze(1) * b.unsqueeze(0), beta, alpha)._data

    @staticmethod
    def backward(ctx, grad):
        return AddrBackward0._backward(ctx, grad)

    @staticmethod
    def _grad_a(grad, b):
        return grad.mv(b)

    @staticmethod
    def _grad_b(grad, a):
        return grad.t().mv(a)


class AddbmmBackward0(_AddProduct):
    """input + sum over b of batch1[b] (n, m) @ batch2[b] (m, p)."""

    @staticmethod
    def forward(input, a, b, beta, alpha):
        with no_grad():
            return _scaled_sum(input, a.bmm(b).sum(0), beta, alpha)._data

    @staticmethod
    def backward(ctx, grad):
        return AddbmmBackward0._backward(ctx, grad)

    @staticmethod
    def _grad_a(grad, b):
        return grad.unsqueeze(0).expand(b.shape[0], *grad.shape).bmm(b.transpose(1, 2))

    @staticmethod
    def _grad_b(grad, a):
        return a.transpose(1, 2).bmm(grad.unsqueeze(0).expand(a.shape[0], *grad.shape))


def _check_matrix_dtypes(input: Tensor, a: Tensor, b: Tensor) -> None:
    """addmm's and addbmm's dtype rule: the two products' operands first, then input."""
    if a.dtype is not b.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {a.dtype.legacy_name} and "
                           f"{b.dtype.legacy_name}")
    if input.dtype is not b.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {input.dtype.legacy_name} and "
                           f"{b.dtype.legacy_name}")


def _checked_args(fn: str, names: tuple, tensors: tuple) -> None:
    for position, (name, t) in enumerate(zip(names, tensors), 1):
        check_tensor(t, fn, name, position)


@op(inplace=True, out=True)
def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * (mat1 @ mat2): mat1 (n, m), mat2 (m, p), input broadcastable to (n, p)."""
    _checked_args("addmm", ("input", "mat1", "mat2"), (input, mat1, mat2))
    for name, m in (("mat1", mat1), ("mat2", mat2)):
        if m.dim() != 2:
            raise RuntimeError(f"{name} must be a matrix, got {m.dim()}-D tensor")
    if mat1.shape[1] != mat2.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_x(mat1.shape)} and {_x(mat2.shape)})")
    _check_matrix_dtypes(input, mat1, mat2)
    input.expand(mat1.shape[0], mat2.shape[1])  # PyTorch's message when input does not broadcast
    return AddmmBackward0.apply(input, mat1, mat2, beta, alpha)


@op(inplace=True, out=True)
def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * (mat @ vec): mat (n, m), vec (m,), input broadcastable to (n,)."""
    _checked_args("addmv", ("input", "mat", "vec"), (input, mat, vec))
    if mat.dim() != 2 or vec.dim() != 1 or input.dim() > 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input.dim()}, {mat.dim()}, {vec.dim()}")
    if mat.shape[1] != vec.shape[0] or (input.dim() == 1 and input.shape[0] not in (1, mat.shape[0])):
        got = "(" + _x(input.shape) + ")" if input.dim() else "()"
        raise RuntimeError(f"size mismatch, got input {got}, mat ({_x(mat.shape)}), vec ({vec.shape[0]})")
    if not (input.dtype is mat.dtype is vec.dtype):
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {input.dtype.legacy_name}, "
                           f"{mat.dtype.legacy_name}, and {vec.dtype.legacy_name}")
    return AddmvBackward0.apply(input, mat, vec, beta, alpha)


@op(inplace=True, out=True)
def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * outer(vec1, vec2): vec1 (n,), vec2 (p,), input broadcastable to (n, p)."""
    _checked_args("addr", ("input", "vec1", "vec2"), (input, vec1, vec2))
    for name, v in (("vec1", vec1), ("vec2", vec2)):
        if v.dim() != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {v.dim()}-D")
    input.expand(vec1.shape[0], vec2.shape[0])
    # addr promotes its operands (unlike addmm)
    dtype = dtypes.promote_types(dtypes.promote_types(input.dtype, vec1.dtype), vec2.dtype)
    input, vec1, vec2 = input.to(dtype), vec1.to(dtype), vec2.to(dtype)
    return AddrBackward0.apply(input, vec1, vec2, beta, alpha)


@op(inplace=True, out=True)
def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * sum_b batch1[b] @ batch2[b]: batch1 (b, n, m), batch2 (b, m, p),
    input broadcastable to (n, p)."""
    _checked_args("addbmm", ("input", "batch1", "batch2"), (input, batch1, batch2))
    for name, t in (("batch1", batch1), ("batch2", batch2)):
        if t.dim() != 3:
            raise RuntimeError(f"{name} must be a 3D tensor")
    if batch1.shape[0] != batch2.shape[0]:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got {batch1.shape[0]} "
                           f"and {batch2.shape[0]}")
    if batch1.shape[2] != batch2.shape[1]:
        raise RuntimeError(f"Incompatible matrix sizes for bmm ({_x(batch1.shape[1:])} and "
                           f"{_x(batch2.shape[1:])})")
    _check_matrix_dtypes(input, batch1, batch2)
    input.expand(batch1.shape[1], batch2.shape[2])
    return AddbmmBackward0.apply(input, batch1, batch2, beta, alpha)


@op(out=True)
def inner(input: Tensor, other: Tensor) -> Tensor:
    """Sum over the last dims: (..., k) and (..., k) -> input.shape[:-1] + other.shape[:-1];
    a product with a 0-d tensor is elementwise."""
    check_tensor(other, "inner", "other", 2)
    if input.dim() == 0 or other.dim() == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                           f"{list(input.shape)} and {list(other.shape)}")
    return tensordot(input, other, ([-1], [-1]))


@op(out=True)
def vdot(input: Tensor, other: Tensor) -> Tensor:
    """(n,) . (n,) -> 0-d (real tensors: the same as dot)."""
    check_tensor(other, "vdot", "other", 2)
    return input.dot(other)


@op(out=True)
def kron(input: Tensor, other: Tensor) -> Tensor:
    """Kronecker product: block (i, j, ...) of the result is input[i, j, ...] * other; the shorter
    shape is padded with leading ones."""
    check_tensor(other, "kron", "other", 2)
    ndim = max(input.dim(), other.dim())
    a_shape = (1,) * (ndim - input.dim()) + tuple(input.shape)
    b_shape = (1,) * (ndim - other.dim()) + tuple(other.shape)
    # interleave: a as (a0, 1, a1, 1, ...), b as (1, b0, 1, b1, ...), multiplied then merged pairwise
    a = input.reshape(tuple(s for d in a_shape for s in (d, 1)))
    b = other.reshape(tuple(s for d in b_shape for s in (1, d)))
    return (a * b).reshape(tuple(x * y for x, y in zip(a_shape, b_shape)))


def _tensordot_dims(a: Tensor, b: Tensor, dims) -> tuple:
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(a.dim(), b.dim()):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        return list(range(a.dim() - dims, a.dim())), list(range(dims))
    dims_a, dims_b = dims
    dims_a = [dims_a] if isinstance(dims_a, int) else list(dims_a)
    dims_b = [dims_b] if isinstance(dims_b, int) else list(dims_b)
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    return dims_a, dims_b


@function(out=True)
def tensordot(a: Tensor, b: Tensor, dims=2) -> Tensor:
    """Sum of a * b over a's dims[0] paired with b's dims[1] (an int n: a's last n with b's first n);
    result: a's free dims then b's free dims."""
    check_tensor(a, "tensordot", "a", 1)
    check_tensor(b, "tensordot", "b", 2)
    dims_a, dims_b = _tensordot_dims(a, b, dims)
    dims_a = [d % a.dim() if a.dim() else d for d in dims_a]
    dims_b = [d % b.dim() if b.dim() else d for d in dims_b]
    for da, db in zip(dims_a, dims_b):
        if a.shape[da] != b.shape[db]:
            shown_a = da - a.dim() if isinstance(dims, int) else da
            raise RuntimeError(f"contracted dimensions need to match, but first has size {a.shape[da]} in dim "
                               f"{shown_a} and second has size {b.shape[db]} in dim {db}")
    free_a = [d for d in range(a.dim()) if d not in dims_a]
    free_b = [d for d in range(b.dim()) if d not in dims_b]
    k = 1
    for d in dims_a:
        k *= a.shape[d]
    rows = 1
    for d in free_a:
        rows *= a.shape[d]
    cols = 1
    for d in free_b:
        cols *= b.shape[d]
    left = a.permute(*free_a, *dims_a).reshape(rows, k)
    right = b.permute(*dims_b, *free_b).reshape(k, cols)
    return left.mm(right).reshape([a.shape[d] for d in free_a] + [b.shape[d] for d in free_b])


_CHAIN_MATMUL_WARNED = [False]


def _chain_order(shapes: list) -> list:
    """split[i][j]: where the cheapest product of matrices i..j splits (matrix-chain DP)."""
    n = len(shapes)
    dims = [shapes[0][0]] + [s[1] for s in shapes]
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = None
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if cost[i][j] is None or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


@function(out=True)
def chain_matmul(*matrices: Tensor) -> Tensor:
    """The product of 2-D matrices, in the order of fewest multiplications (deprecated in
    PyTorch in favour of linalg.multi_dot, with its warning)."""
    if not _CHAIN_MATMUL_WARNED[0]:
        _CHAIN_MATMUL_WARNED[0] = True
        warnings.warn("torch.chain_matmul is deprecated and will be removed in a future PyTorch release. "
                      "Use torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather "
                      "than multiple parameters.", UserWarning, stacklevel=2)
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for i, m in enumerate(matrices):
        check_tensor(m, "chain_matmul", "matrices", i + 1)
        if m.dim() != 2:
            raise RuntimeError(f"Tensor dimension is {m.dim()}, expected 2 instead.")
    if len(matrices) == 1:
        return matrices[0].clone()
    split = _chain_order([m.shape for m in matrices])

    def product(i: int, j: int) -> Tensor:
        if i == j:
            return matrices[i]
        k = split[i][j]
        return product(i, k).mm(product(k + 1, j))
    return product(0, len(matrices) - 1)


@op
def matrix_power(input: Tensor, n: int) -> Tensor:
    """input (..., m, m) to the integer power n by repeated squaring, as PyTorch's order of
    products (n == 0: the identity; n < 0: the power -n of input's inverse)."""
    if input.dim() < 2:
        raise RuntimeError("linalg.matrix_power: The input tensor A must have at least 2 dimensions.")
    if input.shape[-1] != input.shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, but they are "
                           f"{input.shape[-2]} by {input.shape[-1]} matrices")
    if n < 0:  # the inverse's power, the inverse checked as linalg.inv checks it
        from .linalg_functions import check_matrix, inverse_checked
        input, n = inverse_checked(check_matrix(input, "linalg.inv"), "linalg.inv"), -n
    if n == 0:
        from .._creation import eye
        identity = eye(input.shape[-1], dtype=input.dtype, device=input.device)
        # a copy of input overwritten: the result is in input's graph, with zero gradient
        return input.clone().copy_(identity.expand(input.shape))
    if n == 1:
        return input.clone()
    if n == 2:
        return input.matmul(input)
    if n == 3:
        return input.matmul(input).matmul(input)
    # binary decomposition of n, from its lowest bit: z runs through input^(2^k)
    result = square = None
    while n > 0:
        square = input if square is None else square.matmul(square)
        if n & 1:
            result = square if result is None else result.matmul(square)
        n >>= 1
    return result
