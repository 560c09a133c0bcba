"""ctc_loss: the connectionist temporal classification loss (Graves et al. 2006), PyTorch's
argument forms, checks and messages, its graph (CtcLossBackward0 under the reduction's node) and
its gradient.

The per-sample negative log-likelihood and its gradient come from the backend's ``ctc_loss`` and
``ctc_loss_backward`` extras (the alpha and beta recursions in log space, ctc_kernels.py). As in
PyTorch, the reductions are ordinary Tensor ops on top: zero_infinity replaces infinite losses by
0 (``where``), 'mean' divides each loss by its target length (at least 1) and averages, 'sum' sums.
Lengths and targets are read on the host, where they are checked.
"""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes
from .._declare import functional
from ..autograd.function import Function
from ..tensor import Tensor
from .loss import _check_reduction


class CtcLossBackward0(Function):
    """Per sample b: -log of the sum over the alignments of targets[b] to the first
    input_lengths[b] rows of log_probs (T, N, C) of the product of their probabilities."""

    @staticmethod
    def forward(ctx, log_probs, targets, offsets, input_lengths, target_lengths, blank, zero_infinity):
        be = log_probs._backend
        nll, state = be.ctc_loss(log_probs._data, targets, offsets, input_lengths, target_lengths, blank)
        ctx.save_for_backward(log_probs)
        ctx.args = (targets, offsets, input_lengths, target_lengths, state, blank, zero_infinity)
        return nll

    @staticmethod
    def backward(ctx, grad):
        (log_probs,) = ctx.saved_tensors
        be = log_probs._backend
        g = be.ctc_loss_backward(grad._data, log_probs._data, *ctx.args)
        return Tensor._wrap(g, be), None, None, None, None, None, None


def _type_error(log_probs, targets, input_lengths, target_lengths, blank, zero_infinity) -> TypeError:
    """PyTorch's TypeError for arguments that match neither of ctc_loss's two signatures (its
    parser marks every argument as mismatched but a Tensor given for a Tensor parameter)."""
    args = (log_probs, targets, input_lengths, target_lengths, blank)

    def detail(v):
        if isinstance(v, (list, tuple)) and v:
            return f"{type(v).__name__} of [{', '.join(type(x).__name__ for x in v)}]"
        return "Tensor" if isinstance(v, Tensor) else type(v).__name__

    def marked(tensor_params: int):
        names = [d if i < tensor_params and isinstance(v, Tensor) else f"!{d}!"
                 for i, (v, d) in enumerate(zip(args, map(detail, args)))]
        return ", ".join(names + ["!int!", f"!{detail(zero_infinity)}!"])

    header = ["Tensor" if isinstance(v, Tensor) else type(v).__name__ for v in args]
    header += ["int", type(zero_infinity).__name__]
    return TypeError(
        f"ctc_loss() received an invalid combination of arguments - got ({', '.join(header)}), but expected one of:\n"
        " * (Tensor log_probs, Tensor targets, tuple of ints input_lengths, tuple of ints target_lengths, "
        "int blank = 0, int reduction = at::Reduction::Mean, bool zero_infinity = False)\n"
        f"      didn't match because some of the arguments have invalid types: ({marked(2)})\n"
        " * (Tensor log_probs, Tensor targets, Tensor input_lengths, Tensor target_lengths, "
        "int blank = 0, int reduction = at::Reduction::Mean, bool zero_infinity = False)\n"
        f"      didn't match because some of the arguments have invalid types: ({marked(4)})\n")


def _lengths(value, arg: str) -> np.ndarray:
    """A tensor's or a sequence's lengths as an int64 NumPy vector."""
    if isinstance(value, Tensor):
        if value.dtype.is_floating_point or value.dtype is dtypes.bool:
            raise RuntimeError(f"{arg} must be integral")
        return np.asarray(value.detach().cpu().numpy(), np.int64).reshape(-1)
    for item in value:
        if not isinstance(item, (int, np.integer)) or isinstance(item, bool):
            raise TypeError(f"ctc_loss(): argument '{arg}' failed to unpack the object at pos 2 with error "
                            f"\"type must be tuple of ints,but got {type(item).__name__}\"")
    return np.asarray(value, np.int64).reshape(-1)


def _checked(what: str, lengths: np.ndarray, low: int, high: int | None = None) -> None:
    for value in lengths.tolist():
        if value < low:
            bound, value_word = low, "least"
        elif high is not None and value > high:
            bound, value_word = high, "most"
        else:
            continue
        raise RuntimeError(f"Expected {what} to have value at {value_word} {bound}, but got value {value} "
                           "(while checking arguments for ctc_loss_allocate_outputs)")


