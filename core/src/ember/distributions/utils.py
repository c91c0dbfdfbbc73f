"""Helpers shared by the distributions: parameter broadcasting, probs/logits conversion,
lazily computed attributes, and the vectorised samplers' building blocks.
"""

from __future__ import annotations

import numbers

import ember

from .._tensor import Size, Tensor


def broadcast_all(*values):
    """Numbers and tensors as tensors of one broadcast shape (numbers take the tensors' dtype).

    Example:
        >>> import ember
        >>> from ember.distributions.utils import broadcast_all
        >>> [tuple(v.shape) for v in broadcast_all(ember.zeros(2, 1), 1.0, ember.ones(3))]
        [(2, 3), (2, 3), (2, 3)]
    """
    like = next((v for v in values if isinstance(v, Tensor)), None)
    for v in values:
        if not isinstance(v, (Tensor, numbers.Number)):
            raise ValueError("Input arguments must all be instances of numbers.Number, "
                             "ember.Tensor or objects implementing __torch_function__.")
    if like is None:
        tensors = [ember.tensor(float(v), dtype=ember.get_default_dtype()) for v in values]
    else:
        tensors = [v if isinstance(v, Tensor) else ember.tensor(v, dtype=like.dtype, device=like.device) for v in values]
    return ember.broadcast_tensors(*tensors)


class lazy_property:
    """A property computed on first access (with grad enabled) and then stored on the instance.

    Example:
        >>> from ember.distributions.utils import lazy_property
        >>> class A:
        ...     @lazy_property
        ...     def x(self):
        ...         return 42
        >>> a = A(); a.x, "x" in a.__dict__
        (42, True)
    """

    def __init__(self, wrapped):
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.__name__ = wrapped.__name__

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        with ember.enable_grad():
            value = self.wrapped(instance)
        instance.__dict__[self.__name__] = value
        return value


def clamp_probs(probs):
    """Probabilities clamped into ``[eps, 1 - eps]`` of their dtype.

    Example:
        >>> import ember
        >>> from ember.distributions.utils import clamp_probs
        >>> clamp_probs(ember.tensor([0.0, 1.0], dtype=ember.float64)).tolist()
        [2.220446049250313e-16, 0.9999999999999998]
    """
    eps = ember.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary=False):
    """Log-odds (binary) or log-probabilities (categorical) of clamped ``probs``.

    Example:
        >>> import ember
        >>> from ember.distributions.utils import probs_to_logits
        >>> probs_to_logits(ember.tensor([0.5]), is_binary=True)
        tensor([0.])
    """
    p = clamp_probs(probs)
    return p.log() - (-p).log1p() if is_binary else p.log()


def logits_to_probs(logits, is_binary=False):
    """Probabilities from log-odds (sigmoid) or from unnormalised log-probabilities (softmax).

    Example:
        >>> import ember
        >>> from ember.distributions.utils import logits_to_probs
        >>> logits_to_probs(ember.tensor([0.0, 0.0]))
        tensor([0.5000, 0.5000])
    """
    return logits.sigmoid() if is_binary else logits.softmax(-1)


def softplus(x):
    """``log(1 + exp(x))`` without overflow (private twin of nn.functional.softplus without threshold)."""
    return x.clamp(min=0) + (-x.abs()).exp().log1p()


def sum_rightmost(value, dim):
    """Sum the rightmost ``dim`` dimensions of ``value``."""
    return value.sum(tuple(range(-dim, 0))) if dim > 0 else value


def as_size(shape):
    return shape if isinstance(shape, Size) else Size(tuple(shape))


def uniform_like(shape, like, low=0.0, high=1.0):
    """Uniform samples on ``[low, high)`` of ``shape`` with ``like``'s dtype and device."""
    u = ember.rand(*shape, dtype=like.dtype, device=like.device)
    return u if (low, high) == (0.0, 1.0) else u * (high - low) + low


def normal_like(shape, like):
    """Standard normal samples of ``shape`` with ``like``'s dtype and device."""
    return ember.randn(*shape, dtype=like.dtype, device=like.device)


def clamp_value(x, low=None, high=None):
    """``x`` clamped in value, with the gradient of ``x`` passed straight through."""
    return x + (x.detach().clamp(min=low, max=high) - x.detach())


class ProbsOrLogits:
    """Mixin for distributions given by ``probs`` or ``logits``: the other is computed lazily.

    Subclasses set ``_binary`` (sigmoid/log-odds when True, softmax/log-probabilities when False).
    """

    _binary = True

    @staticmethod
    def _choose(probs, logits):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        return ("probs", probs) if probs is not None else ("logits", logits)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=self._binary)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=self._binary)

    @property
    def param_shape(self):
        return (self.__dict__["probs"] if "probs" in self.__dict__ else self.logits).shape
