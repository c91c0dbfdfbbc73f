"""A data set of random images, for testing pipelines without data."""

from __future__ import annotations

import numpy as np
from PIL import Image

import ember

from .vision import VisionDataset


class FakeData(VisionDataset):
    """``size`` random images of ``image_size`` (C, H, W) with random labels, the same for each index.

    Item ``i`` is drawn from a private generator seeded with ``i + random_offset``, so the global
    random state is untouched and the data set is reproducible.

    Example:
        >>> from embervision.datasets import FakeData
        >>> ds = FakeData(size=4, image_size=(3, 8, 6), num_classes=3)
        >>> img, label = ds[2]
        >>> img.size, img.mode, 0 <= label < 3, ds[2][1] == label
        ((6, 8), 'RGB', True, True)
    """

    def __init__(self, size=1000, image_size=(3, 224, 224), num_classes=10, transform=None, target_transform=None,
                 random_offset=0):
        super().__init__(None, transform=transform, target_transform=target_transform)
        if len(image_size) != 3 or image_size[0] not in (1, 3, 4):
            raise ValueError(f"FakeData: image_size must be (C, H, W) with C in 1, 3, 4, got {tuple(image_size)}")
        self.size, self.image_size, self.num_classes, self.random_offset = size, tuple(image_size), num_classes, random_offset

    def __getitem__(self, index):
        if not -self.size <= index < self.size:
            raise IndexError(f"{type(self).__name__} index out of range")
        gen = ember.Generator().manual_seed(index % self.size + self.random_offset)
        pixels = ember.randint(0, 256, self.image_size, generator=gen, dtype=ember.uint8)
        target = int(ember.randint(0, self.num_classes, (1,), generator=gen))
        arr = np.ascontiguousarray(pixels.numpy().transpose(1, 2, 0))
        img = Image.fromarray(arr[:, :, 0] if arr.shape[2] == 1 else arr)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self):
        return self.size
