"""Constraints: the sets parameters and samples live in, with a ``check`` that tests membership.

Instances (``real``, ``positive``, ``simplex``...) and parametrised classes (``interval``,
``greater_than``...) follow ``torch.distributions.constraints``.
"""

from __future__ import annotations

import ember

__all__ = [
    "Constraint", "boolean", "dependent", "dependent_property", "greater_than", "greater_than_eq",
    "half_open_interval", "independent", "integer_interval", "interval", "is_dependent", "less_than",
    "lower_cholesky", "lower_triangular", "nonnegative", "nonnegative_integer", "one_hot", "positive",
    "positive_definite", "positive_integer", "real", "real_vector", "simplex", "square", "symmetric",
    "unit_interval",
]


class Constraint:
    """A set of valid values; ``check(value)`` is a bool tensor over the batch dims.

    Attributes:
        is_discrete: whether the set is discrete.
        event_dim: how many rightmost dims form one event (checked together).

    Example:
        >>> import ember
        >>> from ember.distributions import constraints
        >>> constraints.positive.check(ember.tensor([1.0, -1.0]))
        tensor([ True, False])
    """

    is_discrete = False
    event_dim = 0

    def check(self, value):
        raise NotImplementedError

    def _params(self):
        return ""

    def __repr__(self):
        return f"{type(self).__name__.lstrip('_')}({self._params()})"


class _Dependent(Constraint):
    """A constraint that depends on other parameters; it cannot be checked on its own."""

    def __init__(self, *, is_discrete=NotImplemented, event_dim=NotImplemented):
        self._is_discrete = is_discrete
        self._event_dim = event_dim

    @property
    def is_discrete(self):
        if self._is_discrete is NotImplemented:
            raise NotImplementedError(".is_discrete cannot be determined statically")
        return self._is_discrete

    @property
    def event_dim(self):
        if self._event_dim is NotImplemented:
            raise NotImplementedError(".event_dim cannot be determined statically")
        return self._event_dim

    def __call__(self, *, is_discrete=NotImplemented, event_dim=NotImplemented):
        return _Dependent(is_discrete=is_discrete, event_dim=event_dim)

    def check(self, value):
        raise ValueError("Cannot determine validity of dependent constraint")


def is_dependent(constraint):
    """Whether ``constraint`` depends on other parameters (and so is skipped by validation).

    Example:
        >>> from ember.distributions import constraints
        >>> constraints.is_dependent(constraints.dependent), constraints.is_dependent(constraints.real)
        (True, False)
    """
    return isinstance(constraint, _Dependent)


class _DependentProperty(property, _Dependent):
    """A property that is also a dependent constraint (for ``support`` that depends on parameters).

    Example:
        >>> from ember.distributions import constraints
        >>> class D:
        ...     @constraints.dependent_property(is_discrete=False, event_dim=0)
        ...     def support(self):
        ...         return constraints.interval(0.0, 2.0)
        >>> D().support, D.support.event_dim
        (Interval(lower_bound=0.0, upper_bound=2.0), 0)
    """

    def __init__(self, fn=None, *, is_discrete=NotImplemented, event_dim=NotImplemented):
        property.__init__(self, fn)
        _Dependent.__init__(self, is_discrete=is_discrete, event_dim=event_dim)

    def __call__(self, fn):
        return _DependentProperty(fn, is_discrete=self._is_discrete, event_dim=self._event_dim)


class _IndependentConstraint(Constraint):
    """``base`` with its ``reinterpreted_batch_ndims`` rightmost batch dims made event dims.

    Example:
        >>> import ember
        >>> from ember.distributions import constraints
        >>> constraints.independent(constraints.positive, 1).check(ember.tensor([[1.0, 2.0], [1.0, -1.0]]))
        tensor([ True, False])
    """

    def __init__(self, base_constraint, reinterpreted_batch_ndims):
        self.base_constraint = base_constraint
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims

    @property
    def is_discrete(self):
        return self.base_constraint.is_discrete

    @property
    def event_dim(self):
        return self.base_constraint.event_dim + self.reinterpreted_batch_ndims

    def check(self, value):
        ok = self.base_constraint.check(value)
        n = self.reinterpreted_batch_ndims
        if ok.ndim < n:
            raise ValueError(f"Expected value.dim() >= {self.event_dim} but got {value.dim()}")
        return ok.reshape(tuple(ok.shape[:ok.ndim - n]) + (-1,)).all(-1) if n else ok

    def __repr__(self):
        return f"IndependentConstraint({self.base_constraint!r}, {self.reinterpreted_batch_ndims})"


