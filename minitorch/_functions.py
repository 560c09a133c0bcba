"""The ``minitorch.<op>(input, ...)`` functional forms of the Tensor methods."""
from __future__ import annotations

from . import dtypes
from .autograd.ops import _common, arith, matmul as _matmul, shape
from .tensor import Tensor


__all__ = [
    "softmax",
    "log_softmax",
    "add",
    "sub",
    "mul",
    "div",
    "true_divide",
    "floor_divide",
    "remainder",
    "pow",
    "neg",
    "negative",
    "abs",
    "sign",
    "exp",
    "expm1",
    "log",
    "log1p",
    "log2",
    "log10",
    "sqrt",
    "rsqrt",
    "reciprocal",
    "square",
    "sin",
    "cos",
    "tanh",
    "sigmoid",
    "relu",
    "floor",
    "ceil",
    "round",
    "trunc",
    "clamp",
    "clip",
    "maximum",
    "minimum",
    "where",
    "masked_fill",
    "isnan",
    "isinf",
    "isfinite",
    "logical_not",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "equal",
    "allclose",
    "isclose",
    "sum",
    "mean",
    "prod",
    "var",
    "std",
    "max",
    "min",
    "amax",
    "amin",
    "argmax",
    "argmin",
    "logsumexp",
    "all",
    "any",
    "norm",
    "matmul",
    "mm",
    "bmm",
    "mv",
    "dot",
    "outer",
    "cat",
    "concat",
    "concatenate",
    "stack",
    "split",
    "chunk",
    "unbind",
    "narrow",
    "reshape",
    "flatten",
    "squeeze",
    "unsqueeze",
    "permute",
    "transpose",
    "swapaxes",
    "t",
    "flip",
    "gather",
    "scatter_add",
    "clone",
    "numel",
    "is_tensor",
    "is_floating_point",
    "nonzero",
    "broadcast_shapes",
    "broadcast_to",
    "result_type",
    "get_default_dtype",
    "set_default_dtype",
    "can_cast",
]

def _check(input, name: str) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    return input


def _as_tensor_operand(x, like):
    return x if isinstance(x, Tensor) else _common.scalar_tensor(x, like)


def add(input, other, *, alpha=1):
    if not isinstance(input, Tensor):
        return _check(other, "add").add(input, alpha=alpha) if alpha == 1 else _as_tensor_operand(input, other).add(other, alpha=alpha)
    return input.add(other, alpha=alpha)


def sub(input, other, *, alpha=1):
    return _as_tensor_operand(input, other).sub(other, alpha=alpha)


def mul(input, other):
    if not isinstance(input, Tensor):
        return _check(other, "mul").mul(input)
    return input.mul(other)


def div(input, other, *, rounding_mode=None):
    return _as_tensor_operand(input, other).div(other, rounding_mode=rounding_mode)


def true_divide(input, other):
    return div(input, other)


def floor_divide(input, other):
    return _as_tensor_operand(input, other).floor_divide(other)


def remainder(input, other):
    return _as_tensor_operand(input, other).remainder(other)


def pow(input, exponent):  # noqa: A001
    if not isinstance(input, Tensor):
        return arith.rpow(input, _check(exponent, "pow"))
    return input.pow(exponent)


def neg(input):
    return _check(input, "neg").neg()


negative = neg


def abs(input):  # noqa: A001
    return _check(input, "abs").abs()


def sign(input):
    return _check(input, "sign").sign()


def exp(input):
    return _check(input, "exp").exp()


def expm1(input):
    return _check(input, "expm1").expm1()


def log(input):
    return _check(input, "log").log()


def log1p(input):
    return _check(input, "log1p").log1p()


def log2(input):
    return _check(input, "log2").log2()


def log10(input):
    return _check(input, "log10").log10()


def sqrt(input):
    return _check(input, "sqrt").sqrt()


def rsqrt(input):
    return _check(input, "rsqrt").rsqrt()


def reciprocal(input):
    return _check(input, "reciprocal").reciprocal()


def square(input):
    return _check(input, "square").square()


def sin(input):
    return _check(input, "sin").sin()


