"""Lazy modules: layers whose parameter shapes come from the first input they see.

:class:`LazyModuleMixin` holds the mechanism (as torch's): uninitialised parameters and buffers, a forward
pre-hook that shapes and initialises them at the first call and then turns the module into its regular
class (``cls_to_become``), and a state-dict hook that shapes them from a loaded checkpoint instead. A lazy
layer only says which attribute the input decides (``_features_attr`` and ``_features_of``) and the shapes
that follow (``_lazy_shapes``). The lazy batch and instance norms live here too; the lazy linear and conv
layers live next to their regular classes.
"""

from __future__ import annotations

import itertools

from ... import _creation, _dtype
from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ..parameter import UninitializedBuffer, UninitializedParameter
from .normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d

__all__ = ["LazyModuleMixin", "UninitializedBuffer", "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d",
           "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d"]


def _is_uninitialized(t):
    return isinstance(t, (UninitializedParameter, UninitializedBuffer))


class LazyModuleMixin:
    """Mixin for modules whose parameters are shaped by the first input: put it before the regular class.

    Subclasses set ``cls_to_become`` (the class the module turns into after its first call),
    ``_features_attr`` (the attribute the first input decides, e.g. ``in_features``), and define
    ``_features_of(input)`` and ``_lazy_shapes()`` (the shape of each uninitialised parameter or buffer).

    Example:
        >>> import ember, ember.nn as nn
        >>> m = nn.LazyLinear(3)
        >>> m.has_uninitialized_params(), m.weight
        (True, <UninitializedParameter>)
        >>> _ = m(ember.ones(2, 5)); type(m).__name__, m.weight.shape
        ('Linear', ember.Size([3, 5]))
    """

    cls_to_become = None
    _features_attr = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._load_hook = self._register_load_state_dict_pre_hook(self._lazy_load_hook)
        self._initialize_hook = self.register_forward_pre_hook(self._infer_parameters, with_kwargs=True)

    def has_uninitialized_params(self):
        """Whether any of this module's own parameters or buffers is still uninitialised.

        Example:
            >>> import ember.nn as nn
            >>> nn.LazyConv2d(4, 3).has_uninitialized_params()
            True
        """
        return any(_is_uninitialized(t) for t in itertools.chain(self._parameters.values(), self._buffers.values()))

    def initialize_parameters(self, input, *args, **kwargs):
        """Take the lazy attribute from ``input``, shape the uninitialised tensors and initialise them.

        Example:
            >>> import ember, ember.nn as nn
            >>> m = nn.LazyBatchNorm1d()
            >>> m.initialize_parameters(ember.ones(2, 3)); m.num_features, m.running_mean.shape
            (3, ember.Size([3]))
        """
        setattr(self, self._features_attr, self._features_of(input))
        if self.has_uninitialized_params():
            with no_grad():
                for name, shape in self._lazy_shapes().items():
                    t = getattr(self, name)
                    if _is_uninitialized(t):
                        t.materialize(shape)
                self.reset_parameters()

    def reset_parameters(self):
        """The regular class's initialisation, once the shapes are known (nothing before).

        Example:
            >>> import ember.nn as nn
            >>> nn.LazyLinear(2).reset_parameters()  # uninitialised: nothing to draw
        """
        if not self.has_uninitialized_params() and getattr(self, self._features_attr) != 0:
            super().reset_parameters()

    def _infer_parameters(self, module, args, kwargs):
        self.initialize_parameters(*args, **kwargs)
        if self.has_uninitialized_params():
            raise RuntimeError(f"module {self._get_name()} has not been fully initialized")
        self._initialize_hook.remove()
        self._load_hook.remove()
        del self._initialize_hook, self._load_hook
        if self.cls_to_become is not None:
            self.__class__ = self.cls_to_become

    def _lazy_load_hook(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs):
        """Shape the uninitialised tensors like the checkpoint's (which are then copied in as usual)."""
        for name, t in itertools.chain(self._parameters.items(), self._buffers.items()):
            value = state_dict.get(prefix + name)
            if _is_uninitialized(t) and isinstance(value, Tensor) and not _is_uninitialized(value):
                with no_grad():
                    t.materialize(value.shape)

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        super()._save_to_state_dict(destination, prefix, keep_vars)
        for name, t in itertools.chain(self._parameters.items(), self._buffers.items()):
            if _is_uninitialized(t) and prefix + name in destination:
                destination[prefix + name] = t  # saved as it is, as in torch

    def _apply(self, fn, recurse=True):
        lazy = [name for name, b in self._buffers.items() if isinstance(b, UninitializedBuffer)]
        super()._apply(fn, recurse)
        for name in lazy:  # a cast or move made a plain tensor: keep it uninitialised
            b = self._buffers[name]
            if not isinstance(b, UninitializedBuffer):
                self._buffers[name] = UninitializedBuffer(b.requires_grad, b.device, b.dtype)
        return self


