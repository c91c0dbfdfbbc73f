"""Inception v3 (Szegedy et al. 2016), with torchvision's module names."""

from __future__ import annotations

from collections import namedtuple

import ember
import ember.nn as nn
import ember.nn.functional as F

from ._registry import register_model
from ._utils import no_weights
from .googlenet import BasicConv2d, default_init_weights, init_truncated_normal, transform_imagenet_input

InceptionOutputs = namedtuple("InceptionOutputs", ["logits", "aux_logits"])
InceptionOutputs.__doc__ = """What Inception3 returns in training with ``aux_logits``: the logits and the auxiliary head's.

Example:
    >>> from embervision.models import InceptionOutputs
    >>> InceptionOutputs(1, 2).aux_logits
    2
"""
_InceptionOutputs = InceptionOutputs


def _avg_pool_3x3(x):
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1)


class InceptionA(nn.Module):
    """35x35 block: 1x1; 1x1-5x5; 1x1-3x3-3x3; 3x3 average pool-1x1 (``pool_features``), concatenated.

    Example:
        >>> import ember
        >>> from embervision.models.inception import InceptionA
        >>> InceptionA(8, pool_features=4)(ember.zeros(1, 8, 5, 5)).shape
        ember.Size([1, 228, 5, 5])
    """

    def __init__(self, in_channels, pool_features, conv_block=None):
        super().__init__()
        conv_block = conv_block or BasicConv2d
        self.branch1x1 = conv_block(in_channels, 64, kernel_size=1)
        self.branch5x5_1 = conv_block(in_channels, 48, kernel_size=1)
        self.branch5x5_2 = conv_block(48, 64, kernel_size=5, padding=2)
        self.branch3x3dbl_1 = conv_block(in_channels, 64, kernel_size=1)
        self.branch3x3dbl_2 = conv_block(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = conv_block(96, 96, kernel_size=3, padding=1)
        self.branch_pool = conv_block(in_channels, pool_features, kernel_size=1)

    def forward(self, x):
        return ember.cat([
            self.branch1x1(x),
            self.branch5x5_2(self.branch5x5_1(x)),
            self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
            self.branch_pool(_avg_pool_3x3(x)),
        ], 1)


class InceptionB(nn.Module):
    """Grid reduction 35 -> 17: 3x3/2; 1x1-3x3-3x3/2; 3x3/2 max pool, concatenated.

    Example:
        >>> import ember
        >>> from embervision.models.inception import InceptionB
        >>> InceptionB(8)(ember.zeros(1, 8, 7, 7)).shape
        ember.Size([1, 488, 3, 3])
    """

    def __init__(self, in_channels, conv_block=None):
        super().__init__()
        conv_block = conv_block or BasicConv2d
        self.branch3x3 = conv_block(in_channels, 384, kernel_size=3, stride=2)
        self.branch3x3dbl_1 = conv_block(in_channels, 64, kernel_size=1)
        self.branch3x3dbl_2 = conv_block(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = conv_block(96, 96, kernel_size=3, stride=2)

    def forward(self, x):
        return ember.cat([
            self.branch3x3(x),
            self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
            F.max_pool2d(x, kernel_size=3, stride=2),
        ], 1)


class InceptionC(nn.Module):
    """17x17 block with factorised 7x7 convolutions (``channels_7x7`` wide inside), four 192-channel branches.

    Example:
        >>> import ember
        >>> from embervision.models.inception import InceptionC
        >>> InceptionC(8, channels_7x7=4)(ember.zeros(1, 8, 5, 5)).shape
        ember.Size([1, 768, 5, 5])
    """

    def __init__(self, in_channels, channels_7x7, conv_block=None):
        super().__init__()
        conv_block = conv_block or BasicConv2d
        c7 = channels_7x7
        row, col = {"kernel_size": (1, 7), "padding": (0, 3)}, {"kernel_size": (7, 1), "padding": (3, 0)}
        self.branch1x1 = conv_block(in_channels, 192, kernel_size=1)
        self.branch7x7_1 = conv_block(in_channels, c7, kernel_size=1)
        self.branch7x7_2 = conv_block(c7, c7, **row)
        self.branch7x7_3 = conv_block(c7, 192, **col)
        self.branch7x7dbl_1 = conv_block(in_channels, c7, kernel_size=1)
        self.branch7x7dbl_2 = conv_block(c7, c7, **col)
        self.branch7x7dbl_3 = conv_block(c7, c7, **row)
        self.branch7x7dbl_4 = conv_block(c7, c7, **col)
        self.branch7x7dbl_5 = conv_block(c7, 192, **row)
        self.branch_pool = conv_block(in_channels, 192, kernel_size=1)

    def forward(self, x):
        dbl = self.branch7x7dbl_3(self.branch7x7dbl_2(self.branch7x7dbl_1(x)))
        return ember.cat([
            self.branch1x1(x),
            self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x))),
            self.branch7x7dbl_5(self.branch7x7dbl_4(dbl)),
            self.branch_pool(_avg_pool_3x3(x)),
        ], 1)


