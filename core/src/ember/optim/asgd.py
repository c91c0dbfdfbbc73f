"""Averaged stochastic gradient descent (ASGD)."""

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

__all__ = ["ASGD"]


class ASGD(ElementwiseOptimizer):
    """Averaged stochastic gradient descent, torch's algorithm.

    Per step ``t``, with ``g`` the gradient (negated when ``maximize``) and ``eta``, ``mu`` the
    per-parameter step size and averaging weight (``eta = lr``, ``mu = 1`` before the first step)::

        g = g + weight_decay * p
        p = p * (1 - lambd * eta) - eta * g
        ax = p  (mu == 1)  or  ax = ax + mu * (p - ax)
        eta = lr / (1 + lambd * lr * t) ** alpha
        mu = 1 / max(1, t - t0)

    ``eta`` and ``mu`` are 0-d tensors of the step counter's dtype (float32 by default), like torch;
    they are kept on the host like ``step``, so reading them costs no device sync.

    Args:
        params: tensors or parameter-group dicts to optimize.
        lr: learning rate (default 1e-2).
        lambd: decay term (default 1e-4).
        alpha: power of the step-size decay (default 0.75).
        t0: the step at which averaging starts (default 1e6).
        weight_decay: L2 penalty (default 0).
        maximize: maximize the objective instead of minimizing it.

    Example:
        >>> import ember
        >>> p = ember.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = ember.optim.ASGD([p], lr=0.1, t0=1)
        >>> for _ in range(4):
        ...     opt.zero_grad(); (p * p).sum().backward(); opt.step()
        >>> p, opt.state[p]["ax"]
        (tensor([ 0.4096, -0.8192], requires_grad=True), tensor([ 0.4608, -0.9216]))
    """

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
                 maximize=False, differentiable=False, capturable=False):
        check_common(lr, weight_decay=weight_decay)
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def init_state(self, p, group):
        reject_complex(self, p)
        return {"step": step_counter(), "eta": step_counter(float(group["lr"])), "mu": step_counter(1.0),
                "ax": full_state(p)}

    def update(self, group, items):
        lr = float(group["lr"])
        lambd, alpha, t0 = group["lambd"], group["alpha"], group["t0"]
        wd, maximize = group["weight_decay"], group["maximize"]
        for p, g, state in items:
            be = p._be
            step = advance(state)
            g = directed_grad(p, g, maximize, wd)
            eta_t, mu_t = state["eta"], state["mu"]
            eta, mu = float(eta_t._data), float(mu_t._data)
            p._data *= 1 - lambd * eta
            p._data -= eta * g
            ax = state["ax"]._data
            if mu != 1:
                diff = p._data - ax
                diff *= mu
                ax += diff
            else:
                be.assign(ax, p._data)
            eta_t._be.assign(eta_t._data, lr / (1 + lambd * lr * step) ** alpha)
            mu_t._be.assign(mu_t._data, 1 / max(1.0, step - t0))
            touch(p)
