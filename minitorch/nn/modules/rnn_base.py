"""RNNBase: the parameters, checks and shared forward of RNN, LSTM and GRU.

Parameters, their names and order, initialisation, argument checks, repr and the hidden
state conventions are PyTorch's (torch/nn/modules/rnn.py). The computation is per layer
and direction: the input projection of every time step in one GEMM (``F.linear`` over all
rows), then the recurrence in one graph node (``minitorch._ops.rnn.rnn_layer``). Dropout
between layers draws its masks layer by layer over the layer's whole output, as
PyTorch's CPU implementation does, so a training run matches PyTorch's draw for draw.
"""
from __future__ import annotations

import math
import numbers
import warnings
import weakref

from ... import _creation
from ..._ops.joins import cat, stack
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..._ops.rnn import rnn_layer
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module

__all__ = ["RNNBase"]


def _apply_permutation(tensor: Tensor, permutation: Tensor, dim: int = 1) -> Tensor:
    """tensor.index_select(dim, permutation)."""
    return tensor[(slice(None),) * dim + (permutation,)]


def _gate_size(mode: str, hidden_size: int) -> int:
    sizes = {"LSTM": 4 * hidden_size, "GRU": 3 * hidden_size, "RNN_TANH": hidden_size, "RNN_RELU": hidden_size}
    if mode not in sizes:
        raise ValueError("Unrecognized RNN mode: " + mode)
    return sizes[mode]