def cos(input):
    return _check(input, "cos").cos()


def tanh(input):
    return _check(input, "tanh").tanh()


def sigmoid(input):
    return _check(input, "sigmoid").sigmoid()


def relu(input):
    return _check(input, "relu").relu()


def floor(input):
    return _check(input, "floor").floor()


def ceil(input):
    return _check(input, "ceil").ceil()


def round(input):  # noqa: A001
    return _check(input, "round").round()


def trunc(input):
    return _check(input, "trunc").trunc()


def clamp(input, min=None, max=None):  # noqa: A002
    return _check(input, "clamp").clamp(min, max)


clip = clamp


def maximum(input, other):
    return arith.maximum(_check(input, "maximum"), _check(other, "maximum"))


def minimum(input, other):
    return arith.minimum(_check(input, "minimum"), _check(other, "minimum"))


def where(condition, input=None, other=None):
    """Elements of input where condition holds, else of other; ``where(cond)`` gives the indices."""
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    return arith.where(condition, input, other)


def masked_fill(input, mask, value):
    return _check(input, "masked_fill").masked_fill(mask, value)


def isnan(input):
    return _check(input, "isnan").isnan()


def isinf(input):
    return _check(input, "isinf").isinf()


def isfinite(input):
    return _check(input, "isfinite").isfinite()


def logical_not(input):
    return _check(input, "logical_not").logical_not()


def eq(input, other):
    return _check(input, "eq").eq(other)


def ne(input, other):
    return _check(input, "ne").ne(other)


def lt(input, other):
    return _check(input, "lt").lt(other)


def le(input, other):
    return _check(input, "le").le(other)


def gt(input, other):
    return _check(input, "gt").gt(other)


def ge(input, other):
    return _check(input, "ge").ge(other)


def equal(input, other) -> bool:
    return _check(input, "equal").equal(other)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    return _check(input, "allclose").allclose(other, rtol, atol, equal_nan)


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return _check(input, "isclose").isclose(other, rtol, atol, equal_nan)


def sum(input, dim=None, keepdim=False, *, dtype=None):  # noqa: A001
    return _check(input, "sum").sum(dim, keepdim, dtype=dtype)


def mean(input, dim=None, keepdim=False, *, dtype=None):
    return _check(input, "mean").mean(dim, keepdim, dtype=dtype)


def prod(input, dim=None, keepdim=False, *, dtype=None):
    return _check(input, "prod").prod(dim, keepdim, dtype=dtype)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _check(input, "var").var(dim, unbiased, keepdim, correction=correction)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _check(input, "std").std(dim, unbiased, keepdim, correction=correction)


def max(input, dim=None, keepdim=False):  # noqa: A001
    return _check(input, "max").max(dim, keepdim)


def min(input, dim=None, keepdim=False):  # noqa: A001
    return _check(input, "min").min(dim, keepdim)


def amax(input, dim=(), keepdim=False):
    return _check(input, "amax").amax(dim, keepdim)


def amin(input, dim=(), keepdim=False):
    return _check(input, "amin").amin(dim, keepdim)


def argmax(input, dim=None, keepdim=False):
    return _check(input, "argmax").argmax(dim, keepdim)


def argmin(input, dim=None, keepdim=False):
    return _check(input, "argmin").argmin(dim, keepdim)


def logsumexp(input, dim, keepdim=False):
    return _check(input, "logsumexp").logsumexp(dim, keepdim)


def all(input, dim=None, keepdim=False):  # noqa: A001
    return _check(input, "all").all(dim, keepdim)


def any(input, dim=None, keepdim=False):  # noqa: A001
    return _check(input, "any").any(dim, keepdim)


def norm(input, p="fro", dim=None, keepdim=False):
    return _check(input, "norm").norm(p, dim, keepdim)


def softmax(input, dim, dtype=None):
    """exp(input) / sum(exp(input)) along dim, computed stably (any shape)."""
    return _check(input, "softmax").softmax(dim, dtype)


