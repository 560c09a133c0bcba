"""The nn ops as graph nodes: softmax family, NLL loss, linear, GELU, leaky ReLU,
dropout, embedding, binary cross-entropy. Fused kernels on the op table; names as
PyTorch shows them."""
from __future__ import annotations

from ... import dtypes
from ...tensor import Tensor
from ..function import Function
from ..grad_mode import _enabled
from ._common import same_device, wrap_dim


class LogSoftmaxBackward0(Function):
    """log_softmax along dim in one fused pass; backward: grad - softmax * sum(grad)."""

    saves_output = True

    @staticmethod
    def forward(ctx, a, dim):
        ctx.save_for_backward(a)
        ctx.dim = dim
        return a._backend.log_softmax(a._data, dim)

    @staticmethod
    def backward(ctx, grad):
        if _enabled[0]:
            out = ctx.saved_tensors[0].log_softmax(ctx.dim)
            return grad - out.exp() * grad.sum(ctx.dim, keepdim=True), None
        out = ctx.saved_output
        return Tensor._wrap(out._backend.log_softmax_backward(grad._data, out._data, ctx.dim), out._backend), None


class SoftmaxBackward0(Function):
    """softmax along dim; backward: y * (grad - sum(grad * y))."""

    saves_output = True

    @staticmethod
    def forward(ctx, a, dim):
        ctx.save_for_backward(a)
        ctx.dim = dim
        return a._backend.softmax(a._data, dim)

    @staticmethod
    def backward(ctx, grad):
        if _enabled[0]:
            y = ctx.saved_tensors[0].softmax(ctx.dim)
            return y * (grad - (grad * y).sum(ctx.dim, keepdim=True)), None
        y = ctx.saved_output
        return Tensor._wrap(y._backend.softmax_backward(grad._data, y._data, ctx.dim), y._backend), None


def _softmax_input(a: Tensor, dim, dtype) -> tuple[Tensor, int]:
    if dim is None:
        # PyTorch's legacy implicit dim: 0 for 0-, 1- and 3-d input, else 1.
        dim = 0 if a.dim() in (0, 1, 3) else 1
    d = wrap_dim(dim, a.dim())  # PyTorch checks the dim before the dtype
    if dtype is not None:
        a = a.to(dtype)
    elif not a.dtype.is_floating_point:
        raise NotImplementedError(
            f"\"softmax_lastdim_kernel_impl\" not implemented for '{a.dtype.legacy_name}'")
    return a, d


def log_softmax(a: Tensor, dim=None, dtype=None) -> Tensor:
    a, d = _softmax_input(a, dim, dtype)
    if a.dim() == 0:  # one element: log_softmax is 0
        return LogSoftmaxBackward0.apply(a.unsqueeze(0), 0).squeeze(0)
    return LogSoftmaxBackward0.apply(a, d)


def softmax(a: Tensor, dim=None, dtype=None) -> Tensor:
    a, d = _softmax_input(a, dim, dtype)
    if a.dim() == 0:  # one element: softmax is 1
        return SoftmaxBackward0.apply(a.unsqueeze(0), 0).squeeze(0)
    return SoftmaxBackward0.apply(a, d)


class NllLossBackward0(Function):
    """Negative log-likelihood of (N, C) log-probabilities at class-index targets.

    mean: sum(-w[t_i] logp[i, t_i]) / sum(w[t_i]) over non-ignored rows (PyTorch's
    weighted mean); sum; none: one loss per row.
    """

    @staticmethod
    def forward(ctx, logp, target, weight, reduction, ignore_index, out_shape=None):
        be = logp._backend
        w = None if weight is None else weight._data
        losses, total, weight_sum, bad = be.nll_forward(logp._data, target._data, w, ignore_index)
        if bad >= 0:
            raise IndexError(f"Target {int(target.reshape(-1)[bad].item())} is out of bounds.")
        ctx.save_for_backward(target, weight)
        ctx.reduction, ctx.ignore_index, ctx.weight_sum = reduction, ignore_index, weight_sum
        ctx.shape, ctx.dtype = logp.shape, logp.dtype
        ctx.out_shape = out_shape
        if reduction == "none":
            return losses if out_shape is None else be.reshape(losses, out_shape)
        if reduction == "sum":
            return be.full((), total, logp.dtype)
        return be.full((), total / weight_sum if weight_sum else float("nan"), logp.dtype)

    @staticmethod
    def backward(ctx, grad):
        target, weight = ctx.saved_tensors
        be = grad._backend
        n = ctx.shape[0]
        if ctx.reduction == "none":
            per_row = be.reshape(grad._data, (n,))
        else:
            scale = grad.item() / ctx.weight_sum if ctx.reduction == "mean" else grad.item()
            per_row = be.full((n,), scale, ctx.dtype)
        out = be.nll_backward(per_row, target._data, None if weight is None else weight._data,
                              ctx.ignore_index, ctx.shape, ctx.dtype)
        return Tensor._wrap(out, be), None, None, None, None, None


