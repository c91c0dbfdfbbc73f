"""Rprop: resilient backpropagation (sign-based steps with per-element adaptive sizes)."""

from __future__ import annotations

from .optimizer import ElementwiseOptimizer, advance, check_common, full_state, reject_complex, step_counter, touch

__all__ = ["Rprop"]


class Rprop(ElementwiseOptimizer):
    """The resilient backpropagation algorithm, torch's variant.

    Per step, elementwise, with ``g`` the gradient (negated when ``maximize``), ``prev`` the
    previous step's (possibly zeroed) gradient and ``size`` the step sizes (``lr`` at first)::

        g * prev > 0:  size = min(size * etaplus, max_step)
        g * prev < 0:  size = max(size * etaminus, min_step);  g = 0
        otherwise:     size unchanged
        p = p - sign(g) * size;  prev = g

    Args:
        params: tensors or parameter-group dicts to optimize.
        lr: initial step size (default 1e-2).
        etas: ``(etaminus, etaplus)``, the factors shrinking and growing the step sizes (default (0.5, 1.2)).
        step_sizes: ``(min_step, max_step)``, the bounds of the step sizes (default (1e-6, 50)).
        maximize: maximize the objective instead of minimizing it.

    Example:
        >>> import ember
        >>> p = ember.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = ember.optim.Rprop([p], lr=0.1)
        >>> for _ in range(3):
        ...     opt.zero_grad(); (p * p).sum().backward(); opt.step()
        >>> p, opt.state[p]["step_size"]
        (tensor([ 0.6360, -1.6360], requires_grad=True), tensor([0.1440, 0.1440]))
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False, foreach=None,
                 maximize=False, differentiable=False):
        check_common(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def init_state(self, p, group):
        reject_complex(self, p)
        return {"step": step_counter(), "prev": full_state(p), "step_size": full_state(p, float(group["lr"]))}

    def update(self, group, items):
        etaminus, etaplus = group["etas"]
        lo, hi = group["step_sizes"]
        maximize = group["maximize"]
        for p, g, state in items:
            be = p._be
            xp = be.xp
            advance(state)
            if maximize:
                g = -g
            prev, size = state["prev"]._data, state["step_size"]._data
            agreement = g * prev
            flipped = agreement < 0
            grown = xp.where(agreement > 0, size * etaplus, xp.where(flipped, size * etaminus, size))
            be.assign(size, xp.clip(grown, lo, hi))
            g = xp.where(flipped, 0.0, g)
            p._data -= xp.sign(g) * size
            be.assign(prev, g)
            touch(p)
