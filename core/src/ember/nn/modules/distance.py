"""nn.Module classes: distance."""

__all__ = []
