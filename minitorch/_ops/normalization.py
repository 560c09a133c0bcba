"""layer_norm, rms_norm and group_norm: PyTorch's argument checks and messages, then the maths.

layer_norm is one graph node (``NativeLayerNormBackward0``, whose forward and fused backward are
the backend's layer_norm / layer_norm_backward: numba kernels on the CPU); rms_norm is composed
from elementwise ops as PyTorch composes it (its node is ``MulBackward0`` there too); group_norm
normalises (N, G, C/G * spatial) rows with the layer-norm node and applies the per-channel
affine after.
"""
from __future__ import annotations

from .. import dtypes

from .._declare import functional
from .._size import Size
from ..autograd.function import Function
from ..tensor import Tensor

# The machine epsilon per dtype name: rms_norm's default eps (torch.finfo(dtype).eps).
_EPS = {"float16": 0.0009765625, "bfloat16": 0.0078125, "float32": 1.1920928955078125e-07,
        "float64": 2.220446049250313e-16}


def _dims(shape) -> str:
    return "[" + ", ".join(map(str, shape)) + "]"


def _check_tensor(fn: str, name: str, position: int, value) -> None:
    if not isinstance(value, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be Tensor, "
                        f"not {type(value).__name__}")


def _shape_tuple(fn: str, normalized_shape) -> tuple:
    """normalized_shape as a tuple of ints; like PyTorch's functional forms, a bare int is refused."""
    if isinstance(normalized_shape, bool) or not isinstance(normalized_shape, (tuple, list, Size)):
        raise TypeError(f"{fn}(): argument 'normalized_shape' (position 2) must be tuple of ints, "
                        f"not {type(normalized_shape).__name__}")
    for pos, s in enumerate(normalized_shape):
        if isinstance(s, bool) or not isinstance(s, int):
            raise TypeError(f"{fn}(): argument 'normalized_shape' (position 2) must be tuple of ints, "
                            f"but found element of type {type(s).__name__} at pos {pos}")
    return tuple(normalized_shape)


def _check_normalized(input: Tensor, shape: tuple, weight, bias, star: str) -> None:
    """PyTorch's checks, in its order: the shape, weight and bias against the input's trailing dims."""
    if len(shape) == 0:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., containing at "
                           "least one element, but got normalized_shape = []")
    for position, (name, t) in enumerate((("weight", weight), ("bias", bias)), 3):
        if t is not None:
            _check_tensor("layer_norm", name, position, t)
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of "
                               f"shape {_dims(t.shape)} and normalized_shape = {_dims(shape)}")
    n = len(shape)
    if input.dim() < n or tuple(input.shape[input.dim() - n:]) != shape:
        raise RuntimeError(f"Given normalized_shape={_dims(shape)}, expected input with shape "
                           f"[*{star}{', '.join(map(str, shape))}], but got input of size{_dims(input.shape)}")


def _float_input(input: Tensor, kernel: str) -> None:
    if not input.is_floating_point():
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{input.dtype.legacy_name}'")


def _same_dtype_params(input: Tensor, weight, bias=None) -> None:
    """PyTorch's CPU rules for layer_norm's parameters: a float16 input may take float32 ones
    (its mixed-dtype kernel); otherwise the weight is checked against the input, then the bias
    against the weight, each with the message of the check that catches it."""
    first = next((p for p in (weight, bias) if p is not None), None)
    if first is None:
        return
    if first.dtype is not input.dtype:
        if input.dtype is dtypes.float16 and first.dtype is dtypes.float32:
            pass
        elif input.dtype is dtypes.float32:
            raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float")
        else:
            raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")
    if weight is not None and bias is not None and bias.dtype is not weight.dtype:
        raise RuntimeError(f"expected scalar type {weight.dtype.legacy_name} but found {bias.dtype.legacy_name}")


@functional
def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise over the trailing dims normalized_shape (mean 0, biased variance 1, plus eps), then
    scale by weight and shift by bias (both of shape normalized_shape). input: (*, *normalized_shape)."""
    _check_tensor("layer_norm", "input", 1, input)
    shape = _shape_tuple("layer_norm", normalized_shape)
    _check_normalized(input, shape, weight, bias, ", ")
    _same_dtype_params(input, weight, bias)
    _float_input(input, "LayerNormKernelImpl")
    if input.numel() == 0:
        # nothing to normalise; the result keeps its links to weight and bias (zero gradients)
        out = input * 0.0 if weight is None else input * weight
        return out if bias is None else out + bias
    return native_layer_norm(input, len(shape), weight, bias, float(eps))


@functional
def rms_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, eps: float | None = None) -> Tensor:
    """x / sqrt(mean(x^2) + eps) over the trailing dims normalized_shape, times weight; eps=None is
    the machine epsilon of input's dtype."""
    _check_tensor("rms_norm", "input", 1, input)
    shape = _shape_tuple("rms_norm", normalized_shape)
    _check_normalized(input, shape, weight, None, "")
    _float_input(input, "rms_norm")
    if eps is None:
        eps = _EPS[input.dtype.name] if input.dtype.name in _EPS else 0.0
    dims = tuple(range(input.dim() - len(shape), input.dim()))
    out = input * (input.pow(2).mean(dims, keepdim=True) + eps).rsqrt()
    return out if weight is None else out * weight


