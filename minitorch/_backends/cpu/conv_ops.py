"""The conv entries of the CPU op table (a mixin of CPUBackend): conv2d, pooling, batch norm,
the scatter-add of the padding and interpolation backwards.

conv2d is im2col (numba) followed by BLAS; its gradients are the two transposed products,
plus col2im (the adjoint of im2col) for the input. Two column layouts (``_batch_layout``):

- batch-wide, for ungrouped convs with C*kh*kw >= 128: cols (K, N*L), K = C*kh*kw,
  L = oh*ow, so each product is ONE GEMM over the whole batch: forward (O, K) @ (K, N*L),
  weight grad (K, N*L) @ (N*L, O) (the batch sum happens inside the GEMM, no ``.sum(0)``),
  input grad (K, O) @ (O, N*L). The output comes back to (N, O, L) in the bias-add kernel.
  For the MNIST CNN's 32->64 layer (batch 64, 1 thread) the three products went from
  12.0 to 9.9 ms, im2col + col2im from 2.1 to 1.6 ms (see conv_kernels.py).
- per image, otherwise: cols (N, G*K/G, L) and one batched product per image and group.
Sizes (output size, padding) have been checked by the autograd layer.
"""
import numpy as np

from . import _pool, conv_kernels as K, resample_kernels as R
from .blas import matmul as _matmul
from .kernels import parallel_pays
from .parallel import threads_for

_INT64 = np.dtype(np.int64)


def _c(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a)


