"""Defaults of the conv extras of the backend interface, composed from the core (see base.py):
conv2d and its two gradients, max and average pooling with their backwards, adaptive max
pooling (2-D and 3-D), batch norm, and the scatter-add along an axis of the padding and
interpolation backwards.

A convolution is a sum over the kernel's kh * kw positions: at each, the strided slice of the
zero-padded input that the position sees, (N, C/g, oh, ow), times that position's weights,
(O/g, C/g), as one batched matrix product. Pooling walks the same positions. O(N C O oh ow
kh kw) work in kh * kw products: no im2col buffer, no kernel of its own."""
from __future__ import annotations

import numpy as np

from ..dtypes import FROM_NP, float64 as _float64, int64 as _int64


def _dt(a):
    return FROM_NP[a.dtype]


def _window(offset: int, stride: int, count: int) -> slice:
    """The strided slice a kernel position at offset sees over count outputs."""
    return slice(offset, offset + stride * (count - 1) + 1, stride)


class ConvDefaults:
    """Mixin of Backend: convolution, pooling and batch norm."""

    def _padded(self, x, padding, extent, fill):
        """x (*, H, W) inside an array of fill large enough for every window: extent (Hp, Wp)."""
        (ph, pw), (h, w) = padding, x.shape[-2:]
        hp, wp = max(extent[0], h + ph), max(extent[1], w + pw)
        out = self.full(x.shape[:-2] + (hp, wp), fill, _dt(x))
        self.setitem(out, (Ellipsis, slice(ph, ph + h), slice(pw, pw + w)), x)
        return out

    def _positions(self, kernel, dilation):
        return [(i, j, i * dilation[0], j * dilation[1]) for i in range(kernel[0]) for j in range(kernel[1])]

    # ----- conv2d -----------------------------------------------------------------------
    def conv2d(self, x, weight, bias, stride, padding, dilation, groups, out_hw, keep_cols=False):
        """(out (N, O, oh, ow), None) of x (N, C, H, W) with weight (O, C/groups, kh, kw) and bias."""
        dt = _dt(x)
        n, o, cg = x.shape[0], weight.shape[0], weight.shape[1]
        og, (oh, ow), kernel = o // groups, out_hw, weight.shape[2:]
        extent = tuple((out_hw[k] - 1) * stride[k] + dilation[k] * (kernel[k] - 1) + 1 for k in range(2))
        xp = self._padded(x, padding, extent, 0)
        parts = []
        for g in range(groups):
            total = self.zeros((n, og, oh * ow), dt)
            for i, j, di, dj in self._positions(kernel, dilation):
                patch = self.getitem(xp, (slice(None), slice(g * cg, (g + 1) * cg),
                                          _window(di, stride[0], oh), _window(dj, stride[1], ow)))
                w = self.getitem(weight, (slice(g * og, (g + 1) * og), slice(None), i, j))
                total = self.binary("add", total, self.matmul(w, self.reshape(patch, (n, cg, oh * ow))), dt)
            parts.append(total)
        out = self.reshape(self.concatenate(parts, 1, dt) if groups > 1 else parts[0], (n, o, oh, ow))
        if bias is not None:
            out = self.binary("add", out, self.reshape(bias, (1, o, 1, 1)), dt)
        return out, None

    def conv2d_input_grad(self, grad, weight, input_shape, stride, padding, dilation, groups):
        """d conv2d / d x for grad (N, O, oh, ow): each position's weights^T times grad, added
        back into the padded input's windows; shape input_shape."""
        dt = _dt(grad)
        n, o, oh, ow = grad.shape
        cg, og, kernel = weight.shape[1], o // groups, weight.shape[2:]
        h, w = input_shape[-2:]
        extent = tuple((grad.shape[2 + k] - 1) * stride[k] + dilation[k] * (kernel[k] - 1) + 1 for k in range(2))
        dxp = self._padded(self.zeros(tuple(input_shape), dt), padding, extent, 0)
        for g in range(groups):
            gg = self.reshape(self.getitem(grad, (slice(None), slice(g * og, (g + 1) * og))), (n, og, oh * ow))
            for i, j, di, dj in self._positions(kernel, dilation):
                wt = self.permute(self.getitem(weight, (slice(g * og, (g + 1) * og), slice(None), i, j)), (1, 0))
                part = self.reshape(self.matmul(wt, gg), (n, cg, oh, ow))
                region = (slice(None), slice(g * cg, (g + 1) * cg), _window(di, stride[0], oh),
                          _window(dj, stride[1], ow))
                self.setitem(dxp, region, self.binary("add", self.getitem(dxp, region), part, dt))
        ph, pw = padding
        return self.copy(self.getitem(dxp, (slice(None), slice(None), slice(ph, ph + h), slice(pw, pw + w))))

    def conv2d_weight_grad(self, grad, x, weight_shape, stride, padding, dilation, groups, cols=None):
        """d conv2d / d weight for grad (N, O, oh, ow): grad times each position's input
        windows, summed over the batch."""
        dt = _dt(grad)
        n, o, oh, ow = grad.shape
        cg, og, kernel = weight_shape[1], o // groups, weight_shape[2:]
        extent = tuple((grad.shape[2 + k] - 1) * stride[k] + dilation[k] * (kernel[k] - 1) + 1 for k in range(2))
        xp = self._padded(x, padding, extent, 0)
        dw = self.zeros(tuple(weight_shape), dt)
        for g in range(groups):
            gg = self.reshape(self.getitem(grad, (slice(None), slice(g * og, (g + 1) * og))), (n, og, oh * ow))
            for i, j, di, dj in self._positions(kernel, dilation):
                patch = self.getitem(xp, (slice(None), slice(g * cg, (g + 1) * cg),
                                          _window(di, stride[0], oh), _window(dj, stride[1], ow)))
                cols = self.permute(self.reshape(patch, (n, cg, oh * ow)), (0, 2, 1))
                part = self.reduce("sum", self.matmul(gg, cols), (0,), False, dt)
                self.setitem(dw, (slice(g * og, (g + 1) * og), slice(None), i, j), part)
        return dw

    # ----- pooling ----------------------------------------------------------------------
    def max_pool2d(self, x, kernel, stride, padding, dilation, out_hw):
        """(values, int64 indices h * W + w) of max pooling over the last two dims of x (*, H, W):
        the first maximum of each window wins, a NaN wins over numbers (PyTorch's rule)."""
        dt = _dt(x)
        (h, w), (oh, ow) = x.shape[-2:], out_hw
        lowest = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        extent = tuple((out_hw[k] - 1) * stride[k] + dilation[k] * (kernel[k] - 1) + 1 for k in range(2))
        xp = self._padded(x, padding, extent, lowest)
        rows = np.arange(oh) * stride[0] - padding[0]
        cols = np.arange(ow) * stride[1] - padding[1]
        # (PyTorch starts each window's argmax at its first position inside the input)
        first = (np.maximum(rows, 0)[:, None] * w + np.maximum(cols, 0)[None, :]).astype(np.int64)
        best = self.full(x.shape[:-2] + (oh, ow), lowest, dt)
        index = self.copy(self.expand(self.from_numpy(first), best.shape))
        for _, _, di, dj in self._positions(kernel, dilation):
            patch = self.getitem(xp, (Ellipsis, _window(di, stride[0], oh), _window(dj, stride[1], ow)))
            take = self.compare("gt", patch, best, dt)
            if x.dtype.kind == "f":
                take = self.binary("logical_or", take, self.unary("isnan", patch), FROM_NP[np.dtype(bool)])
            pos = self.from_numpy(((rows + di)[:, None] * w + (cols + dj)[None, :]).astype(np.int64))
            best = self.where(take, patch, best, dt)
            index = self.where(take, pos, index, _int64)
        return best, index

    def adaptive_max_pool2d(self, x, out_hw):
        """(values, int64 indices h * W + w) of adaptive max pooling over the last two dims of
        x (*, H, W), H, W and out_hw nonzero: output cell (i, j) pools rows [floor(i H / oh),
        ceil((i + 1) H / oh)) and columns likewise; the first maximum of each window (row by
        row) wins, a NaN wins over numbers (PyTorch's rules)."""
        return self._adaptive_max(x, tuple(out_hw))

    def adaptive_max_pool3d(self, x, out_dhw):
        """adaptive_max_pool2d over the last three dims of x (*, D, H, W): int64 indices
        d * H * W + h * W + w."""
        return self._adaptive_max(x, tuple(out_dhw))

    def _adaptive_max(self, x, out_sizes):
        # One pass per position of the longest window: a shorter window repeats its last
        # position along each dim, which changes neither the maximum nor its index.
        import itertools
        dt, k = _dt(x), len(out_sizes)
        sizes = x.shape[-k:]
        spans = []
        for size, out in zip(sizes, out_sizes):
            cells = np.arange(out, dtype=np.int64)
            start, end = (cells * size) // out, -(-((cells + 1) * size) // out)
            spans.append((start, end))
        strides = [int(np.prod(sizes[d + 1:], dtype=np.int64)) for d in range(k)]

        def grid(offsets):
            """(index arrays broadcasting to out_sizes, flat positions) at these window offsets."""
            axes, flat = [], np.zeros(out_sizes, np.int64)
            for d, ((start, end), off) in enumerate(zip(spans, offsets)):
                pos = np.minimum(start + off, end - 1).reshape((-1,) + (1,) * (k - 1 - d))
                axes.append(pos)
                flat = flat + pos * strides[d]
            return axes, flat

        best = self.full(x.shape[:-k] + tuple(out_sizes), -np.inf, dt)
        index = self.copy(self.expand(self.from_numpy(grid((0,) * k)[1]), best.shape))
        longest = [int((end - start).max()) for start, end in spans]
        for offsets in itertools.product(*(range(n) for n in longest)):
            axes, flat = grid(offsets)
            patch = self.getitem(x, (Ellipsis,) + tuple(self.from_numpy(a) for a in axes))
            take = self.binary("logical_or", self.compare("gt", patch, best, dt), self.unary("isnan", patch),
                               FROM_NP[np.dtype(bool)])
            best = self.where(take, patch, best, dt)
            index = self.where(take, self.from_numpy(flat), index, _int64)
        return best, index

    def max_pool2d_backward(self, grad, indices, input_shape):
        """grad (*, oh, ow) added at the argmax positions of each plane: (*, H, W) (host)."""
        g, idx = self.to_numpy(grad), self.to_numpy(indices)
        planes = int(np.prod(g.shape[:-2], dtype=np.int64))
        h, w = input_shape[-2:]
        out = np.zeros((planes, h * w), g.dtype)
        np.add.at(out, (np.arange(planes)[:, None], idx.reshape(planes, -1)), g.reshape(planes, -1))
        return self.from_numpy(out.reshape(tuple(input_shape)))

    def _avg_divisors(self, in_hw, kernel, stride, padding, out_hw, count_include_pad, divisor):
        """Each output cell's divisor (oh, ow) as PyTorch's avg_pool2d computes it."""
        if divisor:
            return np.full(out_hw, float(divisor))
        sizes = []
        for k in range(2):
            start = np.arange(out_hw[k]) * stride[k] - padding[k]
            end = np.minimum(start + kernel[k], in_hw[k] + padding[k])
            size = end - start
            if not count_include_pad:
                size = np.minimum(end, in_hw[k]) - np.maximum(start, 0)
            sizes.append(size)
        return (sizes[0][:, None] * sizes[1][None, :]).astype(np.float64)

    def avg_pool2d(self, x, kernel, stride, padding, out_hw, count_include_pad, divisor):
        """Average pooling over the last two dims of x (*, H, W); divisor 0: the window's size."""
        dt = _dt(x)
        (oh, ow), extent = out_hw, tuple((out_hw[k] - 1) * stride[k] + kernel[k] for k in range(2))
        xp = self._padded(x, padding, extent, 0)
        total = self.zeros(x.shape[:-2] + (oh, ow), dt)
        for _, _, di, dj in self._positions(kernel, (1, 1)):
            patch = self.getitem(xp, (Ellipsis, _window(di, stride[0], oh), _window(dj, stride[1], ow)))
            total = self.binary("add", total, patch, dt)
        div = self._avg_divisors(x.shape[-2:], kernel, stride, padding, out_hw, count_include_pad, divisor)
        return self.binary("div", total, self.from_numpy(div.astype(x.dtype)), dt)

    def avg_pool2d_backward(self, grad, input_shape, kernel, stride, padding, count_include_pad, divisor):
        """The adjoint of avg_pool2d: grad (*, oh, ow) / divisor spread over each window."""
        dt = _dt(grad)
        (oh, ow), (h, w) = grad.shape[-2:], input_shape[-2:]
        div = self._avg_divisors((h, w), kernel, stride, padding, (oh, ow), count_include_pad, divisor)
        share = self.binary("div", grad, self.from_numpy(div.astype(grad.dtype)), dt)
        extent = tuple((grad.shape[-2 + k] - 1) * stride[k] + kernel[k] for k in range(2))
        dxp = self._padded(self.zeros(tuple(input_shape), dt), padding, extent, 0)
        for _, _, di, dj in self._positions(kernel, (1, 1)):
            region = (Ellipsis, _window(di, stride[0], oh), _window(dj, stride[1], ow))
            self.setitem(dxp, region, self.binary("add", self.getitem(dxp, region), share, dt))
        ph, pw = padding
        return self.copy(self.getitem(dxp, (Ellipsis, slice(ph, ph + h), slice(pw, pw + w))))

    # ----- padding and interpolation ---------------------------------------------------
    def index_add(self, out, dim: int, index, src) -> None:
        """In place: out[..., index[j], ...] += src[..., j, ...] along dim, repeated indices
        accumulating (index: int64 (L,), src: out's shape with L along dim). The backward of
        the gathers of reflection/replication padding and interpolation."""
        self.index_put_add(out, (slice(None),) * dim + (index,), src)

    # ----- batch norm -------------------------------------------------------------------
    def _channel_dims(self, x):
        return (0,) + tuple(range(2, x.ndim)), (1, x.shape[1]) + (1,) * (x.ndim - 2)

    def batch_norm_stats(self, x):
        """(mean, biased var) per channel of x (N, C, *), in x's dtype (accumulated in float64)."""
        dims, shape = self._channel_dims(x)
        count = x.size // x.shape[1]
        x64 = self.astype(x, _float64)
        mean = self.binary("div", self.reduce("sum", x64, dims, True, _float64), count, _float64)
        centred = self.binary("sub", x64, mean, _float64)
        var = self.binary("div", self.reduce("sum", self.binary("mul", centred, centred, _float64), dims, False,
                                             _float64), count, _float64)
        return self.astype(self.reshape(mean, (x.shape[1],)), _dt(x)), self.astype(var, _dt(x))

    def batch_norm_apply(self, x, mean, invstd, weight, bias):
        """(x - mean) * invstd * weight + bias per channel of x (N, C, *)."""
        dt = _dt(x)
        _, shape = self._channel_dims(x)
        scale = invstd if weight is None else self.binary("mul", invstd, weight, dt)
        shift = self.binary("mul", self.binary("mul", mean, scale, dt), -1, dt)
        if bias is not None:
            shift = self.binary("add", bias, shift, dt)
        return self.binary("add", self.binary("mul", x, self.reshape(scale, shape), dt), self.reshape(shift, shape), dt)

    def batch_norm_backward(self, grad, x, mean, invstd, weight, training):
        """(grad_input, grad_weight, grad_bias) of batch_norm_apply; in training the batch
        statistics' own gradients are included."""
        dt = _dt(x)
        dims, shape = self._channel_dims(x)
        count = x.size // x.shape[1]
        mul, sub = (lambda a, b: self.binary("mul", a, b, dt)), (lambda a, b: self.binary("sub", a, b, dt))
        inv = self.reshape(invstd, shape)
        xhat = mul(sub(x, self.reshape(mean, shape)), inv)
        grad_bias = self.reduce("sum", grad, dims, False, dt)
        grad_weight = self.reduce("sum", mul(grad, xhat), dims, False, dt)
        scale = inv if weight is None else mul(inv, self.reshape(weight, shape))
        if training:
            g = sub(sub(grad, self.binary("div", self.reshape(grad_bias, shape), count, dt)),
                    mul(xhat, self.binary("div", self.reshape(grad_weight, shape), count, dt)))
        else:
            g = grad
        return mul(g, scale), grad_weight, grad_bias

    def batch_norm_update_stats(self, running_mean, running_var, mean, var, momentum, count):
        """In place: running = (1 - momentum) * running + momentum * batch stat (var unbiased)."""
        dt = _dt(running_mean)
        unbiased = self.binary("mul", var, count / (count - 1), dt)
        for running, stat in ((running_mean, mean), (running_var, unbiased)):
            moved = self.binary("add", self.binary("mul", stat, momentum, dt),
                                self.binary("mul", running, 1 - momentum, dt), dt)
            self.copy_into(running, moved)
