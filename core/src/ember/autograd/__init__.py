"""Automatic differentiation: the graph engine, grad modes and custom functions.

Example:
    >>> import ember
    >>> x = ember.tensor([2.0, 3.0], requires_grad=True)
    >>> y = (x ** 2 + 3 * x).sum(); y.backward(); x.grad
    tensor([7., 9.])
"""

from ._engine import RemovableHandle, backward, grad
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .node import Op

__all__ = ["backward", "grad", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
           "is_grad_enabled", "Op", "RemovableHandle"]

from ._gradcheck import GradcheckError, gradcheck, gradgradcheck  # noqa: E402

__all__ += ["gradcheck", "gradgradcheck", "GradcheckError"]
