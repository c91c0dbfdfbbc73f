"""nn.utils: rnn."""

__all__ = []
