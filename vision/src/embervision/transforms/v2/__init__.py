"""The v2 transforms (``embervision.transforms.v2``), mirroring ``torchvision.transforms.v2``.

They take whole samples (any nesting of tuples, lists and dicts) and transform images, videos,
masks, bounding boxes and keypoints together; other objects pass through. Random ones make
torchvision v2's draws, so ``ember.manual_seed(s)`` reproduces ``torch.manual_seed(s)``'s results.

Example:
    >>> import ember
    >>> from embervision import tv_tensors
    >>> from embervision.transforms import v2
    >>> img = tv_tensors.Image(ember.zeros(3, 8, 8))
    >>> boxes = tv_tensors.BoundingBoxes([[0, 0, 4, 4]], format="XYXY", canvas_size=(8, 8))
    >>> out = v2.Compose([v2.RandomHorizontalFlip(p=1.0), v2.Resize([4, 4])])({"image": img, "boxes": boxes, "id": 7})
    >>> out["boxes"].tolist(), out["id"]
    ([[2, 0, 4, 2]], 7)
"""

from ..autoaugment import AugMix, AutoAugment, AutoAugmentPolicy, RandAugment, TrivialAugmentWide
from ..functional import InterpolationMode
from . import functional
from ._transform import (Compose, Identity, Lambda, RandomApply, RandomChoice, RandomOrder, Transform, check_type,
                         get_bounding_boxes, has_all, has_any, query_chw, query_size)
from ._transforms import (RGB, CenterCrop, ClampBoundingBoxes, ColorJitter, ConvertBoundingBoxFormat,
                          ConvertImageDtype, CutMix, ElasticTransform, FiveCrop, GaussianBlur, GaussianNoise,
                          Grayscale, LinearTransformation, MixUp, Normalize, Pad, PILToTensor, RandomAdjustSharpness,
                          RandomAffine, RandomAutocontrast, RandomChannelPermutation, RandomCrop, RandomEqualize,
                          RandomErasing, RandomGrayscale, RandomHorizontalFlip, RandomInvert, RandomIoUCrop,
                          RandomPerspective, RandomPhotometricDistort, RandomPosterize, RandomResize,
                          RandomResizedCrop, RandomRotation, RandomShortestSize, RandomSolarize, RandomVerticalFlip,
                          RandomZoomOut, Resize, SanitizeBoundingBoxes, ScaleJitter, TenCrop, ToDtype, ToImage,
                          ToPILImage, ToPureTensor, ToTensor, UniformTemporalSubsample)

__all__ = [
    "RGB", "AugMix", "AutoAugment", "AutoAugmentPolicy", "CenterCrop", "ClampBoundingBoxes", "ColorJitter", "Compose",
    "ConvertBoundingBoxFormat", "ConvertImageDtype", "CutMix", "ElasticTransform", "FiveCrop", "GaussianBlur",
    "GaussianNoise", "Grayscale", "Identity", "InterpolationMode", "Lambda", "LinearTransformation", "MixUp",
    "Normalize", "PILToTensor", "Pad", "RandAugment", "RandomAdjustSharpness", "RandomAffine", "RandomApply",
    "RandomAutocontrast", "RandomChannelPermutation", "RandomChoice", "RandomCrop", "RandomEqualize", "RandomErasing",
    "RandomGrayscale", "RandomHorizontalFlip", "RandomInvert", "RandomIoUCrop", "RandomOrder", "RandomPerspective",
    "RandomPhotometricDistort", "RandomPosterize", "RandomResize", "RandomResizedCrop", "RandomRotation", "RandomShortestSize", "RandomSolarize",
    "RandomVerticalFlip", "RandomZoomOut", "Resize", "SanitizeBoundingBoxes", "ScaleJitter", "TenCrop", "ToDtype",
    "ToImage", "ToPILImage", "ToPureTensor", "ToTensor", "Transform", "TrivialAugmentWide", "UniformTemporalSubsample",
    "check_type", "functional", "get_bounding_boxes", "has_all", "has_any", "query_chw", "query_size",
]
