"""A plugin with a device name that is not an identifier."""

import ember.plugins


@ember.plugins.hookimpl
def ember_register_backends(registry):
    """Claim the device type ``my-gpu``."""
    registry.add_backend("my-gpu", lambda: None)
