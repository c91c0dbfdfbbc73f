"""Constraints: the sets parameters and samples live in, with a ``check`` that tests membership.

Instances (``real``, ``positive``, ``simplex``...) and parametrised classes (``interval``,
``greater_than``...) follow ``torch.distributions.constraints``.
"""

from __future__ import annotations

import ember

__all__ = [
    "Constraint", "MixtureSameFamilyConstraint", "boolean", "cat", "corr_cholesky", "dependent",
    "dependent_property", "greater_than", "greater_than_eq", "half_open_interval", "independent",
    "integer_interval", "interval", "is_dependent", "less_than", "lower_cholesky", "lower_triangular",
    "multinomial", "nonnegative", "nonnegative_integer", "one_hot", "positive", "positive_definite",
    "positive_integer", "positive_semidefinite", "real", "real_vector", "simplex", "square", "stack",
    "symmetric", "unit_interval",
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
        if not isinstance(base_constraint, Constraint):
            raise AssertionError(f"base_constraint must be a Constraint, got {type(base_constraint).__name__}")
        if not isinstance(reinterpreted_batch_ndims, int) or reinterpreted_batch_ndims < 0:
            raise AssertionError(f"reinterpreted_batch_ndims must be an int >= 0, got {reinterpreted_batch_ndims!r}")
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


class MixtureSameFamilyConstraint(Constraint):
    """The support of a :class:`MixtureSameFamily`: ``base_constraint`` checked against every component.

    The value gets the component dim back (as a broadcast dim) before ``base_constraint`` checks it.

    Example:
        >>> import ember
        >>> from ember.distributions import constraints
        >>> constraints.MixtureSameFamilyConstraint(constraints.positive).check(ember.tensor([1.0, -1.0]))
        tensor([ True, False])
    """

    def __init__(self, base_constraint):
        if not isinstance(base_constraint, Constraint):
            raise AssertionError(f"base_constraint must be a Constraint, got {type(base_constraint).__name__}")
        self.base_constraint = base_constraint

    @property
    def is_discrete(self):
        return self.base_constraint.is_discrete

    @property
    def event_dim(self):
        return self.base_constraint.event_dim

    def check(self, value):
        ok = self.base_constraint.check(value.unsqueeze(-1 - self.event_dim))
        if value.dim() < self.event_dim:
            raise ValueError(f"Expected value.dim() >= {self.event_dim} but got {value.dim()}")
        return ok.reshape(tuple(ok.shape[:value.dim() - self.event_dim]) + (-1,)).all(-1)

    def __repr__(self):
        return f"MixtureSameFamilyConstraint({self.base_constraint!r})"


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


class _Multinomial(Constraint):
    """Nonnegative vectors summing to at most ``upper_bound`` (torch checks this weaker condition)."""

    is_discrete = True
    event_dim = 1

    def __init__(self, upper_bound):
        self.upper_bound = upper_bound

    def check(self, value):
        return (value >= 0).all(-1) & (value.sum(-1) <= self.upper_bound)


class _LowerTriangular(Constraint):
    """Lower-triangular square matrices."""

    event_dim = 2

    def check(self, value):
        return (value.tril() == value).reshape(tuple(value.shape[:-2]) + (-1,)).all(-1)


class _LowerCholesky(_LowerTriangular):
    """Lower-triangular matrices with a positive diagonal."""

    def check(self, value):
        return super().check(value) & (value.diagonal(dim1=-2, dim2=-1) > 0).all(-1)


class _CorrCholesky(_LowerCholesky):
    """Cholesky factors of correlation matrices: lower Cholesky with rows of unit length."""

    def check(self, value):
        tol = ember.finfo(value.dtype).eps * value.shape[-1] * 10
        unit_rows = ((ember.linalg.vector_norm(value.detach(), dim=-1) - 1).abs() <= tol).all(-1)
        return super().check(value) & unit_rows


class _PositiveSemidefinite(_Symmetric):
    """Symmetric matrices with nonnegative eigenvalues."""

    def check(self, value):
        sym = super().check(value)
        if not bool(sym.all()):
            return sym
        return (ember.linalg.eigvalsh(value) >= 0).all(-1)


class _PositiveDefinite(_Symmetric):
    """Symmetric positive-definite matrices (those with a Cholesky factorisation)."""

    def check(self, value):
        sym = super().check(value)
        if not bool(sym.all()):
            return sym
        return ember.linalg.cholesky_ex(value).info == 0


def _check_dim(dim, value):
    if not -value.dim() <= dim < value.dim():
        raise AssertionError(f"dim {dim} out of range for value with {value.dim()} dimensions")


class _Cat(Constraint):
    """``cseq[i]`` on the ``i``-th block (of ``lengths[i]`` entries) along ``dim``, as :func:`ember.cat` joins them.

    Example:
        >>> import ember
        >>> from ember.distributions import constraints
        >>> c = constraints.cat([constraints.positive, constraints.real], dim=0, lengths=[1, 2])
        >>> c.check(ember.tensor([-1.0, -2.0, 3.0]))
        tensor([False,  True,  True])
    """

    def __init__(self, cseq, dim=0, lengths=None):
        if not all(isinstance(c, Constraint) for c in cseq):
            raise AssertionError("All elements of cseq must be Constraint instances")
        self.cseq = list(cseq)
        self.lengths = [1] * len(self.cseq) if lengths is None else list(lengths)
        if len(self.lengths) != len(self.cseq):
            raise AssertionError(f"lengths ({len(self.lengths)}) must match cseq ({len(self.cseq)})")
        self.dim = dim

    @property
    def is_discrete(self):
        return any(c.is_discrete for c in self.cseq)

    @property
    def event_dim(self):
        return max(c.event_dim for c in self.cseq)

    def check(self, value):
        _check_dim(self.dim, value)
        checks, start = [], 0
        for c, length in zip(self.cseq, self.lengths, strict=True):
            checks.append(c.check(value.narrow(self.dim, start, length)))
            start += length
        return ember.cat(checks, self.dim)


class _Stack(Constraint):
    """``cseq[i]`` on the ``i``-th slice along ``dim``, as :func:`ember.stack` joins them.

    Example:
        >>> import ember
        >>> from ember.distributions import constraints
        >>> constraints.stack([constraints.positive, constraints.real], dim=1).check(ember.tensor([[-1.0, -2.0]]))
        tensor([[False,  True]])
    """

    def __init__(self, cseq, dim=0):
        if not all(isinstance(c, Constraint) for c in cseq):
            raise AssertionError("All elements of cseq must be Constraint instances")
        self.cseq = list(cseq)
        self.dim = dim

    @property
    def is_discrete(self):
        return any(c.is_discrete for c in self.cseq)

    @property
    def event_dim(self):
        dim = max(c.event_dim for c in self.cseq)
        return dim + 1 if self.dim + dim < 0 else dim

    def check(self, value):
        _check_dim(self.dim, value)
        slices = [value.select(self.dim, i) for i in range(value.shape[self.dim])]
        return ember.stack([c.check(v) for v, c in zip(slices, self.cseq, strict=False)], self.dim)


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
corr_cholesky = _CorrCholesky()
positive_semidefinite = _PositiveSemidefinite()
positive_definite = _PositiveDefinite()
multinomial = _Multinomial
cat = _Cat
stack = _Stack
