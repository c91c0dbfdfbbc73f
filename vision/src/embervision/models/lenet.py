"""LeNet-5 style convolutional network, sized for small images (8x8 digits up to 32x32)."""

from __future__ import annotations

import ember.nn as nn

from ._registry import register_model


class LeNet(nn.Module):
    """Two conv/ReLU/max-pool stages and a three-layer classifier.

    Args:
        num_classes: number of output classes.
        in_channels: image channels.
        image_size: height (= width) of the input images.
        width: channels of the first conv layer (the second has twice as many).

    Example:
        >>> import ember
        >>> from embervision.models import LeNet
        >>> LeNet(num_classes=10, image_size=8)(ember.zeros(2, 1, 8, 8)).shape
        ember.Size([2, 10])
    """

    def __init__(self, num_classes=10, in_channels=1, image_size=28, width=16):
        super().__init__()
        pad = 2 if image_size < 28 else 0
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, width, 5, padding=pad), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 5, padding=pad), nn.ReLU(), nn.MaxPool2d(2),
        )
        side = image_size
        for _ in range(2):
            side = (side + 2 * pad - 4) // 2
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(2 * width * side * side, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
            nn.Linear(84, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


@register_model
def lenet5(*, weights=None, num_classes=10, **kwargs):
    """LeNet-5 (``weights`` must be None: no pretrained weights are bundled).

    Example:
        >>> from embervision.models import lenet5
        >>> sum(p.numel() for p in lenet5(image_size=28).parameters())
        85822
    """
    if weights is not None:
        raise ValueError("lenet5: no pretrained weights are bundled; load a state dict with load_state_dict")
    return LeNet(num_classes=num_classes, **kwargs)
