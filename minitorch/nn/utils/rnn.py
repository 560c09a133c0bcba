"""Variable-length sequences for the recurrent layers, as torch.nn.utils.rnn.

A PackedSequence holds a batch of sequences time step by time step with the padding left
out: ``data`` stacks the rows of step 0 (one per sequence still running), then of step 1,
and so on; ``batch_sizes[t]`` says how many rows step t has. The sequences are sorted by
decreasing length inside it; ``sorted_indices`` / ``unsorted_indices`` map to and from the
caller's order.

Packing and unpadding are one gather each (an index into the flattened padded rows), so
gradients flow back through them in one scatter-add, whatever the number of steps.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import numpy as np

from ... import _creation, dtypes
from ..._ops.joins import cat
from ...tensor import Tensor
from ._sort import sort_descending

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpad_sequence",
    "pack_sequence",
    "unpack_sequence",
]


class PackedSequence_(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


def _bind(optional, fn):
    return None if optional is None else fn(optional)


class PackedSequence(PackedSequence_):
    """data: (sum(lengths), *) rows, time step by time step; batch_sizes: (max_len,) int64 on the
    CPU; sorted_indices / unsorted_indices: (batch,) int64 or None. Build it with
    pack_padded_sequence or pack_sequence, not by hand."""

    def __new__(cls, data: Tensor, batch_sizes: Tensor | None = None, sorted_indices: Tensor | None = None,
                unsorted_indices: Tensor | None = None):
        return super().__new__(cls, *_packed_sequence_init_args(data, batch_sizes, sorted_indices,
                                                                unsorted_indices))

    def to(self, *args, **kwargs) -> "PackedSequence":
        """data.to(*args, **kwargs); the index tensors follow data's device, batch_sizes stays on the CPU."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self

        def call_to(t: Tensor) -> Tensor:
            return t.to(data.device)
        return type(self)(data, self.batch_sizes, _bind(self.sorted_indices, call_to),
                          _bind(self.unsorted_indices, call_to))

    def cuda(self, device=None, non_blocking: bool = False) -> "PackedSequence":
        return self.to("cuda" if device is None else device)

    def cpu(self) -> "PackedSequence":
        return self.to("cpu")

    def double(self) -> "PackedSequence":
        return self.to(dtype=dtypes.double)

    def float(self) -> "PackedSequence":
        return self.to(dtype=dtypes.float)

    def half(self) -> "PackedSequence":
        return self.to(dtype=dtypes.half)

    def long(self) -> "PackedSequence":
        return self.to(dtype=dtypes.long)

    def int(self) -> "PackedSequence":
        return self.to(dtype=dtypes.int)

    def short(self) -> "PackedSequence":
        return self.to(dtype=dtypes.short)

    def char(self) -> "PackedSequence":
        return self.to(dtype=dtypes.int8)

    def byte(self) -> "PackedSequence":
        return self.to(dtype=dtypes.uint8)

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda


def _packed_sequence_init_args(data, batch_sizes=None, sorted_indices=None, unsorted_indices=None) -> tuple:
    if unsorted_indices is None:
        unsorted_indices = invert_permutation(sorted_indices)
    if batch_sizes is not None:
        if batch_sizes.device.type != "cpu":
            raise ValueError(
                "batch_sizes should always be on CPU. Instances of PackedSequence should never be created "
                "manually. They should be instantiated by functions like pack_sequence and "
                "pack_padded_sequences in nn.utils.rnn. "
                "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence")
        return data, batch_sizes, sorted_indices, unsorted_indices
    if not (isinstance(data, (list, tuple)) and len(data) == 2):
        raise AssertionError("Expected data to be a list or tuple of length 2")
    return data[0], data[1], sorted_indices, unsorted_indices


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse of a 1-D permutation tensor (None for None)."""
    if permutation is None:
        return None
    perm = permutation.cpu().numpy()
    out = np.empty_like(perm)
    out[perm] = np.arange(perm.size, dtype=perm.dtype)
    return _creation.tensor(out, device=permutation.device)


def _lengths_list(lengths) -> tuple[list, Tensor]:
    """lengths as Python ints and as the int64 CPU tensor PyTorch checks."""
    if not isinstance(lengths, Tensor):
        lengths = _creation.as_tensor(lengths, dtype=dtypes.int64, device="cpu")
    else:
        lengths = lengths.to(dtype=dtypes.int64)
    if lengths.device.type != "cpu" or lengths.dim() != 1:
        raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got {lengths.dim()}D "
                           f"{lengths.device.type} Long tensor")
    return [int(v) for v in lengths.tolist()], lengths


def _batch_sizes(lengths: list) -> list:
    """batch_sizes[t] = how many of the (decreasingly sorted) lengths exceed t."""
    sizes = []
    b = len(lengths)
    for t in range(lengths[0] if lengths else 0):
        while b and lengths[b - 1] <= t:
            b -= 1
        sizes.append(b)
    return sizes


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch: input (T, B, *) (or (B, T, *) with batch_first) whose sequence b is
    input[:lengths[b], b]. lengths: a list or 1-D CPU int64 tensor, in decreasing order unless
    enforce_sorted=False (then the batch is sorted here and the permutation kept)."""
    lengths, lengths_t = _lengths_list(lengths)
    if input.dim() < 2:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-max(input.dim(), 1)}, "
                         f"{max(input.dim(), 1) - 1}], but got 1)")
    if enforce_sorted:
        order = list(range(len(lengths)))
        sorted_indices = None
    else:
        order = sort_descending(lengths)
        lengths = [lengths[i] for i in order]
        sorted_indices = _creation.tensor(order, dtype=dtypes.int64, device=input.device)
    steps, batch = (input.shape[1], input.shape[0]) if batch_first else (input.shape[0], input.shape[1])
    if input.numel() == 0:
        raise RuntimeError("Cannot pack empty tensors.")
    if len(lengths) != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {len(lengths)} "
                           f"(batch_size={batch})")
    if lengths[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' "
                           "that is <= 0")
    for i in range(batch - 1):
        if lengths[i + 1] > lengths[i]:
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can pass "
                "`enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this "
                "requirement if you do not need ONNX exportability.")
    if lengths[0] > steps:
        # PyTorch reads past the end of the input here; refusing is the only safe answer.
        raise RuntimeError(f"pack_padded_sequence: a sequence length ({lengths[0]}) exceeds the padded "
                           f"input's length ({steps})")
    batch_sizes = _batch_sizes(lengths)
    # Row (t, j) of the packed data is padded row (t, order[j]) of the flattened input.
    rows = [(order[j] * steps + t) if batch_first else (t * batch + order[j])
            for t, bs in enumerate(batch_sizes) for j in range(bs)]
    flat = input.reshape(steps * batch, *input.shape[2:])
    data = flat[_creation.tensor(rows, dtype=dtypes.int64, device=input.device)]
    return PackedSequence(data, _creation.tensor(batch_sizes, dtype=dtypes.int64, device="cpu"), sorted_indices, None)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """Undo pack_padded_sequence: (T, B, *) padded with padding_value (or (B, T, *) with
    batch_first), in the caller's batch order, and the lengths as an int64 CPU tensor.
    total_length pads to that many steps instead of the longest sequence's."""
    batch_sizes = [int(b) for b in sequence.batch_sizes.tolist()]
    max_seq_length = len(batch_sizes)
    if total_length is not None:
        if total_length < max_seq_length:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, "
                             f"but got total_length={total_length} and max sequence length being {max_seq_length}")
        max_seq_length = total_length
    data = sequence.data
    batch = batch_sizes[0] if batch_sizes else 0
    unsorted = (list(range(batch)) if sequence.unsorted_indices is None
                else [int(i) for i in sequence.unsorted_indices.cpu().tolist()])
    starts = np.concatenate([[0], np.cumsum(batch_sizes)]).astype(np.int64)
    lengths = [sum(1 for bs in batch_sizes if bs > j) for j in range(batch)]
    pad_row = int(starts[-1])  # the index of the padding row appended below
    rows = np.full((max_seq_length, batch) if not batch_first else (batch, max_seq_length), pad_row, np.int64)
    for b, j in enumerate(unsorted):
        src = starts[:lengths[j]] + j
        if batch_first:
            rows[b, :lengths[j]] = src
        else:
            rows[:lengths[j], b] = src
    pad = _creation.full((1, *data.shape[1:]), padding_value, dtype=data.dtype, device=data.device)
    source = cat([data, pad])
    padded = source[_creation.tensor(rows.reshape(-1), device=data.device)].reshape(*rows.shape, *data.shape[1:])
    out_lengths = _creation.tensor([lengths[j] for j in unsorted], dtype=dtypes.int64, device="cpu")
    return padded, out_lengths


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack sequences of shapes (L_i, *) into (max L, B, *) (or (B, max L, *) with batch_first),
    filling with padding_value after each sequence (before it with padding_side='left').
    The result has the first sequence's dtype and device."""
    if not isinstance(sequences, Iterable):
        raise RuntimeError("pad_sequence: Expected iterable for input sequences, but got arg of type: "
                           f"{type(sequences)}")
    sequences = tuple(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    first = sequences[0]
    if any(s.dim() == 0 for s in sequences):
        raise RuntimeError("pad_sequence: every sequence needs at least one dimension (its length), "
                           "but got a 0-d tensor")
    trailing = tuple(first.shape[1:])
    max_len = max(s.shape[0] for s in sequences)
    parts, rows, offset = [], [], 0
    for s in sequences:
        length = s.shape[0]
        parts.append(_fit(s, trailing).to(dtype=first.dtype, device=first.device))
        start = max_len - length if padding_side == "left" else 0
        seq_rows = [None] * max_len
        for k in range(length):
            seq_rows[start + k] = offset + k
        rows.append(seq_rows)
        offset += length
    parts.append(_creation.full((1, *trailing), padding_value, dtype=first.dtype, device=first.device))
    source = cat(parts)
    index = np.array([[offset if r is None else r for r in seq_rows] for seq_rows in rows], dtype=np.int64)
    if not batch_first:
        index = index.T
    return source[_creation.tensor(index.reshape(-1), device=first.device)].reshape(*index.shape, *trailing)


def _fit(seq: Tensor, trailing: tuple) -> Tensor:
    """seq (L, *) broadcast to (L, *trailing), with copy_'s message when it cannot be."""
    shape = tuple(seq.shape[1:])
    if shape == trailing:
        return seq
    if len(shape) > len(trailing):
        raise RuntimeError(f"The size of tensor a ({seq.shape[0]}) must match the size of tensor b "
                           f"({seq.shape[0]}) at non-singleton dimension 0")
    for d in range(1, len(shape) + 1):
        a, b = trailing[-d], shape[-d]
        if b != a and b != 1:
            raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b ({b}) at "
                               f"non-singleton dimension {seq.dim() - d}")
    return seq.expand(seq.shape[0], *trailing)


def unpad_sequence(padded_sequences: Tensor, lengths: Tensor, batch_first: bool = False) -> list:
    """The list of sequences in a padded batch: sequence b is its first lengths[b] steps.

    Unlike PyTorch (which transposes padded_sequences in place when batch_first=False),
    the argument is left as it was."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    max_length = padded_sequences.shape[1]
    idx = _creation.arange(max_length, device=lengths.device)
    return [seq[idx < length] for seq, length in zip(padded_sequences, lengths)]


def pack_sequence(sequences: list, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences of shapes (L_i, *) (decreasing L_i unless enforce_sorted=False)."""
    lengths = _creation.as_tensor([v.size(0) for v in sequences])
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list:
    """The list of sequences in a PackedSequence, in the caller's order."""
    padded_sequences, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded_sequences, lengths, batch_first=True)