def _elementwise(name, test, discrete=False, bounds=()):
    """A constraint class testing ``test(value, *bounds)`` elementwise."""

    def __init__(self, *args):
        for attr, v in zip(bounds, args):
            setattr(self, attr, v)

    def check(self, value):
        return test(value, *(getattr(self, b) for b in bounds))

    def _params(self):
        return ", ".join(f"{b}={getattr(self, b)}" for b in bounds)

    doc = f"The elementwise constraint ``{name.lstrip('_')}``."
    return type(name, (Constraint,), {"__init__": __init__, "check": check, "_params": _params,
                                      "is_discrete": discrete, "__doc__": doc})


def _is_integer(v):
    return v % 1 == 0


_Real = _elementwise("_Real", lambda v: v == v)  # not nan
_Boolean = _elementwise("_Boolean", lambda v: (v == 0) | (v == 1), discrete=True)
_GreaterThan = _elementwise("_GreaterThan", lambda v, lo: lo < v, bounds=("lower_bound",))
_GreaterThanEq = _elementwise("_GreaterThanEq", lambda v, lo: lo <= v, bounds=("lower_bound",))
_LessThan = _elementwise("_LessThan", lambda v, hi: v < hi, bounds=("upper_bound",))
_Interval = _elementwise("_Interval", lambda v, lo, hi: (lo <= v) & (v <= hi), bounds=("lower_bound", "upper_bound"))
_HalfOpenInterval = _elementwise("_HalfOpenInterval", lambda v, lo, hi: (lo <= v) & (v < hi),
                                 bounds=("lower_bound", "upper_bound"))
_IntegerGreaterThan = _elementwise("_IntegerGreaterThan", lambda v, lo: _is_integer(v) & (v >= lo),
                                   discrete=True, bounds=("lower_bound",))
_IntegerInterval = _elementwise("_IntegerInterval", lambda v, lo, hi: _is_integer(v) & (lo <= v) & (v <= hi),
                                discrete=True, bounds=("lower_bound", "upper_bound"))


class _Simplex(Constraint):
    """Nonnegative vectors summing to one (within 1e-6)."""

    event_dim = 1

    def check(self, value):
        return (value >= 0).all(-1) & ((value.sum(-1) - 1).abs() < 1e-6)


class _OneHot(Constraint):
    """Vectors of zeros with a single one."""

    is_discrete = True
    event_dim = 1

    def check(self, value):
        return ((value == 0) | (value == 1)).all(-1) & (value.sum(-1) == 1)


class _Square(Constraint):
    """Square matrices."""

    event_dim = 2

    def check(self, value):
        return ember.full(value.shape[:-2], value.shape[-1] == value.shape[-2], dtype=ember.bool, device=value.device)


class _Symmetric(_Square):
    """Symmetric matrices (within ``isclose`` tolerance)."""

    def check(self, value):
        if value.shape[-1] != value.shape[-2]:
            return super().check(value)
        return ember.isclose(value, value.mT, atol=1e-6).reshape(tuple(value.shape[:-2]) + (-1,)).all(-1)


class _LowerTriangular(Constraint):
    """Lower-triangular square matrices."""

    event_dim = 2

    def check(self, value):
        return (value.tril() == value).reshape(tuple(value.shape[:-2]) + (-1,)).all(-1)


class _LowerCholesky(_LowerTriangular):
    """Lower-triangular matrices with a positive diagonal."""

    def check(self, value):
        return super().check(value) & (value.diagonal(dim1=-2, dim2=-1) > 0).all(-1)


class _PositiveDefinite(_Symmetric):
    """Symmetric positive-definite matrices."""

    def check(self, value):
        sym = super().check(value)
        if value.shape[-1] != value.shape[-2]:
            return sym
        return sym & (ember.linalg.eigvalsh(value) > 0).all(-1)


dependent = _Dependent()
dependent_property = _DependentProperty
independent = _IndependentConstraint
boolean = _Boolean()
one_hot = _OneHot()
nonnegative_integer = _IntegerGreaterThan(0)
positive_integer = _IntegerGreaterThan(1)
integer_interval = _IntegerInterval
real = _Real()
real_vector = independent(real, 1)
positive = _GreaterThan(0.0)
nonnegative = _GreaterThanEq(0.0)
greater_than = _GreaterThan
greater_than_eq = _GreaterThanEq
less_than = _LessThan
unit_interval = _Interval(0.0, 1.0)
interval = _Interval
half_open_interval = _HalfOpenInterval
simplex = _Simplex()
square = _Square()
symmetric = _Symmetric()
lower_triangular = _LowerTriangular()
lower_cholesky = _LowerCholesky()
positive_definite = _PositiveDefinite()
