"""nn.Module classes: dropout."""

__all__ = []
