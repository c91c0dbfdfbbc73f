"""Invertible transforms with log-absolute-determinant Jacobians, for :class:`TransformedDistribution`."""

from __future__ import annotations

import math
import numbers

import ember

from .._tensor import Tensor
from . import constraints
from .utils import softplus, sum_rightmost

__all__ = ["Transform", "ComposeTransform", "ExpTransform", "AffineTransform", "SigmoidTransform",
           "TanhTransform", "PowerTransform", "AbsTransform", "identity_transform"]


def _same(a, b):
    if a is b:
        return True
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        a, b = ember.as_tensor(a), ember.as_tensor(b)
        return a.shape == b.shape and bool((a == b).all())
    return a == b


class Transform:
    """An invertible map ``y = t(x)`` with ``t.inv`` and ``log_abs_det_jacobian(x, y)``.

    Subclasses define ``_call``, ``_inverse``, ``log_abs_det_jacobian``, ``domain``, ``codomain``
    and, for monotone maps, ``sign``. ``cache_size=1`` remembers the last ``(x, y)`` pair so that
    ``t.inv(t(x))`` returns ``x`` itself.

    Example:
        >>> import ember
        >>> from ember.distributions.transforms import ExpTransform
        >>> t = ExpTransform(); t.inv(t(ember.tensor([0.0, 2.0])))
        tensor([0., 2.])
    """

    bijective = False
    domain = constraints.real
    codomain = constraints.real

    def __init__(self, cache_size=0):
        if cache_size not in (0, 1):
            raise ValueError("cache_size must be 0 or 1")
        self._cache_size = cache_size
        self._cached = (None, None)

    def __call__(self, x):
        if self._cache_size and x is self._cached[0]:
            return self._cached[1]
        y = self._call(x)
        if self._cache_size:
            self._cached = (x, y)
        return y

    def _inv_call(self, y):
        if self._cache_size and y is self._cached[1]:
            return self._cached[0]
        x = self._inverse(y)
        if self._cache_size:
            self._cached = (x, y)
        return x

    @property
    def inv(self):
        """The inverse transform."""
        return _InverseTransform(self)

    @property
    def event_dim(self):
        return self.domain.event_dim

    @property
    def sign(self):
        raise NotImplementedError

    def _key(self):
        return ()

    def __eq__(self, other):
        return type(self) is type(other) and all(_same(a, b) for a, b in zip(self._key(), other._key()))

    __hash__ = object.__hash__

    def forward_shape(self, shape):
        return shape

    def inverse_shape(self, shape):
        return shape

    def _call(self, x):
        raise NotImplementedError

    def _inverse(self, y):
        raise NotImplementedError

    def log_abs_det_jacobian(self, x, y):
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}()"


class _InverseTransform(Transform):
    """The inverse of a transform (its ``inv`` gives the original back)."""

    def __init__(self, transform):
        super().__init__(transform._cache_size)
        self._inv = transform

    @property
    def inv(self):
        return self._inv

    @property
    def domain(self):
        return self._inv.codomain

    @property
    def codomain(self):
        return self._inv.domain

    @property
    def bijective(self):
        return self._inv.bijective

    @property
    def sign(self):
        return self._inv.sign

    def __call__(self, x):
        return self._inv._inv_call(x)

    def _key(self):
        return (self._inv,)

    def log_abs_det_jacobian(self, x, y):
        return -self._inv.log_abs_det_jacobian(y, x)

    def forward_shape(self, shape):
        return self._inv.inverse_shape(shape)

    def inverse_shape(self, shape):
        return self._inv.forward_shape(shape)

    def __repr__(self):
        return f"{self._inv!r}.inv"


class ComposeTransform(Transform):
    """``parts`` applied in order (the empty composition is the identity).

    Example:
        >>> import ember
        >>> from ember.distributions.transforms import AffineTransform, ComposeTransform, ExpTransform
        >>> ComposeTransform([AffineTransform(1.0, 2.0), ExpTransform()])(ember.tensor(0.0))
        tensor(2.7183)
    """

    def __init__(self, parts, cache_size=0):
        super().__init__(cache_size)
        self.parts = list(parts)

    def _key(self):
        return (len(self.parts), *self.parts)

    @property
    def event_dim(self):
        return max((p.domain.event_dim for p in self.parts), default=0)

    def _lift(self, constraint):
        extra = self.event_dim - constraint.event_dim
        return constraints.independent(constraint, extra) if extra > 0 else constraint

    @property
    def domain(self):
        return self._lift(self.parts[0].domain) if self.parts else constraints.real

    @property
    def codomain(self):
        return self._lift(self.parts[-1].codomain) if self.parts else constraints.real

    @property
    def bijective(self):
        return all(p.bijective for p in self.parts)

    @property
    def sign(self):
        s = 1
        for p in self.parts:
            s = s * p.sign
        return s

    @property
    def inv(self):
        return ComposeTransform([p.inv for p in reversed(self.parts)], self._cache_size)

    def _call(self, x):
        for p in self.parts:
            x = p(x)
        return x

    def _inverse(self, y):
        for p in reversed(self.parts):
            y = p.inv(y)
        return y

    def log_abs_det_jacobian(self, x, y):
        if not self.parts:
            return ember.zeros_like(x)
        total = 0
        for p in self.parts:
            y = p(x)
            total = total + sum_rightmost(p.log_abs_det_jacobian(x, y), self.event_dim - p.domain.event_dim)
            x = y
        return total

    def forward_shape(self, shape):
        for p in self.parts:
            shape = p.forward_shape(shape)
        return shape

    def inverse_shape(self, shape):
        for p in reversed(self.parts):
            shape = p.inverse_shape(shape)
        return shape

    def __repr__(self):
        inner = ",\n    ".join(repr(p) for p in self.parts)
        return f"{type(self).__name__}(\n    {inner}\n)"


