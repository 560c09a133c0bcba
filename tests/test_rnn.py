"""nn.RNN / LSTM / GRU and the cells: initialisation, state_dict keys, repr, outputs, final
states and every gradient against torch with the same weights, for each option; dropout
draws in training; errors. Without torch: central differences (gradcheck, also of the
double backward) and a NumPy reference of the recurrence, on non-contiguous inputs too."""
import copy
import pickle

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitorch
from minitorch import nn
from minitorch.autograd import gradcheck
from minitorch._ops.rnn import rnn_layer
from minitorch.nn.utils import rnn as rnn_utils
from tests._compat import requires_torch, torch
from tests.strategies import hsettings, layout_of

MODES = {"rnn_tanh": ("RNN", {}), "rnn_relu": ("RNN", {"nonlinearity": "relu"}),
         "lstm": ("LSTM", {}), "gru": ("GRU", {})}
CONFIGS = {
    "default": {},
    "batch_first": {"batch_first": True},
    "bidirectional": {"bidirectional": True},
    "two_layers": {"num_layers": 2},
    "two_layers_bidirectional_batch_first": {"num_layers": 2, "bidirectional": True, "batch_first": True},
    "no_bias": {"bias": False, "num_layers": 2},
    "dropout_in_eval": {"num_layers": 2, "dropout": 0.5},
}
LSTM_PROJ = {"proj": {"proj_size": 3}, "proj_two_layers_bidirectional": {"proj_size": 2, "num_layers": 2,
                                                                         "bidirectional": True}}
INPUTS = ("padded", "padded_no_hx", "packed", "unbatched")
I, H, T, B = 4, 5, 6, 5
LENGTHS = [4, 6, 2, 4, 1]  # unsorted, with a tie: packing sorts them as torch.sort does
TOL = {"float32": dict(rtol=1e-5, atol=1e-5), "float64": dict(rtol=1e-10, atol=1e-12)}


def _make(lib, mode, kwargs, dtype="float64"):
    name, extra = MODES[mode]
    return getattr(lib.nn, name)(I, H, **extra, **kwargs, dtype=getattr(lib, dtype))


def _pair(mode, kwargs, dtype="float64", seed=0):
    """The same module in both libraries, from the same seed (their weights must agree)."""
    minitorch.manual_seed(seed)
    torch.manual_seed(seed)
    return _make(minitorch, mode, kwargs, dtype), _make(torch, mode, kwargs, dtype)


def _states(module, batch, rng, dtype):
    """Random initial states of the right shapes (a tuple for an LSTM)."""
    d = (2 if module.bidirectional else 1) * module.num_layers
    size = module.proj_size if getattr(module, "proj_size", 0) else module.hidden_size
    shape = (d, batch, size) if batch else (d, size)
    h = rng.standard_normal(shape).astype(dtype)
    if module.mode != "LSTM":
        return (h,)
    return (h, rng.standard_normal(shape[:-1] + (module.hidden_size,)).astype(dtype))


def _leaf(lib, arr):
    return lib.tensor(arr, requires_grad=True)


def _run(lib, module, x, states, kind):
    """Forward with the input kind; returns (output as a padded tensor, final states tuple)."""
    hx = None
    if states is not None:
        hx = states if module.mode == "LSTM" else states[0]
    if kind == "packed":
        utils = lib.nn.utils.rnn
        packed = utils.pack_padded_sequence(x, LENGTHS, batch_first=module.batch_first, enforce_sorted=False)
        out, hidden = module(packed, hx)
        out, lengths = utils.pad_packed_sequence(out, batch_first=module.batch_first)
        assert lengths.tolist() == LENGTHS
    else:
        out, hidden = module(x, hx)
    return out, hidden if isinstance(hidden, tuple) else (hidden,)


