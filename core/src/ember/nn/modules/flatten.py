"""nn.Module classes: flatten."""

__all__ = []
