"""Defaults of the nn extras of the backend interface, composed from the core (see base.py):
softmax and log-softmax with their backwards, NLL, GELU, leaky ReLU, dropout, the embedding's
backward, layer norm and the recurrent layers' gate gradients. Raw arrays in and out."""
from __future__ import annotations

import math

import numpy as np

from ..dtypes import FROM_NP, float64 as _float64
from . import grid_taps_host


def _dt(a):
    return FROM_NP[a.dtype]


class NnDefaults:
    """Mixin of Backend: the nn extras."""

    # ----- softmax family ---------------------------------------------------------------
    def _shifted(self, x, dim: int):
        """x minus its max along dim (a row whose max is infinite is not shifted)."""
        dt = _dt(x)
        top = self.reduce("amax", x, (dim,), True)
        top = self.where(self.unary("isinf", top), 0, top, dt)
        return self.binary("sub", x, top, dt)

    def log_softmax(self, x, dim: int):
        dt = _dt(x)
        shifted = self._shifted(x, dim)
        total = self.reduce("sum", self.unary("exp", shifted), (dim,), True, dt)
        return self.binary("sub", shifted, self.unary("log", total), dt)

    def log_softmax_backward(self, grad, logp, dim: int):
        """grad - softmax * sum(grad) along dim."""
        dt = _dt(grad)
        total = self.reduce("sum", grad, (dim,), True, dt)
        return self.binary("sub", grad, self.binary("mul", self.unary("exp", logp), total, dt), dt)

    def softmax(self, x, dim: int):
        dt = _dt(x)
        e = self.unary("exp", self._shifted(x, dim))
        return self.binary("div", e, self.reduce("sum", e, (dim,), True, dt), dt)

    def softmax_backward(self, grad, y, dim: int):
        """y * (grad - sum(grad * y)) along dim."""
        dt = _dt(grad)
        total = self.reduce("sum", self.binary("mul", grad, y, dt), (dim,), True, dt)
        return self.binary("mul", y, self.binary("sub", grad, total, dt), dt)

    # ----- negative log-likelihood ------------------------------------------------------
    def nll_forward(self, logp, target, weight, ignore_index: int):
        """(per-row losses, their sum, the weight sum, the first bad row or -1) of a (N, C)
        array (host)."""
        lp, t = self.to_numpy(logp), self.to_numpy(target).astype(np.int64)
        n, c = lp.shape
        bad = np.flatnonzero((t != ignore_index) & ((t < 0) | (t >= c)))
        if bad.size:
            return self.from_numpy(np.zeros(n, lp.dtype)), 0.0, 0.0, int(bad[0])
        kept = t != ignore_index
        safe = np.where(kept, t, 0)
        w = np.ones(c, lp.dtype) if weight is None else self.to_numpy(weight).astype(lp.dtype)
        row_w = np.where(kept, w[safe], 0).astype(lp.dtype)
        losses = (-lp[np.arange(n), safe] * row_w).astype(lp.dtype)
        return self.from_numpy(losses), float(losses.sum(dtype=np.float64)), float(row_w.sum(dtype=np.float64)), -1

    def nll_backward(self, grad_per_row, target, weight, ignore_index: int, shape, dtype):
        """The (N, C) gradient: -w[t_i] * grad_per_row[i] at (i, t_i), 0 elsewhere (host)."""
        g, t = self.to_numpy(grad_per_row).astype(dtype.np), self.to_numpy(target).astype(np.int64)
        n, c = shape
        out = np.zeros(shape, dtype.np)
        kept = t != ignore_index
        w = np.ones(c, dtype.np) if weight is None else self.to_numpy(weight).astype(dtype.np)
        rows = np.flatnonzero(kept)
        out[rows, t[rows]] = -w[t[rows]] * np.broadcast_to(g, (n,))[rows]
        return self.from_numpy(out)

    def nll_loss_reduced(self, logp, target, weight, ignore_index: int, mean: bool):
        """(the summed or weighted-mean loss as a 0-d array, the weight total as a 0-d float64
        array); an out-of-range target raises IndexError here."""
        _, total, weight_sum, bad = self.nll_forward(logp, target, weight, ignore_index)
        if bad >= 0:
            value = int(self.to_numpy(target).reshape(-1)[bad])
            raise IndexError(f"Target {value} is out of bounds.")
        dtype = _dt(logp)
        if mean:
            total = total / weight_sum if weight_sum else float("nan")
        return self.full((), total, dtype), self.full((), weight_sum, _float64)

    def nll_backward_reduced(self, grad, weight_sum, target, weight, ignore_index: int, mean: bool,
                             shape, dtype):
        """The (N, C) gradient of nll_loss_reduced's loss for a 0-d upstream grad."""
        scale = self.binary("div", grad, self.astype(weight_sum, dtype), dtype) if mean else grad
        per_row = self.expand(self.reshape(scale, (1,)), (shape[0],))
        return self.nll_backward(per_row, target, weight, ignore_index, shape, dtype)

    # ----- activations ------------------------------------------------------------------
    def _gelu_parts(self, x, tanh_approx: bool):
        """(cdf, d cdf / dx) of GELU's Phi (or its tanh approximation) at x."""
        dt = _dt(x)
        mul, add = (lambda a, b: self.binary("mul", a, b, dt)), (lambda a, b: self.binary("add", a, b, dt))
        if not tanh_approx:
            cdf = mul(add(self.unary("erf", mul(x, 0.7071067811865476)), 1), 0.5)
            pdf = mul(self.unary("exp", mul(mul(x, x), -0.5)), 0.3989422804014327)
            return cdf, pdf
        beta, kappa = math.sqrt(2.0 / math.pi), 0.044715
        inner = mul(add(x, mul(mul(mul(x, x), x), kappa)), beta)
        t = self.unary("tanh", inner)
        cdf = mul(add(t, 1), 0.5)
        dinner = mul(add(mul(mul(x, x), 3 * kappa), 1), beta)
        return cdf, mul(mul(self.rbinary("sub", 1, mul(t, t), dt), dinner), 0.5)

    def gelu(self, x, tanh_approx: bool):
        cdf, _ = self._gelu_parts(x, tanh_approx)
        return self.binary("mul", x, cdf, _dt(x))

    def gelu_backward(self, grad, x, tanh_approx: bool):
        """grad * (cdf + x * cdf')."""
        dt = _dt(grad)
        cdf, slope = self._gelu_parts(x, tanh_approx)
        return self.binary("mul", grad, self.binary("add", cdf, self.binary("mul", x, slope, dt), dt), dt)

    def leaky_relu(self, x, slope: float):
        dt = _dt(x)
        return self.where(self.compare("gt", x, 0, dt), x, self.binary("mul", x, slope, dt), dt)

    def leaky_relu_backward(self, grad, x, slope: float):
        dt = _dt(grad)
        return self.where(self.compare("gt", x, 0, _dt(x)), grad, self.binary("mul", grad, slope, dt), dt)

    # ----- dropout and embedding --------------------------------------------------------
    def dropout(self, x, uniform, keep_prob: float, scale: float):
        """(x * mask * scale, mask) with mask = uniform < keep_prob."""
        mask = self.compare("lt", uniform, keep_prob, _dt(uniform))
        return self.masked_scale(x, mask, scale), mask

    def masked_scale(self, grad, mask, scale: float):
        dt = _dt(grad)
        return self.where(mask, self.binary("mul", grad, scale, dt), 0, dt)

    def embedding_backward(self, grad, indices, num_weights: int, padding_idx):
        """The rows of grad summed into a (num_weights, dim) array at indices, padding_idx
        skipped (host)."""
        g = self.to_numpy(grad)
        dim = g.shape[-1]
        idx = self.to_numpy(indices).astype(np.int64).reshape(-1)
        rows = g.reshape(-1, dim)
        if padding_idx is not None:
            keep = idx != padding_idx
            idx, rows = idx[keep], rows[keep]
        out = np.zeros((num_weights, dim), g.dtype)
        np.add.at(out, idx, rows)
        return self.from_numpy(out)

    # ----- layer norm -------------------------------------------------------------------
    def layer_norm(self, x, weight, bias, eps: float):
        """(out, mean, rstd) of x (rows, n) normalised per row (biased variance plus eps), then
        scaled by weight (n,) and shifted by bias (n,) when given; mean and rstd are float64 (rows,)."""
        dt = _dt(x)
        x64 = self.astype(x, _float64)
        mean = self.binary("div", self.reduce("sum", x64, (1,), True, _float64), x.shape[1], _float64)
        centred = self.binary("sub", x64, mean, _float64)
        var = self.binary("div", self.reduce("sum", self.binary("mul", centred, centred, _float64), (1,), True,
                                             _float64), x.shape[1], _float64)
        rstd = self.unary("rsqrt", self.binary("add", var, eps, _float64))
        out = self.astype(self.binary("mul", centred, rstd, _float64), dt)
        if weight is not None:
            out = self.binary("mul", out, weight, dt)
        if bias is not None:
            out = self.binary("add", out, bias, dt)
        rows = (x.shape[0],)
        return out, self.reshape(mean, rows), self.reshape(rstd, rows)

    def layer_norm_backward(self, grad, x, mean, rstd, weight):
        """(grad_x, grad_weight, grad_bias) of layer_norm for grad (rows, n)."""
        dt = _dt(x)
        n = x.shape[1]
        col = (x.shape[0], 1)
        mul, sub = (lambda a, b: self.binary("mul", a, b, _float64)), (lambda a, b: self.binary("sub", a, b, _float64))
        g, x64 = self.astype(grad, _float64), self.astype(x, _float64)
        r = self.reshape(rstd, col)
        xhat = mul(sub(x64, self.reshape(mean, col)), r)
        gw = g if weight is None else mul(g, self.astype(weight, _float64))
        mean_gw = self.binary("div", self.reduce("sum", gw, (1,), True, _float64), n, _float64)
        mean_gwx = self.binary("div", self.reduce("sum", mul(gw, xhat), (1,), True, _float64), n, _float64)
        grad_x = mul(r, sub(sub(gw, mean_gw), mul(xhat, mean_gwx)))
        grad_w = self.reduce("sum", mul(g, xhat), (0,), False, _float64)
        grad_b = self.reduce("sum", g, (0,), False, _float64)
        return self.astype(grad_x, dt), self.astype(grad_w, dt), self.astype(grad_b, dt)

    # ----- recurrent layers -------------------------------------------------------------
    def lstm_gates_backward(self, dh, dc, i, f, g, o, tc, c_prev):
        """One LSTM step's backward (i, f, g, o after their activations, tc = tanh(c)): the
        gradients of the gate pre-activations [i|f|g|o] (bs, 4H) and of the previous cell state."""
        dt = _dt(dh)
        mul, add = (lambda a, b: self.binary("mul", a, b, dt)), (lambda a, b: self.binary("add", a, b, dt))
        one_minus = lambda a: self.rbinary("sub", 1, a, dt)  # noqa: E731
        dc = add(dc, mul(mul(dh, o), one_minus(mul(tc, tc))))
        parts = [mul(mul(mul(dc, g), i), one_minus(i)), mul(mul(mul(dc, c_prev), f), one_minus(f)),
                 mul(mul(dc, i), one_minus(mul(g, g))), mul(mul(mul(dh, tc), o), one_minus(o))]
        return self.concatenate(parts, 1, dt), mul(dc, f)

    def gru_gates_backward(self, dh, h_prev, r, z, n, gh_n):
        """One GRU step's backward for h' = (h - n) z + n, n = tanh(x_n + r * gh_n): the
        gradients of the input-side pre-activations [r|z|n], the hidden-side ones [r|z|gh_n],
        and h's direct share dh * z."""
        dt = _dt(dh)
        mul = lambda a, b: self.binary("mul", a, b, dt)  # noqa: E731
        one_minus = lambda a: self.rbinary("sub", 1, a, dt)  # noqa: E731
        dn = mul(mul(dh, one_minus(z)), one_minus(mul(n, n)))
        dr = mul(mul(mul(dn, gh_n), r), one_minus(r))
        dz = mul(mul(mul(dh, self.binary("sub", h_prev, n, dt)), z), one_minus(z))
        return (self.concatenate([dr, dz, dn], 1, dt), self.concatenate([dr, dz, mul(dn, r)], 1, dt),
                mul(dh, z))

    # ----- special functions (host: special_kernels.py) -------------------------------------
    def special(self, op: str, a, n: int = 0):
        """The special function op ("lgamma", "digamma", "polygamma" of order n, "erfinv", "i0",
        "i1", "i0e", "i1e", "erfc", "erfcx", "log_ndtr", "ndtri", or a Bessel function of
        bessel_kernels.OPS) of float array a elementwise, in a's dtype (host). For "zeta", n is
        the array q (a's shape and dtype) of the Hurwitz zeta(a, q)."""
        from . import special_kernels
        if op == "zeta":
            n = self.to_numpy(n)
        return self.from_numpy(special_kernels.apply(op, self.to_numpy(a), n))

    # ----- CTC loss (host: ctc_kernels.py) ----------------------------------------------
    def ctc_loss(self, log_probs, targets, offsets, input_lengths, target_lengths, blank: int):
        """(nll (N,) in log_probs' dtype, state for ctc_loss_backward) of log_probs (T, N, C); the
        targets of sample b start at targets[offsets[b]]; targets (flat), offsets and the lengths
        (N,) are int64 NumPy arrays (host)."""
        from . import ctc_kernels
        nll, log_alpha = ctc_kernels.ctc_loss(self.to_numpy(log_probs), targets, offsets,
                                              input_lengths, target_lengths, blank)
        return self.from_numpy(nll.astype(self.to_numpy(log_probs).dtype)), (nll, log_alpha)

    def ctc_loss_backward(self, grad, log_probs, targets, offsets, input_lengths, target_lengths, state,
                          blank: int, zero_infinity: bool):
        """d loss / d log_probs (T, N, C) for grad (N,) the gradient of each sample's loss (host)."""
        from . import ctc_kernels
        nll, log_alpha = state
        return self.from_numpy(ctc_kernels.ctc_loss_backward(
            self.to_numpy(grad), self.to_numpy(log_probs), targets, offsets, input_lengths,
            target_lengths, nll, log_alpha, blank, zero_infinity))

    # ----- smooth activations: PyTorch's formulas, one op at a time ----------------------------
    def _sigmoid_parts(self, x):
        """(sigmoid(x) as 1 / (1 + exp(-x)), dtype)."""
        dt = _dt(x)
        return self.rbinary("div", 1, self.rbinary("add", 1, self.unary("exp", self.unary("neg", x)), dt), dt), dt

    def silu(self, x):
        """x / (1 + exp(-x))."""
        dt = _dt(x)
        return self.binary("div", x, self.rbinary("add", 1, self.unary("exp", self.unary("neg", x)), dt), dt)

    def silu_backward(self, grad, x):
        """grad * s * (1 + x * (1 - s)), s = sigmoid(x)."""
        s, dt = self._sigmoid_parts(x)
        slope = self.rbinary("add", 1, self.binary("mul", x, self.rbinary("sub", 1, s, dt), dt), dt)
        return self.binary("mul", self.binary("mul", grad, s, dt), slope, dt)

    def _tanh_softplus(self, x):
        return self.unary("tanh", self.unary("log1p", self.unary("exp", x)))

    def mish(self, x):
        """x * tanh(log1p(exp(x)))."""
        return self.binary("mul", x, self._tanh_softplus(x), _dt(x))

    def mish_backward(self, grad, x):
        """grad * (t + x * s * (1 - t^2)), t = tanh(softplus(x)), s = sigmoid(x)."""
        s, dt = self._sigmoid_parts(x)
        t = self._tanh_softplus(x)
        one_minus = self.rbinary("sub", 1, self.binary("mul", t, t, dt), dt)
        slope = self.binary("add", t, self.binary("mul", self.binary("mul", x, s, dt), one_minus, dt), dt)
        return self.binary("mul", grad, slope, dt)

    def softplus(self, x, beta: float, threshold: float):
        """x where beta * x > threshold, else log1p(exp(beta * x)) / beta."""
        dt = _dt(x)
        bx = self.binary("mul", x, beta, dt)
        soft = self.binary("div", self.unary("log1p", self.unary("exp", bx)), beta, dt)
        return self.where(self.compare("gt", bx, threshold, dt), x, soft, dt)

    def softplus_backward(self, grad, x, beta: float, threshold: float):
        """grad where beta * x > threshold, else grad * z / (z + 1), z = exp(beta * x)."""
        dt = _dt(x)
        bx = self.binary("mul", x, beta, dt)
        z = self.unary("exp", bx)
        soft = self.binary("div", self.binary("mul", grad, z, dt), self.binary("add", z, 1, dt), dt)
        return self.where(self.compare("gt", bx, threshold, dt), grad, soft, dt)

    def elu(self, x, negcoef: float, poscoef: float, negiptcoef: float):
        """expm1(x * negiptcoef) * negcoef where x <= 0, else x * poscoef."""
        dt = _dt(x)
        negative = self.binary("mul", self.unary("expm1", self.binary("mul", x, negiptcoef, dt)), negcoef, dt)
        return self.where(self.compare("le", x, 0, dt), negative, self.binary("mul", x, poscoef, dt), dt)

    def elu_backward(self, grad, x, negcoef: float, poscoef: float, negiptcoef: float, is_result: bool):
        """elu's derivative times grad, from its input x (or, is_result, from its output x)."""
        dt = _dt(x)
        scaled = self.binary("mul", grad, negiptcoef, dt)
        if is_result:
            negative = self.binary("mul", scaled, self.binary("add", x, negcoef, dt), dt)
        else:
            exp = self.unary("exp", self.binary("mul", x, negiptcoef, dt))
            negative = self.binary("mul", self.binary("mul", scaled, negcoef, dt), exp, dt)
        return self.where(self.compare("le", x, 0, dt), negative, self.binary("mul", grad, poscoef, dt), dt)

    # ----- grid_sample's taps (see grid_taps_host.py) ----------------------------------
    def grid_sample_plan(self, grid, sizes: tuple, mode: int, padding: int, align_corners: bool,
                         with_deriv: bool = True):
        """(index (N, T, P) int64, weight (N, T, P) float64, deriv (d, N, T, P) float64 or None
        without with_deriv): the taps of grid (N, P, d) over an input of spatial sizes (outermost
        first); mode 0 bilinear, 1 nearest, 2 bicubic; padding 0 zeros, 1 border, 2 reflection
        (host)."""
        taps = grid_taps_host.plan(self.to_numpy(grid), sizes, mode, padding, align_corners)
        deriv = self.from_numpy(taps.deriv) if with_deriv else None
        return self.from_numpy(taps.index), self.from_numpy(taps.weight), deriv

    def _tap_values(self, x, index):
        """x (N, C, L) read at index (N, T, P): (N, C, T, P)."""
        n, c = x.shape[:2]
        t, p = index.shape[1:]
        wide = self.expand(self.reshape(index, (n, 1, t * p)), (n, c, t * p))
        return self.reshape(self.gather(x, 2, self.contiguous(wide)), (n, c, t, p))

    def grid_sample_gather(self, x, index, weight):
        """out[n, c, p] = sum over taps t of weight[n, t, p] * x[n, c, index[n, t, p]], for x
        (N, C, L), index int64 and weight (x's dtype) (N, T, P)."""
        dt = _dt(x)
        n, t, p = index.shape
        weighted = self.binary("mul", self._tap_values(x, index), self.reshape(weight, (n, 1, t, p)), dt)
        return self.reduce("sum", weighted, (2,), False, dt)

    def grid_sample_scatter(self, grad, index, weight, length: int):
        """The adjoint of grid_sample_gather w.r.t. x: grad (N, C, P) times each tap's weight,
        added at the tap's position of an (N, C, length) array of zeros."""
        dt = _dt(grad)
        n, c, p = grad.shape
        t = index.shape[1]
        parts = self.binary("mul", self.reshape(grad, (n, c, 1, p)), self.reshape(weight, (n, 1, t, p)), dt)
        out = self.zeros((n, c, length), dt)
        wide = self.contiguous(self.expand(self.reshape(index, (n, 1, t * p)), (n, c, t * p)))
        self.scatter_add(out, 2, wide, self.reshape(parts, (n, c, t * p)))
        return out

    def grid_sample_weight_grad(self, grad, x, index):
        """d loss / d weight of grid_sample_gather: sum over c of grad[n, c, p] * x[n, c,
        index[n, t, p]], (N, T, P) in float64."""
        n, c, p = grad.shape
        g = self.astype(self.reshape(grad, (n, c, 1, p)), _float64)
        values = self.astype(self._tap_values(x, index), _float64)
        return self.reduce("sum", self.binary("mul", values, g, _float64), (1,), False, _float64)

    # ----- embedding_bag ----------------------------------------------------------------
    def embedding_bag_sum(self, weight, index, bag, scale, num_bags: int):
        """(num_bags, dim): out[bag[j]] += scale[j] * weight[index[j]] for every j with bag[j] >= 0,
        in j order (scale None: 1) (host)."""
        w, idx, b = self.to_numpy(weight), self.to_numpy(index), self.to_numpy(bag)
        keep = b >= 0
        rows = w[idx[keep]]
        if scale is not None:
            rows = rows * self.to_numpy(scale)[keep, None]
        out = np.zeros((num_bags, w.shape[1]), w.dtype)
        np.add.at(out, b[keep], rows)
        return self.from_numpy(out)

    def embedding_bag_max(self, weight, index, bag, num_bags: int):
        """((num_bags, dim) column maxima of each bag's rows weight[index[j]] (0 for an empty bag),
        (num_bags, dim) int64 rows they came from, the first on ties, -1 for an empty bag) (host)."""
        w, idx, b = self.to_numpy(weight), self.to_numpy(index), self.to_numpy(bag)
        keep = np.flatnonzero(b >= 0)
        dim = w.shape[1]
        top = np.full((num_bags, dim), -np.inf)
        rows = w[idx[keep]].astype(np.float64)
        np.maximum.at(top, b[keep], rows)
        first = np.full((num_bags, dim), keep.size, np.int64)
        hits = rows == top[b[keep]]
        order = np.broadcast_to(np.arange(keep.size)[:, None], hits.shape)
        np.minimum.at(first, b[keep], np.where(hits, order, keep.size))
        found = first < keep.size
        argmax = np.full((num_bags, dim), -1, np.int64)
        argmax[found] = idx[keep][first[found]]
        out = np.where(found, top, 0).astype(w.dtype)
        return self.from_numpy(out), self.from_numpy(argmax.astype(np.int64))

    # ----- the samplers of torch.distributions (host) -----------------------------------
    def _host_uniform(self, n: int, generator):
        return self.to_numpy(self.random_uniform((n,), _float64, 0.0, 1.0, generator))

    def random_standard_gamma(self, alpha, generator=None):
        """Gamma(alpha, 1) draws of alpha's shape and dtype, at least the dtype's smallest
        normal number: Marsaglia-Tsang in vectorised rounds over the pending elements, alpha
        < 1 boosted to alpha + 1 by u ** (1 / alpha) (host)."""
        a = self.to_numpy(alpha).astype(np.float64).reshape(-1)
        scale = np.ones_like(a)
        small = a < 1
        scale[small] = (1 - self._host_uniform(int(small.sum()), generator)) ** (1 / a[small])
        boosted = np.where(small, a + 1, a)
        d = boosted - 1 / 3
        c = 1 / np.sqrt(9 * d)
        out = np.where(a == 0, 0.0, np.nan)
        pending = np.flatnonzero(np.isnan(out) & (d > 0))
        while pending.size:
            x = self.to_numpy(self.random_normal((pending.size,), _float64, 0.0, 1.0, generator))
            u = 1 - self._host_uniform(pending.size, generator)
            y = 1 + c[pending] * x
            v = y ** 3
            with np.errstate(invalid="ignore", divide="ignore"):
                ok = (y > 0) & ((u < 1 - 0.0331 * x ** 4)
                                | (np.log(u) < 0.5 * x * x + d[pending] * (1 - v + np.log(v))))
            out[pending[ok]] = (scale * d)[pending[ok]] * v[ok]
            pending = pending[~ok]
        np_dtype = self.to_numpy(alpha).dtype
        tiny = np.finfo(np_dtype).tiny
        out = out.astype(np_dtype)
        out = np.where(out > tiny, out, tiny)  # NaN too, as torch's std::max(min, sample)
        return self.from_numpy(out.reshape(self.to_numpy(alpha).shape))

    def random_dirichlet(self, alpha, generator=None):
        """Dirichlet(alpha) draws, alpha (..., K): float64 gammas normalised over the last dim,
        clamped into [smallest normal, largest below 1] of alpha's dtype (host)."""
        np_dtype = self.to_numpy(alpha).dtype
        g = self.to_numpy(self.random_standard_gamma(self.astype(alpha, _float64), generator))
        x = (g / g.sum(-1, keepdims=True)).astype(np_dtype)
        return self.from_numpy(np.clip(x, np.finfo(np_dtype).tiny, np.nextafter(np_dtype.type(1), np_dtype.type(0))))

    def random_poisson(self, rates, generator=None):
        """Poisson(rate) counts of rates' shape and dtype: the arrivals of Exp(1) draws
        counted in vectorised rounds, O(max rate) rounds (host)."""
        lam = self.to_numpy(rates).astype(np.float64).reshape(-1)
        count = np.zeros_like(lam)
        time = np.zeros_like(lam)
        pending = np.flatnonzero(lam > 0)
        while pending.size:
            time[pending] -= np.log1p(-self._host_uniform(pending.size, generator))
            arrived = time[pending] < lam[pending]
            count[pending[arrived]] += 1
            pending = pending[arrived]
        return self.from_numpy(count.astype(self.to_numpy(rates).dtype).reshape(self.to_numpy(rates).shape))

    def random_binomial(self, count, prob, generator=None):
        """Binomial(count, prob) draws of count's shape and dtype: the successes among
        max(count) rounds of uniforms, each round counted where it is below count (host)."""
        n = self.to_numpy(count)
        p = np.broadcast_to(self.to_numpy(prob).astype(np.float64), n.shape).reshape(-1)
        flat = n.astype(np.float64).reshape(-1)
        out = np.zeros_like(flat)
        for trial in range(int(flat.max(initial=0))):
            live = np.flatnonzero(flat > trial)
            out[live] += self._host_uniform(live.size, generator) < p[live]
        return self.from_numpy(out.astype(n.dtype).reshape(n.shape))

    def random_cauchy(self, shape, dtype, median: float = 0.0, sigma: float = 1.0, generator=None):
        """Cauchy(median, sigma) draws median + sigma tan(pi (u - 0.5)) of float64 uniforms, as
        dtype (host)."""
        u = self._host_uniform(int(np.prod(shape, dtype=np.int64)), generator)
        return self.from_numpy((median + sigma * np.tan(np.pi * (u - 0.5))).astype(dtype.np).reshape(tuple(shape)))

    def random_geometric(self, shape, dtype, p: float, generator=None):
        """Geometric(p) draws (trials up to the first success) ceil(log(u) / log1p(-p)) of float64
        uniforms, as dtype (host)."""
        u = self._host_uniform(int(np.prod(shape, dtype=np.int64)), generator)
        return self.from_numpy(np.ceil(np.log(u) / np.log1p(-p)).astype(dtype.np).reshape(tuple(shape)))

    def standard_gamma_grad(self, alpha, x):
        """d x / d alpha of Gamma(alpha, 1) draws x (torch's _standard_gamma_grad), in alpha's
        dtype: the CPU's scalar formulas applied element by element (host)."""
        from .cpu.distribution_grad_kernels import standard_gamma_grad as formulas
        a = _contiguous(self.to_numpy(alpha))
        out = np.empty(a.shape, a.dtype)
        formulas(a.reshape(-1), _contiguous(self.to_numpy(x), a.dtype).reshape(-1), out.reshape(-1))
        return self.from_numpy(out)

    def dirichlet_grad(self, x, alpha, total):
        """torch's _dirichlet_grad of Dirichlet draws x (as Beta(alpha, total - alpha) draws),
        in x's dtype: the CPU's scalar formulas applied element by element (host)."""
        from .cpu.distribution_grad_kernels import dirichlet_grad as formulas
        xs = _contiguous(self.to_numpy(x))
        out = np.empty(xs.shape, np.float64)
        formulas(xs.reshape(-1), _contiguous(self.to_numpy(alpha)).reshape(-1),
                 _contiguous(self.to_numpy(total)).reshape(-1), out.reshape(-1))
        return self.from_numpy(out.astype(xs.dtype))


def _contiguous(a, dtype=None) -> np.ndarray:
    """A C-contiguous array of a's shape (np.ascontiguousarray makes a 0-d array 1-d)."""
    return np.ascontiguousarray(a, dtype).reshape(np.shape(a))
