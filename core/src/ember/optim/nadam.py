"""NAdam: Adam with Nesterov momentum and a momentum-decay schedule."""

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

__all__ = ["NAdam"]


class NAdam(ElementwiseOptimizer):
    """NAdam, torch's algorithm.

    Per step ``t``, with ``g`` the gradient (negated when ``maximize``)::

        g = g + weight_decay * p        (or p = p * (1 - lr * weight_decay) when decoupled_weight_decay)
        mu_t = beta1 * (1 - 0.5 * 0.96**(t * momentum_decay));  P_t = mu_1 * ... * mu_t
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        d = sqrt(v / (1 - beta2**t)) + eps
        p = p - lr * (1 - mu_t) / (1 - P_t) * g / d - lr * mu_{t+1} / (1 - P_t * mu_{t+1}) * m / d

    The running product ``P_t`` is kept in ``state["mu_product"]``.

    Args:
        params: tensors or parameter-group dicts to optimize.
        lr: learning rate (default 2e-3).
        betas: decay rates of the moments (default (0.9, 0.999)).
        eps: added to the denominator (default 1e-8).
        weight_decay: weight decay (default 0).
        momentum_decay: the momentum schedule's decay ``psi`` (default 4e-3).
        decoupled_weight_decay: apply weight decay to the parameter directly (NAdamW).
        maximize: maximize the objective instead of minimizing it.

    Example:
        >>> import ember
        >>> p = ember.tensor([1.0], requires_grad=True)
        >>> opt = ember.optim.NAdam([p], lr=0.1)
        >>> p.grad = ember.tensor([1.0]); opt.step(); p
        tensor([0.8944], requires_grad=True)
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        check_common(lr, eps, weight_decay, betas)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def init_state(self, p, group):
        reject_complex(self, p)
        return {"step": step_counter(), "mu_product": step_counter(1.0), "exp_avg": full_state(p),
                "exp_avg_sq": full_state(p)}

    def update(self, group, items):
        lr = float(group["lr"])
        beta1, beta2 = group["betas"]
        eps, wd, psi, maximize = group["eps"], group["weight_decay"], group["momentum_decay"], group["maximize"]
        decoupled = group["decoupled_weight_decay"]
        for p, g, state in items:
            be = p._be
            step = advance(state)
            g = directed_grad(p, g, maximize, wd, lr if decoupled else None)
            mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * psi))
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * psi))
            prod = state["mu_product"]._data
            prod *= mu  # in the counter's own dtype, like torch
            mu_product = float(prod)
            m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
            lerp_(be, m, g, 1 - beta1)
            v *= beta2
            v += (1 - beta2) * g * g
            denom = be.xp.sqrt(v / (1 - beta2**step)) + eps
            p._data -= lr * (1.0 - mu) / (1.0 - mu_product) * (g / denom)
            p._data -= lr * mu_next / (1.0 - mu_product * mu_next) * (m / denom)
            touch(p)
