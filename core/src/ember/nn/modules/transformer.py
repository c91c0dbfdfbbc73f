"""nn.Module classes: transformer."""

__all__ = []
