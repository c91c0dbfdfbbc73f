"""The v2 transform classes: v1's transforms over whole samples, plus the v2-only ones.

Each random transform makes torchvision v2's draws, call for call, in ``make_params``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

from PIL import Image as PILImage

import ember
from ember import Tensor

from ... import tv_tensors
from .. import transforms as _v1
from ..functional import InterpolationMode
from . import functional as F
from .functional import _plain
from ._transform import (Transform, _RandomApplyTransform, get_bounding_boxes, has_any, is_pure_tensor, query_chw,
                         query_size, tree_flatten, tree_unflatten)


def _fill_for(fill, inpt):
    """The fill for ``inpt``'s type: ``fill`` may be a dict keyed by type (``"others"`` as catch-all)."""
    if isinstance(fill, Mapping):
        return fill.get(type(inpt), fill.get("others"))
    return fill


# --- classes whose whole work is one functional call -----------------------------------------------
def _simple(name, functional, args, doc, v1=None, random_p=None, convert=None):
    """A transform class calling ``functional(inpt, *[self.a for a in args])`` (``convert`` maps an
    argument name to its normalising function); with ``random_p`` (the default p) it is applied with
    probability ``p`` (one ``rand(1)`` draw)."""
    convert = convert or {}
    base = _RandomApplyTransform if random_p is not None else Transform

    def __init__(self, *values, **kwargs):
        p = kwargs.pop("p", random_p)
        names = list(args)
        bound = dict(zip(names, values, strict=False))
        bound.update(kwargs)
        if random_p is not None:
            base.__init__(self, p=p)
        else:
            base.__init__(self)
        for a, default in args.items():
            if a not in bound and default is _REQUIRED:
                raise TypeError(f"{name}.__init__() missing required argument: '{a}'")
            value = bound.get(a, default)
            setattr(self, a, convert[a](value) if a in convert else value)

    def transform(self, inpt, params):
        return self._call_kernel(functional, inpt, *[getattr(self, a) for a in args])

    cls = type(name, (base,), {"__init__": __init__, "transform": transform, "__doc__": doc, "__module__": __name__,
                               "_v1_transform_cls": v1})
    cls.__qualname__ = name
    return cls


_REQUIRED = object()


def _interpolation(mode):
    return InterpolationMode(F._v1._mode(mode))

RandomHorizontalFlip = _simple("RandomHorizontalFlip", F.horizontal_flip, {}, """Flip left-right with probability ``p``
    (images, masks, boxes and keypoints together).

    Example:
        >>> from embervision import tv_tensors
        >>> from embervision.transforms import v2
        >>> v2.RandomHorizontalFlip(p=1.0)(tv_tensors.BoundingBoxes([[0, 0, 1, 1]], format="XYXY", canvas_size=(4, 4))).tolist()
        [[3, 0, 4, 1]]
    """, _v1.RandomHorizontalFlip, random_p=0.5)
RandomVerticalFlip = _simple("RandomVerticalFlip", F.vertical_flip, {}, """Flip top-bottom with probability ``p``.

    Example:
        >>> import ember
        >>> from embervision.transforms import v2
        >>> v2.RandomVerticalFlip(p=1.0)(ember.tensor([[[1], [2]]])).tolist()
        [[[2], [1]]]
    """, _v1.RandomVerticalFlip, random_p=0.5)
RandomInvert = _simple("RandomInvert", F.invert, {}, """Invert the colours with probability ``p``.

    Example:
        >>> import ember
        >>> from embervision.transforms import v2
        >>> v2.RandomInvert(p=1.0)(ember.tensor([[[0, 55]]], dtype=ember.uint8)).tolist()
        [[[255, 200]]]
    """, _v1.RandomInvert, random_p=0.5)
RandomEqualize = _simple("RandomEqualize", F.equalize, {}, """Equalise the histogram with probability ``p``.

    Example:
        >>> import ember
        >>> from embervision.transforms import v2
        >>> v2.RandomEqualize(p=0.0)(ember.tensor([[[3]]], dtype=ember.uint8)).tolist()
        [[[3]]]
    """, _v1.RandomEqualize, random_p=0.5)
RandomAutocontrast = _simple("RandomAutocontrast", F.autocontrast, {}, """Autocontrast with probability ``p``.

    Example:
        >>> import ember
        >>> from embervision.transforms import v2
        >>> v2.RandomAutocontrast(p=1.0)(ember.tensor([[[0.25, 0.5]]])).tolist()
        [[[0.0, 1.0]]]
    """, _v1.RandomAutocontrast, random_p=0.5)
RandomPosterize = _simple("RandomPosterize", F.posterize, {"bits": _REQUIRED}, """Keep ``bits`` bits with probability ``p``.

    Example:
        >>> import ember
        >>> from embervision.transforms import v2
        >>> v2.RandomPosterize(2, p=1.0)(ember.tensor([[[255]]], dtype=ember.uint8)).tolist()
        [[[192]]]
    """, _v1.RandomPosterize, random_p=0.5)
RandomSolarize = _simple("RandomSolarize", F.solarize, {"threshold": _REQUIRED}, """Solarize with probability ``p``.

    Example:
        >>> import ember
        >>> from embervision.transforms import v2
        >>> v2.RandomSolarize(128, p=1.0)(ember.tensor([[[100, 200]]], dtype=ember.uint8)).tolist()
        [[[100, 55]]]
    """, _v1.RandomSolarize, random_p=0.5)
RandomAdjustSharpness = _simple("RandomAdjustSharpness", F.adjust_sharpness, {"sharpness_factor": _REQUIRED},
                                """Adjust the sharpness with probability ``p``.

    Example:
        >>> import ember
        >>> from embervision.transforms import v2
        >>> v2.RandomAdjustSharpness(2.0, p=1.0)(ember.ones(1, 3, 3)).sum().item()
        9.0
    """, _v1.RandomAdjustSharpness, random_p=0.5)
Resize = _simple("Resize", F.resize, {"size": _REQUIRED, "interpolation": InterpolationMode.BILINEAR, "max_size": None,
                                      "antialias": True}, """Resize images, masks (nearest) and boxes to ``size``.

    Example:
        >>> import ember
        >>> from embervision import tv_tensors
        >>> from embervision.transforms import v2
        >>> img, boxes = v2.Resize([8, 8])(tv_tensors.Image(ember.rand(3, 4, 4)), tv_tensors.BoundingBoxes([[1, 1, 2, 2]], format="XYXY", canvas_size=(4, 4)))
        >>> img.shape, boxes.tolist()
        (ember.Size([3, 8, 8]), [[2, 2, 4, 4]])
    """, _v1.Resize, convert={"size": lambda s: [s] if isinstance(s, int) else list(s), "interpolation": _interpolation})
