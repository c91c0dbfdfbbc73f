"""Image transforms (``embervision.transforms``), mirroring ``torchvision.transforms``.

They take PIL images or Ember tensor images (..., C, H, W); the random ones draw from Ember's
default generator, so ``ember.manual_seed`` makes them reproducible.

Example:
    >>> from PIL import Image
    >>> from embervision import transforms as T
    >>> tf = T.Compose([T.RandomResizedCrop(8), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize([0.5] * 3, [0.5] * 3)])
    >>> tf(Image.new("RGB", (32, 24))).shape
    ember.Size([3, 8, 8])
"""

from . import functional, v2  # noqa: F401
from .autoaugment import AugMix, AutoAugment, AutoAugmentPolicy, RandAugment, TrivialAugmentWide
from .functional import InterpolationMode
from .transforms import *  # noqa: F401,F403
from .transforms import __all__ as _all

__all__ = _all + ["AugMix", "AutoAugment", "AutoAugmentPolicy", "InterpolationMode", "RandAugment",
                  "TrivialAugmentWide", "functional"]