@functional
def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise each group of C/num_groups channels of input (N, C, *) over its channels and spatial
    positions, then scale and shift per channel by weight (C,) and bias (C,)."""
    _check_tensor("group_norm", "input", 1, input)
    if isinstance(num_groups, bool) or not isinstance(num_groups, int):
        raise TypeError(f"group_norm(): argument 'num_groups' (position 2) must be int, not {type(num_groups).__name__}")
    for position, (name, t) in enumerate((("weight", weight), ("bias", bias)), 3):
        if t is not None:
            _check_tensor("group_norm", name, position, t)
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.dim()}")
    n, c = input.shape[0], input.shape[1]
    if num_groups <= 0:  # (PyTorch divides by it first: a ZeroDivisionError there)
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got "
                           f"input of shape {_dims(input.shape)} and num_groups={num_groups}")
    # PyTorch's _verify_batch_size on [N * C / G, G, *spatial]: one value per group is refused
    size = [n * c // num_groups, num_groups] + list(input.shape[2:])
    count = size[0]
    for s in size[2:]:
        count *= s
    if count == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {size}")
    if num_groups <= 0 or c % num_groups != 0:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got "
                           f"input of shape {_dims(input.shape)} and num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.dim() != 1 or t.numel() != c):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in "
                               f"input, but got {name} of shape {_dims(t.shape)} and input of shape "
                               f"{_dims(input.shape)}")
    _float_input(input, "GroupNormKernelImpl")
    if input.numel() == 0:
        return layer_norm(input, tuple(input.shape[1:]), None, None, eps)
    rows = input.reshape(n, num_groups, -1)
    out = native_layer_norm(rows, 1, None, None, float(eps)).reshape(input.shape)
    affine_shape = (1, c) + (1,) * (input.dim() - 2)
    if weight is not None:
        out = out * weight.reshape(affine_shape)
    if bias is not None:
        out = out + bias.reshape(affine_shape)
    return out


__all__ = ["layer_norm", "rms_norm", "group_norm"]


class NativeLayerNormBackward0(Function):
    """x normalised over its last n dims (mean 0, biased variance 1 after adding eps), then
    weight * xhat + bias. Backward: dx = rstd * (gw - mean(gw) - xhat * mean(gw * xhat)) with
    gw = grad * weight, dweight = sum(grad * xhat), dbias = sum(grad) over the leading dims.
    The backend's layer_norm / layer_norm_backward do one pass per row each way."""

    @staticmethod
    def forward(ctx, x, weight, bias, n, eps):
        be = x._backend
        rows = be.reshape(x._data, (-1, _width(x, n)))
        out, mean, rstd = be.layer_norm(rows, None if weight is None else be.reshape(weight._data, (-1,)),
                                        None if bias is None else be.reshape(bias._data, (-1,)), eps)
        ctx.save_for_backward(x, weight)
        ctx.n, ctx.eps, ctx.stats = n, eps, (mean, rstd)
        ctx.needs = (x._requires_grad, weight is not None and weight._requires_grad,
                     bias is not None and bias._requires_grad)
        return be.reshape(out, x._data.shape)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        dims = tuple(range(x.dim() - ctx.n, x.dim()))
        lead = tuple(range(x.dim() - ctx.n))
        centred = x - x.mean(dims, keepdim=True)   # recomputed from x: differentiable again
        rstd = ((centred * centred).mean(dims, keepdim=True) + ctx.eps).rsqrt()
        xhat = centred * rstd
        gw = grad if weight is None else grad * weight
        grad_x = rstd * (gw - gw.mean(dims, keepdim=True) - xhat * (gw * xhat).mean(dims, keepdim=True))
        return _needed(ctx, grad_x, _sum_rows(grad * xhat, lead), _sum_rows(grad, lead))

    @staticmethod
    def fused(ctx, grad):
        x, weight = ctx.saved_tensors
        be, width = grad._backend, _width(x, ctx.n)
        mean, rstd = ctx.stats
        gx, gw, gb = be.layer_norm_backward(be.reshape(be.contiguous(grad._data), (-1, width)),
                                            be.reshape(x._data, (-1, width)), mean, rstd,
                                            None if weight is None else be.reshape(weight._data, (-1,)))
        shape = x._data.shape[x.dim() - ctx.n:]
        return _needed(ctx, Tensor._wrap(be.reshape(gx, x._data.shape), be),
                       Tensor._wrap(be.reshape(gw, shape), be), Tensor._wrap(be.reshape(gb, shape), be))


def _width(x: Tensor, n: int) -> int:
    width = 1
    for s in x._data.shape[x.dim() - n:]:
        width *= s
    return width


def _needed(ctx, gx, gw, gb) -> tuple:
    need_x, need_w, need_b = ctx.needs
    return gx if need_x else None, gw if need_w else None, gb if need_b else None, None, None


def _sum_rows(t: Tensor, rows: tuple) -> Tensor:
    # (sum over an empty dim list would sum everything: a 1-row input keeps its shape)
    return t.sum(rows) if rows else t


def native_layer_norm(input: Tensor, n: int, weight: Tensor | None, bias: Tensor | None, eps: float) -> Tensor:
    """Layer norm of input over its last n dims (arguments checked by layer_norm)."""
    return NativeLayerNormBackward0.apply(input, weight, bias, n, eps)
