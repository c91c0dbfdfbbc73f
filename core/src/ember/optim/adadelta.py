"""Adadelta."""

from __future__ import annotations

from .optimizer import (
    ElementwiseOptimizer,
    advance,
    check_common,
    directed_grad,
    full_state,
    reject_complex,
    step_counter,
    touch,
)

__all__ = ["Adadelta"]


class Adadelta(ElementwiseOptimizer):
    """Adadelta, torch's algorithm.

    Per step, with ``g`` the gradient (negated when ``maximize``)::

        g = g + weight_decay * p
        v = rho * v + (1 - rho) * g * g
        d = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * d * d
        p = p - lr * d

    Args:
        params: tensors or parameter-group dicts to optimize.
        lr: coefficient scaling the update (default 1.0).
        rho: decay of the running averages (default 0.9).
        eps: added inside the square roots (default 1e-6).
        weight_decay: L2 penalty (default 0).
        maximize: maximize the objective instead of minimizing it.

    Example:
        >>> import ember
        >>> p = ember.tensor([1.0], dtype=ember.float64, requires_grad=True)
        >>> opt = ember.optim.Adadelta([p], eps=1e-2)
        >>> p.grad = ember.tensor([1.0], dtype=ember.float64); opt.step(); p
        tensor([0.6985], dtype=ember.float64, requires_grad=True)
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        check_common(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize, capturable=capturable,
                        foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def init_state(self, p, group):
        reject_complex(self, p)
        return {"step": step_counter(), "square_avg": full_state(p), "acc_delta": full_state(p)}

    def update(self, group, items):
        lr = float(group["lr"])
        rho, eps, wd, maximize = group["rho"], group["eps"], group["weight_decay"], group["maximize"]
        for p, g, state in items:
            be = p._be
            advance(state)
            g = directed_grad(p, g, maximize, wd)
            v, u = state["square_avg"]._data, state["acc_delta"]._data
            v *= rho
            v += (1 - rho) * g * g
            delta = be.xp.sqrt(u + eps) / be.xp.sqrt(v + eps) * g
            u *= rho
            u += (1 - rho) * delta * delta
            p._data -= lr * delta
            touch(p)
