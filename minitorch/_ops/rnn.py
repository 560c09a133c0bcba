"""One recurrent layer in one direction, as a single graph node (the core of nn.RNN/LSTM/GRU
and their cells).

``rnn_layer`` runs the recurrence of an RNN (tanh or relu), LSTM (with an optional
projection) or GRU layer over every time step, given the input projection of all steps
(``gx = input @ w_ih^T + b_ih``, one GEMM done by the caller). Per step it does one GEMM
(``h @ w_hh^T``) and the gate math, with PyTorch's formulas in PyTorch's order
(aten/src/ATen/native/RNN.cpp). Backward is backpropagation through time in one node:
per step the gate derivatives and one GEMM for dh; dW_hh, db_hh (and dW_hr) are one GEMM
each over all steps at the end. One node per layer and direction, instead of a dozen per
step, is what keeps the backward pass O(steps): with per-step nodes, each step's slice of
``gx`` would send a full-size gradient back.

Rows are time-major, as in a PackedSequence: step t owns rows
``sum(batch_sizes[:t]) : sum(batch_sizes[:t+1])``, and batch_sizes never increases. A
padded (T, B) batch is the case batch_sizes = (B,) * T. The node's one output Y holds,
per row, the step's hidden output h (width P: hidden_size, or proj_size) and, for an
LSTM, its cell state c (width H) after it: ``Y = [h | c]``. The final states are rows of
Y (each sequence's last step), so their gradients reach the node through Y too.

Everything is written with Tensor operations, so it runs on any device. ``backward`` (used
with ``create_graph=True``) recomputes the forward with the graph recorded and
differentiates through the formulas (double backward); ``fused``, the engine's usual path,
reads the saved activations and does each LSTM or GRU step's gate derivatives in one
backend call (``lstm_gates_backward``, ``gru_gates_backward``: a numba kernel on the CPU
instead of about twenty Tensor operations, 3-7% of a forward+backward pass of the
word-model LSTM in bench_rnn.py). The forward's sigmoid and tanh stay NumPy's: without
SVML, numba's scalar exp is about twice as slow as NumPy's vectorised one.
"""
from __future__ import annotations

from ..autograd.function import Function
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from .joins import cat

MODES = ("RNN_TANH", "RNN_RELU", "LSTM", "GRU")


def rnn_layer(mode: str, gx: Tensor, h0: Tensor, c0: Tensor | None, w_hh: Tensor, b_hh: Tensor | None,
              w_hr: Tensor | None, batch_sizes, reverse: bool = False) -> Tensor:
    """One layer, one direction. gx: (N, G) input projections (G = 4H, 3H or H), h0: (B, P),
    c0: (B, H) for an LSTM else None, w_hh: (G, P), b_hh: (G,) or None, w_hr: (P, H) or None,
    batch_sizes: rows per step (sum = N, non-increasing, B = batch_sizes[0]).
    Returns Y: (N, P + H) for an LSTM (h then c), else (N, H)."""
    if mode not in MODES:
        raise ValueError(f"Unknown recurrent mode {mode!r}; expected one of {MODES}")
    return RnnLayerBackward0.apply(gx, h0, c0, w_hh, b_hh, w_hr, mode, tuple(batch_sizes), bool(reverse))


