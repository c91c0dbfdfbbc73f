"""A plugin that registers fine but whose backend cannot load (like a GPU plugin without a GPU)."""

import ember.plugins


@ember.plugins.hookimpl
def ember_register_backends(registry):
    """Add ``broken`` whose loader raises, and ``notabackend`` whose loader returns the wrong thing."""

    def load():
        raise ImportError("libfoo.so: cannot open shared object file")

    registry.add_backend("broken", load)
    registry.add_backend("notabackend", lambda: object())