CenterCrop = _simple("CenterCrop", F.center_crop, {"size": _REQUIRED}, """Crop the centre of images, masks and boxes.

    Example:
        >>> import ember
        >>> from embervision.transforms import v2
        >>> v2.CenterCrop(2)(ember.rand(3, 5, 5)).shape
        ember.Size([3, 2, 2])
    """, _v1.CenterCrop, convert={"size": _v1._size_pair})
Grayscale = _simple("Grayscale", F.rgb_to_grayscale, {"num_output_channels": 1}, """Convert to greyscale.

    Example:
        >>> import ember
        >>> from embervision.transforms import v2
        >>> v2.Grayscale()(ember.rand(3, 2, 2)).shape
        ember.Size([1, 2, 2])
    """, _v1.Grayscale)
RGB = _simple("RGB", F.grayscale_to_rgb, {}, """Make images three-channel RGB (grey ones repeated).

    Example:
        >>> import ember
        >>> from embervision.transforms import v2
        >>> v2.RGB()(ember.rand(1, 2, 2)).shape
        ember.Size([3, 2, 2])
    """)
Normalize = _simple("Normalize", F.normalize, {"mean": _REQUIRED, "std": _REQUIRED, "inplace": False},
                    """Normalise each channel of images and videos.

    Example:
        >>> import ember
        >>> from embervision.transforms import v2
        >>> v2.Normalize([0.5], [0.25])(ember.ones(1, 1, 1)).tolist()
        [[[2.0]]]
    """, _v1.Normalize)
GaussianNoise = _simple("GaussianNoise", F.gaussian_noise, {"mean": 0.0, "sigma": 0.1, "clip": True},
                        """Add Gaussian noise (``randn_like``) to images and videos, clipped to the range.

    Example:
        >>> import ember
        >>> from embervision.transforms import v2
        >>> float(v2.GaussianNoise(sigma=0.0)(ember.full((1, 2, 2), 0.5)).mean())
        0.5
    """)
ConvertBoundingBoxFormat = _simple("ConvertBoundingBoxFormat", F.convert_bounding_box_format, {"format": _REQUIRED},
                                   """Convert the sample's boxes to ``format``.

    Example:
        >>> from embervision import tv_tensors
        >>> from embervision.transforms import v2
        >>> v2.ConvertBoundingBoxFormat("XYWH")(tv_tensors.BoundingBoxes([[1, 1, 3, 4]], format="XYXY", canvas_size=(5, 5))).tolist()
        [[1, 1, 2, 3]]
    """)
ConvertBoundingBoxFormat.transform = lambda self, inpt, params: (
    F.convert_bounding_box_format(inpt, new_format=self.format) if isinstance(inpt, tv_tensors.BoundingBoxes) else inpt)
ClampBoundingBoxes = _simple("ClampBoundingBoxes", F.clamp_bounding_boxes, {"clamping_mode": "auto"},
                             """Clamp the sample's boxes to their canvas.

    Example:
        >>> from embervision import tv_tensors
        >>> from embervision.transforms import v2
        >>> v2.ClampBoundingBoxes()(tv_tensors.BoundingBoxes([[-1, 0, 9, 3]], format="XYXY", canvas_size=(5, 5))).tolist()
        [[0, 0, 5, 3]]
    """)
ClampBoundingBoxes.transform = lambda self, inpt, params: (
    F.clamp_bounding_boxes(inpt, clamping_mode=self.clamping_mode) if isinstance(inpt, tv_tensors.BoundingBoxes)
    else inpt)


# --- geometry ---------------------------------------------------------------------------------------
class Pad(Transform):
    """Pad images, masks and boxes (boxes only with ``padding_mode="constant"``).

    Example:
        >>> import ember
        >>> from embervision.transforms import v2
        >>> v2.Pad([1, 2])(ember.zeros(1, 2, 2)).shape
        ember.Size([1, 6, 4])
    """

    _v1_transform_cls = _v1.Pad

    def __init__(self, padding, fill=0, padding_mode="constant"):
        super().__init__()
        _v1.Pad(padding, 0, padding_mode)  # validates
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode

    def transform(self, inpt, params):
        return self._call_kernel(F.pad, inpt, self.padding, _fill_for(self.fill, inpt), self.padding_mode)


class RandomResizedCrop(Transform):
    """Crop a random area (``scale``, ``ratio``) and resize it to ``size``, boxes and masks alike.

    Example:
        >>> import ember
        >>> from embervision.transforms import v2
        >>> v2.RandomResizedCrop(4)(ember.rand(3, 16, 16)).shape
        ember.Size([3, 4, 4])
    """

    _v1_transform_cls = _v1.RandomResizedCrop

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0), interpolation=InterpolationMode.BILINEAR,
                 antialias=True):
        super().__init__()
        self.size = list(_v1._size_pair(size))
        self.scale, self.ratio, self.interpolation, self.antialias = scale, ratio, _interpolation(interpolation), antialias

    def make_params(self, flat_inputs):
        h, w = query_size(flat_inputs)
        top, left, height, width = _v1.RandomResizedCrop.get_params(ember.empty(1, h, w), self.scale, self.ratio)
        return dict(top=top, left=left, height=height, width=width)

    def transform(self, inpt, params):
        return self._call_kernel(F.resized_crop, inpt, **params, size=self.size, interpolation=self.interpolation,
                                 antialias=self.antialias)


