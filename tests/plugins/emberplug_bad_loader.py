"""A plugin that passes a non-callable loader."""

import ember.plugins


@ember.plugins.hookimpl
def ember_register_backends(registry):
    """Give a string where a loader belongs."""
    registry.add_backend("badloader", "not a function")
