"""Automatic augmentation: :class:`RandAugment` and :class:`TrivialAugmentWide`.

Both pick operations from one table of (name, magnitude range, signed) entries; a magnitude bin
``m`` of ``num_magnitude_bins`` maps linearly onto the range.
"""

from __future__ import annotations

import math

import ember
from ember import nn

from . import functional as F
from .functional import InterpolationMode


def _op_table(num_bins, height, width, wide):
    """name -> (magnitudes for bins 0..num_bins-1, whether the sign is random)."""
    def lin(hi):
        return [hi * i / (num_bins - 1) for i in range(num_bins)] if num_bins > 1 else [0.0]

    shear, translate, rot, enhance = (0.99, 32.0, 135.0, 0.99) if wide else (0.3, None, 30.0, 0.9)
    posterize = [int(8 - (i * (6 if wide else 4)) // max(num_bins - 1, 1)) for i in range(num_bins)]
    return {
        "Identity": ([0.0] * num_bins, False),
        "ShearX": (lin(shear), True),
        "ShearY": (lin(shear), True),
        "TranslateX": (lin(translate if wide else 150.0 / 331.0 * width), True),
        "TranslateY": (lin(translate if wide else 150.0 / 331.0 * height), True),
        "Rotate": (lin(rot), True),
        "Brightness": (lin(enhance), True),
        "Color": (lin(enhance), True),
        "Contrast": (lin(enhance), True),
        "Sharpness": (lin(enhance), True),
        "Posterize": (posterize, False),
        "Solarize": ([1.0 - v for v in lin(1.0)], False),
        "AutoContrast": ([0.0] * num_bins, False),
        "Equalize": ([0.0] * num_bins, False),
    }


def _apply_op(img, name, magnitude, interpolation, fill):
    if name == "ShearX":
        return F.affine(img, 0.0, [0, 0], 1.0, [math.degrees(math.atan(magnitude)), 0.0], interpolation, fill,
                        center=[0, 0])
    if name == "ShearY":
        return F.affine(img, 0.0, [0, 0], 1.0, [0.0, math.degrees(math.atan(magnitude))], interpolation, fill,
                        center=[0, 0])
    if name == "TranslateX":
        return F.affine(img, 0.0, [int(magnitude), 0], 1.0, [0.0, 0.0], interpolation, fill)
    if name == "TranslateY":
        return F.affine(img, 0.0, [0, int(magnitude)], 1.0, [0.0, 0.0], interpolation, fill)
    if name == "Rotate":
        return F.rotate(img, magnitude, interpolation, fill=fill)
    enhance = {"Brightness": F.adjust_brightness, "Color": F.adjust_saturation, "Contrast": F.adjust_contrast,
               "Sharpness": F.adjust_sharpness}
    if name in enhance:
        return enhance[name](img, 1.0 + magnitude)
    if name == "Posterize":
        return F.posterize(img, int(magnitude))
    if name == "Solarize":
        bound = 1.0 if isinstance(img, ember.Tensor) and img.is_floating_point() else 255.0
        return F.solarize(img, magnitude * bound if bound == 1.0 else int(magnitude * bound))
    if name == "AutoContrast":
        return F.autocontrast(img)
    if name == "Equalize":
        return F.equalize(img)
    return img


class _Augment(nn.Module):
    def __init__(self, num_magnitude_bins, interpolation, fill):
        super().__init__()
        self.num_magnitude_bins = num_magnitude_bins
        self.interpolation = InterpolationMode(F._mode(interpolation))
        self.fill = fill

    def _fill(self, img):
        if isinstance(img, ember.Tensor) and isinstance(self.fill, (int, float)):
            return [float(self.fill)] * F.get_image_num_channels(img)
        return self.fill

    def _one(self, img, table, magnitude_bin):
        names = list(table)
        name = names[int(ember.randint(len(names), (1,)).item())]
        values, signed = table[name]
        magnitude = float(values[magnitude_bin]) if magnitude_bin is not None else \
            float(values[int(ember.randint(len(values), (1,)).item())])
        if signed and ember.randint(2, (1,)).item():
            magnitude = -magnitude
        return _apply_op(img, name, magnitude, self.interpolation, self._fill(img))


class RandAugment(_Augment):
    """Apply ``num_ops`` random operations of strength ``magnitude`` (of ``num_magnitude_bins``).

    Example:
        >>> import ember
        >>> from embervision.transforms import RandAugment
        >>> RandAugment()(ember.randint(0, 256, (3, 16, 16), dtype=ember.uint8)).shape
        ember.Size([3, 16, 16])
    """

    def __init__(self, num_ops=2, magnitude=9, num_magnitude_bins=31, interpolation=InterpolationMode.NEAREST,
                 fill=None):
        super().__init__(num_magnitude_bins, interpolation, fill)
        self.num_ops, self.magnitude = num_ops, magnitude

    def forward(self, img):
        _, h, w = F.get_dimensions(img)
        table = _op_table(self.num_magnitude_bins, h, w, wide=False)
        for _ in range(self.num_ops):
            img = self._one(img, table, self.magnitude)
        return img

    def __repr__(self):
        return (f"{type(self).__name__}(num_ops={self.num_ops}, magnitude={self.magnitude}, "
                f"num_magnitude_bins={self.num_magnitude_bins}, interpolation={self.interpolation}, fill={self.fill})")


class TrivialAugmentWide(_Augment):
    """Apply one random operation at a random strength (the wide magnitude ranges).

    Example:
        >>> import ember
        >>> from embervision.transforms import TrivialAugmentWide
        >>> TrivialAugmentWide()(ember.randint(0, 256, (3, 16, 16), dtype=ember.uint8)).dtype
        ember.uint8
    """

    def __init__(self, num_magnitude_bins=31, interpolation=InterpolationMode.NEAREST, fill=None):
        super().__init__(num_magnitude_bins, interpolation, fill)

    def forward(self, img):
        _, h, w = F.get_dimensions(img)
        return self._one(img, _op_table(self.num_magnitude_bins, h, w, wide=True), None)

    def __repr__(self):
        return (f"{type(self).__name__}(num_magnitude_bins={self.num_magnitude_bins}, "
                f"interpolation={self.interpolation}, fill={self.fill})")