class RnnLayerBackward0(Function):
    """The recurrence of one layer and direction over all steps (see the module docstring)."""

    @staticmethod
    def forward(ctx, gx, h0, c0, w_hh, b_hh, w_hr, mode, batch_sizes, reverse):
        ctx.save_for_backward(gx, h0, c0, w_hh, b_hh, w_hr)
        ctx.mode, ctx.batch_sizes, ctx.reverse = mode, batch_sizes, reverse
        with no_grad():
            y, steps = _forward(mode, gx, h0, c0, w_hh, b_hh, w_hr, batch_sizes, reverse)
        ctx.steps = steps
        return y._data

    @staticmethod
    def backward(ctx, grad):
        # The saved activations are constants: recompute them as functions of the inputs, so
        # that the gradients below are differentiable in the inputs too.
        inputs = ctx.saved_tensors
        gx, h0, c0, w_hh, b_hh, w_hr = inputs
        _, steps = _forward(ctx.mode, gx, h0, c0, w_hh, b_hh, w_hr, ctx.batch_sizes, ctx.reverse)
        needs = tuple(t is not None and t._requires_grad for t in inputs)
        grads = _backward(ctx.mode, grad, steps, w_hh, w_hr, h0, ctx.batch_sizes, ctx.reverse, needs, False)
        return grads + (None, None, None)

    @staticmethod
    def fused(ctx, grad):
        inputs = ctx.saved_tensors
        needs = tuple(t is not None and t._requires_grad for t in inputs)
        grads = _backward(ctx.mode, grad, ctx.steps, inputs[3], inputs[5], inputs[1], ctx.batch_sizes,
                          ctx.reverse, needs, True)
        return grads + (None, None, None)

    def _free(self) -> None:
        super()._free()
        self.steps = None


def _starts(batch_sizes) -> list:
    starts, s = [], 0
    for bs in batch_sizes:
        starts.append(s)
        s += bs
    return starts


def _resize(state: Tensor, initial: Tensor, bs: int) -> Tensor:
    """The running state for a step of bs rows: sequences that ended drop out (forward
    direction); sequences that start join from the initial state (reverse direction)."""
    rows = state.shape[0]
    if rows > bs:
        return state[:bs]
    if rows < bs:
        return cat([state, initial[rows:bs]])
    return state


def _forward(mode, gx, h0, c0, w_hh, b_hh, w_hr, batch_sizes, reverse):
    """Y and, per step, what backward needs; recorded in the graph when grad mode is on."""
    T = len(batch_sizes)
    starts = _starts(batch_sizes)
    order = range(T - 1, -1, -1) if reverse else range(T)
    H = w_hh.shape[0] // {"LSTM": 4, "GRU": 3}.get(mode, 1)
    w_hh_t = w_hh.t()
    w_hr_t = None if w_hr is None else w_hr.t()
    last = batch_sizes[-1] if reverse else batch_sizes[0]
    h = h0[:last]
    c = None if c0 is None else c0[:last]
    hs, cs, steps = [None] * T, [None] * T, [None] * T
    for t in order:
        bs = batch_sizes[t]
        h = _resize(h, h0, bs)
        x = gx[starts[t]:starts[t] + bs]
        gh = h.mm(w_hh_t)
        if b_hh is not None:
            gh = gh + b_hh
        if mode == "LSTM":
            c = _resize(c, c0, bs)
            gates = gh + x
            i = gates[:, :H].sigmoid()
            f = gates[:, H:2 * H].sigmoid()
            g = gates[:, 2 * H:3 * H].tanh()
            o = gates[:, 3 * H:].sigmoid()
            c_new = f * c + i * g
            tc = c_new.tanh()
            h_raw = o * tc
            h_new = h_raw if w_hr_t is None else h_raw.mm(w_hr_t)
            steps[t] = (h, c, i, f, g, o, tc, h_raw)
            cs[t] = c = c_new
        elif mode == "GRU":
            r = (gh[:, :H] + x[:, :H]).sigmoid()
            z = (gh[:, H:2 * H] + x[:, H:2 * H]).sigmoid()
            gh_n = gh[:, 2 * H:]
            n = (x[:, 2 * H:] + gh_n * r).tanh()
            h_new = (h - n) * z + n
            steps[t] = (h, r, z, n, gh_n)
        else:
            pre = gh + x
            h_new = pre.tanh() if mode == "RNN_TANH" else pre.relu()
            steps[t] = (h, h_new)
        hs[t] = h = h_new
    y = cat(hs)
    if mode == "LSTM":
        y = cat([y, cat(cs)], 1)
    return y, steps


