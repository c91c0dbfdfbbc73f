"""The base of every image data set: root folder, transforms, and torchvision's repr."""

from __future__ import annotations

import os

from ember.utils.data import Dataset


class VisionDataset(Dataset):
    """A map-style data set with a ``root`` folder and the usual ``transform``/``target_transform``.

    Subclasses define ``__getitem__`` and ``__len__``; ``extra_repr`` adds lines to the repr.

    Example:
        >>> from embervision.datasets import VisionDataset
        >>> class Two(VisionDataset):
        ...     def __len__(self): return 2
        ...     def __getitem__(self, i): return i, i
        >>> print(Two("data"))
        Dataset Two
            Number of datapoints: 2
            Root location: data
    """

    def __init__(self, root=None, transforms=None, transform=None, target_transform=None):
        self.root = os.path.expanduser(os.fspath(root)) if root is not None else None
        if transforms is not None and (transform is not None or target_transform is not None):
            raise ValueError("Only transforms or transform/target_transform can be passed as argument")
        self.transform, self.target_transform = transform, target_transform
        if transforms is None and (transform is not None or target_transform is not None):
            transforms = StandardTransform(transform, target_transform)
        self.transforms = transforms

    def __getitem__(self, index):
        raise NotImplementedError

    def __len__(self):
        raise NotImplementedError

    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = [f"Number of datapoints: {len(self)}"]
        if self.root is not None:
            lines.append(f"Root location: {self.root}")
        lines += [line for line in self.extra_repr().splitlines() if line]
        if self.transforms is not None:
            lines += repr(self.transforms).splitlines()
        return "\n".join([f"Dataset {type(self).__name__}"] + ["    " + line for line in lines])


class StandardTransform:
    """Applies ``transform`` to the input and ``target_transform`` to the target.

    Example:
        >>> from embervision.datasets.vision import StandardTransform
        >>> StandardTransform(lambda x: x + 1, str)(1, 2)
        (2, '2')
    """

    def __init__(self, transform=None, target_transform=None):
        self.transform, self.target_transform = transform, target_transform

    def __call__(self, input, target):
        if self.transform is not None:
            input = self.transform(input)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return input, target

    def __repr__(self):
        body = [type(self).__name__]
        for head, t in (("Transform: ", self.transform), ("Target transform: ", self.target_transform)):
            if t is not None:
                lines = repr(t).splitlines()
                body += [head + lines[0]] + [" " * len(head) + line for line in lines[1:]]
        return "\n".join(body)
