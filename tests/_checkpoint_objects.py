"""Classes that checkpoints in tests/test_serialization_objects.py pickle by name (a saved
object can be loaded only where its class can be imported: here by minitorch and torch alike)."""
import minitorch
from minitorch import nn


class Config:
    """A plain object (no framework in it), as training scripts save their arguments."""

    def __init__(self, lr, layers):
        self.lr, self.layers = lr, layers

    def __eq__(self, other):
        return type(other) is Config and vars(self) == vars(other)


class Net(nn.Module):
    """A module with parameters, a buffer, a submodule and a plain attribute."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.bn = nn.BatchNorm1d(4)
        self.head = nn.Parameter(minitorch.randn(4, 2))
        self.register_buffer("seen", minitorch.zeros(1, dtype=minitorch.int64))
        self.name = "net"

    def forward(self, x):
        self.seen += 1
        return self.bn(self.fc(x)) @ self.head


def torch_net():
    """The same network in PyTorch (None without torch)."""
    try:
        import torch
    except ImportError:
        return None
    return _torch_classes(torch)["TorchNet"]()


_made = {}


def _torch_classes(torch):
    if not _made:
        class TorchNet(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = torch.nn.Linear(3, 4)
                self.bn = torch.nn.BatchNorm1d(4)
                self.head = torch.nn.Parameter(torch.randn(4, 2))
                self.register_buffer("seen", torch.zeros(1, dtype=torch.int64))
                self.name = "net"
        TorchNet.__module__, TorchNet.__qualname__ = __name__, "TorchNet"
        _made["TorchNet"] = TorchNet
        globals()["TorchNet"] = TorchNet
    return _made
