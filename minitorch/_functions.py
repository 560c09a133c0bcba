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
    """input + alpha * other, broadcast; other a tensor or a number."""
    if not isinstance(input, Tensor):
        return _check(other, "add").add(input, alpha=alpha) if alpha == 1 else _as_tensor_operand(input, other).add(other, alpha=alpha)
    return input.add(other, alpha=alpha)


def sub(input, other, *, alpha=1):
    """input - alpha * other, broadcast; other a tensor or a number."""
    return _as_tensor_operand(input, other).sub(other, alpha=alpha)


def mul(input, other):
    """input * other elementwise, broadcast."""
    if not isinstance(input, Tensor):
        return _check(other, "mul").mul(input)
    return input.mul(other)


def div(input, other, *, rounding_mode=None):
    """input / other elementwise, broadcast; rounding_mode None (true division), 'trunc' or 'floor'."""
    return _as_tensor_operand(input, other).div(other, rounding_mode=rounding_mode)


def true_divide(input, other):
    """input / other elementwise (always a floating-point result)."""
    return div(input, other)


def floor_divide(input, other):
    """floor(input / other) elementwise, broadcast (no gradient, as in PyTorch)."""
    return _as_tensor_operand(input, other).floor_divide(other)


def remainder(input, other):
    """input mod other with the sign of other (Python's %), broadcast."""
    return _as_tensor_operand(input, other).remainder(other)


def pow(input, exponent):  # noqa: A001
    """input ** exponent elementwise; either may be a number."""
    if not isinstance(input, Tensor):
        return arith.rpow(input, _check(exponent, "pow"))
    return input.pow(exponent)


def neg(input):
    """-input elementwise."""
    return _check(input, "neg").neg()


negative = neg


def abs(input):  # noqa: A001
    """|input| elementwise."""
    return _check(input, "abs").abs()


def sign(input):
    """-1, 0 or 1 by the sign of each element."""
    return _check(input, "sign").sign()


def exp(input):
    """e ** input elementwise."""
    return _check(input, "exp").exp()


def expm1(input):
    """exp(input) - 1 elementwise, exact near 0."""
    return _check(input, "expm1").expm1()


def log(input):
    """Natural logarithm elementwise."""
    return _check(input, "log").log()


def log1p(input):
    """log(1 + input) elementwise, exact near 0."""
    return _check(input, "log1p").log1p()


def log2(input):
    """Base-2 logarithm elementwise."""
    return _check(input, "log2").log2()


def log10(input):
    """Base-10 logarithm elementwise."""
    return _check(input, "log10").log10()


def sqrt(input):
    """Square root elementwise."""
    return _check(input, "sqrt").sqrt()


def rsqrt(input):
    """1 / sqrt(input) elementwise."""
    return _check(input, "rsqrt").rsqrt()


def reciprocal(input):
    """1 / input elementwise."""
    return _check(input, "reciprocal").reciprocal()


def square(input):
    """input ** 2 elementwise."""
    return _check(input, "square").square()


def sin(input):
    """Sine elementwise."""
    return _check(input, "sin").sin()


def cos(input):
    """Cosine elementwise."""
    return _check(input, "cos").cos()


def tanh(input):
    """Hyperbolic tangent elementwise."""
    return _check(input, "tanh").tanh()


def sigmoid(input):
    """1 / (1 + exp(-input)) elementwise."""
    return _check(input, "sigmoid").sigmoid()


def relu(input):
    """max(input, 0) elementwise."""
    return _check(input, "relu").relu()


def floor(input):
    """Largest integer <= each element."""
    return _check(input, "floor").floor()


def ceil(input):
    """Smallest integer >= each element."""
    return _check(input, "ceil").ceil()


def round(input):  # noqa: A001
    """Each element rounded to the nearest integer, halves to even."""
    return _check(input, "round").round()


def trunc(input):
    """Each element rounded toward zero."""
    return _check(input, "trunc").trunc()


def clamp(input, min=None, max=None):  # noqa: A002
    """Each element limited to [min, max] (numbers or broadcastable tensors)."""
    return _check(input, "clamp").clamp(min, max)


clip = clamp


def maximum(input, other):
    """The larger of input and other elementwise, broadcast (NaN propagates)."""
    return arith.maximum(_check(input, "maximum"), _check(other, "maximum"))


def minimum(input, other):
    """The smaller of input and other elementwise, broadcast (NaN propagates)."""
    return arith.minimum(_check(input, "minimum"), _check(other, "minimum"))


def where(condition, input=None, other=None):
    """Elements of input where condition holds, else of other; ``where(cond)`` gives the indices."""
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    return arith.where(condition, input, other)


def masked_fill(input, mask, value):
    """input with value wherever the bool mask (broadcast to input's shape) is True."""
    return _check(input, "masked_fill").masked_fill(mask, value)


def isnan(input):
    """A bool tensor: True where input is NaN."""
    return _check(input, "isnan").isnan()


def isinf(input):
    """A bool tensor: True where input is +inf or -inf."""
    return _check(input, "isinf").isinf()


