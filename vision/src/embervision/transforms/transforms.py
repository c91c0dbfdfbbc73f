"""Transform classes, composed with :class:`Compose`.

The random ones make torchvision's draws, call for call: the same ``rand``/``randint``/
``randperm``/``uniform_`` calls on Ember's default generator in the same order (and Python's
``random`` module where torchvision uses it: :class:`RandomOrder`, :class:`RandomChoice`), so
``ember.manual_seed(s)`` gives the crops, flips, angles and factors ``torch.manual_seed(s)`` gives.
"""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Sequence

import numpy as np

import ember
from ember import nn

from . import functional as F
from .functional import InterpolationMode

__all__ = [
    "CenterCrop", "ColorJitter", "Compose", "ConvertImageDtype", "ElasticTransform", "FiveCrop", "GaussianBlur",
    "Grayscale", "Lambda", "LinearTransformation", "Normalize", "PILToTensor", "Pad", "RandomAdjustSharpness", "RandomAffine",
    "RandomApply", "RandomAutocontrast", "RandomChoice", "RandomCrop", "RandomEqualize", "RandomErasing",
    "RandomGrayscale", "RandomHorizontalFlip", "RandomInvert", "RandomOrder", "RandomPerspective",
    "RandomPosterize", "RandomResizedCrop", "RandomRotation", "RandomSolarize", "RandomVerticalFlip", "Resize",
    "TenCrop", "ToPILImage", "ToTensor",
]


# --- random draws (on Ember's default generator, as torchvision makes them) ---------------------
def _f32(x):
    """``x`` rounded to float32 (torchvision keeps some intermediate values in float32 tensors)."""
    return float(np.float32(x))


def _uniform(lo, hi):
    """``torch.empty(1).uniform_(lo, hi).item()``: one float32 uniform draw."""
    return ember.empty(1).uniform_(lo, hi).item()


def _randint(lo, hi):
    """An int in ``[lo, hi)``: ``torch.randint(lo, hi, size=(1,)).item()``."""
    return int(ember.randint(lo, hi, size=(1,)).item())


def _chance(p):
    """``torch.rand(1) < p``: one draw always, compared in float32 as the tensor comparison does."""
    return bool(ember.rand(1) < p)


def _log_uniform_ratio(ratio):
    """``torch.exp(torch.empty(1).uniform_(*torch.log(torch.tensor(ratio)))).item()``: an aspect ratio
    drawn log-uniformly, with the logs and the exponential taken in float32."""
    lo, hi = (_f32(math.log(_f32(r))) for r in ratio[:2])
    return _f32(math.exp(_uniform(lo, hi)))


def _size_pair(size, what="size"):
    if isinstance(size, numbers.Number):
        return (int(size), int(size))
    if isinstance(size, Sequence) and len(size) == 1:
        return (size[0], size[0])
    if len(size) != 2:
        raise ValueError(f"Please provide only two dimensions (h, w) for {what}.")
    return tuple(size)


def _range(value, name, center=1.0, bound=(0, float("inf")), clip_first=True):
    """A (lo, hi) range from a number ``v`` (``center -+ v``) or a pair, checked against ``bound``."""
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f"If {name} is a single number, it must be non negative.")
        value = [center - float(value), center + float(value)]
        if clip_first:
            value[0] = max(value[0], 0.0)
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        value = [float(value[0]), float(value[1])]
    else:
        raise TypeError(f"{name} should be a single number or a list/tuple with length 2.")
    if not bound[0] <= value[0] <= value[1] <= bound[1]:
        raise ValueError(f"{name} values should be between {bound}, but got {value}.")
    return None if value[0] == value[1] == center else tuple(value)


def _tensor_fill(img, fill):
    """``fill`` as a per-channel list of floats for tensor images (PIL images take it as it is)."""
    if not isinstance(img, ember.Tensor) or fill is None:
        return fill
    if isinstance(fill, (int, float)):
        return [float(fill)] * F.get_image_num_channels(img)
    return [float(f) for f in fill]


def _degrees(degrees, name="degrees"):
    if isinstance(degrees, numbers.Number):
        if degrees < 0:
            raise ValueError(f"If {name} is a single number, it must be positive.")
        return [-float(degrees), float(degrees)]
    if len(degrees) != 2:
        raise ValueError(f"If {name} is a sequence, it must be of len 2.")
    return [float(d) for d in degrees]


# --- composition ----------------------------------------------------------------------------------
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


class Lambda:
    """Wrap a function as a transform.

    Example:
        >>> from embervision.transforms import Lambda
        >>> Lambda(lambda x: x * 2)(21)
        42
    """

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__!r}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self):
        return f"{type(self).__name__}()"


class RandomTransforms:
    """Base of the transforms that pick among a list of transforms."""

    def __init__(self, transforms):
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence")
        self.transforms = transforms

    def __repr__(self):
        body = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}({body}\n)"