def _check_against_torch(mode, kwargs, kind, dtype):
    m_mod, t_mod = _pair(mode, kwargs, dtype)
    m_mod.eval()
    t_mod.eval()
    for (k, v), (tk, tv) in zip(m_mod.state_dict().items(), t_mod.state_dict().items()):
        assert k == tk and np.array_equal(v.numpy(), tv.numpy()), k
    rng = np.random.default_rng(1)
    shape = (T, I) if kind == "unbatched" else ((B, T, I) if m_mod.batch_first else (T, B, I))
    x = rng.standard_normal(shape).astype(dtype)
    states = None if kind == "padded_no_hx" else _states(m_mod, 0 if kind == "unbatched" else B, rng, dtype)
    m_x, t_x = _leaf(minitorch, x), _leaf(torch, x)
    m_h = None if states is None else tuple(_leaf(minitorch, s) for s in states)
    t_h = None if states is None else tuple(_leaf(torch, s) for s in states)
    m_out, m_fin = _run(minitorch, m_mod, m_x, m_h, kind)
    t_out, t_fin = _run(torch, t_mod, t_x, t_h, kind)
    tol = TOL[dtype]
    assert tuple(m_out.shape) == tuple(t_out.shape)
    np.testing.assert_allclose(m_out.detach().numpy(), t_out.detach().numpy(), **tol)
    for a, b in zip(m_fin, t_fin):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), **tol)
    # one backward through the output and every final state, with random upstream gradients
    seeds = [rng.standard_normal(tuple(t.shape)).astype(dtype) for t in (t_out,) + tuple(t_fin)]
    m_loss = sum((t * minitorch.tensor(s)).sum() for t, s in zip((m_out,) + tuple(m_fin), seeds))
    t_loss = sum((t * torch.tensor(s)).sum() for t, s in zip((t_out,) + tuple(t_fin), seeds))
    m_loss.backward()
    t_loss.backward()
    for (name, p), (_, tp) in zip(m_mod.named_parameters(), t_mod.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), **tol, err_msg=name)
    np.testing.assert_allclose(m_x.grad.numpy(), t_x.grad.numpy(), **tol)
    if states is not None:
        for a, b in zip(m_h, t_h):
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), **tol)


@requires_torch
@pytest.mark.parametrize("kind", INPUTS)
@pytest.mark.parametrize("config", sorted(CONFIGS))
@pytest.mark.parametrize("mode", sorted(MODES))
def test_layer_matches_torch_float64(mode, config, kind):
    _check_against_torch(mode, CONFIGS[config], kind, "float64")


@requires_torch
@pytest.mark.parametrize("kind", INPUTS)
@pytest.mark.parametrize("config", sorted(LSTM_PROJ))
def test_lstm_with_projections_matches_torch_float64(config, kind):
    _check_against_torch("lstm", LSTM_PROJ[config], kind, "float64")


@requires_torch
@pytest.mark.parametrize("kind", ("padded", "packed"))
@pytest.mark.parametrize("config", ("two_layers_bidirectional_batch_first", "no_bias"))
@pytest.mark.parametrize("mode", sorted(MODES))
def test_layer_matches_torch_float32(mode, config, kind):
    # torch's float32 LSTM runs on oneDNN, the others on its native loop: both agree to 1e-5
    _check_against_torch(mode, CONFIGS[config], kind, "float32")


@requires_torch
@pytest.mark.parametrize("kind", ("padded", "packed"))
def test_lstm_projection_matches_torch_float32(kind):
    _check_against_torch("lstm", LSTM_PROJ["proj_two_layers_bidirectional"], kind, "float32")


# ----- initialisation, names, repr ----------------------------------------------------------
MODULES = [
    ("LSTM", (3, 5), {}), ("LSTM", (3, 5, 2), {"bidirectional": True, "proj_size": 2}),
    ("LSTM", (3, 5), {"bias": False, "proj_size": 4, "num_layers": 3}),
    ("GRU", (3, 5), {"num_layers": 2, "batch_first": True, "dropout": 0.25}),
    ("GRU", (3, 5), {"bias": False, "bidirectional": True}),
    ("RNN", (3, 5, 2, "relu"), {}), ("RNN", (3, 5), {"nonlinearity": "relu", "bidirectional": True}),
    ("RNN", (3, 5), {"dtype": "float64"}),
    ("RNNCell", (3, 5), {}), ("RNNCell", (3, 5, False, "relu"), {}), ("LSTMCell", (3, 5), {}),
    ("LSTMCell", (3, 5), {"bias": False}), ("GRUCell", (3, 5), {"dtype": "float64"}),
]


def _build(lib, name, args, kwargs):
    kwargs = {k: getattr(lib, v) if k == "dtype" else v for k, v in kwargs.items()}
    return getattr(lib.nn, name)(*args, **kwargs)


