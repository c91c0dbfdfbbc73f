"""Small building blocks shared by the text models."""

from __future__ import annotations

import math

import ember
import ember.nn as nn

__all__ = ["PositionalEncoding"]


class PositionalEncoding(nn.Module):
    """Add the fixed sinusoidal position code (Vaswani et al.) to batch-first embeddings, then dropout.

    Example:
        >>> import ember
        >>> from embertext.models import PositionalEncoding
        >>> PositionalEncoding(4, dropout=0.0)(ember.zeros(1, 2, 4))
        tensor([[[0.0000, 1.0000, 0.0000, 1.0000],
                 [0.8415, 0.5403, 0.0100, 0.9999]]])
    """

    def __init__(self, d_model, dropout=0.1, max_len=5000):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        position = ember.arange(max_len, dtype=ember.float32).unsqueeze(1)
        freq = ember.exp(ember.arange(0, d_model, 2, dtype=ember.float32) * (-math.log(10000.0) / d_model))
        angles = position * freq
        pe = ember.stack([angles.sin(), angles.cos()], dim=-1).reshape(max_len, -1)[:, :d_model]
        self.register_buffer("pe", pe, persistent=False)

    def forward(self, x):
        return self.dropout(x + self.pe[: x.shape[1]].to(x.dtype))