def log_softmax(input, dim, dtype=None):
    """input - log(sum(exp(input))) along dim, in one fused pass (any shape)."""
    return _check(input, "log_softmax").log_softmax(dim, dtype)


def matmul(input, other):
    return _matmul.matmul(input, other)


def mm(input, mat2):
    return _matmul.mm(_check(input, "mm"), _check(mat2, "mm"))


def bmm(input, mat2):
    return _matmul.bmm(_check(input, "bmm"), _check(mat2, "bmm"))


def mv(input, vec):
    return _matmul.mv(_check(input, "mv"), _check(vec, "mv"))


def dot(input, other):
    return _matmul.dot(_check(input, "dot"), _check(other, "dot"))


def outer(input, vec2):
    return _check(input, "outer").unsqueeze(1) * _check(vec2, "outer").unsqueeze(0)


def cat(tensors, dim: int = 0):
    return shape.cat(tensors, dim)


concat = concatenate = cat


def stack(tensors, dim: int = 0):
    return shape.stack(tensors, dim)


def split(tensor, split_size_or_sections, dim: int = 0):
    return _check(tensor, "split").split(split_size_or_sections, dim)


def chunk(input, chunks: int, dim: int = 0):
    return _check(input, "chunk").chunk(chunks, dim)


def unbind(input, dim: int = 0):
    return _check(input, "unbind").unbind(dim)


def narrow(input, dim: int, start: int, length: int):
    return _check(input, "narrow").narrow(dim, start, length)


def reshape(input, shape):
    return _check(input, "reshape").reshape(shape)


def flatten(input, start_dim: int = 0, end_dim: int = -1):
    return _check(input, "flatten").flatten(start_dim, end_dim)


def squeeze(input, dim=None):
    return _check(input, "squeeze").squeeze(dim)


def unsqueeze(input, dim: int):
    return _check(input, "unsqueeze").unsqueeze(dim)


def permute(input, dims):
    return _check(input, "permute").permute(*dims)


def transpose(input, dim0: int, dim1: int):
    return _check(input, "transpose").transpose(dim0, dim1)


swapaxes = transpose


def t(input):
    return _check(input, "t").t()


def flip(input, dims):
    return _check(input, "flip").flip(*dims)


def gather(input, dim: int, index):
    return _check(input, "gather").gather(dim, index)


def scatter_add(input, dim: int, index, src):
    return _check(input, "scatter_add").scatter_add(dim, index, src)


def clone(input):
    return _check(input, "clone").clone()


def numel(input) -> int:
    return _check(input, "numel").numel()


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def is_floating_point(input) -> bool:
    return _check(input, "is_floating_point").is_floating_point()


def nonzero(input, *, as_tuple: bool = False):
    """Indices of the non-zero elements: an (n, ndim) int64 tensor, or one tensor per dim."""
    idx = input._backend.nonzero(input._data)
    parts = [Tensor._wrap(i.astype("int64"), input._backend) for i in idx]
    if as_tuple:
        return tuple(parts)
    if not parts:
        return Tensor._wrap(input._backend.zeros((int(bool(input.item())) if input.numel() == 1 else 0, 0), dtypes.int64))
    return stack(parts, 1)


def broadcast_shapes(*shapes):
    from ._size import Size
    return Size(_common.broadcast_shapes(*shapes))


def broadcast_to(input, size):
    return _check(input, "broadcast_to").expand(size)


def result_type(tensor1, tensor2):
    """The dtype PyTorch's arithmetic would give tensor1 op tensor2 (tensors or numbers)."""
    if isinstance(tensor1, Tensor):
        return _common.binary_dtype(tensor1, tensor2)
    if isinstance(tensor2, Tensor):
        return _common.binary_dtype(tensor2, tensor1)
    return dtypes.promote_types(dtypes.scalar_dtype(tensor1), dtypes.scalar_dtype(tensor2))


def get_default_dtype():
    return dtypes.get_default_dtype()


def set_default_dtype(d) -> None:
    dtypes.set_default_dtype(d)


def can_cast(from_, to) -> bool:
    from .autograd.ops.inplace import can_cast as _can_cast
    return _can_cast(from_, to)