class InceptionD(nn.Module):
    """Grid reduction 17 -> 8: 1x1-3x3/2; 1x1-1x7-7x1-3x3/2; 3x3/2 max pool, concatenated.

    Example:
        >>> import ember
        >>> from embervision.models.inception import InceptionD
        >>> InceptionD(8)(ember.zeros(1, 8, 7, 7)).shape
        ember.Size([1, 520, 3, 3])
    """

    def __init__(self, in_channels, conv_block=None):
        super().__init__()
        conv_block = conv_block or BasicConv2d
        self.branch3x3_1 = conv_block(in_channels, 192, kernel_size=1)
        self.branch3x3_2 = conv_block(192, 320, kernel_size=3, stride=2)
        self.branch7x7x3_1 = conv_block(in_channels, 192, kernel_size=1)
        self.branch7x7x3_2 = conv_block(192, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7x3_3 = conv_block(192, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7x3_4 = conv_block(192, 192, kernel_size=3, stride=2)

    def forward(self, x):
        return ember.cat([
            self.branch3x3_2(self.branch3x3_1(x)),
            self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x)))),
            F.max_pool2d(x, kernel_size=3, stride=2),
        ], 1)


class InceptionE(nn.Module):
    """8x8 block with split 1x3 / 3x1 convolutions: 320 + 768 + 768 + 192 = 2048 channels.

    Example:
        >>> import ember
        >>> from embervision.models.inception import InceptionE
        >>> InceptionE(8)(ember.zeros(1, 8, 3, 3)).shape
        ember.Size([1, 2048, 3, 3])
    """

    def __init__(self, in_channels, conv_block=None):
        super().__init__()
        conv_block = conv_block or BasicConv2d
        row, col = {"kernel_size": (1, 3), "padding": (0, 1)}, {"kernel_size": (3, 1), "padding": (1, 0)}
        self.branch1x1 = conv_block(in_channels, 320, kernel_size=1)
        self.branch3x3_1 = conv_block(in_channels, 384, kernel_size=1)
        self.branch3x3_2a = conv_block(384, 384, **row)
        self.branch3x3_2b = conv_block(384, 384, **col)
        self.branch3x3dbl_1 = conv_block(in_channels, 448, kernel_size=1)
        self.branch3x3dbl_2 = conv_block(448, 384, kernel_size=3, padding=1)
        self.branch3x3dbl_3a = conv_block(384, 384, **row)
        self.branch3x3dbl_3b = conv_block(384, 384, **col)
        self.branch_pool = conv_block(in_channels, 192, kernel_size=1)

    def forward(self, x):
        b3 = self.branch3x3_1(x)
        dbl = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        return ember.cat([
            self.branch1x1(x),
            ember.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1),
            ember.cat([self.branch3x3dbl_3a(dbl), self.branch3x3dbl_3b(dbl)], 1),
            self.branch_pool(_avg_pool_3x3(x)),
        ], 1)


class InceptionAux(nn.Module):
    """The auxiliary head: 5x5/3 average pool, 1x1 conv to 128, 5x5 conv to 768, global pool, linear.

    As in torchvision, ``conv1`` and ``fc`` carry ``stddev`` for the truncated-normal init; only ``fc``
    is an ``nn.Linear`` the init reads it from (``conv1`` is a :class:`BasicConv2d`, so its convolution
    gets the default 0.1).

    Example:
        >>> import ember
        >>> from embervision.models.inception import InceptionAux
        >>> InceptionAux(8, 5)(ember.zeros(2, 8, 17, 17)).shape
        ember.Size([2, 5])
    """

    def __init__(self, in_channels, num_classes, conv_block=None):
        super().__init__()
        conv_block = conv_block or BasicConv2d
        self.conv0 = conv_block(in_channels, 128, kernel_size=1)
        self.conv1 = conv_block(128, 768, kernel_size=5)
        self.conv1.stddev = 0.01
        self.fc = nn.Linear(768, num_classes)
        self.fc.stddev = 0.001

    def forward(self, x):
        x = self.conv1(self.conv0(F.avg_pool2d(x, kernel_size=5, stride=3)))
        return self.fc(ember.flatten(F.adaptive_avg_pool2d(x, (1, 1)), 1))


