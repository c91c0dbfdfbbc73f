"""The focal loss of RetinaNet (Lin et al. 2017)."""

from __future__ import annotations

import ember.nn.functional as F


def sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2.0, reduction="none"):
    """Binary cross-entropy scaled by ``(1 - p_t) ** gamma`` (and ``alpha``-balanced), for dense detection.

    Args:
        inputs: logits of any shape.
        targets: 0/1 labels of the same shape (floats).
        alpha: weight of the positives in (0, 1), or negative to disable balancing.
        gamma: focusing exponent (0 gives plain binary cross-entropy).
        reduction: ``"none"``, ``"mean"`` or ``"sum"``.

    Example:
        >>> import ember
        >>> from embervision.ops import sigmoid_focal_loss
        >>> round(sigmoid_focal_loss(ember.tensor([0.0]), ember.tensor([1.0]), alpha=-1, gamma=0).item(), 4)
        0.6931
    """
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"Invalid Value for arg 'reduction': '{reduction} \n Supported reduction modes: 'none', 'mean', 'sum'")
    p = inputs.sigmoid()
    ce = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce * (1 - p_t) ** gamma
    if alpha >= 0:
        loss = (alpha * targets + (1 - alpha) * (1 - targets)) * loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss
