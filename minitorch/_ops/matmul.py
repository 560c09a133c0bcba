"""Matrix products on BLAS: mm, bmm, dot, mv, and matmul's 1-D and batch-broadcasting rules.

matmul is composed from the primitive products and views exactly as PyTorch composes
it, so the graph shows the same nodes (MmBackward0, UnsafeViewBackward0, ...).
"""
from __future__ import annotations

from .._declare import method, op
from ..autograd.function import Function
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from ._common import broadcast_shapes, same_device
from .shape import UnsafeViewBackward0, _Reshaping

def _tensor(x, fn: str, name: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' (position 2) must be Tensor, not {type(x).__name__}")
    return x


def _same_dtype(a: Tensor, b: Tensor, what: str) -> None:
    same_device(a, b)
    if a.dtype is not b.dtype:
        raise RuntimeError(
            f"expected {what} to have the same dtype, but got: "
            f"{a.dtype.c_name} != {b.dtype.c_name}")


def _prod(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def _x(shape) -> str:
    return "x".join(map(str, shape))


class _Product(Function):
    """A matrix product on BLAS (shapes checked by the caller); both operands are saved."""

    tensor_inputs = 2

    @staticmethod
    def forward(a, b):
        return a._backend.matmul(a._data, b._data)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(*inputs)


class MmBackward0(_Product):
    """(n, k) @ (k, m): d/da = grad @ b^T, d/db = a^T @ grad."""

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        grad_a = grad.mm(b.t()) if a._requires_grad else None
        grad_b = a.t().mm(grad) if b._requires_grad else None
        return grad_a, grad_b


@op(out=True)
def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """(n, k) @ (k, m) -> (n, m)."""
    a, b = input, _tensor(mat2, "mm", "mat2")
    if a.dim() != 2:
        raise RuntimeError("self must be a matrix")
    if b.dim() != 2:
        raise RuntimeError("mat2 must be a matrix")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({_x(a.shape)} and {_x(b.shape)})")
    _same_dtype(a, b, "m1 and m2")
    return MmBackward0.apply(a, b)


class BmmBackward0(_Product):
    """(B, n, k) @ (B, k, m), batch by batch."""

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        grad_a = grad.bmm(b.transpose(1, 2)) if a._requires_grad else None
        grad_b = a.transpose(1, 2).bmm(grad) if b._requires_grad else None
        return grad_a, grad_b


@op(out=True)
def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """(b, n, k) @ (b, k, m) -> (b, n, m)."""
    a, b = input, _tensor(mat2, "bmm", "mat2")
    if a.dim() != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b.dim() != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if b.shape[0] != a.shape[0] or b.shape[1] != a.shape[2]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")
    same_device(a, b)
    if a.dtype is not b.dtype:
        raise RuntimeError(f"expected scalar type {a.dtype.legacy_name} but found {b.dtype.legacy_name}")
    return BmmBackward0.apply(a, b)


class DotBackward0(_Product):
    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad * b, grad * a


@op(out=True)
def dot(input: Tensor, tensor: Tensor) -> Tensor:
    """(n,) . (n,) -> a 0-d tensor."""
    a, b = input, _tensor(tensor, "dot", "tensor")
    if a.dim() != 1 or b.dim() != 1:
        raise RuntimeError(
            f"1D tensors expected, but got {a.dim()}D and {b.dim()}D tensors")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to have "
            f"the same number of elements, but got {a.shape[0]} and {b.shape[0]} elements respectively")
    same_device(a, b)
    if a.dtype is not b.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {a.dtype.legacy_name} and "
                           f"{b.dtype.legacy_name}")
    return DotBackward0.apply(a, b)


class MvBackward0(_Product):
    """(n, k) @ (k,): d/da = outer(grad, v), d/dv = a^T @ grad."""

    @staticmethod
    def backward(ctx, grad):
        a, v = ctx.saved_tensors
        grad_a = grad.unsqueeze(1) * v.unsqueeze(0) if a._requires_grad else None
        grad_v = a.t().mv(grad) if v._requires_grad else None
        return grad_a, grad_v


@op(out=True)
def mv(input: Tensor, vec: Tensor) -> Tensor:
    """(n, k) @ (k,) -> (n,)."""
    a, v = input, _tensor(vec, "mv", "vec")
    if a.dim() != 2 or v.dim() != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {a.dim()}, {a.dim()}, {v.dim()}")
    if a.shape[1] != v.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({a.shape[0]}), mat ({_x(a.shape)}), vec ({v.shape[0]})")
    _same_dtype(a, v, "m1 and m2")
    return MvBackward0.apply(a, v)


class SqueezeBackward4(_Reshaping):
    """The squeeze of a fresh (1, m) product to (m,): no view of anything the user holds."""

    is_view = False