class RandomCrop(Transform):
    """Crop a random ``size`` region after optional padding, boxes and masks alike.

    Example:
        >>> import ember
        >>> from embervision.transforms import v2
        >>> v2.RandomCrop(4, padding=1)(ember.rand(3, 6, 6)).shape
        ember.Size([3, 4, 4])
    """

    _v1_transform_cls = _v1.RandomCrop

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        super().__init__()
        self.size = _v1._size_pair(size)
        self.padding = None if padding is None else F._v1._padding(padding)
        self.pad_if_needed, self.fill, self.padding_mode = pad_if_needed, fill, padding_mode

    def make_params(self, flat_inputs):
        h, w = query_size(flat_inputs)
        left, top, right, bottom = self.padding or (0, 0, 0, 0)
        h, w = h + top + bottom, w + left + right
        ch, cw = self.size
        if self.pad_if_needed and h < ch:
            top, bottom, h = top + ch - h, bottom + ch - h, h + 2 * (ch - h)
        if self.pad_if_needed and w < cw:
            left, right, w = left + cw - w, right + cw - w, w + 2 * (cw - w)
        if h < ch or w < cw:
            raise ValueError(f"Required crop size {(ch, cw)} is larger than "
                             f"{'padded ' if self.padding is not None else ''}input image size {(h, w)}.")
        crop_top = int(ember.randint(0, h - ch + 1, size=())) if h > ch else 0
        crop_left = int(ember.randint(0, w - cw + 1, size=())) if w > cw else 0
        return dict(padding=[left, top, right, bottom], top=crop_top, left=crop_left, height=ch, width=cw)

    def transform(self, inpt, params):
        if any(params["padding"]):
            inpt = self._call_kernel(F.pad, inpt, params["padding"], _fill_for(self.fill, inpt), self.padding_mode)
        return self._call_kernel(F.crop, inpt, params["top"], params["left"], params["height"], params["width"])


class RandomRotation(Transform):
    """Rotate by an angle drawn from ``degrees`` (boxes: enclosing box of the rotated corners).

    Example:
        >>> import ember
        >>> from embervision.transforms import v2
        >>> v2.RandomRotation(30)(ember.rand(3, 8, 8)).shape
        ember.Size([3, 8, 8])
    """

    _v1_transform_cls = _v1.RandomRotation

    def __init__(self, degrees, interpolation=InterpolationMode.NEAREST, expand=False, center=None, fill=0):
        super().__init__()
        self.degrees = _v1._degrees(degrees)
        self.interpolation, self.expand, self.center, self.fill = _interpolation(interpolation), expand, center, fill

    def make_params(self, flat_inputs):
        return dict(angle=_v1._uniform(self.degrees[0], self.degrees[1]))

    def transform(self, inpt, params):
        return self._call_kernel(F.rotate, inpt, params["angle"], self.interpolation, self.expand, self.center,
                                 _fill_for(self.fill, inpt))


class RandomAffine(Transform):
    """Random rotation, translation, scale and shear, boxes and masks alike.

    Example:
        >>> import ember
        >>> from embervision.transforms import v2
        >>> v2.RandomAffine(10, translate=(0.1, 0.1))(ember.rand(3, 8, 8)).shape
        ember.Size([3, 8, 8])
    """

    _v1_transform_cls = _v1.RandomAffine

    def __init__(self, degrees, translate=None, scale=None, shear=None, interpolation=InterpolationMode.NEAREST,
                 fill=0, center=None):
        super().__init__()
        v1 = _v1.RandomAffine(degrees, translate, scale, shear, interpolation, 0, center)
        self.degrees, self.translate, self.scale, self.shear = v1.degrees, translate, scale, v1.shear
        self.interpolation, self.fill, self.center = _interpolation(interpolation), fill, center

    def make_params(self, flat_inputs):
        h, w = query_size(flat_inputs)
        angle, translate, scale, shear = _v1.RandomAffine.get_params(self.degrees, self.translate, self.scale,
                                                                     self.shear, [w, h])
        return dict(angle=angle, translate=translate, scale=scale, shear=shear)

    def transform(self, inpt, params):
        return self._call_kernel(F.affine, inpt, **params, interpolation=self.interpolation,
                                 fill=_fill_for(self.fill, inpt), center=self.center)


class RandomPerspective(_RandomApplyTransform):
    """With probability ``p``, a random perspective warp (boxes: enclosing box of the mapped corners).

    Example:
        >>> import ember
        >>> from embervision.transforms import v2
        >>> v2.RandomPerspective(0.3, p=1.0)(ember.rand(3, 8, 8)).shape
        ember.Size([3, 8, 8])
    """

    _v1_transform_cls = _v1.RandomPerspective

    def __init__(self, distortion_scale=0.5, p=0.5, interpolation=InterpolationMode.BILINEAR, fill=0):
        super().__init__(p=p)
        if not 0 <= distortion_scale <= 1:
            raise ValueError("Argument distortion_scale value should be between 0 and 1")
        self.distortion_scale, self.interpolation, self.fill = distortion_scale, _interpolation(interpolation), fill

    def make_params(self, flat_inputs):
        h, w = query_size(flat_inputs)
        startpoints, endpoints = _v1.RandomPerspective.get_params(w, h, self.distortion_scale)
        return dict(startpoints=startpoints, endpoints=endpoints)

    def transform(self, inpt, params):
        return self._call_kernel(F.perspective, inpt, params["startpoints"], params["endpoints"], self.interpolation,
                                 _fill_for(self.fill, inpt))


class ElasticTransform(Transform):
    """Displace pixels by smooth random fields (images and masks).

    Example:
        >>> import ember
        >>> from embervision.transforms import v2
        >>> v2.ElasticTransform(alpha=20.0, sigma=2.0)(ember.rand(3, 12, 12)).shape
        ember.Size([3, 12, 12])
    """

    _v1_transform_cls = _v1.ElasticTransform

    def __init__(self, alpha=50.0, sigma=5.0, interpolation=InterpolationMode.BILINEAR, fill=0):
        super().__init__()
        self.alpha, self.sigma = _v1._float_pair(alpha, "alpha"), _v1._float_pair(sigma, "sigma")
        self.interpolation, self.fill = _interpolation(interpolation), fill

    def make_params(self, flat_inputs):
        return dict(displacement=_v1.ElasticTransform.get_params(self.alpha, self.sigma, list(query_size(flat_inputs))))

    def transform(self, inpt, params):
        fill = _fill_for(self.fill, inpt)
        fill = [float(fill)] if isinstance(fill, numbers.Number) else fill
        return self._call_kernel(F.elastic, inpt, params["displacement"], self.interpolation, fill)


