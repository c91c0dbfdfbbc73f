"""Adafactor: Adam-like steps with a factored (row x column) second moment for matrices."""

from __future__ import annotations

from .. import _dtype
from .._creation import zeros
from .._tensor import Tensor
from .optimizer import ElementwiseOptimizer, advance, full_state, lerp_, step_counter, touch

__all__ = ["Adafactor"]


def _rms(xp, a):
    """The root mean square of array ``a`` as a Python float (one host sync, like torch's ``.item()``)."""
    return float(xp.sqrt(xp.sum(a * a))) / a.size**0.5 if a.size else 0.0


class Adafactor(ElementwiseOptimizer):
    """Adafactor, torch's algorithm (relative step size, update clipping, decoupled weight decay).

    Per step ``t``, with ``g`` the gradient (negated when ``maximize``) and ``w = t ** beta2_decay``::

        rho = min(lr, 1 / sqrt(t));  alpha = max(eps2, rms(p)) * rho
        p = p * (1 - lr * weight_decay)
        2-D and more (factored over the last two dims; R, C keep g*g's row and column means):
            R = lerp(R, mean(g * g, dim=-1), w);  C = lerp(C, mean(g * g, dim=-2), w)
            v = R @ C / max(mean(R, dim=-2), eps1)
        0-D and 1-D:  v = lerp(v, g * g, w)
        u = g / sqrt(max(v, eps1 ** 2))
        p = p - alpha / max(1, rms(u) / d) * u

    ``eps1`` defaults to the machine epsilon of the first updated parameter's dtype (torch's rule).

    Args:
        params: tensors or parameter-group dicts to optimize.
        lr: maximum relative step size and weight-decay factor (default 1e-2).
        beta2_decay: exponent of the second moment's decay schedule (default -0.8).
        eps: ``(eps1, eps2)``: the floor of the variance estimate (None: the dtype's epsilon) and of
            the parameter scale (default (None, 1e-3)).
        d: clipping threshold of the update's RMS (default 1.0).
        weight_decay: decoupled weight decay coefficient (default 0).
        foreach: accepted for torch compatibility (one implementation serves both).
        maximize: maximize the objective instead of minimizing it.

    Example:
        >>> import ember
        >>> p = ember.tensor([1.0, -1.0], requires_grad=True)
        >>> opt = ember.optim.Adafactor([p], lr=0.1)
        >>> (p * p).sum().backward(); opt.step(); p
        tensor([ 0.9000, -0.9000], requires_grad=True)
        >>> w = ember.ones(2, 3, requires_grad=True); (w * w).sum().backward()
        >>> opt.add_param_group({"params": [w]}); opt.step()
        >>> opt.state[w]["row_var"].shape, opt.state[w]["col_var"].shape
        (ember.Size([2, 1]), ember.Size([1, 3]))
    """

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0, *,
                 foreach=None, maximize=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize)
        super().__init__(params, defaults)

    def init_state(self, p, group):
        if p.is_complex():
            raise RuntimeError("Adafactor does not support complex parameters")
        if p.ndim < 2:
            return {"step": step_counter(), "variance": full_state(p)}
        shape = tuple(p.shape)
        return {"step": step_counter(),
                "row_var": zeros(shape[:-1] + (1,), dtype=p.dtype, device=p.device),
                "col_var": zeros(shape[:-2] + (1, shape[-1]), dtype=p.dtype, device=p.device)}

    def update(self, group, items):
        lr = float(group["lr"])
        decay, d, wd, maximize = group["beta2_decay"], group["d"], group["weight_decay"], group["maximize"]
        eps1, eps2 = group["eps"]
        if eps1 is None:  # torch takes it from the first parameter and keeps it for the whole group
            eps1 = _dtype.finfo(items[0][0].dtype).eps
        for p, g, state in items:
            be = p._be
            xp = be.xp
            if maximize:
                g = -g
            step = advance(state)
            weight = step**decay
            alpha = max(eps2, _rms(xp, p._data)) * min(lr, 1 / step**0.5)
            if wd != 0:
                p._data *= 1 - lr * wd
            squared = g * g
            if "variance" in state:
                estimate = state["variance"]._data
                lerp_(be, estimate, squared, weight)
            else:
                row, col = state["row_var"]._data, state["col_var"]._data
                lerp_(be, row, xp.sum(squared, axis=-1, keepdims=True) / g.shape[-1], weight)
                lerp_(be, col, xp.sum(squared, axis=-2, keepdims=True) / g.shape[-2], weight)
                estimate = row * col
                estimate /= xp.maximum(xp.mean(row, axis=-2, keepdims=True), eps1)
            del squared
            # the floor is eps1 squared under the root; rsqrt, then the product: torch's two roundings
            upd = 1 / xp.sqrt(xp.maximum(estimate, eps1 * eps1))
            upd *= g
            upd *= -alpha / max(1.0, _rms(xp, upd) / d)
            p._data += upd
            touch(p)