class NllLoss2DBackward0(NllLossBackward0):
    """NLL over (N, C, H, W) log-probabilities, as rows (N*H*W, C) (PyTorch's 2-D node name)."""


def nll_loss(input: Tensor, target: Tensor, weight=None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """input: (N, C) or (C,) or (N, C, d1, ...) log-probabilities; target: class indices (N,) / () / (N, d1, ...)."""
    _check_reduction(reduction)
    if not isinstance(target, Tensor):
        raise TypeError(f"nll_loss_nd(): argument 'target' (position 2) must be Tensor, not {type(target).__name__}")
    same_device(input, target)
    if input.dim() < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.dim()})")
    if input.dim() == 1:
        if target.dim() > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        out = nll_loss(input.unsqueeze(0), target.reshape(1), weight, ignore_index, reduction)
        return out.squeeze(0) if reduction == "none" else out
    if target.dim() == 0 or input.shape[0] != target.shape[0]:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                         f"({target.shape[0] if target.dim() else 0}).")
    c = input.shape[1]
    if weight is not None and (weight.dim() != 1 or weight.shape[0] != c):
        raise RuntimeError(
            f"weight tensor should be defined either for all {c} classes or no classes but got "
            f"weight tensor of shape: {list(weight.shape)}")
    if input.dim() > 2:
        # (N, C, d1, ...): classes last, one row per position.
        if tuple(target.shape[1:]) != tuple(input.shape[2:]):
            raise RuntimeError(f"Expected target size {[input.shape[0]] + list(input.shape[2:])}, "
                               f"got {list(target.shape)}")
        _check_target_dtype(target)
        rows = input.movedim(1, -1).reshape(-1, c)
        node = NllLoss2DBackward0 if input.dim() == 4 else NllLossBackward0
        return node.apply(rows, target.reshape(-1), weight, reduction, ignore_index, tuple(target.shape))
    if target.dim() != 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    _check_target_dtype(target)
    return NllLossBackward0.apply(input, target, weight, reduction, ignore_index)


def _check_target_dtype(target: Tensor) -> None:
    """Class indices are int64 or uint8 (PyTorch's check, after the shape checks)."""
    if target.dtype is not dtypes.int64 and target.dtype is not dtypes.uint8:
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {target.dtype.legacy_name}")


def _check_reduction(reduction: str) -> None:
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")


class AddmmBackward0(Function):
    """bias + x @ weight^T (nn.Linear) in one node: the product on BLAS, the bias added in place."""

    @staticmethod
    def forward(ctx, bias, x, weight):
        ctx.save_for_backward(x, weight)
        ctx.bias_needs_grad = bias._requires_grad
        be = x._backend
        out = be.matmul(x._data, be.permute(weight._data, (1, 0)))
        be.inplace("add", out, bias._data)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        grad_bias = grad.sum(0) if ctx.bias_needs_grad else None
        grad_x = grad.mm(weight) if x._requires_grad else None
        grad_w = grad.t().mm(x) if weight._requires_grad else None
        return grad_bias, grad_x, grad_w


def linear(input: Tensor, weight: Tensor, bias=None) -> Tensor:
    """input (*, in_features) @ weight^T (out_features, in_features) + bias (out_features)."""
    if input.dim() == 0 or weight.dim() not in (1, 2):
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are "
                           f"{input.dim()}D and {weight.dim()}D")
    if input.shape[-1] != weight.shape[-1]:
        rows = input.numel() // input.shape[-1] if input.shape[-1] else 0
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{input.shape[-1]} and "
                           f"{weight.shape[-1]}x{weight.shape[0] if weight.dim() == 2 else 1})")
    if weight.dim() == 2 and input.dim() >= 2 and bias is not None and input.dtype is weight.dtype is bias.dtype:
        same_device(input, weight)
        if input.dim() == 2:
            return AddmmBackward0.apply(bias, input, weight)
        # Batch dims fold into rows: one product on BLAS, then a view back (as PyTorch does).
        rows = input.reshape(-1, input.shape[-1])
        return AddmmBackward0.apply(bias, rows, weight).view(*input.shape[:-1], weight.shape[0])
    out = input.matmul(weight.t())
    return out + bias if bias is not None else out


class GeluBackward0(Function):
    @staticmethod
    def forward(ctx, a, approximate):
        ctx.save_for_backward(a)
        ctx.tanh = approximate == "tanh"
        return a._backend.gelu(a._data, ctx.tanh)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return Tensor._wrap(a._backend.gelu_backward(grad._data, a._data, ctx.tanh), a._backend), None


def gelu(a: Tensor, approximate: str = "none") -> Tensor:
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return GeluBackward0.apply(a, approximate)


class LeakyReluBackward0(Function):
    @staticmethod
    def forward(ctx, a, slope):
        ctx.save_for_backward(a)
        ctx.slope = slope
        return a._backend.leaky_relu(a._data, slope)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        if _enabled[0]:
            return grad * ((a > 0) + (a <= 0) * ctx.slope), None
        return Tensor._wrap(a._backend.leaky_relu_backward(grad._data, a._data, ctx.slope), a._backend), None


def leaky_relu(a: Tensor, negative_slope: float = 0.01) -> Tensor:
    return LeakyReluBackward0.apply(a, float(negative_slope))


class MulBackward0(Function):
    """Dropout: x * mask / (1 - p) fused in one pass (PyTorch shows this node as MulBackward0)."""

    @staticmethod
    def forward(ctx, a, uniform, p):
        # torch: noise = bernoulli_(1 - p) (kept where a float64 uniform < 1 - p), then
        # noise.div_(1 - p) in a's dtype, so the scale is rounded as dtype(1) / dtype(1 - p)
        scale = float(a.dtype.np.type(1) / a.dtype.np.type(1.0 - p))
        out, mask = a._backend.dropout(a._data, uniform, 1.0 - p, scale)
        ctx.mask, ctx.scale = mask, scale
        return out

    @staticmethod
    def backward(ctx, grad):
        if _enabled[0]:
            return grad * Tensor._wrap(ctx.mask, grad._backend) * ctx.scale, None, None
        return Tensor._wrap(grad._backend.masked_scale(grad._data, ctx.mask, ctx.scale), grad._backend), None, None


def dropout(a: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, generator=None) -> Tensor:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return a
    if p == 1.0:
        out = a * 0
    else:
        from ... import random
        if a._backend.name == "cuda":  # the device's own generator: the noise never leaves the GPU
            if generator is not None:
                raise RuntimeError("Expected a 'cuda' device type for generator but found 'cpu'")
            uniform = a._backend.random_uniform(a.shape, dtypes.float64.np)
        else:
            uniform = random._uniform(a.shape, 0.0, 1.0, dtypes.float64, generator)
        out = MulBackward0.apply(a, uniform, p)
    if inplace:
        return a.copy_(out)
    return out


class EmbeddingBackward0(Function):
    """Rows of weight at integer indices; backward scatter-adds into the used rows."""

    @staticmethod
    def forward(ctx, weight, indices, padding_idx):
        ctx.save_for_backward(indices)
        ctx.num, ctx.padding_idx = weight.shape[0], padding_idx
        return weight._backend.getitem(weight._data, (indices._data,))

    @staticmethod
    def backward(ctx, grad):
        (indices,) = ctx.saved_tensors
        be = grad._backend
        out = be.embedding_backward(grad._data, indices._data, ctx.num, ctx.padding_idx)
        return Tensor._wrap(out, be), None, None


def embedding(input: Tensor, weight: Tensor, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False) -> Tensor:
    """weight[input]: input any shape of int64/int32 indices, weight (num_embeddings, dim)."""
    if not isinstance(input, Tensor) or input.dtype not in (dtypes.int64, dtypes.int32):
        got = input.dtype if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the following scalar "
                           f"types: Long, Int; but got {got} instead (while checking arguments for embedding)")
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: max_norm, scale_grad_by_freq and sparse are not supported")
    n = weight.shape[0]
    if input.numel() and (int(input._data.max()) >= n or int(input._data.min()) < 0):
        raise IndexError("index out of range in self")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += n
    return EmbeddingBackward0.apply(weight, input, padding_idx)
