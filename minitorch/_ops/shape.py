"""Shape ops: views (view, reshape, flatten, squeeze, unsqueeze, expand) and copies (reshape of
a non-contiguous layout, clone, contiguous, dtype conversion). The dim permutations and flip
are in permute.py, cat / stack / repeat in joins.py.

A view shares its input's memory and version counter, as in PyTorch; its backward
only rearranges the gradient.
"""
from __future__ import annotations

from .. import dtypes
from .._declare import method, op
from .._layouts import contiguous_format, copy_order
from .._size import sizes as _sizes
from ..autograd.function import Function
from ..tensor import Tensor
from ._common import check_tensor, wrap_dim


def infer_shape(shape, numel: int) -> tuple:
    """shape with one -1 resolved for numel elements, or PyTorch's RuntimeError."""
    shape = tuple(int(s) for s in shape)
    unknown = [i for i, s in enumerate(shape) if s == -1]
    if len(unknown) > 1:
        raise RuntimeError("only one dimension can be inferred")
    spec = "[" + ", ".join(map(str, shape)) + "]"
    known = 1
    for i, s in enumerate(shape):
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape {spec}")
        if s != -1:
            known *= s
    if unknown:
        if known == 0 and numel == 0:
            raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {spec} because the unspecified "
                               "dimension size -1 can be any value and is ambiguous")
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{spec}' is invalid for input of size {numel}")
        i = unknown[0]
        return shape[:i] + (numel // known,) + shape[i + 1:]
    if known != numel:
        raise RuntimeError(f"shape '{spec}' is invalid for input of size {numel}")
    return shape


def _keep_input_shape(ctx, inputs, output) -> None:
    """setup_context of the ops whose backward needs only the input's shape."""
    ctx.shape = inputs[0].shape


class ViewBackward0(Function):
    is_view = True
    tensor_inputs = 1
    setup_context = staticmethod(_keep_input_shape)

    @staticmethod
    def forward(a, shape):
        out = a._backend.view(a._data, shape)
        if out is None:
            raise RuntimeError(
                "view size is not compatible with input tensor's size and stride (at least one "
                "dimension spans across two contiguous subspaces). Use .reshape(...) instead.")
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape), None


class UnsafeViewBackward0(Function):
    """reshape of a layout that no view can express: a copy with the new shape."""

    tensor_inputs = 1
    setup_context = staticmethod(_keep_input_shape)

    @staticmethod
    def forward(a, shape):
        return a._backend.reshape(a._backend.contiguous(a._data), shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape), None


@method
def view(self, *shape) -> Tensor:
    """A view with a new shape (one dim may be -1); RuntimeError when the layout needs a copy."""
    if len(shape) == 1 and isinstance(shape[0], dtypes.dtype):
        raise NotImplementedError("view(dtype) is not supported; use .to(dtype)")
    return ViewBackward0.apply(self, infer_shape(_sizes(shape, "view"), self.numel()))


@method
def view_as(self, other) -> Tensor:
    """A view with other's shape."""
    return ViewBackward0.apply(self, infer_shape(check_tensor(other, "view_as", "other").shape, self.numel()))


@op
def reshape(input: Tensor, *shape) -> Tensor:
    """input with a new shape (a view when the layout allows, else a copy); one dim may be -1."""
    shape = infer_shape(_sizes(shape, "reshape", "shape"), input.numel())
    if input._backend.view(input._data, shape) is not None:
        return ViewBackward0.apply(input, shape)
    return UnsafeViewBackward0.apply(input, shape)


@method
def reshape_as(self, other) -> Tensor:
    """self reshaped to other's shape."""
    return reshape(self, check_tensor(other, "reshape_as", "other").shape)


