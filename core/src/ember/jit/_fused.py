"""Inference-only fused primitives that the graph passes substitute for common op chains.

They run the same array code as the ops they replace, writing the bias and the
rectifier into the fresh output instead of allocating a tensor per step. They have
no backward: :func:`~ember.jit.optimize_for_inference` uses them on frozen graphs.
"""

from __future__ import annotations

from ..autograd.node import Op
from ..nn.functional._linear import Linear
from ..ops.conv import Conv


def _relu(xp, y):
    return xp.maximum(y, xp.zeros((), dtype=y.dtype))


class LinearRelu(Op):
    """``relu(x @ w.T + b)`` (inference only)."""

    def forward(self, be, x, w, b=None):
        return _relu(be.xp, Linear.forward(self, be, x, w, b))


class ConvBias(Op):
    """``conv(x, w) + b`` with ``b`` shaped ``(1, C, 1, ...)``, then ``relu`` when ``relu`` (inference only)."""

    def forward(self, be, x, w, b, geo, relu):
        kernel = be.kernels.get("Conv") if be.kernels else None
        y = (kernel or Conv.forward)(self, be, x, w, geo)
        self.xg = None  # Conv keeps its grid input for the weight gradient: not needed here
        y += b  # y is a fresh array
        return _relu(be.xp, y) if relu else y
