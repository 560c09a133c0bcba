"""im2col and col2im: nn.functional.unfold (sliding blocks of a batch of images as columns)
and fold (columns summed back into images), each the other's gradient.

unfold: input (N, C, H, W) -> (N, C * kh * kw, L), column index c * kh * kw + i * kw + j for
kernel offset (i, j), L blocks in row-major order. fold: (N, C * kh * kw, L) -> (N, C, H, W),
overlapping values summed in kernel-offset order (as PyTorch's col2im). A 3-D input
(unfold) or 2-D input (fold) is one unbatched sample.
"""
from __future__ import annotations

from .._declare import functional
from ..autograd.function import Function
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from ._common import check_tensor


def _pair(value, name: str) -> tuple:
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    return tuple(int(v) for v in pair)


def _check_params(kernel, dilation, padding, stride) -> None:
    if kernel[0] <= 0 or kernel[1] <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kernel_height: {kernel[0]} "
                           f"kernel_width: {kernel[1]}")
    if dilation[0] <= 0 or dilation[1] <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilation_height: {dilation[0]} "
                           f"dilation_width: {dilation[1]}")
    if padding[0] < 0 or padding[1] < 0:
        raise RuntimeError(f"padding should be non-negative, but got pad_height: {padding[0]} "
                           f"pad_width: {padding[1]}")
    if stride[0] <= 0 or stride[1] <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got stride_height: {stride[0]} "
                           f"stride_width: {stride[1]}")


