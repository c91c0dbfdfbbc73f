"""nn.Module classes: activation."""

__all__ = []
