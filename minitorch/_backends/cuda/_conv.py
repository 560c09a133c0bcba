"""CUDA conv2d, pooling and batch norm (the CPU table's ConvOps contracts, CudaArrays in and out).

conv2d is im2col + the tiled GEMM of _matmul.py (``strided_gemm``). The columns are laid out
(C*kh*kw, N, L), L = oh*ow, so that group g's rows are one (Kg, N*L) block (Kg = C/G*kh*kw):

- forward: one GEMM launch batched over (group, image): W_g (Og, Kg) @ cols[g, :, n] (Kg, L),
  written through strides straight into the (N, O, oh, ow) output, the bias added in the GEMM's
  store (no extra pass, no permute).
- input gradient: one GEMM batched over (group, image), W_g^T (read transposed in place) @
  grad[n, g] -> dcols (same layout as cols), then col2im as a gather (one thread per input
  pixel sums the column entries that im2col read from it: deterministic, no atomics).
- weight gradient: grad copied channel-major (O, N*L), then W_g += grad_g (Og, N*L) @ cols_g^T
  (cols read transposed in place): the batch sum happens inside the GEMM's K loop. The K loop
  is split over chunks of images (split-K) when the output has few tiles, so that enough blocks
  run; the partial products are summed by a small kernel.
conv2d(keep_cols=True) returns these columns; conv2d_weight_grad reuses them.

Pooling and batch norm are one kernel launch per op (the batch-norm sums a block per
channel); the kernels are _conv_kernels.py.
"""
from __future__ import annotations

import numpy as np

from ._array import CudaArray
from ._conv_kernels import (RT, k_avg_pool2d, k_avg_pool2d_backward, k_bn_apply, k_bn_backward_input,
                            k_bn_backward_sums, k_bn_stats, k_bn_update_stats, k_col2im, k_im2col,
                            k_max_pool2d, k_max_pool2d_backward, k_sum_partials)
from ._launch import check_device, collapse, launch, launch_blocks
from ._matmul import BM, BN, strided_gemm

MAX_BLOCKS_X = 65535
SPLIT_K_TARGET = 128               # blocks the weight-gradient GEMM aims for, at least