@requires_torch
@pytest.mark.parametrize("name, args, kwargs", MODULES, ids=[f"{m[0]}-{i}" for i, m in enumerate(MODULES)])
def test_initialisation_state_dict_and_repr_match_torch(name, args, kwargs):
    for seed in (0, 7):
        minitorch.manual_seed(seed)
        torch.manual_seed(seed)
        m_mod, t_mod = _build(minitorch, name, args, kwargs), _build(torch, name, args, kwargs)
        m_sd, t_sd = m_mod.state_dict(), t_mod.state_dict()
        assert list(m_sd) == list(t_sd)
        for key in t_sd:
            assert m_sd[key].dtype == getattr(minitorch, str(t_sd[key].dtype).split(".")[1])
            np.testing.assert_array_equal(m_sd[key].numpy(), t_sd[key].numpy(), err_msg=key)
        # the draws after construction continue from the same generator state
        np.testing.assert_array_equal(minitorch.rand(3).numpy(), torch.rand(3).numpy())
    assert repr(m_mod) == repr(t_mod)
    if hasattr(t_mod, "_flat_weights_names"):
        assert m_mod._flat_weights_names == t_mod._flat_weights_names
        assert [list(w) for w in m_mod._all_weights] == [list(w) for w in t_mod._all_weights]


def test_initialisation_bounds_and_flat_weights():
    lstm = nn.LSTM(3, 16, num_layers=2, bidirectional=True, proj_size=4)
    assert len(lstm._flat_weights) == 2 * 2 * 5
    for name, w in zip(lstm._flat_weights_names, lstm._flat_weights):
        assert w is getattr(lstm, name)
        assert float(w.abs().max()) <= 0.25  # U(-1/sqrt(16), 1/sqrt(16))
    assert lstm.weight_ih_l1.shape == (64, 8) and lstm.weight_hr_l1_reverse.shape == (4, 16)
    assert lstm.flatten_parameters() is None
    assert [len(ws) for ws in lstm.all_weights] == [5, 5, 5, 5]
    # assigning a new Parameter updates the flat list, as torch's __setattr__ does
    new = nn.Parameter(minitorch.zeros(64, 4))
    lstm.weight_hh_l0 = new
    assert lstm._flat_weights[1] is new


def test_module_conversions_copies_and_pickling_keep_working():
    minitorch.manual_seed(3)
    gru = nn.GRU(3, 4, num_layers=2, bidirectional=True)
    x = minitorch.randn(5, 2, 3, dtype=minitorch.float64)
    gru.double()  # parameters keep their identity; the flat list follows them
    assert gru._flat_weights[0].dtype == minitorch.float64 and gru._flat_weights[0] is gru.weight_ih_l0
    expected, h = gru(x)
    for other in (copy.deepcopy(gru), pickle.loads(pickle.dumps(gru))):
        out, h2 = other(x)
        np.testing.assert_array_equal(out.detach().numpy(), expected.detach().numpy())
        assert other._flat_weights[0] is other.weight_ih_l0
    fresh = nn.GRU(3, 4, num_layers=2, bidirectional=True).double()
    fresh.load_state_dict(gru.state_dict())
    np.testing.assert_array_equal(fresh(x)[0].detach().numpy(), expected.detach().numpy())


