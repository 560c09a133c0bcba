"""The nn entries of the CPU op table (a mixin of CPUBackend): softmax family, NLL loss,
GELU, leaky ReLU, dropout. Raw NumPy arrays in and out; kernels in nn_kernels.py."""
import math

import numpy as np

from . import activation_kernels, grid_kernels, nn_kernels, norm_kernels, rnn_kernels
from .kernels import flat as _flat, index_add_rows
from .parallel import threads_for


_KERNEL_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _rows(a: np.ndarray, dim: int) -> tuple[np.ndarray, tuple]:
    """a with dim moved last, as a C-contiguous (rows, size) array, and the moved shape."""
    if a.ndim and dim in (-1, a.ndim - 1):  # the usual case: no axis to move (np.moveaxis
        # costs ~6 µs a call, a tenth of a small MLP's log_softmax forward + backward)
        moved = a
    else:
        moved = np.moveaxis(a, dim, -1) if a.ndim else a.reshape(1)
    # (rows, size) spelled out, not (-1, size): either may be 0
    return np.ascontiguousarray(moved).reshape(math.prod(moved.shape[:-1]), moved.shape[-1]), moved.shape


def _unrows(out: np.ndarray, moved_shape: tuple, dim: int) -> np.ndarray:
    if len(moved_shape) and dim in (-1, len(moved_shape) - 1):
        return out.reshape(moved_shape)
    return np.moveaxis(out.reshape(moved_shape), -1, dim)


# Where the one-pass activation kernels beat the composed defaults (measured with
# benchmarks/bench_activations.py): always in float64, whose exp/log NumPy computes one element
# at a time here too; in float32 only where they avoid log1p and tanh (NumPy's float32 exp is
# vectorised, numba's calls of libm are not: the one-pass silu and mish forward are slower).
_ONE_PASS_F32 = {"softplus_backward", "elu", "elu_backward"}


def _one_pass(name: str, x: np.ndarray, grad: np.ndarray | None = None) -> bool:
    if grad is not None and grad.dtype != x.dtype:
        return False
    return x.dtype == np.float64 or (x.dtype == np.float32 and name in _ONE_PASS_F32)


