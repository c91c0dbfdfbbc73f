"""nn.Module classes: pixelshuffle."""

__all__ = []
