"""Sorting and searching: sort, argsort, topk, unique, searchsorted."""

__all__ = []
