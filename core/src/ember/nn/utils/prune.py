"""Pruning: zero out entries or channels of a parameter through a mask, as ``torch.nn.utils.prune``.

Pruning ``module.<name>`` moves the parameter to ``<name>_orig``, registers the mask as the buffer
``<name>_mask`` and makes ``<name>`` a plain attribute, ``<name>_mask * <name>_orig``, recomputed
before every forward by the pruning method (a forward pre-hook). Pruning the same parameter again
prunes only what is still unpruned (a :class:`PruningContainer` composes the masks); :func:`remove`
makes the pruning permanent. Random methods draw torch's numbers after the same ``manual_seed``.

Example:
    >>> import ember, ember.nn as nn
    >>> from ember.nn.utils import prune
    >>> m = prune.l1_unstructured(nn.Linear(2, 2), "weight", amount=2)
    >>> list(m.state_dict()), int(m.weight_mask.sum())
    (['bias', 'weight_orig', 'weight_mask'], 2)
"""

from __future__ import annotations

import numbers
from abc import ABC, abstractmethod
from collections.abc import Iterable

from ..._creation import ones_like, zeros_like
from ..._random import rand, rand_like
from .convert_parameters import parameters_to_vector

__all__ = [
    "BasePruningMethod", "PruningContainer", "Identity", "RandomUnstructured", "L1Unstructured",
    "RandomStructured", "LnStructured", "CustomFromMask", "identity", "random_unstructured",
    "l1_unstructured", "random_structured", "ln_structured", "global_unstructured", "custom_from_mask",
    "remove", "is_pruned",
]


def _pruning_hooks(module, name):
    """The ``(key, hook)`` pairs of ``module``'s pruning pre-hooks acting on ``name``."""
    return [(k, h) for k, h in module._forward_pre_hooks.items()
            if isinstance(h, BasePruningMethod) and h._tensor_name == name]


