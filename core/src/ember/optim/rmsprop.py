"""RMSprop (optionally centered, with momentum)."""

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

__all__ = ["RMSprop"]


class RMSprop(ElementwiseOptimizer):
    """RMSprop, torch's algorithm (epsilon added after the square root).

    Per step, with ``g`` the gradient (negated when ``maximize``)::

        g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g * g
        a = alpha * a + (1 - alpha) * g;  v~ = v - a * a        (centered; else v~ = v)
        b = momentum * b + g / (sqrt(v~) + eps);  p = p - lr * b     (momentum > 0)
        p = p - lr * g / (sqrt(v~) + eps)                             (otherwise)

    Args:
        params: tensors or parameter-group dicts to optimize.
        lr: learning rate (default 1e-2).
        alpha: smoothing constant (default 0.99).
        eps: added to the denominator (default 1e-8).
        weight_decay: L2 penalty (default 0).
        momentum: momentum factor (default 0).
        centered: normalize by an estimate of the gradient's variance.
        maximize: maximize the objective instead of minimizing it.

    Example:
        >>> import ember
        >>> p = ember.tensor([1.0], requires_grad=True)
        >>> opt = ember.optim.RMSprop([p], lr=0.01)
        >>> p.grad = ember.tensor([2.0]); opt.step(); p
        tensor([0.9000], requires_grad=True)
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        check_common(lr, eps)
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered, weight_decay=weight_decay,
                        capturable=capturable, foreach=foreach, maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def init_state(self, p, group):
        reject_complex(self, p)
        state = {"step": step_counter(), "square_avg": full_state(p)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = full_state(p)
        if group["centered"]:
            state["grad_avg"] = full_state(p)
        return state

    def update(self, group, items):
        lr = float(group["lr"])
        alpha, eps, wd, momentum = group["alpha"], group["eps"], group["weight_decay"], group["momentum"]
        centered, maximize = group["centered"], group["maximize"]
        for p, g, state in items:
            be = p._be
            advance(state)
            g = directed_grad(p, g, maximize, wd)
            v = state["square_avg"]._data
            v *= alpha
            v += (1 - alpha) * g * g
            if centered:
                a = state["grad_avg"]._data
                lerp_(be, a, g, 1 - alpha)
                avg = be.xp.sqrt(v - a * a) + eps
            else:
                avg = be.xp.sqrt(v) + eps
            if momentum > 0:
                b = state["momentum_buffer"]._data
                b *= momentum
                b += g / avg
                p._data -= lr * b
            else:
                p._data -= lr * (g / avg)
            touch(p)
