"""A plugin implementing a hook Ember does not define."""

import ember.plugins


@ember.plugins.hookimpl
def ember_register_optimizers(registry):
    """Not an Ember hook."""