class BasePruningMethod(ABC):
    """Base of the pruning methods: subclasses define ``PRUNING_TYPE`` and :meth:`compute_mask`.

    An instance is the forward pre-hook that recomputes ``module.<name>`` from ``<name>_orig`` and
    ``<name>_mask``; ``PRUNING_TYPE`` (``"unstructured"``, ``"structured"`` with a ``dim``, or
    ``"global"``) tells a :class:`PruningContainer` which part of a pruned tensor a new mask acts on.

    Example:
        >>> import ember
        >>> from ember.nn.utils import prune
        >>> class Odd(prune.BasePruningMethod):
        ...     PRUNING_TYPE = "unstructured"
        ...     def compute_mask(self, t, default_mask):
        ...         mask = default_mask.clone()
        ...         mask.view(-1)[1::2] = 0
        ...         return mask
        >>> m = Odd.apply(ember.nn.Linear(4, 1), "weight")
        >>> Odd().prune(ember.arange(1.0, 5.0))
        tensor([1., 0., 3., 0.])
    """

    _tensor_name: str  # set by apply (unset before, as torch)

    def __call__(self, module, inputs):
        """Recompute ``module.<name>`` as the masked original (run as a forward pre-hook)."""
        setattr(module, self._tensor_name, self.apply_mask(module))

    @abstractmethod
    def compute_mask(self, t, default_mask):
        """The mask for the importance scores ``t``, pruning on top of ``default_mask`` (same shape)."""

    def apply_mask(self, module):
        """``<name>_mask * <name>_orig`` of ``module`` (the mask cast to the parameter's dtype).

        Example:
            >>> import ember
            >>> from ember.nn.utils import prune
            >>> m = prune.custom_from_mask(ember.nn.Linear(2, 2), "bias", ember.tensor([0, 1]))
            >>> hook = next(iter(m._forward_pre_hooks.values()))
            >>> bool((hook.apply_mask(m) == m.bias_orig * ember.tensor([0.0, 1.0])).all())
            True
        """
        if self._tensor_name is None:
            raise AssertionError(f"Module {module} has to be pruned")
        mask = getattr(module, self._tensor_name + "_mask")
        orig = getattr(module, self._tensor_name + "_orig")
        return mask.to(dtype=orig.dtype) * orig

    @classmethod
    def apply(cls, module, name, *args, importance_scores=None, **kwargs):
        """Prune ``module.<name>`` with ``cls(*args, **kwargs)`` and install the reparametrisation.

        A parameter that is already pruned keeps its ``<name>_orig``; the new method joins the old
        one in a :class:`PruningContainer` and prunes only the part the old mask left. The mask is
        computed from ``importance_scores`` (same shape as the parameter) when given.

        Example:
            >>> import ember
            >>> from ember.nn.utils import prune
            >>> m = ember.nn.Linear(3, 2)
            >>> method = prune.RandomUnstructured.apply(m, "weight", amount=2)
            >>> type(method).__name__, int((m.weight_mask == 0).sum())
            ('RandomUnstructured', 2)
        """
        method = cls._composite_method(module, name, *args, **kwargs)
        orig = getattr(module, name)
        if importance_scores is None:
            importance_scores = orig
        elif importance_scores.shape != orig.shape:
            raise AssertionError(f"importance_scores should have the same shape as parameter {name} of "
                                 f"{module}, got {importance_scores.shape} vs {orig.shape}")
        first = not isinstance(method, PruningContainer)
        if first:
            module.register_parameter(name + "_orig", orig)
            del module._parameters[name]
            default_mask = ones_like(orig)
        else:
            default_mask = getattr(module, name + "_mask").detach().clone()
        try:
            module.register_buffer(name + "_mask", method.compute_mask(importance_scores, default_mask=default_mask))
            setattr(module, name, method.apply_mask(module))
            module.register_forward_pre_hook(method)
        except Exception:
            if first:  # put the parameter back where it was
                module.register_parameter(name, module._parameters.pop(name + "_orig"))
            raise
        return method

    @classmethod
    def _composite_method(cls, module, name, *args, **kwargs):
        """A new ``cls`` method for ``name``, merged with the pruning hook already there (which is removed)."""
        old = _pruning_hooks(module, name)
        if len(old) > 1:
            raise AssertionError(f"Avoid adding multiple pruning hooks to the same tensor {name} of module "
                                 f"{module}. Use a PruningContainer.")
        method = cls(*args, **kwargs)
        method._tensor_name = name
        if not old:
            return method
        key, previous = old[0]
        del module._forward_pre_hooks[key]
        container = previous if isinstance(previous, PruningContainer) else PruningContainer(previous)
        container.add_pruning_method(method)
        return container

    def prune(self, t, default_mask=None, importance_scores=None):
        """``t`` times the mask this method computes (from ``importance_scores`` when given).

        Example:
            >>> import ember
            >>> from ember.nn.utils import prune
            >>> prune.L1Unstructured(amount=1).prune(ember.tensor([3.0, -1.0, 2.0]))
            tensor([3., -0., 2.])
        """
        if importance_scores is None:
            importance_scores = t
        elif importance_scores.shape != t.shape:
            raise AssertionError(f"importance_scores should have the same shape as tensor t, "
                                 f"got {importance_scores.shape} vs {t.shape}")
        if default_mask is None:
            default_mask = ones_like(t)
        return t * self.compute_mask(importance_scores, default_mask=default_mask)

    def remove(self, module):
        """Make the pruning of ``module.<name>`` permanent: ``<name>`` becomes the masked parameter again.

        Example:
            >>> import ember
            >>> from ember.nn.utils import prune
            >>> m = ember.nn.Linear(2, 2)
            >>> prune.Identity.apply(m, "weight").remove(m)
            >>> [n for n, _ in m.named_parameters()], list(m.buffers())
            (['bias', 'weight'], [])
        """
        if self._tensor_name is None:
            raise AssertionError(f"Module {module} has to be pruned before pruning can be removed")
        name = self._tensor_name
        weight = self.apply_mask(module)
        if hasattr(module, name):
            delattr(module, name)
        orig = module._parameters.pop(name + "_orig")
        orig.data = weight.data
        del module._buffers[name + "_mask"]
        setattr(module, name, orig)


