"""Parameter initialisation (ember.nn.init)."""

__all__ = []