# ----- dropout between layers in training ----------------------------------------------------
@requires_torch
@pytest.mark.parametrize("packed", (False, True))
@pytest.mark.parametrize("mode", sorted(MODES))
def test_dropout_in_training_draws_torchs_masks(mode, packed):
    m_mod, t_mod = _pair(mode, {"num_layers": 3, "dropout": 0.4, "bidirectional": True})
    rng = np.random.default_rng(2)
    x = rng.standard_normal((T, B, I))
    m_x, t_x = _leaf(minitorch, x), _leaf(torch, x)
    minitorch.manual_seed(11)
    torch.manual_seed(11)
    m_out, m_fin = _run(minitorch, m_mod, m_x, None, "packed" if packed else "padded")
    t_out, t_fin = _run(torch, t_mod, t_x, None, "packed" if packed else "padded")
    np.testing.assert_allclose(m_out.detach().numpy(), t_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    (m_out.sum() + m_fin[0].sum()).backward()
    (t_out.sum() + t_fin[0].sum()).backward()
    np.testing.assert_allclose(m_x.grad.numpy(), t_x.grad.numpy(), rtol=1e-10, atol=1e-12)
    for p, tp in zip(m_mod.parameters(), t_mod.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-10, atol=1e-12)
    # the generator is left where torch's is
    np.testing.assert_array_equal(minitorch.rand(4).numpy(), torch.rand(4).numpy())


def test_dropout_is_applied_between_layers_only_in_training():
    minitorch.manual_seed(0)
    lstm = nn.LSTM(3, 8, num_layers=2, dropout=0.9)
    x = minitorch.randn(4, 2, 3)
    lstm.eval()
    a, b = lstm(x)[0], lstm(x)[0]
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    lstm.train()
    c, d = lstm(x)[0], lstm(x)[0]
    assert not np.array_equal(c.detach().numpy(), d.detach().numpy())
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.GRU(3, 4, dropout=0.2)


# ----- cells ----------------------------------------------------------------------------------
CELLS = {"rnn_cell": ("RNNCell", {}), "rnn_cell_relu": ("RNNCell", {"nonlinearity": "relu"}),
         "lstm_cell": ("LSTMCell", {}), "gru_cell": ("GRUCell", {}), "gru_cell_no_bias": ("GRUCell", {"bias": False}),
         "lstm_cell_no_bias": ("LSTMCell", {"bias": False})}


@requires_torch
@pytest.mark.parametrize("dtype", ("float32", "float64"))
@pytest.mark.parametrize("kind", ("batched", "unbatched", "no_hx"))
@pytest.mark.parametrize("cell", sorted(CELLS))
def test_cell_matches_torch(cell, kind, dtype):
    name, kwargs = CELLS[cell]
    minitorch.manual_seed(0)
    torch.manual_seed(0)
    m_cell = getattr(nn, name)(I, H, **kwargs, dtype=getattr(minitorch, dtype))
    t_cell = getattr(torch.nn, name)(I, H, **kwargs, dtype=getattr(torch, dtype))
    for p, tp in zip(m_cell.parameters(), t_cell.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), tp.detach().numpy())
    rng = np.random.default_rng(0)
    lead = () if kind == "unbatched" else (3,)
    x = rng.standard_normal(lead + (I,)).astype(dtype)
    n_states = 2 if name == "LSTMCell" else 1
    states = [rng.standard_normal(lead + (H,)).astype(dtype) for _ in range(n_states)]
    m_x, t_x = _leaf(minitorch, x), _leaf(torch, x)
    m_s = [_leaf(minitorch, s) for s in states]
    t_s = [_leaf(torch, s) for s in states]
    if kind == "no_hx":
        m_out, t_out = m_cell(m_x), t_cell(t_x)
    elif name == "LSTMCell":
        m_out, t_out = m_cell(m_x, tuple(m_s)), t_cell(t_x, tuple(t_s))
    else:
        m_out, t_out = m_cell(m_x, m_s[0]), t_cell(t_x, t_s[0])
    m_out = m_out if isinstance(m_out, tuple) else (m_out,)
    t_out = t_out if isinstance(t_out, tuple) else (t_out,)
    tol = TOL[dtype]
    for a, b in zip(m_out, t_out):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), **tol)
    seeds = [rng.standard_normal(tuple(b.shape)).astype(dtype) for b in t_out]
    sum((a * minitorch.tensor(s)).sum() for a, s in zip(m_out, seeds)).backward()
    sum((b * torch.tensor(s)).sum() for b, s in zip(t_out, seeds)).backward()
    for p, tp in zip(list(m_cell.parameters()) + [m_x], list(t_cell.parameters()) + [t_x]):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), **tol)
    if kind != "no_hx":
        for a, b in zip(m_s, t_s):
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), **tol)


def test_cell_step_equals_one_step_of_the_layer():
    minitorch.manual_seed(0)
    lstm = nn.LSTM(3, 4).double()
    cell = nn.LSTMCell(3, 4).double()
    cell.load_state_dict({k[:-3]: v for k, v in lstm.state_dict().items()})
    x = minitorch.randn(1, 2, 3, dtype=minitorch.float64)
    out, (h, c) = lstm(x)
    h1, c1 = cell(x[0])
    np.testing.assert_array_equal(h1.detach().numpy(), h[0].detach().numpy())
    np.testing.assert_array_equal(c1.detach().numpy(), c[0].detach().numpy())


