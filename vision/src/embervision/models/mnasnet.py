"""MNASNet B1 (Tan et al. 2019), with torchvision's module names."""

from __future__ import annotations

import warnings

import ember.nn as nn

from ._registry import register_model
from ._utils import no_weights

_BN_MOMENTUM = 1 - 0.9997


class _InvertedResidual(nn.Module):
    """1x1 expand (``expansion_factor``), depthwise ``kernel_size`` conv, 1x1 project; residual when shapes match.

    Example:
        >>> import ember
        >>> from embervision.models.mnasnet import _InvertedResidual
        >>> _InvertedResidual(8, 8, 3, 1, 3)(ember.zeros(1, 8, 4, 4)).shape
        ember.Size([1, 8, 4, 4])
    """

    def __init__(self, in_ch, out_ch, kernel_size, stride, expansion_factor, bn_momentum=0.1):
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"stride should be 1 or 2 instead of {stride}")
        if kernel_size not in (3, 5):
            raise ValueError(f"kernel_size should be 3 or 5 instead of {kernel_size}")
        mid_ch = in_ch * expansion_factor
        self.apply_residual = in_ch == out_ch and stride == 1
        self.layers = nn.Sequential(
            nn.Conv2d(in_ch, mid_ch, 1, bias=False),
            nn.BatchNorm2d(mid_ch, momentum=bn_momentum),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid_ch, mid_ch, kernel_size, padding=kernel_size // 2, stride=stride, groups=mid_ch, bias=False),
            nn.BatchNorm2d(mid_ch, momentum=bn_momentum),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid_ch, out_ch, 1, bias=False),
            nn.BatchNorm2d(out_ch, momentum=bn_momentum),
        )

    def forward(self, input):
        return self.layers(input) + input if self.apply_residual else self.layers(input)


def _stack(in_ch, out_ch, kernel_size, stride, exp_factor, repeats, bn_momentum):
    """``repeats`` inverted residuals; only the first changes width and strides."""
    if repeats < 1:
        raise ValueError(f"repeats should be >= 1, instead got {repeats}")
    return nn.Sequential(_InvertedResidual(in_ch, out_ch, kernel_size, stride, exp_factor, bn_momentum=bn_momentum),
                         *(_InvertedResidual(out_ch, out_ch, kernel_size, 1, exp_factor, bn_momentum=bn_momentum)
                           for _ in range(1, repeats)))


