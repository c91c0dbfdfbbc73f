"""GoogLeNet / Inception v1 (Szegedy et al. 2015), with torchvision's module names.

``BasicConv2d``, ``transform_imagenet_input`` and ``init_truncated_normal`` are shared with Inception v3.
"""

from __future__ import annotations

import warnings
from collections import namedtuple

import ember
import ember.nn as nn
import ember.nn.functional as F

from ._registry import register_model
from ._utils import no_weights

GoogLeNetOutputs = namedtuple("GoogLeNetOutputs", ["logits", "aux_logits2", "aux_logits1"])
GoogLeNetOutputs.__doc__ = """What GoogLeNet returns in training with ``aux_logits``: the logits and both auxiliary heads'.

Example:
    >>> from embervision.models import GoogLeNetOutputs
    >>> GoogLeNetOutputs(1, 2, 3).aux_logits1
    3
"""
_GoogLeNetOutputs = GoogLeNetOutputs


class BasicConv2d(nn.Module):
    """A bias-free convolution (``kwargs`` go to ``nn.Conv2d``), BatchNorm (eps 1e-3) and ReLU.

    Example:
        >>> import ember
        >>> from embervision.models.googlenet import BasicConv2d
        >>> BasicConv2d(3, 8, kernel_size=3, padding=1)(ember.zeros(1, 3, 5, 5)).shape
        ember.Size([1, 8, 5, 5])
    """

    def __init__(self, in_channels, out_channels, **kwargs):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, bias=False, **kwargs)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)), inplace=True)


_IMAGENET = ((0.485, 0.229), (0.456, 0.224), (0.406, 0.225))  # per channel: mean, std


def transform_imagenet_input(x):
    """Map ImageNet-normalised images to the ``[-1, 1]`` scaling the ported Google weights expect.

    Example:
        >>> import ember
        >>> from embervision.models.googlenet import transform_imagenet_input
        >>> transform_imagenet_input(ember.zeros(1, 3, 1, 1)).flatten()
        tensor([-0.0300, -0.0880, -0.1880])
    """
    return ember.cat([ember.unsqueeze(x[:, c], 1) * (std / 0.5) + (mean - 0.5) / 0.5
                      for c, (mean, std) in enumerate(_IMAGENET)], 1)


def init_truncated_normal(model, std):
    """GoogLeNet's and Inception v3's init: truncated normals (cut at +-2) for convolutions and linears, unit norms.

    A module's own ``stddev`` attribute overrides ``std``; draws follow ``model.modules()`` order.

    Example:
        >>> import ember
        >>> from embervision.models.googlenet import init_truncated_normal
        >>> m = ember.nn.Sequential(ember.nn.Linear(50, 40), ember.nn.BatchNorm2d(3))
        >>> init_truncated_normal(m, 0.01)
        >>> round(float(m[0].weight.std()), 2), float(m[1].weight.sum())
        (0.01, 3.0)
    """
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.trunc_normal_(m.weight, mean=0.0, std=float(getattr(m, "stddev", std)), a=-2, b=2)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.constant_(m.weight, 1)
            nn.init.constant_(m.bias, 0)


def default_init_weights(init_weights, name):
    """``init_weights``, with torchvision's FutureWarning when it is left ``None`` (then it is ``True``).

    Example:
        >>> from embervision.models.googlenet import default_init_weights
        >>> default_init_weights(False, "GoogleNet")
        False
    """
    if init_weights is None:
        warnings.warn(f"The default weight initialization of {name} will be changed in future releases of "
                      "torchvision. If you wish to keep the old behavior (which leads to long initialization times"
                      " due to scipy/scipy#11299), please set init_weights=True.", FutureWarning, stacklevel=3)
        return True
    return init_weights


class Inception(nn.Module):
    """Four parallel branches (1x1; 1x1-3x3; 1x1-3x3; 3x3 max-pool-1x1), concatenated.

    (torchvision's "5x5" branch uses a 3x3 kernel, as here, so its weights load.)

    Example:
        >>> import ember
        >>> from embervision.models.googlenet import Inception
        >>> Inception(8, 2, 2, 4, 2, 4, 2)(ember.zeros(1, 8, 5, 5)).shape
        ember.Size([1, 12, 5, 5])
    """

    def __init__(self, in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj, conv_block=None):
        super().__init__()
        conv_block = conv_block or BasicConv2d
        self.branch1 = conv_block(in_channels, ch1x1, kernel_size=1)
        self.branch2 = nn.Sequential(conv_block(in_channels, ch3x3red, kernel_size=1),
                                     conv_block(ch3x3red, ch3x3, kernel_size=3, padding=1))
        self.branch3 = nn.Sequential(conv_block(in_channels, ch5x5red, kernel_size=1),
                                     conv_block(ch5x5red, ch5x5, kernel_size=3, padding=1))
        self.branch4 = nn.Sequential(nn.MaxPool2d(kernel_size=3, stride=1, padding=1, ceil_mode=True),
                                     conv_block(in_channels, pool_proj, kernel_size=1))

    def forward(self, x):
        return ember.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


class InceptionAux(nn.Module):
    """An auxiliary head: 4x4 adaptive average pool, 1x1 conv to 128, two linears with dropout between.

    Example:
        >>> import ember
        >>> from embervision.models.googlenet import InceptionAux
        >>> InceptionAux(16, 5)(ember.zeros(2, 16, 7, 7)).shape
        ember.Size([2, 5])
    """

    def __init__(self, in_channels, num_classes, conv_block=None, dropout=0.7):
        super().__init__()
        conv_block = conv_block or BasicConv2d
        self.conv = conv_block(in_channels, 128, kernel_size=1)
        self.fc1 = nn.Linear(2048, 1024)
        self.fc2 = nn.Linear(1024, num_classes)
        self.dropout = nn.Dropout(p=dropout)

    def forward(self, x):
        x = ember.flatten(self.conv(F.adaptive_avg_pool2d(x, (4, 4))), 1)
        return self.fc2(self.dropout(F.relu(self.fc1(x), inplace=True)))


