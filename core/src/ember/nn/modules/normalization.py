"""nn.Module classes: normalization."""

__all__ = []