def _blocks(size: tuple, kernel, dilation, padding, stride) -> tuple:
    """Number of sliding blocks along each spatial dim."""
    return tuple((size[d] + 2 * padding[d] - dilation[d] * (kernel[d] - 1) - 1) // stride[d] + 1 for d in (0, 1))


def _windows(kernel, dilation, stride, blocks):
    """For each kernel offset (i, j) in row-major order, the (rows, cols) slices of the padded image
    it reads: every stride-th position from the offset times the dilation."""
    for i in range(kernel[0]):
        rows = slice(i * dilation[0], i * dilation[0] + stride[0] * (blocks[0] - 1) + 1, stride[0])
        for j in range(kernel[1]):
            cols = slice(j * dilation[1], j * dilation[1] + stride[1] * (blocks[1] - 1) + 1, stride[1])
            yield rows, cols


def _im2col(x: Tensor, kernel, dilation, padding, stride) -> Tensor:
    n, c, h, w = x.shape
    blocks = _blocks((h, w), kernel, dilation, padding, stride)
    padded = x.new_zeros((n, c, h + 2 * padding[0], w + 2 * padding[1]))
    padded[:, :, padding[0]:padding[0] + h, padding[1]:padding[1] + w] = x
    columns = x.new_empty((n, c, kernel[0] * kernel[1], blocks[0], blocks[1]))
    for k, (rows, cols) in enumerate(_windows(kernel, dilation, stride, blocks)):
        columns[:, :, k] = padded[:, :, rows, cols]
    return columns.reshape(n, c * kernel[0] * kernel[1], blocks[0] * blocks[1])


def _col2im(cols: Tensor, size, kernel, dilation, padding, stride) -> Tensor:
    n = cols.shape[0]
    c = cols.shape[1] // (kernel[0] * kernel[1])
    blocks = _blocks(size, kernel, dilation, padding, stride)
    parts = cols.reshape(n, c, kernel[0] * kernel[1], blocks[0], blocks[1])
    padded = cols.new_zeros((n, c, size[0] + 2 * padding[0], size[1] + 2 * padding[1]))
    for k, (rows, cols_) in enumerate(_windows(kernel, dilation, stride, blocks)):
        padded[:, :, rows, cols_] += parts[:, :, k]
    return padded[:, :, padding[0]:padding[0] + size[0], padding[1]:padding[1] + size[1]].contiguous()


class Im2ColBackward0(Function):
    """unfold; the gradient folds the columns' gradients back (col2im)."""

    tensor_inputs = 1

    @staticmethod
    def forward(x, kernel, dilation, padding, stride):
        with no_grad():
            return _im2col(x, kernel, dilation, padding, stride)._data

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, ctx.kernel, ctx.dilation, ctx.padding, ctx.stride = inputs
        ctx.size = tuple(x.shape[2:])

    @staticmethod
    def backward(ctx, grad):
        return Col2ImBackward0.apply(grad, ctx.size, ctx.kernel, ctx.dilation, ctx.padding, ctx.stride), \
            None, None, None, None


class Col2ImBackward0(Function):
    """fold; the gradient unfolds the image's gradient (im2col)."""

    tensor_inputs = 1

    @staticmethod
    def forward(cols, size, kernel, dilation, padding, stride):
        with no_grad():
            return _col2im(cols, size, kernel, dilation, padding, stride)._data

    @staticmethod
    def setup_context(ctx, inputs, output):
        _, _, ctx.kernel, ctx.dilation, ctx.padding, ctx.stride = inputs

    @staticmethod
    def backward(ctx, grad):
        return Im2ColBackward0.apply(grad, ctx.kernel, ctx.dilation, ctx.padding, ctx.stride), \
            None, None, None, None, None


@functional
def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sliding blocks of input (N, C, H, W) or (C, H, W) as columns: (N, C * prod(kernel_size), L)."""
    check_tensor(input, "unfold", "input")
    kernel, dilation = _pair(kernel_size, "kernel_size"), _pair(dilation, "dilation")
    padding, stride = _pair(padding, "padding"), _pair(stride, "stride")
    if 0 < input.dim() < 3:  # (PyTorch reads the spatial sizes before it checks the rank)
        raise IndexError(f"Dimension out of range (expected to be in range of [{-input.dim()}, {input.dim() - 1}], "
                         f"but got {input.dim()})")
    if input.dim() not in (3, 4) or any(s == 0 for s in input.shape[-3:]):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
                           f"dimensions for input, but got: {list(input.shape)}")
    _check_params(kernel, dilation, padding, stride)
    size = tuple(input.shape[-2:])
    blocks = _blocks(size, kernel, dilation, padding, stride)
    if blocks[0] < 1 or blocks[1] < 1:
        raise RuntimeError(f"Given input with spatial size {size}, kernel_size={kernel}, dilation={dilation}, "
                           f"padding={padding}, calculated shape of the array of sliding blocks as {blocks}, but "
                           "its components must be at least one.")
    batched = input if input.dim() == 4 else input.unsqueeze(0)
    out = Im2ColBackward0.apply(batched, kernel, dilation, padding, stride)
    return out if input.dim() == 4 else out.squeeze(0)


@functional
def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Columns (N, C * prod(kernel_size), L) or (C * prod(kernel_size), L) summed into images
    (N, C, *output_size): the adjoint of unfold."""
    check_tensor(input, "fold", "input")
    size, kernel = _pair(output_size, "output_size"), _pair(kernel_size, "kernel_size")
    dilation, padding, stride = _pair(dilation, "dilation"), _pair(padding, "padding"), _pair(stride, "stride")
    if input.dim() not in (2, 3) or any(s == 0 for s in input.shape[-2:]):
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and "
                           f"non-zero dimensions for input, but got: {list(input.shape)}")
    _check_params(kernel, dilation, padding, stride)
    if size[0] <= 0 or size[1] <= 0:
        raise RuntimeError(f"output size should be greater than zero, but got output_height: {size[0]} "
                           f"output_width: {size[1]}")
    rows, count = input.shape[-2], input.shape[-1]
    if rows % (kernel[0] * kernel[1]):
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, "
                           f"but got input.size(1)={rows} and kernel_size={kernel}.")
    blocks = _blocks(size, kernel, dilation, padding, stride)
    if blocks[0] < 1 or blocks[1] < 1 or blocks[0] * blocks[1] != count:
        raise RuntimeError(f"Given output_size={size}, kernel_size={kernel}, dilation={dilation}, "
                           f"padding={padding}, stride={stride}, expected size of input's dimension 2 to match "
                           f"the calculated number of sliding blocks {blocks[0]} * {blocks[1]} = "
                           f"{blocks[0] * blocks[1]}, but got input.size(2)={count}.")
    batched = input if input.dim() == 3 else input.unsqueeze(0)
    out = Col2ImBackward0.apply(batched, size, kernel, dilation, padding, stride)
    return out if input.dim() == 3 else out.squeeze(0)
