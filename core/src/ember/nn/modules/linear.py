"""nn.Module classes: linear."""

__all__ = []
