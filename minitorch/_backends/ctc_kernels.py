"""Host kernels of the CTC loss (Graves et al. 2006): the forward (alpha) recursion and the
gradient through the backward (beta) recursion, both in log space, as PyTorch's CPU kernel
(aten/src/ATen/native/LossCTC.cpp) computes them. The default ``ctc_loss`` extra
(defaults_nn.py) runs them after copying a device's arrays to the host; on the CPU that copy is
free, so these are the CPU's kernels too.

The extended target l' of a target l of length L has 2L + 1 states: blank, l[0], blank, l[1],
..., blank. State s holds blank for even s and l[(s - 1) // 2] for odd s. Targets are read from
a flat int64 array at each sample's offset. Everything is computed in float64 (PyTorch computes
float32 in float32, so a float32 loss can differ from PyTorch's in its last bits). Per sample
O(T (2L + 1)) time; log_alpha is (N, T, 2 max L + 1).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

_NEG_INF = -math.inf


@njit(cache=True)
def _label(targets, offset, s, blank):
    """The label of state s of the extended target starting at targets[offset]."""
    if s % 2 == 0:
        return blank
    return targets[offset + (s - 1) // 2]


@njit(cache=True)
def _logsumexp3(a, b, c):
    top = max(a, max(b, c))
    if top == _NEG_INF:
        top = 0.0
    return math.log(math.exp(a - top) + math.exp(b - top) + math.exp(c - top)) + top


@njit(cache=True)
def ctc_alpha(log_probs, targets, offsets, input_lengths, target_lengths, blank, nll, log_alpha):
    """Fill log_alpha (N, T, S') with the forward variables of each sample of log_probs
    (T, N, C) and nll (N,) with its negative log-likelihood (float64 out arrays)."""
    batch = log_probs.shape[1]
    for b in range(batch):
        t_len, l_len, off = input_lengths[b], target_lengths[b], offsets[b]
        states = 2 * l_len + 1
        log_alpha[b, :, :] = _NEG_INF
        if t_len == 0:
            nll[b] = -0.0 if l_len == 0 else math.inf
            continue
        log_alpha[b, 0, 0] = log_probs[0, b, blank]
        if l_len > 0:
            log_alpha[b, 0, 1] = log_probs[0, b, _label(targets, off, 1, blank)]
        for t in range(1, t_len):
            for s in range(states):
                label = _label(targets, off, s, blank)
                a1 = log_alpha[b, t - 1, s]
                a2 = log_alpha[b, t - 1, s - 1] if s > 0 else _NEG_INF
                # skipping the blank in between is allowed between two different labels only
                skip = s > 1 and _label(targets, off, s - 2, blank) != label
                a3 = log_alpha[b, t - 1, s - 2] if skip else _NEG_INF
                log_alpha[b, t, s] = _logsumexp3(a1, a2, a3) + log_probs[t, b, label]
        last = log_alpha[b, t_len - 1, 2 * l_len]
        before = log_alpha[b, t_len - 1, 2 * l_len - 1] if l_len > 0 else _NEG_INF
        nll[b] = -_logsumexp3(last, before, _NEG_INF)


@njit(cache=True)
def ctc_grad(grad_out, log_probs, targets, offsets, input_lengths, target_lengths, blank, nll, log_alpha,
             zero_infinity, grad):
    """Fill grad (T, N, C), zeros on entry, with d loss / d log_probs: per sample b and time t,
    (exp(lp[t, c]) - exp(log(sum over states s of label c of alpha[t, s] beta[t, s]) + nll - lp[t, c]))
    * grad_out[b] for t < input length; rows past it stay 0. An infinite loss under zero_infinity
    gets a zero gradient."""
    batch, n_classes = log_probs.shape[1], log_probs.shape[2]
    max_states = log_alpha.shape[2]
    for b in range(batch):
        t_len, l_len, off = input_lengths[b], target_lengths[b], offsets[b]
        if t_len == 0 or (zero_infinity and nll[b] == math.inf):
            continue
        states = 2 * l_len + 1
        log_beta = np.full((t_len, max_states), _NEG_INF)
        # collected[t, c]: log of the sum over the states of label c of alpha * beta
        collected = np.full((t_len, n_classes), _NEG_INF)
        last = t_len - 1
        log_beta[last, 2 * l_len] = log_probs[last, b, blank]
        collected[last, blank] = log_beta[last, 2 * l_len] + log_alpha[b, last, 2 * l_len]
        if l_len > 0:
            label = _label(targets, off, 2 * l_len - 1, blank)
            log_beta[last, 2 * l_len - 1] = log_probs[last, b, label]
            collected[last, label] = log_beta[last, 2 * l_len - 1] + log_alpha[b, last, 2 * l_len - 1]
        for t in range(t_len - 2, -1, -1):
            for s in range(states - 1, -1, -1):
                label = _label(targets, off, s, blank)
                b1 = log_beta[t + 1, s]
                b2 = log_beta[t + 1, s + 1] if s < 2 * l_len else _NEG_INF
                skip = s < 2 * l_len - 1 and _label(targets, off, s + 2, blank) != label
                b3 = log_beta[t + 1, s + 2] if skip else _NEG_INF
                log_beta[t, s] = _logsumexp3(b1, b2, b3) + log_probs[t, b, label]
                both = log_alpha[b, t, s] + log_beta[t, s]
                have = collected[t, label]
                if have == _NEG_INF:
                    collected[t, label] = both
                else:
                    top = max(have, both)
                    collected[t, label] = math.log(math.exp(have - top) + math.exp(both - top)) + top
        scale = grad_out[b]
        for t in range(t_len):
            for c in range(n_classes):
                lp = log_probs[t, b, c]
                grad[t, b, c] = (math.exp(lp) - math.exp(collected[t, c] + nll[b] - lp)) * scale


def ctc_loss(log_probs: np.ndarray, targets: np.ndarray, offsets: np.ndarray, input_lengths: np.ndarray,
             target_lengths: np.ndarray, blank: int) -> tuple[np.ndarray, np.ndarray]:
    """(nll (N,), log_alpha (N, T, 2 max L + 1)), both float64, of log_probs (T, N, C)."""
    lp = np.ascontiguousarray(log_probs, np.float64)
    batch = lp.shape[1]
    width = 2 * int(target_lengths.max(initial=0)) + 1
    nll = np.zeros(batch, np.float64)
    log_alpha = np.empty((batch, lp.shape[0], width), np.float64)
    ctc_alpha(lp, np.ascontiguousarray(targets, np.int64), np.ascontiguousarray(offsets, np.int64),
              np.ascontiguousarray(input_lengths, np.int64), np.ascontiguousarray(target_lengths, np.int64),
              blank, nll, log_alpha)
    return nll, log_alpha


def ctc_loss_backward(grad_out: np.ndarray, log_probs: np.ndarray, targets: np.ndarray, offsets: np.ndarray,
                      input_lengths: np.ndarray, target_lengths: np.ndarray, nll: np.ndarray,
                      log_alpha: np.ndarray, blank: int, zero_infinity: bool) -> np.ndarray:
    """d loss / d log_probs (T, N, C) in log_probs' dtype, grad_out (N,) the gradient of each loss."""
    lp = np.ascontiguousarray(log_probs, np.float64)
    grad = np.zeros(lp.shape, np.float64)
    g = np.ascontiguousarray(np.broadcast_to(grad_out, (lp.shape[1],)), np.float64)
    ctc_grad(g, lp, np.ascontiguousarray(targets, np.int64), np.ascontiguousarray(offsets, np.int64),
             np.ascontiguousarray(input_lengths, np.int64), np.ascontiguousarray(target_lengths, np.int64),
             blank, np.ascontiguousarray(nll, np.float64), log_alpha, zero_infinity, grad)
    return grad.astype(log_probs.dtype)