def _join(grad: Tensor, carried: Tensor | None, bs: int, spill: list) -> Tensor:
    """grad (bs rows) plus the gradient carried from the step processed before (in backward
    order). Rows the carried gradient lacks get none; rows beyond bs (reverse direction)
    belong to the initial state and go to spill."""
    if carried is None:
        return grad
    rows = carried.shape[0]
    if rows > bs:
        spill.append(carried[bs:])
        carried = carried[:bs]
    elif rows < bs:
        carried = cat([carried, carried.new_zeros((bs - rows,) + tuple(carried.shape[1:]))])
    return grad + carried


def _backward(mode, dy, steps, w_hh, w_hr, h0, batch_sizes, reverse, needs, fused: bool):
    """Gradients for (gx, h0, c0, w_hh, b_hh, w_hr), None where not needed; fused: each step's
    gate derivatives in one backend call."""
    T = len(batch_sizes)
    starts = _starts(batch_sizes)
    order = range(T) if reverse else range(T - 1, -1, -1)
    P = h0.shape[1]
    dgx, dgh, hprev, dhs = [None] * T, [None] * T, [None] * T, [None] * T
    dh_next = dc_next = None
    spill_h, spill_c = [], []
    for t in order:
        bs = batch_sizes[t]
        rows = dy[starts[t]:starts[t] + bs]
        dh = _join(rows[:, :P], dh_next, bs, spill_h)
        if mode == "LSTM":
            h, c, i, f, g, o, tc, h_raw = steps[t]
            dc = _join(rows[:, P:], dc_next, bs, spill_c)
            if w_hr is not None:
                dhs[t] = dh
                dh = dh.mm(w_hr)
            if fused:
                dgates, dc_next = _gates(dh._backend.lstm_gates_backward, (dh, dc, i, f, g, o, tc, c))
            else:
                do = dh * tc
                dc = dc + dh * o * (1 - tc * tc)
                dgates = cat([dc * g * i * (1 - i), dc * c * f * (1 - f),
                                         dc * i * (1 - g * g), do * o * (1 - o)], 1)
                dc_next = dc * f
            dgx[t] = dgates
            dh_next = dgates.mm(w_hh)
        elif mode == "GRU":
            h, r, z, n, gh_n = steps[t]
            if fused:
                dgx[t], dgh[t], dh_direct = _gates(dh._backend.gru_gates_backward, (dh, h, r, z, n, gh_n))
            else:
                dn = dh * (1 - z) * (1 - n * n)
                dr = dn * gh_n * r * (1 - r)
                dz = dh * (h - n) * z * (1 - z)
                dgx[t] = cat([dr, dz, dn], 1)
                dgh[t] = cat([dr, dz, dn * r], 1)
                dh_direct = dh * z
            dh_next = dh_direct + dgh[t].mm(w_hh)
        else:
            h, out = steps[t]
            dpre = dh * (1 - out * out) if mode == "RNN_TANH" else dh * (out > 0)
            dgx[t] = dpre
            dh_next = dpre.mm(w_hh)
        hprev[t] = h
    d_gx = cat(dgx)
    d_gh = d_gx if mode != "GRU" else cat(dgh)
    d_h0 = cat([dh_next] + spill_h[::-1]) if spill_h else dh_next
    d_c0 = None
    if mode == "LSTM":
        d_c0 = cat([dc_next] + spill_c[::-1]) if spill_c else dc_next
    d_w_hh = d_gh.t().mm(cat(hprev)) if needs[3] else None
    d_b_hh = d_gh.sum(0) if needs[4] else None
    d_w_hr = None
    if needs[5]:
        h_raw = cat([s[7] for s in steps])
        d_w_hr = cat(dhs).t().mm(h_raw)
    return (d_gx if needs[0] else None, d_h0 if needs[1] else None, d_c0 if needs[2] else None,
            d_w_hh, d_b_hh, d_w_hr)



def _gates(method, inputs: tuple) -> tuple:
    """A backend's fused gate derivatives over the raw (bs, H) arrays of inputs, as tensors."""
    be = inputs[0]._backend
    return tuple(Tensor._wrap(out, be) for out in method(*(t._data for t in inputs)))
