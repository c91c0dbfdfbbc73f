"""nn.functional: pool."""

__all__ = []
