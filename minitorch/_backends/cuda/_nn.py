"""CUDA nn ops: softmax family, NLL loss, GELU, leaky ReLU, dropout, embedding backward.

The methods and their contracts are the CPU table's (_backends/cpu/nn_ops.py); the
kernels are _nn_kernels.py. The softmax dim is moved last in the metadata only
(``_row_layout``), so any dim of any strided input works without a copy. NLL's loss and
weight totals come back to the host (three numbers), because the op table's contract
returns them as Python numbers; ``nll_loss_reduced`` / ``nll_backward_reduced`` keep the
reduced loss, its scale and the bad-target check on the device.
"""
from __future__ import annotations

import numpy as np

from ._array import CudaArray, read
from ._launch import (MAX_BLOCKS, THREADS, broadcast_strides, check_device, collapse, launch,
                      launch_blocks, size_of)
from ._nn_kernels import (k_dropout, k_embedding_backward, k_gelu, k_gelu_backward, k_leaky_relu,
                          k_leaky_relu_backward, k_log_softmax, k_log_softmax_backward, k_masked_scale,
                          k_nll_backward, k_nll_backward_reduced, k_nll_forward, k_nll_reduced,
                          k_nll_totals, k_softmax, k_softmax_backward)
from . import _device_errors


def _row_layout(shape, dim, *operands):
    """(other-dims shape, [other strides per operand], [dim stride per operand], rows, L)."""
    other = tuple(n for d, n in enumerate(shape) if d != dim)
    strides = [tuple(s for d, s in enumerate(a.estrides) if d != dim) for a in operands]
    cs, css = collapse(other, *strides)
    return cs, css, [a.estrides[dim] for a in operands], size_of(other), shape[dim]


def _flat_geometry(shape, *operands):
    """(collapsed shape, [strides per operand], all contiguous) for elementwise kernels;
    operands are broadcast to shape."""
    cs, css = collapse(shape, *[broadcast_strides(a, shape) for a in operands])
    flat = len(cs) == 1 and all(s == (1,) for s in css)
    return cs, css, flat


def _rows_as_vector(a):
    """A 0-d array as a 1-element 1-d view (softmax of one element)."""
    return a if a.ndim else a.view_as((1,), (1,), a.offset)


