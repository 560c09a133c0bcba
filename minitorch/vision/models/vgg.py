"""VGG (Simonyan & Zisserman, 2014) with torchvision's module names (``features.N``,
``classifier.N``) and initialisation: convolutions kaiming_normal_(fan_out, relu) with zero
bias, batch norms weight 1 / bias 0, Linear layers N(0, 0.01) with zero bias, drawn in
module order after every layer drew its default init, as torchvision builds it.
"""
from __future__ import annotations

from typing import Any, Dict, List, Union

from ... import flatten
from ... import nn
from ._api import no_weights

__all__ = ["VGG", "make_layers", "cfgs", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19",
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


def _vgg(name: str, cfg: str, batch_norm: bool, weights, kwargs: dict) -> VGG:
    no_weights(name, weights, kwargs)
    return VGG(make_layers(cfgs[cfg], batch_norm=batch_norm), **kwargs)


def vgg11(*, weights=None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-11 (configuration "A"): 132,863,336 parameters with 1000 classes. ``weights`` must be
    None (minitorch ships no pretrained weights); kwargs go to ``VGG``."""
    return _vgg("vgg11", "A", False, weights, kwargs)


def vgg11_bn(*, weights=None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-11 with batch normalization: 132,868,840 parameters with 1000 classes."""
    return _vgg("vgg11_bn", "A", True, weights, kwargs)


def vgg13(*, weights=None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-13 (configuration "B"): 133,047,848 parameters with 1000 classes."""
    return _vgg("vgg13", "B", False, weights, kwargs)


def vgg13_bn(*, weights=None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-13 with batch normalization: 133,053,736 parameters with 1000 classes."""
    return _vgg("vgg13_bn", "B", True, weights, kwargs)


def vgg16(*, weights=None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-16 (configuration "D"): 138,357,544 parameters with 1000 classes."""
    return _vgg("vgg16", "D", False, weights, kwargs)


def vgg16_bn(*, weights=None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-16 with batch normalization: 138,365,992 parameters with 1000 classes."""
    return _vgg("vgg16_bn", "D", True, weights, kwargs)


def vgg19(*, weights=None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-19 (configuration "E"): 143,667,240 parameters with 1000 classes."""
    return _vgg("vgg19", "E", False, weights, kwargs)


def vgg19_bn(*, weights=None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-19 with batch normalization: 143,678,248 parameters with 1000 classes."""
    return _vgg("vgg19_bn", "E", True, weights, kwargs)
