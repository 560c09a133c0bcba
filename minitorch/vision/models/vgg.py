"""VGG (Simonyan & Zisserman, 2014) with torchvision's module names (``features.N``,
``classifier.N``) and initialisation: convolutions kaiming_normal_(fan_out, relu) with zero
bias, batch norms weight 1 / bias 0, Linear layers N(0, 0.01) with zero bias, drawn in
module order after every layer drew its default init, as torchvision builds it.
"""
from __future__ import annotations

from typing import Any, Dict, List, Union

from ... import flatten
from ... import nn
from ._api import WeightsEnum, builder_weights, imagenet_weights, load_weights

__all__ = ["VGG", "VGG11_Weights", "VGG11_BN_Weights", "VGG13_Weights", "VGG13_BN_Weights", "VGG16_Weights",
           "VGG16_BN_Weights", "VGG19_Weights", "VGG19_BN_Weights", "make_layers", "cfgs", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19",
           "vgg19_bn"]


class VGG(nn.Module):
    """A VGG: ``features`` (3x3 convolutions and 2x2 max pools), adaptive average pooling to
    7x7, and a three-layer classifier with dropout. input: (N, 3, H, W), H, W >= 32 ->
    (N, num_classes)."""

    def __init__(self, features: nn.Module, num_classes: int = 1000, init_weights: bool = True,
                 dropout: float = 0.5) -> None:
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes),
        )
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.constant_(m.bias, 0)

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(flatten(x, 1))


def make_layers(cfg: List[Union[str, int]], batch_norm: bool = False) -> nn.Sequential:
    """VGG's feature extractor from a configuration: an int is a 3x3 conv (+ BatchNorm2d) + ReLU
    to that many channels, "M" a 2x2 max pool."""
    layers: List[nn.Module] = []
    in_channels = 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        conv = nn.Conv2d(in_channels, v, kernel_size=3, padding=1)
        layers += [conv, nn.BatchNorm2d(v), nn.ReLU(inplace=True)] if batch_norm else [conv, nn.ReLU(inplace=True)]
        in_channels = v
    return nn.Sequential(*layers)


cfgs: Dict[str, List[Union[str, int]]] = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}


class VGG11_Weights(WeightsEnum):  # noqa: N801 - torchvision's names
    """torchvision's ImageNet-1K checkpoints of VGG11 (``DEFAULT``: the best)."""
    IMAGENET1K_V1 = imagenet_weights("vgg11-8a719046.pth", 132863336, (32, 32))
    DEFAULT = IMAGENET1K_V1


class VGG11_BN_Weights(WeightsEnum):  # noqa: N801
    """torchvision's ImageNet-1K checkpoints of VGG11_BN (``DEFAULT``: the best)."""
    IMAGENET1K_V1 = imagenet_weights("vgg11_bn-6002323d.pth", 132868840, (32, 32))
    DEFAULT = IMAGENET1K_V1


class VGG13_Weights(WeightsEnum):  # noqa: N801
    """torchvision's ImageNet-1K checkpoints of VGG13 (``DEFAULT``: the best)."""
    IMAGENET1K_V1 = imagenet_weights("vgg13-19584684.pth", 133047848, (32, 32))
    DEFAULT = IMAGENET1K_V1


class VGG13_BN_Weights(WeightsEnum):  # noqa: N801
    """torchvision's ImageNet-1K checkpoints of VGG13_BN (``DEFAULT``: the best)."""
    IMAGENET1K_V1 = imagenet_weights("vgg13_bn-abd245e5.pth", 133053736, (32, 32))
    DEFAULT = IMAGENET1K_V1


class VGG16_Weights(WeightsEnum):  # noqa: N801
    """torchvision's ImageNet-1K checkpoints of VGG16 (``DEFAULT``: the best)."""
    IMAGENET1K_V1 = imagenet_weights("vgg16-397923af.pth", 138357544, (32, 32))
    DEFAULT = IMAGENET1K_V1


class VGG16_BN_Weights(WeightsEnum):  # noqa: N801
    """torchvision's ImageNet-1K checkpoints of VGG16_BN (``DEFAULT``: the best)."""
    IMAGENET1K_V1 = imagenet_weights("vgg16_bn-6c64b313.pth", 138365992, (32, 32))
    DEFAULT = IMAGENET1K_V1


class VGG19_Weights(WeightsEnum):  # noqa: N801
    """torchvision's ImageNet-1K checkpoints of VGG19 (``DEFAULT``: the best)."""
    IMAGENET1K_V1 = imagenet_weights("vgg19-dcbb9e9d.pth", 143667240, (32, 32))
    DEFAULT = IMAGENET1K_V1


class VGG19_BN_Weights(WeightsEnum):  # noqa: N801
    """torchvision's ImageNet-1K checkpoints of VGG19_BN (``DEFAULT``: the best)."""
    IMAGENET1K_V1 = imagenet_weights("vgg19_bn-c79401a0.pth", 143678248, (32, 32))
    DEFAULT = IMAGENET1K_V1


def _vgg(enum: type, cfg: str, batch_norm: bool, weights, progress: bool, kwargs: dict) -> VGG:
    weights = builder_weights(enum, weights, kwargs)
    return load_weights(VGG(make_layers(cfgs[cfg], batch_norm=batch_norm), **kwargs), weights, progress)


def vgg11(*, weights=None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-11 (configuration "A"): 132,863,336 parameters with 1000 classes. ``weights``: None, or
    ``VGG11_Weights`` (loaded from the hub cache); kwargs go to ``VGG``."""
    return _vgg(VGG11_Weights, "A", False, weights, progress, kwargs)


def vgg11_bn(*, weights=None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-11 with batch normalization: 132,868,840 parameters with 1000 classes."""
    return _vgg(VGG11_BN_Weights, "A", True, weights, progress, kwargs)


def vgg13(*, weights=None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-13 (configuration "B"): 133,047,848 parameters with 1000 classes."""
    return _vgg(VGG13_Weights, "B", False, weights, progress, kwargs)


def vgg13_bn(*, weights=None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-13 with batch normalization: 133,053,736 parameters with 1000 classes."""
    return _vgg(VGG13_BN_Weights, "B", True, weights, progress, kwargs)


def vgg16(*, weights=None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-16 (configuration "D"): 138,357,544 parameters with 1000 classes."""
    return _vgg(VGG16_Weights, "D", False, weights, progress, kwargs)


def vgg16_bn(*, weights=None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-16 with batch normalization: 138,365,992 parameters with 1000 classes."""
    return _vgg(VGG16_BN_Weights, "D", True, weights, progress, kwargs)


def vgg19(*, weights=None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-19 (configuration "E"): 143,667,240 parameters with 1000 classes."""
    return _vgg(VGG19_Weights, "E", False, weights, progress, kwargs)


def vgg19_bn(*, weights=None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-19 with batch normalization: 143,678,248 parameters with 1000 classes."""
    return _vgg(VGG19_BN_Weights, "E", True, weights, progress, kwargs)
