"""Automatic augmentation: :class:`AutoAugment`, :class:`RandAugment`, :class:`TrivialAugmentWide`
and :class:`AugMix`.

They pick operations from tables of (name, magnitudes, signed) entries, torchvision's augmentation
spaces with its float32 magnitudes, and make torchvision's draws in its order: RandAugment,
TrivialAugmentWide and AugMix's chains a ``randint`` for the operation, one for the magnitude bin
(TrivialAugmentWide and AugMix, for operations that have magnitudes) and one for the sign of signed
operations; AutoAugment a ``randint`` for the sub-policy, ``rand(2)`` for whether each of its two
operations runs and ``randint(2, (2,))`` for their signs; AugMix first its Dirichlet weights, drawn
by torch's CPU Gamma sampler.
"""

from __future__ import annotations

import math
from enum import Enum

import ember
from ember import nn

from . import functional as F
from .functional import InterpolationMode
from .transforms import _f32


def _linspace32(start, end, steps):
    """``torch.linspace(start, end, steps)`` (float32) value for value: a float32 step, then
    ``start + step * i`` below the middle and ``end - step * (steps - 1 - i)`` from it, each rounded once."""
    start, end = _f32(start), _f32(end)
    step = _f32(_f32(end - start) / max(steps - 1, 1))
    return [_f32(start + step * i if i < steps // 2 else end - step * (steps - 1 - i)) for i in range(steps)]


def _posterize_steps(num_bins, levels):
    """``(torch.arange(num_bins) / ((num_bins - 1) / levels)).round()``: float32, ties to even."""
    bin_width = _f32(max(num_bins - 1, 1) / levels)
    return [round(_f32(i / bin_width)) for i in range(num_bins)]


def _op_table(num_bins, height, width, wide):
    """torchvision's augmentation space, in its order: name -> (magnitudes of bins 0..num_bins-1, or
    None for the operations without one, whether the sign is random)."""
    shear, translate, rot, enhance, posterize = (0.99, 32.0, 135.0, 0.99, 6) if wide else (0.3, None, 30.0, 0.9, 4)
    return {
        "Identity": (None, False),
        "ShearX": (_linspace32(0.0, shear, num_bins), True),
        "ShearY": (_linspace32(0.0, shear, num_bins), True),
        "TranslateX": (_linspace32(0.0, translate or 150.0 / 331.0 * width, num_bins), True),
        "TranslateY": (_linspace32(0.0, translate or 150.0 / 331.0 * height, num_bins), True),
        "Rotate": (_linspace32(0.0, rot, num_bins), True),
        "Brightness": (_linspace32(0.0, enhance, num_bins), True),
        "Color": (_linspace32(0.0, enhance, num_bins), True),
        "Contrast": (_linspace32(0.0, enhance, num_bins), True),
        "Sharpness": (_linspace32(0.0, enhance, num_bins), True),
        "Posterize": ([8 - k for k in _posterize_steps(num_bins, posterize)], False),
        "Solarize": (_linspace32(255.0, 0.0, num_bins), False),
        "AutoContrast": (None, False),
        "Equalize": (None, False),
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
    if name == "Solarize":  # the threshold is on the 0..255 scale; float tensors are on 0..1
        float_image = isinstance(img, ember.Tensor) and img.is_floating_point()
        return F.solarize(img, magnitude / 255.0 if float_image else magnitude)
    if name == "AutoContrast":
        return F.autocontrast(img)
    if name == "Equalize":
        return F.equalize(img)
    if name == "Invert":
        return F.invert(img)
    return img


class _Augment(nn.Module):
    def __init__(self, num_magnitude_bins, interpolation, fill):
        super().__init__()
        self.num_magnitude_bins = num_magnitude_bins
        self.interpolation = InterpolationMode(F._mode(interpolation))
        self.fill = fill

    def _fill(self, img):
        if not isinstance(img, ember.Tensor) or self.fill is None:
            return self.fill
        if isinstance(self.fill, (int, float)):
            return [float(self.fill)] * F.get_image_num_channels(img)
        return [float(f) for f in self.fill]

    def _one(self, img, table, fill, magnitude_bin=None, bins=None):
        """Draw an operation, its magnitude bin (of the first ``bins``, all by default, unless
        ``magnitude_bin`` is given) and its sign; apply it."""
        names = list(table)
        name = names[int(ember.randint(len(names), (1,)).item())]
        values, signed = table[name]
        if values is None:
            magnitude = 0.0
        elif magnitude_bin is None:
            magnitude = float(values[int(ember.randint(bins or len(values), (1,)).item())])
        else:
            magnitude = float(values[magnitude_bin])
        if signed and ember.randint(2, (1,)).item():
            magnitude = -magnitude
        return _apply_op(img, name, magnitude, self.interpolation, fill)


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
        table, fill = _op_table(self.num_magnitude_bins, h, w, wide=False), self._fill(img)
        for _ in range(self.num_ops):
            img = self._one(img, table, fill, self.magnitude)
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
        return self._one(img, _op_table(self.num_magnitude_bins, h, w, wide=True), self._fill(img))

    def __repr__(self):
        return (f"{type(self).__name__}(num_magnitude_bins={self.num_magnitude_bins}, "
                f"interpolation={self.interpolation}, fill={self.fill})")


class AutoAugmentPolicy(Enum):
    """The AutoAugment policies learned on ImageNet, CIFAR-10 and SVHN.

    Example:
        >>> from embervision.transforms import AutoAugmentPolicy
        >>> AutoAugmentPolicy("cifar10")
        <AutoAugmentPolicy.CIFAR10: 'cifar10'>
    """

    IMAGENET = "imagenet"
    CIFAR10 = "cifar10"
    SVHN = "svhn"


# The learned sub-policies (Cubuk et al., 2019, as torchvision lists them), one per line:
# two "operation probability magnitude-bin" triples ("-" when the operation has no magnitude).
_POLICIES = {
    AutoAugmentPolicy.IMAGENET: """
        Posterize 0.4 8, Rotate 0.6 9 | Solarize 0.6 5, AutoContrast 0.6 - | Equalize 0.8 -, Equalize 0.6 -
        Posterize 0.6 7, Posterize 0.6 6 | Equalize 0.4 -, Solarize 0.2 4 | Equalize 0.4 -, Rotate 0.8 8
        Solarize 0.6 3, Equalize 0.6 - | Posterize 0.8 5, Equalize 1.0 - | Rotate 0.2 3, Solarize 0.6 8
        Equalize 0.6 -, Posterize 0.4 6 | Rotate 0.8 8, Color 0.4 0 | Rotate 0.4 9, Equalize 0.6 -
        Equalize 0.0 -, Equalize 0.8 - | Invert 0.6 -, Equalize 1.0 - | Color 0.6 4, Contrast 1.0 8
        Rotate 0.8 8, Color 1.0 2 | Color 0.8 8, Solarize 0.8 7 | Sharpness 0.4 7, Invert 0.6 -
        ShearX 0.6 5, Equalize 1.0 - | Color 0.4 0, Equalize 0.6 - | Equalize 0.4 -, Solarize 0.2 4
        Solarize 0.6 5, AutoContrast 0.6 - | Invert 0.6 -, Equalize 1.0 - | Color 0.6 4, Contrast 1.0 8
        Equalize 0.8 -, Equalize 0.6 -""",
    AutoAugmentPolicy.CIFAR10: """
        Invert 0.1 -, Contrast 0.2 6 | Rotate 0.7 2, TranslateX 0.3 9 | Sharpness 0.8 1, Sharpness 0.9 3
        ShearY 0.5 8, TranslateY 0.7 9 | AutoContrast 0.5 -, Equalize 0.9 - | ShearY 0.2 7, Posterize 0.3 7
        Color 0.4 3, Brightness 0.6 7 | Sharpness 0.3 9, Brightness 0.7 9 | Equalize 0.6 -, Equalize 0.5 -
        Contrast 0.6 7, Sharpness 0.6 5 | Color 0.7 7, TranslateX 0.5 8 | Equalize 0.3 -, AutoContrast 0.4 -
        TranslateY 0.4 3, Sharpness 0.2 6 | Brightness 0.9 6, Color 0.2 8 | Solarize 0.5 2, Invert 0.0 -
        Equalize 0.2 -, AutoContrast 0.6 - | Equalize 0.2 -, Equalize 0.6 - | Color 0.9 9, Equalize 0.6 -
        AutoContrast 0.8 -, Solarize 0.2 8 | Brightness 0.1 3, Color 0.7 0 | Solarize 0.4 5, AutoContrast 0.9 -
        TranslateY 0.9 9, TranslateY 0.7 9 | AutoContrast 0.9 -, Solarize 0.8 3 | Equalize 0.8 -, Invert 0.1 -
        TranslateY 0.7 9, AutoContrast 0.9 -""",
    AutoAugmentPolicy.SVHN: """
        ShearX 0.9 4, Invert 0.2 - | ShearY 0.9 8, Invert 0.7 - | Equalize 0.6 -, Solarize 0.6 6
        Invert 0.9 -, Equalize 0.6 - | Equalize 0.6 -, Rotate 0.9 3 | ShearX 0.9 4, AutoContrast 0.8 -
        ShearY 0.9 8, Invert 0.4 - | ShearY 0.9 5, Solarize 0.2 6 | Invert 0.9 -, AutoContrast 0.8 -
        Equalize 0.6 -, Rotate 0.9 3 | ShearX 0.9 4, Solarize 0.3 3 | ShearY 0.8 8, Invert 0.7 -
        Equalize 0.9 -, TranslateY 0.6 6 | Invert 0.9 -, Equalize 0.6 - | Contrast 0.3 3, Rotate 0.8 4
        Invert 0.8 -, TranslateY 0.0 2 | ShearY 0.7 6, Solarize 0.4 8 | Invert 0.6 -, Rotate 0.8 4
        ShearY 0.3 7, TranslateX 0.9 3 | ShearX 0.1 6, Invert 0.6 - | Solarize 0.7 2, TranslateY 0.6 7
        ShearY 0.8 4, Invert 0.8 - | ShearX 0.7 9, TranslateY 0.8 3 | ShearY 0.8 5, AutoContrast 0.7 -
        ShearX 0.7 2, Invert 0.1 -""",
}


def _parse_policies(text):
    """``"A 0.4 8, B 0.6 -"`` entries -> ``[(("A", 0.4, 8), ("B", 0.6, None)), ...]``."""
    def op(triple):
        name, p, magnitude = triple.split()
        return name, float(p), None if magnitude == "-" else int(magnitude)

    entries = [e for line in text.strip().splitlines() for e in line.split("|")]
    return [tuple(op(t) for t in e.split(",")) for e in entries]


class AutoAugment(_Augment):
    """Apply one of the learned sub-policies of ``policy``, drawn at random: each of its two
    operations runs with its probability, at its magnitude bin (of 10), with a random sign.

    Example:
        >>> import ember
        >>> from embervision.transforms import AutoAugment, AutoAugmentPolicy
        >>> AutoAugment(AutoAugmentPolicy.CIFAR10)(ember.randint(0, 256, (3, 16, 16), dtype=ember.uint8)).shape
        ember.Size([3, 16, 16])
    """

    def __init__(self, policy=AutoAugmentPolicy.IMAGENET, interpolation=InterpolationMode.NEAREST, fill=None):
        super().__init__(10, interpolation, fill)
        self.policy = policy
        if policy not in _POLICIES:
            raise ValueError(f"The provided policy {policy} is not recognized.")
        self.policies = _parse_policies(_POLICIES[policy])

    @staticmethod
    def get_params(transform_num):
        """``(policy index, probabilities (2,), signs (2,))`` as torchvision draws them."""
        return int(ember.randint(transform_num, (1,)).item()), ember.rand((2,)), ember.randint(2, (2,))

    def forward(self, img):
        _, h, w = F.get_dimensions(img)
        fill = self._fill(img)
        policy_id, probs, signs = self.get_params(len(self.policies))
        table = _op_table(self.num_magnitude_bins, h, w, wide=False)
        table["Invert"] = (None, False)
        for i, (name, p, magnitude_bin) in enumerate(self.policies[policy_id]):
            if probs[i] <= p:
                values, signed = table[name]
                magnitude = 0.0 if magnitude_bin is None else float(values[magnitude_bin])
                if signed and signs[i] == 0:
                    magnitude = -magnitude
                img = _apply_op(img, name, magnitude, self.interpolation, fill)
        return img

    def __repr__(self):
        return f"{type(self).__name__}(policy={self.policy}, fill={self.fill})"


class AugMix(_Augment):
    """Mix the image with ``mixture_width`` chains of random operations (``chain_depth`` each, 1 to 3
    when negative), weighted by Dirichlet(``alpha``) draws, then blend with the original by a
    Beta(``alpha``, ``alpha``) weight.

    Example:
        >>> import ember
        >>> from embervision.transforms import AugMix
        >>> AugMix()(ember.randint(0, 256, (3, 16, 16), dtype=ember.uint8)).dtype
        ember.uint8
    """

    _PARAMETER_MAX = 10

    def __init__(self, severity=3, mixture_width=3, chain_depth=-1, alpha=1.0, all_ops=True,
                 interpolation=InterpolationMode.BILINEAR, fill=None):
        super().__init__(self._PARAMETER_MAX, interpolation, fill)
        if not 1 <= severity <= self._PARAMETER_MAX:
            raise ValueError(f"The severity must be between [1, {self._PARAMETER_MAX}]. Got {severity} instead.")
        self.severity, self.mixture_width, self.chain_depth = severity, mixture_width, chain_depth
        self.alpha, self.all_ops = alpha, all_ops

    def _augmentation_space(self, height, width):
        """AugMix's operations, in torchvision's order (the colour ones only with ``all_ops``)."""
        n, base = self._PARAMETER_MAX, _op_table(self._PARAMETER_MAX, height, width, wide=False)
        space = {"ShearX": base["ShearX"], "ShearY": base["ShearY"],
                 "TranslateX": (_linspace32(0.0, width / 3.0, n), True),
                 "TranslateY": (_linspace32(0.0, height / 3.0, n), True), "Rotate": base["Rotate"],
                 "Posterize": ([4 - k for k in _posterize_steps(n, 4)], False), "Solarize": base["Solarize"],
                 "AutoContrast": (None, False), "Equalize": (None, False)}
        if self.all_ops:
            space.update({k: base[k] for k in ("Brightness", "Color", "Contrast", "Sharpness")})
        return space

    def _sample_dirichlet(self, params):
        return ember._sample_dirichlet(params)

    def forward(self, orig_img):
        _, h, w = F.get_dimensions(orig_img)
        fill = self._fill(orig_img)
        img = orig_img if isinstance(orig_img, ember.Tensor) else F.pil_to_tensor(orig_img)
        space = self._augmentation_space(h, w)
        batch = img.reshape([1] * max(4 - img.ndim, 0) + list(img.shape))
        n = batch.shape[0]
        weight_shape = [n] + [1] * (batch.ndim - 1)
        m = self._sample_dirichlet(ember.tensor([[self.alpha] * 2] * n)).to(batch.device)
        chains = self._sample_dirichlet(ember.tensor([[self.alpha] * self.mixture_width] * n)).to(batch.device)
        chains = chains * m[:, 1].reshape(n, -1)
        mix = m[:, 0].reshape(weight_shape) * batch
        for i in range(self.mixture_width):
            aug = batch
            depth = self.chain_depth if self.chain_depth > 0 else int(ember.randint(1, 4, size=(1,)).item())
            for _ in range(depth):
                aug = self._one(aug, space, fill, bins=self.severity)
            mix = mix + chains[:, i].reshape(weight_shape) * aug
        mix = mix.reshape(img.shape).to(img.dtype)
        return mix if isinstance(orig_img, ember.Tensor) else F.to_pil_image(mix)

    def __repr__(self):
        return (f"{type(self).__name__}(severity={self.severity}, mixture_width={self.mixture_width}, "
                f"chain_depth={self.chain_depth}, alpha={self.alpha}, all_ops={self.all_ops}, "
                f"interpolation={self.interpolation}, fill={self.fill})")
