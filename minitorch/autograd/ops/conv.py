"""conv2d, max/avg pooling and batch norm as graph nodes named as PyTorch names them.

Sizes arrive checked and normalised by ``minitorch.nn._functional_conv`` (pairs of ints,
output size computed). Each backward is itself an op (the ``...BackwardBackward0``
nodes), so ``create_graph=True`` differentiates through conv and pooling again; batch
norm's fast fused backward is replaced by the same formula in Tensor ops in that case.
"""
from __future__ import annotations

from ...tensor import Tensor
from ..function import Function
from ..grad_mode import _enabled


def _wrap(data, like: Tensor) -> Tensor:
    return Tensor._wrap(data, like._backend)


# ----- conv2d -------------------------------------------------------------------------------

class ConvolutionBackward0(Function):
    """out = conv2d(x, weight) + bias; x: (N, C, H, W), weight: (O, C/groups, kh, kw).

    d/dx is the transposed convolution of grad, d/dweight the correlation of x with grad,
    d/dbias the sum of grad over (N, oh, ow).
    """

    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding, dilation, groups, out_hw):
        ctx.save_for_backward(x, weight)
        ctx.conv = (stride, padding, dilation, groups)
        ctx.bias_needs_grad = bias is not None and bias._requires_grad
        # The weight's gradient reuses the forward's im2col columns (kept only when it will be needed).
        keep = _enabled[0] and weight._requires_grad
        bias_data = None if bias is None else bias._data
        out, ctx.cols = x._backend.conv2d(x._data, weight._data, bias_data, stride, padding, dilation,
                                          groups, out_hw, keep_cols=keep)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        cols, ctx.cols = ctx.cols, None  # free the columns; a second backward recomputes them
        grad_x = grad_w = grad_b = None
        if x._requires_grad:
            grad_x = ConvolutionBackwardBackward0.apply(grad, weight, "input", x.shape, *ctx.conv, None)
        if weight._requires_grad:
            grad_w = ConvolutionBackwardBackward0.apply(grad, x, "weight", weight.shape, *ctx.conv, cols)
        if ctx.bias_needs_grad:
            grad_b = grad.sum((0, 2, 3))
        return grad_x, grad_w, grad_b, None, None, None, None, None


class ConvolutionBackwardBackward0(Function):
    """One gradient of conv2d as an op: wrt="input": (grad, weight) -> d/dx, a transposed
    convolution; wrt="weight": (grad, x) -> d/dweight. Both are linear in each argument,
    so their own gradients are conv2d and the other one of the pair again."""

    @staticmethod
    def forward(ctx, grad, other, wrt, shape, stride, padding, dilation, groups, cols):
        ctx.save_for_backward(grad, other)
        ctx.wrt = wrt
        ctx.conv = (stride, padding, dilation, groups)
        be = grad._backend
        if wrt == "input":
            return be.conv2d_input_grad(grad._data, other._data, shape, stride, padding, dilation, groups)
        return be.conv2d_weight_grad(grad._data, other._data, shape, stride, padding, dilation, groups, cols)

    @staticmethod
    def backward(ctx, gg):
        grad, other = ctx.saved_tensors
        out_hw = grad.shape[2:]
        d_grad = d_other = None
        if ctx.wrt == "input":
            # <conv_T(grad, w), gg> = <grad, conv2d(gg, w)>
            if grad._requires_grad:
                d_grad = ConvolutionBackward0.apply(gg, other, None, *ctx.conv, out_hw)
            if other._requires_grad:
                d_other = ConvolutionBackwardBackward0.apply(grad, gg, "weight", other.shape, *ctx.conv, None)
        else:
            # <dweight(grad, x), gg> = <grad, conv2d(x, gg)>
            if grad._requires_grad:
                d_grad = ConvolutionBackward0.apply(other, gg, None, *ctx.conv, out_hw)
            if other._requires_grad:
                d_other = ConvolutionBackwardBackward0.apply(grad, gg, "input", other.shape, *ctx.conv, None)
        return d_grad, d_other, None, None, None, None, None, None, None


# ----- max pooling --------------------------------------------------------------------------

class MaxPool2DWithIndicesBackward0(Function):
    """out = max over each window of x: (*, H, W); the gradient goes to each window's argmax.

    ``indices_out`` is an empty list that forward fills with the argmax positions (an int64
    array shaped like out, flat within each plane), for ``return_indices=True``.
    """

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, dilation, out_hw, indices_out):
        out, indices = x._backend.max_pool2d(x._data, kernel, stride, padding, dilation, out_hw)
        ctx.indices = indices
        ctx.input_shape = x.shape
        indices_out.append(indices)
        return out

    @staticmethod
    def backward(ctx, grad):
        indices = Tensor._wrap(ctx.indices, grad._backend)
        return MaxPool2DWithIndicesBackwardBackward0.apply(grad, indices, ctx.input_shape), *(None,) * 6