_INCEPTIONS = [  # name, then in, 1x1, 3x3 reduce, 3x3, "5x5" reduce, "5x5", pool projection; "M..." a 3x3/2 max-pool
    ("inception3a", 192, 64, 96, 128, 16, 32, 32), ("inception3b", 256, 128, 128, 192, 32, 96, 64), ("maxpool3",),
    ("inception4a", 480, 192, 96, 208, 16, 48, 64), ("inception4b", 512, 160, 112, 224, 24, 64, 64),
    ("inception4c", 512, 128, 128, 256, 24, 64, 64), ("inception4d", 512, 112, 144, 288, 32, 64, 64),
    ("inception4e", 528, 256, 160, 320, 32, 128, 128), ("maxpool4",),
    ("inception5a", 832, 256, 160, 320, 32, 128, 128), ("inception5b", 832, 384, 192, 384, 48, 128, 128),
]
_AUX_HEADS = {"inception4a": "aux1", "inception4d": "aux2"}  # block -> the auxiliary head fed its output


class GoogLeNet(nn.Module):
    """GoogLeNet: a convolutional stem, nine Inception blocks, two auxiliary heads (training only), a linear head.

    In training with ``aux_logits`` it returns :class:`GoogLeNetOutputs` ``(logits, aux_logits2, aux_logits1)``,
    otherwise the logits.

    Args:
        num_classes: outputs of ``fc`` (and of the auxiliary heads).
        aux_logits: build the auxiliary heads ``aux1`` and ``aux2``.
        transform_input: rescale ImageNet-normalised input to ``[-1, 1]`` first (for the ported weights).
        init_weights: run the truncated-normal init (None: True, with torchvision's FutureWarning).
        blocks: ``[conv_block, inception_block, inception_aux_block]`` classes.
        dropout, dropout_aux: before ``fc``; inside the auxiliary heads.

    Example:
        >>> import ember
        >>> from embervision.models import GoogLeNet
        >>> model = GoogLeNet(num_classes=3, init_weights=False)
        >>> [t.shape for t in model(ember.zeros(2, 3, 64, 64))]
        [ember.Size([2, 3]), ember.Size([2, 3]), ember.Size([2, 3])]
        >>> model.eval()(ember.zeros(2, 3, 32, 32)).shape
        ember.Size([2, 3])
    """

    def __init__(self, num_classes=1000, aux_logits=True, transform_input=False, init_weights=None, blocks=None,
                 dropout=0.2, dropout_aux=0.7):
        super().__init__()
        blocks = blocks or [BasicConv2d, Inception, InceptionAux]
        init_weights = default_init_weights(init_weights, "GoogleNet")
        if len(blocks) != 3:
            raise ValueError(f"blocks length should be 3 instead of {len(blocks)}")
        conv_block, inception_block, inception_aux_block = blocks
        self.aux_logits = aux_logits
        self.transform_input = transform_input
        self.conv1 = conv_block(3, 64, kernel_size=7, stride=2, padding=3)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = conv_block(64, 64, kernel_size=1)
        self.conv3 = conv_block(64, 192, kernel_size=3, padding=1)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        for name, *channels in _INCEPTIONS:
            setattr(self, name, inception_block(*channels) if channels else
                    nn.MaxPool2d(2 if name == "maxpool4" else 3, stride=2, ceil_mode=True))
        if aux_logits:
            self.aux1 = inception_aux_block(512, num_classes, dropout=dropout_aux)
            self.aux2 = inception_aux_block(528, num_classes, dropout=dropout_aux)
        else:
            self.aux1 = self.aux2 = None
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(p=dropout)
        self.fc = nn.Linear(1024, num_classes)
        if init_weights:
            init_truncated_normal(self, 0.01)

    def _transform_input(self, x):
        return transform_imagenet_input(x) if self.transform_input else x

    def _forward(self, x):
        x = self.maxpool1(self.conv1(x))
        x = self.maxpool2(self.conv3(self.conv2(x)))
        aux = {}
        for name, *_ in _INCEPTIONS:
            x = getattr(self, name)(x)
            head = getattr(self, _AUX_HEADS[name]) if name in _AUX_HEADS else None
            if head is not None and self.training:
                aux[_AUX_HEADS[name]] = head(x)
        x = self.fc(self.dropout(ember.flatten(self.avgpool(x), 1)))
        return x, aux.get("aux2"), aux.get("aux1")

    def eager_outputs(self, x, aux2, aux1):
        """:class:`GoogLeNetOutputs` in training with ``aux_logits``, else the logits ``x``."""
        return GoogLeNetOutputs(x, aux2, aux1) if self.training and self.aux_logits else x

    def forward(self, x):
        return self.eager_outputs(*self._forward(self._transform_input(x)))


@register_model
def googlenet(*, weights=None, progress=True, **kwargs):
    """GoogLeNet (Inception v1); keyword arguments go to :class:`GoogLeNet`.

    Example:
        >>> from embervision.models import googlenet
        >>> googlenet(num_classes=10, aux_logits=False, init_weights=False).fc.out_features
        10
    """
    no_weights("googlenet", weights)
    return GoogLeNet(**kwargs)
