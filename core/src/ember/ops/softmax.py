"""Softmax, log-softmax and the fused cross-entropy primitive."""

__all__ = []