@op
def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Dims start_dim..end_dim folded into one."""
    n = input.dim()
    if n == 0:
        return reshape(input, (1,))
    s = wrap_dim(start_dim, n)
    e = wrap_dim(end_dim, n)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    shape = tuple(input.shape)
    folded = 1
    for size in shape[s:e + 1]:
        folded *= size
    return reshape(input, shape[:s] + (folded,) + shape[e + 1:])


@op
def unflatten(input: Tensor, dim: int, sizes) -> Tensor:
    """Dim dim split into sizes (one may be -1)."""
    d = wrap_dim(dim, input.dim())
    shape = tuple(input.shape)
    sizes = _sizes((sizes,), "unflatten", "sizes")
    if len(sizes) == 0:
        raise RuntimeError("unflatten: sizes must be non-empty")
    if sizes.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    product = 1
    for s in sizes:
        product *= s if s != -1 else 1
    if (-1 not in sizes and product != shape[d]) or (-1 in sizes and (product == 0 or shape[d] % product)):
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {dim} "
                           f"({shape[d]}) in the input tensor")
    return view(input, shape[:d] + sizes + shape[d + 1:])


class _Reshaping(Function):
    """A view that only inserts or removes size-1 dims; backward reshapes back."""

    is_view = True
    tensor_inputs = 1
    setup_context = staticmethod(_keep_input_shape)

    @staticmethod
    def forward(a, shape):
        return a._backend.view(a._data, shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape), None


class SqueezeBackward0(_Reshaping):
    pass


class SqueezeBackward1(_Reshaping):
    pass


class SqueezeBackward2(_Reshaping):
    pass


class UnsqueezeBackward0(_Reshaping):
    pass


@op
def squeeze(input: Tensor, dim=None) -> Tensor:
    """input without its size-1 dims (or only dim, when given)."""
    a = input
    shape = a.shape
    if dim is None:
        return SqueezeBackward0.apply(a, tuple(s for s in shape if s != 1))
    if isinstance(dim, (tuple, list)):
        dims = {wrap_dim(d, a.dim()) for d in dim}
        return SqueezeBackward2.apply(a, tuple(s for i, s in enumerate(shape) if not (i in dims and s == 1)))
    d = wrap_dim(dim, a.dim())
    if a.dim() == 0:
        return SqueezeBackward1.apply(a, ())
    return SqueezeBackward1.apply(a, tuple(s for i, s in enumerate(shape) if not (i == d and s == 1)))


@op
def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """A view with a size-1 dim inserted at dim."""
    d = wrap_dim(dim, input.dim() + 1)
    shape = tuple(input.shape)
    return UnsqueezeBackward0.apply(input, shape[:d] + (1,) + shape[d:])


class ExpandBackward0(Function):
    is_view = True
    tensor_inputs = 1
    setup_context = staticmethod(_keep_input_shape)

    @staticmethod
    def forward(a, shape):
        return a._backend.expand(a._data, shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.sum_to_size(ctx.shape), None


@method
def expand(self, *sizes) -> Tensor:
    """A view with size-1 dims repeated to sizes (-1 keeps a dim); new leading dims allowed."""
    if not sizes:
        raise TypeError('expand() missing 1 required positional arguments: "size"')
    a = self
    sizes = _sizes(sizes, "expand")
    shape = tuple(a.shape)
    if len(sizes) < len(shape):
        raise RuntimeError(
            f"expand({a.type()}{{[{', '.join(map(str, shape))}]}}, size=[{', '.join(map(str, sizes))}]): "
            f"the number of sizes provided ({len(sizes)}) must be greater or equal to the number of "
            f"dimensions in the tensor ({len(shape)})")
    lead = len(sizes) - len(shape)
    out = list(sizes)
    for i in reversed(range(len(sizes))):  # PyTorch checks from the last dim
        s = sizes[i]
        if i < lead:
            if s < 0:
                raise RuntimeError(
                    f"The expanded size of the tensor ({s}) isn't allowed in a leading, "
                    f"non-existing dimension {i}")
            continue
        have = shape[i - lead]
        if s == -1:
            out[i] = have
        elif have != s and have != 1:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({have}) at "
                f"non-singleton dimension {i}.  Target sizes: [{', '.join(map(str, sizes))}].  "
                f"Tensor sizes: [{', '.join(map(str, shape))}]")
        elif s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(sizes)}")
    return ExpandBackward0.apply(a, tuple(out))


@method
def expand_as(self, other) -> Tensor:
    """A view expanded to other's shape."""
    return expand(self, check_tensor(other, "expand_as", "other").shape)


@op
def broadcast_to(input: Tensor, size) -> Tensor:
    """A view of input expanded to size."""
    return expand(input, size)


@method
def sum_to_size(self, *size) -> Tensor:
    """Sum a broadcast tensor down to size (the reverse of expand)."""
    a = self
    shape = _sizes(size, "sum_to_size")
    if tuple(a.shape) == shape:
        return a
    lead = a.dim() - len(shape)
    if lead < 0 or any(s != n and s != 1 for s, n in zip(shape, a.shape[lead:])):
        raise RuntimeError(f"size {{{list(shape)}}} is not expandable to size {{{list(a.shape)}}}.")
    lead = a.dim() - len(shape)
    dims = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(shape) if s == 1 and a.shape[lead + i] != 1)
    out = a.sum(dim=dims, keepdim=True) if dims else a
    return out.view(shape) if lead or tuple(out.shape) != shape else out


class CloneBackward0(Function):
    """A copy of a, its elements laid out in the order of dims order (None: row-major)."""

    tensor_inputs = 1

    @staticmethod
    def forward(a, order=None):
        be = a._backend
        if order is None:
            return be.copy(a._data)
        inverse = [order.index(d) for d in range(len(order))]
        return be.permute(be.copy(be.permute(a._data, order)), inverse)

    @staticmethod
    def setup_context(ctx, inputs, output):
        pass

    @staticmethod
    def backward(ctx, grad):
        return grad


class ToCopyBackward0(Function):
    """A conversion to another dtype; the gradient converts back."""

    tensor_inputs = 1

    @staticmethod
    def forward(a, dtype):
        return a._backend.astype(a._data, dtype)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.dtype = inputs[0].dtype

    @staticmethod
    def backward(ctx, grad):
        return grad.to(ctx.dtype), None


def to_dtype(a: Tensor, dtype, copy: bool = False) -> Tensor:
    """a as dtype (a itself unless it has another dtype or copy is asked for)."""
    if dtype is a.dtype and not copy:
        return a
    if dtype is a.dtype:
        return CloneBackward0.apply(a)
    return ToCopyBackward0.apply(a, dtype)


@op
def clone(input: Tensor, *, memory_format=None) -> Tensor:
    """A copy in new memory (gradients flow back to input). Its layout follows memory_format:
    by default (preserve_format) that of input when input is dense, else row-major;
    channels_last puts the channels innermost."""
    return CloneBackward0.apply(input, copy_order(input.shape, input.stride(), memory_format))


@method
def contiguous(self, memory_format=None) -> Tensor:
    """self when its elements are in row-major order without gaps (or in the order
    memory_format names), else such a copy."""
    if memory_format is None or memory_format is contiguous_format:
        return self if self.is_contiguous() else CloneBackward0.apply(self)
    order = copy_order(self.shape, self.stride(), memory_format, "contiguous")
    if order is not None and _strides_in_order(self, order):
        return self
    return CloneBackward0.apply(self, order)


def _strides_in_order(t: Tensor, order) -> bool:
    """Whether t's elements already lie dense in the order of dims order."""
    expected = 1
    strides = t.stride()
    for d in reversed(order):
        if t.shape[d] != 1 and strides[d] != expected:
            return False
        expected *= t.shape[d]
    return True
