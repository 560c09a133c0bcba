"""Model architectures with torchvision's names, state_dict keys and initialisation:
ResNet-18/34/50/101/152, VGG-11/13/16/19 (with and without batch norm) and AlexNet.

Built with ``weights=None`` only: minitorch ships no pretrained weights.
"""
from .alexnet import AlexNet, alexnet
from .resnet import BasicBlock, Bottleneck, ResNet, resnet18, resnet34, resnet50, resnet101, resnet152
from .vgg import VGG, vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn

__all__ = ["AlexNet", "alexnet", "ResNet", "BasicBlock", "Bottleneck", "resnet18", "resnet34", "resnet50",
           "resnet101", "resnet152", "VGG", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19",
           "vgg19_bn"]
