"""Image transforms (``embervision.transforms``), mirroring torchvision's."""

from .transforms import Compose, Normalize, ToTensor

__all__ = ["Compose", "Normalize", "ToTensor"]
