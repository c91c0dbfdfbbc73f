"""Composable function transforms, like ``torch.func``: ``grad``, ``vjp``, ``jvp``, ``jacrev``, ``jacfwd``,
``hessian``, ``vmap`` and ``functional_call``.

Per-sample gradients of a model:

Example:
    >>> import ember
    >>> from ember.func import functional_call, grad, vmap
    >>> model = ember.nn.Linear(3, 1)
    >>> params = {k: v.detach() for k, v in model.named_parameters()}
    >>> def loss(params, x, y):
    ...     return ((functional_call(model, params, (x,)) - y) ** 2).sum()
    >>> per_sample = vmap(grad(loss), in_dims=(None, 0, 0))(params, ember.randn(5, 3), ember.randn(5, 1))
    >>> per_sample["weight"].shape
    ember.Size([5, 1, 3])
"""

from ._autodiff import grad, grad_and_value, hessian, jacfwd, jacrev, jvp, vjp
from ._functional_call import functional_call
from ._vmap import vmap

__all__ = ["functional_call", "grad", "grad_and_value", "hessian", "jacfwd", "jacrev", "jvp", "vjp", "vmap"]
