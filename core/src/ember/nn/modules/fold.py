"""nn.Module classes: fold."""

__all__ = []
