"""Parametrizations: a module's tensor recomputed from stored originals on every access.

``register_parametrization(module, "weight", p)`` moves ``module.weight`` to
``module.parametrizations.weight.original`` and swaps the module's class for a generated subclass
(``Parametrized<Class>``) whose ``weight`` property returns ``p(original)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager
from copy import deepcopy

from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ..modules.container import ModuleDict, ModuleList
from ..parameter import Parameter

__all__ = ["cached", "ParametrizationList", "register_parametrization", "is_parametrized",
           "remove_parametrizations", "type_before_parametrizations", "transfer_parametrizations_and_params"]

_cache_depth = [0]
_cache = {}


@contextmanager
def cached():
    """Compute each parametrized tensor once inside the block and reuse it (e.g. a weight shared across steps).

    Example:
        >>> import ember, ember.nn as nn
        >>> from ember.nn.utils import parametrize
        >>> class Double(nn.Module):
        ...     def forward(self, x):
        ...         return 2 * x
        >>> m = parametrize.register_parametrization(nn.Linear(2, 2), "weight", Double())
        >>> with parametrize.cached():
        ...     m.weight is m.weight
        True
    """
    _cache_depth[0] += 1
    try:
        yield
    finally:
        _cache_depth[0] -= 1
        if not _cache_depth[0]:
            _cache.clear()


def _register_tensor(module, name, tensor):
    if isinstance(tensor, Parameter):
        module.register_parameter(name, tensor)
    else:
        module.register_buffer(name, tensor)


def _right_inverse(modules, value, strict):
    """``value`` mapped back through the ``right_inverse`` of ``modules`` in reverse order."""
    for module in reversed(modules):
        inverse = getattr(module, "right_inverse", None)
        if inverse is None:
            if strict:
                raise RuntimeError(f"parametrization {type(module).__name__} does not implement right_inverse.")
            continue
        try:
            value = inverse(value)
        except NotImplementedError:
            if strict:
                raise
    return value


def _check_same(what, got, want):
    for attr in ("dtype", "shape"):
        if getattr(got, attr) != getattr(want, attr):
            raise ValueError(f"Registering a parametrization may not change the {attr} of the tensor, "
                             "unless the `unsafe` flag is enabled.\n"
                             f"unparametrized {attr}: {getattr(want, attr)}\n{what} {attr}: {getattr(got, attr)}")


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, in order, holding the original tensor(s).

    ``original`` holds the tensor (or ``original0``, ``original1``, ... when the first
    parametrization's ``right_inverse`` returns a sequence). Calling the list gives the
    parametrized value. Built by :func:`register_parametrization`; not meant to be created directly.

    Example:
        >>> import ember, ember.nn as nn
        >>> from ember.nn.utils import parametrize
        >>> m = parametrize.register_parametrization(nn.Linear(2, 2), "weight", nn.Identity())
        >>> type(m.parametrizations.weight).__name__, m.parametrizations.weight.original.shape
        ('ParametrizationList', ember.Size([2, 2]))
    """

    def __init__(self, modules, original, unsafe=False):
        if len(modules) == 0:
            raise ValueError("ParametrizationList requires one or more modules.")
        super().__init__(modules)
        self.unsafe = unsafe
        with no_grad():
            new = _right_inverse(list(self), original, strict=False)
        if not isinstance(new, (Tensor, Sequence)):
            raise ValueError(f"'right_inverse' must return a Tensor or a Sequence of tensors (list, tuple...). Got {type(new).__name__}")
        self.is_tensor = isinstance(new, Tensor)
        self.ntensors = 1 if self.is_tensor else len(new)
        if self.is_tensor:
            for attr in ("dtype", "device"):
                if getattr(new, attr) != getattr(original, attr):
                    raise ValueError(f"When `right_inverse` outputs one tensor, it may not change the {attr}.\n"
                                     f"original.{attr}: {getattr(original, attr)}\n"
                                     f"right_inverse(original).{attr}: {getattr(new, attr)}")
            if new is not original:
                original.data = new  # the original keeps its identity (optimizers may hold it)
            _register_tensor(self, "original", original)
        else:
            for i, t in enumerate(new):
                if not isinstance(t, Tensor):
                    raise ValueError("'right_inverse' must return a Tensor or a Sequence of tensors (list, tuple...). "
                                     f"Got element {i} of the sequence with type {type(t).__name__}.")
                if isinstance(original, Parameter):
                    t = Parameter(t, original.requires_grad)
                t.requires_grad_(original.requires_grad)
                _register_tensor(self, f"original{i}", t)
        if not unsafe:
            out = self()
            if not isinstance(out, Tensor):
                raise ValueError(f"A parametrization must return a tensor. Got {type(out).__name__}.")
            _check_same("parametrized", out, original)

    def right_inverse(self, value):
        """Store ``value`` in the originals through the parametrizations' ``right_inverse`` (reverse order).

        Example:
            >>> import ember, ember.nn as nn
            >>> m = nn.utils.parametrizations.weight_norm(nn.Linear(2, 1))
            >>> m.parametrizations.weight.right_inverse(ember.tensor([[3.0, 4.0]])); m.parametrizations.weight.original0
            Parameter containing:
            tensor([[5.]], requires_grad=True)
        """
        with no_grad():
            value = _right_inverse(list(self), value, strict=True)
            if self.is_tensor:
                if not isinstance(value, Tensor):
                    raise ValueError(f"`right_inverse` should return a tensor. Got {type(value).__name__}")
                if value.dtype != self.original.dtype:
                    raise ValueError(f"The tensor returned by `right_inverse` has dtype {value.dtype} "
                                     f"while `original` has dtype {self.original.dtype}")
                self.original.data = value
                return
            if not isinstance(value, Sequence):
                raise ValueError(f"'right_inverse' must return a sequence of tensors. Got {type(value).__name__}.")
            if len(value) != self.ntensors:
                raise ValueError(f"'right_inverse' must return a sequence of tensors of length {self.ntensors}. "
                                 f"Got a sequence of length {len(value)}.")
            for i, t in enumerate(value):
                original = getattr(self, f"original{i}")
                if not isinstance(t, Tensor):
                    raise ValueError(f"'right_inverse' must return a sequence of tensors. Got element {i} of type {type(t).__name__}.")
                if t.dtype != original.dtype:
                    raise ValueError(f"Tensor {i} returned by `right_inverse` has dtype {t.dtype} "
                                     f"while `original{i}` has dtype {original.dtype}")
                original.data = t

    def forward(self):
        """The parametrized tensor: the parametrizations applied in order to the originals."""
        if self.is_tensor:
            originals = (self.original,)
        else:
            originals = tuple(getattr(self, f"original{i}") for i in range(self.ntensors))
        modules = iter(self._modules.values())
        x = next(modules)(*originals)
        for module in modules:
            x = module(x)
        return x


