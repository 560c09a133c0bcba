"""minitorch.onnx.export, layer by layer and op by op: each exported graph, run in
onnxruntime, gives minitorch's own outputs (float32 tolerance), at the example sizes and,
for dynamic axes, at others."""
import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

import minitorch as torch  # noqa: E402
from minitorch import nn  # noqa: E402

from ._onnx_check import dim_names, op_types, roundtrip  # noqa: E402


def _x(*shape):
    return torch.randn(*shape)


LAYERS = {
    "linear": (lambda: nn.Linear(5, 3), lambda: _x(4, 5), {"Gemm"}),
    "linear-3d": (lambda: nn.Linear(5, 3), lambda: _x(2, 4, 5), {"Gemm"}),
    "linear-no-bias": (lambda: nn.Linear(5, 3, bias=False), lambda: _x(4, 5), {"MatMul"}),
    "conv2d": (lambda: nn.Conv2d(3, 4, 3, padding=1), lambda: _x(2, 3, 8, 8), {"Conv"}),
    "conv2d-strided-dilated-grouped": (lambda: nn.Conv2d(4, 6, 3, stride=2, padding=2, dilation=2, groups=2),
                                       lambda: _x(2, 4, 9, 9), {"Conv"}),
    "conv2d-same-even-kernel": (lambda: nn.Conv2d(3, 4, 4, padding="same"), lambda: _x(1, 3, 7, 7), {"Conv"}),
    "maxpool": (lambda: nn.MaxPool2d(2), lambda: _x(2, 3, 8, 8), {"MaxPool"}),
    "maxpool-ceil": (lambda: nn.MaxPool2d(3, stride=2, ceil_mode=True), lambda: _x(1, 2, 8, 8), {"MaxPool"}),
    "maxpool-padded-dilated": (lambda: nn.MaxPool2d(3, stride=1, padding=1, dilation=2), lambda: _x(2, 3, 8, 8),
                               {"MaxPool"}),
    "avgpool": (lambda: nn.AvgPool2d(3, stride=2, padding=1), lambda: _x(2, 3, 8, 8), {"AveragePool"}),
    "avgpool-exclude-pad": (lambda: nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
                            lambda: _x(2, 3, 8, 8), {"AveragePool"}),
    "avgpool-ceil": (lambda: nn.AvgPool2d(3, stride=2, ceil_mode=True), lambda: _x(1, 2, 8, 8), {"AveragePool"}),
    "adaptive-avg-1": (lambda: nn.AdaptiveAvgPool2d(1), lambda: _x(2, 3, 8, 8), {"ReduceMean"}),
    "adaptive-avg-divisible": (lambda: nn.AdaptiveAvgPool2d(4), lambda: _x(2, 3, 8, 8), {"AveragePool"}),
    "adaptive-avg-uneven": (lambda: nn.AdaptiveAvgPool2d((3, 5)), lambda: _x(2, 3, 8, 8), {"MatMul"}),
    "adaptive-avg-1d": (lambda: nn.AdaptiveAvgPool1d(4), lambda: _x(2, 3, 10), {"MatMul"}),
    "adaptive-max-uneven": (lambda: nn.AdaptiveMaxPool2d(3), lambda: _x(2, 3, 8, 8), {"Gather", "ArgMax"}),
    "adaptive-max-1d": (lambda: nn.AdaptiveMaxPool1d(3), lambda: _x(2, 3, 10), {"Gather", "ArgMax"}),
    "batchnorm2d": (lambda: nn.BatchNorm2d(3), lambda: _x(2, 3, 4, 4), {"BatchNormalization"}),
    "batchnorm1d": (lambda: nn.BatchNorm1d(5), lambda: _x(4, 5), {"BatchNormalization"}),
    "batchnorm-no-running-stats": (lambda: nn.BatchNorm1d(5, track_running_stats=False), lambda: _x(4, 5),
                                   {"ReduceMean"}),
    "layernorm": (lambda: nn.LayerNorm(8), lambda: _x(2, 5, 8), {"LayerNormalization"}),
    "layernorm-2d-no-affine": (lambda: nn.LayerNorm((5, 8), elementwise_affine=False), lambda: _x(2, 5, 8),
                               {"LayerNormalization"}),
    "groupnorm": (lambda: nn.GroupNorm(2, 4), lambda: _x(2, 4, 3, 3), {"LayerNormalization"}),
    "dropout-eval": (lambda: nn.Dropout(0.3), lambda: _x(4, 5), {"Identity"}),
    "dropout2d-eval": (lambda: nn.Dropout2d(0.3), lambda: _x(2, 3, 4, 4), {"Identity"}),
    "relu": (lambda: nn.ReLU(), lambda: _x(3, 7), {"Relu"}),
    "leaky-relu": (lambda: nn.LeakyReLU(0.2), lambda: _x(3, 7), {"LeakyRelu"}),
    "gelu": (lambda: nn.GELU(), lambda: _x(3, 7), {"Gelu"}),
    "gelu-tanh": (lambda: nn.GELU("tanh"), lambda: _x(3, 7), {"Gelu"}),
    "sigmoid": (lambda: nn.Sigmoid(), lambda: _x(3, 7), {"Sigmoid"}),
    "tanh": (lambda: nn.Tanh(), lambda: _x(3, 7), {"Tanh"}),
    "softmax": (lambda: nn.Softmax(-1), lambda: _x(3, 7), {"Softmax"}),
    "log-softmax": (lambda: nn.LogSoftmax(1), lambda: _x(3, 7), {"LogSoftmax"}),
    "flatten": (lambda: nn.Flatten(), lambda: _x(2, 3, 4, 4), {"Flatten"}),
    "unflatten": (lambda: nn.Unflatten(1, (2, 4)), lambda: _x(3, 8), {"Reshape"}),
    "embedding": (lambda: nn.Embedding(10, 4), lambda: torch.tensor([[1, 2, 3], [4, 5, 9]]), {"Gather"}),
    "embedding-padding-idx": (lambda: nn.Embedding(10, 4, padding_idx=0), lambda: torch.tensor([[0, 2, 3]]),
                              {"Gather"}),
    "lstm": (lambda: nn.LSTM(5, 6), lambda: _x(4, 2, 5), {"LSTM"}),
    "lstm-2-layers-bidirectional-batch-first": (
        lambda: nn.LSTM(5, 6, num_layers=2, batch_first=True, bidirectional=True), lambda: _x(2, 4, 5), {"LSTM"}),
    "lstm-unbatched": (lambda: nn.LSTM(5, 6), lambda: _x(4, 5), {"LSTM"}),
    "lstm-proj-size": (lambda: nn.LSTM(5, 6, proj_size=3), lambda: _x(4, 2, 5), {"Split", "Sigmoid"}),
    "gru-bidirectional": (lambda: nn.GRU(5, 6, num_layers=2, bidirectional=True), lambda: _x(4, 2, 5), {"GRU"}),
    "rnn-relu": (lambda: nn.RNN(5, 6, nonlinearity="relu", batch_first=True), lambda: _x(2, 4, 5), {"RNN"}),
    "rnn-no-bias": (lambda: nn.RNN(5, 6, bias=False), lambda: _x(4, 2, 5), {"RNN"}),
    "lstm-cell": (lambda: nn.LSTMCell(5, 6), lambda: (_x(3, 5), (_x(3, 6), _x(3, 6))), {"Split", "Tanh"}),
    "gru-cell": (lambda: nn.GRUCell(5, 6), lambda: (_x(3, 5), _x(3, 6)), {"Split", "Sigmoid"}),
    "rnn-cell": (lambda: nn.RNNCell(5, 6), lambda: _x(3, 5), {"Tanh"}),
    "multihead-attention": (lambda: nn.MultiheadAttention(8, 2), lambda: (_x(5, 3, 8),) * 3, {"Softmax"}),
    "multihead-attention-batch-first-kv": (lambda: nn.MultiheadAttention(8, 2, batch_first=True, kdim=6, vdim=4),
                                           lambda: (_x(3, 5, 8), _x(3, 4, 6), _x(3, 4, 4)), {"Softmax"}),
    "transformer-encoder": (lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 2,
                                                          enable_nested_tensor=False),
                            lambda: _x(5, 3, 8), {"LayerNormalization", "Softmax"}),
    "transformer-encoder-norm-first-gelu": (
        lambda: nn.TransformerEncoderLayer(8, 2, 16, activation="gelu", norm_first=True, batch_first=True),
        lambda: _x(3, 5, 8), {"Gelu"}),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_exports_and_onnxruntime_matches_minitorch(name):
    make_model, make_input, expected_ops = LAYERS[name]
    torch.manual_seed(0)
    model = make_model()
    proto = roundtrip(model, make_input())
    assert expected_ops <= op_types(proto)


