"""Transform classes: callables composed with :class:`Compose`."""

from __future__ import annotations

from . import functional as F


class Compose:
    """Apply transforms one after another.

    Example:
        >>> from embervision import transforms as T
        >>> T.Compose([T.ToTensor()])
        Compose(
            ToTensor()
        )
    """

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        body = "".join(f"\n    {t!r}" for t in self.transforms)
        return f"{type(self).__name__}({body}\n)"


class ToTensor:
    """PIL image / numpy HxWxC uint8 -> CxHxW float tensor in [0, 1].

    Example:
        >>> from PIL import Image
        >>> from embervision.transforms import ToTensor
        >>> ToTensor()(Image.new("L", (4, 3))).shape
        ember.Size([1, 3, 4])
    """

    def __call__(self, pic):
        return F.to_tensor(pic)

    def __repr__(self):
        return "ToTensor()"


class Normalize:
    """Normalise each channel: ``(x - mean[c]) / std[c]``.

    Example:
        >>> import ember
        >>> from embervision.transforms import Normalize
        >>> Normalize([0.5], [0.25])(ember.ones(1, 2, 2))[0, 0, 0].item()
        2.0
    """

    def __init__(self, mean, std, inplace=False):
        self.mean, self.std, self.inplace = list(mean), list(std), inplace

    def __call__(self, tensor):
        return F.normalize(tensor, self.mean, self.std, self.inplace)

    def __repr__(self):
        return f"Normalize(mean={self.mean}, std={self.std})"
