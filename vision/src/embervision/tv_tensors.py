"""Tensor subclasses that tell the v2 transforms what a tensor holds (``embervision.tv_tensors``).

:class:`Image`, :class:`Video`, :class:`Mask`, :class:`BoundingBoxes` and :class:`KeyPoints` are
:class:`ember.Tensor` subclasses sharing the data they wrap. As in torchvision, ordinary ops on them
return plain tensors (``.clone()``, ``.to()``, ``.detach()`` and ``.requires_grad_()`` keep the
type and metadata); :func:`set_return_type` ``("TVTensor")`` makes tensor methods keep it too.

Example:
    >>> import ember
    >>> from embervision import tv_tensors
    >>> boxes = tv_tensors.BoundingBoxes([[0, 0, 4, 4]], format="XYXY", canvas_size=(8, 8))
    >>> boxes.format, boxes.canvas_size, type(boxes + 1).__name__
    (<BoundingBoxFormat.XYXY: 'XYXY'>, (8, 8), 'Tensor')
"""

from __future__ import annotations

from enum import Enum

import ember
from ember import Tensor

__all__ = ["BoundingBoxFormat", "BoundingBoxes", "Image", "KeyPoints", "Mask", "TVTensor", "Video", "set_return_type",
           "wrap"]

_RETURN_TV = [False]
# methods that keep the subclass whatever the return type (torchvision's forced set)
_KEEP_TYPE = {"clone", "to", "detach", "requires_grad_", "pin_memory"}
# Tensor methods left as they are (no tensor result, or construction/serialization machinery)
_UNWRAPPED = {"__new__", "__init__", "__init_subclass__", "__getattribute__", "__getattr__", "__setattr__",
              "__delattr__", "__reduce_ex__", "__reduce__", "__deepcopy__", "__repr__", "__str__", "__format__",
              "__hash__", "__class_getitem__", "__dir__", "__sizeof__", "__subclasshook__", "_wrap_like"}


class _ReturnType:
    """The context manager :func:`set_return_type` returns (restores the previous type on exit)."""

    def __init__(self, previous):
        self._previous = previous

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _RETURN_TV[0] = self._previous


def set_return_type(return_type):
    """Set what tensor methods called on a TVTensor return: ``"Tensor"`` (default) or ``"TVTensor"``.

    Usable as a context manager, which restores the previous type on exit.

    Example:
        >>> import ember
        >>> from embervision import tv_tensors
        >>> img = tv_tensors.Image(ember.zeros(3, 2, 2))
        >>> with tv_tensors.set_return_type("TVTensor"):
        ...     type(img + 1).__name__
        'Image'
        >>> type(img + 1).__name__
        'Tensor'
    """
    kind = str(return_type).lower()
    if kind not in ("tensor", "tvtensor"):
        raise ValueError(f"return_type must be 'TVTensor' or 'Tensor', got {return_type}")
    previous, _RETURN_TV[0] = _RETURN_TV[0], kind == "tvtensor"
    return _ReturnType(previous)


def _method_wrapper(name, fn):
    keep = name in _KEEP_TYPE

    def method(self, *args, **kwargs):
        out = fn(self, *args, **kwargs)
        if (keep or _RETURN_TV[0]) and type(out) is Tensor:
            return type(self)._wrap(out, **self._metadata())
        return out

    method.__name__ = name
    method.__doc__ = fn.__doc__
    return method


def _share(tensor, cls):
    """A ``cls`` object sharing ``tensor``'s data, autograd state and version counter."""
    out = Tensor.__new__(cls)
    for slot in Tensor.__slots__:
        if slot not in ("__weakref__", "__dict__") and hasattr(tensor, slot):
            object.__setattr__(out, slot, getattr(tensor, slot))
    return out


