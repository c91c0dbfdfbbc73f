"""nn.Module classes: container."""

__all__ = []
