"""AlexNet (Krizhevsky et al. 2012, the one-GPU variant), with torchvision's module names."""

from __future__ import annotations

import ember
import ember.nn as nn

from ._registry import register_model
from ._utils import no_weights


class AlexNet(nn.Module):
    """Five convolutions with max-pooling, 6x6 adaptive pooling and a three-layer classifier.

    Example:
        >>> import ember
        >>> from embervision.models import AlexNet
        >>> AlexNet(num_classes=4)(ember.zeros(1, 3, 63, 63)).shape
        ember.Size([1, 4])
    """

    def __init__(self, num_classes=1000, dropout=0.5):
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
        return self.classifier(ember.flatten(self.avgpool(self.features(x)), 1))


@register_model
def alexnet(*, weights=None, progress=True, **kwargs):
    """AlexNet; keyword arguments go to :class:`AlexNet` (``num_classes``, ``dropout``).

    Example:
        >>> from embervision.models import alexnet
        >>> alexnet(weights="DEFAULT")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ValueError: alexnet: no pretrained weights are bundled ...
    """
    no_weights("alexnet", weights)
    return AlexNet(**kwargs)