class RandomZoomOut(_RandomApplyTransform):
    """With probability ``p``, place the sample on a canvas ``side_range`` times larger (filled with ``fill``).

    Example:
        >>> import ember
        >>> from embervision.transforms import v2
        >>> v2.RandomZoomOut(side_range=(2.0, 2.0), p=1.0)(ember.rand(3, 4, 4)).shape
        ember.Size([3, 8, 8])
    """

    def __init__(self, fill=0, side_range=(1.0, 4.0), p=0.5):
        super().__init__(p=p)
        if len(side_range) != 2 or side_range[0] < 1.0 or side_range[0] > side_range[1]:
            raise ValueError(f"Invalid side range provided {side_range}.")
        self.fill, self.side_range = fill, side_range

    def make_params(self, flat_inputs):
        h, w = query_size(flat_inputs)
        r = self.side_range[0] + ember.rand(1) * (self.side_range[1] - self.side_range[0])
        cw, ch = int(w * r), int(h * r)
        r = ember.rand(2)
        left, top = int((cw - w) * r[0]), int((ch - h) * r[1])
        return dict(padding=[left, top, cw - (left + w), ch - (top + h)])

    def transform(self, inpt, params):
        return self._call_kernel(F.pad, inpt, params["padding"], _fill_for(self.fill, inpt))


class _ResizeTo(Transform):
    """Base of the transforms resizing to a drawn ``size``."""

    def __init__(self, interpolation=InterpolationMode.BILINEAR, antialias=True):
        super().__init__()
        self.interpolation, self.antialias = _interpolation(interpolation), antialias

    def transform(self, inpt, params):
        return self._call_kernel(F.resize, inpt, params["size"], self.interpolation, antialias=self.antialias)


class ScaleJitter(_ResizeTo):
    """Resize to ``target_size`` (h, w) scaled by a factor drawn from ``scale_range``, keeping the aspect.

    Example:
        >>> import ember
        >>> from embervision.transforms import v2
        >>> v2.ScaleJitter((8, 8), scale_range=(1.0, 1.0))(ember.rand(3, 4, 4)).shape
        ember.Size([3, 8, 8])
    """

    def __init__(self, target_size, scale_range=(0.1, 2.0), interpolation=InterpolationMode.BILINEAR, antialias=True):
        super().__init__(interpolation, antialias)
        self.target_size, self.scale_range = target_size, scale_range

    def make_params(self, flat_inputs):
        h, w = query_size(flat_inputs)
        scale = self.scale_range[0] + ember.rand(1) * (self.scale_range[1] - self.scale_range[0])
        r = min(self.target_size[1] / h, self.target_size[0] / w) * scale
        return dict(size=(int(h * r), int(w * r)))


class RandomShortestSize(_ResizeTo):
    """Resize the shorter side to one of ``min_size`` (picked by ``randint``), the longer one at most ``max_size``.

    Example:
        >>> import ember
        >>> from embervision.transforms import v2
        >>> v2.RandomShortestSize([6])(ember.rand(3, 4, 8)).shape
        ember.Size([3, 6, 12])
    """

    def __init__(self, min_size, max_size=None, interpolation=InterpolationMode.BILINEAR, antialias=True):
        super().__init__(interpolation, antialias)
        self.min_size = [min_size] if isinstance(min_size, int) else list(min_size)
        self.max_size = max_size

    def make_params(self, flat_inputs):
        h, w = query_size(flat_inputs)
        r = self.min_size[int(ember.randint(len(self.min_size), ()))] / min(h, w)
        if self.max_size is not None:
            r = min(r, self.max_size / max(h, w))
        return dict(size=(int(h * r), int(w * r)))


class RandomResize(_ResizeTo):
    """Resize the shorter side to a length drawn from ``[min_size, max_size)``.

    Example:
        >>> import ember
        >>> from embervision.transforms import v2
        >>> v2.RandomResize(5, 6)(ember.rand(3, 4, 8)).shape
        ember.Size([3, 5, 10])
    """

    def __init__(self, min_size, max_size, interpolation=InterpolationMode.BILINEAR, antialias=True):
        super().__init__(interpolation, antialias)
        self.min_size, self.max_size = min_size, max_size

    def make_params(self, flat_inputs):
        return dict(size=[int(ember.randint(self.min_size, self.max_size, ()))])


# --- colour -----------------------------------------------------------------------------------------
class ColorJitter(Transform):
    """Random brightness, contrast, saturation and hue, in a random order (images and videos only).

    Example:
        >>> import ember
        >>> from embervision.transforms import v2
        >>> v2.ColorJitter(0.4, 0.4, 0.4, 0.1)(ember.rand(3, 4, 4)).shape
        ember.Size([3, 4, 4])
    """

    _v1_transform_cls = _v1.ColorJitter
    _FNS = ("adjust_brightness", "adjust_contrast", "adjust_saturation", "adjust_hue")

    def __init__(self, brightness=None, contrast=None, saturation=None, hue=None):
        super().__init__()
        v1 = _v1.ColorJitter(brightness or 0, contrast or 0, saturation or 0, hue or 0)
        self.brightness, self.contrast, self.saturation, self.hue = v1.brightness, v1.contrast, v1.saturation, v1.hue

    def make_params(self, flat_inputs):
        order, *factors = _v1.ColorJitter.get_params(self.brightness, self.contrast, self.saturation, self.hue)
        return dict(fn_idx=order, factors=factors)

    def transform(self, inpt, params):
        for i in params["fn_idx"].tolist():
            if params["factors"][i] is not None:
                inpt = self._call_kernel(getattr(F, self._FNS[i]), inpt, params["factors"][i])
        return inpt


class RandomPhotometricDistort(Transform):
    """SSD's photometric distortion: brightness, contrast (before or after), saturation, hue and a
    channel permutation, each applied with probability ``p``.

    Example:
        >>> import ember
        >>> from embervision.transforms import v2
        >>> v2.RandomPhotometricDistort(p=1.0)(ember.rand(3, 4, 4)).shape
        ember.Size([3, 4, 4])
    """

    def __init__(self, brightness=(0.875, 1.125), contrast=(0.5, 1.5), saturation=(0.5, 1.5), hue=(-0.05, 0.05),
                 p=0.5):
        super().__init__()
        self.brightness, self.contrast, self.hue, self.saturation, self.p = brightness, contrast, hue, saturation, p

    def make_params(self, flat_inputs):
        c = query_chw(flat_inputs)[0]
        params = {key: _v1._uniform(*rng) if bool(ember.rand(1) < self.p) else None
                  for key, rng in (("brightness", self.brightness), ("contrast", self.contrast),
                                   ("saturation", self.saturation), ("hue", self.hue))}
        params["contrast_before"] = bool(ember.rand(()) < 0.5)
        params["permutation"] = ember.randperm(c).tolist() if bool(ember.rand(1) < self.p) else None
        return params

    def transform(self, inpt, params):
        contrast = params["contrast"]
        steps = [("adjust_brightness", params["brightness"]),
                 ("adjust_contrast", contrast if params["contrast_before"] else None),
                 ("adjust_saturation", params["saturation"]), ("adjust_hue", params["hue"]),
                 ("adjust_contrast", None if params["contrast_before"] else contrast),
                 ("permute_channels", params["permutation"])]
        for name, value in steps:
            if value is not None:
                inpt = self._call_kernel(getattr(F, name), inpt, value)
        return inpt


