"""A well-behaved plugin: device ``lazy`` on numpy; its loader records when it runs."""

import os

import ember.plugins

LOADS = []


@ember.plugins.hookimpl
def ember_register_backends(registry):
    """Add the ``lazy`` device type."""

    def load():
        import numpy

        from ember.backends import NumpyLikeBackend

        LOADS.append("loaded")
        if os.environ.get("EMBERPLUG_LAZY_ANNOUNCE"):
            print("LAZY-BACKEND-LOADED", flush=True)

        class LazyBackend(NumpyLikeBackend):
            xp = numpy

        return LazyBackend()

    registry.add_backend("lazy", load)
