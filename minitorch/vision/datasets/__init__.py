"""Ready-made vision datasets with torchvision's interface: ``MNIST``, ``FashionMNIST``."""
from .mnist import MNIST, FashionMNIST
from .vision import StandardTransform, VisionDataset

__all__ = ["MNIST", "FashionMNIST", "StandardTransform", "VisionDataset"]