class RandomGrayscale(_RandomApplyTransform):
    """Greyscale keeping the channel count, with probability ``p``.

    Example:
        >>> import ember
        >>> from embervision.transforms import v2
        >>> x = v2.RandomGrayscale(p=1.0)(ember.rand(3, 2, 2))
        >>> bool((x[0] == x[1]).all())
        True
    """

    _v1_transform_cls = _v1.RandomGrayscale

    def __init__(self, p=0.1):
        super().__init__(p=p)

    def make_params(self, flat_inputs):
        return dict(num_input_channels=query_chw(flat_inputs)[0])

    def transform(self, inpt, params):
        return self._call_kernel(F.rgb_to_grayscale, inpt, params["num_input_channels"])


class RandomChannelPermutation(Transform):
    """Shuffle the channels (``randperm``).

    Example:
        >>> import ember
        >>> from embervision.transforms import v2
        >>> sorted(v2.RandomChannelPermutation()(ember.arange(3).reshape(3, 1, 1)).flatten().tolist())
        [0, 1, 2]
    """

    def make_params(self, flat_inputs):
        return dict(permutation=ember.randperm(query_chw(flat_inputs)[0]).tolist())

    def transform(self, inpt, params):
        return self._call_kernel(F.permute_channels, inpt, params["permutation"])


class GaussianBlur(Transform):
    """Blur with a sigma drawn from ``sigma``.

    Example:
        >>> import ember
        >>> from embervision.transforms import v2
        >>> v2.GaussianBlur(3)(ember.rand(3, 8, 8)).shape
        ember.Size([3, 8, 8])
    """

    _v1_transform_cls = _v1.GaussianBlur

    def __init__(self, kernel_size, sigma=(0.1, 2.0)):
        super().__init__()
        v1 = _v1.GaussianBlur(kernel_size, sigma)
        self.kernel_size, self.sigma = v1.kernel_size, v1.sigma

    def make_params(self, flat_inputs):
        s = _v1._uniform(self.sigma[0], self.sigma[1])
        return dict(sigma=[s, s])

    def transform(self, inpt, params):
        return self._call_kernel(F.gaussian_blur, inpt, self.kernel_size, params["sigma"])


class RandomErasing(_RandomApplyTransform):
    """Erase a random rectangle of images and videos with probability ``p``.

    Example:
        >>> import ember
        >>> from embervision.transforms import v2
        >>> bool((v2.RandomErasing(p=1.0)(ember.ones(3, 16, 16)) == 0).any())
        True
    """

    _v1_transform_cls = _v1.RandomErasing

    def __init__(self, p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0.0, inplace=False):
        super().__init__(p=p)
        _v1.RandomErasing(p, scale, ratio, value, inplace)  # validates
        self.scale, self.ratio, self.inplace = scale, ratio, inplace
        self.value = None if value == "random" else [float(value)] if isinstance(value, numbers.Number) else value

    def make_params(self, flat_inputs):
        c, h, w = query_chw(flat_inputs)
        if self.value is not None and len(self.value) not in (1, c):
            raise ValueError(f"If value is a sequence, it should have either a single value or {c} (number of inpt channels)")
        i, j, eh, ew, v = _v1.RandomErasing.get_params(ember.empty(c, h, w), self.scale, self.ratio, self.value)
        return dict(i=i, j=j, h=eh, w=ew, v=None if eh == h and ew == w and i == 0 else v)

    def transform(self, inpt, params):
        if params["v"] is None or not isinstance(inpt, (Tensor,)) or isinstance(
                inpt, (tv_tensors.BoundingBoxes, tv_tensors.Mask, tv_tensors.KeyPoints)):
            return inpt
        return self._call_kernel(F.erase, inpt, params["i"], params["j"], params["h"], params["w"],
                                 params["v"].to(inpt.device, inpt.dtype), self.inplace)


# --- conversions and dtypes -------------------------------------------------------------------------
class ToImage(Transform):
    """PIL images, numpy arrays and pure tensors to :class:`~embervision.tv_tensors.Image`.

    Example:
        >>> from PIL import Image
        >>> from embervision.transforms import v2
        >>> type(v2.ToImage()(Image.new("RGB", (2, 2)))).__name__
        'Image'
    """

    _transformed_types = (is_pure_tensor, PILImage.Image, __import__("numpy").ndarray)

    def transform(self, inpt, params):
        return F.to_image(inpt)


class ToPureTensor(Transform):
    """TVTensors to plain tensors.

    Example:
        >>> import ember
        >>> from embervision import tv_tensors
        >>> from embervision.transforms import v2
        >>> type(v2.ToPureTensor()(tv_tensors.Image(ember.zeros(1, 2, 2)))).__name__
        'Tensor'
    """

    _transformed_types = (tv_tensors.TVTensor,)

    def transform(self, inpt, params):
        return _plain(inpt)


class PILToTensor(Transform):
    """PIL images to tensors of their own dtype.

    Example:
        >>> from PIL import Image
        >>> from embervision.transforms import v2
        >>> v2.PILToTensor()(Image.new("RGB", (2, 2))).dtype
        ember.uint8
    """

    _transformed_types = (PILImage.Image,)

    def transform(self, inpt, params):
        return F.pil_to_tensor(inpt)


class ToPILImage(Transform):
    """Tensors and numpy arrays to PIL images.

    Example:
        >>> import ember
        >>> from embervision.transforms import v2
        >>> v2.ToPILImage()(ember.zeros(1, 2, 3)).mode
        'L'
    """

    _transformed_types = (is_pure_tensor, tv_tensors.Image, __import__("numpy").ndarray)

    def __init__(self, mode=None):
        super().__init__()
        self.mode = mode

    def transform(self, inpt, params):
        return F.to_pil_image(_plain(inpt), mode=self.mode)