class NnOps:
    """The nn part of the CUDA op table (same names and contracts as the CPU's NnOps)."""

    # ----- softmax family ------------------------------------------------------------
    def _half_as_float(self, a):
        from ._table import _Dt
        return self.astype(a, _Dt(np.float32)) if a.dtype == np.float16 else a

    def _back_to(self, out, np_dtype):
        from ._table import _Dt
        return self.astype(out, _Dt(np_dtype)) if out.dtype != np_dtype else out

    def _row_forward(self, kernel, x, dim):
        check_device(x)
        dtype = x.dtype
        x = self._half_as_float(_rows_as_vector(x))
        out = CudaArray.empty(x.shape, x.dtype)
        cs, (ost, xst), (osd, xsd), rows, L = _row_layout(x.shape, dim, out, x)
        if rows and L:
            launch_blocks(kernel, min(rows, MAX_BLOCKS), THREADS, out.buf, out.offset, ost, osd,
                          x.buf, x.offset, xst, xsd, cs, rows, L)
        return self._back_to(out, dtype)

    def _row_backward(self, kernel, grad, saved, dim):
        check_device(grad, saved)
        dtype = grad.dtype
        shape = saved.shape
        grad = self._half_as_float(_rows_as_vector(grad))
        saved = self._half_as_float(_rows_as_vector(saved))
        if saved.dtype != grad.dtype:
            from ._table import _Dt
            saved = self.astype(saved, _Dt(grad.dtype))
        if grad.shape != saved.shape:
            grad = grad.view_as(saved.shape, broadcast_strides(grad, saved.shape), grad.offset)
        out = CudaArray.empty(saved.shape, grad.dtype)
        cs, (ost, gst, sst), (osd, gsd, ssd), rows, L = _row_layout(saved.shape, dim, out, grad, saved)
        if rows and L:
            launch_blocks(kernel, min(rows, MAX_BLOCKS), THREADS, out.buf, out.offset, ost, osd,
                          grad.buf, grad.offset, gst, gsd, saved.buf, saved.offset, sst, ssd, cs, rows, L)
        out = self._back_to(out, dtype)
        return out if len(shape) else out.view_as((), (), out.offset)

    def log_softmax(self, x, dim: int):
        out = self._row_forward(k_log_softmax, x, dim)
        return out if x.ndim else out.view_as((), (), out.offset)

    def log_softmax_backward(self, grad, logp, dim: int):
        return self._row_backward(k_log_softmax_backward, grad, logp, dim)

    def softmax(self, x, dim: int):
        out = self._row_forward(k_softmax, x, dim)
        return out if x.ndim else out.view_as((), (), out.offset)

    def softmax_backward(self, grad, y, dim: int):
        return self._row_backward(k_softmax_backward, grad, y, dim)

    # ----- NLL -----------------------------------------------------------------------
    def _weight_operand(self, weight, np_dtype, placeholder):
        """(array, stride, has_weight): the class weights cast to np_dtype, or the
        placeholder. The caller passes the returned array's own buffer to its kernel, so a
        cast temporary stays alive (out of the pool) until that kernel is queued."""
        if weight is None:
            return placeholder, 0, False
        check_device(weight)
        if weight.dtype != np_dtype:
            from ._table import _Dt
            weight = self.astype(weight, _Dt(np_dtype))
        return weight, weight.estrides[0], True

    def nll_forward(self, logp, target, weight, ignore_index: int):
        """Per-row losses of a (N, C) array, their sum, the weight sum, and the first bad
        row (-1 if none). The two sums and the row come to the host (one 3-number copy:
        the op table's contract returns Python numbers; nll_loss_reduced does not).
        An out-of-range target raises the CPU caller's IndexError here (the caller's
        message reads the target through NumPy indexing, which a CudaArray has not)."""
        check_device(logp, target)
        n, c = logp.shape
        losses = CudaArray.empty((n,), logp.dtype)
        if n == 0:
            return losses, 0.0, 0.0, -1
        w, ws, has_w = self._weight_operand(weight, logp.dtype, logp)
        blocks = min((n + THREADS - 1) // THREADS, MAX_BLOCKS)
        partial = CudaArray.empty((2 * blocks,), np.float64)
        bad = CudaArray.empty((1,), np.int64)
        self.fill(bad, n)
        res = CudaArray.empty((3,), np.float64)
        launch_blocks(k_nll_forward, blocks, THREADS, losses.buf, logp.buf, logp.offset,
                      logp.estrides[0], logp.estrides[1], target.buf, target.offset, target.estrides[0],
                      w.buf, w.offset, ws, has_w, int(ignore_index), c, n, partial.buf, bad.buf)
        launch_blocks(k_nll_totals, 1, THREADS, partial.buf, blocks, bad.buf, res.buf)
        total, weight_sum, row = read(res, 0, 3).tolist()
        row = int(row)
        if row < n:
            value = self.to_numpy(target.view_as((), (), target.offset + row * target.estrides[0]))
            raise IndexError(f"Target {int(value)} is out of bounds.")
        return losses, total, weight_sum, -1

    def nll_loss_reduced(self, logp, target, weight, ignore_index: int, mean: bool):
        """The reduced NLL loss of (N, C) log-probabilities with no host round trip: (a 0-d
        array of logp's dtype holding the sum, or the weighted mean when mean, and a 0-d
        float64 array holding the weight total, for nll_backward_reduced). One launch. An
        out-of-range target is a device-side assert: IndexError at the next sync point
        (``.item()``, ``.cpu()``, printing, ``minitorch.cuda.synchronize()``), as
        PyTorch's CUDA kernels report it asynchronously."""
        check_device(logp, target)
        n, c = logp.shape
        out = CudaArray.empty((), logp.dtype)
        wsum = CudaArray.empty((), np.float64)
        losses = CudaArray.empty((max(n, 1),), logp.dtype)
        w, ws, has_w = self._weight_operand(weight, logp.dtype, logp)
        err = _device_errors.flag()
        launch_blocks(k_nll_reduced, 1, THREADS, out.buf, wsum.buf, err.buf, losses.buf, logp.buf,
                      logp.offset, logp.estrides[0], logp.estrides[1], target.buf, target.offset,
                      target.estrides[0] if target.ndim else 0, w.buf, w.offset, ws, has_w,
                      int(ignore_index), c, n, bool(mean))
        _device_errors.expect("nll")
        return out, wsum

    def nll_backward_reduced(self, grad, weight_sum, target, weight, ignore_index: int, mean: bool,
                             shape, dtype):
        """The (N, C) gradient of nll_loss_reduced's loss for an upstream 0-d grad, in one
        launch and without a host copy (the mean's scale is computed on the device)."""
        check_device(grad, weight_sum, target)
        np_dtype = dtype.np
        out = CudaArray.empty(shape, np_dtype)
        if grad.dtype != np_dtype:
            from ._table import _Dt
            grad = self.astype(grad, _Dt(np_dtype))
        w, ws, has_w = self._weight_operand(weight, np_dtype, out)
        n, c = shape
        launch(k_nll_backward_reduced, n * c, out.buf, c, grad.buf, grad.offset, weight_sum.buf, bool(mean),
               target.buf, target.offset, target.estrides[0] if target.ndim else 0, w.buf, w.offset, ws,
               has_w, int(ignore_index), n * c)
        return out

    def nll_backward(self, grad_per_row, target, weight, ignore_index: int, shape, dtype):
        check_device(grad_per_row, target)
        np_dtype = dtype.np
        out = CudaArray.empty(shape, np_dtype)
        self.fill(out, 0)
        n, c = shape
        if n == 0:
            return out
        if grad_per_row.dtype != np_dtype:
            from ._table import _Dt
            grad_per_row = self.astype(grad_per_row, _Dt(np_dtype))
        w, ws, has_w = self._weight_operand(weight, np_dtype, out)
        gs = grad_per_row.estrides[0] if grad_per_row.ndim else 0
        launch(k_nll_backward, n, out.buf, c, grad_per_row.buf, grad_per_row.offset, gs,
               target.buf, target.offset, target.estrides[0], w.buf, w.offset, ws, has_w, int(ignore_index), n)
        return out

    # ----- elementwise ---------------------------------------------------------------
    def _unary_nn(self, kernel, x, *scalars):
        check_device(x)
        dtype = x.dtype
        x = self._half_as_float(x)
        out = CudaArray.empty(x.shape, x.dtype)
        cs, (xst,), flat = _flat_geometry(x.shape, x)
        launch(kernel, out.size, out.buf, x.buf, x.offset, xst, flat, cs, out.size, *scalars)
        return self._back_to(out, dtype)

    def _binary_nn(self, kernel, grad, x, *scalars):
        """kernel(grad, x) into a new array of grad's dtype and x's shape."""
        check_device(grad, x)
        dtype = grad.dtype
        grad = self._half_as_float(grad)
        x = self._half_as_float(x)
        out = CudaArray.empty(x.shape, grad.dtype)
        cs, (gst, xst), flat = _flat_geometry(x.shape, grad, x)
        launch(kernel, out.size, out.buf, grad.buf, grad.offset, gst, x.buf, x.offset, xst, flat, cs,
               out.size, *scalars)
        return self._back_to(out, dtype)

    def gelu(self, x, tanh_approx: bool):
        return self._unary_nn(k_gelu, x, bool(tanh_approx))

    def gelu_backward(self, grad, x, tanh_approx: bool):
        return self._binary_nn(k_gelu_backward, grad, x, bool(tanh_approx))

    def leaky_relu(self, x, slope: float):
        work = np.float32 if x.dtype == np.float16 else x.dtype.type
        return self._unary_nn(k_leaky_relu, x, work(slope))

    def leaky_relu_backward(self, grad, x, slope: float):
        work = np.float32 if grad.dtype == np.float16 else grad.dtype.type
        return self._binary_nn(k_leaky_relu_backward, grad, x, work(slope))

    def dropout(self, x, uniform, keep_prob: float, scale: float):
        """(x * mask * scale, mask) with mask = uniform < keep_prob, in one pass."""
        check_device(x, uniform)
        dtype = x.dtype
        x = self._half_as_float(x)
        out = CudaArray.empty(x.shape, x.dtype)
        mask = CudaArray.empty(x.shape, np.bool_)
        cs, (xst, ust), flat = _flat_geometry(x.shape, x, uniform)
        t = x.dtype.type
        launch(k_dropout, out.size, out.buf, mask.buf, x.buf, x.offset, xst, uniform.buf, uniform.offset,
               ust, flat, cs, out.size, float(keep_prob), t(scale), t(0))
        return self._back_to(out, dtype), mask

    def masked_scale(self, grad, mask, scale: float):
        check_device(grad, mask)
        dtype = grad.dtype
        grad = self._half_as_float(grad)
        out = CudaArray.empty(grad.shape, grad.dtype)
        cs, (gst, mst), flat = _flat_geometry(grad.shape, grad, mask)
        t = grad.dtype.type
        launch(k_masked_scale, out.size, out.buf, grad.buf, grad.offset, gst, mask.buf, mask.offset, mst,
               flat, cs, out.size, t(scale), t(0))
        return self._back_to(out, dtype)

    def embedding_backward(self, grad, indices, num_weights: int, padding_idx: int):
        """Sum the rows of grad into a (num_weights, dim) array at indices (skipping
        padding_idx): an atomic scatter-add, one thread per gradient element."""
        check_device(grad, indices)
        dim = grad.shape[-1]
        dtype = grad.dtype
        grad = self._half_as_float(grad)
        out = CudaArray.empty((num_weights, dim), grad.dtype)
        self.fill(out, 0)
        n = grad.size
        if n:
            gshape, (gst,) = collapse(grad.shape, grad.estrides)
            ishape, (ist,) = collapse(indices.shape, indices.estrides)
            launch(k_embedding_backward, n, out.buf, dim, grad.buf, grad.offset, gshape, gst,
                   indices.buf, indices.offset, ishape, ist, -1 if padding_idx is None else int(padding_idx), n)
        return self._back_to(out, dtype)

    # ----- random --------------------------------------------------------------------
    def random_uniform(self, shape, dtype, low: float, high: float, generator=None):
        """U[low, high) of dtype from the device generator (_backends/cuda/_random.py, seeded by
        minitorch.manual_seed and minitorch.cuda.manual_seed); a CPU generator is refused."""
        from . import _random
        _check_generator(generator)
        return _random.uniform(tuple(shape), dtype.np, low, high)

    def random_normal(self, shape, dtype, mean: float, std: float, generator=None):
        """N(mean, std^2) of dtype from the device generator."""
        from . import _random
        _check_generator(generator)
        return _random.normal(tuple(shape), dtype.np, mean, std)


def _check_generator(generator) -> None:
    if generator is not None:
        raise RuntimeError("Expected a 'cuda' device type for generator but found 'cpu'")
