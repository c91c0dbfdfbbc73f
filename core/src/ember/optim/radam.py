"""RAdam: Adam with a rectified adaptive learning rate."""

from __future__ import annotations

from .optimizer import (
    ElementwiseOptimizer,
    advance,
    check_common,
    directed_grad,
    full_state,
    lerp_,
    reject_complex,
    step_counter,
    touch,
)

__all__ = ["RAdam"]


class RAdam(ElementwiseOptimizer):
    """RAdam, torch's algorithm.

    Per step ``t``, with ``g`` the gradient (negated when ``maximize``)::

        g = g + weight_decay * p        (or p = p * (1 - lr * weight_decay) when decoupled_weight_decay)
        m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g * g
        m^ = m / (1 - beta1**t)
        rho_inf = 2 / (1 - beta2) - 1;  rho_t = rho_inf - 2 t beta2**t / (1 - beta2**t)
        if rho_t > 5:  r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
                       p = p - lr * m^ * sqrt(1 - beta2**t) / (sqrt(v) + eps) * r
        else:          p = p - lr * m^

    Args:
        params: tensors or parameter-group dicts to optimize.
        lr: learning rate (default 1e-3).
        betas: decay rates of the moments (default (0.9, 0.999)).
        eps: added to the denominator (default 1e-8).
        weight_decay: weight decay (default 0).
        decoupled_weight_decay: apply weight decay to the parameter directly (RAdamW).
        maximize: maximize the objective instead of minimizing it.

    Example:
        >>> import ember
        >>> p = ember.tensor([1.0], requires_grad=True)
        >>> opt = ember.optim.RAdam([p], lr=0.1)
        >>> p.grad = ember.tensor([2.0]); opt.step(); p
        tensor([0.8000], requires_grad=True)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False):
        check_common(lr, eps, weight_decay, betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def init_state(self, p, group):
        reject_complex(self, p)
        return {"step": step_counter(), "exp_avg": full_state(p), "exp_avg_sq": full_state(p)}

    def update(self, group, items):
        lr = float(group["lr"])
        beta1, beta2 = group["betas"]
        eps, wd, maximize = group["eps"], group["weight_decay"], group["maximize"]
        decoupled = group["decoupled_weight_decay"]
        rho_inf = 2 / (1 - beta2) - 1
        for p, g, state in items:
            be = p._be
            step = advance(state)
            g = directed_grad(p, g, maximize, wd, lr if decoupled else None)
            m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
            lerp_(be, m, g, 1 - beta1)
            v *= beta2
            v += (1 - beta2) * g * g
            bias_correction2 = 1 - beta2**step
            update = m / (1 - beta1**step) * lr
            rho_t = rho_inf - 2 * step * beta2**step / bias_correction2
            if rho_t > 5.0:
                rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                update *= bias_correction2**0.5 / (be.xp.sqrt(v) + eps)
                update *= rect
            p._data -= update
            touch(p)