class RandomApply(nn.Module):
    """Apply the whole list of transforms with probability ``p``.

    Example:
        >>> from embervision.transforms import RandomApply, Lambda
        >>> RandomApply([Lambda(lambda x: x + 1)], p=1.0)(1)
        2
    """

    def __init__(self, transforms, p=0.5):
        super().__init__()
        self.transforms, self.p = transforms, p

    def forward(self, img):
        if self.p < ember.rand(1):
            return img
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        body = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}(\n    p={self.p}{body}\n)"


class RandomOrder(RandomTransforms):
    """Apply the transforms in a random order (shuffled by Python's ``random``, as torchvision does).

    Example:
        >>> from embervision.transforms import RandomOrder, Lambda
        >>> RandomOrder([Lambda(lambda x: x + 1), Lambda(lambda x: x + 2)])(0)
        3
    """

    def __call__(self, img):
        order = list(range(len(self.transforms)))
        random.shuffle(order)
        for i in order:
            img = self.transforms[i](img)
        return img


class RandomChoice(RandomTransforms):
    """Apply one transform picked at random (weights ``p``, uniform by default), by Python's
    ``random.choices`` as torchvision does.

    Example:
        >>> from embervision.transforms import RandomChoice, Lambda
        >>> RandomChoice([Lambda(lambda x: x + 1)])(0)
        1
    """

    def __init__(self, transforms, p=None):
        super().__init__(transforms)
        if p is not None and not isinstance(p, Sequence):
            raise TypeError("Argument p should be a sequence")
        if p is not None and len(p) != len(transforms):
            raise ValueError(f"Length of p doesn't match the number of transforms: {len(p)} != {len(transforms)}")
        self.p = p

    def __call__(self, *args):
        return random.choices(self.transforms, weights=self.p)[0](*args)

    def __repr__(self):
        return f"{super().__repr__()}(p={self.p})"


