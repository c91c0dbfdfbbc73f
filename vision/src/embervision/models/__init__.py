"""Model architectures (``embervision.models``), with torchvision's names, configurations and state-dict keys.

Example:
    >>> from embervision import models
    >>> m = models.get_model("resnet18", num_classes=10)
    >>> sum(p.numel() for p in m.parameters())
    11181642
"""

from ._convert import load_torchvision_weights
from ._registry import get_model, get_model_builder, list_models
from .alexnet import AlexNet, alexnet
from .lenet import LeNet, lenet5
from .mobilenet import MobileNetV2, MobileNetV3, mobilenet_v2, mobilenet_v3_large, mobilenet_v3_small
from .resnet import (
    ResNet, resnet18, resnet34, resnet50, resnet101, resnet152, resnext50_32x4d, wide_resnet50_2, wide_resnet101_2,
)
from .squeezenet import SqueezeNet, squeezenet1_0, squeezenet1_1
from .vgg import VGG, vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn
from .vision_transformer import VisionTransformer, vit_b_16, vit_b_32, vit_l_16, vit_l_32

__all__ = [
    "AlexNet", "LeNet", "MobileNetV2", "MobileNetV3", "ResNet", "SqueezeNet", "VGG", "VisionTransformer", "alexnet",
    "get_model", "get_model_builder", "lenet5", "list_models", "load_torchvision_weights", "mobilenet_v2",
    "mobilenet_v3_large", "mobilenet_v3_small", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
    "resnext50_32x4d", "squeezenet1_0", "squeezenet1_1", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16",
    "vgg16_bn", "vgg19", "vgg19_bn", "vit_b_16", "vit_b_32", "vit_l_16", "vit_l_32", "wide_resnet50_2",
    "wide_resnet101_2",
]
