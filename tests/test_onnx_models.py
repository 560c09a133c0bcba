"""Five small real models exported with minitorch.onnx.export: onnxruntime reproduces
minitorch's outputs, at the example batch and at others (dynamic axes). Where torch is
installed, the same architecture with the same weights is exported by torch.onnx.export too:
both graphs give the same numbers at the example sizes; the ONNX op types each exporter used are printed (-s)."""
import io
import math
import warnings

import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

import minitorch  # noqa: E402

from ._compat import torch  # noqa: E402
from ._onnx_check import op_types, roundtrip, run_onnx  # noqa: E402


# Each architecture is written once against a framework (minitorch or torch), as the
# pytorch/examples and tutorial sources are, so both frameworks build the same model.
def mnist_cnn(fw):
    nn, F = fw.nn, fw.nn.functional

    class Net(nn.Module):  # pytorch/examples mnist/main.py
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 8, 3, 1)
            self.conv2 = nn.Conv2d(8, 16, 3, 1)
            self.dropout1 = nn.Dropout(0.25)
            self.dropout2 = nn.Dropout(0.5)
            self.fc1 = nn.Linear(16 * 12 * 12, 32)
            self.fc2 = nn.Linear(32, 10)

        def forward(self, x):
            x = F.relu(self.conv1(x))
            x = F.relu(self.conv2(x))
            x = F.max_pool2d(x, 2)
            x = self.dropout1(x)
            x = fw.flatten(x, 1)
            x = F.relu(self.fc1(x))
            x = self.dropout2(x)
            return F.log_softmax(self.fc2(x), dim=1)
    return Net(), (fw.randn(3, 1, 28, 28),), {"x": {0: "batch"}}, [(fw.randn(5, 1, 28, 28),)]


def mlp(fw):
    nn = fw.nn
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Dropout(0.2), nn.Linear(64, 10))
    return model, (fw.randn(4, 1, 28, 28),), {"input": {0: "batch"}}, [(fw.randn(2, 1, 28, 28),)]


def lstm_language_model(fw):
    nn, F = fw.nn, fw.nn.functional

    class RNNModel(nn.Module):  # pytorch/examples word_language_model/model.py, one step
        def __init__(self, ntoken=50, ninp=16, nhid=24, nlayers=2):
            super().__init__()
            self.ntoken = ntoken
            self.drop = nn.Dropout(0.2)
            self.encoder = nn.Embedding(ntoken, ninp)
            self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=0.2)
            self.decoder = nn.Linear(nhid, ntoken)

        def forward(self, input, hidden):
            emb = self.drop(self.encoder(input))
            output, hidden = self.rnn(emb, hidden)
            output = self.drop(output)
            decoded = self.decoder(output).view(-1, self.ntoken)
            return F.log_softmax(decoded, dim=1), hidden
    tokens = fw.tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12], [13, 14, 15]])
    hidden = (fw.randn(2, 3, 24), fw.randn(2, 3, 24))
    axes = {"input": {0: "seq", 1: "batch"}, "hidden_0": {1: "batch"}, "hidden_1": {1: "batch"}}
    other = (fw.tensor([[1, 2], [3, 4]]), (fw.randn(2, 2, 24), fw.randn(2, 2, 24)))
    return RNNModel(), (tokens, hidden), axes, [other]


def transformer_classifier(fw):
    nn = fw.nn

    class PositionalEncoding(nn.Module):  # the PyTorch tutorials' sinusoidal encoding
        def __init__(self, d_model, max_len=64):
            super().__init__()
            position = fw.arange(max_len).unsqueeze(1)
            div_term = fw.exp(fw.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
            pe = fw.zeros(max_len, 1, d_model)
            pe[:, 0, 0::2] = fw.sin(position * div_term)
            pe[:, 0, 1::2] = fw.cos(position * div_term)
            self.register_buffer("pe", pe)

        def forward(self, x):
            return x + self.pe[:x.size(0)]

    class Classifier(nn.Module):
        def __init__(self, ntoken=40, d_model=16, nhead=2, nclass=4):
            super().__init__()
            self.embedding = nn.Embedding(ntoken, d_model)
            self.pos = PositionalEncoding(d_model)
            layer = nn.TransformerEncoderLayer(d_model, nhead, 32, dropout=0.1)
            self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
            self.head = nn.Linear(d_model, nclass)
            self.d_model = d_model

        def forward(self, src):
            x = self.pos(self.embedding(src) * math.sqrt(self.d_model))
            return self.head(self.encoder(x).mean(0))
    src = fw.tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12], [13, 14, 15], [16, 17, 18], [19, 20, 21]])
    other = fw.tensor([[1, 2], [3, 4], [5, 6], [7, 8]])
    return Classifier(), (src,), {"src": {0: "seq", 1: "batch"}}, [(other,)]