# --- lazy batch and instance norms --------------------------------------------------------------------------
class _LazyNorm(LazyModuleMixin):
    _features_attr = "num_features"
    _unbatched = False  # whether the smallest accepted rank is an unbatched input (channels first)

    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None, dtype=None, *,
                 bias=True):
        super().__init__(0, eps, momentum, False, False, device, dtype)
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            if bias:
                self.bias = UninitializedParameter(device=device, dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)
            self.num_batches_tracked = _creation.tensor(0, dtype=_dtype.int64, device=device)

    def _features_of(self, input):
        self._check_input_dim(input)
        return input.shape[0] if self._unbatched and input.ndim == self._dims[0] else input.shape[1]

    def _lazy_shapes(self):
        return dict.fromkeys(("weight", "bias", "running_mean", "running_var"), (self.num_features,))


class LazyBatchNorm1d(_LazyNorm, BatchNorm1d):
    """A :class:`BatchNorm1d` whose ``num_features`` is taken from the first input.

    Example:
        >>> import ember, ember.nn as nn
        >>> bn = nn.LazyBatchNorm1d()
        >>> _ = bn(ember.randn(4, 3)); bn
        BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
    """

    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyNorm, BatchNorm2d):
    """A :class:`BatchNorm2d` whose ``num_features`` is taken from the first input.

    Example:
        >>> import ember, ember.nn as nn
        >>> bn = nn.LazyBatchNorm2d()
        >>> _ = bn(ember.randn(2, 5, 3, 3)); type(bn).__name__, bn.weight.shape
        ('BatchNorm2d', ember.Size([5]))
    """

    cls_to_become = BatchNorm2d


class LazyBatchNorm3d(_LazyNorm, BatchNorm3d):
    """A :class:`BatchNorm3d` whose ``num_features`` is taken from the first input.

    Example:
        >>> import ember, ember.nn as nn
        >>> bn = nn.LazyBatchNorm3d(affine=False)
        >>> _ = bn(ember.randn(2, 2, 2, 2, 2)); bn.running_var.shape, bn.weight
        (ember.Size([2]), None)
    """

    cls_to_become = BatchNorm3d


class LazyInstanceNorm1d(_LazyNorm, InstanceNorm1d):
    """An :class:`InstanceNorm1d` whose ``num_features`` is taken from the first input (affine and tracking, as torch's).

    Example:
        >>> import ember, ember.nn as nn
        >>> m = nn.LazyInstanceNorm1d()
        >>> _ = m(ember.randn(3, 5)); m  # unbatched (C, L)
        InstanceNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
    """

    cls_to_become = InstanceNorm1d
    _unbatched = True


class LazyInstanceNorm2d(_LazyNorm, InstanceNorm2d):
    """An :class:`InstanceNorm2d` whose ``num_features`` is taken from the first input.

    Example:
        >>> import ember, ember.nn as nn
        >>> m = nn.LazyInstanceNorm2d(affine=False, track_running_stats=False)
        >>> _ = m(ember.randn(2, 4, 3, 3)); m.num_features, m.weight, m.running_mean
        (4, None, None)
    """

    cls_to_become = InstanceNorm2d
    _unbatched = True


class LazyInstanceNorm3d(_LazyNorm, InstanceNorm3d):
    """An :class:`InstanceNorm3d` whose ``num_features`` is taken from the first input.

    Example:
        >>> import ember, ember.nn as nn
        >>> m = nn.LazyInstanceNorm3d()
        >>> _ = m(ember.randn(1, 2, 2, 2, 2)); type(m).__name__, m.running_var.shape
        ('InstanceNorm3d', ember.Size([2]))
    """

    cls_to_become = InstanceNorm3d
    _unbatched = True