# ----- errors ---------------------------------------------------------------------------------
def _error_cases(lib):
    randn = lib.randn
    f64 = lib.float64
    lstm, gru, rnn = lib.nn.LSTM(3, 4, num_layers=2), lib.nn.GRU(3, 4, num_layers=2), lib.nn.RNN(3, 4, num_layers=2)
    cells = {"rnn": lib.nn.RNNCell(3, 4), "lstm": lib.nn.LSTMCell(3, 4), "gru": lib.nn.GRUCell(3, 4)}
    cases = {
        "input_size": lambda: lstm(randn(5, 2, 6)),
        "input_dims": lambda: gru(randn(5, 2, 3, 1)),
        "rnn_input_dims": lambda: rnn(randn(5)),
        "input_dtype": lambda: rnn(randn(5, 2, 3, dtype=f64)),
        "hidden_batch": lambda: gru(randn(5, 2, 3), randn(2, 3, 4)),
        "hidden_layers": lambda: rnn(randn(5, 2, 3), randn(3, 2, 4)),
        "hidden_dims_batched": lambda: gru(randn(5, 2, 3), randn(2, 4)),
        "hidden_dims_unbatched": lambda: rnn(randn(5, 3), randn(2, 2, 4)),
        "hidden_dtype": lambda: gru(randn(5, 2, 3), randn(2, 2, 4, dtype=f64)),
        "lstm_h_size": lambda: lstm(randn(5, 2, 3), (randn(2, 3, 4), randn(2, 2, 4))),
        "lstm_c_size": lambda: lstm(randn(5, 2, 3), (randn(2, 2, 4), randn(1, 2, 4))),
        "lstm_hx_dims": lambda: lstm(randn(5, 2, 3), (randn(2, 4), randn(2, 2, 4))),
        "lstm_hx_dims_unbatched": lambda: lstm(randn(5, 3), (randn(2, 2, 4), randn(2, 2, 4))),
        "lstm_one_state": lambda: lstm(randn(5, 2, 3), randn(2, 2, 4)),
        "empty_sequence": lambda: gru(randn(0, 2, 3)),
        "packed_dims": lambda: gru(lib.nn.utils.rnn.PackedSequence(randn(5, 1, 3), lib.tensor([3, 2]))),
        "proj_for_gru": lambda: lib.nn.GRU(3, 4, proj_size=2),
        "proj_too_big": lambda: lib.nn.LSTM(3, 4, proj_size=4),
        "proj_negative": lambda: lib.nn.LSTM(3, 4, proj_size=-1),
        "bad_dropout": lambda: lib.nn.LSTM(3, 4, dropout=1.5),
        "bool_dropout": lambda: lib.nn.LSTM(3, 4, dropout=True),
        "bias_type": lambda: lib.nn.GRU(3, 4, bias=1),
        "batch_first_type": lambda: lib.nn.GRU(3, 4, batch_first=None),
        "input_size_type": lambda: lib.nn.GRU(3.0, 4),
        "input_size_zero": lambda: lib.nn.GRU(0, 4),
        "hidden_size_type": lambda: lib.nn.RNN(3, "4"),
        "hidden_size_zero": lambda: lib.nn.RNN(3, 0),
        "num_layers_zero": lambda: lib.nn.RNN(3, 4, num_layers=0),
        "nonlinearity": lambda: lib.nn.RNN(3, 4, nonlinearity="sigmoid"),
        "nonlinearity_positional": lambda: lib.nn.RNN(3, 4, 1, "gelu"),
    }
    for kind, cell in cells.items():
        two = kind == "lstm"

        def hx(*shape, dtype=None, two=two):
            t = randn(*shape, dtype=dtype)
            return (t, randn(*shape)) if two else t
        cases.update({
            f"{kind}_cell_input_size": lambda cell=cell: cell(randn(2, 5)),
            f"{kind}_cell_batch": lambda cell=cell, hx=hx: cell(randn(2, 3), hx(3, 4)),
            f"{kind}_cell_hidden_size": lambda cell=cell, hx=hx: cell(randn(2, 3), hx(2, 5)),
            f"{kind}_cell_1d_hidden": lambda cell=cell, hx=hx: cell(randn(2, 3), hx(4)),
            f"{kind}_cell_unbatched_2d_hidden": lambda cell=cell, hx=hx: cell(randn(3), hx(2, 4)),
            f"{kind}_cell_input_dims": lambda cell=cell: cell(randn(2, 3, 3)),
            f"{kind}_cell_dtype": lambda cell=cell: cell(randn(2, 3, dtype=f64)),
            f"{kind}_cell_hidden_dtype": lambda cell=cell, hx=hx: cell(randn(2, 3), hx(2, 4, dtype=f64)),
        })
    cases["lstm_cell_second_state_batch"] = lambda: cells["lstm"](randn(2, 3), (randn(2, 4), randn(3, 4)))
    cases["lstm_cell_second_state_size"] = lambda: cells["lstm"](randn(2, 3), (randn(2, 4), randn(2, 5)))
    cases["gru_cell_hidden_dims"] = lambda: cells["gru"](randn(2, 3), randn(1, 2, 4))
    return cases