class RNNBase(Module):
    """The parameters and checks shared by RNN, LSTM and GRU (its forward is theirs).

    Per layer l and direction (suffix ``_reverse`` for the backward one), in this order:
    weight_ih_l{l} (G, in), weight_hh_l{l} (G, P), bias_ih_l{l} (G,), bias_hh_l{l} (G,)
    [without bias: no biases], weight_hr_l{l} (P, H) [LSTM with proj_size > 0], where
    G = gates * hidden_size, P = proj_size or hidden_size, and ``in`` is input_size for
    layer 0, else P * num_directions. All ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)).
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device=None, dtype=None) -> None:
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        self._flat_weight_refs = []
        num_directions = 2 if bidirectional else 1
        _check_arguments(dropout, num_layers, bias, batch_first, input_size, hidden_size, proj_size)
        gate_size = _gate_size(mode, hidden_size)
        self._flat_weights_names = []
        self._all_weights = []
        real_hidden_size = proj_size if proj_size > 0 else hidden_size
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_input_size = input_size if layer == 0 else real_hidden_size * num_directions
                shapes = [(gate_size, layer_input_size), (gate_size, real_hidden_size)]
                names = ["weight_ih_l{}{}", "weight_hh_l{}{}"]
                if bias:
                    shapes += [(gate_size,), (gate_size,)]
                    names += ["bias_ih_l{}{}", "bias_hh_l{}{}"]
                if proj_size > 0:
                    shapes.append((proj_size, hidden_size))
                    names.append("weight_hr_l{}{}")
                suffix = "_reverse" if direction == 1 else ""
                names = [n.format(layer, suffix) for n in names]
                for name, shape in zip(names, shapes):
                    setattr(self, name, Parameter(_creation.empty(shape, device=device, dtype=dtype)))
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self._init_flat_weights()
        self.reset_parameters()

    # ----- the flat weight list (PyTorch keeps it for cuDNN; here it is just the list) ----
    def _init_flat_weights(self) -> None:
        self._flat_weights = [getattr(self, wn) if hasattr(self, wn) else None for wn in self._flat_weights_names]
        self._flat_weight_refs = [weakref.ref(w) if w is not None else None for w in self._flat_weights]
        self.flatten_parameters()

    def __setattr__(self, attr, value) -> None:
        if hasattr(self, "_flat_weights_names") and attr in self._flat_weights_names:
            self._flat_weights[self._flat_weights_names.index(attr)] = value
        super().__setattr__(attr, value)

    def flatten_parameters(self) -> None:
        """A no-op: the weights need no single contiguous buffer here (PyTorch needs one for cuDNN)."""

    def _apply(self, fn, recurse: bool = True):
        self._flat_weight_refs = []
        ret = super()._apply(fn, recurse)
        self._init_flat_weights()
        return ret

    def _weights_have_changed(self) -> bool:
        for ref, name in zip(self._flat_weight_refs, self._flat_weights_names):
            weight = getattr(self, name) if hasattr(self, name) else None
            if weight is not None and ref is not None and ref() is not weight:
                return True
        return False

    def _update_flat_weights(self) -> None:
        if self._weights_have_changed():
            self._init_flat_weights()

    def __getstate__(self):
        self._update_flat_weights()
        state = self.__dict__.copy()
        del state["_flat_weight_refs"]
        return state

    def __setstate__(self, d) -> None:
        self.__dict__.update(d)
        self._flat_weights = [getattr(self, wn) if hasattr(self, wn) else None for wn in self._flat_weights_names]
        self._flat_weight_refs = [weakref.ref(w) if w is not None else None for w in self._flat_weights]

    @property
    def all_weights(self) -> list:
        return [[getattr(self, weight) for weight in weights] for weights in self._all_weights]

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    # ----- checks --------------------------------------------------------------------------
    def check_input(self, input: Tensor, batch_sizes) -> None:
        if input.dtype != self._flat_weights[0].dtype:
            w = self._flat_weights[0].dtype
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype ({w}). Convert input: "
                             f"input.to({w}), or convert model: model.to({input.dtype})")
        expected_input_dim = 2 if batch_sizes is not None else 3
        if input.dim() != expected_input_dim:
            raise RuntimeError(f"input must have {expected_input_dim} dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {input.size(-1)}")

    def get_expected_hidden_size(self, input: Tensor, batch_sizes) -> tuple[int, int, int]:
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.size(0) if self.batch_first else input.size(1)
        num_directions = 2 if self.bidirectional else 1
        size = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * num_directions, mini_batch, size)

    def check_hidden_size(self, hx: Tensor, expected_hidden_size, msg: str = "Expected hidden size {}, got {}") -> None:
        if hx.size() != expected_hidden_size:
            raise RuntimeError(msg.format(expected_hidden_size, list(hx.size())))

    def check_forward_args(self, input: Tensor, hidden: Tensor, batch_sizes) -> None:
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def permute_hidden(self, hx: Tensor, permutation):
        if permutation is None:
            return hx
        return _apply_permutation(hx, permutation)

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    # ----- the shared forward ---------------------------------------------------------------
    def _zeros_state(self, input: Tensor, batch: int, size: int) -> Tensor:
        num_directions = 2 if self.bidirectional else 1
        return _creation.zeros(self.num_layers * num_directions, batch, size, dtype=input.dtype, device=input.device)

    def _parse_input(self, input):
        """(data, batch_sizes, sorted_indices, unsorted_indices, is_batched, batch_dim)."""
        if isinstance(input, PackedSequence):
            data, batch_sizes, sorted_indices, unsorted_indices = input
            return data, batch_sizes, sorted_indices, unsorted_indices, True, None
        if input.dim() not in (2, 3):
            name = "RNN" if self.mode.startswith("RNN") else self.mode
            tail = " tensor instead" if name == "RNN" else " instead"
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D{tail}")
        batch_dim = 0 if self.batch_first else 1
        is_batched = input.dim() == 3
        if not is_batched:
            input = input.unsqueeze(batch_dim)
        return input, None, None, None, is_batched, batch_dim

    def _run(self, input: Tensor, hx: Tensor, cx: Tensor | None, batch_sizes) -> tuple:
        """output (T, B, D*P) or packed rows (N, D*P), h_n (L*D, B, P), c_n (L*D, B, H) or None."""
        for state in (hx, cx):
            if state is not None and state.dtype != input.dtype:
                raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {state.dtype.legacy_name} "
                                   f"and {input.dtype.legacy_name}")
        if batch_sizes is None:
            if self.batch_first:
                input = input.transpose(0, 1)
            steps, batch = input.shape[0], input.shape[1]
            if steps == 0:
                raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
            sizes = (batch,) * steps
            rows = input.reshape(steps * batch, input.shape[2])
        else:
            sizes = tuple(int(b) for b in batch_sizes.tolist())
            rows = input
        lstm = self.mode == "LSTM"
        out_size = self.proj_size if self.proj_size > 0 else self.hidden_size
        num_directions = 2 if self.bidirectional else 1
        per_layer = len(self._flat_weights) // (self.num_layers * num_directions)
        last_rows = _final_rows(sizes)
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(num_directions):
                k = layer * num_directions + direction
                w = self._flat_weights[k * per_layer:(k + 1) * per_layer]
                b_ih, b_hh = (w[2], w[3]) if self.bias else (None, None)
                w_hr = w[-1] if self.proj_size > 0 else None
                gx = F.linear(rows, w[0], b_ih)
                y = rnn_layer(self.mode, gx, hx[k], cx[k] if lstm else None, w[1], b_hh, w_hr, sizes,
                              reverse=direction == 1)
                # the final state: each sequence's last step (forward), or step 0 (reverse)
                final = last_rows if direction == 0 else slice(0, sizes[0])
                if lstm:
                    outputs.append(y[:, :out_size])
                    h_n.append(y[final, :out_size])
                    c_n.append(y[final, out_size:])
                else:
                    outputs.append(y)
                    h_n.append(y[final])
            rows = outputs[0] if num_directions == 1 else cat(outputs, 1)
            if self.dropout != 0 and self.training and layer < self.num_layers - 1:
                rows = F.dropout(rows, self.dropout, True)
        output = rows
        if batch_sizes is None:
            output = output.reshape(len(sizes), sizes[0], output.shape[1])
            if self.batch_first:
                output = output.transpose(0, 1)
        return output, stack(h_n), (stack(c_n) if lstm else None)


def _final_rows(sizes: tuple):
    """The row of each sequence's last step in time-major rows with these batch sizes: one
    slice when all sequences have the same length, else a list of rows."""
    batch, steps = sizes[0], len(sizes)
    if all(bs == batch for bs in sizes):
        return slice((steps - 1) * batch, steps * batch)
    starts, s = [], 0
    for bs in sizes:
        starts.append(s)
        s += bs
    rows = []
    for b in range(batch):
        last = sum(1 for bs in sizes if bs > b) - 1
        rows.append(starts[last] + b)
    return rows


def _check_arguments(dropout, num_layers, bias, batch_first, input_size, hidden_size, proj_size) -> None:
    """PyTorch's constructor checks, in its order and with its messages."""
    if not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1 or isinstance(dropout, bool):
        raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                         "element being zeroed")
    if dropout > 0 and num_layers == 1:
        warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                      f"expects num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                      stacklevel=4)
    if not isinstance(bias, bool):
        raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
    if not isinstance(batch_first, bool):
        raise TypeError(f"batch_first should be of type bool, got: {type(batch_first).__name__}")
    if not isinstance(input_size, int):
        raise TypeError(f"input_size should be of type int, got: {type(input_size).__name__}")
    if input_size <= 0:
        raise ValueError("input_size must be greater than zero")
    if not isinstance(hidden_size, int):
        raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
    if hidden_size <= 0:
        raise ValueError("hidden_size must be greater than zero")
    if num_layers <= 0:
        raise ValueError("num_layers must be greater than zero")
    if proj_size < 0:
        raise ValueError("proj_size should be a positive integer or zero to disable projections")
    if proj_size >= hidden_size:
        raise ValueError("proj_size has to be smaller than hidden_size")