def _deepcopy(self, memo):
    replica = self.__new__(type(self))
    memo[id(self)] = replica
    replica.__dict__.update(deepcopy(self.__dict__, memo))
    return replica


def _getstate(self):
    raise RuntimeError("Serialization of parametrized modules is only supported through state_dict(). See:\n"
                       "https://pytorch.org/tutorials/beginner/saving_loading_models.html"
                       "#saving-loading-a-general-checkpoint-for-inference-and-or-resuming-training")


def _inject_new_class(module):
    """Swap ``module``'s class for a fresh subclass ``Parametrized<Class>`` that can carry properties."""
    cls = type(module)
    namespace = {"__getstate__": _getstate}
    if not hasattr(cls, "__deepcopy__"):
        namespace["__deepcopy__"] = _deepcopy
    module.__class__ = type(f"Parametrized{cls.__name__}", (cls,), namespace)


def _parametrized_property(tensor_name):
    def get(self):
        parametrization = self._modules["parametrizations"][tensor_name]
        if not _cache_depth[0]:
            return parametrization()
        key = (id(self), tensor_name)
        value = _cache.get(key)
        if value is None:
            value = _cache[key] = parametrization()
        return value

    def set(self, value):
        self._modules["parametrizations"][tensor_name].right_inverse(value)

    return property(get, set)


def register_parametrization(module, tensor_name, parametrization, *, unsafe=False):
    """Make ``module.<tensor_name>`` return ``parametrization(original)``; returns ``module``.

    The original parameter or buffer moves to ``module.parametrizations[tensor_name].original``
    and gradients flow to it. ``parametrization`` is a Module; its optional ``right_inverse(X)``
    maps a value back to the original(s) (used at registration and on assignment to the
    tensor). Registering again on the same tensor chains the parametrizations. ``unsafe`` skips
    the checks that the dtype and shape are kept.

    Example:
        >>> import ember, ember.nn as nn
        >>> from ember.nn.utils import parametrize
        >>> class Symmetric(nn.Module):
        ...     def forward(self, X):
        ...         return X.triu() + X.triu(1).mT
        >>> m = parametrize.register_parametrization(nn.Linear(3, 3), "weight", Symmetric())
        >>> bool((m.weight == m.weight.T).all()), type(m).__name__
        (True, 'ParametrizedLinear')
        >>> [n for n, _ in m.named_parameters()]
        ['bias', 'parametrizations.weight.original']
    """
    parametrization.train(module.training)
    if is_parametrized(module, tensor_name):
        if not unsafe:
            current = getattr(module, tensor_name)
            out = parametrization(current)
            if not isinstance(out, Tensor):
                raise ValueError(f"A parametrization must return a tensor. Got {type(out).__name__}.")
            _check_same(f"parametrization(module.{tensor_name})", out, current)
            inverse = getattr(parametrization, "right_inverse", None)
            if inverse is not None:
                try:
                    back = inverse(out)
                except NotImplementedError:
                    back = None
                if back is not None:
                    if not isinstance(back, Tensor):
                        raise ValueError(f"parametrization.right_inverse must return a tensor. Got: {type(back).__name__}")
                    _check_same("parametrization.right_inverse", back, current)
        plist = module.parametrizations[tensor_name]
        plist.append(parametrization)
        plist.unsafe |= unsafe
    elif tensor_name in module._buffers or tensor_name in module._parameters:
        original = getattr(module, tensor_name)
        plist = ParametrizationList([parametrization], original, unsafe=unsafe)
        delattr(module, tensor_name)
        if not is_parametrized(module):
            _inject_new_class(module)
            module.parametrizations = ModuleDict()
        setattr(type(module), tensor_name, _parametrized_property(tensor_name))
        module.parametrizations[tensor_name] = plist
    else:
        raise ValueError(f"Module '{module}' does not have a parameter, a buffer, or a parametrized element with name '{tensor_name}'")
    return module


