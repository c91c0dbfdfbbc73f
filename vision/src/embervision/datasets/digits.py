"""The UCI handwritten digits: 1,797 real 8x8 images shipped inside the package."""

from __future__ import annotations

import gzip
from importlib import resources

import numpy as np
from PIL import Image

import ember


def _load():
    with resources.files(__package__).joinpath("data/digits.csv.gz").open("rb") as f:
        raw = np.loadtxt(gzip.open(f), delimiter=",", dtype=np.int64)
    return raw[:, :64].reshape(-1, 8, 8).astype(np.uint8), raw[:, 64]


class Digits:
    """Handwritten digits 0-9 as 8x8 grayscale images (pixel values 0..16 scaled to 0..255).

    Every fifth image (359 of 1,797) forms the test split; the other 1,438 the
    training split. Items are ``(PIL.Image, int)`` like torchvision's MNIST, so
    ``transforms.ToTensor()`` gives a 1x8x8 float tensor in [0, 1].

    Args:
        root: ignored (the data ships with the package); accepted for torchvision compatibility.
        train: the training split (True) or the test split (False).
        transform: applied to each image.
        target_transform: applied to each label.

    Example:
        >>> from embervision.datasets import Digits
        >>> img, label = Digits(train=True)[0]
        >>> img.size, label
        ((8, 8), 0)
    """

    classes = [str(i) for i in range(10)]

    def __init__(self, root=None, train=True, transform=None, target_transform=None, download=False):
        images, labels = _load()
        test = np.arange(len(labels)) % 5 == 4
        keep = ~test if train else test
        pixels = np.minimum(images[keep].astype(np.int64) * 16, 255).astype(np.uint8)
        self.data = ember.from_numpy(pixels)
        self.targets = ember.from_numpy(labels[keep].copy())
        self.train, self.transform, self.target_transform = train, transform, target_transform

    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}

    def __len__(self):
        return self.data.shape[0]

    def __getitem__(self, index):
        img = Image.fromarray(self.data[index].numpy())
        target = int(self.targets[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __repr__(self):
        split = "Train" if self.train else "Test"
        return f"Dataset Digits\n    Number of datapoints: {len(self)}\n    Split: {split}"