class ToTensor(Transform):
    """v1's ``ToTensor`` (deprecated in v2: use ``Compose([ToImage(), ToDtype(float32, scale=True)])``).

    Example:
        >>> from PIL import Image
        >>> from embervision.transforms import v2
        >>> v2.ToTensor()(Image.new("L", (2, 2))).dtype
        ember.float32
    """

    _transformed_types = (is_pure_tensor, PILImage.Image, __import__("numpy").ndarray)

    def transform(self, inpt, params):
        return F.to_tensor(inpt)


class ToDtype(Transform):
    """Cast images and videos (or, with a dict keyed by type, any TVTensor) to ``dtype``;
    ``scale=True`` rescales the value range of images and videos.

    Example:
        >>> import ember
        >>> from embervision.transforms import v2
        >>> v2.ToDtype(ember.float32, scale=True)(ember.tensor([[[255]]], dtype=ember.uint8)).tolist()
        [[[1.0]]]
    """

    _transformed_types = (Tensor,)

    def __init__(self, dtype, scale=False):
        super().__init__()
        if not isinstance(dtype, (dict, ember.dtype)):
            raise ValueError(f"dtype must be a dict or a torch.dtype, got {type(dtype)} instead")
        self.dtype, self.scale = dtype, scale

    def transform(self, inpt, params):
        is_image = is_pure_tensor(inpt) or isinstance(inpt, (tv_tensors.Image, tv_tensors.Video))
        if isinstance(self.dtype, ember.dtype):
            if not is_image:
                return inpt
            dtype = self.dtype
        elif type(inpt) in self.dtype:
            dtype = self.dtype[type(inpt)]
        elif "others" in self.dtype:
            dtype = self.dtype["others"]
        else:
            raise ValueError(f"No dtype was specified for type {type(inpt)}. If you're passing a dict as dtype, you "
                             'can use "others" as a catch-all key e.g. dtype={tv_tensors.Mask: torch.int64, '
                             '"others": None} to pass-through the rest of the inputs.')
        if dtype is None:
            return inpt
        return self._call_kernel(F.to_dtype, inpt, dtype=dtype, scale=self.scale and is_image)


class ConvertImageDtype(Transform):
    """Convert images to ``dtype`` with rescaling (``ToDtype(dtype, scale=True)``).

    Example:
        >>> import ember
        >>> from embervision.transforms import v2
        >>> v2.ConvertImageDtype(ember.uint8)(ember.tensor([[[1.0]]])).tolist()
        [[[255]]]
    """

    _v1_transform_cls = _v1.ConvertImageDtype

    def __init__(self, dtype=ember.float32):
        super().__init__()
        self.dtype = dtype

    def transform(self, inpt, params):
        return self._call_kernel(F.to_dtype, inpt, dtype=self.dtype, scale=True)


class LinearTransformation(Transform):
    """v1's :class:`~embervision.transforms.LinearTransformation` on the sample's images and videos.

    Example:
        >>> import ember
        >>> from embervision.transforms import v2
        >>> v2.LinearTransformation(ember.eye(4), ember.zeros(4))(ember.ones(1, 2, 2)).tolist()
        [[[1.0, 1.0], [1.0, 1.0]]]
    """

    _v1_transform_cls = _v1.LinearTransformation

    def __init__(self, transformation_matrix, mean_vector):
        super().__init__()
        self._v1 = _v1.LinearTransformation(transformation_matrix, mean_vector)
        self.transformation_matrix, self.mean_vector = transformation_matrix, mean_vector

    def transform(self, inpt, params):
        if isinstance(inpt, PILImage.Image):
            raise TypeError("LinearTransformation does not work on PIL Images")
        if isinstance(inpt, (tv_tensors.Image, tv_tensors.Video)):
            return tv_tensors.wrap(self._v1(_plain(inpt)), like=inpt)
        return self._v1(inpt) if is_pure_tensor(inpt) else inpt


# --- boxes ------------------------------------------------------------------------------------------
def _default_labels(inputs):
    """torchvision's heuristic: the second item of a tuple, or the 'labels'(-like) entry of a dict."""
    if isinstance(inputs, (tuple, list)):
        inputs = inputs[1]
    if is_pure_tensor(inputs):
        return inputs
    if not isinstance(inputs, Mapping):
        raise ValueError("When using the default labels_getter, the input passed to forward must be a dictionary or "
                         "a two-tuple whose second item is a dictionary or a tensor, but got "
                         f"{inputs} instead.")
    keys = [k for k in inputs if isinstance(k, str) and k.lower() == "labels"] or [
        k for k in inputs if isinstance(k, str) and "label" in k.lower()]
    return inputs[keys[0]] if keys else None


def _labels_getter(labels_getter):
    if labels_getter == "default":
        return _default_labels
    if callable(labels_getter):
        return labels_getter
    if labels_getter is None:
        return lambda _: None
    raise ValueError(f"labels_getter should either be 'default', a callable, or None, but got {labels_getter}.")


