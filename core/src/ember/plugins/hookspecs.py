"""The hooks an Ember plugin may implement (pluggy project name ``ember``).

A plugin is a module or object with functions marked ``@ember.plugins.hookimpl``
and is found through the entry-point group ``ember``::

    [project.entry-points.ember]
    mybackend = "my_backend_package"
"""

import pluggy

hookspec = pluggy.HookspecMarker("ember")


@hookspec
def ember_register_backends(registry):
    """Add device backends to ``registry``.

    Call ``registry.add_backend(device_type, load)`` once per device type the
    plugin provides. ``load`` is called with no arguments the first time that
    device is used and returns a :class:`ember.backends.Backend`; import heavy
    libraries inside it, not at plugin import time, so ``import ember`` stays
    fast.

    Args:
        registry: an :class:`ember.plugins.BackendRegistry` view that records
            which plugin added each backend.
    """


@hookspec
def ember_register_distributed_backends(registry):
    """Add process-group (communication) backends to ``ember.distributed``.

    Call ``registry.register_backend(name, func, extended_api=False,
    devices=None, *, available=None)`` once per backend, with the arguments of
    ``ember.distributed.Backend.register_backend``: ``func`` makes the
    backend's transport for a group, ``devices`` lists the device types whose
    tensors it carries, ``available()`` says whether it can run here. The hook
    runs when ``ember.distributed`` first looks at its backends, never at
    ``import ember``; import heavy libraries inside ``func`` and ``available``.

    Args:
        registry: a view of the distributed backend registry that records
            which plugin registered each backend.
    """
