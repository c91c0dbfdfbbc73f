"""Convolution primitives."""

__all__ = []