class NnOps:
    """Op-table methods for the nn layers and losses."""

    def log_softmax(self, x, dim: int):
        rows, moved = _rows(x, dim)
        out = np.empty_like(rows)
        if rows.size:
            nn_kernels.log_softmax_rows(rows, out)
        return np.ascontiguousarray(_unrows(out, moved, dim))

    def log_softmax_backward(self, grad, logp, dim: int):
        g, moved = _rows(grad, dim)
        out = np.empty_like(g)
        if g.size:
            nn_kernels.log_softmax_backward_rows(g, _rows(logp, dim)[0], out)
        return np.ascontiguousarray(_unrows(out, moved, dim))

    def softmax(self, x, dim: int):
        rows, moved = _rows(x, dim)
        out = np.empty_like(rows)
        if rows.size:
            nn_kernels.softmax_rows(rows, out)
        return np.ascontiguousarray(_unrows(out, moved, dim))

    def softmax_backward(self, grad, y, dim: int):
        g, moved = _rows(grad, dim)
        out = np.empty_like(g)
        if g.size:
            nn_kernels.softmax_backward_rows(g, _rows(y, dim)[0], out)
        return np.ascontiguousarray(_unrows(out, moved, dim))

    def nll_forward(self, logp, target, weight, ignore_index: int):
        """Per-row losses of a (N, C) array, their sum, the weight sum, and the first bad row (-1 if none)."""
        losses = np.empty(logp.shape[0], logp.dtype)
        w = np.empty(0, logp.dtype) if weight is None else np.ascontiguousarray(weight, logp.dtype)
        total, weight_sum, bad = nn_kernels.nll_forward(
            np.ascontiguousarray(logp), np.ascontiguousarray(target, np.int64), w, ignore_index, losses)
        return losses, total, weight_sum, bad

    def nll_backward(self, grad_per_row, target, weight, ignore_index: int, shape, dtype):
        out = np.zeros(shape, dtype.np)
        w = np.empty(0, dtype.np) if weight is None else np.ascontiguousarray(weight, dtype.np)
        nn_kernels.nll_backward(np.ascontiguousarray(grad_per_row, dtype.np),
                                np.ascontiguousarray(target, np.int64), w, ignore_index, out)
        return out

    # The reduced NLL of the interface, on the host directly: the default composes it from
    # table calls (full, div, astype, reshape, expand: 30 µs of a 0.85 ms MLP step); the
    # arithmetic is the default's (the scale divided in the loss's dtype), so are the bits.
    def nll_loss_reduced(self, logp, target, weight, ignore_index: int, mean: bool):
        _, total, weight_sum, bad = self.nll_forward(logp, target, weight, ignore_index)
        if bad >= 0:
            raise IndexError(f"Target {int(np.asarray(target).reshape(-1)[bad])} is out of bounds.")
        if mean:
            total = total / weight_sum if weight_sum else float("nan")
        return np.array(total, logp.dtype), np.array(weight_sum, np.float64)

    def nll_backward_reduced(self, grad, weight_sum, target, weight, ignore_index: int, mean: bool,
                             shape, dtype):
        scale = np.asarray(grad, dtype.np)
        if mean:
            scale = np.divide(scale, np.asarray(weight_sum, dtype.np), dtype=dtype.np)
        return self.nll_backward(np.full(shape[0], scale, dtype.np), target, weight, ignore_index, shape, dtype)

    def gelu(self, x, tanh_approx: bool):
        out = np.empty(x.shape, x.dtype)
        fn = nn_kernels.gelu_parallel if threads_for("gelu", x.size) > 1 else nn_kernels.gelu
        fn(_flat(x), out.reshape(-1), tanh_approx)
        return out

    def gelu_backward(self, grad, x, tanh_approx: bool):
        out = np.empty(x.shape, grad.dtype)
        fn = nn_kernels.gelu_backward_parallel if threads_for("gelu", x.size) > 1 else nn_kernels.gelu_backward
        fn(_flat(grad), _flat(x), out.reshape(-1), tanh_approx)
        return out

    def leaky_relu(self, x, slope: float):
        out = np.empty(x.shape, x.dtype)
        fn = nn_kernels.leaky_relu_parallel if threads_for("leaky_relu", x.size) > 1 else nn_kernels.leaky_relu
        fn(_flat(x), out.reshape(-1), x.dtype.type(slope))
        return out

    def leaky_relu_backward(self, grad, x, slope: float):
        out = np.empty(x.shape, grad.dtype)
        fn = (nn_kernels.leaky_relu_backward_parallel if threads_for("leaky_relu", x.size) > 1
              else nn_kernels.leaky_relu_backward)
        fn(_flat(grad), _flat(x), out.reshape(-1), grad.dtype.type(slope))
        return out

    # ----- the smooth activations in one pass, where that pays (see _one_pass) -----------------
    def silu(self, x):
        if not _one_pass("silu", x):
            return super().silu(x)
        out = np.empty(x.shape, x.dtype)
        activation_kernels.silu(_flat(x), out.reshape(-1))
        return out

    def silu_backward(self, grad, x):
        if not _one_pass("silu_backward", x, grad):
            return super().silu_backward(grad, x)
        out = np.empty(x.shape, x.dtype)
        activation_kernels.silu_backward(_flat(grad), _flat(x), out.reshape(-1))
        return out

    def mish(self, x):
        if not _one_pass("mish", x):
            return super().mish(x)
        out = np.empty(x.shape, x.dtype)
        activation_kernels.mish(_flat(x), out.reshape(-1))
        return out

    def mish_backward(self, grad, x):
        if not _one_pass("mish_backward", x, grad):
            return super().mish_backward(grad, x)
        out = np.empty(x.shape, x.dtype)
        activation_kernels.mish_backward(_flat(grad), _flat(x), out.reshape(-1))
        return out

    def softplus(self, x, beta: float, threshold: float):
        if not _one_pass("softplus", x):
            return super().softplus(x, beta, threshold)
        out = np.empty(x.shape, x.dtype)
        activation_kernels.softplus(_flat(x), out.reshape(-1), x.dtype.type(beta), x.dtype.type(threshold))
        return out

    def softplus_backward(self, grad, x, beta: float, threshold: float):
        if not _one_pass("softplus_backward", x, grad):
            return super().softplus_backward(grad, x, beta, threshold)
        out = np.empty(x.shape, x.dtype)
        activation_kernels.softplus_backward(_flat(grad), _flat(x), out.reshape(-1), x.dtype.type(beta),
                                             x.dtype.type(threshold))
        return out

    def elu(self, x, negcoef: float, poscoef: float, negiptcoef: float):
        if not _one_pass("elu", x):
            return super().elu(x, negcoef, poscoef, negiptcoef)
        out = np.empty(x.shape, x.dtype)
        t = x.dtype.type
        activation_kernels.elu(_flat(x), out.reshape(-1), t(negcoef), t(poscoef), t(negiptcoef))
        return out

    def elu_backward(self, grad, x, negcoef: float, poscoef: float, negiptcoef: float, is_result: bool):
        if not _one_pass("elu_backward", x, grad):
            return super().elu_backward(grad, x, negcoef, poscoef, negiptcoef, is_result)
        out = np.empty(x.shape, x.dtype)
        t = x.dtype.type
        activation_kernels.elu_backward(_flat(grad), _flat(x), out.reshape(-1), t(negcoef), t(poscoef),
                                        t(negiptcoef), bool(is_result))
        return out

    def dropout(self, x, uniform, keep_prob: float, scale: float):
        """(x * mask * scale, mask) with mask = uniform < keep_prob, in one pass."""
        out = np.empty(x.shape, x.dtype)
        mask = np.empty(x.shape, np.bool_)
        fn = nn_kernels.dropout_parallel if threads_for("dropout", x.size) > 1 else nn_kernels.dropout
        fn(_flat(x), _flat(uniform), keep_prob, x.dtype.type(scale), out.reshape(-1), mask.reshape(-1))
        return out, mask

    def masked_scale(self, grad, mask, scale: float):
        out = np.empty(grad.shape, grad.dtype)
        fn = nn_kernels.masked_scale_parallel if threads_for("masked_scale", grad.size) > 1 else nn_kernels.masked_scale
        fn(_flat(grad), _flat(mask), grad.dtype.type(scale), out.reshape(-1))
        return out

    def embedding_backward(self, grad, indices, num_weights: int, padding_idx: int):
        """Sum the rows of grad into a (num_weights, dim) array at indices (skipping padding_idx)."""
        dim = grad.shape[-1]
        out = np.zeros((num_weights, dim), grad.dtype)
        idx = np.ascontiguousarray(indices, np.int64).reshape(-1)
        rows = np.ascontiguousarray(grad, grad.dtype).reshape(-1, dim)
        if padding_idx is not None:
            keep = idx != padding_idx
            idx, rows = idx[keep], rows[keep]
        index_add_rows(out, idx, np.ascontiguousarray(rows))
        return out

    def grid_sample_plan(self, grid, sizes: tuple, mode: int, padding: int, align_corners: bool,
                         with_deriv: bool = True):
        g = np.ascontiguousarray(grid, np.float64)
        n, points, d = g.shape
        taps = {0: 2, 1: 1, 2: 4}[mode] ** d
        index = np.empty((n, taps, points), np.int64)
        weight = np.empty((n, taps, points))
        deriv = np.empty((d, n, taps, points) if with_deriv else (d, 0, 0, 0))
        if g.size:
            grid_kernels.tap_plan(g, np.asarray(sizes, np.int64), mode, padding, bool(align_corners),
                                  index, weight, deriv, bool(with_deriv))
        return index, weight, deriv if with_deriv else None

    def grid_sample_gather(self, x, index, weight):
        x, index = np.ascontiguousarray(x), np.ascontiguousarray(index, np.int64)
        out = np.zeros((x.shape[0], x.shape[1], index.shape[2]), x.dtype)
        if out.size and index.shape[1]:
            grid_kernels.tap_gather(x, index, np.ascontiguousarray(weight, x.dtype), out)
        return out

    def grid_sample_scatter(self, grad, index, weight, length: int):
        grad, index = np.ascontiguousarray(grad), np.ascontiguousarray(index, np.int64)
        out = np.zeros((grad.shape[0], grad.shape[1], length), grad.dtype)
        if grad.size and index.shape[1]:
            grid_kernels.tap_scatter(grad, index, np.ascontiguousarray(weight, grad.dtype), out)
        return out

    def grid_sample_weight_grad(self, grad, x, index):
        index = np.ascontiguousarray(index, np.int64)
        out = np.zeros(index.shape, np.float64)
        if out.size and x.shape[1]:
            grid_kernels.tap_weight_grad(np.ascontiguousarray(grad), np.ascontiguousarray(x), index, out)
        return out

    def embedding_bag_sum(self, weight, index, bag, scale, num_bags: int):
        weight = np.ascontiguousarray(weight)
        out = np.zeros((num_bags, weight.shape[1]), weight.dtype)
        use_scale = scale is not None
        scale = np.ascontiguousarray(scale, weight.dtype) if use_scale else np.zeros(1, weight.dtype)
        if index.size and out.size:
            grid_kernels.bag_sum(weight, np.ascontiguousarray(index, np.int64), np.ascontiguousarray(bag, np.int64),
                                 scale, use_scale, out)
        return out

    def embedding_bag_max(self, weight, index, bag, num_bags: int):
        weight = np.ascontiguousarray(weight)
        out = np.zeros((num_bags, weight.shape[1]), weight.dtype)
        argmax = np.full(out.shape, -1, np.int64)
        if index.size and out.size:
            grid_kernels.bag_max(weight, np.ascontiguousarray(index, np.int64), np.ascontiguousarray(bag, np.int64),
                                 out, argmax)
        return out, argmax

    def layer_norm(self, x, weight, bias, eps: float):
        """(out, mean, rstd) of each row of x (rows, n), one kernel pass per row (norm_kernels)."""
        if x.dtype not in _KERNEL_FLOATS:
            return super().layer_norm(x, weight, bias, eps)
        rows = np.ascontiguousarray(x)
        out = np.empty_like(rows)
        mean = np.empty(rows.shape[0])
        rstd = np.empty(rows.shape[0])
        norm_kernels.layer_norm_rows(rows, _vector(weight, rows.dtype), _vector(bias, rows.dtype), eps, out,
                                     mean, rstd)
        return out, mean, rstd

    def layer_norm_backward(self, grad, x, mean, rstd, weight):
        """(grad_x, grad_weight, grad_bias) of layer_norm for grad (rows, n), one pass per row."""
        if x.dtype not in _KERNEL_FLOATS:
            return super().layer_norm_backward(grad, x, mean, rstd, weight)
        rows = np.ascontiguousarray(x)
        g = np.ascontiguousarray(grad, rows.dtype)
        grad_x = np.empty_like(rows)
        grad_w = np.zeros(rows.shape[1])
        grad_b = np.zeros(rows.shape[1])
        norm_kernels.layer_norm_backward_rows(g, rows, mean, rstd, _vector(weight, rows.dtype), grad_x, grad_w,
                                              grad_b)
        return grad_x, grad_w.astype(rows.dtype), grad_b.astype(rows.dtype)

    def lstm_gates_backward(self, dh, dc, i, f, g, o, tc, c_prev):
        """(d gate pre-activations [i|f|g|o] (bs, 4H), d c_prev (bs, H)) of one LSTM step."""
        args = [np.ascontiguousarray(a) for a in (dh, dc, i, f, g, o, tc, c_prev)]
        bs, hidden = args[0].shape
        dgates, dc_prev = np.empty((bs, 4 * hidden), args[0].dtype), np.empty((bs, hidden), args[0].dtype)
        rnn_kernels.lstm_gates_backward(*args, dgates, dc_prev)
        return dgates, dc_prev

    def gru_gates_backward(self, dh, h_prev, r, z, n, gh_n):
        """(d input-side pre-activations [r|z|n], d hidden-side ones, h's direct share) of one GRU step."""
        args = [np.ascontiguousarray(a) for a in (dh, h_prev, r, z, n, gh_n)]
        bs, hidden = args[0].shape
        dgx, dgh = np.empty((bs, 3 * hidden), args[0].dtype), np.empty((bs, 3 * hidden), args[0].dtype)
        dh_direct = np.empty((bs, hidden), args[0].dtype)
        rnn_kernels.gru_gates_backward(*args, dgx, dgh, dh_direct)
        return dgx, dgh, dh_direct


def _vector(t, dtype) -> np.ndarray:
    """A weight/bias as a flat array of dtype (empty for None: the kernels skip it)."""
    return np.empty(0, dtype) if t is None else np.ascontiguousarray(t, dtype).reshape(-1)
