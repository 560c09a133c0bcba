"""MNIST in the one-call API: compile-and-fit, as short as the classic Keras example.

    python examples/mnist/fit.py [--epochs 5]

The explicit loop in train.py is the primary way; this is the same training through
minitorch.train.Trainer, which runs that loop for you (read minitorch/train/loop.py).
"""
import argparse

import minitorch as torch
from minitorch import nn, optim
from minitorch.train import Trainer
from minitorch.vision import datasets


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--data", default="./data")
    args = p.parse_args(argv)
    torch.manual_seed(1)

    train = datasets.MNIST(args.data, train=True, download=True)
    test = datasets.MNIST(args.data, train=False, download=True)
    x_train, y_train = (train.data.float() / 255 - 0.5) / 0.5, train.targets
    x_test, y_test = (test.data.float() / 255 - 0.5) / 0.5, test.targets

    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10))
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-3), metrics=["accuracy"])
    trainer.fit(x_train, y_train, epochs=args.epochs, batch_size=64, validation_split=0.1)
    result = trainer.evaluate(x_test, y_test)
    print(f"test loss {result['loss']:.4f}  test accuracy {result['accuracy']:.2%}")
    return result


if __name__ == "__main__":
    main()