ERROR_CASES = sorted(_error_cases(minitorch))


@requires_torch
@pytest.mark.parametrize("case", ERROR_CASES)
def test_errors_match_torch(case):
    with pytest.raises(Exception) as expected:
        _error_cases(torch)[case]()
    with pytest.raises(Exception) as got:
        _error_cases(minitorch)[case]()
    assert got.type is expected.type
    assert str(got.value) == str(expected.value)


def test_lstm_checks_packed_input_dims():
    # torch checks this for RNN and GRU; its LSTM fails later, in C++, with another message
    packed = rnn_utils.PackedSequence(minitorch.randn(5, 1, 3), minitorch.tensor([3, 2]))
    with pytest.raises(RuntimeError, match="input must have 2 dimensions, got 3"):
        nn.LSTM(3, 4)(packed)


def test_lstm_error_for_mismatched_state_dtype_names_the_dtypes():
    # torch's float32 LSTM says "get_mkldnn_dtype: unsupported data type" here
    lstm = nn.LSTM(3, 4)
    h = minitorch.zeros(1, 2, 4, dtype=minitorch.float64)
    with pytest.raises(RuntimeError, match="mat1 and mat2 must have the same dtype, but got Double and Float"):
        lstm(minitorch.randn(5, 2, 3), (h, minitorch.zeros(1, 2, 4)))


# ----- without torch: central differences and a NumPy reference -------------------------------
@pytest.mark.parametrize("name, kwargs", [
    ("LSTM", {"num_layers": 2, "bidirectional": True, "proj_size": 2}),
    ("GRU", {"num_layers": 2, "bidirectional": True}),
    ("RNN", {"nonlinearity": "tanh", "bias": False}),
])
@pytest.mark.parametrize("packed", (False, True))
def test_gradcheck_of_layers(name, kwargs, packed):
    minitorch.manual_seed(0)
    module = getattr(nn, name)(2, 3, **kwargs).double()
    x = minitorch.randn(4, 3, 2, dtype=minitorch.float64, requires_grad=True)

    def f(x, *params):
        if packed:
            out = module(rnn_utils.pack_padded_sequence(x, [2, 4, 3], enforce_sorted=False))[0]
            return rnn_utils.pad_packed_sequence(out)[0]
        out, hidden = module(x)
        return out.sum() + (hidden[0] if isinstance(hidden, tuple) else hidden).pow(2).sum()
    assert gradcheck(f, (x,) + tuple(module.parameters()))


@pytest.mark.parametrize("mode", ("LSTM", "GRU", "RNN_TANH", "RNN_RELU"))
def test_gradcheck_of_the_double_backward(mode):
    # the gradient with create_graph=True is itself differentiable, and right
    rng = np.random.default_rng(0)
    g = {"LSTM": 4, "GRU": 3}.get(mode, 1) * 3
    gx = minitorch.tensor(rng.standard_normal((8, g)), requires_grad=True)
    h0 = minitorch.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    c0 = minitorch.tensor(rng.standard_normal((4, 3)), requires_grad=True) if mode == "LSTM" else None
    w_hh = minitorch.tensor(rng.standard_normal((g, 3)) * 0.5, requires_grad=True)
    b_hh = minitorch.tensor(rng.standard_normal(g), requires_grad=True)

    def grad_of(gx, h0, w_hh, b_hh):
        # gradcheck evaluates func under no_grad for its finite differences
        outer = minitorch.is_grad_enabled()
        with minitorch.enable_grad():
            grads = _grad_of(gx, h0, w_hh, b_hh)
        return grads if outer else tuple(g.detach() for g in grads)

    def _grad_of(gx, h0, w_hh, b_hh):
        y = rnn_layer(mode, gx, h0, c0, w_hh, b_hh, None, (4, 3, 1), reverse=True)
        grads = minitorch.autograd.grad((y * y).sum(), (gx, h0, w_hh, b_hh), create_graph=True)
        return tuple(grads)
    assert gradcheck(grad_of, (gx, h0, w_hh, b_hh))


