"""Image data sets (``embervision.datasets``), mirroring ``torchvision.datasets``.

Example:
    >>> from embervision import datasets
    >>> len(datasets.FakeData(size=3))
    3
"""

from .cifar import CIFAR10, CIFAR100
from .digits import Digits
from .fakedata import FakeData
from .folder import IMG_EXTENSIONS, DatasetFolder, ImageFolder
from .mnist import EMNIST, KMNIST, MNIST, FashionMNIST
from .vision import StandardTransform, VisionDataset

__all__ = [
    "CIFAR10", "CIFAR100", "DatasetFolder", "Digits", "EMNIST", "FakeData", "FashionMNIST", "IMG_EXTENSIONS",
    "ImageFolder", "KMNIST", "MNIST", "StandardTransform", "VisionDataset",
]
