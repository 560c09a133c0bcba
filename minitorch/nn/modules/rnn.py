"""Recurrent layers: RNN (tanh / relu), LSTM (with optional projections) and GRU, as
torch.nn's; their shared parameters, checks and computation are RNNBase's (rnn_base.py)."""
from __future__ import annotations

from ...tensor import Tensor
from ..utils.rnn import PackedSequence
from .rnn_base import RNNBase, _apply_permutation

__all__ = ["RNN", "LSTM", "GRU"]


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu).

    input: (L, N, H_in), (N, L, H_in) with batch_first, (L, H_in) unbatched, or a
    PackedSequence; h_0: (D * num_layers, N, H_out). Returns (output (L, N, D * H_out),
    h_n (D * num_layers, N, H_out)).
    """

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, *args, **kwargs)

    def forward(self, input, hx=None):
        return _forward_single_state(self, input, hx)


class GRU(RNNBase):
    """Gated recurrent unit: r, z = sigmoid(...), n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn)),
    h' = (1 - z) * n + z * h. Shapes as RNN's."""

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input, hx=None):
        return _forward_single_state(self, input, hx)


def _forward_single_state(module: RNNBase, input, hx):
    """RNN's and GRU's forward: one state tensor h."""
    module._update_flat_weights()
    orig_input = input
    data, batch_sizes, sorted_indices, unsorted_indices, is_batched, batch_dim = module._parse_input(input)
    if batch_sizes is None and hx is not None:
        if not is_batched and hx.dim() != 2:
            raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but got {hx.dim()}-D tensor")
        if is_batched and hx.dim() != 3:
            raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got {hx.dim()}-D tensor")
        if not is_batched:
            hx = hx.unsqueeze(1)
    if hx is None:
        batch = int(batch_sizes[0]) if batch_sizes is not None else data.size(0 if module.batch_first else 1)
        hx = module._zeros_state(data, batch, module.hidden_size)
    else:
        hx = module.permute_hidden(hx, sorted_indices)
    module.check_forward_args(data, hx, batch_sizes)
    output, hidden, _ = module._run(data, hx, None, batch_sizes)
    if isinstance(orig_input, PackedSequence):
        return PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices), \
            module.permute_hidden(hidden, unsorted_indices)
    if not is_batched:
        output = output.squeeze(batch_dim)
        hidden = hidden.squeeze(1)
    return output, module.permute_hidden(hidden, unsorted_indices)


class LSTM(RNNBase):
    """Long short-term memory: i, f, o = sigmoid(...), g = tanh(...), c' = f * c + i * g,
    h' = o * tanh(c') (then h' W_hr^T with proj_size > 0).

    input as RNN's; hx = (h_0 (D * num_layers, N, P), c_0 (D * num_layers, N, H)) with
    P = proj_size or hidden_size. Returns (output (L, N, D * P), (h_n, c_n)).
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(self, input: Tensor, batch_sizes) -> tuple[int, int, int]:
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.size(0) if self.batch_first else input.size(1)
        num_directions = 2 if self.bidirectional else 1
        return (self.num_layers * num_directions, mini_batch, self.hidden_size)

    def check_forward_args(self, input: Tensor, hidden, batch_sizes) -> None:
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden[0], self.get_expected_hidden_size(input, batch_sizes),
                               "Expected hidden[0] size {}, got {}")
        self.check_hidden_size(hidden[1], self.get_expected_cell_size(input, batch_sizes),
                               "Expected hidden[1] size {}, got {}")

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return _apply_permutation(hx[0], permutation), _apply_permutation(hx[1], permutation)

    def forward(self, input, hx=None):
        self._update_flat_weights()
        orig_input = input
        data, batch_sizes, sorted_indices, unsorted_indices, is_batched, batch_dim = self._parse_input(input)
        real_hidden_size = self.proj_size if self.proj_size > 0 else self.hidden_size
        if hx is None:
            batch = int(batch_sizes[0]) if batch_sizes is not None else data.size(0 if self.batch_first else 1)
            hx = (self._zeros_state(data, batch, real_hidden_size), self._zeros_state(data, batch, self.hidden_size))
        else:
            if batch_sizes is None:
                if is_batched and (hx[0].dim() != 3 or hx[1].dim() != 3):
                    raise RuntimeError("For batched 3-D input, hx and cx should also be 3-D but got "
                                       f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
                if not is_batched:
                    if hx[0].dim() != 2 or hx[1].dim() != 2:
                        raise RuntimeError("For unbatched 2-D input, hx and cx should also be 2-D but got "
                                           f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
                    hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1))
            hx = self.permute_hidden(hx, sorted_indices)
        self.check_forward_args(data, hx, batch_sizes)
        output, h_n, c_n = self._run(data, hx[0], hx[1], batch_sizes)
        if isinstance(orig_input, PackedSequence):
            return PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices), \
                self.permute_hidden((h_n, c_n), unsorted_indices)
        if not is_batched:
            output = output.squeeze(batch_dim)
            h_n, c_n = h_n.squeeze(1), c_n.squeeze(1)
        return output, self.permute_hidden((h_n, c_n), unsorted_indices)