class TVTensor(Tensor):
    """Base of the tensor subclasses (ops on them return plain tensors by default).

    Example:
        >>> import ember
        >>> from embervision import tv_tensors
        >>> isinstance(tv_tensors.Mask(ember.zeros(2, 2)), tv_tensors.TVTensor)
        True
    """

    def __init__(self, *args, **kwargs):
        pass

    @staticmethod
    def _to_tensor(data, dtype=None, device=None, requires_grad=None):
        if requires_grad is None:
            requires_grad = data.requires_grad if isinstance(data, Tensor) else False
        t = ember.as_tensor(data, dtype=dtype, device=device)
        if type(t) is not Tensor:
            t = _share(t, Tensor)
        return t.requires_grad_(requires_grad) if requires_grad != t.requires_grad else t

    @classmethod
    def _wrap(cls, tensor, **metadata):
        out = _share(tensor, cls)
        for k, v in metadata.items():
            object.__setattr__(out, k, v)
        return out

    def _metadata(self):
        return {}

    @classmethod
    def _wrap_like(cls, t, like):
        return cls._wrap(t, **like._metadata())

    def as_subclass(self, cls):
        """A ``cls`` view of this tensor's data (``Tensor`` gives the plain tensor).

        Example:
            >>> import ember
            >>> from embervision import tv_tensors
            >>> type(tv_tensors.Image(ember.zeros(1, 2, 2)).as_subclass(ember.Tensor)).__name__
            'Tensor'
        """
        return _share(self, cls)

    def __reduce_ex__(self, proto):
        return (_rebuild, (type(self), self.as_subclass(Tensor).detach(), self._metadata()))

    def __repr__(self, *, tensor_contents=None):
        body = Tensor.__repr__(self.as_subclass(Tensor))
        name = type(self).__name__
        body = name + body[len("tensor"):].replace("\n" + " " * len("tensor("), "\n" + " " * len(name + "("))
        extra = ", ".join(f"{k}={v}" for k, v in self._metadata().items())
        return body[:-1] + f", {extra})"

    __str__ = __repr__


def _install_method_wrappers():
    for klass in reversed(Tensor.__mro__):
        for name, fn in vars(klass).items():
            if (callable(fn) and not isinstance(fn, (type, staticmethod, classmethod)) and name not in _UNWRAPPED
                    and name not in vars(TVTensor)):
                setattr(TVTensor, name, _method_wrapper(name, fn))


_install_method_wrappers()


def _rebuild(cls, tensor, metadata):
    return cls._wrap(tensor, **metadata)


class Image(TVTensor):
    """An image or a batch of images, ``(..., C, H, W)`` (a PIL image or a 2-D tensor is made ``1 x H x W``).

    Example:
        >>> import ember
        >>> from embervision import tv_tensors
        >>> tv_tensors.Image(ember.zeros(4, 5)).shape
        ember.Size([1, 4, 5])
    """

    def __new__(cls, data, *, dtype=None, device=None, requires_grad=None):
        from PIL import Image as PILImage

        if isinstance(data, PILImage.Image):
            from .transforms import functional as F

            data = F.pil_to_tensor(data)
        tensor = cls._to_tensor(data, dtype, device, requires_grad)
        if tensor.ndim < 2:
            raise ValueError("Image(): expected at least 2 dimensions (H, W), got shape " + str(tuple(tensor.shape)))
        if tensor.ndim == 2:
            tensor = tensor.unsqueeze(0)
        return cls._wrap(tensor)


class Video(TVTensor):
    """A video or a batch of videos, ``(..., T, C, H, W)``.

    Example:
        >>> import ember
        >>> from embervision import tv_tensors
        >>> tv_tensors.Video(ember.zeros(2, 3, 4, 4)).shape
        ember.Size([2, 3, 4, 4])
    """

    def __new__(cls, data, *, dtype=None, device=None, requires_grad=None):
        tensor = cls._to_tensor(data, dtype, device, requires_grad)
        if tensor.ndim < 4:
            raise ValueError(f"Video(): expected at least 4 dimensions (T, C, H, W), got shape {tuple(tensor.shape)}")
        return cls._wrap(tensor)


class Mask(TVTensor):
    """Segmentation or detection masks, ``(..., H, W)`` (a PIL image gives its first band).

    Example:
        >>> import ember
        >>> from embervision import tv_tensors
        >>> tv_tensors.Mask(ember.zeros(2, 4, 4, dtype=ember.bool)).dtype
        ember.bool
    """

    def __new__(cls, data, *, dtype=None, device=None, requires_grad=None):
        from PIL import Image as PILImage

        if isinstance(data, PILImage.Image):
            from .transforms import functional as F

            data = F.pil_to_tensor(data)[0]
        return cls._wrap(cls._to_tensor(data, dtype, device, requires_grad))


