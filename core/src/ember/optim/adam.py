"""Adam (with AMSGrad, L2 or decoupled weight decay)."""

from __future__ import annotations

from .optimizer import (
    ElementwiseOptimizer,
    advance,
    check_common,
    directed_grad,
    full_state,
    lerp_,
    maximum_,
    fused,
    pieces,
    reject_complex,
    step_counter,
    touch,
)

__all__ = ["Adam"]


class Adam(ElementwiseOptimizer):
    """Adam, torch's algorithm.

    Per step ``t``, with ``g`` the gradient (negated when ``maximize``)::

        g = g + weight_decay * p        (or p = p * (1 - lr * weight_decay) when decoupled_weight_decay)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        v_max = max(v_max, v)           (amsgrad; then used in place of v)
        p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    Args:
        params: tensors or parameter-group dicts to optimize.
        lr: learning rate (default 1e-3).
        betas: decay rates of the first and second moments (default (0.9, 0.999)).
        eps: added to the denominator after the square root (default 1e-8).
        weight_decay: weight decay (default 0): an L2 term added to the gradient, or
            decoupled (AdamW) when ``decoupled_weight_decay``.
        amsgrad: use the running maximum of the second moment.
        maximize: maximize the objective instead of minimizing it.

    Example:
        >>> import ember
        >>> p = ember.tensor([1.0, -1.0], requires_grad=True)
        >>> opt = ember.optim.Adam([p], lr=0.1)
        >>> (p * p).sum().backward(); opt.step(); p
        tensor([ 0.9000, -0.9000], requires_grad=True)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        check_common(lr, eps, weight_decay, betas)
        betas = tuple(float(b) for b in betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def init_state(self, p, group):
        reject_complex(self, p)
        state = {"step": step_counter(), "exp_avg": full_state(p), "exp_avg_sq": full_state(p)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = full_state(p)
        return state

    def update(self, group, items):
        lr = float(group["lr"])
        beta1, beta2 = group["betas"]
        eps, wd, amsgrad, maximize = group["eps"], group["weight_decay"], group["amsgrad"], group["maximize"]
        decoupled = group["decoupled_weight_decay"]
        for p, g, state in items:
            be = p._be
            step = advance(state)
            g = directed_grad(p, g, maximize, wd, lr if decoupled else None)
            m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
            v_max = state["max_exp_avg_sq"]._data if amsgrad else v
            kernel = fused(be, "adam")
            if kernel and kernel(p._data, g, m, v, v_max if amsgrad else None, lr, beta1, beta2, eps, step):
                touch(p)
                continue
            for pp, gg, mm, vv, vm in pieces(be, p._data, g, m, v, v_max):
                lerp_(be, mm, gg, 1 - beta1)
                vv *= beta2
                sq = (1 - beta2) * gg  # in-place steps below: one temporary per product, same rounding
                sq *= gg
                vv += sq
                if amsgrad:
                    maximum_(be, vm, vv)
                denom = be.xp.sqrt(vm)
                denom /= (1 - beta2**step) ** 0.5
                denom += eps
                upd = mm / denom
                upd *= lr / (1 - beta1**step)
                pp -= upd
            touch(p)
