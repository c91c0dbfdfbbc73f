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
    ResNet, resnet18, resnet34, resnet50, resnet101, resnet152, resnext50_32x4d, resnext101_32x8d, resnext101_64x4d,
    wide_resnet50_2, wide_resnet101_2,
)
from .squeezenet import SqueezeNet, squeezenet1_0, squeezenet1_1
from .vgg import VGG, vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn
from .vision_transformer import VisionTransformer, vit_b_16, vit_b_32, vit_l_16, vit_l_32
from .densenet import DenseNet, densenet121, densenet161, densenet169, densenet201
from .googlenet import GoogLeNet, GoogLeNetOutputs, googlenet
from .inception import Inception3, InceptionOutputs, inception_v3
from .mnasnet import MNASNet, mnasnet0_5, mnasnet0_75, mnasnet1_0, mnasnet1_3
from .shufflenetv2 import ShuffleNetV2, shufflenet_v2_x0_5, shufflenet_v2_x1_0, shufflenet_v2_x1_5, shufflenet_v2_x2_0
from .convnext import ConvNeXt, convnext_base, convnext_large, convnext_small, convnext_tiny
from .efficientnet import (
    EfficientNet, efficientnet_b0, efficientnet_b1, efficientnet_b2, efficientnet_b3, efficientnet_b4, efficientnet_b5,
    efficientnet_b6, efficientnet_b7, efficientnet_v2_l, efficientnet_v2_m, efficientnet_v2_s,
)
from .regnet import (
    RegNet, regnet_x_1_6gf, regnet_x_3_2gf, regnet_x_8gf, regnet_x_16gf, regnet_x_32gf, regnet_x_400mf, regnet_x_800mf,
    regnet_y_1_6gf, regnet_y_3_2gf, regnet_y_8gf, regnet_y_16gf, regnet_y_32gf, regnet_y_128gf, regnet_y_400mf,
    regnet_y_800mf,
)
from .maxvit import MaxVit, maxvit_t
from .swin_transformer import SwinTransformer, swin_b, swin_s, swin_t, swin_v2_b, swin_v2_s, swin_v2_t
from . import feature_extraction, segmentation

__all__ = [
    "AlexNet", "LeNet", "MobileNetV2", "MobileNetV3", "ResNet", "SqueezeNet", "VGG", "VisionTransformer", "alexnet",
    "get_model", "get_model_builder", "lenet5", "list_models", "load_torchvision_weights", "mobilenet_v2",
    "mobilenet_v3_large", "mobilenet_v3_small", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
    "resnext50_32x4d", "squeezenet1_0", "squeezenet1_1", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16",
    "vgg16_bn", "vgg19", "vgg19_bn", "vit_b_16", "vit_b_32", "vit_l_16", "vit_l_32", "wide_resnet50_2",
    "wide_resnet101_2",
]
__all__ += [  # more classification models (part A)
    "DenseNet", "GoogLeNet", "GoogLeNetOutputs", "Inception3", "InceptionOutputs", "MNASNet", "ShuffleNetV2",
    "densenet121", "densenet161", "densenet169", "densenet201", "googlenet", "inception_v3", "mnasnet0_5",
    "mnasnet0_75", "mnasnet1_0", "mnasnet1_3", "resnext101_32x8d", "resnext101_64x4d", "shufflenet_v2_x0_5",
    "shufflenet_v2_x1_0", "shufflenet_v2_x1_5", "shufflenet_v2_x2_0",
]
__all__ += [  # more classification models (part B)
    "ConvNeXt", "EfficientNet", "MaxVit", "RegNet", "SwinTransformer", "maxvit_t", "convnext_base", "convnext_large", "convnext_small",
    "convnext_tiny", "efficientnet_b0", "efficientnet_b1", "efficientnet_b2", "efficientnet_b3", "efficientnet_b4",
    "efficientnet_b5", "efficientnet_b6", "efficientnet_b7", "efficientnet_v2_l", "efficientnet_v2_m",
    "efficientnet_v2_s", "regnet_x_1_6gf", "regnet_x_3_2gf", "regnet_x_8gf", "regnet_x_16gf", "regnet_x_32gf",
    "regnet_x_400mf", "regnet_x_800mf", "regnet_y_1_6gf", "regnet_y_3_2gf", "regnet_y_8gf", "regnet_y_16gf",
    "regnet_y_32gf", "regnet_y_128gf", "regnet_y_400mf", "regnet_y_800mf", "swin_b", "swin_s", "swin_t", "swin_v2_b",
    "swin_v2_s", "swin_v2_t",
]
__all__ += ["feature_extraction", "segmentation"]  # subpackages, as in torchvision.models
