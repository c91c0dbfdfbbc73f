"""nn.Module classes: attention."""

__all__ = []
