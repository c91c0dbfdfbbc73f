"""nn.Module classes: rnn."""

__all__ = []
