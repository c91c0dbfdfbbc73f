"""A plugin that adds a backend and then raises: the partial registration must be undone."""

import ember.plugins


@ember.plugins.hookimpl
def ember_register_backends(registry):
    """Add ``halfway`` then fail."""
    registry.add_backend("halfway", lambda: None)
    raise ValueError("plugin exploded while registering")
