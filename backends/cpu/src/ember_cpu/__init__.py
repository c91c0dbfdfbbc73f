"""Ember's CPU backend: numpy, registered through the ``ember`` entry point.

It is a plugin like any other: core never imports it.

Example:
    >>> import ember
    >>> ember.plugins.host().registry.provider("cpu")
    'cpu'
"""

import ember.plugins


@ember.plugins.hookimpl
def ember_register_backends(registry):
    """Add the ``cpu`` device type."""

    def load():
        from ._backend import CPUBackend
        from ._malloc import keep_freed_memory

        keep_freed_memory()
        return CPUBackend()

    registry.add_backend("cpu", load)
