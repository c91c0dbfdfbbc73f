"""A stand-in ``cuda`` backend on numpy, to test ``ember.cuda`` without a GPU.

``EMBERPLUG_FAKECUDA_DEVICES`` sets how many "GPUs" it reports (default 2).
"""

import os

import ember.plugins


@ember.plugins.hookimpl
def ember_register_backends(registry):
    """Add a fake ``cuda`` device type."""

    def load():
        import numpy

        from ember.backends import NumpyLikeBackend

        class FakeCuda(NumpyLikeBackend):
            xp = numpy
            indexed = True

            def __init__(self):
                super().__init__()
                self.current = 0
                self.synced = []
                self.allocated = {0: 0, 1: 0}

            def device_count(self):
                return int(os.environ.get("EMBERPLUG_FAKECUDA_DEVICES", "2"))

            def current_index(self):
                return self.current

            def set_device(self, index):
                self.current = index

            def index_of(self, array):
                return self.current

            def device_name(self, index):
                return f"Fake GPU {index}"

            def device_capability(self, index):
                return (9, 0)

            def synchronize(self, index=None):
                self.synced.append(index)

            def memory_allocated(self, index):
                return 1024 * (index + 1)

        return FakeCuda()

    registry.add_backend("cuda", load)
