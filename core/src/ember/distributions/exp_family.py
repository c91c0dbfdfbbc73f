"""The base class of exponential families, whose entropy follows from their log-normaliser."""

from __future__ import annotations

import ember

from .distribution import Distribution

__all__ = ["ExponentialFamily"]


class ExponentialFamily(Distribution):
    """Base of densities ``p(x; theta) = exp(<t(x), theta> - F(theta) + k(x))``.

    Subclasses give the natural parameters ``theta`` (``_natural_params``), the log-normaliser
    ``F`` (``_log_normalizer(*theta)``) and ``E[k(x)]`` (``_mean_carrier_measure``). The entropy is
    then ``F(theta) - <theta, grad F(theta)> - E[k(x)]`` (Nielsen and Nock, "Entropies and
    cross-entropies of exponential families", 2010), with ``grad F`` from autograd; the same terms
    give the Bregman-divergence KL between two members of one family (``kl_divergence``).

    Example:
        >>> import ember
        >>> from ember.distributions import Exponential, ExponentialFamily
        >>> d = Exponential(ember.tensor([0.5, 2.0]))
        >>> isinstance(d, ExponentialFamily), ExponentialFamily.entropy(d)
        (True, tensor([1.6931, 0.3069], grad_fn=<SubBackward0>))
    """

    @property
    def _natural_params(self):
        """The natural parameters ``theta``: a tuple of tensors."""
        raise NotImplementedError

    def _log_normalizer(self, *natural_params):
        """The log-normaliser ``F(theta)`` as a function of the natural parameters."""
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self):
        """The expected carrier measure ``E[k(x)]``."""
        raise NotImplementedError

    def entropy(self):
        """``F(theta) - <theta, grad F(theta)> - E[k(x)]``, with ``grad F`` by autograd.

        Example:
            >>> import ember
            >>> from ember.distributions import Normal, ExponentialFamily
            >>> ExponentialFamily.entropy(Normal(0.0, 1.0)).item() - Normal(0.0, 1.0).entropy().item() < 1e-6
            True
        """
        with ember.enable_grad():
            params = [p.detach().requires_grad_() for p in self._natural_params]
            log_norm = self._log_normalizer(*params)
            grads = ember.autograd.grad(log_norm.sum(), params, create_graph=True)
            result = log_norm - self._mean_carrier_measure
            for param, grad in zip(params, grads, strict=True):
                result = result - (param * grad).reshape(self._batch_shape + (-1,)).sum(-1)
        return result
