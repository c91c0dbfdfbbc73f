"""The v2 ``Transform`` base class, input-structure handling and the container transforms."""

from __future__ import annotations

import enum
from collections.abc import Sequence

from PIL import Image as PILImage

import ember
from ember import Tensor, nn

from ... import tv_tensors
from ..functional import InterpolationMode
from . import functional as F


# --- nested inputs (tuples, lists, dicts) ------------------------------------------------------------
def tree_flatten(tree):
    """``(leaves, spec)`` of nested tuples/lists/dicts, depth first (dict values in key order as given)."""
    leaves = []

    def walk(node):
        if isinstance(node, (tuple, list)):
            return (type(node), [walk(x) for x in node])
        if isinstance(node, dict):
            return (type(node), list(node.keys()), [walk(v) for v in node.values()])
        leaves.append(node)
        return None
    return leaves, walk(tree)


def tree_unflatten(leaves, spec):
    """Rebuild the structure ``spec`` from :func:`tree_flatten` with new ``leaves``."""
    it = iter(leaves)

    def build(s):
        if s is None:
            return next(it)
        if len(s) == 3:
            return s[0](zip(s[1], [build(c) for c in s[2]], strict=True))
        children = [build(c) for c in s[1]]
        return s[0](*children) if hasattr(s[0], "_fields") else s[0](children)
    return build(spec)


def is_pure_tensor(inpt):
    """A tensor that is not a TVTensor."""
    return isinstance(inpt, Tensor) and not isinstance(inpt, tv_tensors.TVTensor)


def check_type(obj, types_or_checks):
    """Whether ``obj`` is one of the types or passes one of the checks.

    Example:
        >>> from embervision.transforms.v2 import check_type
        >>> check_type(1, (str, lambda x: x == 1))
        True
    """
    return any(isinstance(obj, t) if isinstance(t, type) else t(obj) for t in types_or_checks)


def has_any(flat_inputs, *types_or_checks):
    """Whether any input matches.

    Example:
        >>> from embervision.transforms.v2 import has_any
        >>> has_any([1, "a"], str)
        True
    """
    return any(check_type(x, types_or_checks) for x in flat_inputs)


def has_all(flat_inputs, *types_or_checks):
    """Whether every type or check is matched by some input.

    Example:
        >>> from embervision.transforms.v2 import has_all
        >>> has_all([1, "a"], str, int)
        True
    """
    return all(any(check_type(x, (t,)) for x in flat_inputs) for t in types_or_checks)


_SIZED = (is_pure_tensor, tv_tensors.Image, PILImage.Image, tv_tensors.Video, tv_tensors.Mask,
          tv_tensors.BoundingBoxes, tv_tensors.KeyPoints)


def query_size(flat_inputs):
    """The one ``(height, width)`` shared by the sample's images, videos, masks, boxes and keypoints.

    Example:
        >>> import ember
        >>> from embervision.transforms.v2 import query_size
        >>> query_size([ember.zeros(3, 4, 5), "label"])
        (4, 5)
    """
    sizes = {tuple(F.get_size(x)) for x in flat_inputs if check_type(x, _SIZED)}
    if not sizes:
        raise TypeError("No image, video, mask, bounding box of keypoint was found in the sample")
    if len(sizes) > 1:
        raise ValueError(f"Found multiple HxW dimensions in the sample: {', '.join(str(s) for s in sorted(sizes))}")
    return sizes.pop()


def query_chw(flat_inputs):
    """The one ``(channels, height, width)`` shared by the sample's images and videos.

    Example:
        >>> import ember
        >>> from embervision.transforms.v2 import query_chw
        >>> query_chw([ember.zeros(3, 4, 5)])
        (3, 4, 5)
    """
    chws = {tuple(F.get_dimensions(x)) for x in flat_inputs
            if check_type(x, (is_pure_tensor, tv_tensors.Image, PILImage.Image, tv_tensors.Video))}
    if not chws:
        raise TypeError("No image or video was found in the sample")
    if len(chws) > 1:
        raise ValueError(f"Found multiple CxHxW dimensions in the sample: {', '.join(str(s) for s in sorted(chws))}")
    return chws.pop()


