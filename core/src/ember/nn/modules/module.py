"""nn.Module classes: module."""

__all__ = []
