"""Pooling primitives."""

__all__ = []
