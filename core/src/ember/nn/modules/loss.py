"""nn.Module classes: loss."""

__all__ = []