def is_parametrized(module, tensor_name=None):
    """Whether ``module`` has a parametrization (on ``tensor_name``, or on any tensor when None).

    Example:
        >>> import ember.nn as nn
        >>> from ember.nn.utils import parametrize
        >>> m = parametrize.register_parametrization(nn.Linear(2, 2), "weight", nn.Identity())
        >>> parametrize.is_parametrized(m), parametrize.is_parametrized(m, "bias")
        (True, False)
    """
    parametrizations = module.__dict__.get("_modules", {}).get("parametrizations")
    if not isinstance(parametrizations, ModuleDict):
        return False
    return len(parametrizations) > 0 if tensor_name is None else tensor_name in parametrizations


def remove_parametrizations(module, tensor_name, leave_parametrized=True):
    """Undo the parametrizations of ``tensor_name``: a plain parameter/buffer again; returns ``module``.

    With ``leave_parametrized`` the tensor keeps its current parametrized value (stored in the
    original tensor object); otherwise it goes back to the stored original.

    Example:
        >>> import ember, ember.nn as nn
        >>> from ember.nn.utils import parametrize
        >>> class Double(nn.Module):
        ...     def forward(self, x):
        ...         return 2 * x
        >>> m = nn.Linear(1, 1); m.weight.data = ember.ones(1, 1)
        >>> m = parametrize.register_parametrization(m, "weight", Double())
        >>> m = parametrize.remove_parametrizations(m, "weight"); type(m).__name__, m.weight
        ('Linear', Parameter containing:
        tensor([[2.]], requires_grad=True))
    """
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {module} does not have a parametrization on {tensor_name}")
    plist = module.parametrizations[tensor_name]
    if plist.is_tensor:
        original = plist.original
        if leave_parametrized:
            with no_grad():
                original.data = getattr(module, tensor_name)
    elif leave_parametrized:
        value = getattr(module, tensor_name)
        original = Parameter(value.detach()) if value.requires_grad else value
    else:
        raise ValueError("Cannot leave unparametrized (`leave_parametrized=False`) a tensor "
                         "that is parametrized in terms of a sequence of tensors.")
    delattr(type(module), tensor_name)
    del module.parametrizations[tensor_name]
    _register_tensor(module, tensor_name, original)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        module.__class__ = type(module).__bases__[0]
    return module


def type_before_parametrizations(module):
    """The class ``module`` had before it was parametrized (its own class otherwise).

    Example:
        >>> import ember.nn as nn
        >>> from ember.nn.utils import parametrize
        >>> m = parametrize.register_parametrization(nn.Linear(2, 2), "weight", nn.Identity())
        >>> parametrize.type_before_parametrizations(m).__name__
        'Linear'
    """
    return type(module).__bases__[0] if is_parametrized(module) else type(module)


def transfer_parametrizations_and_params(from_module, to_module, tensor_name=None):
    """Register ``from_module``'s parametrizations (all, or of ``tensor_name``) and originals on ``to_module``.

    Example:
        >>> import ember.nn as nn
        >>> from ember.nn.utils import parametrize
        >>> a = parametrize.register_parametrization(nn.Linear(2, 2), "weight", nn.Identity())
        >>> b = parametrize.transfer_parametrizations_and_params(a, nn.Linear(2, 2))
        >>> b.parametrizations.weight.original is a.parametrizations.weight.original
        True
    """
    if not is_parametrized(from_module):
        return to_module
    names = list(from_module.parametrizations) if tensor_name is None else [tensor_name]
    for name in names:
        source = from_module.parametrizations[name]
        if not hasattr(to_module, name):
            setattr(to_module, name, Parameter(getattr(from_module, name)))
        for parametrization in source:
            register_parametrization(to_module, name, parametrization)
        target = to_module.parametrizations[name]
        for i in [None] if source.is_tensor else range(source.ntensors):
            attr = "original" if i is None else f"original{i}"
            setattr(target, attr, getattr(source, attr))
    return to_module
