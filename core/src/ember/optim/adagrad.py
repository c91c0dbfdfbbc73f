"""Adagrad (with learning-rate decay and an initial accumulator value)."""

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

__all__ = ["Adagrad"]


class Adagrad(ElementwiseOptimizer):
    """Adagrad, torch's algorithm.

    Per step ``t``, with ``g`` the gradient (negated when ``maximize``)::

        g = g + weight_decay * p
        lr_t = lr / (1 + (t - 1) * lr_decay)
        s = s + g * g                       (s starts at initial_accumulator_value)
        p = p - lr_t * g / (sqrt(s) + eps)

    Args:
        params: tensors or parameter-group dicts to optimize.
        lr: learning rate (default 1e-2).
        lr_decay: learning-rate decay (default 0).
        weight_decay: L2 penalty (default 0).
        initial_accumulator_value: starting value of the sum of squares (default 0).
        eps: added to the denominator (default 1e-10).
        maximize: maximize the objective instead of minimizing it.

    Example:
        >>> import ember
        >>> p = ember.tensor([1.0], requires_grad=True)
        >>> opt = ember.optim.Adagrad([p], lr=0.5)
        >>> p.grad = ember.tensor([4.0]); opt.step(); p
        tensor([0.5000], requires_grad=True)
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        check_common(lr)
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:  # torch creates Adagrad's state up front
            for p in group["params"]:
                self.state[p] = self.init_state(p, group)

    def init_state(self, p, group):
        reject_complex(self, p)
        return {"step": step_counter(), "sum": full_state(p, group["initial_accumulator_value"])}

    def share_memory(self):
        """Move the state to shared memory (a no-op in Ember: nothing to share across processes yet).

        Example:
            >>> import ember
            >>> ember.optim.Adagrad([ember.zeros(1, requires_grad=True)]).share_memory()
        """

    def update(self, group, items):
        lr = float(group["lr"])
        lr_decay, eps, wd, maximize = group["lr_decay"], group["eps"], group["weight_decay"], group["maximize"]
        for p, g, state in items:
            step = advance(state)
            g = directed_grad(p, g, maximize, wd)
            clr = lr / (1 + (step - 1) * lr_decay)
            s = state["sum"]._data
            s += g * g
            p._data -= clr * (g / (p._be.xp.sqrt(s) + eps))
            touch(p)