def super_resolution(fw):
    nn = fw.nn

    class SuperResolutionNet(nn.Module):
        """The ONNX tutorial's super-resolution CNN; the pixel shuffle written with view and
        permute (minitorch has no nn.PixelShuffle)."""

        def __init__(self, upscale_factor=3):
            super().__init__()
            self.relu = nn.ReLU()
            self.conv1 = nn.Conv2d(1, 16, 5, 1, 2)
            self.conv2 = nn.Conv2d(16, 16, 3, 1, 1)
            self.conv3 = nn.Conv2d(16, 8, 3, 1, 1)
            self.conv4 = nn.Conv2d(8, upscale_factor ** 2, 3, 1, 1)
            self.r = upscale_factor

        def forward(self, x):
            x = self.relu(self.conv1(x))
            x = self.relu(self.conv2(x))
            x = self.relu(self.conv3(x))
            x = self.conv4(x)
            n, c, h, w = x.shape
            r = self.r
            x = x.view(n, c // (r * r), r, r, h, w).permute(0, 1, 4, 2, 5, 3)
            return x.reshape(n, c // (r * r), h * r, w * r)
    return SuperResolutionNet(), (fw.randn(2, 1, 12, 12),), {"x": {0: "batch_size"}}, [(fw.randn(4, 1, 12, 12),)]


MODELS = {"mnist_cnn": mnist_cnn, "mlp": mlp, "lstm_language_model": lstm_language_model,
          "transformer_classifier": transformer_classifier, "super_resolution": super_resolution}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_model_exports_and_runs_in_onnxruntime_at_other_batch_sizes(name):
    minitorch.manual_seed(0)
    model, args, axes, others = MODELS[name](minitorch)
    roundtrip(model, args, others=others, dynamic_axes=axes, rtol=1e-4, atol=1e-5)


def _to_torch(obj):
    if isinstance(obj, minitorch.Tensor):
        return torch.tensor(obj.numpy())
    if isinstance(obj, (tuple, list)):
        return type(obj)(_to_torch(o) for o in obj)
    return obj


@pytest.mark.skipif(torch is None, reason="torch is not installed")
@pytest.mark.parametrize("name", sorted(MODELS))
def test_torch_export_of_the_same_model_gives_the_same_numbers(name):
    minitorch.manual_seed(0)
    model, args, axes, others = MODELS[name](minitorch)
    model.eval()
    tmodel = MODELS[name](torch)[0].eval()
    tmodel.load_state_dict({k: torch.tensor(v.numpy()) for k, v in model.state_dict().items()})
    ours, theirs = io.BytesIO(), io.BytesIO()
    minitorch.onnx.export(model, args, ours, dynamo=False, dynamic_axes=axes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(tmodel, _to_torch(args), theirs, dynamo=False, dynamic_axes=axes,
                          input_names=list(_input_names(axes, args)))
    # at the example sizes: torch's legacy exporter fixes some sizes of attention (other sizes
    # of ours are checked against minitorch above)
    for a, b in zip(run_onnx(ours.getvalue(), args), run_onnx(theirs.getvalue(), args)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    import onnx
    mine, torchs = op_types(onnx.load_from_string(ours.getvalue())), op_types(onnx.load_from_string(theirs.getvalue()))
    print(f"\n{name}: minitorch {sorted(mine)}\n{' ' * len(name)}  torch     {sorted(torchs)}")


def _input_names(axes, args):
    """torch's legacy exporter numbers its inputs; give it the names the axes use."""
    from minitorch.onnx._trace import _flat
    n = len([t for t in _flat(args) if isinstance(t, minitorch.Tensor)])
    names = list(axes)
    return names[:n] if len(names) >= n else names + [f"in{i}" for i in range(len(names), n)]
