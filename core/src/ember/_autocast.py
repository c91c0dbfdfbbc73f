"""Autocast state, read by the op entry points that follow torch's mixed-precision policy.

``active`` is the one flag an op reads on its fast path; only when it is set does the op
call :func:`low` (matrix products and convolutions: run in the autocast dtype) or
:func:`full` (softmax, losses, norms, exp/log, sums: run in float32). Casts apply only
to floating tensors of a device type with autocast enabled; float64 is never touched.
Mixed inputs elsewhere follow the usual promotion (to the widest type).

Example:
    >>> import ember
    >>> from ember import _autocast
    >>> with ember.autocast("cpu", dtype=ember.float16):
    ...     a, b = _autocast.low(ember.ones(2), ember.ones(2, dtype=ember.float64))
    >>> a.dtype, b.dtype
    (ember.float16, ember.float64)
"""

from __future__ import annotations

import contextlib

from . import _dtype

active = False  # some device type has autocast enabled: the flag the ops read
enabled = {}  # device type -> autocast dtype (enabled device types only)
cache_enabled = True
_cache = {}  # id(leaf) -> (leaf, version, cast): weights cast once per autocast region

_LOW = (_dtype.float16, _dtype.bfloat16)

# ops that torch's CPU autocast also runs in float32 (elsewhere every op that calls ``full`` does)
CPU_FLOAT32 = frozenset({
    "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "cross_entropy", "nll_loss", "kl_div",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "poisson_nll_loss", "margin_ranking_loss",
    "soft_margin_loss", "hinge_embedding_loss", "cosine_embedding_loss", "triplet_margin_loss",
    "multi_margin_loss", "multilabel_margin_loss", "ctc_loss", "prod", "cdist", "trace",
})


def set_state(new_enabled, new_cache_enabled):
    """Install a device type -> dtype map (the autocast context manager's job)."""
    global active, enabled, cache_enabled
    enabled, cache_enabled = new_enabled, new_cache_enabled
    active = bool(new_enabled)
    if not active:
        _cache.clear()


def _cast(t, dtype):
    from .ops._util import cast

    if cache_enabled and t.requires_grad and t.grad_fn is None:
        hit = _cache.get(id(t))
        if hit is not None and hit[0] is t and hit[1] == t._version[0] and hit[2].dtype is dtype:
            return hit[2]
        out = cast(t, dtype)
        _cache[id(t)] = (t, t._version[0], out)
        return out
    return cast(t, dtype)


def low(*tensors):
    """``tensors`` for an op that runs in the autocast dtype (matmul, linear, conv).

    Example:
        >>> import ember
        >>> from ember import _autocast
        >>> with ember.autocast("cpu", dtype=ember.float16):
        ...     (x,) = _autocast.low(ember.ones(1))
        >>> x.dtype
        ember.float16
    """
    out = []
    for t in tensors:
        dt = enabled.get(t._device.type) if hasattr(t, "_device") else None
        if dt is not None and t.dtype.category == 2 and t.dtype is not dt and t.dtype is not _dtype.float64:
            t = _cast(t, dt)
        out.append(t)
    return out


def full(op, *tensors):
    """``tensors`` for op ``op`` that runs in float32 under autocast.

    As in torch, the CPU keeps only losses (and ``prod``) in float32; other devices also run
    softmax, log_softmax, norms, exp/log and sums in float32.

    Example:
        >>> import ember
        >>> from ember import _autocast
        >>> with ember.autocast("cpu", dtype=ember.float16):
        ...     (x,) = _autocast.full("mse_loss", ember.ones(1, dtype=ember.float16))
        >>> x.dtype
        ember.float32
    """
    out = []
    for t in tensors:
        if hasattr(t, "_device") and t.dtype in _LOW and t._device.type in enabled and (
                op in CPU_FLOAT32 or t._device.type != "cpu"):
            t = _cast(t, _dtype.float32)
        out.append(t)
    return out


@contextlib.contextmanager
def suspended():
    """Turn autocast off inside the block (backward runs this way, as in torch).

    Example:
        >>> import ember
        >>> from ember import _autocast
        >>> with ember.autocast("cpu", dtype=ember.float16), _autocast.suspended():
        ...     _autocast.active
        False
    """
    global active
    saved = active
    active = False
    try:
        yield
    finally:
        active = saved