def get_bounding_boxes(flat_inputs):
    """The sample's (one) BoundingBoxes.

    Example:
        >>> from embervision import tv_tensors
        >>> from embervision.transforms.v2 import get_bounding_boxes
        >>> b = tv_tensors.BoundingBoxes([[0, 0, 1, 1]], format="XYXY", canvas_size=(2, 2))
        >>> get_bounding_boxes(["x", b]) is b
        True
    """
    for x in flat_inputs:
        if isinstance(x, tv_tensors.BoundingBoxes):
            return x
    raise ValueError("No bounding boxes were found in the sample")


# --- the base class ---------------------------------------------------------------------------------
class Transform(nn.Module):
    """Base of the v2 transforms: override ``make_params(flat_inputs)`` (random draws, once per call)
    and ``transform(inpt, params)`` (per input).

    Inputs may be any structure of tuples, lists and dicts. TVTensors and PIL images are transformed;
    a pure tensor is treated as the image only when it is the first one and the sample holds no
    Image, Video or PIL image; everything else passes through.

    Example:
        >>> import ember
        >>> from embervision.transforms import v2
        >>> class AddOne(v2.Transform):
        ...     def transform(self, inpt, params):
        ...         return inpt + 1
        >>> AddOne()({"image": ember.zeros(1, 1, 1), "label": 3})
        {'image': tensor([[[1.]]]), 'label': 3}
    """

    _transformed_types = (Tensor, PILImage.Image)
    _v1_transform_cls = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls._v1_transform_cls is not None and hasattr(cls._v1_transform_cls, "get_params"):
            cls.get_params = staticmethod(cls._v1_transform_cls.get_params)

    def check_inputs(self, flat_inputs):
        """Validate the sample (no checks by default)."""

    def make_params(self, flat_inputs):
        """The parameters shared by all inputs of one call (random draws go here)."""
        return {}

    def transform(self, inpt, params):
        """Transform one input."""
        raise NotImplementedError

    def _call_kernel(self, functional, inpt, *args, **kwargs):
        return F._kernel_for(functional, type(inpt), allow_passthrough=True)(inpt, *args, **kwargs)

    def _needs_transform_list(self, flat_inputs):
        pure_is_image = not has_any(flat_inputs, tv_tensors.Image, tv_tensors.Video, PILImage.Image)
        needs = []
        for inpt in flat_inputs:
            need = check_type(inpt, self._transformed_types)
            if need and is_pure_tensor(inpt):
                need, pure_is_image = pure_is_image, False
            needs.append(need)
        return needs

    def _apply(self, flat_inputs, spec):
        needs = self._needs_transform_list(flat_inputs)
        params = self.make_params([x for x, n in zip(flat_inputs, needs, strict=True) if n])
        outputs = [self.transform(x, params) if n else x for x, n in zip(flat_inputs, needs, strict=True)]
        return tree_unflatten(outputs, spec)

    def forward(self, *inputs):
        flat_inputs, spec = tree_flatten(inputs if len(inputs) > 1 else inputs[0])
        self.check_inputs(flat_inputs)
        return self._apply(flat_inputs, spec)

    def extra_repr(self):
        parts = []
        for name, value in self.__dict__.items():
            if name.startswith("_") or name == "training":
                continue
            if isinstance(value, (bool, int, float, str, tuple, list, enum.Enum)):
                parts.append(f"{name}={value.value if isinstance(value, InterpolationMode) else value}")
        return ", ".join(parts)


class _RandomApplyTransform(Transform):
    """A transform applied with probability ``p``: one ``rand(1)`` draw per call, before the others."""

    def __init__(self, p=0.5):
        if not 0.0 <= p <= 1.0:
            raise ValueError("`p` should be a floating point value in the interval [0.0, 1.0].")
        super().__init__()
        self.p = p

    def forward(self, *inputs):
        inputs = inputs if len(inputs) > 1 else inputs[0]
        flat_inputs, spec = tree_flatten(inputs)
        self.check_inputs(flat_inputs)
        if bool(ember.rand(1) >= self.p):
            return inputs
        return self._apply(flat_inputs, spec)


