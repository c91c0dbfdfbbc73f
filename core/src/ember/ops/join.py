"""Joining, splitting and reordering: cat, stack, split, flip, roll, gather, scatter and friends."""

__all__ = []
