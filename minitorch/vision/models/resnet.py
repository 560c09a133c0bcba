"""ResNet (He et al., 2015, "Deep Residual Learning for Image Recognition") with torchvision's
module names, so state_dict keys are torchvision's, and its initialisation, so the same seed
gives the same weights: every layer is built in torchvision's order (each Conv2d / Linear
drawing its default init), then the convolutions are redrawn with kaiming_normal_(fan_out,
relu) and the batch norms set to weight 1, bias 0.

Bottleneck puts the stride on its 3x3 convolution (ResNet v1.5), as torchvision does.
"""
from __future__ import annotations

from typing import Any, Callable, List, Optional, Type, Union

from ... import flatten
from ... import nn
from ._api import WeightsEnum, builder_weights, imagenet_weights, load_weights

__all__ = ["ResNet", "BasicBlock", "Bottleneck", "ResNet18_Weights", "ResNet34_Weights", "ResNet50_Weights",
           "ResNet101_Weights", "ResNet152_Weights", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152"]


def conv3x3(in_planes: int, out_planes: int, stride: int = 1, groups: int = 1, dilation: int = 1) -> nn.Conv2d:
    """3x3 convolution, padded to keep the size (at stride 1), without bias."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=dilation, groups=groups,
                     bias=False, dilation=dilation)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    """1x1 convolution without bias."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 conv-bn layers plus the (downsampled) input: ResNet-18/34's block."""

    expansion: int = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: Optional[nn.Module] = None,
                 groups: int = 1, base_width: int = 64, dilation: int = 1,
                 norm_layer: Optional[Callable[..., nn.Module]] = None) -> None:
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        if groups != 1 or base_width != 64:
            raise ValueError("BasicBlock only supports groups=1 and base_width=64")
        if dilation > 1:
            raise NotImplementedError("Dilation > 1 not supported in BasicBlock")
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += x if self.downsample is None else self.downsample(x)
        return self.relu(out)


class Bottleneck(nn.Module):
    """1x1 (reduce), 3x3 (strided), 1x1 (expand x4) conv-bn layers plus the (downsampled)
    input: ResNet-50/101/152's block."""

    expansion: int = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: Optional[nn.Module] = None,
                 groups: int = 1, base_width: int = 64, dilation: int = 1,
                 norm_layer: Optional[Callable[..., nn.Module]] = None) -> None:
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride, groups, dilation)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        out += x if self.downsample is None else self.downsample(x)
        return self.relu(out)


class ResNet(nn.Module):
    """ResNet: a 7x7/2 stem and 3x3/2 max pool, four stages of blocks (64, 128, 256, 512
    planes; stages 2-4 halve the size), global average pooling and a Linear classifier.
    input: (N, 3, H, W) -> (N, num_classes)."""

    def __init__(self, block: Type[Union[BasicBlock, Bottleneck]], layers: List[int], num_classes: int = 1000,
                 zero_init_residual: bool = False, groups: int = 1, width_per_group: int = 64,
                 replace_stride_with_dilation: Optional[List[bool]] = None,
                 norm_layer: Optional[Callable[..., nn.Module]] = None) -> None:
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        self._norm_layer = norm_layer
        self.inplanes = 64
        self.dilation = 1
        if replace_stride_with_dilation is None:
            replace_stride_with_dilation = [False, False, False]
        if len(replace_stride_with_dilation) != 3:
            raise ValueError("replace_stride_with_dilation should be None "
                             f"or a 3-element tuple, got {replace_stride_with_dilation}")
        self.groups = groups
        self.base_width = width_per_group
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = norm_layer(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2, dilate=replace_stride_with_dilation[0])
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2, dilate=replace_stride_with_dilation[1])
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2, dilate=replace_stride_with_dilation[2])
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        if zero_init_residual:  # each residual branch starts at zero: every block begins as the identity
            for m in self.modules():
                if isinstance(m, Bottleneck) and m.bn3.weight is not None:
                    nn.init.constant_(m.bn3.weight, 0)
                elif isinstance(m, BasicBlock) and m.bn2.weight is not None:
                    nn.init.constant_(m.bn2.weight, 0)

    def _make_layer(self, block, planes: int, blocks: int, stride: int = 1, dilate: bool = False) -> nn.Sequential:
        norm_layer = self._norm_layer
        downsample = None
        previous_dilation = self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride),
                                       norm_layer(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample, self.groups, self.base_width, previous_dilation,
                        norm_layer)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, groups=self.groups, base_width=self.base_width,
                                dilation=self.dilation, norm_layer=norm_layer))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = flatten(self.avgpool(x), 1)
        return self.fc(x)


