"""nn.Transformer and its encoder / decoder stacks and layers against torch 2.13: seeded init,
state_dict keys, repr, outputs and every parameter's gradient (eval and training with dropout,
whose draws match from the same seed), masks, PyTorch's inference fast-path results, and a
word-language-model program (pytorch/examples style) run with only its imports changed."""
import math
import warnings

import numpy as np
import pytest

import minitorch
from tests._compat import requires_torch, torch
from tests._nn_compare import (assert_close, assert_grads_close, assert_same_state, load_from_torch, np_of,
                               raises_like)

RNG = np.random.default_rng(7)
# the masks below mix float (causal) and bool (padding) kinds, which both libraries warn about
pytestmark = pytest.mark.filterwarnings("ignore:Support for mismatched")


@pytest.fixture
def staged_ops():
    """(minitorch.triu / tril are core ops now; the fixture stays for the tests that name it)"""


def _pair(factory, seed=0):
    """The same module built in torch and minitorch from the same seed (warnings silenced)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.manual_seed(seed)
        t_mod = factory(torch)
        minitorch.manual_seed(seed)
        m_mod = factory(minitorch)
    return m_mod, t_mod


def _inputs(shape, requires_grad=True):
    x = RNG.standard_normal(shape).astype(np.float32)
    return minitorch.tensor(x, requires_grad=requires_grad), torch.tensor(x, requires_grad=requires_grad)


MODULES = {
    "encoder_layer": lambda lib: lib.nn.TransformerEncoderLayer(16, 4, 32),
    "encoder_layer_gelu_norm_first_bf": lambda lib: lib.nn.TransformerEncoderLayer(
        16, 4, 32, activation="gelu", norm_first=True, batch_first=True),
    "encoder_layer_no_bias": lambda lib: lib.nn.TransformerEncoderLayer(16, 2, 24, bias=False, layer_norm_eps=1e-6),
    "decoder_layer": lambda lib: lib.nn.TransformerDecoderLayer(16, 4, 32),
    "decoder_layer_callable_norm_first_bf": lambda lib: lib.nn.TransformerDecoderLayer(
        16, 4, 32, activation=lib.nn.functional.gelu, norm_first=True, batch_first=True),
    "encoder": lambda lib: lib.nn.TransformerEncoder(lib.nn.TransformerEncoderLayer(16, 4, 32), 2,
                                                     norm=lib.nn.LayerNorm(16)),
    "decoder": lambda lib: lib.nn.TransformerDecoder(lib.nn.TransformerDecoderLayer(16, 4, 32), 2),
    "transformer": lambda lib: lib.nn.Transformer(16, 4, 2, 2, 32),
    "transformer_bf_norm_first_gelu": lambda lib: lib.nn.Transformer(
        16, 2, 1, 2, 24, dropout=0.2, activation="gelu", batch_first=True, norm_first=True, bias=False),
}


@requires_torch
@pytest.mark.parametrize("name", sorted(MODULES))
def test_seeded_init_state_dict_keys_and_repr_equal_torch(name):
    m_mod, t_mod = _pair(MODULES[name])
    assert_same_state(m_mod, t_mod)
    assert repr(m_mod) == repr(t_mod)


def _run(mod, kind, x, memory, masks):
    """x is the sequence the module outputs (src of an encoder, tgt of a decoder or a Transformer);
    memory is a decoder's memory or a Transformer's src."""
    if kind.startswith("transformer"):
        return mod(memory, x, **masks)
    if kind.startswith("decoder"):
        return mod(x, memory, **masks)
    return mod(x, **masks)


def _masks(lib, kind, seq, mem, batch):
    """A causal mask, a bool padding mask and (for decoders) a memory padding mask."""
    pad = np.zeros((batch, seq), bool)
    pad[1, seq - 2:] = True
    mem_pad = np.zeros((batch, mem), bool)
    mem_pad[0, mem - 1:] = True
    causal = lib.nn.Transformer.generate_square_subsequent_mask(seq)
    if kind.startswith("transformer"):
        return {"tgt_mask": causal, "tgt_key_padding_mask": lib.tensor(pad),
                "src_key_padding_mask": lib.tensor(mem_pad), "memory_key_padding_mask": lib.tensor(mem_pad)}
    if kind.startswith("decoder"):
        return {"tgt_mask": causal, "tgt_key_padding_mask": lib.tensor(pad),
                "memory_key_padding_mask": lib.tensor(mem_pad)}
    if kind == "encoder":
        return {"mask": causal, "src_key_padding_mask": lib.tensor(pad)}
    return {"src_mask": causal, "src_key_padding_mask": lib.tensor(pad)}


@requires_torch
@pytest.mark.parametrize("training", [False, True], ids=["eval", "train"])
@pytest.mark.parametrize("masked", [False, True], ids=["nomask", "masks"])
@pytest.mark.parametrize("name", sorted(MODULES))
def test_outputs_and_every_gradient_match_torch(name, masked, training, staged_ops):
    m_mod, t_mod = _pair(MODULES[name])
    m_mod.train(training)
    t_mod.train(training)
    batch_first = "bf" in name
    seq, mem, batch = 6, 5, 3
    shape = (batch, seq, 16) if batch_first else (seq, batch, 16)
    mem_shape = (batch, mem, 16) if batch_first else (mem, batch, 16)
    xm, xt = _inputs(shape)
    mm, mt_ = _inputs(mem_shape)
    masks_m = _masks(minitorch, name, seq, mem, batch) if masked else {}
    masks_t = _masks(torch, name, seq, mem, batch) if masked else {}
    # the same seed before the forward passes: training-mode dropout draws the same masks
    torch.manual_seed(3)
    out_t = _run(t_mod, name, xt, mt_, masks_t)
    minitorch.manual_seed(3)
    out_m = _run(m_mod, name, xm, mm, masks_m)
    assert_close(out_m, out_t, rtol=1e-4, atol=1e-5, what="output")
    g = RNG.standard_normal(tuple(out_t.shape)).astype(np.float32)
    out_t.backward(torch.tensor(g))
    out_m.backward(minitorch.tensor(g))
    assert_close(xm.grad, xt.grad, rtol=1e-4, atol=1e-5, what="input grad")
    if name.startswith(("decoder", "transformer")):
        assert_close(mm.grad, mt_.grad, rtol=1e-4, atol=1e-5, what="memory grad")
    assert_grads_close(m_mod, t_mod)


@requires_torch
def test_generate_square_subsequent_mask_equals_torch(staged_ops):
    for sz in (0, 1, 5):
        assert_close(minitorch.nn.Transformer.generate_square_subsequent_mask(sz),
                     torch.nn.Transformer.generate_square_subsequent_mask(sz))
    mask = minitorch.nn.Transformer.generate_square_subsequent_mask(3, dtype=minitorch.float64)
    assert mask.dtype is minitorch.float64
    assert mask.tolist() == [[0.0, -math.inf, -math.inf], [0.0, 0.0, -math.inf], [0.0, 0.0, 0.0]]


@requires_torch
@pytest.mark.parametrize("layer_kwargs", [{}, {"batch_first": True, "norm_first": True},
                                          {"batch_first": True, "nhead": 1}, {"batch_first": True},
                                          {"batch_first": True, "activation": "gelu"}])
def test_encoder_nested_tensor_warning_matches_torch(layer_kwargs):
    kwargs = {"nhead": 2, **layer_kwargs}

    def build(lib):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            enc = lib.nn.TransformerEncoder(lib.nn.TransformerEncoderLayer(8, dim_feedforward=16, **kwargs), 1)
        return enc, [str(w.message) for w in caught if "nested" in str(w.message)]

    (m_enc, m_msgs), (t_enc, t_msgs) = build(minitorch), build(torch)
    assert m_msgs == t_msgs
    assert m_enc.use_nested_tensor == t_enc.use_nested_tensor


@requires_torch
@pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors")
@pytest.mark.parametrize("grad", [False, True], ids=["no_grad", "grad"])
@pytest.mark.parametrize("training", [False, True], ids=["eval", "train"])
@pytest.mark.parametrize("batch_first", [True, False], ids=["bf", "seq_first"])
def test_padding_results_match_torch_fast_paths(batch_first, training, grad):
    """In eval without gradients PyTorch runs fused kernels: an encoder returns 0 at padded
    positions (nested tensors), a layer or self-attention gives NaN for a fully padded sequence;
    elsewhere (and whenever gradients or training are on) the general path's numbers."""
    def build(lib):
        layer = lib.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=batch_first)
        return (layer, lib.nn.TransformerEncoder(layer, 2, norm=lib.nn.LayerNorm(8)),
                lib.nn.MultiheadAttention(8, 2, batch_first=batch_first))

    m_mods, t_mods = _pair(build)
    for m_mod, t_mod in zip(m_mods, t_mods):
        load_from_torch(m_mod, t_mod)
        m_mod.train(training)
        t_mod.train(training)
    x = RNG.standard_normal((3, 5, 8) if batch_first else (5, 3, 8)).astype(np.float32)
    pad = np.zeros((3, 5), bool)
    pad[1] = True
    pad[2, 3:] = True
    results = []
    for lib, (layer, enc, mha) in ((torch, t_mods), (minitorch, m_mods)):
        with (lib.enable_grad() if grad else lib.no_grad()):
            src, mask = lib.tensor(x), lib.tensor(pad)
            results.append([layer(src, src_key_padding_mask=mask), enc(src, src_key_padding_mask=mask),
                            mha(src, src, src, key_padding_mask=mask, need_weights=False)[0],
                            mha(src, src, src, key_padding_mask=mask)[0]])
    for what, t_out, m_out in zip(("layer", "encoder", "mha", "mha need_weights"), *results):
        assert_close(m_out, t_out, rtol=1e-4, atol=1e-5, what=what)


