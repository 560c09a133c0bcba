"""Single-step recurrent cells: RNNCell, LSTMCell, GRUCell (torch.nn's, for loops written
by hand over time steps). One step is the input projection (one GEMM) and the recurrence
node of ``minitorch._ops.rnn.rnn_layer`` run for one step, so a cell computes exactly what
one step of the matching layer computes."""
from __future__ import annotations

import math

from ... import _creation
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..._ops.rnn import rnn_layer
from ..parameter import Parameter
from .module import Module

__all__ = ["RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


class RNNCellBase(Module):
    """weight_ih (chunks * hidden, input), weight_hh (chunks * hidden, hidden), bias_ih and
    bias_hh (chunks * hidden,) or None; all ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int, device=None,
                 dtype=None) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        kw = {"device": device, "dtype": dtype}
        self.weight_ih = Parameter(_creation.empty((num_chunks * hidden_size, input_size), **kw))
        self.weight_hh = Parameter(_creation.empty((num_chunks * hidden_size, hidden_size), **kw))
        if bias:
            self.bias_ih = Parameter(_creation.empty(num_chunks * hidden_size, **kw))
            self.bias_hh = Parameter(_creation.empty(num_chunks * hidden_size, **kw))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _prepare(self, input: Tensor, states: list, name: str) -> tuple[Tensor, list, bool]:
        """Unbatched inputs gain a batch dim; missing states are zeros; PyTorch's checks."""
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        is_batched = input.dim() == 2
        if not is_batched:
            input = input.unsqueeze(0)
            states = [None if s is None else s.unsqueeze(0) for s in states]
        states = [_creation.zeros(input.size(0), self.hidden_size, dtype=input.dtype, device=input.device)
                  if s is None else s for s in states]
        if input.size(1) != self.weight_ih.size(1):
            raise RuntimeError(f"input has inconsistent input_size: got {input.size(1)} expected "
                               f"{self.weight_ih.size(1)}")
        for k, state in enumerate(states):
            if input.size(0) != state.size(0):
                raise RuntimeError(f"Input batch size {input.size(0)} doesn't match hidden{k} batch size "
                                   f"{state.size(0)}")
            if state.dim() < 2 or state.size(1) != self.weight_hh.size(1):
                got = state.size(1) if state.dim() > 1 else state.size(0)
                raise RuntimeError(f"hidden{k} has inconsistent hidden_size: got {got}, expected "
                                   f"{self.weight_hh.size(1)}")
        weight = self.weight_ih.dtype
        for t in states + [input]:
            if t.dtype != weight:
                raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {t.dtype.legacy_name} "
                                   f"and {weight.legacy_name}")
        return input, states, is_batched

    def _step(self, mode: str, input: Tensor, h: Tensor, c: Tensor | None) -> Tensor:
        gx = F.linear(input, self.weight_ih, self.bias_ih)
        return rnn_layer(mode, gx, h, c, self.weight_hh, self.bias_hh, None, (input.size(0),))


class RNNCell(RNNCellBase):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu). input: (N, H_in) or (H_in,);
    hx: (N, H) or (H,), zeros by default. Returns h' of hx's shape."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        if input.dim() not in (1, 2):
            raise ValueError(f"RNNCell: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if hx is not None and hx.dim() not in (1, 2):
            raise ValueError(f"RNNCell: Expected hidden to be 1D or 2D, got {hx.dim()}D instead")
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        input, (hx,), is_batched = self._prepare(input, [hx], "RNNCell")
        ret = self._step("RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU", input, hx, None)
        return ret if is_batched else ret.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step. input: (N, H_in) or (H_in,); hx = (h, c), each (N, H) or (H,), zeros by
    default. Returns (h', c')."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        if input.dim() not in (1, 2):
            raise ValueError(f"LSTMCell: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if hx is not None:
            for idx, value in enumerate(hx):
                if value.dim() not in (1, 2):
                    raise ValueError(f"LSTMCell: Expected hx[{idx}] to be 1D or 2D, got {value.dim()}D instead")
        states = [None, None] if hx is None else list(hx)
        input, (h, c), is_batched = self._prepare(input, states, "LSTMCell")
        y = self._step("LSTM", input, h, c)
        h_new, c_new = y[:, :self.hidden_size], y[:, self.hidden_size:]
        if not is_batched:
            return h_new.squeeze(0), c_new.squeeze(0)
        return h_new, c_new


class GRUCell(RNNCellBase):
    """One GRU step. input: (N, H_in) or (H_in,); hx: (N, H) or (H,), zeros by default.
    Returns h'."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        if input.dim() not in (1, 2):
            raise ValueError(f"GRUCell: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if hx is not None and hx.dim() not in (1, 2):
            raise ValueError(f"GRUCell: Expected hidden to be 1D or 2D, got {hx.dim()}D instead")
        input, (hx,), is_batched = self._prepare(input, [hx], "GRUCell")
        ret = self._step("GRU", input, hx, None)
        return ret if is_batched else ret.squeeze(0)
