"""Layers translated whole: nn.RNN, nn.LSTM and nn.GRU become ONNX's RNN, LSTM and GRU nodes
(one per layer, both directions in one node), so that the sequence length and the batch stay
dynamic and the graph stays small.

ONNX orders the gates differently: LSTM i, o, f, c (PyTorch i, f, g, o), GRU z, r, h (PyTorch
r, z, n; ``linear_before_reset=1`` is PyTorch's GRU). The weights are reordered into new
initializers named after the layer's own parameters. A PackedSequence, ``proj_size`` or
dropout between layers while training go through the ops instead (_convert_nn._rnn_layer).
"""
from __future__ import annotations

import numpy as np

from .. import nn
from ..tensor import Tensor
from ._graph import Value
from ._registry import MODULES

_ORDER = {"LSTM": [0, 3, 1, 2], "GRU": [1, 0, 2], "RNN_TANH": [0], "RNN_RELU": [0]}
_OP = {"LSTM": "LSTM", "GRU": "GRU", "RNN_TANH": "RNN", "RNN_RELU": "RNN"}


def _reorder(array: np.ndarray, mode: str) -> np.ndarray:
    chunks = np.split(array, len(_ORDER[mode]), axis=0)
    return np.concatenate([chunks[i] for i in _ORDER[mode]], axis=0)


class _Recurrent:
    """nn.RNN / nn.LSTM / nn.GRU on a (padded) tensor."""

    @staticmethod
    def accepts(module, args, kwargs) -> bool:
        input = args[0] if args else kwargs.get("input")
        return (isinstance(input, Tensor) and input.dim() in (2, 3) and getattr(module, "proj_size", 0) == 0
                and not (module.training and module.dropout and module.num_layers > 1))

    @staticmethod
    def convert(g, module, args, kwargs, result) -> None:
        input = args[0] if args else kwargs["input"]
        hx = args[1] if len(args) > 1 else kwargs.get("hx")
        mode, lstm = module.mode, module.mode == "LSTM"
        x = g.value(input)
        unbatched = len(x.shape) == 2
        if unbatched:
            seq = g.unsqueeze(x.name, [1])
            t_dim, b_dim = x.dims[0], (1, ())
        elif module.batch_first:
            seq = g.op("Transpose", x.name, perm=[1, 0, 2])
            t_dim, b_dim = x.dims[1], x.dims[0]
        else:
            seq = x.name
            t_dim, b_dim = x.dims[0], x.dims[1]
        h0 = c0 = None
        if hx is not None:
            h0, c0 = (hx if lstm else (hx, None))
            h0 = g.value(h0).name if h0 is not None else None
            c0 = g.value(c0).name if c0 is not None else None
            if unbatched:
                h0 = g.unsqueeze(h0, [1]) if h0 else None
                c0 = g.unsqueeze(c0, [1]) if c0 else None
        directions = 2 if module.bidirectional else 1
        hidden = module.hidden_size
        prefix = g.module_names.get(id(module), type(module).__name__.lower())
        h_n, c_n = [], []
        for layer in range(module.num_layers):
            w, r, b = [], [], []
            for d in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if d else "")
                w.append(_reorder(_array(module, "weight_ih" + suffix), mode))
                r.append(_reorder(_array(module, "weight_hh" + suffix), mode))
                if module.bias:
                    b.append(np.concatenate([_reorder(_array(module, "bias_ih" + suffix), mode),
                                             _reorder(_array(module, "bias_hh" + suffix), mode)]))
            inputs = [seq, g.const(np.stack(w), f"{prefix}.W_l{layer}"), g.const(np.stack(r), f"{prefix}.R_l{layer}"),
                      g.const(np.stack(b), f"{prefix}.B_l{layer}") if b else "", ""]
            lo, hi = layer * directions, (layer + 1) * directions
            inputs.append(_layer_state(g, h0, lo, hi))
            if lstm:
                inputs.append(_layer_state(g, c0, lo, hi))
            attrs = {"hidden_size": hidden, "direction": "bidirectional" if directions == 2 else "forward"}
            if mode == "GRU":
                attrs["linear_before_reset"] = 1
            if mode.startswith("RNN"):
                attrs["activations"] = ["Tanh" if mode == "RNN_TANH" else "Relu"] * directions
            while inputs and inputs[-1] == "":
                inputs.pop()
            outs = g.op(_OP[mode], *inputs, outputs=3 if lstm else 2, hint=_OP[mode].lower(), **attrs)
            y = g.op("Transpose", outs[0], perm=[0, 2, 1, 3])          # (T, B, D, H)
            seq = g.op("Reshape", y, g.ints([0, 0, -1]))              # (T, B, D * H)
            h_n.append(outs[1])
            if lstm:
                c_n.append(outs[2])
        out_dims = (t_dim, b_dim, (directions * hidden, ()))
        if unbatched:
            output, out_dims = g.squeeze(seq, [1]), (t_dim, out_dims[2])
        elif module.batch_first:
            output, out_dims = g.op("Transpose", seq, perm=[1, 0, 2]), (b_dim, t_dim, out_dims[2])
        else:
            output = seq
        state_dims = ((module.num_layers * directions, ()), b_dim, (hidden, ()))
        if unbatched:
            state_dims = (state_dims[0], state_dims[2])
        out_t, states = result
        _bind(g, out_t, output, out_dims)
        if lstm:
            _bind(g, states[0], _states(g, h_n, unbatched), state_dims)
            _bind(g, states[1], _states(g, c_n, unbatched), state_dims)
        else:
            _bind(g, states, _states(g, h_n, unbatched), state_dims)


def _array(module, name: str) -> np.ndarray:
    t = getattr(module, name)
    return t._backend.to_numpy(t._data)


def _layer_state(g, state, lo: int, hi: int) -> str:
    if state is None:
        return ""
    return g.op("Slice", state, g.ints([lo]), g.ints([hi]), g.ints([0]))


def _states(g, parts, unbatched: bool) -> str:
    name = parts[0] if len(parts) == 1 else g.op("Concat", *parts, axis=0)
    return g.squeeze(name, [1]) if unbatched else name


def _bind(g, t: Tensor, name: str, dims) -> None:
    raw = t._data
    g.bind(raw, Value(g, "node", raw.shape, raw.dtype, dims=dims, name=name))


for _cls in (nn.RNN, nn.LSTM, nn.GRU):
    MODULES[_cls] = _Recurrent