# --- containers -------------------------------------------------------------------------------------
def _run(transforms, inputs):
    needs_unpacking = len(inputs) > 1
    for t in transforms:
        outputs = t(*inputs)
        inputs = outputs if needs_unpacking else (outputs,)
    return outputs if transforms else (inputs if needs_unpacking else inputs[0])


class Compose(Transform):
    """Apply transforms one after another (a multi-argument call passes the tuple along).

    Example:
        >>> from embervision.transforms import v2
        >>> v2.Compose([v2.Lambda(lambda x: x + 1), v2.Lambda(lambda x: x * 2)])(1)
        4
    """

    def __init__(self, transforms):
        super().__init__()
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence of callables")
        if not transforms:
            raise ValueError("Pass at least one transform")
        self.transforms = transforms

    def forward(self, *inputs):
        return _run(self.transforms, inputs)

    def extra_repr(self):
        return "\n".join(f"    {t}" for t in self.transforms)


class RandomApply(Transform):
    """Apply the whole list with probability ``p`` (one ``rand(1)`` draw).

    Example:
        >>> from embervision.transforms import v2
        >>> v2.RandomApply([v2.Lambda(lambda x: x + 1)], p=1.0)(1)
        2
    """

    def __init__(self, transforms, p=0.5):
        super().__init__()
        if not isinstance(transforms, (Sequence, nn.ModuleList)):
            raise TypeError("Argument transforms should be a sequence of callables or a `nn.ModuleList`")
        if not transforms:
            raise ValueError("Pass at least one transform")
        if not 0.0 <= p <= 1.0:
            raise ValueError("`p` should be a floating point value in the interval [0.0, 1.0].")
        self.transforms, self.p = transforms, p

    def forward(self, *inputs):
        if bool(ember.rand(1) >= self.p):
            return inputs if len(inputs) > 1 else inputs[0]
        return _run(self.transforms, inputs)

    def extra_repr(self):
        return "\n".join(f"    {t}" for t in self.transforms)


class RandomChoice(Transform):
    """Apply one transform, picked by ``multinomial`` with weights ``p`` (uniform by default).

    Example:
        >>> from embervision.transforms import v2
        >>> v2.RandomChoice([v2.Lambda(lambda x: x + 1)])(0)
        1
    """

    def __init__(self, transforms, p=None):
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence of callables")
        if not transforms:
            raise ValueError("Pass at least one transform")
        if p is None:
            p = [1] * len(transforms)
        elif len(p) != len(transforms):
            raise ValueError(f"Length of p doesn't match the number of transforms: {len(p)} != {len(transforms)}")
        super().__init__()
        self.transforms = transforms
        total = sum(p)
        self.p = [w / total for w in p]

    def forward(self, *inputs):
        return self.transforms[int(ember.multinomial(ember.tensor(self.p), 1))](*inputs)


class RandomOrder(Transform):
    """Apply the transforms in an order drawn by ``randperm``.

    Example:
        >>> from embervision.transforms import v2
        >>> v2.RandomOrder([v2.Lambda(lambda x: x + 1), v2.Lambda(lambda x: x + 2)])(0)
        3
    """

    def __init__(self, transforms):
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence of callables")
        super().__init__()
        self.transforms = transforms

    def forward(self, *inputs):
        order = ember.randperm(len(self.transforms)).tolist()
        return _run([self.transforms[i] for i in order], inputs)


class Identity(Transform):
    """Return the input unchanged.

    Example:
        >>> from embervision.transforms import v2
        >>> v2.Identity()((1, "a"))
        (1, 'a')
    """

    def transform(self, inpt, params):
        return inpt


class Lambda(Transform):
    """Apply ``lambd`` to the inputs of ``types`` (all by default) in the sample.

    Example:
        >>> from embervision.transforms import v2
        >>> v2.Lambda(lambda x: x * 2, int)((1, "a"))
        (2, 'a')
    """

    _transformed_types = (object,)

    def __init__(self, lambd, *types):
        super().__init__()
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__!r}")
        self.lambd = lambd
        self.types = types or self._transformed_types

    def transform(self, inpt, params):
        return self.lambd(inpt) if isinstance(inpt, self.types) else inpt

    def extra_repr(self):
        return f"{getattr(self.lambd, '__name__', type(self.lambd).__name__)}, types={[t.__name__ for t in self.types]}"