def isfinite(input):
    """A bool tensor: True where input is neither inf nor NaN."""
    return _check(input, "isfinite").isfinite()


def logical_not(input):
    """A bool tensor: True where input is zero/False."""
    return _check(input, "logical_not").logical_not()


def eq(input, other):
    """A bool tensor of input == other, broadcast."""
    return _check(input, "eq").eq(other)


def ne(input, other):
    """A bool tensor of input != other, broadcast."""
    return _check(input, "ne").ne(other)


def lt(input, other):
    """A bool tensor of input < other, broadcast."""
    return _check(input, "lt").lt(other)


def le(input, other):
    """A bool tensor of input <= other, broadcast."""
    return _check(input, "le").le(other)


def gt(input, other):
    """A bool tensor of input > other, broadcast."""
    return _check(input, "gt").gt(other)


def ge(input, other):
    """A bool tensor of input >= other, broadcast."""
    return _check(input, "ge").ge(other)


def equal(input, other) -> bool:
    """True when input and other have the same shape and values."""
    return _check(input, "equal").equal(other)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    """True when |input - other| <= atol + rtol * |other| everywhere."""
    return _check(input, "allclose").allclose(other, rtol, atol, equal_nan)


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """A bool tensor of |input - other| <= atol + rtol * |other|."""
    return _check(input, "isclose").isclose(other, rtol, atol, equal_nan)


def sum(input, dim=None, keepdim=False, *, dtype=None):  # noqa: A001
    """Sum over dim (an int, a tuple, or all when None), keeping reduced dims as size 1 with keepdim."""
    return _check(input, "sum").sum(dim, keepdim, dtype=dtype)


def mean(input, dim=None, keepdim=False, *, dtype=None):
    """Mean over dim (all when None) of a floating-point tensor."""
    return _check(input, "mean").mean(dim, keepdim, dtype=dtype)


def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Product over dim (all when None)."""
    return _check(input, "prod").prod(dim, keepdim, dtype=dtype)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance over dim with Bessel's correction by default (correction=1)."""
    return _check(input, "var").var(dim, unbiased, keepdim, correction=correction)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Standard deviation over dim with Bessel's correction by default (correction=1)."""
    return _check(input, "std").std(dim, unbiased, keepdim, correction=correction)


def max(input, dim=None, keepdim=False):  # noqa: A001
    """The largest element; with dim, the named tuple (values, indices) along dim; with a tensor, maximum."""
    return _check(input, "max").max(dim, keepdim)


def min(input, dim=None, keepdim=False):  # noqa: A001
    """The smallest element; with dim, the named tuple (values, indices) along dim; with a tensor, minimum."""
    return _check(input, "min").min(dim, keepdim)


def amax(input, dim=(), keepdim=False):
    """The largest values over dim (all when empty), gradient shared among ties."""
    return _check(input, "amax").amax(dim, keepdim)


def amin(input, dim=(), keepdim=False):
    """The smallest values over dim (all when empty), gradient shared among ties."""
    return _check(input, "amin").amin(dim, keepdim)


def argmax(input, dim=None, keepdim=False):
    """int64 index of the largest element (of the flattened input when dim is None)."""
    return _check(input, "argmax").argmax(dim, keepdim)


def argmin(input, dim=None, keepdim=False):
    """int64 index of the smallest element (of the flattened input when dim is None)."""
    return _check(input, "argmin").argmin(dim, keepdim)


def logsumexp(input, dim, keepdim=False):
    """log(sum(exp(input))) over dim, computed stably."""
    return _check(input, "logsumexp").logsumexp(dim, keepdim)


def all(input, dim=None, keepdim=False):  # noqa: A001
    """True where every element (over dim, or all) is non-zero."""
    return _check(input, "all").all(dim, keepdim)


def any(input, dim=None, keepdim=False):  # noqa: A001
    """True where some element (over dim, or all) is non-zero."""
    return _check(input, "any").any(dim, keepdim)


def norm(input, p="fro", dim=None, keepdim=False):
    """The vector p-norm (2 by default) over dim or over all elements."""
    return _check(input, "norm").norm(p, dim, keepdim)


def softmax(input, dim, dtype=None):
    """exp(input) / sum(exp(input)) along dim, computed stably (any shape)."""
    return _check(input, "softmax").softmax(dim, dtype)


def log_softmax(input, dim, dtype=None):
    """input - log(sum(exp(input))) along dim, in one fused pass (any shape)."""
    return _check(input, "log_softmax").log_softmax(dim, dtype)


def matmul(input, other):
    """Matrix product with PyTorch's rules: dot (1-D, 1-D), mv, mm, and batched products with broadcast batch dims."""
    return _matmul.matmul(input, other)


def mm(input, mat2):
    """(n, k) @ (k, m) -> (n, m)."""
    return _matmul.mm(_check(input, "mm"), _check(mat2, "mm"))


