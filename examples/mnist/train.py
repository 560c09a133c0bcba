"""Train a classifier on MNIST: the classic PyTorch loop, with minitorch's imports.

    python examples/mnist/train.py                   # the tutorial MLP, 5 epochs
    python examples/mnist/train.py --model cnn --epochs 3
    python examples/mnist/train.py --save mnist.mt --plot curves.png

Change the imports below to ``import torch`` / ``from torchvision import ...`` and the
same file trains with PyTorch.
"""
from __future__ import annotations

import argparse
import sys
import time

from tqdm import tqdm

import minitorch as torch
from minitorch import nn, optim
from minitorch.utils.data import DataLoader
from minitorch.vision import datasets, transforms


def mlp() -> nn.Module:
    """The model of the PyTorch tutorials: 784-128-10 with dropout."""
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 128),
        nn.ReLU(),
        nn.Dropout(0.2),
        nn.Linear(128, 10),
        nn.LogSoftmax(dim=1),
    )


def cnn() -> nn.Module:
    """Two conv/pool blocks and a classifier: 1x28x28 -> 32x13x13 -> 64x5x5 -> 10."""
    return nn.Sequential(
        nn.Conv2d(1, 32, kernel_size=3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, kernel_size=3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 5 * 5, 128),
        nn.ReLU(),
        nn.Dropout(0.25),
        nn.Linear(128, 10),
        nn.LogSoftmax(dim=1),
    )


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", choices=["mlp", "cnn"], default="mlp")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--data", default="./data", help="where the MNIST files are (or go)")
    p.add_argument("--save", metavar="PATH", help="save the trained state dict here")
    p.add_argument("--plot", metavar="PATH",
                   help="save a PNG of the loss and accuracy curves (needs matplotlib: "
                        "pip install \".[plot]\" in minitorch's folder, or pip install matplotlib)")
    p.add_argument("--limit", type=int, default=None, metavar="N",
                   help="train on the first N training images only (a quick check)")
    return p.parse_args(argv)


def check_device(name: str):
    """The requested device, or exit with a clear message when it is not available."""
    try:
        device = torch.device(name)
        torch.zeros(1, device=device)
    except RuntimeError as e:
        sys.exit(f"error: --device {name}: {e}")
    return device


def train_epoch(model, loader, loss_fn, optimizer, device, epoch: int, epochs: int) -> float:
    model.train()
    total_loss, seen = 0.0, 0
    start = time.perf_counter()
    bar = tqdm(loader, desc=f"epoch {epoch}/{epochs}", unit="batch", leave=False)
    for images, labels in bar:
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(images), labels)
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * len(labels)
        seen += len(labels)
        bar.set_postfix(refresh=False, loss=f"{total_loss / seen:.4f}",
                        samples_per_s=f"{seen / (time.perf_counter() - start):,.0f}")
    return total_loss / seen


def evaluate(model, loader, loss_fn, device) -> tuple[float, float]:
    model.eval()
    total_loss, correct, seen = 0.0, 0, 0
    with torch.no_grad():
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            output = model(images)
            total_loss += loss_fn(output, labels).item() * len(labels)
            correct += (output.argmax(1) == labels).sum().item()
            seen += len(labels)
    return total_loss / seen, correct / seen


def check_plotting(path: str | None) -> None:
    """Exit at once, before training, when --plot is asked for and matplotlib is missing."""
    if path is None:
        return
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        sys.exit(f"error: --plot {path} needs matplotlib, which is not installed: "
                 "pip install \".[plot]\" in minitorch's folder (or pip install matplotlib)")


def plot(history: dict, path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    epochs = range(1, len(history["train_loss"]) + 1)
    ax_loss.plot(epochs, history["train_loss"], label="train")
    ax_loss.plot(epochs, history["test_loss"], label="test")
    ax_loss.set(xlabel="epoch", ylabel="loss", title="loss")
    ax_loss.legend()
    ax_acc.plot(epochs, history["test_accuracy"])
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="test accuracy")
    fig.tight_layout()
    fig.savefig(path)
    print(f"saved the curves to {path}")


def main(argv=None) -> float:
    args = parse_args(argv)
    check_plotting(args.plot)
    device = check_device(args.device)
    torch.manual_seed(args.seed)

    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
    train_set = datasets.MNIST(args.data, train=True, download=True, transform=transform)
    test_set = datasets.MNIST(args.data, train=False, download=True, transform=transform)
    if args.limit:
        train_set = torch.utils.data.Subset(train_set, range(args.limit))
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=1000)

    model = (mlp() if args.model == "mlp" else cnn()).to(device)
    loss_fn = nn.NLLLoss()
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    print(model)

    history = {"train_loss": [], "test_loss": [], "test_accuracy": []}
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        epoch_start = time.perf_counter()
        train_loss = train_epoch(model, train_loader, loss_fn, optimizer, device, epoch, args.epochs)
        test_loss, accuracy = evaluate(model, test_loader, loss_fn, device)
        for key, value in zip(history, (train_loss, test_loss, accuracy)):
            history[key].append(value)
        print(f"epoch {epoch}: train loss {train_loss:.4f}  test loss {test_loss:.4f}  "
              f"test accuracy {accuracy:.2%}  ({time.perf_counter() - epoch_start:.1f} s)")

    print(f"done: {args.model}, {args.epochs} epochs in {time.perf_counter() - start:.1f} s, "
          f"test accuracy {history['test_accuracy'][-1]:.2%}")
    if args.save:
        torch.save(model.state_dict(), args.save)
        print(f"saved the state dict to {args.save}")
    if args.plot:
        plot(history, args.plot)
    return history["test_accuracy"][-1]


if __name__ == "__main__":
    main()
