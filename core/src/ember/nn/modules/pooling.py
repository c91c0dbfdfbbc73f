"""nn.Module classes: pooling."""

__all__ = []
