"""Adamax: Adam with the infinity norm."""

from __future__ import annotations

from .optimizer import (
    ElementwiseOptimizer,
    advance,
    check_common,
    directed_grad,
    full_state,
    lerp_,
    maximum_,
    reject_complex,
    step_counter,
    touch,
)

__all__ = ["Adamax"]


class Adamax(ElementwiseOptimizer):
    """Adamax, torch's algorithm.

    Per step ``t``, with ``g`` the gradient (negated when ``maximize``)::

        g = g + weight_decay * p
        m = beta1 * m + (1 - beta1) * g
        u = max(beta2 * u, |g| + eps)
        p = p - lr / (1 - beta1**t) * m / u

    Args:
        params: tensors or parameter-group dicts to optimize.
        lr: learning rate (default 2e-3).
        betas: decay rates of the first moment and the infinity norm (default (0.9, 0.999)).
        eps: added to ``|g|`` (default 1e-8).
        weight_decay: L2 penalty (default 0).
        maximize: maximize the objective instead of minimizing it.

    Example:
        >>> import ember
        >>> p = ember.tensor([1.0], requires_grad=True)
        >>> opt = ember.optim.Adamax([p], lr=0.1)
        >>> p.grad = ember.tensor([3.0]); opt.step(); p
        tensor([0.9000], requires_grad=True)
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        check_common(lr, eps, weight_decay, betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def init_state(self, p, group):
        reject_complex(self, p)
        return {"step": step_counter(), "exp_avg": full_state(p), "exp_inf": full_state(p)}

    def update(self, group, items):
        lr = float(group["lr"])
        beta1, beta2 = group["betas"]
        eps, wd, maximize = group["eps"], group["weight_decay"], group["maximize"]
        for p, g, state in items:
            be = p._be
            step = advance(state)
            g = directed_grad(p, g, maximize, wd)
            m, u = state["exp_avg"]._data, state["exp_inf"]._data
            lerp_(be, m, g, 1 - beta1)
            u *= beta2
            maximum_(be, u, be.xp.abs(g) + eps)
            p._data -= lr / (1 - beta1**step) * (m / u)
            touch(p)