@requires_torch
@pytest.mark.parametrize("mode", sorted(MODES))
def test_double_backward_matches_torch(mode):
    m_mod, t_mod = _pair(mode, {"bidirectional": True})
    x = np.random.default_rng(0).standard_normal((5, 2, I))
    m_x, t_x = _leaf(minitorch, x), _leaf(torch, x)
    (m_g,) = minitorch.autograd.grad((m_mod(m_x)[0] ** 2).sum(), m_x, create_graph=True)
    (t_g,) = torch.autograd.grad((t_mod(t_x)[0] ** 2).sum(), t_x, create_graph=True)
    np.testing.assert_allclose(m_g.detach().numpy(), t_g.detach().numpy(), rtol=1e-10, atol=1e-12)
    (m_g ** 2).sum().backward()
    (t_g ** 2).sum().backward()
    for p, tp in zip(list(m_mod.parameters()) + [m_x], list(t_mod.parameters()) + [t_x]):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-9, atol=1e-12)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _reference_layer(mode, gx, h0, c0, w_hh, b_hh, batch_sizes, reverse):
    """The recurrence written out directly in NumPy (textbook formulas, not torch's order)."""
    starts = np.concatenate([[0], np.cumsum(batch_sizes)])
    h_dim = w_hh.shape[1]
    n = w_hh.shape[0] // {"LSTM": 4, "GRU": 3}.get(mode, 1)
    b_hh = np.zeros(w_hh.shape[0]) if b_hh is None else b_hh
    h_out, c_out = np.zeros((gx.shape[0], h_dim)), np.zeros((gx.shape[0], n))
    order = range(len(batch_sizes) - 1, -1, -1) if reverse else range(len(batch_sizes))
    h, c = h0.copy(), None if c0 is None else c0.copy()
    for t in order:
        bs = batch_sizes[t]
        rows = slice(starts[t], starts[t] + bs)
        if reverse:  # sequences join the reverse pass from their initial state
            h = np.concatenate([h[:min(len(h), bs)], h0[len(h):bs]]) if len(h) < bs else h[:bs]
            if c is not None:
                c = np.concatenate([c[:min(len(c), bs)], c0[len(c):bs]]) if len(c) < bs else c[:bs]
        else:
            h, c = h[:bs], None if c is None else c[:bs]
        a, hh = gx[rows], h @ w_hh.T + b_hh
        if mode == "LSTM":
            i, f, g, o = np.split(a + hh, 4, axis=1)
            c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
            h = _sigmoid(o) * np.tanh(c)
            c_out[rows] = c
        elif mode == "GRU":
            (ar, az, an), (hr, hz, hn) = np.split(a, 3, axis=1), np.split(hh, 3, axis=1)
            r, z = _sigmoid(ar + hr), _sigmoid(az + hz)
            nn_ = np.tanh(an + r * hn)
            h = (1 - z) * nn_ + z * h
        else:
            h = np.tanh(a + hh) if mode == "RNN_TANH" else np.maximum(a + hh, 0)
        h_out[rows] = h
    return np.concatenate([h_out, c_out], axis=1) if mode == "LSTM" else h_out


@st.composite
def _layer_case(draw):
    mode = draw(st.sampled_from(("LSTM", "GRU", "RNN_TANH", "RNN_RELU")))
    n = draw(st.integers(1, 4))
    sizes = sorted(draw(st.lists(st.integers(1, 4), min_size=1, max_size=5)), reverse=True)
    g = {"LSTM": 4, "GRU": 3}.get(mode, 1) * n
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    arrays = {"gx": rng.standard_normal((sum(sizes), g)), "h0": rng.standard_normal((sizes[0], n)),
              "c0": rng.standard_normal((sizes[0], n)) if mode == "LSTM" else None,
              "w_hh": rng.standard_normal((g, n)) * 0.6,
              "b_hh": rng.standard_normal(g) if draw(st.booleans()) else None}
    tensors = {k: None if v is None else draw(layout_of(v)) for k, v in arrays.items()}
    return mode, sizes, draw(st.booleans()), arrays, tensors


@hsettings(max_examples=40)
@given(case=_layer_case())
def test_rnn_layer_matches_a_numpy_reference_on_any_layout(case):
    mode, sizes, reverse, arrays, tensors = case
    y = rnn_layer(mode, tensors["gx"], tensors["h0"], tensors["c0"], tensors["w_hh"], tensors["b_hh"], None,
                  sizes, reverse)
    expected = _reference_layer(mode, arrays["gx"], arrays["h0"], arrays["c0"], arrays["w_hh"], arrays["b_hh"],
                                sizes, reverse)
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-12, atol=1e-12)


