"""Registries from constraints to transforms onto them: ``biject_to(c)`` gives a bijection from
unconstrained space onto ``c`` (for HMC-style samplers), ``transform_to(c)`` any transform onto ``c``
(for optimising a constrained parameter through an unconstrained one).

Example:
    >>> import ember
    >>> from ember.distributions import biject_to, constraints
    >>> t = biject_to(constraints.interval(-1.0, 1.0)); t(ember.tensor([0.0, 30.0]))
    tensor([0.0000, 1.0000])
"""

from __future__ import annotations

import numbers

from . import constraints, transforms

__all__ = ["ConstraintRegistry", "biject_to", "transform_to"]


class ConstraintRegistry:
    """A table from :class:`~ember.distributions.constraints.Constraint` subclasses to factories
    ``factory(constraint) -> Transform``; calling the registry with a constraint builds its transform.

    Example:
        >>> import ember
        >>> from ember.distributions import constraints, transforms
        >>> from ember.distributions.constraint_registry import ConstraintRegistry
        >>> registry = ConstraintRegistry()
        >>> @registry.register(constraints.positive)
        ... def _(constraint):
        ...     return transforms.SoftplusTransform()
        >>> registry(constraints.positive)
        SoftplusTransform()
    """

    def __init__(self):
        self._registry = {}

    def register(self, constraint, factory=None):
        """Register ``factory`` for ``constraint`` (a Constraint subclass, or an instance standing for its
        class); without ``factory`` this is a decorator.

        Example:
            >>> from ember.distributions import constraints, transforms
            >>> from ember.distributions.constraint_registry import ConstraintRegistry
            >>> r = ConstraintRegistry(); _ = r.register(constraints.simplex, lambda c: transforms.SoftmaxTransform())
            >>> r(constraints.simplex)
            SoftmaxTransform()
        """
        if factory is None:
            return lambda factory: self.register(constraint, factory)
        if isinstance(constraint, constraints.Constraint):
            constraint = type(constraint)
        if not isinstance(constraint, type) or not issubclass(constraint, constraints.Constraint):
            raise TypeError(f"Expected constraint to be either a Constraint subclass or instance, but got {constraint}")
        self._registry[constraint] = factory
        return factory

    def __call__(self, constraint):
        """The transform from unconstrained space onto ``constraint``.

        Example:
            >>> import ember
            >>> from ember.distributions import constraints, transform_to
            >>> transform_to(constraints.simplex)(ember.zeros(2))
            tensor([0.5000, 0.5000])
        """
        try:
            factory = self._registry[type(constraint)]
        except KeyError:
            raise NotImplementedError(f"Cannot transform {type(constraint).__name__} constraints") from None
        return factory(constraint)


biject_to = ConstraintRegistry()
transform_to = ConstraintRegistry()
_BOTH = (biject_to, transform_to)


def _register(registries, *constraint_types):
    """Decorator: register a factory for each of ``constraint_types`` in each of ``registries``."""

    def decorate(factory):
        for registry in registries:
            for c in constraint_types:
                registry.register(c, factory)
        return factory

    return decorate


@_register(_BOTH, constraints.real)
def _to_real(constraint):
    return transforms.identity_transform


# positive / nonnegative are instances of these classes: they get exp shifted by a lower bound of 0
@_register(_BOTH, constraints.greater_than, constraints.greater_than_eq)
def _to_greater_than(constraint):
    return transforms.ComposeTransform([transforms.ExpTransform(),
                                        transforms.AffineTransform(constraint.lower_bound, 1)])


@_register(_BOTH, constraints.less_than)
def _to_less_than(constraint):
    return transforms.ComposeTransform([transforms.ExpTransform(),
                                        transforms.AffineTransform(constraint.upper_bound, -1)])


@_register(_BOTH, constraints.interval, constraints.half_open_interval)
def _to_interval(constraint):
    lo, hi = constraint.lower_bound, constraint.upper_bound
    if isinstance(lo, numbers.Number) and lo == 0 and isinstance(hi, numbers.Number) and hi == 1:
        return transforms.SigmoidTransform()
    return transforms.ComposeTransform([transforms.SigmoidTransform(), transforms.AffineTransform(lo, hi - lo)])


@_register([biject_to], constraints.simplex)
def _biject_to_simplex(constraint):
    return transforms.StickBreakingTransform()


@_register([transform_to], constraints.simplex)
def _transform_to_simplex(constraint):
    return transforms.SoftmaxTransform()


@_register([transform_to], constraints.lower_cholesky)
def _to_lower_cholesky(constraint):
    return transforms.LowerCholeskyTransform()


@_register([transform_to], constraints.positive_definite, constraints.positive_semidefinite)
def _to_positive_definite(constraint):
    return transforms.PositiveDefiniteTransform()


@_register(_BOTH, constraints.corr_cholesky)
def _to_corr_cholesky(constraint):
    return transforms.CorrCholeskyTransform()


def _register_recursive(registry):
    """Constraints built from other constraints map to transforms built from the registry's transforms."""
    registry.register(constraints.independent, lambda c: transforms.IndependentTransform(
        registry(c.base_constraint), c.reinterpreted_batch_ndims))
    registry.register(constraints.cat, lambda c: transforms.CatTransform(
        [registry(part) for part in c.cseq], c.dim, c.lengths))
    registry.register(constraints.stack, lambda c: transforms.StackTransform(
        [registry(part) for part in c.cseq], c.dim))


for _registry in _BOTH:
    _register_recursive(_registry)
