"""An Ember backend on ``array_api_strict``: the third-party plugin path, end to end.

It names its namespace and nothing else; every op runs through the portable
defaults of :class:`ember.backends.Backend`. Tensors live on device ``strict``.

Example:
    >>> import ember
    >>> (ember.ones(2, device="strict") * 3).tolist()
    [3.0, 3.0]
"""

import ember.plugins


@ember.plugins.hookimpl
def ember_register_backends(registry):
    """Add the ``strict`` device type."""

    def load():
        import array_api_strict

        from ember.backends import Backend

        class StrictBackend(Backend):
            xp = array_api_strict

        return StrictBackend()

    registry.add_backend("strict", load)