class PruningContainer(BasePruningMethod):
    """The sequence of pruning methods applied to one parameter (iterative pruning).

    Its mask is the last method's mask computed on what the previous mask kept: the unpruned
    entries (``"unstructured"``), the unpruned channels along the method's ``dim``
    (``"structured"``) or the whole tensor (``"global"``).

    Example:
        >>> import ember
        >>> from ember.nn.utils import prune
        >>> m = prune.l1_unstructured(ember.nn.Linear(4, 1), "weight", amount=1)
        >>> m = prune.l1_unstructured(m, "weight", amount=1)
        >>> c = m._forward_pre_hooks[next(iter(m._forward_pre_hooks))]
        >>> type(c).__name__, len(c), int(m.weight_mask.sum())
        ('PruningContainer', 2, 2)
    """

    def __init__(self, *args):
        self._pruning_methods = ()
        if len(args) == 1:
            self._tensor_name = args[0]._tensor_name
        for method in args:
            self.add_pruning_method(method)

    def add_pruning_method(self, method):
        """Append ``method`` (a :class:`BasePruningMethod` acting on the same parameter name).

        Example:
            >>> from ember.nn.utils import prune
            >>> first, second = prune.Identity(), prune.L1Unstructured(amount=1)
            >>> first._tensor_name = second._tensor_name = "weight"
            >>> c = prune.PruningContainer(first); c.add_pruning_method(second); len(c)
            2
        """
        if not isinstance(method, BasePruningMethod) and method is not None:
            raise TypeError(f"{type(method)} is not a BasePruningMethod subclass")
        if method is not None and self._tensor_name != method._tensor_name:
            raise ValueError(f"Can only add pruning methods acting on the parameter named '{self._tensor_name}' "
                             f"to PruningContainer {self}. Found '{method._tensor_name}'")
        self._pruning_methods += (method,)

    def __len__(self):
        return len(self._pruning_methods)

    def __iter__(self):
        return iter(self._pruning_methods)

    def __getitem__(self, idx):
        return self._pruning_methods[idx]

    def compute_mask(self, t, default_mask):
        """``default_mask`` with the last method's mask computed on the part of ``t`` it left unpruned.

        Example:
            >>> import ember
            >>> from ember.nn.utils import prune
            >>> method = prune.L1Unstructured(amount=1); method._tensor_name = "weight"
            >>> c = prune.PruningContainer(method)
            >>> c.compute_mask(ember.tensor([1.0, 2.0, 3.0]), ember.tensor([0.0, 1.0, 1.0]))
            tensor([0., 0., 1.])
        """
        method = self._pruning_methods[-1]
        kept = self._unpruned_part(method, t, default_mask)
        mask = default_mask.to(dtype=t.dtype)
        mask[kept] = method.compute_mask(t[kept], default_mask=default_mask[kept]).to(dtype=mask.dtype)
        return mask

    @staticmethod
    def _unpruned_part(method, t, mask):
        """The index of the part of ``t`` that ``method`` prunes, given the previous ``mask``."""
        kind = method.PRUNING_TYPE
        if kind == "unstructured":
            return mask == 1
        if kind == "global":
            return (slice(None),) * t.ndim
        if kind != "structured":
            raise ValueError(f"Unrecognized PRUNING_TYPE {kind}")
        if not hasattr(method, "dim"):
            raise AttributeError('Pruning methods of PRUNING_TYPE "structured" need to have the attribute '
                                 "`dim` defined.")
        n_dims = t.ndim
        dim = method.dim + n_dims if method.dim < 0 else method.dim
        if dim < 0:
            raise IndexError(f"Index is out of bounds for tensor with dimensions {n_dims}")
        keep_channel = mask.sum(dim=[d for d in range(n_dims) if d != dim]) != 0
        return (slice(None),) * dim + (keep_channel,)