class SanitizeBoundingBoxes(Transform):
    """Drop degenerate boxes (smaller than ``min_size``/``min_area`` or outside the canvas) with their
    labels and masks.

    Example:
        >>> import ember
        >>> from embervision import tv_tensors
        >>> from embervision.transforms import v2
        >>> boxes = tv_tensors.BoundingBoxes([[0, 0, 2, 2], [1, 1, 1, 3]], format="XYXY", canvas_size=(4, 4))
        >>> out = v2.SanitizeBoundingBoxes()({"boxes": boxes, "labels": ember.tensor([7, 8])})
        >>> out["boxes"].tolist(), out["labels"].tolist()
        ([[0, 0, 2, 2]], [7])
    """

    def __init__(self, min_size=1.0, min_area=1.0, labels_getter="default"):
        super().__init__()
        if min_size < 1:
            raise ValueError(f"min_size must be >= 1, got {min_size}.")
        if min_area < 1:
            raise ValueError(f"min_area must be >= 1, got {min_area}.")
        self.min_size, self.min_area, self.labels_getter = min_size, min_area, labels_getter
        self._labels_getter = _labels_getter(labels_getter)

    def forward(self, *inputs):
        inputs = inputs if len(inputs) > 1 else inputs[0]
        labels = self._labels_getter(inputs)
        if labels is not None:
            msg = "The labels in the input to forward() must be a tensor or None, got {} instead."
            if isinstance(labels, Tensor):
                labels = (labels,)
            elif isinstance(labels, (tuple, list)):
                for entry in labels:
                    if not isinstance(entry, Tensor):
                        raise ValueError(msg.format(type(entry)))
            else:
                raise ValueError(msg.format(type(labels)))
        flat_inputs, spec = tree_flatten(inputs)
        boxes = get_bounding_boxes(flat_inputs)
        for label in labels or ():
            if boxes.shape[0] != label.shape[0]:
                raise ValueError(f"Number of boxes (shape={tuple(boxes.shape)}) and must match the number of labels."
                                 f"Found labels with shape={tuple(label.shape)}).")
        xyxy = F._to_xyxy(_plain(boxes), boxes.format)
        ws, hs = xyxy[:, 2] - xyxy[:, 0], xyxy[:, 3] - xyxy[:, 1]
        h, w = boxes.canvas_size
        valid = (ws >= self.min_size) & (hs >= self.min_size) & (xyxy >= 0).all(-1) & (ws * hs >= self.min_area)
        valid = valid & (xyxy[:, 0] <= w) & (xyxy[:, 2] <= w) & (xyxy[:, 1] <= h) & (xyxy[:, 3] <= h)
        params = dict(valid=valid, labels=labels)
        return tree_unflatten([self.transform(x, params) for x in flat_inputs], spec)

    def transform(self, inpt, params):
        is_label = params["labels"] is not None and any(inpt is label for label in params["labels"])
        if not (is_label or isinstance(inpt, (tv_tensors.BoundingBoxes, tv_tensors.Mask))):
            return inpt
        plain = _plain(inpt)
        if plain.ndim == 0 or plain.shape[0] != params["valid"].shape[0]:
            return inpt
        out = plain[params["valid"]]
        return out if is_label else tv_tensors.wrap(out, like=inpt)


# --- batch mixing -----------------------------------------------------------------------------------
class _MixBase(Transform):
    """Shared checks and label mixing of :class:`MixUp` and :class:`CutMix`."""

    def __init__(self, *, alpha=1.0, num_classes=None, labels_getter="default"):
        super().__init__()
        self.alpha = float(alpha)
        self._dist = ember.distributions.Beta(ember.tensor([alpha]), ember.tensor([alpha]))
        self.num_classes = num_classes
        self._labels_getter = _labels_getter(labels_getter)

    def forward(self, *inputs):
        inputs = inputs if len(inputs) > 1 else inputs[0]
        flat_inputs, spec = tree_flatten(inputs)
        needs = self._needs_transform_list(flat_inputs)
        if has_any(flat_inputs, PILImage.Image, tv_tensors.BoundingBoxes, tv_tensors.Mask, tv_tensors.KeyPoints):
            raise ValueError(f"{type(self).__name__}() does not support PIL images, bounding boxes, keypoints and masks.")
        labels = self._labels_getter(inputs)
        if not isinstance(labels, Tensor):
            raise ValueError(f"The labels must be a tensor, but got {type(labels)} instead.")
        if labels.ndim not in (1, 2):
            raise ValueError("labels should be index based with shape (batch_size,) or probability based with shape "
                             f"(batch_size, num_classes), but got a tensor of shape {tuple(labels.shape)} instead.")
        if labels.ndim == 2 and self.num_classes is not None and labels.shape[-1] != self.num_classes:
            raise ValueError(f"When passing 2D labels, the number of elements in last dimension must match "
                             f"num_classes: {labels.shape[-1]} != {self.num_classes}. You can Leave num_classes to None.")
        if labels.ndim == 1 and self.num_classes is None:
            raise ValueError("num_classes must be passed if the labels are index-based (1D)")
        params = {"labels": labels, "batch_size": labels.shape[0],
                  **self.make_params([x for x, n in zip(flat_inputs, needs, strict=True) if n])}
        needs[next(i for i, x in enumerate(flat_inputs) if x is labels)] = True
        return tree_unflatten([self.transform(x, params) if n else x for x, n in zip(flat_inputs, needs, strict=True)],
                              spec)

    def _check_batch(self, inpt, batch_size):
        expected = 5 if isinstance(inpt, tv_tensors.Video) else 4
        if inpt.ndim != expected:
            raise ValueError(f"Expected a batched input with {expected} dims, but got {inpt.ndim} dimensions instead.")
        if inpt.shape[0] != batch_size:
            raise ValueError(f"The batch size of the image or video does not match the batch size of the labels: "
                             f"{inpt.shape[0]} != {batch_size}.")

    def _mix_label(self, label, lam):
        if label.ndim == 1:
            label = ember.nn.functional.one_hot(label, num_classes=self.num_classes)
        if not label.is_floating_point():
            label = label.float()
        return label.roll(1, 0) * (1.0 - lam) + label * lam

    def _draw_lam(self):
        return float(self._dist.sample(()))

    def transform(self, inpt, params):
        if inpt is params["labels"]:
            return self._mix_label(inpt, params["lam"])
        if isinstance(inpt, (tv_tensors.Image, tv_tensors.Video)) or is_pure_tensor(inpt):
            self._check_batch(inpt, params["batch_size"])
            out = self._mix(_plain(inpt), params)
            return tv_tensors.wrap(out, like=inpt) if isinstance(inpt, tv_tensors.TVTensor) else out
        return inpt


class MixUp(_MixBase):
    """Blend each batch element with the previous one (``roll(1, 0)``) by ``lam ~ Beta(alpha, alpha)``, labels too.

    Example:
        >>> import ember
        >>> from embervision.transforms import v2
        >>> imgs, labels = v2.MixUp(num_classes=3)(ember.rand(2, 3, 4, 4), ember.tensor([0, 2]))
        >>> labels.shape, round(float(labels.sum()), 4)
        (ember.Size([2, 3]), 2.0)
    """

    def make_params(self, flat_inputs):
        return dict(lam=self._draw_lam())

    def _mix(self, x, params):
        return x.roll(1, 0) * (1.0 - params["lam"]) + x * params["lam"]


