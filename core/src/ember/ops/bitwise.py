"""Logical and bitwise ops."""

__all__ = []
