"""conv3d and conv_transpose3d on the 2-D convolution machinery (conv.py).

A 3-D convolution is exactly a 2-D one whose channels are the (kernel depth, input channel)
pairs of each output depth: the input's depth taps are gathered (``index_select`` along
depth, out-of-range taps reading one extra zero slice, which is the depth padding), the
output depths are folded into the batch,

    cols (N * OD, groups * KD * C/groups, H, W),  weight (O, KD * C/groups, KH, KW),

and the 2-D convolution of the two (with the height/width stride, padding and dilation) is
the 3-D one, its output depths unfolded from the batch. Its gradients are the adjoints of
those steps: the 2-D input-gradient scattered back to the depth taps (``index_add``), and
the 2-D weight-gradient of the same columns. A transposed 3-D convolution is the
input-gradient of the convolution it transposes. Every step is a differentiable op, so
``create_graph=True`` differentiates through a 3-D convolution again. The node is
``ConvolutionBackward0``, as PyTorch names it.
"""
from __future__ import annotations

from typing import NamedTuple

from .. import _creation, dtypes
from ..autograd.function import Function
from ..autograd.grad_mode import no_grad
from .conv import ConvolutionBackwardBackward0, ConvParams
from .joins import cat
from .conv import ConvolutionBackward0 as _Conv2d


class Geometry3d(NamedTuple):
    """A 3-D convolution in the 2-D engine's terms: the depth taps and the height/width conv."""
    depth_index: tuple   # (OD * KD) input depths read by output depth od, tap kd; D means zero
    depth: int           # the input's depth D
    out_depth: int       # OD
    kernel_depth: int    # KD
    conv: ConvParams     # height/width stride, padding (offsets), dilation; groups


def geometry(depth: int, out_depth: int, kernel_depth: int, stride: int, offset: int, dilation: int,
             conv: ConvParams) -> Geometry3d:
    taps = []
    for od in range(out_depth):
        for kd in range(kernel_depth):
            d = od * stride - offset + kd * dilation
            taps.append(d if 0 <= d < depth else depth)
    return Geometry3d(tuple(taps), depth, out_depth, kernel_depth, conv)


def _index(g: Geometry3d, like):
    return _creation.tensor(list(g.depth_index), dtype=dtypes.int64, device=like.device)


def _cols(x, g: Geometry3d):
    """x (N, C, D, H, W) -> (N * OD, groups * KD * C/groups, H, W), the depth taps as channels."""
    n, c, _, h, w = x.shape
    groups = g.conv.groups
    zero = x.new_zeros((n, c, 1, h, w))
    taps = cat([x, zero], 2).index_select(2, _index(g, x))       # (N, C, OD * KD, H, W)
    taps = taps.reshape(n, groups, c // groups, g.out_depth, g.kernel_depth, h, w)
    return taps.permute(0, 3, 1, 4, 2, 5, 6).reshape(n * g.out_depth, c * g.kernel_depth, h, w)


def _uncols(cols, g: Geometry3d, shape):
    """The adjoint of _cols: (N * OD, groups * KD * C/groups, H, W) -> (N, C, D, H, W), each
    tap's value added at the depth it was read from."""
    n, c, d, h, w = shape
    groups = g.conv.groups
    taps = cols.reshape(n, g.out_depth, groups, g.kernel_depth, c // groups, h, w)
    taps = taps.permute(0, 2, 4, 1, 3, 5, 6).reshape(n, c, g.out_depth * g.kernel_depth, h, w)
    out = cols.new_zeros((n, c, d + 1, h, w)).index_add(2, _index(g, cols), taps)
    return out[:, :, :d]


def _w2(weight):
    """(O, C/groups, KD, KH, KW) -> (O, KD * C/groups, KH, KW), matching _cols' channel order."""
    o, cg, kd, kh, kw = weight.shape
    return weight.permute(0, 2, 1, 3, 4).reshape(o, kd * cg, kh, kw)


def _unw2(w2, shape):
    o, cg, kd, kh, kw = shape
    return w2.reshape(o, kd, cg, kh, kw).permute(0, 2, 1, 3, 4)


def _to5d(out2, n: int, od: int):
    """(N * OD, O, OH, OW) -> (N, O, OD, OH, OW)."""
    return out2.reshape((n, od) + tuple(out2.shape[1:])).permute(0, 2, 1, 3, 4).contiguous()


def _to2d(y):
    """(N, O, OD, OH, OW) -> (N * OD, O, OH, OW)."""
    n, o, od, oh, ow = y.shape
    return y.permute(0, 2, 1, 3, 4).reshape(n * od, o, oh, ow)


def conv3d_forward(x, weight, bias, g: Geometry3d, out_shape):
    """conv3d(x, weight) + bias as differentiable ops."""
    n, o, od, oh, ow = out_shape
    cols = _cols(x, g)
    out2 = _Conv2d.apply(cols, _w2(weight), bias, g.conv, False, (n * od, o, oh, ow))
    return _to5d(out2, n, od)


def conv3d_input_grad(grad, weight, g: Geometry3d, x_shape):
    """d conv3d / d x applied to grad (the transposed convolution of grad) as differentiable ops."""
    n, c, d, h, w = x_shape
    cols_shape = (n * g.out_depth, c * g.kernel_depth, h, w)
    w2 = _w2(weight)
    cols = ConvolutionBackwardBackward0.apply(_to2d(grad), w2, "input", cols_shape, g.conv, None)
    return _uncols(cols, g, x_shape)


def conv3d_weight_grad(grad, x, g: Geometry3d, w_shape):
    """d conv3d / d weight applied to grad (the correlation of x with grad) as differentiable ops."""
    o, cg, kd, kh, kw = w_shape
    w2 = ConvolutionBackwardBackward0.apply(_to2d(grad), _cols(x, g), "weight", (o, kd * cg, kh, kw), g.conv,
                                            None)
    return _unw2(w2, w_shape)


class ConvolutionBackward0(Function):
    """out = conv3d(x, weight) + bias, or with transposed its transpose conv3d_T(x, weight) + bias
    (weight (C, O/groups, *k)). conv: d/dx = conv3d_T(grad), d/dweight = corr(x, grad);
    conv_T: d/dx = conv3d(grad), d/dweight = corr(grad, x); d/dbias = grad summed over all but C."""

    @staticmethod
    def forward(ctx, x, weight, bias, g, transposed, out_shape):
        ctx.save_for_backward(x, weight)
        ctx.g, ctx.transposed = g, transposed
        ctx.bias_needs_grad = bias is not None and bias._requires_grad
        with no_grad():
            if transposed:
                out = conv3d_input_grad(x, weight, g, out_shape)
                if bias is not None:
                    out = out + bias.reshape(1, -1, 1, 1, 1)
            else:
                out = conv3d_forward(x, weight, bias, g, out_shape)
        return out.contiguous()._data

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        g = ctx.g
        grad_x = grad_w = grad_b = None
        if ctx.transposed:
            if x._requires_grad:
                grad_x = conv3d_forward(grad, weight, None, g, x.shape)
            if weight._requires_grad:
                grad_w = conv3d_weight_grad(x, grad, g, weight.shape)
        else:
            if x._requires_grad:
                grad_x = conv3d_input_grad(grad, weight, g, x.shape)
            if weight._requires_grad:
                grad_w = conv3d_weight_grad(grad, x, g, weight.shape)
        if ctx.bias_needs_grad:
            grad_b = grad.sum((0, 2, 3, 4))
        return grad_x, grad_w, grad_b, None, None, None