@pytest.mark.parametrize("opset", [14, 16, 17, 18, 21])
def test_older_and_newer_opsets_give_the_same_numbers(opset):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 8), nn.GELU(), nn.LayerNorm(8), nn.Flatten(0))
    proto = roundtrip(model, _x(3, 8), opset_version=opset)
    assert proto.opset_import[0].version == opset
    assert ("LayerNormalization" in op_types(proto)) == (opset >= 17)
    assert ("Gelu" in op_types(proto)) == (opset >= 20)
    cell = nn.LSTMCell(5, 6)
    roundtrip(cell, (_x(3, 5), (_x(3, 6), _x(3, 6))), opset_version=opset)


def test_dynamic_batch_of_a_cnn_runs_at_other_batch_sizes():
    torch.manual_seed(0)
    cnn = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 13 * 13, 10),
                        nn.LogSoftmax(1))
    proto = roundtrip(cnn, _x(3, 1, 28, 28), others=[(_x(5, 1, 28, 28),), (_x(1, 1, 28, 28),)],
                      input_names=["x"], output_names=["logp"], dynamic_axes={"x": {0: "batch"}, "logp": [0]})
    assert dim_names(proto.graph.input[0]) == ["batch", 1, 28, 28]
    assert dim_names(proto.graph.output[0]) == ["logp_dynamic_axes_1", 10]


