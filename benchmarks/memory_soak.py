"""Long-run stability: train the MNIST MLP for many epochs and report resident memory
(RSS) after each one; memory must not grow after the first epoch.

    python benchmarks/memory_soak.py [--epochs 20] [--data ./data]
"""
import argparse
import os
import sys
import time

_ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path[:0] = [_ROOT, os.path.join(_ROOT, "examples", "mnist")]

import minitorch as torch  # noqa: E402
from minitorch import nn, optim  # noqa: E402
from minitorch.utils.data import DataLoader  # noqa: E402
from minitorch.vision import datasets, transforms  # noqa: E402
from train import mlp  # noqa: E402


def rss_mb() -> float:
    """This process's resident set size in MiB (Linux /proc)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main(argv=None) -> list[float]:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--data", default="./data")
    args = p.parse_args(argv)
    torch.manual_seed(0)
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
    loader = DataLoader(datasets.MNIST(args.data, train=True, download=True, transform=transform),
                        batch_size=64, shuffle=True)
    model, loss_fn = mlp(), nn.NLLLoss()
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    sizes = []
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        for images, labels in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(images), labels)
            loss.backward()
            optimizer.step()
        sizes.append(rss_mb())
        print(f"epoch {epoch:2d}: loss {loss.item():.4f}  RSS {sizes[-1]:.1f} MiB  "
              f"({time.perf_counter() - start:.1f} s)", flush=True)
    growth = max(sizes[1:]) - sizes[0] if len(sizes) > 1 else 0.0
    print(f"RSS after epoch 1: {sizes[0]:.1f} MiB; largest growth after it: {growth:+.1f} MiB")
    return sizes


if __name__ == "__main__":
    main()
