"""nn.Module classes: padding."""

__all__ = []