class Inception3(nn.Module):
    """Inception v3: a convolutional stem, Mixed 5b-7c blocks, an auxiliary head (training only), a linear head.

    Expects 299 x 299 images (at least 75 x 75). In training with ``aux_logits`` it returns
    :class:`InceptionOutputs` ``(logits, aux_logits)``, otherwise the logits.

    Args:
        num_classes: outputs of ``fc`` and ``AuxLogits``.
        aux_logits: build the auxiliary head ``AuxLogits``.
        transform_input: rescale ImageNet-normalised input to ``[-1, 1]`` first (for the ported weights).
        inception_blocks: ``[conv, A, B, C, D, E, aux]`` block classes.
        init_weights: run the truncated-normal init (None: True, with torchvision's FutureWarning).
        dropout: before ``fc``.

    Example:
        >>> import ember
        >>> from embervision.models import Inception3
        >>> model = Inception3(num_classes=3, init_weights=False).eval()
        >>> model(ember.zeros(1, 3, 75, 75)).shape
        ember.Size([1, 3])
    """

    def __init__(self, num_classes=1000, aux_logits=True, transform_input=False, inception_blocks=None,
                 init_weights=None, dropout=0.5):
        super().__init__()
        inception_blocks = inception_blocks or [BasicConv2d, InceptionA, InceptionB, InceptionC, InceptionD, InceptionE,
                                                InceptionAux]
        init_weights = default_init_weights(init_weights, "inception_v3")
        if len(inception_blocks) != 7:
            raise ValueError(f"length of inception_blocks should be 7 instead of {len(inception_blocks)}")
        conv_block, inception_a, inception_b, inception_c, inception_d, inception_e, inception_aux = inception_blocks
        self.aux_logits = aux_logits
        self.transform_input = transform_input
        self.Conv2d_1a_3x3 = conv_block(3, 32, kernel_size=3, stride=2)
        self.Conv2d_2a_3x3 = conv_block(32, 32, kernel_size=3)
        self.Conv2d_2b_3x3 = conv_block(32, 64, kernel_size=3, padding=1)
        self.maxpool1 = nn.MaxPool2d(kernel_size=3, stride=2)
        self.Conv2d_3b_1x1 = conv_block(64, 80, kernel_size=1)
        self.Conv2d_4a_3x3 = conv_block(80, 192, kernel_size=3)
        self.maxpool2 = nn.MaxPool2d(kernel_size=3, stride=2)
        self.Mixed_5b = inception_a(192, pool_features=32)
        self.Mixed_5c = inception_a(256, pool_features=64)
        self.Mixed_5d = inception_a(288, pool_features=64)
        self.Mixed_6a = inception_b(288)
        self.Mixed_6b = inception_c(768, channels_7x7=128)
        self.Mixed_6c = inception_c(768, channels_7x7=160)
        self.Mixed_6d = inception_c(768, channels_7x7=160)
        self.Mixed_6e = inception_c(768, channels_7x7=192)
        self.AuxLogits = inception_aux(768, num_classes) if aux_logits else None
        self.Mixed_7a = inception_d(768)
        self.Mixed_7b = inception_e(1280)
        self.Mixed_7c = inception_e(2048)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(p=dropout)
        self.fc = nn.Linear(2048, num_classes)
        if init_weights:
            init_truncated_normal(self, 0.1)

    def _transform_input(self, x):
        return transform_imagenet_input(x) if self.transform_input else x

    def _forward(self, x):
        for name in ("Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "maxpool1", "Conv2d_3b_1x1", "Conv2d_4a_3x3",
                     "maxpool2", "Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d",
                     "Mixed_6e"):
            x = getattr(self, name)(x)
        aux = self.AuxLogits(x) if self.AuxLogits is not None and self.training else None
        x = self.Mixed_7c(self.Mixed_7b(self.Mixed_7a(x)))
        return self.fc(ember.flatten(self.dropout(self.avgpool(x)), 1)), aux

    def eager_outputs(self, x, aux):
        """:class:`InceptionOutputs` in training with ``aux_logits``, else the logits ``x``."""
        return InceptionOutputs(x, aux) if self.training and self.aux_logits else x

    def forward(self, x):
        return self.eager_outputs(*self._forward(self._transform_input(x)))


@register_model
def inception_v3(*, weights=None, progress=True, **kwargs):
    """Inception v3 (for 299 x 299 images); keyword arguments go to :class:`Inception3`.

    Example:
        >>> from embervision.models import inception_v3
        >>> inception_v3(weights="DEFAULT")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ValueError: inception_v3: no pretrained weights are bundled ...
    """
    no_weights("inception_v3", weights)
    return Inception3(**kwargs)