class CutMix(_MixBase):
    """Paste a random box of the previous batch element (``roll(1, 0)``), labels mixed by the box's area.

    Example:
        >>> import ember
        >>> from embervision.transforms import v2
        >>> imgs, labels = v2.CutMix(num_classes=3)(ember.rand(2, 3, 4, 4), ember.tensor([0, 2]))
        >>> imgs.shape
        ember.Size([2, 3, 4, 4])
    """

    def make_params(self, flat_inputs):
        lam = self._draw_lam()
        h, w = query_size(flat_inputs)
        rx, ry = int(ember.randint(0, w, size=(1,))), int(ember.randint(0, h, size=(1,)))
        r = 0.5 * math.sqrt(1.0 - lam)
        rw, rh = int(r * w), int(r * h)
        x1, y1, x2, y2 = max(rx - rw, 0), max(ry - rh, 0), min(rx + rw, w), min(ry + rh, h)
        return dict(box=(x1, y1, x2, y2), lam=float(1.0 - (x2 - x1) * (y2 - y1) / (w * h)))

    def _mix(self, x, params):
        x1, y1, x2, y2 = params["box"]
        out = x.clone()
        out[..., y1:y2, x1:x2] = x.roll(1, 0)[..., y1:y2, x1:x2]
        return out


class RandomIoUCrop(Transform):
    """SSD's crop: pick a minimum IoU from ``sampler_options`` (1.0 or more keeps the sample), then try
    crops of random scale and aspect until one holds a box centre and overlaps a box that much; boxes
    whose centre falls outside the crop are zeroed (follow with :class:`SanitizeBoundingBoxes`).

    Example:
        >>> import ember
        >>> from embervision import tv_tensors
        >>> from embervision.transforms import v2
        >>> boxes = tv_tensors.BoundingBoxes([[2, 2, 14, 14]], format="XYXY", canvas_size=(16, 16))
        >>> img, out = v2.RandomIoUCrop()(tv_tensors.Image(ember.rand(3, 16, 16)), boxes)
        >>> img.shape[-2:] == out.canvas_size
        True
    """

    def __init__(self, min_scale=0.3, max_scale=1.0, min_aspect_ratio=0.5, max_aspect_ratio=2.0, sampler_options=None,
                 trials=40):
        super().__init__()
        self.min_scale, self.max_scale = min_scale, max_scale
        self.min_aspect_ratio, self.max_aspect_ratio = min_aspect_ratio, max_aspect_ratio
        self.options = [0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0] if sampler_options is None else sampler_options
        self.trials = trials

    def check_inputs(self, flat_inputs):
        if not (has_any(flat_inputs, tv_tensors.BoundingBoxes)
                and has_any(flat_inputs, PILImage.Image, tv_tensors.Image, is_pure_tensor)):
            raise TypeError(f"{type(self).__name__}() requires input sample to contain tensor or PIL images "
                            "and bounding boxes. Sample can also contain masks.")

    def make_params(self, flat_inputs):
        from ...ops import box_iou

        h, w = query_size(flat_inputs)
        boxes = get_bounding_boxes(flat_inputs)
        xyxy = F._to_xyxy(_plain(boxes), boxes.format)
        while True:
            min_iou = self.options[int(ember.randint(0, len(self.options), size=(1,)))]
            if min_iou >= 1.0:
                return {}
            for _ in range(self.trials):
                r = self.min_scale + (self.max_scale - self.min_scale) * ember.rand(2)
                new_w, new_h = int(w * r[0]), int(h * r[1])
                if not self.min_aspect_ratio <= new_w / new_h <= self.max_aspect_ratio:
                    continue
                r = ember.rand(2)
                left, top = int((w - new_w) * r[0]), int((h - new_h) * r[1])
                right, bottom = left + new_w, top + new_h
                if left == right or top == bottom:
                    continue
                cx, cy = 0.5 * (xyxy[..., 0] + xyxy[..., 2]), 0.5 * (xyxy[..., 1] + xyxy[..., 3])
                inside = (left < cx) & (cx < right) & (top < cy) & (cy < bottom)
                if not bool(inside.any()):
                    continue
                crop = ember.tensor([[left, top, right, bottom]], dtype=xyxy.dtype, device=xyxy.device)
                if bool(box_iou(xyxy[inside], crop).max() < min_iou):
                    continue
                return dict(top=top, left=left, height=new_h, width=new_w, inside=inside)

    def transform(self, inpt, params):
        if not params:
            return inpt
        out = self._call_kernel(F.crop, inpt, params["top"], params["left"], params["height"], params["width"])
        if isinstance(out, tv_tensors.BoundingBoxes):
            out = tv_tensors.wrap(_plain(out) * params["inside"].unsqueeze(-1).to(out.dtype), like=out)
        return out


class UniformTemporalSubsample(Transform):
    """Keep ``num_samples`` evenly spaced frames of videos ``(..., T, C, H, W)``.

    Example:
        >>> import ember
        >>> from embervision import tv_tensors
        >>> from embervision.transforms import v2
        >>> v2.UniformTemporalSubsample(2)(tv_tensors.Video(ember.rand(5, 3, 2, 2))).shape
        ember.Size([2, 3, 2, 2])
    """

    _transformed_types = (is_pure_tensor, tv_tensors.Video)

    def __init__(self, num_samples):
        super().__init__()
        self.num_samples = num_samples

    def transform(self, inpt, params):
        return self._call_kernel(F.uniform_temporal_subsample, inpt, self.num_samples)


class FiveCrop(Transform):
    """The four corner crops and the central crop of images and videos.

    Example:
        >>> import ember
        >>> from embervision.transforms import v2
        >>> len(v2.FiveCrop(2)(ember.rand(3, 4, 4)))
        5
    """

    _v1_transform_cls = _v1.FiveCrop

    def __init__(self, size):
        super().__init__()
        self.size = _v1._size_pair(size)

    def transform(self, inpt, params):
        return self._call_kernel(F.five_crop, inpt, self.size)


class TenCrop(Transform):
    """:class:`FiveCrop` of the input and of its flipped version.

    Example:
        >>> import ember
        >>> from embervision.transforms import v2
        >>> len(v2.TenCrop(2)(ember.rand(3, 4, 4)))
        10
    """

    _v1_transform_cls = _v1.TenCrop

    def __init__(self, size, vertical_flip=False):
        super().__init__()
        self.size, self.vertical_flip = _v1._size_pair(size), vertical_flip

    def transform(self, inpt, params):
        return self._call_kernel(F.ten_crop, inpt, self.size, self.vertical_flip)
