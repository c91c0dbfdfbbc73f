"""Dropout layers: Dropout, Dropout1d/2d/3d, AlphaDropout, FeatureAlphaDropout."""

from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"]


class _DropoutNd(Module):
    fn = None

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, input):
        return type(self).fn(input, self.p, self.training, self.inplace)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


def _layer(name, fn, doc):
    return type(name, (_DropoutNd,), {"fn": staticmethod(fn), "__doc__": doc, "__module__": __name__})


Dropout = _layer("Dropout", F.dropout, """Zero elements with probability ``p`` in training, scaling the rest by ``1 / (1 - p)``.

    Example:
        >>> import ember, ember.nn as nn
        >>> m = nn.Dropout(0.2); m
        Dropout(p=0.2, inplace=False)
        >>> m.eval()(ember.ones(3))
        tensor([1., 1., 1.])
    """)
Dropout1d = _layer("Dropout1d", F.dropout1d, """Zero whole channels of ``(N, C, L)`` inputs in training.

    Example:
        >>> import ember, ember.nn as nn
        >>> nn.Dropout1d()(ember.ones(2, 4, 3)).shape
        ember.Size([2, 4, 3])
    """)
Dropout2d = _layer("Dropout2d", F.dropout2d, """Zero whole channels of ``(N, C, H, W)`` inputs in training.

    Example:
        >>> import ember, ember.nn as nn
        >>> nn.Dropout2d()(ember.ones(2, 4, 3, 3)).shape
        ember.Size([2, 4, 3, 3])
    """)
Dropout3d = _layer("Dropout3d", F.dropout3d, """Zero whole channels of ``(N, C, D, H, W)`` inputs in training.

    Example:
        >>> import ember, ember.nn as nn
        >>> nn.Dropout3d()(ember.ones(1, 2, 2, 2, 2)).shape
        ember.Size([1, 2, 2, 2, 2])
    """)
AlphaDropout = _layer("AlphaDropout", F.alpha_dropout, """Alpha dropout (keeps SELU activations normalised) in training.

    Example:
        >>> import ember, ember.nn as nn
        >>> nn.AlphaDropout(0.2)(ember.ones(4)).shape
        ember.Size([4])
    """)
FeatureAlphaDropout = _layer("FeatureAlphaDropout", F.feature_alpha_dropout, """Alpha dropout of whole channels in training.

    Example:
        >>> import ember, ember.nn as nn
        >>> nn.FeatureAlphaDropout(0.2)(ember.ones(2, 3, 4)).shape
        ember.Size([2, 3, 4])
    """)