class BoundingBoxFormat(Enum):
    """How a box's four numbers are laid out: corners (XYXY), corner and size (XYWH) or centre and size (CXCYWH).

    Example:
        >>> from embervision.tv_tensors import BoundingBoxFormat
        >>> BoundingBoxFormat["CXCYWH"].value
        'CXCYWH'
    """

    XYXY = "XYXY"
    XYWH = "XYWH"
    CXCYWH = "CXCYWH"


class BoundingBoxes(TVTensor):
    """``N x 4`` boxes in ``format`` on an image of ``canvas_size`` (height, width).

    ``clamping_mode`` ("soft", the default, or "hard") clamps the boxes to the canvas after the
    geometric transforms; ``None`` leaves them as they come out.

    Example:
        >>> from embervision import tv_tensors
        >>> b = tv_tensors.BoundingBoxes([1, 2, 3, 4], format="XYWH", canvas_size=(10, 10))
        >>> b.shape, b.format.name
        (ember.Size([1, 4]), 'XYWH')
    """

    @classmethod
    def _wrap(cls, tensor, *, format, canvas_size, clamping_mode="soft", check_dims=True):
        if check_dims:
            if tensor.ndim == 1:
                tensor = tensor.unsqueeze(0)
            elif tensor.ndim != 2:
                raise ValueError(f"Expected a 1D or 2D tensor, got {tensor.ndim}D")
        if clamping_mode is not None and clamping_mode not in ("hard", "soft"):
            raise ValueError(f"clamping_mode must be None, hard or soft, got {clamping_mode}.")
        if isinstance(format, str):
            format = BoundingBoxFormat[format.upper()]
        return super()._wrap(tensor, format=format, canvas_size=tuple(canvas_size), clamping_mode=clamping_mode)

    def __new__(cls, data, *, format, canvas_size, clamping_mode="soft", dtype=None, device=None, requires_grad=None):
        return cls._wrap(cls._to_tensor(data, dtype, device, requires_grad), format=format, canvas_size=canvas_size,
                         clamping_mode=clamping_mode)

    def _metadata(self):
        return {"format": self.format, "canvas_size": self.canvas_size, "clamping_mode": self.clamping_mode}


class KeyPoints(TVTensor):
    """Points ``(..., 2)`` as (x, y) on an image of ``canvas_size`` (height, width).

    Example:
        >>> from embervision import tv_tensors
        >>> tv_tensors.KeyPoints([1.0, 2.0], canvas_size=(4, 4)).shape
        ember.Size([1, 2])
    """

    @classmethod
    def _wrap(cls, tensor, *, canvas_size, check_dims=True):
        if check_dims:
            if tensor.ndim == 1:
                tensor = tensor.unsqueeze(0)
            elif tensor.shape[-1] != 2:
                raise ValueError(f"Expected a tensor of shape (..., 2), not {list(tensor.shape)}")
        return super()._wrap(tensor, canvas_size=tuple(canvas_size))

    def __new__(cls, data, *, canvas_size, dtype=None, device=None, requires_grad=None):
        return cls._wrap(cls._to_tensor(data, dtype, device, requires_grad), canvas_size=canvas_size)

    def _metadata(self):
        return {"canvas_size": self.canvas_size}


def wrap(wrappee, *, like, **kwargs):
    """``wrappee`` as a TVTensor of ``like``'s type and metadata (``kwargs`` override the metadata).

    Example:
        >>> import ember
        >>> from embervision import tv_tensors
        >>> boxes = tv_tensors.BoundingBoxes([[0, 0, 2, 2]], format="XYXY", canvas_size=(4, 4))
        >>> tv_tensors.wrap(boxes * 2, like=boxes, canvas_size=(8, 8)).canvas_size
        (8, 8)
    """
    return type(like)._wrap(wrappee, **{**like._metadata(), **kwargs})
