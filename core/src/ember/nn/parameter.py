"""Parameter: a tensor that a Module registers as learnable."""

__all__ = []