class Identity(BasePruningMethod):
    """The pruning reparametrisation with a mask of ones (prunes nothing).

    Example:
        >>> import ember
        >>> from ember.nn.utils import prune
        >>> prune.Identity().compute_mask(ember.zeros(2), ember.ones(2))
        tensor([1., 1.])
    """

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        return default_mask


class _AmountMethod(BasePruningMethod):
    """A pruning method taking torch's ``amount``: an ``int`` count or a ``float`` fraction in [0, 1]."""

    def __init__(self, amount):
        _validate_pruning_amount_init(amount)
        self.amount = amount

    def _to_prune(self, size):
        """How many of ``size`` units to prune (validated against ``size``)."""
        n = _compute_nparams_toprune(self.amount, size)
        _validate_pruning_amount(n, size)
        return n


class _UnstructuredAmount(_AmountMethod):
    """Zero ``amount`` of the unpruned entries: the ``topk`` of ``_scores(t)`` (the largest when ``_largest``)."""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        n = self._to_prune(t.numel())
        mask = default_mask.clone()
        if n != 0:
            mask.view(-1)[self._scores(t).reshape(-1).topk(n, largest=self._largest).indices] = 0
        return mask


class RandomUnstructured(_UnstructuredAmount):
    """Prune ``amount`` of the unpruned entries at random (torch's draws: ``rand_like`` then ``topk``).

    Example:
        >>> import ember
        >>> from ember.nn.utils import prune
        >>> int((prune.RandomUnstructured(amount=0.5).compute_mask(ember.ones(4), ember.ones(4)) == 0).sum())
        2
    """

    _largest = True

    @staticmethod
    def _scores(t):
        return rand_like(t)


class L1Unstructured(_UnstructuredAmount):
    """Prune ``amount`` of the unpruned entries with the smallest absolute value.

    Example:
        >>> import ember
        >>> from ember.nn.utils import prune
        >>> prune.L1Unstructured(amount=2).compute_mask(ember.tensor([3.0, -1.0, 0.5, 2.0]), ember.ones(4))
        tensor([1., 0., 0., 1.])
    """

    _largest = False

    @staticmethod
    def _scores(t):
        return t.abs()


