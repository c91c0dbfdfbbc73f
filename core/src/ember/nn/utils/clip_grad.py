"""nn.utils: clip_grad."""

__all__ = []
