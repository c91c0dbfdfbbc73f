"""nn.Module classes: sparse."""

__all__ = []