class _StructuredAmount(_AmountMethod):
    """Prune ``amount`` of the channels along ``dim``: the mask keeps the channels ``_kept`` selects."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, dim=-1):
        super().__init__(amount)
        self.dim = dim

    def compute_mask(self, t, default_mask):
        if t.ndim <= 1:
            raise ValueError("Structured pruning can only be applied to multidimensional tensors. Found tensor "
                             f"of shape {t.shape} with {t.ndim} dims")
        if self.dim >= t.ndim:
            raise IndexError(f"Invalid index {self.dim} for tensor of size {t.shape}")
        size = t.shape[self.dim]
        n = self._to_prune(size)
        if n == 0:
            return default_mask
        mask = zeros_like(t)
        mask[(slice(None),) * (self.dim % t.ndim) + (self._kept(t, size, n),)] = 1
        mask *= default_mask.to(dtype=mask.dtype)
        return mask


class RandomStructured(_StructuredAmount):
    """Prune ``amount`` of the unpruned channels along ``dim`` at random (torch's draws: ``rand`` then ``kthvalue``).

    Example:
        >>> import ember
        >>> from ember.nn.utils import prune
        >>> mask = prune.RandomStructured(amount=1, dim=1).compute_mask(ember.ones(2, 3), ember.ones(2, 3))
        >>> (mask.sum(0) == 0).sum().item()
        1
    """

    def _kept(self, t, size, n):
        """A boolean mask of the ``size - n`` channels kept: torch's draw, ``rand(size)`` above its ``n``-th value."""
        prob = rand(size)
        return (prob > prob.kthvalue(n).values).to(device=t.device)


class LnStructured(_StructuredAmount):
    """Prune ``amount`` of the unpruned channels along ``dim`` with the smallest ``n``-norm (``p`` of :func:`ember.norm`).

    Example:
        >>> import ember
        >>> from ember.nn.utils import prune
        >>> t = ember.tensor([[1.0, -4.0, 2.0], [1.0, 0.0, -2.0]])
        >>> prune.LnStructured(amount=1, n=1, dim=1).compute_mask(t, ember.ones(2, 3))
        tensor([[0., 1., 1.],
                [0., 1., 1.]])
    """

    def __init__(self, amount, n, dim=-1):
        super().__init__(amount, dim)
        self.n = n

    def _kept(self, t, size, n):
        """The indices of the ``size - n`` channels with the largest norm."""
        dim = self.dim % t.ndim
        norm = t.norm(p=self.n, dim=[d for d in range(t.ndim) if d != dim])
        return norm.topk(size - n, largest=True).indices


class CustomFromMask(BasePruningMethod):
    """Prune with a given ``mask`` (multiplied into the mask already there).

    Example:
        >>> import ember
        >>> from ember.nn.utils import prune
        >>> prune.CustomFromMask(ember.tensor([1, 0])).compute_mask(ember.zeros(2), ember.ones(2))
        tensor([1., 0.])
    """

    PRUNING_TYPE = "global"

    def __init__(self, mask):
        self.mask = mask

    def compute_mask(self, t, default_mask):
        if default_mask.shape != self.mask.shape:
            raise AssertionError(f"default_mask shape {default_mask.shape} must match self.mask shape {self.mask.shape}")
        return default_mask * self.mask.to(dtype=default_mask.dtype)


def identity(module, name):
    """Add the pruning reparametrisation of ``module.<name>`` with a mask of ones; returns ``module``.

    Example:
        >>> import ember
        >>> from ember.nn.utils import prune
        >>> prune.identity(ember.nn.Linear(2, 3), "bias").bias_mask
        tensor([1., 1., 1.])
    """
    Identity.apply(module, name)
    return module


def random_unstructured(module, name, amount):
    """Prune ``amount`` (count or fraction) of the unpruned entries of ``module.<name>`` at random; returns ``module``.

    Example:
        >>> import ember
        >>> from ember.nn.utils import prune
        >>> m = prune.random_unstructured(ember.nn.Linear(2, 3), "weight", amount=1)
        >>> ember.sum(m.weight_mask == 0)
        tensor(1)
    """
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module, name, amount, importance_scores=None):
    """Prune the ``amount`` unpruned entries of ``module.<name>`` (or of ``importance_scores``) smallest in absolute value.

    Example:
        >>> import ember
        >>> from ember.nn.utils import prune
        >>> m = prune.l1_unstructured(ember.nn.Linear(2, 3), "weight", amount=0.2)
        >>> m.state_dict().keys()
        odict_keys(['bias', 'weight_orig', 'weight_mask'])
    """
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module, name, amount, dim):
    """Prune ``amount`` of the unpruned channels of ``module.<name>`` along ``dim`` at random; returns ``module``.

    Example:
        >>> import ember
        >>> from ember.nn.utils import prune
        >>> m = prune.random_structured(ember.nn.Linear(5, 3), "weight", amount=3, dim=1)
        >>> int((m.weight.sum(0) == 0).sum())
        3
    """
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module, name, amount, n, dim, importance_scores=None):
    """Prune the ``amount`` unpruned channels of ``module.<name>`` along ``dim`` with the smallest ``n``-norm.

    Example:
        >>> import ember
        >>> from ember.nn.utils import prune
        >>> m = prune.ln_structured(ember.nn.Conv2d(5, 3, 2), "weight", amount=0.4, n=float("-inf"), dim=1)
        >>> int((m.weight_mask.sum((0, 2, 3)) == 0).sum())
        2
    """
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs):
    """Prune the ``(module, name)`` ``parameters`` together with an unstructured ``pruning_method(**kwargs)``.

    The scores of all the parameters (``importance_scores[(module, name)]`` where given) are
    pooled, the method picks what to prune among their unpruned entries, and each parameter
    gets its slice of the mask through :func:`custom_from_mask`.

    Example:
        >>> import ember, ember.nn as nn
        >>> from ember.nn.utils import prune
        >>> net = nn.Sequential(nn.Linear(10, 4), nn.Linear(4, 1))
        >>> prune.global_unstructured([(net[0], "weight"), (net[1], "weight")],
        ...                           pruning_method=prune.L1Unstructured, amount=10)
        >>> sum(nn.utils.parameters_to_vector(net.buffers()) == 0)
        tensor(10)
    """
    if not isinstance(parameters, Iterable):
        raise TypeError("global_unstructured(): parameters is not an Iterable")
    if importance_scores is None:
        importance_scores = {}
    if not isinstance(importance_scores, dict):
        raise TypeError("global_unstructured(): importance_scores must be of type dict")
    parameters = list(parameters)
    scores = parameters_to_vector([importance_scores.get((m, n), getattr(m, n)) for m, n in parameters])
    default_mask = parameters_to_vector([getattr(m, n + "_mask") if hasattr(m, n + "_mask")
                                         else ones_like(getattr(m, n)) for m, n in parameters])
    method = pruning_method(**kwargs)
    method._tensor_name = "temp"
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError('Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. '
                        f"Found method {pruning_method} of type {method.PRUNING_TYPE}")
    container = PruningContainer(method)
    final_mask = container.compute_mask(scores, default_mask)
    start = 0
    for module, name in parameters:
        param = getattr(module, name)
        custom_from_mask(module, name, mask=final_mask[start:start + param.numel()].view_as(param))
        start += param.numel()


