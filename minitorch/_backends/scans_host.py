"""Host (NumPy) algorithms behind the backend's running extremes, log-cum-sum-exp and sorted
search: PyTorch's CPU results, computed on arrays brought to the host."""
from __future__ import annotations

import numpy as np

# ATen's CPU scans accumulate float16 in float32 and float32 in float64.
_ACC = {np.dtype(np.float16): np.float32, np.dtype(np.float32): np.float64}


def cumulative_extreme(op: str, a: np.ndarray, dim: int) -> tuple:
    """(running max or min along dim, int64 index of where it was last reached). As PyTorch's
    CPU kernel: a tie moves the index forward, a NaN takes over and each later NaN moves it."""
    if a.ndim == 0:
        return a.copy(), np.zeros((), np.int64)
    accumulate = np.maximum.accumulate if op == "max" else np.minimum.accumulate
    if a.dtype == np.bool_:
        values = accumulate(a.astype(np.uint8), axis=dim).astype(np.bool_)
    else:
        values = accumulate(a, axis=dim)
    taken = a == values
    if a.dtype.kind == "f":
        taken |= np.isnan(a)
    shape = [1] * a.ndim
    shape[dim] = a.shape[dim]
    positions = np.arange(a.shape[dim], dtype=np.int64).reshape(shape)
    indices = np.maximum.accumulate(np.where(taken, positions, 0), axis=dim) if a.size else \
        np.zeros(a.shape, np.int64)
    return np.ascontiguousarray(values), np.ascontiguousarray(indices)


def logcumsumexp(a: np.ndarray, dim: int) -> np.ndarray:
    """log(cumsum(exp(a))) along dim as a running log-add-exp, accumulated as PyTorch's CPU."""
    if a.ndim == 0:
        return a.copy()
    acc = _ACC.get(a.dtype, a.dtype)
    return np.ascontiguousarray(np.logaddexp.accumulate(a.astype(acc), axis=dim).astype(a.dtype))


def searchsorted(sorted_sequence: np.ndarray, values: np.ndarray, right: bool, sorter) -> np.ndarray:
    """int64 insertion points of values into each row of sorted_sequence (one row for a 1-D
    sequence; otherwise rows matching values' leading dims). NaN sorts above every number."""
    side = "right" if right else "left"
    if sorter is not None:
        sorted_sequence = np.take_along_axis(sorted_sequence, sorter, axis=-1)
    if sorted_sequence.ndim == 1:
        return np.searchsorted(sorted_sequence, values, side=side).astype(np.int64)
    seq_rows = sorted_sequence.reshape(-1, sorted_sequence.shape[-1])
    val_rows = values.reshape(seq_rows.shape[0], -1)
    out = np.empty(val_rows.shape, np.int64)
    for i in range(seq_rows.shape[0]):
        out[i] = np.searchsorted(seq_rows[i], val_rows[i], side=side)
    return out.reshape(values.shape)