def test_module_matches_the_numpy_reference():
    # a bidirectional two-layer GRU on a packed batch, computed layer by layer by hand
    minitorch.manual_seed(0)
    gru = nn.GRU(3, 4, num_layers=2, bidirectional=True).double()
    x = np.random.default_rng(0).standard_normal((5, 3, 3))
    lengths = [5, 3, 2]
    out = gru(rnn_utils.pack_padded_sequence(minitorch.tensor(x), lengths))[0].data.detach().numpy()
    rows = np.concatenate([x[t, :sum(1 for n in lengths if n > t)] for t in range(5)])
    sizes = [3, 3, 2, 1, 1]
    w = {k: v.detach().numpy() for k, v in gru.state_dict().items()}
    for layer in range(2):
        parts = []
        for sfx, reverse in (("", False), ("_reverse", True)):
            key = f"l{layer}{sfx}"
            gx = rows @ w[f"weight_ih_{key}"].T + w[f"bias_ih_{key}"]
            parts.append(_reference_layer("GRU", gx, np.zeros((3, 4)), None, w[f"weight_hh_{key}"],
                                          w[f"bias_hh_{key}"], sizes, reverse))
        rows = np.concatenate(parts, axis=1)
    np.testing.assert_allclose(out, rows, rtol=1e-12, atol=1e-12)


def test_batch_of_zero_sequences_and_unbatched_shapes():
    lstm = nn.LSTM(3, 4, bidirectional=True, batch_first=True)
    out, (h, c) = lstm(minitorch.randn(0, 5, 3))
    assert out.shape == (0, 5, 8) and h.shape == (2, 0, 4) and c.shape == (2, 0, 4)
    out, (h, c) = lstm(minitorch.randn(5, 3))
    assert out.shape == (5, 8) and h.shape == (2, 4) and c.shape == (2, 4)
    out, h = nn.GRU(3, 4, num_layers=3)(minitorch.randn(5, 3), minitorch.zeros(3, 4))
    assert out.shape == (5, 4) and h.shape == (3, 4)


def test_packed_output_keeps_the_permutation():
    minitorch.manual_seed(0)
    rnn = nn.RNN(2, 3)
    packed = rnn_utils.pack_sequence([minitorch.randn(2, 2), minitorch.randn(4, 2), minitorch.randn(1, 2)],
                                     enforce_sorted=False)
    out, h = rnn(packed)
    assert isinstance(out, rnn_utils.PackedSequence)
    assert out.batch_sizes.tolist() == [3, 2, 1, 1]
    assert out.sorted_indices.tolist() == [1, 0, 2] and out.unsorted_indices.tolist() == [1, 0, 2]
    # h_n is in the caller's order: sequence 2 (length 1) ends after its first step
    padded, lengths = rnn_utils.pad_packed_sequence(out)
    assert lengths.tolist() == [2, 4, 1]
    for b, n in enumerate([2, 4, 1]):
        np.testing.assert_array_equal(h[0, b].detach().numpy(), padded[n - 1, b].detach().numpy())


@pytest.mark.parametrize("reverse", (False, True))
@pytest.mark.parametrize("dtype", ("float32", "float64"))
@pytest.mark.parametrize("mode", ("LSTM", "GRU"))
def test_fused_cpu_gate_kernels_equal_the_tensor_formulas(mode, dtype, reverse):
    # a plain backward runs the numba kernels; create_graph=True runs the Tensor formulas
    rng = np.random.default_rng(5)
    g = {"LSTM": 4, "GRU": 3}[mode] * 6
    arrays = [rng.standard_normal(s).astype(dtype) for s in ((13, g), (5, 6), (5, 6), (g, 6), (g,), (13, 12))]
    results = []
    for create_graph in (False, True):
        gx, h0, c0, w_hh, b_hh = (minitorch.tensor(a, requires_grad=True) for a in arrays[:5])
        y = rnn_layer(mode, gx, h0, c0 if mode == "LSTM" else None, w_hh * 0.4, b_hh, None, (5, 4, 2, 1, 1),
                      reverse)
        inputs = (gx, h0, w_hh, b_hh) + ((c0,) if mode == "LSTM" else ())
        loss = (y * minitorch.tensor(arrays[5][:, :y.shape[1]])).sum()
        grads = minitorch.autograd.grad(loss, inputs, create_graph=create_graph)
        results.append([t.detach().numpy() for t in grads])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, **TOL[dtype])