identity_transform = ComposeTransform([])


class ExpTransform(Transform):
    """``y = exp(x)``.

    Example:
        >>> import ember
        >>> from ember.distributions.transforms import ExpTransform
        >>> ExpTransform().log_abs_det_jacobian(ember.tensor(2.0), None)
        tensor(2.)
    """

    codomain = constraints.positive
    bijective = True
    sign = 1

    def _call(self, x):
        return x.exp()

    def _inverse(self, y):
        return y.log()

    def log_abs_det_jacobian(self, x, y):
        return x


class SigmoidTransform(Transform):
    """``y = 1 / (1 + exp(-x))``, kept inside ``(0, 1)`` at float precision.

    Example:
        >>> import ember
        >>> from ember.distributions.transforms import SigmoidTransform
        >>> SigmoidTransform().inv(ember.tensor(0.5))
        tensor(0.)
    """

    codomain = constraints.unit_interval
    bijective = True
    sign = 1

    def _call(self, x):
        info = ember.finfo(x.dtype)
        return x.sigmoid().clamp(min=info.tiny, max=1 - info.eps)

    def _inverse(self, y):
        info = ember.finfo(y.dtype)
        y = y.clamp(min=info.tiny, max=1 - info.eps)
        return y.log() - (-y).log1p()

    def log_abs_det_jacobian(self, x, y):
        return -softplus(-x) - softplus(x)


class TanhTransform(Transform):
    """``y = tanh(x)``.

    Example:
        >>> import ember
        >>> from ember.distributions.transforms import TanhTransform
        >>> TanhTransform().log_abs_det_jacobian(ember.tensor(0.0), None)
        tensor(0.)
    """

    codomain = constraints.interval(-1.0, 1.0)
    bijective = True
    sign = 1

    def _call(self, x):
        return x.tanh()

    def _inverse(self, y):
        return y.atanh()

    def log_abs_det_jacobian(self, x, y):
        return 2.0 * (math.log(2.0) - x - softplus(-2.0 * x))


class AffineTransform(Transform):
    """``y = loc + scale * x``; ``event_dim`` rightmost dims form one event (their Jacobians add up).

    Example:
        >>> import ember
        >>> from ember.distributions.transforms import AffineTransform
        >>> t = AffineTransform(1.0, -2.0); t(ember.tensor(3.0)), t.sign
        (tensor(-5.), -1)
    """

    bijective = True

    def __init__(self, loc, scale, event_dim=0, cache_size=0):
        super().__init__(cache_size)
        self.loc, self.scale, self._event_dim = loc, scale, event_dim

    def _key(self):
        return (self.loc, self.scale, self._event_dim)

    @property
    def event_dim(self):
        return self._event_dim

    @property
    def domain(self):
        return constraints.independent(constraints.real, self._event_dim) if self._event_dim else constraints.real

    codomain = domain

    @property
    def sign(self):
        if isinstance(self.scale, numbers.Real):
            return 1 if float(self.scale) > 0 else -1 if float(self.scale) < 0 else 0
        return self.scale.sign()

    def _call(self, x):
        return self.loc + self.scale * x

    def _inverse(self, y):
        return (y - self.loc) / self.scale

    def log_abs_det_jacobian(self, x, y):
        scale = self.scale
        if isinstance(scale, numbers.Real):
            result = ember.full_like(x, math.log(abs(scale)))
        else:
            result = scale.abs().log().expand(ember.broadcast_shapes(scale.shape, x.shape))
        return sum_rightmost(result, self._event_dim)


class AbsTransform(Transform):
    """``y = |x|`` (not bijective: the inverse picks the nonnegative preimage).

    Example:
        >>> import ember
        >>> from ember.distributions.transforms import AbsTransform
        >>> t = AbsTransform(); t(ember.tensor([-2.0, 3.0])), t.inv(ember.tensor(2.0))
        (tensor([2., 3.]), tensor(2.))
    """

    codomain = constraints.positive

    def _call(self, x):
        return x.abs()

    def _inverse(self, y):
        return y


class PowerTransform(Transform):
    """``y = x ** exponent`` on positive numbers.

    Example:
        >>> import ember
        >>> from ember.distributions.transforms import PowerTransform
        >>> PowerTransform(2.0)(ember.tensor(3.0))
        tensor(9.)
    """

    domain = constraints.positive
    codomain = constraints.positive
    bijective = True

    def __init__(self, exponent, cache_size=0):
        super().__init__(cache_size)
        self.exponent = exponent

    def _key(self):
        return (self.exponent,)

    @property
    def sign(self):
        e = self.exponent
        return (1 if e > 0 else -1) if isinstance(e, numbers.Real) else e.sign()

    def _call(self, x):
        return x.pow(self.exponent)

    def _inverse(self, y):
        return y.pow(1 / self.exponent)

    def log_abs_det_jacobian(self, x, y):
        return (self.exponent * y / x).abs().log()
