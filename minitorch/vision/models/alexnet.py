"""AlexNet in torchvision's form (Krizhevsky, 2014, "One weird trick for parallelizing
convolutional neural networks"): torchvision's module names and the default layer
initialisation (torchvision redraws nothing for AlexNet)."""
from __future__ import annotations

from typing import Any

from ... import flatten
from ... import nn
from ._api import WeightsEnum, builder_weights, imagenet_weights, load_weights

__all__ = ["AlexNet", "AlexNet_Weights", "alexnet"]


class AlexNet(nn.Module):
    """Five convolutions with three max pools, adaptive average pooling to 6x6 and a three-layer
    classifier with dropout. input: (N, 3, H, W), H, W >= 63 -> (N, num_classes)."""

    def __init__(self, num_classes: int = 1000, dropout: float = 0.5) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
            nn.Dropout(p=dropout), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(flatten(x, 1))


class AlexNet_Weights(WeightsEnum):  # noqa: N801 - torchvision's name
    """torchvision's ImageNet-1K checkpoints of AlexNet (``DEFAULT``: the best)."""
    IMAGENET1K_V1 = imagenet_weights("alexnet-owt-7be5be79.pth", 61100840, (63, 63))
    DEFAULT = IMAGENET1K_V1


def alexnet(*, weights=None, progress: bool = True, **kwargs: Any) -> AlexNet:
    """AlexNet: 61,100,840 parameters with 1000 classes. ``weights``: None, or
    ``AlexNet_Weights`` (loaded from the hub cache); kwargs go to ``AlexNet``."""
    weights = builder_weights(AlexNet_Weights, weights, kwargs)
    return load_weights(AlexNet(**kwargs), weights, progress)
