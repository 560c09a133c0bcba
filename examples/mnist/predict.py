"""Load a state dict saved by train.py and predict a few test images.

    python examples/mnist/train.py --save mnist.mt
    python examples/mnist/predict.py mnist.mt --count 8 --grid predictions.png
"""
from __future__ import annotations

import argparse

import minitorch as torch
from minitorch.vision import datasets, transforms

from train import cnn, mlp


def main(argv=None) -> list[int]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("state_dict", help="a file written by train.py --save")
    p.add_argument("--model", choices=["mlp", "cnn"], default="mlp")
    p.add_argument("--data", default="./data")
    p.add_argument("--count", type=int, default=8)
    p.add_argument("--grid", metavar="PATH", help="save a PNG grid of the images with their predictions")
    args = p.parse_args(argv)

    model = mlp() if args.model == "mlp" else cnn()
    model.load_state_dict(torch.load(args.state_dict))
    model.eval()
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
    test_set = datasets.MNIST(args.data, train=False, download=True, transform=transform)

    images = torch.stack([test_set[i][0] for i in range(args.count)])
    labels = [test_set[i][1] for i in range(args.count)]
    with torch.no_grad():
        predicted = model(images).argmax(1).tolist()
    for i, (guess, truth) in enumerate(zip(predicted, labels)):
        print(f"image {i}: predicted {guess}, label {truth}{'' if guess == truth else '  <- wrong'}")
    if args.grid:
        save_grid(images, predicted, labels, args.grid)
    return predicted


def save_grid(images, predicted, labels, path: str) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"--grid {path}: matplotlib is not installed (pip install matplotlib); no grid written")
        return
    n = len(predicted)
    fig, axes = plt.subplots(1, n, figsize=(1.5 * n, 1.8))
    for ax, image, guess, truth in zip(axes if n > 1 else [axes], images, predicted, labels):
        ax.imshow(image[0].numpy(), cmap="gray")
        ax.set_title(str(guess), color="black" if guess == truth else "red")
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path)
    print(f"saved the grid to {path}")


if __name__ == "__main__":
    main()
