"""Layers and loss modules: outputs, gradients and reprs against torch given the same
weights; PyTorch's default initialisation bounds; a small MLP that learns."""
import math

import numpy as np
import pytest

import minitorch
from minitorch import nn
from tests._compat import requires_torch, torch

RNG = np.random.default_rng(2)


def _copy_params(m_module, t_module):
    """Give the minitorch module the torch module's parameter values."""
    with minitorch.no_grad():
        for (name, p), (t_name, tp) in zip(m_module.named_parameters(), t_module.named_parameters()):
            assert name == t_name
            p.copy_(minitorch.tensor(tp.detach().numpy()))


LAYERS = {
    "linear": lambda lib: lib.nn.Linear(5, 3),
    "linear_nobias": lambda lib: lib.nn.Linear(5, 3, bias=False),
    "mlp": lambda lib: lib.nn.Sequential(lib.nn.Linear(5, 8), lib.nn.ReLU(), lib.nn.Linear(8, 8), lib.nn.Tanh(),
                                         lib.nn.Linear(8, 4), lib.nn.LogSoftmax(dim=1)),
    "activations": lambda lib: lib.nn.Sequential(lib.nn.LeakyReLU(0.1), lib.nn.GELU(), lib.nn.Sigmoid(),
                                                 lib.nn.Softmax(dim=-1)),
    "flatten": lambda lib: lib.nn.Sequential(lib.nn.Unflatten(1, (5, 1)), lib.nn.Flatten()),
    "identity_dropout_eval": lambda lib: lib.nn.Sequential(lib.nn.Identity(), lib.nn.Dropout(0.5).eval()),
}


@requires_torch
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_output_gradients_and_repr_match_torch(name):
    m_layer, t_layer = LAYERS[name](minitorch), LAYERS[name](torch)
    assert repr(m_layer) == repr(t_layer)
    _copy_params(m_layer, t_layer)
    x = RNG.standard_normal((4, 5)).astype(np.float32)
    xm, xt = minitorch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ym, yt = m_layer(xm), t_layer(xt)
    np.testing.assert_allclose(ym.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    g = RNG.standard_normal(tuple(yt.shape)).astype(np.float32)
    ym.backward(minitorch.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(xm.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-6)
    for (n, p), (_, tp) in zip(m_layer.named_parameters(), t_layer.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-5, atol=1e-6, err_msg=n)


@requires_torch
def test_embedding_module_matches_torch():
    m_emb, t_emb = nn.Embedding(7, 3, padding_idx=1), torch.nn.Embedding(7, 3, padding_idx=1)
    assert repr(m_emb) == repr(t_emb)
    assert m_emb.weight[1].tolist() == [0.0, 0.0, 0.0]
    _copy_params(m_emb, t_emb)
    idx = np.array([[1, 2, 2], [6, 0, 1]])
    ym, yt = m_emb(minitorch.tensor(idx)), t_emb(torch.tensor(idx))
    np.testing.assert_array_equal(ym.detach().numpy(), yt.detach().numpy())
    ym.sum().backward()
    yt.sum().backward()
    np.testing.assert_array_equal(m_emb.weight.grad.numpy(), t_emb.weight.grad.numpy())


@requires_torch
@pytest.mark.parametrize("make", [
    lambda lib: lib.nn.MSELoss(), lambda lib: lib.nn.L1Loss(reduction="sum"),
    lambda lib: lib.nn.CrossEntropyLoss(), lambda lib: lib.nn.CrossEntropyLoss(label_smoothing=0.1),
    lambda lib: lib.nn.NLLLoss(reduction="none"), lambda lib: lib.nn.BCEWithLogitsLoss(),
    lambda lib: lib.nn.CrossEntropyLoss(weight=lib.tensor([1.0, 2.0, 0.5, 1.0]), ignore_index=3),
])
def test_loss_modules_match_torch(make):
    m_loss, t_loss = make(minitorch), make(torch)
    assert repr(m_loss) == repr(t_loss)
    x = RNG.standard_normal((6, 4)).astype(np.float32)
    if type(t_loss).__name__ in ("MSELoss", "L1Loss", "BCEWithLogitsLoss"):
        target = RNG.random((6, 4)).astype(np.float32)
    else:
        target = RNG.integers(0, 4, 6)
    out_m = m_loss(minitorch.tensor(x), minitorch.tensor(target))
    out_t = t_loss(torch.tensor(x), torch.tensor(target))
    np.testing.assert_allclose(out_m.numpy(), out_t.numpy(), rtol=1e-5, atol=1e-6)
    assert list(m_loss.state_dict()) == list(t_loss.state_dict())


def test_linear_default_init_stays_within_pytorch_bounds():
    minitorch.manual_seed(0)
    layer = nn.Linear(784, 128)
    # kaiming_uniform(a=sqrt(5)) gives bound = 1/sqrt(fan_in) for the weight, the same as the bias.
    bound = 1 / math.sqrt(784)
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.95 * bound  # it really is uniform over the whole range
    assert abs(w.std() - bound / math.sqrt(3)) < 0.02 * bound
    assert layer.weight.requires_grad and layer.weight.is_leaf


def test_init_functions_match_their_formulas():
    w = minitorch.empty(200, 300)
    nn.init.xavier_uniform_(w)
    assert np.abs(w.numpy()).max() <= math.sqrt(6 / 500)
    nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert abs(w.numpy().std() - math.sqrt(2 / 200)) < 0.005
    nn.init.constant_(w, 0.5)
    assert (w.numpy() == 0.5).all()
    nn.init.zeros_(w)
    assert not w.numpy().any()
    assert nn.init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2 / 1.04)
    with pytest.raises(ValueError, match="Fan in and fan out can not be computed"):
        nn.init.xavier_uniform_(minitorch.empty(3))


def test_dropout_module_is_identity_in_eval_and_random_in_train():
    drop = nn.Dropout(0.5)
    x = minitorch.ones(1000)
    y = drop(x)
    assert 350 < int((y == 0).sum()) < 650
    drop.eval()
    assert drop(x) is x
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got -0.1"):
        nn.Dropout(-0.1)


def test_linear_rejects_wrong_input_width_naming_both_shapes():
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(64x100 and 784x128\)"):
        nn.Linear(784, 128)(minitorch.randn(64, 100))


def test_a_small_mlp_learns_two_interleaved_spirals():
    minitorch.manual_seed(0)
    rng = np.random.default_rng(0)
    n = 200
    t = rng.uniform(0.5, 3.5, n)
    labels = rng.integers(0, 2, n)
    angle = t * 2 + labels * math.pi
    points = np.stack([t * np.cos(angle), t * np.sin(angle)], 1).astype(np.float32)
    x, y = minitorch.tensor(points), minitorch.tensor(labels)
    model = nn.Sequential(nn.Linear(2, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 2))
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(600):
        model.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        with minitorch.no_grad():
            for p in model.parameters():
                p -= 0.1 * p.grad
    accuracy = (model(x).argmax(1) == y).float().mean().item()
    assert accuracy >= 0.95, accuracy