def test_dynamic_sequence_and_batch_of_an_lstm():
    torch.manual_seed(0)
    proto = roundtrip(nn.LSTM(5, 6, 2, batch_first=True), _x(3, 7, 5), others=[(_x(2, 4, 5),)],
                      dynamic_axes={"input": {0: "b", 1: "t"}})
    assert dim_names(proto.graph.input[0]) == ["b", "t", 5]
    assert op_types(proto) >= {"LSTM"}


def test_dynamic_sequence_and_batch_of_attention_and_transformer():
    torch.manual_seed(0)
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 2,
                                enable_nested_tensor=False)
    roundtrip(enc, _x(3, 7, 8), others=[(_x(2, 4, 8),), (_x(5, 9, 8),)], dynamic_axes={"src": {0: "b", 1: "t"}})
    mha = nn.MultiheadAttention(8, 2)
    axes = {0: "t", 1: "b"}
    roundtrip(mha, (_x(7, 3, 8),) * 3, others=[(_x(4, 2, 8),) * 3],
              dynamic_axes={"query": axes, "key": axes, "value": axes})


def test_padding_mask_built_from_the_tokens_in_forward_follows_dynamic_axes():
    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(20, 8)
            self.enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 1,
                                             enable_nested_tensor=False)
            self.fc = nn.Linear(8, 3)

        def forward(self, tokens):
            h = self.enc(self.emb(tokens) * 2.0, src_key_padding_mask=tokens == 0)
            return self.fc(h.mean(1))

    torch.manual_seed(0)
    t1 = torch.tensor([[1, 2, 3, 0, 0, 0, 0], [4, 5, 6, 7, 8, 9, 1], [3, 3, 0, 0, 0, 0, 0]])
    t2 = torch.tensor([[1, 2, 0, 0], [4, 5, 6, 7]])
    proto = roundtrip(Classifier(), t1, others=[(t2,)], dynamic_axes={"tokens": {0: "b", 1: "t"}})
    assert {"Equal", "Where"} <= op_types(proto)


@pytest.mark.parametrize("shape, out", [((2, 3, 8, 7), (3, 5)), ((3, 9, 6), (4, 4))])
def test_adaptive_max_pool2d_exports_values_indices_ties_and_nans(shape, out):
    # Ties and NaN: the exported graph keeps the first maximum and lets the last NaN win.
    x = np.random.default_rng(0).integers(-2, 3, shape).astype(np.float32)
    x.reshape(-1)[::7] = np.nan
    model = lambda t: torch.nn.functional.adaptive_max_pool2d(t, out, return_indices=True)  # noqa: E731
    roundtrip(model, torch.tensor(x), rtol=0, atol=0)
