"""Fit z = w x + b with MSELoss: the autograd example from the PyTorch introduction.

Run: python examples/autograd_linear.py
It checks backward's gradients against the hand-derived ones, then trains w and b
with plain gradient descent until the loss is (almost) zero.
"""
import numpy as np

import minitorch as torch
from minitorch import nn


def main() -> None:
    torch.manual_seed(1)
    x = torch.randn((5, 1))
    y = torch.randn((3, 1))
    w = torch.randn(3, 5, requires_grad=True)
    b = torch.randn(3, 1, requires_grad=True)

    z = torch.matmul(w, x) + b
    loss = nn.MSELoss()(z, y)
    print(z)
    print(loss)
    loss.backward()

    # d loss / dw = -2 (y - b - w x) x^T / 3 and d loss / db = -2 (y - b - w x) / 3
    residual = (y - b - w @ x).detach()
    assert np.allclose(w.grad.numpy(), (-2 * residual @ x.T / 3).numpy(), atol=1e-6)
    assert np.allclose(b.grad.numpy(), (-2 * residual / 3).numpy(), atol=1e-6)
    print("w.grad and b.grad match the hand-derived gradients")

    lr = 0.1
    for step in range(200):
        w.grad = None
        b.grad = None
        loss = nn.MSELoss()(torch.matmul(w, x) + b, y)
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        if step % 50 == 0:
            print(f"step {step:3d}  loss {loss.item():.6f}")
    print(f"final loss {loss.item():.2e}")


if __name__ == "__main__":
    main()