@requires_torch
def test_state_dict_saved_by_torch_loads_and_gives_torch_outputs(tmp_path):
    m_mod, t_mod = _pair(MODULES["transformer"], seed=1)
    minitorch.manual_seed(5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fresh = MODULES["transformer"](minitorch)  # different weights until the load
    path = tmp_path / "transformer.pt"
    torch.save(t_mod.state_dict(), path)
    fresh.load_state_dict(minitorch.load(path))
    fresh.eval()
    t_mod.eval()
    xm, xt = _inputs((4, 2, 16), requires_grad=False)
    ym, yt = _inputs((3, 2, 16), requires_grad=False)
    assert_close(fresh(xm, ym), t_mod(xt, yt), rtol=1e-4, atol=1e-5)


@requires_torch
def test_transformer_argument_errors_match_torch():
    m_mod, t_mod = _pair(lambda lib: lib.nn.Transformer(8, 2, 1, 1, 16))
    raises_like(lambda: m_mod(minitorch.zeros(3, 2, 8), minitorch.zeros(3, 4, 8)),
                lambda: t_mod(torch.zeros(3, 2, 8), torch.zeros(3, 4, 8)))
    raises_like(lambda: m_mod(minitorch.zeros(3, 2, 8), minitorch.zeros(3, 2, 6)),
                lambda: t_mod(torch.zeros(3, 2, 8), torch.zeros(3, 2, 6)))
    raises_like(lambda: minitorch.nn.TransformerEncoderLayer(8, 2, activation="tanh"),
                lambda: torch.nn.TransformerEncoderLayer(8, 2, activation="tanh"))
    raises_like(lambda: minitorch.nn.TransformerDecoderLayer(8, 3), lambda: torch.nn.TransformerDecoderLayer(8, 3))


# ----- a word language model with only its imports changed ----------------------------------

# A transformer language model in the shape of pytorch/examples' word_language_model
# (model.py's TransformerModel, which subclasses nn.Transformer, and main.py's training loop),
# written against the torch API; {imports} is the only thing that differs between the runs.
WORD_LM = '''
import math
{imports}


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, dropout=0.1, max_len=5000):
        super(PositionalEncoding, self).__init__()
        self.dropout = nn.Dropout(p=dropout)
        pe = torch.zeros(max_len, d_model)
        position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        pe = pe.unsqueeze(0).transpose(0, 1)
        self.register_buffer("pe", pe)

    def forward(self, x):
        x = x + self.pe[:x.size(0), :]
        return self.dropout(x)


class TransformerModel(nn.Transformer):
    def __init__(self, ntoken, ninp, nhead, nhid, nlayers, dropout=0.5):
        super(TransformerModel, self).__init__(d_model=ninp, nhead=nhead, dim_feedforward=nhid,
                                               num_encoder_layers=nlayers)
        self.model_type = "Transformer"
        self.src_mask = None
        self.pos_encoder = PositionalEncoding(ninp, dropout)
        self.input_emb = nn.Embedding(ntoken, ninp)
        self.ninp = ninp
        self.decoder = nn.Linear(ninp, ntoken)
        self.init_weights()

    def _generate_square_subsequent_mask(self, sz):
        mask = (torch.triu(torch.ones(sz, sz)) == 1).transpose(0, 1)
        return mask.float().masked_fill(mask == 0, float("-inf")).masked_fill(mask == 1, float(0.0))

    def init_weights(self):
        initrange = 0.1
        nn.init.uniform_(self.input_emb.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, src, has_mask=True):
        if has_mask:
            if self.src_mask is None or self.src_mask.size(0) != len(src):
                self.src_mask = self._generate_square_subsequent_mask(len(src)).to(src.device)
        else:
            self.src_mask = None
        src = self.input_emb(src) * math.sqrt(self.ninp)
        src = self.pos_encoder(src)
        output = self.encoder(src, mask=self.src_mask)
        output = self.decoder(output)
        return F.log_softmax(output, dim=-1)


def batchify(data, bsz):
    nbatch = data.size(0) // bsz
    data = data.narrow(0, 0, nbatch * bsz)
    return data.view(bsz, -1).t().contiguous()


def get_batch(source, i, bptt):
    seq_len = min(bptt, len(source) - 1 - i)
    return source[i:i + seq_len], source[i + 1:i + 1 + seq_len].view(-1)


def run(tokens, ntokens, steps, bptt=7, lr=1.0):
    torch.manual_seed(1111)
    model = TransformerModel(ntokens, 16, 2, 32, 2, dropout=0.2)
    criterion = nn.NLLLoss()
    train_data = batchify(torch.tensor(tokens, dtype=torch.long), 4)
    losses = []
    model.train()
    for step, i in enumerate(range(0, train_data.size(0) - 1, bptt)):
        if step == steps:
            break
        data, targets = get_batch(train_data, i, bptt)
        model.zero_grad()
        output = model(data).view(-1, ntokens)
        loss = criterion(output, targets)
        loss.backward()
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-lr)
        losses.append(loss.item())
    model.eval()
    with torch.no_grad():
        data, targets = get_batch(train_data, 0, bptt)
        losses.append(criterion(model(data).view(-1, ntokens), targets).item())
    return losses
'''


def _word_lm(imports: str) -> dict:
    namespace: dict = {}
    exec(compile(WORD_LM.format(imports=imports), "<word_language_model>", "exec"), namespace)  # noqa: S102
    return namespace


@requires_torch
def test_word_language_model_with_only_imports_changed_gives_torch_losses(staged_ops):
    tokens = [(7 * i) % 30 for i in range(200)]  # a stream whose next token is predictable
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_losses = _word_lm("import torch\nimport torch.nn as nn\nimport torch.nn.functional as F")["run"](
            tokens, 30, steps=6)
        m_losses = _word_lm("import minitorch as torch\nimport minitorch.nn as nn\n"
                            "import minitorch.nn.functional as F")["run"](tokens, 30, steps=6)
    assert len(m_losses) == len(t_losses) == 7
    np.testing.assert_allclose(m_losses, t_losses, rtol=1e-5)
    # six SGD steps (training mode, dropout on) taught it something: the eval loss fell
    assert m_losses[-1] < m_losses[0] - 0.2


def test_word_language_model_state_dict_has_the_subclass_layout(staged_ops):
    program = _word_lm("import minitorch as torch\nimport minitorch.nn as nn\nimport minitorch.nn.functional as F")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lm = program["TransformerModel"](30, 16, 2, 32, 2)
    keys = list(lm.state_dict())
    # the Linear assigned to self.decoder takes the place of nn.Transformer's decoder stack
    assert keys[0] == "encoder.layers.0.self_attn.in_proj_weight"
    assert keys[-6:] == ["encoder.norm.weight", "encoder.norm.bias", "decoder.weight", "decoder.bias",
                         "pos_encoder.pe", "input_emb.weight"]
    assert len(keys) == 2 * 12 + 6
    assert np_of(lm.pos_encoder.pe).shape == (5000, 1, 16)
    if torch is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_lm = _word_lm("import torch\nimport torch.nn as nn\nimport torch.nn.functional as F")[
                "TransformerModel"](30, 16, 2, 32, 2)
        assert keys == list(t_lm.state_dict())


# ----- a small vision transformer with only its imports changed ------------------------------

VIT = '''
{imports}


class PatchEmbedding(nn.Module):
    def __init__(self, channels, dim, patch):
        super().__init__()
        self.proj = nn.Conv2d(channels, dim, kernel_size=patch, stride=patch)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class ViT(nn.Module):
    def __init__(self, image=8, patch=4, channels=1, dim=16, depth=2, heads=2, classes=5, dropout=0.1):
        super().__init__()
        self.patches = PatchEmbedding(channels, dim, patch)
        n = (image // patch) ** 2
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embedding = nn.Parameter(torch.randn(1, n + 1, dim) * 0.02)
        layer = nn.TransformerEncoderLayer(dim, heads, 2 * dim, dropout, activation="gelu", batch_first=True,
                                           norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        x = self.patches(x)
        cls = self.cls_token.expand(x.shape[0], -1, -1)
        x = torch.cat([cls, x], dim=1) + self.pos_embedding
        x = self.encoder(x)
        return self.head(self.norm(x[:, 0]))


def run(images, labels, steps):
    torch.manual_seed(0)
    model = ViT()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = nn.CrossEntropyLoss()
    x, y = torch.tensor(images), torch.tensor(labels)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    model.eval()
    with torch.no_grad():
        logits = model(x)
    return losses, logits.numpy()
'''


@requires_torch
def test_small_vit_with_only_imports_changed_gives_torch_losses_and_logits():
    rng = np.random.default_rng(1)
    images = rng.standard_normal((6, 1, 8, 8)).astype(np.float32)
    labels = rng.integers(0, 5, size=6)
    results = []
    for imports in ("import torch\nimport torch.nn as nn", "import minitorch as torch\nimport minitorch.nn as nn"):
        namespace: dict = {}
        exec(compile(VIT.format(imports=imports), "<vit>", "exec"), namespace)  # noqa: S102
        results.append(namespace["run"](images, labels, steps=5))
    (t_losses, t_logits), (m_losses, m_logits) = results
    np.testing.assert_allclose(m_losses, t_losses, rtol=1e-4)
    np.testing.assert_allclose(m_logits, t_logits, rtol=1e-3, atol=1e-4)
    assert m_losses[-1] < m_losses[0]
