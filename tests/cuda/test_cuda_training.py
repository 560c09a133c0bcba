"""Whole programs on the CUDA device: modules, optimizers, random numbers, save/load."""
import io

import numpy as np
import pytest

import minitorch
from minitorch import nn
from .conftest import assert_same, rand, requires_cuda

pytestmark = requires_cuda


def _model():
    minitorch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 3), nn.LogSoftmax(dim=1))


def _train(device, steps=3):
    model = _model().to(device)
    opt = minitorch.optim.Adam(model.parameters(), lr=1e-2)
    x = rand(4, 2, 3, seed=1).to(device)
    y = minitorch.tensor([0, 1, 2, 1]).to(device)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = nn.NLLLoss()(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return model, losses


def test_training_on_cuda_matches_the_cpu():
    cpu_model, cpu_losses = _train("cpu")
    gpu_model, gpu_losses = _train("cuda")
    np.testing.assert_allclose(gpu_losses, cpu_losses, rtol=1e-5)
    for (name, p), q in zip(gpu_model.named_parameters(), cpu_model.parameters()):
        assert p.device.type == "cuda", name
        assert_same(p, q, rtol=1e-5, atol=1e-6)


def test_module_moves_and_comes_back():
    model = _model()
    weight = model[1].weight
    assert model.cuda() is model and model[1].weight.device.type == "cuda"
    assert model[1].weight is not weight or model[1].weight.device.type == "cuda"
    model.cpu()
    assert all(p.device.type == "cpu" for p in model.parameters())
    np.testing.assert_array_equal(model[1].weight.detach().numpy(), weight.detach().numpy())


def test_state_dict_round_trip_through_a_file():
    model = _model().cuda()
    buffer = io.BytesIO()
    minitorch.save(model.state_dict(), buffer)
    on_cpu = minitorch.load(io.BytesIO(buffer.getvalue()), map_location="cpu")
    on_gpu = minitorch.load(io.BytesIO(buffer.getvalue()))
    for key, value in model.state_dict().items():
        assert on_cpu[key].device.type == "cpu" and on_gpu[key].device.type == "cuda"
        np.testing.assert_array_equal(on_cpu[key].numpy(), value.cpu().numpy())
    fresh = _model()
    fresh.load_state_dict(on_gpu)  # values copied onto the CPU parameters
    assert fresh[1].weight.device.type == "cpu"


def test_random_numbers_on_the_device_are_reproducible():
    minitorch.manual_seed(123)
    a = minitorch.rand(50, device="cuda")
    b = minitorch.randn(3, 4, device="cuda", dtype=minitorch.float64)
    minitorch.manual_seed(123)
    assert_same(minitorch.rand(50, device="cuda"), a.cpu())
    assert_same(minitorch.randn(3, 4, device="cuda", dtype=minitorch.float64), b.cpu())
    values = a.cpu().numpy()
    assert values.min() >= 0 and values.max() < 1 and a.dtype == minitorch.float32
    minitorch.cuda.manual_seed(7)
    c = minitorch.empty(20, device="cuda").uniform_(-2, 2)
    minitorch.cuda.manual_seed(7)
    assert_same(minitorch.empty(20, device="cuda").uniform_(-2, 2), c.cpu())
    assert -2 <= c.min().item() and c.max().item() < 2


def test_dropout_on_cuda_draws_on_the_device():
    x = minitorch.ones(200, device="cuda", requires_grad=True)
    y = nn.functional.dropout(x, 0.25)
    kept = y.detach().cpu().numpy()
    assert set(np.unique(kept)) <= {0.0, np.float32(1 / 0.75)}
    assert 0.6 < (kept != 0).mean() < 0.9
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.cpu().numpy(), kept)
    minitorch.manual_seed(3)
    first = nn.functional.dropout(x, 0.5).detach().cpu().numpy()
    minitorch.manual_seed(3)
    np.testing.assert_array_equal(nn.functional.dropout(x, 0.5).detach().cpu().numpy(), first)
    with pytest.raises(RuntimeError, match="Expected a 'cuda' device type for generator but found 'cpu'"):
        minitorch.rand(3, device="cuda", generator=minitorch.Generator())


def test_memory_statistics_and_cache():
    before = minitorch.cuda.memory_allocated()
    x = minitorch.empty(1000, device="cuda")
    assert minitorch.cuda.memory_allocated() >= before + 4000
    assert minitorch.cuda.max_memory_allocated() >= minitorch.cuda.memory_allocated()
    del x
    assert minitorch.cuda.memory_allocated() == before
    assert minitorch.cuda.memory_reserved() >= before
    minitorch.cuda.empty_cache()
    minitorch.cuda.synchronize()
    assert minitorch.cuda.device_count() >= 1 and minitorch.cuda.current_device() == 0
    assert isinstance(minitorch.cuda.get_device_name(), str)


def test_a_second_gpu_index_is_refused_clearly():
    with pytest.raises(RuntimeError, match="cuda:5"):
        minitorch.zeros(2, device="cuda:5")


def test_inplace_on_a_view_of_a_non_leaf_rewrites_the_graph_as_on_the_cpu():
    grads = []
    for device in ("cpu", "cuda"):
        x = minitorch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], device=device, requires_grad=True)
        b = x * 2
        v = b.t()[1:]
        v.mul_(v)
        assert type(b.grad_fn).__name__ == "CopySlices"
        (b * minitorch.arange(6.0, device=device).reshape(2, 3)).sum().backward()
        grads.append(x.grad)
    assert_same(grads[1], grads[0])
