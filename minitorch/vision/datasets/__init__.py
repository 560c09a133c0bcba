"""Ready-made vision datasets with torchvision's interface: ``MNIST``, ``FashionMNIST``,
``CIFAR10``, ``CIFAR100`` and ``FakeData``."""
from .cifar import CIFAR10, CIFAR100
from .fakedata import FakeData
from .mnist import MNIST, FashionMNIST
from .vision import StandardTransform, VisionDataset

__all__ = ["CIFAR10", "CIFAR100", "FakeData", "MNIST", "FashionMNIST", "StandardTransform", "VisionDataset"]
