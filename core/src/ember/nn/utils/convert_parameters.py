"""nn.utils: convert_parameters."""

__all__ = []