def _where(message: str) -> str:
    return f"{message} for argument #2 'targets' (while checking arguments for ctc_loss_allocate_outputs)"


@functional
def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """The CTC loss of log_probs (T, N, C) or (T, C) log-probabilities against targets padded
    (N, S) or concatenated (sum of target_lengths,); input_lengths and target_lengths (N,) as
    tensors or sequences of ints."""
    _check_reduction(reduction)
    both_tensors = isinstance(input_lengths, Tensor) and isinstance(target_lengths, Tensor)
    both_sequences = all(isinstance(v, (list, tuple)) for v in (input_lengths, target_lengths))
    if not (isinstance(log_probs, Tensor) and isinstance(targets, Tensor) and (both_tensors or both_sequences)
            and isinstance(blank, int) and isinstance(zero_infinity, bool)):
        raise _type_error(log_probs, targets, input_lengths, target_lengths, blank, zero_infinity)
    in_len = _lengths(input_lengths, "input_lengths")
    tg_len = _lengths(target_lengths, "target_lengths")
    if log_probs.dtype not in (dtypes.float32, dtypes.float64):
        raise NotImplementedError(f"\"ctc_loss_cpu\" not implemented for '{log_probs.dtype.legacy_name}'")
    if log_probs.numel() == 0:
        raise RuntimeError("log_probs tensor must not be empty")
    batched = log_probs.dim() == 3
    if not batched:
        log_probs = log_probs.unsqueeze(1)
        if targets.dim() == 1:
            targets = targets.unsqueeze(0)
    if log_probs.dim() != 3:
        raise RuntimeError(f"Expected 3-dimensional tensor, but got {log_probs.dim()}-dimensional tensor for "
                           "argument #1 'log_probs' (while checking arguments for ctc_loss_allocate_outputs)")
    if targets.dim() not in (1, 2):
        raise RuntimeError(_where(f"Expected 1 to 2 dimensions, but got {targets.dim()}-dimensional tensor"))
    steps, batch, n_classes = log_probs.shape
    if not 0 <= blank < n_classes:
        raise RuntimeError("blank must be in label range")
    if in_len.size != batch:
        raise RuntimeError("input_lengths must be of size batch_size")
    if tg_len.size != batch:
        raise RuntimeError("target_lengths must be of size batch_size")
    host = np.asarray(targets.detach().cpu().numpy()).astype(np.int64)
    if targets.dim() == 1:
        _checked("target_lengths", tg_len, 0)
        offsets = np.concatenate([[0], np.cumsum(tg_len)[:-1]]).astype(np.int64)
        if host.shape[0] != int(tg_len.sum()):
            raise RuntimeError(_where(f"Expected tensor to have size {int(tg_len.sum())} at dimension 0, "
                                      f"but got size {host.shape[0]}"))
    else:
        if host.shape[0] != batch:
            raise RuntimeError(_where(f"Expected tensor to have size {batch} at dimension 0, but got size "
                                      f"{host.shape[0]}"))
        _checked("target_lengths", tg_len, 0)
        longest = int(tg_len.max(initial=0))
        if host.shape[1] < longest:
            raise RuntimeError(_where(f"Expected tensor to have size at least {longest} at dimension 1, but got "
                                      f"size {host.shape[1]}"))
        offsets = np.arange(batch, dtype=np.int64) * host.shape[1]
    _checked("input_lengths", in_len, 0, steps)
    host = host.reshape(-1)
    used = np.concatenate([host[o:o + n] for o, n in zip(offsets.tolist(), tg_len.tolist())] + [host[:0]])
    bad = used[(used < 0) | (used >= n_classes)]
    if bad.size:  # PyTorch reads past the row here; an error beats reading garbage
        raise IndexError(f"Target {int(bad[0])} is out of bounds.")
    res = CtcLossBackward0.apply(log_probs, host, offsets, in_len, tg_len, blank, zero_infinity)
    if zero_infinity:
        res = res.new_zeros(()).where(res == math.inf, res)
    if not batched:
        res = res.squeeze(0)
    if reduction == "mean":
        divisor = Tensor._wrap(log_probs._backend.from_numpy(np.maximum(tg_len, 1).astype(log_probs.dtype.np)),
                               log_probs._backend)
        return (res / divisor).mean()
    return res.sum() if reduction == "sum" else res
