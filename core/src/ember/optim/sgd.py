"""Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay."""

from __future__ import annotations

from .optimizer import ElementwiseOptimizer, check_common, directed_grad, fused, pieces, touch, wrap_like

__all__ = ["SGD"]


class SGD(ElementwiseOptimizer):
    """Stochastic gradient descent (optionally with momentum), torch's algorithm.

    Per step, with ``g`` the gradient (negated when ``maximize``)::

        g = g + weight_decay * p
        b = g  (first step)  or  b = momentum * b + (1 - dampening) * g
        g = g + momentum * b  (nesterov)  or  g = b
        p = p - lr * g

    Args:
        params: tensors or parameter-group dicts to optimize.
        lr: learning rate (default 1e-3).
        momentum: momentum factor (default 0).
        dampening: dampening of the momentum (default 0).
        weight_decay: L2 penalty (default 0).
        nesterov: use Nesterov momentum (needs momentum > 0 and no dampening).
        maximize: maximize the objective instead of minimizing it.

    Example:
        >>> import ember
        >>> p = ember.tensor([1.0, 2.0], requires_grad=True)
        >>> opt = ember.optim.SGD([p], lr=0.1, momentum=0.9)
        >>> for _ in range(2):
        ...     opt.zero_grad(); (p * p).sum().backward(); opt.step()
        >>> p
        tensor([0.4600, 0.9200], requires_grad=True)
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        check_common(lr)
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov,
                        maximize=maximize, foreach=foreach, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)

    def init_state(self, p, group):
        return {} if group["momentum"] != 0 else None

    def update(self, group, items):
        lr = float(group["lr"])
        momentum, dampening, wd = group["momentum"], group["dampening"], group["weight_decay"]
        nesterov, maximize = group["nesterov"], group["maximize"]
        for p, g, state in items:
            g = directed_grad(p, g, maximize, wd)
            kernel = fused(p._be, "sgd")
            if momentum == 0:
                if not (kernel and kernel(p._data, g, None, lr, momentum, dampening, nesterov)):
                    p._data -= lr * g
            else:
                buf = state.get("momentum_buffer")
                first = buf is None
                if first:  # the buffer starts as the gradient (a real array even for 0-d numpy temporaries)
                    buf = state["momentum_buffer"] = wrap_like(p, p._be.xp.asarray(g, copy=True))
                if not first and kernel and kernel(p._data, g, buf._data, lr, momentum, dampening, nesterov):
                    touch(p)
                    continue
                for pp, gg, bb in pieces(p._be, p._data, g, buf._data):
                    if not first:
                        bb *= momentum
                        bb += gg if dampening == 0 else (1 - dampening) * gg  # no scaled copy when it is 1
                    pp -= lr * (gg + momentum * bb if nesterov else bb)
            touch(p)
