"""nn.Module classes: conv."""

__all__ = []