def custom_from_mask(module, name, mask):
    """Prune ``module.<name>`` with the given binary ``mask``; returns ``module``.

    Example:
        >>> import ember
        >>> from ember.nn.utils import prune
        >>> prune.custom_from_mask(ember.nn.Linear(5, 3), name="bias", mask=ember.tensor([0, 1, 0])).bias_mask
        tensor([0., 1., 0.])
    """
    CustomFromMask.apply(module, name, mask)
    return module


def remove(module, name):
    """Make the pruning of ``module.<name>`` permanent and drop its hook, ``<name>_orig`` and ``<name>_mask``.

    Example:
        >>> import ember
        >>> from ember.nn.utils import prune
        >>> m = prune.remove(prune.random_unstructured(ember.nn.Linear(5, 7), "weight", amount=0.2), "weight")
        >>> sorted(m.state_dict()), prune.is_pruned(m)
        (['bias', 'weight'], False)
    """
    for key, hook in _pruning_hooks(module, name):
        hook.remove(module)
        del module._forward_pre_hooks[key]
        return module
    raise ValueError(f"Parameter '{name}' of module {module} has to be pruned before pruning can be removed")


def is_pruned(module):
    """Whether ``module`` or one of its submodules has a pruning pre-hook.

    Example:
        >>> import ember
        >>> from ember.nn.utils import prune
        >>> m = ember.nn.Linear(5, 7)
        >>> prune.is_pruned(m), prune.is_pruned(prune.identity(m, "weight"))
        (False, True)
    """
    return any(isinstance(hook, BasePruningMethod)
               for sub in module.modules() for hook in sub._forward_pre_hooks.values())


def _validate_pruning_amount_init(amount):
    """Raise torch's errors for an ``amount`` that is not a non-negative int or a float in [0, 1]."""
    if not isinstance(amount, numbers.Real):
        raise TypeError(f"Invalid type for amount: {amount}. Must be int or float.")
    integral = isinstance(amount, numbers.Integral)
    if (integral and amount < 0) or (not integral and not 0.0 <= float(amount) <= 1.0):
        raise ValueError(f"amount={amount} should either be a float in the range [0, 1] or a non-negative integer")


def _validate_pruning_amount(amount, tensor_size):
    """Raise torch's error for an integer ``amount`` larger than ``tensor_size``."""
    if isinstance(amount, numbers.Integral) and amount > tensor_size:
        raise ValueError(f"amount={amount} should be smaller than the number of parameters to prune={tensor_size}")


def _compute_nparams_toprune(amount, tensor_size):
    """``amount`` as a count: itself for an int, ``round(amount * tensor_size)`` for a fraction."""
    return amount if isinstance(amount, numbers.Integral) else round(amount * tensor_size)