class ResNet18_Weights(WeightsEnum):  # noqa: N801 - torchvision's names
    """torchvision's ImageNet-1K checkpoints of ResNet18 (``DEFAULT``: the best)."""
    IMAGENET1K_V1 = imagenet_weights("resnet18-f37072fd.pth", 11689512, (1, 1))
    DEFAULT = IMAGENET1K_V1


class ResNet34_Weights(WeightsEnum):  # noqa: N801
    """torchvision's ImageNet-1K checkpoints of ResNet34 (``DEFAULT``: the best)."""
    IMAGENET1K_V1 = imagenet_weights("resnet34-b627a593.pth", 21797672, (1, 1))
    DEFAULT = IMAGENET1K_V1


class ResNet50_Weights(WeightsEnum):  # noqa: N801
    """torchvision's ImageNet-1K checkpoints of ResNet50 (``DEFAULT``: the best)."""
    IMAGENET1K_V1 = imagenet_weights("resnet50-0676ba61.pth", 25557032, (1, 1))
    IMAGENET1K_V2 = imagenet_weights("resnet50-11ad3fa6.pth", 25557032, (1, 1))
    DEFAULT = IMAGENET1K_V2


class ResNet101_Weights(WeightsEnum):  # noqa: N801
    """torchvision's ImageNet-1K checkpoints of ResNet101 (``DEFAULT``: the best)."""
    IMAGENET1K_V1 = imagenet_weights("resnet101-63fe2227.pth", 44549160, (1, 1))
    IMAGENET1K_V2 = imagenet_weights("resnet101-cd907fc2.pth", 44549160, (1, 1))
    DEFAULT = IMAGENET1K_V2


class ResNet152_Weights(WeightsEnum):  # noqa: N801
    """torchvision's ImageNet-1K checkpoints of ResNet152 (``DEFAULT``: the best)."""
    IMAGENET1K_V1 = imagenet_weights("resnet152-394f9c45.pth", 60192808, (1, 1))
    IMAGENET1K_V2 = imagenet_weights("resnet152-f82ba261.pth", 60192808, (1, 1))
    DEFAULT = IMAGENET1K_V2


def _resnet(enum: type, block, layers: List[int], weights, progress: bool, kwargs: dict) -> ResNet:
    weights = builder_weights(enum, weights, kwargs)
    return load_weights(ResNet(block, layers, **kwargs), weights, progress)


def resnet18(*, weights=None, progress: bool = True, **kwargs: Any) -> ResNet:
    """ResNet-18 (BasicBlock, [2, 2, 2, 2]): 11,689,512 parameters with 1000 classes.
    ``weights``: None, or ``ResNet18_Weights`` (loaded from the hub cache); kwargs go to ``ResNet``."""
    return _resnet(ResNet18_Weights, BasicBlock, [2, 2, 2, 2], weights, progress, kwargs)


def resnet34(*, weights=None, progress: bool = True, **kwargs: Any) -> ResNet:
    """ResNet-34 (BasicBlock, [3, 4, 6, 3]): 21,797,672 parameters with 1000 classes."""
    return _resnet(ResNet34_Weights, BasicBlock, [3, 4, 6, 3], weights, progress, kwargs)


def resnet50(*, weights=None, progress: bool = True, **kwargs: Any) -> ResNet:
    """ResNet-50 (Bottleneck, [3, 4, 6, 3]): 25,557,032 parameters with 1000 classes."""
    return _resnet(ResNet50_Weights, Bottleneck, [3, 4, 6, 3], weights, progress, kwargs)


def resnet101(*, weights=None, progress: bool = True, **kwargs: Any) -> ResNet:
    """ResNet-101 (Bottleneck, [3, 4, 23, 3]): 44,549,160 parameters with 1000 classes."""
    return _resnet(ResNet101_Weights, Bottleneck, [3, 4, 23, 3], weights, progress, kwargs)


def resnet152(*, weights=None, progress: bool = True, **kwargs: Any) -> ResNet:
    """ResNet-152 (Bottleneck, [3, 8, 36, 3]): 60,192,808 parameters with 1000 classes."""
    return _resnet(ResNet152_Weights, Bottleneck, [3, 8, 36, 3], weights, progress, kwargs)
