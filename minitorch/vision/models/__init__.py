"""Model architectures with torchvision's names, state_dict keys and initialisation:
ResNet-18/34/50/101/152, VGG-11/13/16/19 (with and without batch norm) and AlexNet, and their
weight enums (``ResNet18_Weights.DEFAULT``, ...).

minitorch ships no weight files: ``weights=...`` loads torchvision's published checkpoint from
the hub cache that PyTorch shares (``~/.cache/torch/hub/checkpoints``), downloading it when
online; ``weights=None`` builds the randomly initialised model.
"""
from ._api import Weights, WeightsEnum
from .alexnet import AlexNet, AlexNet_Weights, alexnet
from .resnet import (BasicBlock, Bottleneck, ResNet, ResNet18_Weights, ResNet34_Weights, ResNet50_Weights,
                     ResNet101_Weights, ResNet152_Weights, resnet18, resnet34, resnet50, resnet101, resnet152)
from .vgg import (VGG, VGG11_BN_Weights, VGG11_Weights, VGG13_BN_Weights, VGG13_Weights, VGG16_BN_Weights,
                  VGG16_Weights, VGG19_BN_Weights, VGG19_Weights, vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn,
                  vgg19, vgg19_bn)

__all__ = ["Weights", "WeightsEnum", "AlexNet", "AlexNet_Weights", "alexnet", "ResNet", "BasicBlock", "Bottleneck",
           "ResNet18_Weights", "ResNet34_Weights", "ResNet50_Weights", "ResNet101_Weights", "ResNet152_Weights",
           "resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "VGG", "VGG11_Weights", "VGG11_BN_Weights",
           "VGG13_Weights", "VGG13_BN_Weights", "VGG16_Weights", "VGG16_BN_Weights", "VGG19_Weights",
           "VGG19_BN_Weights", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn"]