# --- conversions ----------------------------------------------------------------------------------
class ToTensor:
    """PIL image / numpy HxWxC -> CxHxW float tensor (uint8 scaled to [0, 1]).

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


class PILToTensor:
    """PIL image -> CxHxW tensor of the image's own dtype (no scaling).

    Example:
        >>> from PIL import Image
        >>> from embervision.transforms import PILToTensor
        >>> PILToTensor()(Image.new("RGB", (4, 3))).dtype
        ember.uint8
    """

    def __call__(self, pic):
        return F.pil_to_tensor(pic)

    def __repr__(self):
        return "PILToTensor()"


class ToPILImage:
    """Tensor (CxHxW) or numpy array (HxWxC) -> PIL image, with the mode inferred unless given.

    Example:
        >>> import ember
        >>> from embervision.transforms import ToPILImage
        >>> ToPILImage()(ember.zeros(1, 2, 3)).mode
        'L'
    """

    def __init__(self, mode=None):
        self.mode = mode

    def __call__(self, pic):
        return F.to_pil_image(pic, self.mode)

    def __repr__(self):
        return f"ToPILImage({'' if self.mode is None else f'mode={self.mode}'})"


class ConvertImageDtype(nn.Module):
    """Convert a tensor image to ``dtype``, rescaling the values.

    Example:
        >>> import ember
        >>> from embervision.transforms import ConvertImageDtype
        >>> ConvertImageDtype(ember.uint8)(ember.tensor([[[1.0]]])).tolist()
        [[[255]]]
    """

    def __init__(self, dtype):
        super().__init__()
        self.dtype = dtype

    def forward(self, image):
        return F.convert_image_dtype(image, self.dtype)


class Normalize(nn.Module):
    """Normalise each channel: ``(x - mean[c]) / std[c]``.

    Example:
        >>> import ember
        >>> from embervision.transforms import Normalize
        >>> Normalize([0.5], [0.25])(ember.ones(1, 2, 2))[0, 0, 0].item()
        2.0
    """

    def __init__(self, mean, std, inplace=False):
        super().__init__()
        self.mean, self.std, self.inplace = list(mean), list(std), inplace

    def forward(self, tensor):
        return F.normalize(tensor, self.mean, self.std, self.inplace)

    def __repr__(self):
        return f"{type(self).__name__}(mean={self.mean}, std={self.std})"


class LinearTransformation(nn.Module):
    """Flatten each ``C x H x W`` image, subtract ``mean_vector`` and multiply by the square
    ``transformation_matrix`` (e.g. ZCA whitening), then restore the shape.

    Example:
        >>> import ember
        >>> from embervision.transforms import LinearTransformation
        >>> tf = LinearTransformation(2 * ember.eye(4), ember.ones(4))
        >>> tf(ember.ones(1, 2, 2)).tolist()
        [[[0.0, 0.0], [0.0, 0.0]]]
    """

    def __init__(self, transformation_matrix, mean_vector):
        super().__init__()
        n = transformation_matrix.shape[0]
        if transformation_matrix.ndim != 2 or transformation_matrix.shape[1] != n:
            raise ValueError("transformation_matrix should be square. Got "
                             f"{tuple(transformation_matrix.shape)} rectangular matrix.")
        if mean_vector.shape[0] != n:
            raise ValueError(f"mean_vector should have the same length {mean_vector.shape[0]} as any one of the "
                             f"dimensions of the transformation_matrix [{tuple(transformation_matrix.shape)}]")
        if transformation_matrix.device != mean_vector.device:
            raise ValueError(f"Input tensors should be on the same device. Got {transformation_matrix.device} and "
                             f"{mean_vector.device}")
        if transformation_matrix.dtype != mean_vector.dtype:
            raise ValueError(f"Input tensors should have the same dtype. Got {transformation_matrix.dtype} and "
                             f"{mean_vector.dtype}")
        self.transformation_matrix, self.mean_vector = transformation_matrix, mean_vector

    def forward(self, tensor):
        shape = tuple(tensor.shape)
        n = shape[-3] * shape[-2] * shape[-1]
        if n != self.transformation_matrix.shape[0]:
            raise ValueError("Input tensor and transformation matrix have incompatible shape."
                             f"[{shape[-3]} x {shape[-2]} x {shape[-1]}] != {self.transformation_matrix.shape[0]}")
        if tensor.device.type != self.mean_vector.device.type:
            raise ValueError("Input tensor should be on the same device as transformation matrix and mean vector. "
                             f"Got {tensor.device} vs {self.mean_vector.device}")
        flat = tensor.reshape(-1, n) - self.mean_vector
        return ember.mm(flat, self.transformation_matrix.to(flat.dtype)).reshape(shape)

    def __repr__(self):
        return (f"{type(self).__name__}(transformation_matrix={self.transformation_matrix.tolist()}, "
                f"mean_vector={self.mean_vector.tolist()})")


# --- geometry ----------------------------------------------------------------------------------------
class Resize(nn.Module):
    """Resize to ``size`` ((h, w), or the smaller edge's length keeping the aspect ratio).

    Example:
        >>> from PIL import Image
        >>> from embervision.transforms import Resize
        >>> Resize(8)(Image.new("RGB", (32, 16))).size
        (16, 8)
    """

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
        super().__init__()
        if not isinstance(size, (int, Sequence)):
            raise TypeError(f"Size should be int or sequence. Got {type(size)}")
        if isinstance(size, Sequence) and len(size) not in (1, 2):
            raise ValueError("If size is a sequence, it should have 1 or 2 values")
        self.size, self.max_size, self.antialias = size, max_size, antialias
        self.interpolation = InterpolationMode(F._mode(interpolation))

    def forward(self, img):
        return F.resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def __repr__(self):
        return (f"{type(self).__name__}(size={self.size}, interpolation={self.interpolation.value}, "
                f"max_size={self.max_size}, antialias={self.antialias})")


class CenterCrop(nn.Module):
    """Crop the centre (zero padding where the image is smaller).

    Example:
        >>> import ember
        >>> from embervision.transforms import CenterCrop
        >>> CenterCrop(2)(ember.rand(3, 5, 5)).shape
        ember.Size([3, 2, 2])
    """

    def __init__(self, size):
        super().__init__()
        self.size = _size_pair(size)

    def forward(self, img):
        return F.center_crop(img, self.size)

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size})"


class Pad(nn.Module):
    """Pad the borders (see :func:`functional.pad`).

    Example:
        >>> import ember
        >>> from embervision.transforms import Pad
        >>> Pad([1, 2])(ember.zeros(1, 2, 2)).shape
        ember.Size([1, 6, 4])
    """

    def __init__(self, padding, fill=0, padding_mode="constant"):
        super().__init__()
        if not isinstance(padding, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate padding arg")
        if isinstance(padding, Sequence) and len(padding) not in (1, 2, 4):
            raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element tuple")
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode

    def forward(self, img):
        return F.pad(img, self.padding, self.fill, self.padding_mode)

    def __repr__(self):
        return f"{type(self).__name__}(padding={self.padding}, fill={self.fill}, padding_mode={self.padding_mode})"


class RandomCrop(nn.Module):
    """Crop a random ``size`` region, after optional ``padding`` (and padding up to ``size`` if needed).

    Example:
        >>> import ember
        >>> from embervision.transforms import RandomCrop
        >>> RandomCrop(32, padding=4)(ember.rand(3, 32, 32)).shape
        ember.Size([3, 32, 32])
    """

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        super().__init__()
        self.size = _size_pair(size)
        self.padding, self.pad_if_needed, self.fill, self.padding_mode = padding, pad_if_needed, fill, padding_mode

    @staticmethod
    def get_params(img, output_size):
        """``(top, left, height, width)`` of a random crop of ``output_size``."""
        _, h, w = F.get_dimensions(img)
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size {(h, w)}")
        if w == tw and h == th:
            return 0, 0, h, w
        return _randint(0, h - th + 1), _randint(0, w - tw + 1), th, tw

    def forward(self, img):
        if self.padding is not None:
            img = F.pad(img, self.padding, self.fill, self.padding_mode)
        _, h, w = F.get_dimensions(img)
        if self.pad_if_needed and w < self.size[1]:
            img = F.pad(img, [self.size[1] - w, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and h < self.size[0]:
            img = F.pad(img, [0, self.size[0] - h], self.fill, self.padding_mode)
        return F.crop(img, *self.get_params(img, self.size))

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size}, padding={self.padding})"


class RandomResizedCrop(nn.Module):
    """Crop a random area (fraction ``scale``, aspect ``ratio``) and resize it to ``size``.

    Example:
        >>> from PIL import Image
        >>> from embervision.transforms import RandomResizedCrop
        >>> RandomResizedCrop(16)(Image.new("RGB", (40, 30))).size
        (16, 16)
    """

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0), interpolation=InterpolationMode.BILINEAR,
                 antialias=True):
        super().__init__()
        self.size = _size_pair(size)
        if not isinstance(scale, Sequence) or not isinstance(ratio, Sequence):
            raise TypeError("Scale and ratio should be sequences")
        self.scale, self.ratio, self.antialias = scale, ratio, antialias
        self.interpolation = InterpolationMode(F._mode(interpolation))

    @staticmethod
    def get_params(img, scale, ratio):
        """``(top, left, height, width)`` of a random crop with area fraction in ``scale`` and aspect in ``ratio``."""
        _, height, width = F.get_dimensions(img)
        area = height * width
        for _ in range(10):
            target = area * _uniform(scale[0], scale[1])
            aspect = _log_uniform_ratio(ratio)
            w = int(round(math.sqrt(target * aspect)))
            h = int(round(math.sqrt(target / aspect)))
            if 0 < w <= width and 0 < h <= height:
                return _randint(0, height - h + 1), _randint(0, width - w + 1), h, w
        in_ratio = width / height
        if in_ratio < min(ratio):
            w, h = width, int(round(width / min(ratio)))
        elif in_ratio > max(ratio):
            h, w = height, int(round(height * max(ratio)))
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def forward(self, img):
        i, j, h, w = self.get_params(img, self.scale, self.ratio)
        return F.resized_crop(img, i, j, h, w, list(self.size), self.interpolation, antialias=self.antialias)

    def __repr__(self):
        return (f"{type(self).__name__}(size={self.size}, scale={tuple(round(s, 4) for s in self.scale)}, "
                f"ratio={tuple(round(r, 4) for r in self.ratio)}, interpolation={self.interpolation.value}, "
                f"antialias={self.antialias})")


class FiveCrop(nn.Module):
    """The four corner crops and the central crop, as a tuple.

    Example:
        >>> import ember
        >>> from embervision.transforms import FiveCrop
        >>> len(FiveCrop(2)(ember.rand(3, 4, 4)))
        5
    """

    def __init__(self, size):
        super().__init__()
        self.size = _size_pair(size)

    def forward(self, img):
        return F.five_crop(img, self.size)

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size})"


class TenCrop(nn.Module):
    """:class:`FiveCrop` of the image and of its flipped version.

    Example:
        >>> import ember
        >>> from embervision.transforms import TenCrop
        >>> len(TenCrop(2, vertical_flip=True)(ember.rand(3, 4, 4)))
        10
    """

    def __init__(self, size, vertical_flip=False):
        super().__init__()
        self.size, self.vertical_flip = _size_pair(size), vertical_flip

    def forward(self, img):
        return F.ten_crop(img, self.size, self.vertical_flip)

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size}, vertical_flip={self.vertical_flip})"


def _maybe(name, fn, doc, arg=None, draw_item=False):
    """A transform class applying ``fn`` (with its one argument ``arg``, if any) with probability ``p``.

    Each call makes one ``rand(1)`` draw, compared with ``p`` as a tensor (the flips) or, with
    ``draw_item``, as a Python float (``torch.rand(1).item() < p``: the colour ones), as torchvision does.
    """
    def forward(self, img):
        u = ember.rand(1)
        if not (u.item() < self.p if draw_item else bool(u < self.p)):
            return img
        return fn(img) if arg is None else fn(img, getattr(self, arg))

    if arg is None:
        def __init__(self, p=0.5):
            nn.Module.__init__(self)
            self.p = p

        def __repr__(self):
            return f"{type(self).__name__}(p={self.p})"
    else:
        def __init__(self, value, p=0.5):
            nn.Module.__init__(self)
            setattr(self, arg, value)
            self.p = p

        def __repr__(self):
            return f"{type(self).__name__}({arg}={getattr(self, arg)},p={self.p})"

    cls = type(name, (nn.Module,), {"__init__": __init__, "forward": forward, "__repr__": __repr__, "__doc__": doc,
                                    "__module__": __name__})
    cls.__qualname__ = name
    return cls


RandomHorizontalFlip = _maybe("RandomHorizontalFlip", F.hflip, """Flip left-right with probability ``p``.

    Example:
        >>> import ember
        >>> from embervision.transforms import RandomHorizontalFlip
        >>> RandomHorizontalFlip(p=1.0)(ember.tensor([[[1, 2]]])).tolist()
        [[[2, 1]]]
    """)
RandomVerticalFlip = _maybe("RandomVerticalFlip", F.vflip, """Flip top-bottom with probability ``p``.

    Example:
        >>> import ember
        >>> from embervision.transforms import RandomVerticalFlip
        >>> RandomVerticalFlip(p=1.0)(ember.tensor([[[1], [2]]])).tolist()
        [[[2], [1]]]
    """)
RandomInvert = _maybe("RandomInvert", F.invert, """Invert the colours with probability ``p``.

    Example:
        >>> import ember
        >>> from embervision.transforms import RandomInvert
        >>> RandomInvert(p=1.0)(ember.tensor([[[0, 55]]], dtype=ember.uint8)).tolist()
        [[[255, 200]]]
    """, draw_item=True)
RandomPosterize = _maybe("RandomPosterize", F.posterize, """Keep the ``bits`` high bits of each channel with
    probability ``p``.

    Example:
        >>> import ember
        >>> from embervision.transforms import RandomPosterize
        >>> RandomPosterize(2, p=1.0)(ember.tensor([[[255, 100]]], dtype=ember.uint8)).tolist()
        [[[192, 64]]]
    """, arg="bits", draw_item=True)
RandomSolarize = _maybe("RandomSolarize", F.solarize, """Invert the pixels at or above ``threshold`` with
    probability ``p``.

    Example:
        >>> import ember
        >>> from embervision.transforms import RandomSolarize
        >>> RandomSolarize(128, p=1.0)(ember.tensor([[[100, 200]]], dtype=ember.uint8)).tolist()
        [[[100, 55]]]
    """, arg="threshold", draw_item=True)
RandomAdjustSharpness = _maybe("RandomAdjustSharpness", F.adjust_sharpness, """Adjust the sharpness by
    ``sharpness_factor`` with probability ``p``.

    Example:
        >>> import ember
        >>> from embervision.transforms import RandomAdjustSharpness
        >>> RandomAdjustSharpness(2.0, p=1.0)(ember.rand(3, 5, 5)).shape
        ember.Size([3, 5, 5])
    """, arg="sharpness_factor", draw_item=True)
RandomAutocontrast = _maybe("RandomAutocontrast", F.autocontrast, """Stretch each channel to the full range with
    probability ``p``.

    Example:
        >>> import ember
        >>> from embervision.transforms import RandomAutocontrast
        >>> RandomAutocontrast(p=1.0)(ember.tensor([[[0.25, 0.5]]])).tolist()
        [[[0.0, 1.0]]]
    """, draw_item=True)
RandomEqualize = _maybe("RandomEqualize", F.equalize, """Equalize the histogram with probability ``p``.

    Example:
        >>> import ember
        >>> from embervision.transforms import RandomEqualize
        >>> RandomEqualize(p=0.0)(ember.tensor([[[1, 2]]], dtype=ember.uint8)).tolist()
        [[[1, 2]]]
    """, draw_item=True)


class RandomRotation(nn.Module):
    """Rotate by an angle drawn uniformly from ``degrees`` (a number d means (-d, d)).

    Example:
        >>> import ember
        >>> from embervision.transforms import RandomRotation
        >>> RandomRotation((90, 90))(ember.tensor([[[1, 2], [3, 4]]])).tolist()
        [[[2, 4], [1, 3]]]
    """

    def __init__(self, degrees, interpolation=InterpolationMode.NEAREST, expand=False, center=None, fill=0):
        super().__init__()
        self.degrees = _degrees(degrees)
        self.interpolation = InterpolationMode(F._mode(interpolation))
        self.expand, self.center, self.fill = expand, center, fill

    @staticmethod
    def get_params(degrees):
        """A random angle in ``degrees``."""
        return _uniform(degrees[0], degrees[1])

    def forward(self, img):
        fill = _tensor_fill(img, self.fill)
        return F.rotate(img, self.get_params(self.degrees), self.interpolation, self.expand, self.center, fill)

    def __repr__(self):
        return (f"{type(self).__name__}(degrees={self.degrees}, interpolation={self.interpolation.value}, "
                f"expand={self.expand}, fill={self.fill})")


class RandomAffine(nn.Module):
    """Random rotation, translation, scale and shear (each optional) about the image centre.

    Args:
        degrees: rotation range (a number d means (-d, d)).
        translate: maximal (horizontal, vertical) shift as fractions of the size.
        scale: (min, max) scale factor.
        shear: x-shear range (number or pair) or (x_min, x_max, y_min, y_max).

    Example:
        >>> import ember
        >>> from embervision.transforms import RandomAffine
        >>> RandomAffine(10, translate=(0.1, 0.1), scale=(0.9, 1.1), shear=5)(ember.rand(3, 8, 8)).shape
        ember.Size([3, 8, 8])
    """

    def __init__(self, degrees, translate=None, scale=None, shear=None, interpolation=InterpolationMode.NEAREST,
                 fill=0, center=None):
        super().__init__()
        self.degrees = _degrees(degrees)
        if translate is not None and not all(0.0 <= t <= 1.0 for t in translate):
            raise ValueError("translation values should be between 0 and 1")
        if scale is not None and any(s <= 0 for s in scale):
            raise ValueError("scale values should be positive")
        if shear is not None:
            shear = _degrees(shear, "shear") if isinstance(shear, numbers.Number) or len(shear) == 2 else [float(s) for s in shear]
            if len(shear) not in (2, 4):
                raise ValueError("shear should be a sequence of length 2 or 4")
        self.translate, self.scale, self.shear = translate, scale, shear
        self.interpolation = InterpolationMode(F._mode(interpolation))
        self.fill, self.center = fill, center

    @staticmethod
    def get_params(degrees, translate, scale_ranges, shears, img_size):
        """``(angle, (tx, ty), scale, (shear_x, shear_y))`` drawn from the ranges; ``img_size`` = (w, h)."""
        angle = _uniform(degrees[0], degrees[1])
        if translate is not None:
            max_dx, max_dy = float(translate[0] * img_size[0]), float(translate[1] * img_size[1])
            translations = (int(round(_uniform(-max_dx, max_dx))), int(round(_uniform(-max_dy, max_dy))))
        else:
            translations = (0, 0)
        scale = _uniform(scale_ranges[0], scale_ranges[1]) if scale_ranges is not None else 1.0
        shear_x = shear_y = 0.0
        if shears is not None:
            shear_x = _uniform(shears[0], shears[1])
            if len(shears) == 4:
                shear_y = _uniform(shears[2], shears[3])
        return angle, translations, scale, (shear_x, shear_y)

    def forward(self, img):
        fill = _tensor_fill(img, self.fill)
        params = self.get_params(self.degrees, self.translate, self.scale, self.shear, F.get_image_size(img))
        return F.affine(img, *params, interpolation=self.interpolation, fill=fill, center=self.center)

    def __repr__(self):
        parts = [f"degrees={self.degrees}"] + [f"{k}={getattr(self, k)}" for k in ("translate", "scale", "shear")
                                               if getattr(self, k) is not None]
        return f"{type(self).__name__}({', '.join(parts)}, interpolation={self.interpolation.value})"


class RandomPerspective(nn.Module):
    """With probability ``p``, move each corner inwards by up to ``distortion_scale`` of half the
    size and warp the image to match.

    Example:
        >>> import ember
        >>> from embervision.transforms import RandomPerspective
        >>> RandomPerspective(0.3, p=1.0)(ember.rand(3, 8, 8)).shape
        ember.Size([3, 8, 8])
    """

    def __init__(self, distortion_scale=0.5, p=0.5, interpolation=InterpolationMode.BILINEAR, fill=0):
        super().__init__()
        if fill is None:
            fill = 0
        elif not isinstance(fill, (Sequence, numbers.Number)):
            raise TypeError("Fill should be either a sequence or a number.")
        self.p, self.distortion_scale, self.fill = p, distortion_scale, fill
        self.interpolation = InterpolationMode(F._mode(interpolation))

    @staticmethod
    def get_params(width, height, distortion_scale):
        """``(startpoints, endpoints)``: the image's corners and where they move ([top-left, top-right,
        bottom-right, bottom-left]), drawn corner by corner, x then y."""
        dx, dy = int(distortion_scale * (width // 2)), int(distortion_scale * (height // 2))
        near_x, far_x = (0, dx + 1), (width - dx - 1, width)
        near_y, far_y = (0, dy + 1), (height - dy - 1, height)
        endpoints = [[_randint(*xs), _randint(*ys)]
                     for xs, ys in ((near_x, near_y), (far_x, near_y), (far_x, far_y), (near_x, far_y))]
        return [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], endpoints

    def forward(self, img):
        fill = _tensor_fill(img, self.fill)
        if _chance(self.p):
            _, h, w = F.get_dimensions(img)
            startpoints, endpoints = self.get_params(w, h, self.distortion_scale)
            return F.perspective(img, startpoints, endpoints, self.interpolation, fill)
        return img

    def __repr__(self):
        return f"{type(self).__name__}(p={self.p})"


def _float_pair(value, name):
    """A float or a sequence of two floats -> [v0, v1] (ElasticTransform's alpha and sigma)."""
    if not isinstance(value, (float, Sequence)):
        raise TypeError(f"{name} should be float or a sequence of floats. Got {type(value)}")
    if isinstance(value, float):
        return [value, value]
    if len(value) != 2:
        raise ValueError(f"If {name} is a sequence its length should be 2. Got {len(value)}")
    if not all(isinstance(v, float) for v in value):
        raise TypeError(f"{name} should be a sequence of floats. Got {[type(v) for v in value]}")
    return list(value)


class ElasticTransform(nn.Module):
    """Displace the pixels by smooth random fields: uniform noise in [-1, 1] per pixel and axis,
    blurred by a Gaussian of ``sigma`` and scaled by ``alpha`` (pixels of displacement).

    Example:
        >>> import ember
        >>> from embervision.transforms import ElasticTransform
        >>> ElasticTransform(alpha=20.0, sigma=2.0)(ember.rand(3, 24, 24)).shape
        ember.Size([3, 24, 24])
    """

    def __init__(self, alpha=50.0, sigma=5.0, interpolation=InterpolationMode.BILINEAR, fill=0):
        super().__init__()
        self.alpha, self.sigma = _float_pair(alpha, "alpha"), _float_pair(sigma, "sigma")
        self.interpolation = InterpolationMode(F._mode(interpolation))
        if isinstance(fill, (int, float)):
            fill = [float(fill)]
        elif isinstance(fill, (list, tuple)):
            fill = [float(f) for f in fill]
        else:
            raise TypeError(f"fill should be int or float or a list or tuple of them. Got {type(fill)}")
        self.fill = fill

    @staticmethod
    def get_params(alpha, sigma, size):
        """The displacement field (1 x H x W x 2) for an image of ``size`` (H, W): x then y, each
        ``rand`` in [-1, 1], blurred (kernel ``int(8 sigma + 1)`` made odd) and scaled by alpha / (W, H)."""
        fields = []
        for a, s, n in zip(alpha, sigma, size[::-1], strict=True):
            d = ember.rand([1, 1] + list(size)) * 2 - 1
            if s > 0.0:
                k = int(8 * s + 1)
                k += 1 - k % 2
                d = F.gaussian_blur(d, [k, k], sigma)
            fields.append(d * a / n)
        return ember.cat(fields, 1).permute([0, 2, 3, 1])

    def forward(self, tensor):
        _, h, w = F.get_dimensions(tensor)
        displacement = self.get_params(self.alpha, self.sigma, [h, w])
        return F.elastic_transform(tensor, displacement, self.interpolation, self.fill)

    def __repr__(self):
        return (f"{type(self).__name__}(alpha={self.alpha}, sigma={self.sigma}, interpolation={self.interpolation}, "
                f"fill={self.fill})")


# --- colour --------------------------------------------------------------------------------------
class ColorJitter(nn.Module):
    """Randomly change brightness, contrast, saturation and hue, in a random order.

    Each of brightness/contrast/saturation is a number b (factor drawn from [max(0, 1 - b), 1 + b])
    or a (min, max) pair; hue is h (shift in [-h, h], h <= 0.5) or a pair in [-0.5, 0.5].

    Example:
        >>> import ember
        >>> from embervision.transforms import ColorJitter
        >>> ColorJitter(0.4, 0.4, 0.4, 0.1)(ember.rand(3, 4, 4)).shape
        ember.Size([3, 4, 4])
    """

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        super().__init__()
        self.brightness = _range(brightness, "brightness")
        self.contrast = _range(contrast, "contrast")
        self.saturation = _range(saturation, "saturation")
        self.hue = _range(hue, "hue", center=0.0, bound=(-0.5, 0.5), clip_first=False)

    @staticmethod
    def get_params(brightness, contrast, saturation, hue):
        """``(order, b, c, s, h)``: a permutation of the four adjustments and each factor (None when off)."""
        order = ember.randperm(4)
        factors = [None if r is None else _uniform(r[0], r[1]) for r in (brightness, contrast, saturation, hue)]
        return (order, *factors)

    def forward(self, img):
        order, *factors = self.get_params(self.brightness, self.contrast, self.saturation, self.hue)
        fns = (F.adjust_brightness, F.adjust_contrast, F.adjust_saturation, F.adjust_hue)
        for i in order.tolist():
            if factors[i] is not None:
                img = fns[i](img, factors[i])
        return img

    def __repr__(self):
        return (f"{type(self).__name__}(brightness={self.brightness}, contrast={self.contrast}, "
                f"saturation={self.saturation}, hue={self.hue})")


class Grayscale(nn.Module):
    """Convert to greyscale with 1 or 3 output channels.

    Example:
        >>> from PIL import Image
        >>> from embervision.transforms import Grayscale
        >>> Grayscale(3)(Image.new("RGB", (2, 2), (255, 0, 0))).getpixel((0, 0))
        (76, 76, 76)
    """

    def __init__(self, num_output_channels=1):
        super().__init__()
        self.num_output_channels = num_output_channels

    def forward(self, img):
        return F.rgb_to_grayscale(img, self.num_output_channels)

    def __repr__(self):
        return f"{type(self).__name__}(num_output_channels={self.num_output_channels})"


class RandomGrayscale(nn.Module):
    """Convert to greyscale (keeping the channel count) with probability ``p``.

    Example:
        >>> import ember
        >>> from embervision.transforms import RandomGrayscale
        >>> x = RandomGrayscale(p=1.0)(ember.rand(3, 2, 2))
        >>> bool((x[0] == x[1]).all())
        True
    """

    def __init__(self, p=0.1):
        super().__init__()
        self.p = p

    def forward(self, img):
        if _chance(self.p):
            return F.rgb_to_grayscale(img, F.get_image_num_channels(img))
        return img

    def __repr__(self):
        return f"{type(self).__name__}(p={self.p})"


class GaussianBlur(nn.Module):
    """Blur with a Gaussian of random sigma drawn from ``sigma`` (a number or a (min, max) range).

    Example:
        >>> import ember
        >>> from embervision.transforms import GaussianBlur
        >>> GaussianBlur(3, sigma=(0.1, 2.0))(ember.rand(3, 8, 8)).shape
        ember.Size([3, 8, 8])
    """

    def __init__(self, kernel_size, sigma=(0.1, 2.0)):
        super().__init__()
        self.kernel_size = _size_pair(kernel_size, "kernel_size")
        if any(k <= 0 or k % 2 == 0 for k in self.kernel_size):
            raise ValueError("Kernel size value should be an odd and positive number.")
        if isinstance(sigma, numbers.Number):
            if sigma <= 0:
                raise ValueError("If sigma is a single number, it must be positive.")
            sigma = (float(sigma), float(sigma))
        elif not (isinstance(sigma, Sequence) and len(sigma) == 2 and 0 < sigma[0] <= sigma[1]):
            raise ValueError("sigma values should be positive and of the form (min, max).")
        self.sigma = sigma

    @staticmethod
    def get_params(sigma_min, sigma_max):
        """A sigma drawn uniformly from ``[sigma_min, sigma_max]``."""
        return _uniform(sigma_min, sigma_max)

    def forward(self, img):
        s = self.get_params(self.sigma[0], self.sigma[1])
        return F.gaussian_blur(img, self.kernel_size, [s, s])

    def __repr__(self):
        return f"{type(self).__name__}(kernel_size={self.kernel_size}, sigma={self.sigma})"


class RandomErasing(nn.Module):
    """Erase a random rectangle of a tensor image with probability ``p``.

    Args:
        scale: range of the erased area as a fraction of the image.
        ratio: range of the rectangle's aspect ratio.
        value: a number, a per-channel sequence, or ``"random"`` (normal noise).

    Example:
        >>> import ember
        >>> from embervision.transforms import RandomErasing
        >>> bool((RandomErasing(p=1.0)(ember.ones(3, 16, 16)) == 0).any())
        True
    """

    def __init__(self, p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, inplace=False):
        super().__init__()
        if not isinstance(value, (numbers.Number, str, tuple, list)):
            raise TypeError("Argument value should be either a number or str or a sequence")
        if isinstance(value, str) and value != "random":
            raise ValueError("If value is str, it should be 'random'")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            raise ValueError("Scale and ratio should be of kind (min, max)")
        if not (0 <= scale[0] and scale[1] <= 1):
            raise ValueError("Scale should be between 0 and 1")
        if not 0 <= p <= 1:
            raise ValueError("Random erasing probability should be between 0 and 1")
        self.p, self.scale, self.ratio, self.value, self.inplace = p, scale, ratio, value, inplace

    @staticmethod
    def get_params(img, scale, ratio, value=None):
        """``(top, left, height, width, values)`` of the rectangle to erase (the whole image if none fits)."""
        c, h, w = img.shape[-3:]
        area = h * w
        for _ in range(10):
            erase_area = area * _uniform(scale[0], scale[1])
            aspect = _log_uniform_ratio(ratio)
            eh, ew = int(round(math.sqrt(erase_area * aspect))), int(round(math.sqrt(erase_area / aspect)))
            if not (eh < h and ew < w):
                continue
            if value is None:  # float32 normals on the CPU generator, whatever the image
                v = ember.empty([c, eh, ew], dtype=ember.float32).normal_().to(img.device, img.dtype)
            else:
                v = ember.tensor(value, dtype=img.dtype, device=img.device).reshape(-1, 1, 1)
            return _randint(0, h - eh + 1), _randint(0, w - ew + 1), eh, ew, v
        return 0, 0, h, w, img

    def forward(self, img):
        if not _chance(self.p):
            return img
        value = [float(self.value)] if isinstance(self.value, numbers.Number) else self.value
        value = None if isinstance(value, str) else value
        c = img.shape[-3]
        if value is not None and len(value) not in (1, c):
            raise ValueError(f"If value is a sequence, it should have either a single value or {c} (number of input channels)")
        i, j, h, w, v = self.get_params(img, self.scale, self.ratio, value)
        return F.erase(img, i, j, h, w, v, self.inplace)

    def __repr__(self):
        return (f"{type(self).__name__}(p={self.p}, scale={self.scale}, ratio={self.ratio}, value={self.value}, "
                f"inplace={self.inplace})")
