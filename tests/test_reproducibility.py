"""Same seed, same run: 100 Adam steps of the tutorial MLP (dropout on, shuffled
DataLoader) from manual_seed(0) follow PyTorch's weights step by step."""
import numpy as np

import minitorch
from tests._compat import requires_torch, torch


def _run(lib, steps: int) -> list[np.ndarray]:
    lib.manual_seed(0)
    nn = lib.nn
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10),
                          nn.LogSoftmax(dim=1))
    optimizer = lib.optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((1024, 1, 28, 28)).astype(np.float32))
    y = lib.tensor(rng.integers(0, 10, 1024))
    loader = lib.utils.data.DataLoader(lib.utils.data.TensorDataset(x, y), batch_size=64, shuffle=True)
    loss_fn = nn.NLLLoss()
    weights = []
    while len(weights) < steps:
        for inputs, targets in loader:
            optimizer.zero_grad()
            loss_fn(model(inputs), targets).backward()
            optimizer.step()
            weights.append(np.concatenate([p.detach().numpy().ravel() for p in model.parameters()]))
            if len(weights) == steps:
                break
    return weights


@requires_torch
def test_training_from_the_same_seed_follows_pytorchs_weights():
    ours, theirs = _run(minitorch, 100), _run(torch, 100)
    largest = max(float(np.abs(a - b).max()) for a, b in zip(ours, theirs))
    # Same initial weights, dropout masks and batch order; only BLAS rounding differs.
    assert largest < 1e-4, largest
