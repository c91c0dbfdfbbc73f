"""Stochastic depth (Huang et al. 2016): randomly drop whole residual branches, as torchvision does."""

from __future__ import annotations

import ember
import ember.nn as nn


def stochastic_depth(input, p, mode, training=True):
    """Zero the whole ``input`` (``mode="batch"``) or each of its rows (``"row"``) with probability ``p``.

    Survivors are scaled by ``1 / (1 - p)``. The mask is drawn like torchvision's (one ``bernoulli_`` of
    shape ``(N, 1, ...)`` or ``(1, ...)`` in the input's dtype), so the same seed drops the same rows.

    Example:
        >>> import ember
        >>> from embervision.ops import stochastic_depth
        >>> _ = ember.manual_seed(0)
        >>> stochastic_depth(ember.ones(4, 2), 0.5, "row").tolist()
        [[0.0, 0.0], [0.0, 0.0], [2.0, 2.0], [0.0, 0.0]]
    """
    if p < 0.0 or p > 1.0:
        raise ValueError(f"drop probability has to be between 0 and 1, but got {p}")
    if mode not in ("batch", "row"):
        raise ValueError(f"mode has to be either 'batch' or 'row', but got {mode}")
    if not training or p == 0.0:
        return input
    survival_rate = 1.0 - p
    size = [input.shape[0]] + [1] * (input.ndim - 1) if mode == "row" else [1] * input.ndim
    noise = ember.empty(size, dtype=input.dtype, device=input.device).bernoulli_(survival_rate)
    if survival_rate > 0.0:
        noise.div_(survival_rate)
    return input * noise


class StochasticDepth(nn.Module):
    """Module form of :func:`stochastic_depth` (active in ``train()`` mode only).

    Example:
        >>> import ember
        >>> from embervision.ops import StochasticDepth
        >>> sd = StochasticDepth(0.5, "row").eval()
        >>> sd(ember.ones(2, 3)).tolist(), sd
        ([[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]], StochasticDepth(p=0.5, mode=row))
    """

    def __init__(self, p, mode):
        super().__init__()
        self.p = p
        self.mode = mode

    def forward(self, input):
        return stochastic_depth(input, self.p, self.mode, self.training)

    def __repr__(self):
        return f"{self.__class__.__name__}(p={self.p}, mode={self.mode})"