class MaxPool2DWithIndicesBackwardBackward0(Function):
    """Scatter-add of grad (*, oh, ow) to the argmax positions; its gradient is the gather back."""

    @staticmethod
    def forward(ctx, grad, indices, input_shape):
        ctx.save_for_backward(indices)
        return grad._backend.max_pool2d_backward(grad._data, indices._data, input_shape)

    @staticmethod
    def backward(ctx, gg):
        (indices,) = ctx.saved_tensors
        flat = gg.flatten(-2).gather(-1, indices.flatten(-2))
        return flat.view(indices.shape), None, None


# ----- average pooling ----------------------------------------------------------------------

class AvgPool2DBackward0(Function):
    """out = mean over each window of x: (*, H, W), divided as PyTorch divides
    (divisor_override, or the window size with or without padding); d/dx spreads grad back."""

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, out_hw, count_include_pad, divisor):
        ctx.pool = (kernel, stride, padding, count_include_pad, divisor)
        ctx.input_shape = x.shape
        return x._backend.avg_pool2d(x._data, kernel, stride, padding, out_hw, count_include_pad, divisor)

    @staticmethod
    def backward(ctx, grad):
        return AvgPool2DBackwardBackward0.apply(grad, ctx.input_shape, *ctx.pool), *(None,) * 6


class AvgPool2DBackwardBackward0(Function):
    """The gradient of avg_pool2d as an op; being linear, its own gradient is avg_pool2d."""

    @staticmethod
    def forward(ctx, grad, input_shape, kernel, stride, padding, count_include_pad, divisor):
        ctx.pool = (kernel, stride, padding)
        ctx.counting = (count_include_pad, divisor)
        ctx.out_hw = grad.shape[-2:]
        return grad._backend.avg_pool2d_backward(grad._data, input_shape, kernel, stride, padding,
                                                 count_include_pad, divisor)

    @staticmethod
    def backward(ctx, gg):
        return AvgPool2DBackward0.apply(gg, *ctx.pool, ctx.out_hw, *ctx.counting), *(None,) * 6


# ----- batch norm ---------------------------------------------------------------------------

class NativeBatchNormBackward0(Function):
    """y = (x - mean) / sqrt(var + eps) * weight + bias per channel of x: (N, C, *).

    training: mean and biased var of this batch (and the running stats, when given, move
    toward it by momentum, with the unbiased var); otherwise the running stats.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, training, momentum, eps):
        be = x._backend
        dtype = x.dtype
        if training:
            mean, var = be.batch_norm_stats(x._data)
            if running_mean is not None:
                count = x.numel() // x.shape[1]
                be.batch_norm_update_stats(running_mean._data, running_var._data, mean, var, momentum, count)
                running_mean._vbox[0] += 1
                running_var._vbox[0] += 1
        else:
            # Copies: the running stats may move before this node's backward runs.
            mean, var = be.copy(running_mean._data), running_var._data
        invstd = be.unary("rsqrt", be.binary("add", var, eps, dtype))
        ctx.save_for_backward(x, weight)
        ctx.stats = (mean, invstd)
        ctx.training = training
        ctx.eps = eps
        ctx.needs = (weight is not None and weight._requires_grad, bias is not None and bias._requires_grad)
        return be.batch_norm_apply(x._data, mean, invstd, None if weight is None else weight._data,
                                   None if bias is None else bias._data)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        if _enabled[0]:
            gx, gw, gb = _batch_norm_backward_differentiable(ctx, grad, x, weight)
        else:
            mean, invstd = ctx.stats
            raw = grad._backend.batch_norm_backward(grad._data, x._data, mean, invstd,
                                                    None if weight is None else weight._data, ctx.training)
            gx, gw, gb = (_wrap(r, grad) for r in raw)
        need_w, need_b = ctx.needs
        return (gx if x._requires_grad else None, gw if need_w else None, gb if need_b else None,
                None, None, None, None, None)


def _batch_norm_backward_differentiable(ctx, grad, x, weight):
    """The gradients in Tensor ops, for create_graph=True: in training the batch statistics
    are recomputed from x so that their dependence on x is differentiated too."""
    dims = (0,) + tuple(range(2, x.dim()))
    stat_shape = (1, x.shape[1]) + (1,) * (x.dim() - 2)
    if ctx.training:
        centered = x - x.mean(dims, keepdim=True)
        invstd = ((centered * centered).mean(dims, keepdim=True) + ctx.eps).rsqrt()
    else:
        mean, invstd_raw = ctx.stats
        centered = x - _wrap(mean, x).view(stat_shape)
        invstd = _wrap(invstd_raw, x).view(stat_shape)
    xhat = centered * invstd
    scale = invstd if weight is None else invstd * weight.view(stat_shape)
    if ctx.training:
        gx = (grad - grad.mean(dims, keepdim=True) - xhat * (grad * xhat).mean(dims, keepdim=True)) * scale
    else:
        gx = grad * scale
    return gx, (grad * xhat).sum(dims), grad.sum(dims)