def _prod(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def _zero(dtype):
    return np.zeros((), dtype)[()]


def _lead(a: CudaArray):
    """The collapsed (shape, strides) of a's leading dims (all but the last two): the planes."""
    shape, (strides,) = collapse(a.shape[:-2], a.estrides[:-2])
    return shape, strides


def _channel_walk(a: CudaArray):
    """The collapsed (shape, strides) of a (N, C, *) with the channel dim left out: the walk
    over one channel's N*L values."""
    dims = (0,) + tuple(range(2, a.ndim))
    shape, (strides,) = collapse(tuple(a.shape[d] for d in dims), tuple(a.estrides[d] for d in dims))
    return shape, strides


def _vec(a):
    """(buffer, offset, stride) of a 1-D (or one-element-per-channel) array."""
    return a.buf, a.offset, (a.estrides[-1] if a.ndim else 0)


class ConvOps:
    """The conv part of the CUDA op table."""

    # ----- conv2d -------------------------------------------------------------------------
    def _im2col(self, x, kernel, stride, padding, dilation, out_hw) -> CudaArray:
        (kh, kw), (sh, sw), (ph, pw), (dh, dw), (oh, ow) = kernel, stride, padding, dilation, out_hw
        n, c, h, w = x.shape
        cols = CudaArray.empty((c * kh * kw, n, oh * ow), x.dtype)
        sxn, sxc, sxh, sxw = x.estrides
        launch(k_im2col, cols.size, cols.buf, x.buf, x.offset, sxn, sxc, sxh, sxw, n, h, w, kh, kw,
               sh, sw, ph, pw, dh, dw, oh, ow, _zero(x.dtype), cols.size)
        return cols

    def conv2d(self, x, weight, bias, stride, padding, dilation, groups, out_hw, keep_cols=False):
        """(out, cols): out (N, O, oh, ow) of x (N, C, H, W) with weight (O, C/groups, kh, kw),
        plus bias (O,) or None; cols (this backend's im2col columns) when keep_cols."""
        check_device(x, weight)
        n, o = x.shape[0], weight.shape[0]
        oh, ow = out_hw
        length = oh * ow
        weight = self.contiguous(weight)
        kg = _prod(weight.shape[1:])
        og = o // groups
        out = CudaArray.empty((n, o, oh, ow), x.dtype)
        cols = self._im2col(x, weight.shape[2:], stride, padding, dilation, out_hw)
        if out.size:
            bias_arg = None
            if bias is not None:
                check_device(bias)
                bstride = bias.estrides[0]
                bias_arg = (bias, bias.offset, (og * bstride, 0), bstride)
            # batch (group g, image i): W_g (og, kg) @ cols[g*kg:(g+1)*kg, i, :] (kg, L)
            strided_gemm(out, 0, (og * length, o * length), length, 1,
                         weight, weight.offset, (og * kg, 0), kg, 1,
                         cols, 0, (kg * n * length, length), n * length, 1,
                         (groups, n), og, length, kg, bias=bias_arg)
        return out, (cols if keep_cols else None)

    def conv2d_input_grad(self, grad, weight, input_shape, stride, padding, dilation, groups):
        """d conv2d / d x for grad (N, O, oh, ow): col2im(weight^T @ grad), shape input_shape."""
        check_device(grad, weight)
        n, o, oh, ow = grad.shape
        length = oh * ow
        _, c, h, w = input_shape
        kh, kw = weight.shape[2:]
        weight = self.contiguous(weight)
        grad = self.contiguous(grad)
        kg = _prod(weight.shape[1:])
        og = o // groups
        out = CudaArray.empty(tuple(input_shape), grad.dtype)
        if out.size == 0:
            return out
        dcols = CudaArray.empty((c * kh * kw, n, length), grad.dtype)
        if dcols.size:
            # batch (g, i): W_g^T (kg, og) @ grad[i, g*og:(g+1)*og] (og, L) -> dcols[g*kg:, i, :]
            strided_gemm(dcols, 0, (kg * n * length, length), n * length, 1,
                         weight, weight.offset, (og * kg, 0), 1, kg,
                         grad, grad.offset, (og * length, o * length), length, 1,
                         (groups, n), kg, length, og)
        (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
        launch(k_col2im, out.size, out.buf, dcols.buf, n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw,
               oh, ow, _zero(grad.dtype), out.size)
        return out

    def conv2d_weight_grad(self, grad, x, weight_shape, stride, padding, dilation, groups, cols=None):
        """d conv2d / d weight for grad (N, O, oh, ow): grad @ cols^T summed over the batch."""
        check_device(grad, x)
        n, o, oh, ow = grad.shape
        length = oh * ow
        kg = _prod(weight_shape[1:])
        og = o // groups
        out = CudaArray.empty(tuple(weight_shape), grad.dtype)
        if out.size == 0:
            return out
        if n * length == 0:
            self.fill(out, 0)
            return out
        if cols is None:
            cols = self._im2col(x, weight_shape[2:], stride, padding, dilation, (oh, ow))
        # grad channel-major: (O, N, L), so that each group's rows run over (image, pixel) with stride 1
        gt = self.copy(self.permute(grad, (1, 0, 2, 3)))
        nl = n * length
        # split-K over chunks of images when the output has few tiles
        tiles = groups * -(-og // BM) * -(-kg // BN)
        want = max(1, min(n, SPLIT_K_TARGET // max(tiles, 1)))
        split = max(d for d in range(1, want + 1) if n % d == 0)
        chunk = (n // split) * length
        if split == 1:
            strided_gemm(out, 0, (og * kg,), kg, 1,
                         gt, 0, (og * nl,), nl, 1,
                         cols, 0, (kg * nl,), 1, nl,
                         (groups,), og, kg, nl)
            return out
        parts = CudaArray.empty((split, o * kg), grad.dtype)
        # batch (s, g): grad_g[:, chunk s] (og, chunk) @ cols_g[:, chunk s]^T (chunk, kg)
        strided_gemm(parts, 0, (o * kg, og * kg), kg, 1,
                     gt, 0, (chunk, og * nl), nl, 1,
                     cols, 0, (chunk, kg * nl), 1, nl,
                     (split, groups), og, kg, chunk)
        launch(k_sum_partials, o * kg, out.buf, parts.buf, split, o * kg)
        return out

    # ----- pooling ------------------------------------------------------------------------
    def max_pool2d(self, x, kernel, stride, padding, dilation, out_hw):
        """(values, int64 indices) of max pooling over the last two dims of x (*, H, W)."""
        check_device(x)
        lead = x.shape[:-2]
        h, w = x.shape[-2:]
        oh, ow = out_hw
        out = CudaArray.empty(lead + (oh, ow), x.dtype)
        indices = CudaArray.empty(lead + (oh, ow), np.int64)
        lowest = x.dtype.type(-np.inf) if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        lshape, lstr = _lead(x)
        launch(k_max_pool2d, out.size, out.buf, indices.buf, x.buf, x.offset, lshape, lstr,
               x.estrides[-2], x.estrides[-1], h, w, kernel[0], kernel[1], stride[0], stride[1],
               padding[0], padding[1], dilation[0], dilation[1], x.dtype.type(lowest), oh, ow, out.size)
        return out, indices

    def max_pool2d_backward(self, grad, indices, input_shape):
        """Scatter-add grad (*, oh, ow) to the argmax positions: a (*, H, W) array."""
        check_device(grad, indices)
        h, w = input_shape[-2:]
        out = CudaArray.empty(tuple(input_shape), grad.dtype)
        self.fill(out, 0)
        total = grad.size
        if total == 0:
            return out
        gshape, (gstr, istr) = _same_walk(grad, indices)
        launch(k_max_pool2d_backward, total, out.buf, grad.buf, grad.offset, gshape, gstr,
               indices.buf, indices.offset, gshape, istr, grad.shape[-2] * grad.shape[-1], h * w, total)
        return out

    def avg_pool2d(self, x, kernel, stride, padding, out_hw, count_include_pad, divisor):
        """Average pooling over the last two dims of x (*, H, W); divisor 0 means the window's size."""
        check_device(x)
        lead = x.shape[:-2]
        h, w = x.shape[-2:]
        oh, ow = out_hw
        out = CudaArray.empty(lead + (oh, ow), x.dtype)
        lshape, lstr = _lead(x)
        launch(k_avg_pool2d, out.size, out.buf, x.buf, x.offset, lshape, lstr, x.estrides[-2],
               x.estrides[-1], h, w, kernel[0], kernel[1], stride[0], stride[1], padding[0], padding[1],
               bool(count_include_pad), int(divisor), oh, ow, out.size)
        return out

    def avg_pool2d_backward(self, grad, input_shape, kernel, stride, padding, count_include_pad, divisor):
        """The adjoint of avg_pool2d: grad (*, oh, ow) spread over each window, a (*, H, W) array."""
        check_device(grad)
        h, w = input_shape[-2:]
        oh, ow = grad.shape[-2:]
        out = CudaArray.empty(tuple(input_shape), grad.dtype)
        lshape, lstr = _lead(grad)
        launch(k_avg_pool2d_backward, out.size, out.buf, grad.buf, grad.offset, lshape, lstr,
               grad.estrides[-2], grad.estrides[-1], h, w, kernel[0], kernel[1], stride[0], stride[1],
               padding[0], padding[1], bool(count_include_pad), int(divisor), oh, ow, out.size)
        return out

    # ----- batch norm ---------------------------------------------------------------------
    def batch_norm_stats(self, x):
        """(mean, biased var) per channel of x (N, C, *), in x's dtype (float64 sums)."""
        check_device(x)
        c = x.shape[1]
        count = x.size // c if c else 0
        mean = CudaArray.empty((c,), x.dtype)
        var = CudaArray.empty((c,), x.dtype)
        if c:
            cshape, cstr = _channel_walk(x)
            launch_blocks(k_bn_stats, min(c, MAX_BLOCKS_X), RT, mean.buf, var.buf, x.buf, x.offset,
                          x.estrides[1], cshape, cstr, c, count)
        return mean, var

    def batch_norm_apply(self, x, mean, invstd, weight, bias):
        """(x - mean) * invstd * weight + bias per channel of x (N, C, *); weight/bias may be None."""
        check_device(x, mean, invstd)
        out = CudaArray.empty(x.shape, x.dtype)
        if out.size == 0:
            return out
        c = x.shape[1]
        length = _prod(x.shape[2:])
        shape, (_, xstr) = collapse(x.shape, out.estrides, x.estrides)
        wb, wo, ws = _vec(invstd) if weight is None else _vec(weight)
        bb, bo, bs = _vec(invstd) if bias is None else _vec(bias)
        launch(k_bn_apply, out.size, out.buf, x.buf, x.offset, shape, xstr, *_vec(mean), *_vec(invstd),
               wb, wo, ws, weight is not None, bb, bo, bs, bias is not None, c, length, out.size)
        return out

    def batch_norm_backward(self, grad, x, mean, invstd, weight, training):
        """(grad_input, grad_weight, grad_bias) of batch_norm_apply; with training, mean and
        invstd are the batch's own statistics and their gradients are included."""
        check_device(grad, x, mean, invstd)
        c = x.shape[1]
        count = x.size // c if c else 0
        grad_input = CudaArray.empty(x.shape, x.dtype)
        grad_weight = CudaArray.empty((c,), x.dtype)
        grad_bias = CudaArray.empty((c,), x.dtype)
        if c == 0:
            return grad_input, grad_weight, grad_bias
        sums = CudaArray.empty((2 * c,), np.float64)
        gshape, gstr = _channel_walk(grad)
        xshape, xstr = _channel_walk(x)
        launch_blocks(k_bn_backward_sums, min(c, MAX_BLOCKS_X), RT, grad_weight.buf, grad_bias.buf, sums.buf,
                      grad.buf, grad.offset, grad.estrides[1], gshape, gstr,
                      x.buf, x.offset, x.estrides[1], xshape, xstr, *_vec(mean), *_vec(invstd), c, count)
        if grad_input.size:
            shape, (_, g2, x2) = collapse(x.shape, grad_input.estrides, grad.estrides, x.estrides)
            wb, wo, ws = _vec(invstd) if weight is None else _vec(weight)
            launch(k_bn_backward_input, grad_input.size, grad_input.buf, grad.buf, grad.offset, g2,
                   x.buf, x.offset, x2, shape, sums.buf, *_vec(mean), *_vec(invstd), wb, wo, ws,
                   weight is not None, bool(training), c, _prod(x.shape[2:]), count, grad_input.size)
        return grad_input, grad_weight, grad_bias

    def batch_norm_update_stats(self, running_mean, running_var, mean, var, momentum, count):
        """In place: running = (1 - momentum) * running + momentum * batch stat, the var unbiased."""
        check_device(running_mean, running_var, mean, var)
        factor = count / (count - 1)
        dt = mean.dtype.type if mean.dtype.kind == "f" else np.float64
        c = running_mean.size
        launch(k_bn_update_stats, c, *_vec(running_mean), *_vec(running_var), *_vec(mean), *_vec(var),
               dt(momentum), dt(1 - momentum), dt(factor), c)


def _same_walk(a: CudaArray, b: CudaArray):
    """Collapsed (shape, (a strides, b strides)) of two arrays of one shape."""
    shape, (sa, sb) = collapse(a.shape, a.estrides, b.estrides)
    return shape, (sa, sb)