@op(out=True, checked=False)
def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with PyTorch's rules: dot (1-D, 1-D), mv, mm, and batched products with
    broadcast batch dims."""
    a, b = input, other
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        bad = b if isinstance(a, Tensor) else a
        raise TypeError(f"matmul(): argument must be Tensor, not {type(bad).__name__}")
    da, db = a.dim(), b.dim()
    if da == 0 or db == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {da}D and {db}D")
    if da == 1 and db == 1:
        return dot(a, b)
    if da == 2 and db == 1:
        return mv(a, b)
    if da == 1 and db == 2:
        # PyTorch squeezes the fresh product in place: the result is not a view.
        return SqueezeBackward4.apply(mm(a.unsqueeze(0), b), (b.shape[1],))
    if da == 2 and db == 2:
        return mm(a, b)
    if da >= 3 and db <= 2:
        # Fold a's batch dims into its rows: one mm on BLAS, then a reshape back.
        k = a.shape[-1]
        rows = a.numel() // k if k else _prod(a.shape[:-1])
        if db == 1:
            if b.shape[0] != k:
                raise RuntimeError(
                    f"size mismatch, got input ({_x(a.shape[:-1])}), mat ({_x(a.shape)}), vec ({b.shape[0]})")
            return UnsafeViewBackward0.apply(mm(a.reshape(rows, k), b.unsqueeze(1)), a.shape[:-1])
        if b.shape[0] != k:
            raise RuntimeError(
                f"mat1 and mat2 shapes cannot be multiplied ({_x((a.numel() // max(k, 1), k))} and {_x(b.shape)})")
        return UnsafeViewBackward0.apply(mm(a.reshape(rows, k), b), a.shape[:-1] + (b.shape[1],))
    # Batched: broadcast the batch dims, fold them into one, bmm, reshape back.
    a2 = a.unsqueeze(0) if da == 1 else a
    b2 = b.unsqueeze(-1) if db == 1 else b
    n, k = a2.shape[-2], a2.shape[-1]
    k2, m = b2.shape[-2], b2.shape[-1]
    batch = broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
    nb = _prod(batch)
    if k != k2:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{nb}, {k}] but got: [{nb}, {k2}].")
    a3 = a2.expand(batch + (n, k)).reshape(nb, n, k)
    b3 = b2.expand(batch + (k, m)).reshape(nb, k, m)
    out_shape = batch + ((n,) if da > 1 else ()) + ((m,) if db > 1 else ())
    return UnsafeViewBackward0.apply(bmm(a3, b3), out_shape)


@op(out=True)
def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """(n,) x (m,) -> (n, m): input[i] * vec2[j]."""
    _tensor(vec2, "outer", "vec2")
    for name, v in (("self", input), ("vec2", vec2)):
        if v.dim() != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {v.dim()}-D")
    return input.unsqueeze(1) * vec2.unsqueeze(0)


@method(name="__matmul__")
def _matmul_operator(self, other):
    """self @ other (see matmul)."""
    if not isinstance(other, Tensor):
        return NotImplemented
    return matmul(self, other)


@method(name="__rmatmul__")
def _rmatmul_operator(self, other):
    return NotImplemented


class BaddbmmBackward0(Function):
    """beta * input + alpha * (batch1 @ batch2), batch by batch; input broadcast to (b, n, p).

    With beta == 0 input is ignored (its NaN and inf do not propagate), as in PyTorch."""

    tensor_inputs = 3

    @staticmethod
    def forward(input, batch1, batch2, beta, alpha):
        with no_grad():
            product = batch1.bmm(batch2)
            if alpha != 1:
                product = product * alpha
            if beta != 0:
                product = product + (input if beta == 1 else input * beta)
        return product._data

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, batch1, batch2, ctx.beta, ctx.alpha = inputs
        ctx.save_for_backward(batch1, batch2)
        ctx.needs = tuple(t._requires_grad for t in (input, batch1, batch2))

    @staticmethod
    def backward(ctx, grad):
        batch1, batch2 = ctx.saved_tensors
        needs = ctx.needs
        grad_input = None
        if needs[0]:
            grad_input = grad if ctx.beta == 1 else grad * ctx.beta
        scaled = grad if ctx.alpha == 1 else grad * ctx.alpha
        grad_b1 = scaled.bmm(batch2.transpose(1, 2)) if needs[1] else None
        grad_b2 = batch1.transpose(1, 2).bmm(scaled) if needs[2] else None
        return grad_input, grad_b1, grad_b2, None, None


@op(inplace=True, out=True)
def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * bmm(batch1, batch2): batch1 (b, n, m), batch2 (b, m, p), input
    broadcastable to (b, n, p)."""
    for position, (name, t) in enumerate((("input", input), ("batch1", batch1), ("batch2", batch2)), 1):
        if not isinstance(t, Tensor):
            raise TypeError(f"baddbmm(): argument '{name}' (position {position}) must be Tensor, "
                            f"not {type(t).__name__}")
    if batch1.dim() != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if batch2.dim() != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    b, n, m = batch1.shape
    if tuple(batch2.shape[:2]) != (b, m):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{b}, {m}] "
                           f"but got: [{batch2.shape[0]}, {batch2.shape[1]}].")
    if not (input.dtype is batch1.dtype is batch2.dtype):
        raise RuntimeError(f"Input dtypes must be the same, got: input {input.dtype.c_name}, "
                           f"batch1: {batch1.dtype.c_name}, batch2: {batch2.dtype.c_name}")
    input.expand(b, n, batch2.shape[2])  # PyTorch's message when input does not broadcast
    return BaddbmmBackward0.apply(input, batch1, batch2, beta, alpha)