def bmm(input, mat2):
    """(b, n, k) @ (b, k, m) -> (b, n, m)."""
    return _matmul.bmm(_check(input, "bmm"), _check(mat2, "bmm"))


def mv(input, vec):
    """(n, k) @ (k,) -> (n,)."""
    return _matmul.mv(_check(input, "mv"), _check(vec, "mv"))


def dot(input, other):
    """(n,) . (n,) -> a 0-d tensor."""
    return _matmul.dot(_check(input, "dot"), _check(other, "dot"))


def outer(input, vec2):
    """(n,) x (m,) -> (n, m): input[i] * vec2[j]."""
    return _check(input, "outer").unsqueeze(1) * _check(vec2, "outer").unsqueeze(0)


def cat(tensors, dim: int = 0):
    """Tensors of the same shape except in dim, joined along dim."""
    return shape.cat(tensors, dim)


concat = concatenate = cat


def stack(tensors, dim: int = 0):
    """Tensors of one shape, stacked along a new dim."""
    return shape.stack(tensors, dim)


def split(tensor, split_size_or_sections, dim: int = 0):
    """A tuple of views along dim: pieces of split_size_or_sections (an int, or a list of sizes)."""
    return _check(tensor, "split").split(split_size_or_sections, dim)


def chunk(input, chunks: int, dim: int = 0):
    """A tuple of at most chunks views of equal size (the last may be smaller) along dim."""
    return _check(input, "chunk").chunk(chunks, dim)


def unbind(input, dim: int = 0):
    """A tuple of the slices along dim, that dim removed."""
    return _check(input, "unbind").unbind(dim)


def narrow(input, dim: int, start: int, length: int):
    """A view of length elements along dim, from start."""
    return _check(input, "narrow").narrow(dim, start, length)


def reshape(input, shape):
    """input with a new shape (a view when the layout allows, else a copy); one dim may be -1."""
    return _check(input, "reshape").reshape(shape)


def flatten(input, start_dim: int = 0, end_dim: int = -1):
    """Dims start_dim..end_dim folded into one."""
    return _check(input, "flatten").flatten(start_dim, end_dim)


def squeeze(input, dim=None):
    """input without its size-1 dims (or only dim, when given)."""
    return _check(input, "squeeze").squeeze(dim)


def unsqueeze(input, dim: int):
    """A view with a size-1 dim inserted at dim."""
    return _check(input, "unsqueeze").unsqueeze(dim)


def permute(input, dims):
    """A view with the dims reordered: output dim i is input dim dims[i]."""
    return _check(input, "permute").permute(tuple(dims))


def transpose(input, dim0: int, dim1: int):
    """A view with dim0 and dim1 swapped."""
    return _check(input, "transpose").transpose(dim0, dim1)


swapaxes = transpose


def t(input):
    """The transpose of a matrix (0-d and 1-d inputs are returned as they are)."""
    return _check(input, "t").t()


def flip(input, dims):
    """A copy with the order of elements reversed along dims."""
    return _check(input, "flip").flip(*dims)


def gather(input, dim: int, index):
    """out[i][j] = input[index[i][j]][j] along dim (index: int64, same number of dims)."""
    return _check(input, "gather").gather(dim, index)


def scatter_add(input, dim: int, index, src):
    """input with src added at index along dim; repeated indices accumulate."""
    return _check(input, "scatter_add").scatter_add(dim, index, src)


def clone(input):
    """A copy in new memory (gradients flow back to input)."""
    return _check(input, "clone").clone()


def numel(input) -> int:
    """The number of elements of input."""
    return _check(input, "numel").numel()


def is_tensor(obj) -> bool:
    """True when obj is a minitorch Tensor."""
    return isinstance(obj, Tensor)


def is_floating_point(input) -> bool:
    """True when input's dtype is a floating-point type."""
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
    """The shape the given shapes broadcast to (RuntimeError when they don't)."""
    from ._size import Size
    return Size(_common.broadcast_shapes(*shapes))


def broadcast_to(input, size):
    """A view of input expanded to size."""
    return _check(input, "broadcast_to").expand(size)


def result_type(tensor1, tensor2):
    """The dtype PyTorch's arithmetic would give tensor1 op tensor2 (tensors or numbers)."""
    if isinstance(tensor1, Tensor):
        return _common.binary_dtype(tensor1, tensor2)
    if isinstance(tensor2, Tensor):
        return _common.binary_dtype(tensor2, tensor1)
    return dtypes.promote_types(dtypes.scalar_dtype(tensor1), dtypes.scalar_dtype(tensor2))


def get_default_dtype():
    """The dtype of tensors made from Python floats (float32 unless changed)."""
    return dtypes.get_default_dtype()


def set_default_dtype(d) -> None:
    """Set the dtype of tensors made from Python floats (float32 or float64)."""
    dtypes.set_default_dtype(d)


def can_cast(from_, to) -> bool:
    """Whether PyTorch allows writing a from_ result into a to tensor (no float -> int, nothing -> bool)."""
    from .autograd.ops.inplace import can_cast as _can_cast
    return _can_cast(from_, to)
