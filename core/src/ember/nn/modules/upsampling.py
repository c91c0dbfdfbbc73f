"""nn.Module classes: upsampling."""

__all__ = []