def _prod(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def _im2col(x, kernel, stride, padding, dilation, out_hw) -> np.ndarray:
    """(N, C*kh*kw, oh*ow) columns of x: (N, C, H, W), one block per image (grouped conv)."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw), (oh, ow) = kernel, stride, padding, dilation, out_hw
    cols = _pool.empty((x.shape[0], x.shape[1] * kh * kw, oh * ow), x.dtype)
    fn = K.im2col_parallel if threads_for("im2col", cols.size) > 1 else K.im2col
    fn(_c(x), kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, cols)
    return cols


def _im2col_batch(x, kernel, stride, padding, dilation, out_hw) -> np.ndarray:
    """(C*kh*kw, N*oh*ow) columns of x: (N, C, H, W), the images side by side (groups == 1)."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw), (oh, ow) = kernel, stride, padding, dilation, out_hw
    cols = _pool.empty((x.shape[1] * kh * kw, x.shape[0] * oh * ow), x.dtype)
    fn = K.im2col_batch_parallel if threads_for("im2col_batch", cols.size) > 1 else K.im2col_batch
    fn(_c(x), kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, cols)
    return cols


def _channel_major(grad: np.ndarray) -> np.ndarray:
    """grad (N, O, oh, ow) as (O, N*oh*ow), the layout of the batch-wide products."""
    n, o, oh, ow = grad.shape
    return _c(grad.reshape(n, o, oh * ow).transpose(1, 0, 2)).reshape(o, n * oh * ow)


def _batch_layout(groups: int, weight_shape) -> bool:
    """Whether conv2d takes the batch-wide layout: ungrouped, and columns (K = C*kh*kw) tall
    enough for one long GEMM to beat N short ones. Measured (1 thread, batch 64, the three
    products): K=27: 3.9 vs 2.3 ms (per image wins: a (9..27)-row GEMM reducing over N*L is
    slow in OpenBLAS), K=72: 3.5 vs 3.4, K=144: 4.7 vs 5.4, K=288: 9.9 vs 12.0 ms."""
    return groups == 1 and _prod(weight_shape[1:]) >= 128


class ConvOps:
    """Op-table methods for conv, pooling and batch norm; raw NumPy arrays in and out."""

    # ----- conv2d -----------------------------------------------------------------------
    # Ungrouped convs with tall columns (the MNIST CNN's 32->64) take the batch-wide layout,
    # one GEMM per product; the rest keep one batched product per image and group.
    def conv2d(self, x, weight, bias, stride, padding, dilation, groups, out_hw, keep_cols=False):
        """(out, cols): out (N, O, oh, ow) of x (N, C, H, W) with weight (O, C/groups, kh, kw),
        plus bias (O,) or None; cols are im2col's columns when keep_cols (for the weight's grad)."""
        n, o = x.shape[0], weight.shape[0]
        kernel = weight.shape[2:]
        if _batch_layout(groups, weight.shape):
            cols = _im2col_batch(x, kernel, stride, padding, dilation, out_hw)
            prod = _matmul(_c(weight).reshape(o, cols.shape[0]), cols)
            out = _pool.empty((n, o, out_hw[0], out_hw[1]), prod.dtype)
            b = np.zeros(o, prod.dtype) if bias is None else bias
            fn = K.batch_major_add_bias_parallel if threads_for("bias_add", out.size) > 1 else K.batch_major_add_bias
            fn(prod, b, out.reshape(n, o, out_hw[0] * out_hw[1]))
            return out, (cols if keep_cols else None)
        cols = _im2col(x, kernel, stride, padding, dilation, out_hw)
        length = cols.shape[2]
        per_group = cols.shape[1] // groups
        w = weight.reshape(groups, o // groups, per_group)
        out = np.matmul(w, cols.reshape(n, groups, per_group, length))
        out = out.reshape(n, o, out_hw[0], out_hw[1])
        if bias is not None:
            out += bias.reshape(1, o, 1, 1)
        return out, (cols if keep_cols else None)

    def conv2d_input_grad(self, grad, weight, input_shape, stride, padding, dilation, groups):
        """d conv2d / d x for grad (N, O, oh, ow): col2im(weight^T @ grad), shape input_shape."""
        n, o, oh, ow = grad.shape
        per_group = weight[0].size
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = weight.shape[2:], stride, padding, dilation
        out = _pool.zeros(tuple(input_shape), grad.dtype)
        if _batch_layout(groups, weight.shape):
            dcols = _matmul(_c(weight).reshape(o, per_group).T, _channel_major(grad))
            # Split over channels: a thread per channel needs no atomics; at 2 threads on the
            # 64x32x13x13 layer it measured no faster (0.83 vs 0.75 ms, bound by memory), so its
            # minimum work (parallel.py) keeps that layer serial there.
            fn = K.col2im_batch_parallel if threads_for("col2im_batch", dcols.size) > 1 else K.col2im_batch
            fn(dcols, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, out)
            return out
        w = weight.reshape(groups, o // groups, per_group)
        dcols = np.matmul(w.transpose(0, 2, 1), _c(grad).reshape(n, groups, o // groups, oh * ow))
        dcols = dcols.reshape(n, groups * per_group, oh * ow)
        fn = K.col2im_parallel if threads_for("col2im", dcols.size) > 1 else K.col2im
        fn(dcols, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, out)
        return out

    def conv2d_weight_grad(self, grad, x, weight_shape, stride, padding, dilation, groups, cols=None):
        """d conv2d / d weight for grad (N, O, oh, ow): grad @ cols^T summed over the batch."""
        n, o, oh, ow = grad.shape
        if _batch_layout(groups, weight_shape):
            if cols is None:
                cols = _im2col_batch(x, weight_shape[2:], stride, padding, dilation, (oh, ow))
            # cols @ grad^T gives (K, O): the sum over the batch happens inside the one GEMM.
            dw = _matmul(cols, _channel_major(grad).T)
            return _c(dw.T).reshape(weight_shape).astype(grad.dtype, copy=False)
        if cols is None:
            cols = _im2col(x, weight_shape[2:], stride, padding, dilation, (oh, ow))
        g = _c(grad).reshape(n, groups, o // groups, oh * ow)
        c = cols.reshape(n, groups, cols.shape[1] // groups, oh * ow)
        # One BLAS product per image, then the sum over the batch.
        dw = np.matmul(g, c.transpose(0, 1, 3, 2)).sum(axis=0) if n else np.zeros(
            (groups, o // groups, c.shape[2]), grad.dtype)
        return _c(dw).reshape(weight_shape).astype(grad.dtype, copy=False)

    # ----- pooling ----------------------------------------------------------------------
    def max_pool2d(self, x, kernel, stride, padding, dilation, out_hw):
        """(values, int64 indices) of max pooling over the last two dims of x (*, H, W)."""
        lead, (h, w) = x.shape[:-2], x.shape[-2:]
        planes = _c(x).reshape(_prod(lead), h, w)
        out = _pool.empty((planes.shape[0],) + tuple(out_hw), x.dtype)
        indices = _pool.empty(out.shape, _INT64)
        parallel = threads_for("max_pool2d", x.size) > 1
        (oh, ow), (sh, sw) = out_hw, stride
        if (tuple(kernel) == (2, 2) and tuple(padding) == (0, 0) and tuple(dilation) == (1, 1)
                and oh and ow and (oh - 1) * sh + 2 <= h and (ow - 1) * sw + 2 <= w):
            fn = K.max_pool2d_2x2_parallel if parallel else K.max_pool2d_2x2
            fn(planes, sh, sw, out, indices)
        else:
            lowest = x.dtype.type(-np.inf) if x.dtype.kind == "f" else np.iinfo(x.dtype).min
            fn = K.max_pool2d_parallel if parallel else K.max_pool2d
            fn(planes, kernel[0], kernel[1], sh, sw, padding[0], padding[1],
               dilation[0], dilation[1], x.dtype.type(lowest), out, indices)
        return out.reshape(lead + tuple(out_hw)), indices.reshape(lead + tuple(out_hw))

    def max_pool2d_backward(self, grad, indices, input_shape):
        """Scatter-add grad (*, oh, ow) to the argmax positions: a (*, H, W) array."""
        h, w = input_shape[-2:]
        g = _c(grad).reshape(_prod(grad.shape[:-2]), grad.shape[-2] * grad.shape[-1])
        out = _pool.zeros((g.shape[0], h * w), grad.dtype)
        fn = K.max_pool2d_backward_parallel if threads_for("max_pool2d_backward", out.size) > 1 \
            else K.max_pool2d_backward
        fn(g, _c(indices).reshape(g.shape), out)
        return out.reshape(input_shape)

    def adaptive_max_pool2d(self, x, out_hw):
        """(values, int64 indices h * W + w) of adaptive max pooling over the last two dims of
        x (*, H, W), H, W and out_hw nonzero: PyTorch's windows, tie and NaN rules."""
        lead, (h, w) = x.shape[:-2], x.shape[-2:]
        planes = _c(x).reshape(_prod(lead), h, w)
        out = _pool.empty((planes.shape[0],) + tuple(out_hw), x.dtype)
        indices = _pool.empty(out.shape, _INT64)
        fn = K.adaptive_max_pool2d_parallel if threads_for("max_pool2d", planes.size) > 1 \
            else K.adaptive_max_pool2d
        fn(planes, out, indices)
        return out.reshape(lead + tuple(out_hw)), indices.reshape(lead + tuple(out_hw))

    def adaptive_max_pool3d(self, x, out_dhw):
        """adaptive_max_pool2d over the last three dims of x (*, D, H, W): int64 indices
        d * H * W + h * W + w."""
        lead = x.shape[:-3]
        volumes = _c(x).reshape((_prod(lead),) + x.shape[-3:])
        out = _pool.empty((volumes.shape[0],) + tuple(out_dhw), x.dtype)
        indices = _pool.empty(out.shape, _INT64)
        fn = K.adaptive_max_pool3d_parallel if threads_for("max_pool2d", volumes.size) > 1 \
            else K.adaptive_max_pool3d
        fn(volumes, out, indices)
        return out.reshape(lead + tuple(out_dhw)), indices.reshape(lead + tuple(out_dhw))

    def avg_pool2d(self, x, kernel, stride, padding, out_hw, count_include_pad, divisor):
        """Average pooling over the last two dims of x (*, H, W); divisor 0 means the window's size."""
        lead, (h, w) = x.shape[:-2], x.shape[-2:]
        out = _pool.empty((_prod(lead),) + tuple(out_hw), x.dtype)
        reads = out.size * kernel[0] * kernel[1]
        fn = K.avg_pool2d_parallel if threads_for("avg_pool2d", reads) > 1 else K.avg_pool2d
        fn(_c(x).reshape(_prod(lead), h, w), kernel[0], kernel[1], stride[0], stride[1],
           padding[0], padding[1], count_include_pad, divisor, out)
        return out.reshape(lead + tuple(out_hw))

    def avg_pool2d_backward(self, grad, input_shape, kernel, stride, padding, count_include_pad, divisor):
        """The adjoint of avg_pool2d: grad (*, oh, ow) spread over each window, a (*, H, W) array."""
        h, w = input_shape[-2:]
        g = _c(grad).reshape((_prod(grad.shape[:-2]),) + grad.shape[-2:])
        out = _pool.zeros((g.shape[0], h, w), grad.dtype)
        reads = g.size * kernel[0] * kernel[1]
        fn = K.avg_pool2d_backward_parallel if threads_for("avg_pool2d_backward", reads) > 1 else K.avg_pool2d_backward
        fn(g, kernel[0], kernel[1], stride[0], stride[1], padding[0], padding[1], count_include_pad, divisor, out)
        return out.reshape(input_shape)

    # ----- padding and interpolation ---------------------------------------------------
    def index_add(self, out, dim: int, index, src) -> None:
        """In place: out[..., index[j], ...] += src[..., j, ...] along dim (a numba loop over
        (lead, L, trail) views; np.add.at where out is not a plain contiguous array)."""
        if out.flags.c_contiguous and out.dtype == src.dtype and out.dtype.kind in "fiu":
            lead, trail = _prod(out.shape[:dim]), _prod(out.shape[dim + 1:])
            s = _c(src).reshape(lead, src.shape[dim], trail)
            fn = R.index_add_axis_parallel if parallel_pays(s.size) else R.index_add_axis
            fn(out.reshape(lead, out.shape[dim], trail), _c(index).astype(np.int64, copy=False), s)
        else:
            np.add.at(out, (slice(None),) * dim + (index,), src)

    # ----- batch norm -------------------------------------------------------------------
    # x arrives as (N, C, *); the kernels see it as (N, C, L).
    def batch_norm_stats(self, x):
        """(mean, biased var) per channel of x (N, C, *), in x's dtype."""
        x3 = _c(x).reshape(x.shape[0], x.shape[1], -1)
        mean = np.empty(x.shape[1], np.float64)
        var = np.empty(x.shape[1], np.float64)
        fn = K.batch_norm_stats_parallel if threads_for("batch_norm", x3.size) > 1 else K.batch_norm_stats
        fn(x3, mean, var)
        return mean.astype(x.dtype), var.astype(x.dtype)

    def batch_norm_apply(self, x, mean, invstd, weight, bias):
        """(x - mean) * invstd * weight + bias per channel of x (N, C, *); weight/bias may be None."""
        scale = invstd if weight is None else invstd * weight
        shift = -mean * scale if bias is None else bias - mean * scale
        out = _pool.empty(x.shape, x.dtype)
        fn = K.batch_norm_apply_parallel if threads_for("batch_norm", x.size) > 1 else K.batch_norm_apply
        fn(_c(x).reshape(x.shape[0], x.shape[1], -1), scale, shift, out.reshape(x.shape[0], x.shape[1], -1))
        return out

    def batch_norm_backward(self, grad, x, mean, invstd, weight, training):
        """(grad_input, grad_weight, grad_bias) of batch_norm_apply; with training, mean and
        invstd are the batch's own statistics and their gradients are included."""
        n, c = x.shape[0], x.shape[1]
        w = np.ones(c, x.dtype) if weight is None else weight
        grad_input = _pool.empty(x.shape, x.dtype)
        grad_weight = np.empty(c, x.dtype)
        grad_bias = np.empty(c, x.dtype)
        fn = K.batch_norm_backward_parallel if threads_for("batch_norm", x.size) > 1 else K.batch_norm_backward
        fn(_c(grad).reshape(n, c, -1), _c(x).reshape(n, c, -1), mean, invstd, w,
           training, grad_input.reshape(n, c, -1), grad_weight, grad_bias)
        return grad_input, grad_weight, grad_bias

    def batch_norm_update_stats(self, running_mean, running_var, mean, var, momentum, count):
        """In place: running = (1 - momentum) * running + momentum * batch stat, the var unbiased."""
        unbiased = var * (count / (count - 1))
        np.copyto(running_mean, momentum * mean + (1 - momentum) * running_mean, casting="unsafe")
        np.copyto(running_var, momentum * unbiased + (1 - momentum) * running_var, casting="unsafe")
