"""The numpy CPU backend: a numpy-like backend with a host-resident RNG."""

import os

import numpy

from ember.backends import NumpyLikeBackend


class CPUBackend(NumpyLikeBackend):
    """Tensors in host memory as numpy arrays."""

    xp = numpy
    cache_block = 1 << 15  # 128 KiB of float32 per array: an optimizer's arrays stay in L2 through its steps

    def lookup_native_dtype(self, d):
        if d.name == "bfloat16":
            try:
                import ml_dtypes
            except ImportError:
                return None
            return numpy.dtype(ml_dtypes.bfloat16)
        return numpy.dtype(d.name)

    def from_host(self, array, index=None):
        return numpy.asarray(array)

    def to_host(self, array):
        return array

    def describe(self):
        return f"1 device (host, {os.cpu_count()} cores, numpy {numpy.__version__})"
