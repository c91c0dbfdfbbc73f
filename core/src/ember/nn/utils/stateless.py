"""``functional_call`` under its pre-2.0 home (deprecated in torch: use :func:`ember.func.functional_call`)."""

from __future__ import annotations

import warnings

from ...func._functional_call import functional_call as _functional_call

__all__ = ["functional_call"]


def functional_call(module, parameters_and_buffers, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """Call ``module`` with ``parameters_and_buffers`` swapped in; warns that it moved to ``ember.func``.

    Example:
        >>> import warnings, ember
        >>> from ember.nn.utils.stateless import functional_call
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     m = ember.nn.Linear(1, 1)
        ...     functional_call(m, {"weight": ember.ones(1, 1), "bias": ember.ones(1)}, ember.ones(1))
        tensor([2.])
    """
    warnings.warn("`ember.nn.utils.stateless.functional_call` is deprecated (as in PyTorch 2.0) and will be removed in "
                  "a future version. Please use `ember.func.functional_call` instead which is a drop-in "
                  "replacement.", FutureWarning, stacklevel=2)
    if not isinstance(parameters_and_buffers, dict):
        raise TypeError(f"parameters_and_buffers must be a dict, got {type(parameters_and_buffers).__name__}")
    return _functional_call(module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict)
