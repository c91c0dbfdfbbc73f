"""Muon: momentum updates orthogonalised by a Newton-Schulz iteration, for 2-D parameters."""

from __future__ import annotations

from .._tensor import Tensor
from .optimizer import ElementwiseOptimizer, full_state, lerp_, touch

__all__ = ["Muon"]

# the quintic's coefficients and the normalisation floor of Keller Jordan's Muon (torch's defaults)
NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)
NS_STEPS = 5
EPS = 1e-7


def _lr_ratio(adjust_lr_fn, rows, cols):
    """The factor on ``lr`` for a ``rows x cols`` parameter: Keller Jordan's (default) or Moonshot's RMS match."""
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        return max(1, rows / cols) ** 0.5
    if adjust_lr_fn == "match_rms_adamw":
        return 0.2 * max(rows, cols) ** 0.5
    return 1.0  # torch's fallback for names set on a group after construction


def _bfloat16(x):
    """Float32 array ``x`` rounded to bfloat16's 8-bit significand (ties to even), still as float32.

    Veltkamp's split: ``big - (big - x)`` with ``big = x * (2**16 + 1)`` keeps the top 8 of the
    24 significand bits. Plain array-API arithmetic, so it runs on every backend (bfloat16 arrays
    exist on none but numpy). Exact for normal values below 5e33 in magnitude; subnormals (below
    1.2e-38) come out within 1e-40 of bfloat16's rounding.
    """
    big = x * 65537.0
    big -= big - x
    return big


def orthogonalize(be, update, coefficients=NS_COEFFICIENTS, steps=NS_STEPS, eps=EPS):
    """Newton-Schulz orthogonalisation of a 2-D array, rounded like torch's bfloat16 iteration.

    ``X = G / max(||G||_F, eps)`` (on the wide orientation), then ``steps`` times
    ``X = a X + (b A + c A A) X`` with ``A = X X^T``. Every product and sum is computed in
    float32 and rounded to bfloat16, as torch's CPU kernels do, so results agree with torch
    to bfloat16 rounding. Returns a float32 array.

    Example:
        >>> import numpy, ember
        >>> from ember.optim.muon import orthogonalize
        >>> o = orthogonalize(ember.zeros(1)._be, numpy.array([[3.0, 0.0], [0.0, 1.0]]))
        >>> o.tolist()
        [[0.75, 0.0], [0.0, 1.1328125]]
    """
    if steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency")
    if update.ndim != 2:
        raise ValueError("Input tensor gradient must be a 2D matrix")
    if len(coefficients) != 3:
        raise ValueError("Coefficients must be a tuple of exactly 3 values")
    a, b, c = coefficients
    xp = be.xp
    x = _bfloat16(xp.astype(update, xp.float32))  # float64 goes through float32 first, like torch's cast
    tall = x.shape[0] > x.shape[1]
    if tall:
        x = x.T
    norm = _bfloat16(xp.sqrt(xp.sum(x * x)))
    x = _bfloat16(x / _bfloat16(xp.maximum(norm, eps)))
    for _ in range(steps):
        gram = _bfloat16(be.matmul(x, x.T))
        poly = be.matmul(gram, gram)
        poly *= c
        poly += b * gram
        poly = be.matmul(_bfloat16(poly), x)
        poly += a * x
        x = _bfloat16(poly)
    return x.T if tall else x


class Muon(ElementwiseOptimizer):
    """Muon, torch's algorithm: Nesterov momentum, Newton-Schulz orthogonalisation, decoupled weight decay.

    Per step, with ``g`` the gradient of a 2-D parameter of shape ``(A, B)``::

        buf = lerp(buf, g, 1 - momentum)
        u = lerp(g, buf, momentum)  (nesterov)  or  u = buf
        O = NS(u)                                  (see :func:`orthogonalize`)
        p = p * (1 - lr * weight_decay)
        p = p - lr * ratio * O

    ``ratio`` is ``sqrt(max(1, A / B))`` for ``adjust_lr_fn`` None or ``"original"`` and
    ``0.2 * sqrt(max(A, B))`` for ``"match_rms_adamw"``. The iteration runs in bfloat16 in
    torch; Ember rounds float32 arithmetic to bfloat16 the same way on every backend.
    Other parameters (biases, embeddings) belong to another optimizer, e.g. AdamW.

    Args:
        params: 2-D tensors or parameter-group dicts to optimize.
        lr: learning rate (default 1e-3).
        weight_decay: decoupled weight decay (default 0.1).
        momentum: momentum factor (default 0.95).
        nesterov: use Nesterov momentum (default True).
        ns_coefficients: ``(a, b, c)`` of the quintic iteration (default (3.4445, -4.775, 2.0315)).
        eps: floor of the norm the gradient is divided by (default 1e-7).
        ns_steps: Newton-Schulz iterations (default 5; fewer than 100).
        adjust_lr_fn: None, ``"original"`` or ``"match_rms_adamw"``.

    Example:
        >>> import ember
        >>> w = ember.tensor([[2.0, 0.0], [0.0, 1.0]], requires_grad=True)
        >>> opt = ember.optim.Muon([w], lr=0.1, weight_decay=0.0)
        >>> (w * w).sum().backward(); opt.step(); w
        tensor([[1.9309, 0.0000],
                [0.0000, 0.8883]], requires_grad=True)
    """

    def __init__(self, params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
                 ns_coefficients=NS_COEFFICIENTS, eps=EPS, ns_steps=NS_STEPS, adjust_lr_fn=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 <= momentum:
            raise ValueError(f"momentum should be >= 0 but is: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight decay should be >= 0 but is: {weight_decay}")
        if adjust_lr_fn is not None and adjust_lr_fn not in ("original", "match_rms_adamw"):
            raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")
        defaults = dict(lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
                        ns_coefficients=ns_coefficients, eps=eps, ns_steps=ns_steps, adjust_lr_fn=adjust_lr_fn)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError(f"Muon only supports 2D parameters whereas we found a parameter with size: {p.size()}")

    def init_state(self, p, group):
        if p.is_complex():
            raise RuntimeError("Muon does not support complex parameters")
        return {"momentum_buffer": full_state(p)}

    def update(self, group, items):
        lr = float(group["lr"])
        wd, momentum, nesterov = group["weight_decay"], group["momentum"], group["nesterov"]
        for p, g, state in items:
            be = p._be
            if g.ndim != 2:
                raise ValueError("Param gradient must be a 2D matrix")
            buf = state["momentum_buffer"]._data
            lerp_(be, buf, g, 1 - momentum)
            if nesterov:
                upd = be.copy(g)
                lerp_(be, upd, buf, momentum)
            else:
                upd = buf
            ortho = orthogonalize(be, upd, group["ns_coefficients"], group["ns_steps"], group["eps"])
            if wd != 0:
                p._data *= 1 - lr * wd
            # torch adds the bfloat16 update in the promoted dtype: float64 for float64 parameters,
            # float32 (one rounding at the end) for half-precision ones
            ortho = be.xp.astype(ortho, be.xp.result_type(ortho, p._data), copy=False)
            ortho *= lr * _lr_ratio(group["adjust_lr_fn"], *p.shape)
            p._data -= ortho
            touch(p)
