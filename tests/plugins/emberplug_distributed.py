"""A plugin adding an ``ember.distributed`` backend ('plugged', cpu tensors over MPI); and one whose hook raises."""

import ember.plugins

HOOK_RAN = []


def make(store, rank, world_size, timeout):
    from ember.distributed._mpi import MPITransport

    return MPITransport(store, rank, world_size, timeout)


@ember.plugins.hookimpl
def ember_register_distributed_backends(registry):
    HOOK_RAN.append(True)
    registry.register_backend("plugged", make, devices=["cpu"])


class RaisingPlugin:
    @staticmethod
    @ember.plugins.hookimpl
    def ember_register_distributed_backends(registry):
        raise ValueError("plugin exploded while registering its distributed backend")