def _round_to_multiple_of(val, divisor, round_up_bias=0.9):
    """Round ``val`` to a multiple of ``divisor``, up unless that lands under ``round_up_bias * val``.

    Example:
        >>> from embervision.models.mnasnet import _round_to_multiple_of
        >>> _round_to_multiple_of(83, 8), _round_to_multiple_of(84, 8), _round_to_multiple_of(12, 8)
        (80, 88, 16)
    """
    if not 0.0 < round_up_bias < 1.0:
        raise ValueError(f"round_up_bias should be greater than 0.0 and smaller than 1.0 instead of {round_up_bias}")
    new_val = max(divisor, int(val + divisor / 2) // divisor * divisor)
    return new_val if new_val >= round_up_bias * val else new_val + divisor


def _get_depths(alpha):
    """The eight layer widths scaled by ``alpha`` (multiples of 8).

    Example:
        >>> from embervision.models.mnasnet import _get_depths
        >>> _get_depths(0.5)
        [16, 8, 16, 24, 40, 48, 96, 160]
    """
    return [_round_to_multiple_of(depth * alpha, 8) for depth in (32, 16, 24, 40, 80, 96, 192, 320)]


# the stacks: input and output depth index, kernel, stride, expansion, repeats
_STACKS = [(1, 2, 3, 2, 3, 3), (2, 3, 5, 2, 3, 3), (3, 4, 5, 2, 6, 3), (4, 5, 3, 1, 6, 2), (5, 6, 5, 2, 6, 4),
           (6, 7, 3, 1, 6, 1)]


def _stem(depths, first):
    """Stem layers 0-8: a 3x3/2 conv (``first`` channels), a depthwise 3x3, a 1x1 to ``depths[1]``, the first stack."""
    return [
        nn.Conv2d(3, first, 3, padding=1, stride=2, bias=False),
        nn.BatchNorm2d(first, momentum=_BN_MOMENTUM),
        nn.ReLU(inplace=True),
        nn.Conv2d(first, first, 3, padding=1, stride=1, groups=first, bias=False),
        nn.BatchNorm2d(first, momentum=_BN_MOMENTUM),
        nn.ReLU(inplace=True),
        nn.Conv2d(first, depths[1], 1, padding=0, stride=1, bias=False),
        nn.BatchNorm2d(depths[1], momentum=_BN_MOMENTUM),
        _stack(depths[1], depths[2], *_STACKS[0][2:], _BN_MOMENTUM),
    ]


class MNASNet(nn.Module):
    """MNASNet B1: a stem, six stacks of inverted residuals, a 1x1 conv to 1280, global mean, dropout and linear.

    Args:
        alpha: depth multiplier (widths rounded to multiples of 8).
        num_classes: outputs of the classifier.
        dropout: before the classifier's linear layer.

    Version-1 checkpoints (torchvision's, before the stem scaled with ``alpha``) load into models with
    ``alpha != 1`` by rebuilding the stem at its old widths, with a warning.

    Example:
        >>> import ember
        >>> from embervision.models import MNASNet
        >>> MNASNet(0.5, num_classes=3)(ember.zeros(2, 3, 32, 32)).shape
        ember.Size([2, 3])
    """

    _version = 2

    def __init__(self, alpha, num_classes=1000, dropout=0.2):
        super().__init__()
        if alpha <= 0.0:
            raise ValueError(f"alpha should be greater than 0.0 instead of {alpha}")
        self.alpha = alpha
        self.num_classes = num_classes
        depths = _get_depths(alpha)
        layers = _stem(depths, depths[0])
        layers += [_stack(depths[i], depths[o], kernel, stride, exp, repeats, _BN_MOMENTUM)
                   for i, o, kernel, stride, exp, repeats in _STACKS[1:]]
        layers += [nn.Conv2d(depths[7], 1280, 1, padding=0, stride=1, bias=False),
                   nn.BatchNorm2d(1280, momentum=_BN_MOMENTUM), nn.ReLU(inplace=True)]
        self.layers = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout, inplace=True), nn.Linear(1280, num_classes))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.kaiming_uniform_(m.weight, mode="fan_out", nonlinearity="sigmoid")
                nn.init.zeros_(m.bias)

    def forward(self, x):
        return self.classifier(self.layers(x).mean([2, 3]))

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        # a state dict without metadata (safetensors, a plain dict) is taken as the current version
        version = local_metadata.get("version", self._version)
        if version not in (1, 2):
            raise ValueError(f"version should be set to 1 or 2 instead of {version}")
        if version == 1 and self.alpha != 1.0:
            depths = _get_depths(self.alpha)
            for idx, layer in enumerate(_stem([32, 16, depths[2]], 32)):
                self.layers[idx] = layer
            self._version = 1
            warnings.warn("A new version of MNASNet model has been implemented. Your checkpoint was saved using the "
                          "previous version. This checkpoint will load and work as before, but you may want to upgrade "
                          "by training a newer model or transfer learning from an updated ImageNet checkpoint.",
                          UserWarning, stacklevel=2)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)


def _builder(name, alpha):

    def build(*, weights=None, progress=True, **kwargs):
        no_weights(name, weights)
        return MNASNet(alpha, **kwargs)

    build.__name__ = build.__qualname__ = name
    build.__doc__ = f"""MNASNet with depth multiplier {alpha}; keyword arguments go to :class:`MNASNet`.

    Example:
        >>> from embervision.models import {name}
        >>> {name}(num_classes=10).alpha
        {alpha}
    """
    return register_model(build)


mnasnet0_5, mnasnet0_75, mnasnet1_0, mnasnet1_3 = (
    _builder(n, a) for n, a in (("mnasnet0_5", 0.5), ("mnasnet0_75", 0.75), ("mnasnet1_0", 1.0), ("mnasnet1_3", 1.3)))
