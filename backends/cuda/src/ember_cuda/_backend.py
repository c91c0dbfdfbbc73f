"""The CuPy backend: numpy-like arrays on NVIDIA GPUs, one device per ``cuda:N``.

Outputs of an op are allocated on CuPy's current device; data entering from the host
(``from_host``/``full``) goes to the device a tensor asks for. Allocation goes through
CuPy's memory pool with a thin allocator that records the peaks torch reports
(``max_memory_allocated``/``max_memory_reserved``).
"""

from __future__ import annotations

import contextlib

import cupy
import cupyx
import numpy

from ember.backends import HostEngine, NumpyLikeBackend

from . import _conv, _exact
from ._kernels import KERNELS
from ._random import CuPyEngine
from ._streams import Event, Stream


class DeviceProperties:
    """What ``ember.cuda.get_device_properties`` reports about a GPU."""

    def __init__(self, props):
        self.name = props["name"].decode() if isinstance(props["name"], bytes) else str(props["name"])
        self.major, self.minor = int(props["major"]), int(props["minor"])
        self.total_memory = int(props["totalGlobalMem"])
        self.multi_processor_count = int(props["multiProcessorCount"])

    def __repr__(self):
        return (f"_CudaDeviceProperties(name='{self.name}', major={self.major}, minor={self.minor}, "
                f"total_memory={self.total_memory // 2**20}MB, multi_processor_count={self.multi_processor_count})")


class CUDABackend(NumpyLikeBackend):
    """Tensors in GPU memory as CuPy arrays; matmul on cuBLAS, a few fused kernels."""

    xp = cupy
    indexed = True
    returns_scalars = False  # CuPy reductions give 0-d arrays
    host_checks = False  # no data-dependent checks in ops: each would wait for the GPU (torch asserts on device)
    conv_block = 1 << 26  # a convolution's stacked taps in one product per group (few large launches)
    kernels = KERNELS
    Stream = Stream
    Event = Event

    def __init__(self):
        super().__init__()
        self._count = cupy.cuda.runtime.getDeviceCount()
        self._pool = cupy.get_default_memory_pool()
        self._peaks = [[0, 0] for _ in range(self._count)]  # per device: (allocated, reserved)
        cupy.cuda.set_allocator(self._malloc)

    def lookup_native_dtype(self, d):
        return None if d.name == "bfloat16" else numpy.dtype(d.name)  # CuPy arrays report numpy dtypes

    # --- devices -------------------------------------------------------------
    def device_count(self):
        return self._count

    def current_index(self):
        return cupy.cuda.runtime.getDevice()

    def set_device(self, index):
        cupy.cuda.runtime.setDevice(index)

    def on(self, index):
        """A context in which CuPy allocates on device ``index`` (None: the current device)."""
        return contextlib.nullcontext() if index is None else cupy.cuda.Device(index)

    def describe(self):
        names = ", ".join(self.device_name(i) for i in range(self._count))
        return f"{self._count} device(s) ({names}; CuPy {cupy.__version__})"

    def device_name(self, index):
        return self.device_properties(index).name

    def device_capability(self, index):
        p = self.device_properties(index)
        return p.major, p.minor

    def device_properties(self, index):
        return DeviceProperties(cupy.cuda.runtime.getDeviceProperties(index))

    def current_stream(self, index):
        with self.on(index):
            return Stream.wrap(cupy.cuda.get_current_stream())

    def synchronize(self, index=None):
        with self.on(index):
            cupy.cuda.Device().synchronize()

    # --- memory --------------------------------------------------------------
    def _malloc(self, size):
        mem = self._pool.malloc(size)  # on the current device, whose pool counters we read
        used = self._pool.used_bytes()
        peak = self._peaks[mem.device_id]
        if used > peak[0]:
            peak[0] = used
        return mem

    def memory_allocated(self, index):
        with self.on(index):
            return self._pool.used_bytes()

    def memory_reserved(self, index):
        with self.on(index):
            return self._pool.total_bytes()

    def max_memory_allocated(self, index):
        return max(self._peaks[index][0], self.memory_allocated(index))

    def max_memory_reserved(self, index):
        return max(self._peaks[index][1], self.memory_reserved(index))

    def reset_peak_memory_stats(self, index):
        self._peaks[index] = [0, 0]

    def empty_cache(self):
        for index in range(self._count):  # the pool only grows until now: its size is the reserved peak
            peak = self._peaks[index]
            peak[1] = max(peak[1], self.memory_reserved(index))
        self._pool.free_all_blocks()
        cupy.get_default_pinned_memory_pool().free_all_blocks()

    # --- moving data ----------------------------------------------------------
    def from_host(self, array, index=None):
        with self.on(index):
            return cupy.asarray(array)

    def to_host(self, array):
        return cupy.asnumpy(array)

    def index_of(self, array):
        return array.device.id

    def copy(self, array):
        with array.device:
            return array.copy()

    def full(self, shape, value, dtype, index=None):
        with self.on(index):
            return cupy.full(shape, value, dtype=dtype)

    # --- randomness -------------------------------------------------------------
    def generator_engine(self, seed, index=None):
        index = self.current_index() if index is None else index
        try:
            return CuPyEngine(self, seed, index)
        except ImportError:  # CuPy without its cuRAND library: draw on the host, then copy to the GPU
            return HostEngine(self, seed, index)

    # --- where CuPy differs from numpy ------------------------------------------
    def argsort(self, array, axis, descending=False, stable=False):
        # CuPy's sort is always stable and accepts no ``kind``; NaN sorts last, as in numpy
        if not descending:
            return cupy.argsort(array, axis=axis)
        rev = cupy.argsort(cupy.flip(array, axis=axis), axis=axis)
        return (array.shape[axis] - 1) - cupy.flip(rev, axis=axis)

    def running_extreme(self, x, axis, largest):
        """Running max/min by doubling steps (log2(n) device passes; CuPy has no maximum.accumulate)."""
        fn = cupy.maximum if largest else cupy.minimum
        n = x.shape[axis]
        out = x.copy()
        step = 1
        while step < n:
            head = [slice(None)] * x.ndim
            tail = [slice(None)] * x.ndim
            head[axis], tail[axis] = slice(step, None), slice(None, n - step)
            out[tuple(head)] = fn(out[tuple(head)], out[tuple(tail)])  # the right side is a fresh copy
            step *= 2
        return out

    def accumulate_at(self, array, index, values, op="add"):
        if op == "add":
            cupy.add.at(array, index, values)
        elif array.dtype in _exact.SCATTER_TYPES and array.flags.c_contiguous:
            _exact.scatter_extreme(array, index, values, op)
        else:  # bool, 8/16-bit types: the portable host path
            host = cupy.asnumpy(array)
            getattr(numpy, op).at(host, self._host_index(index), cupy.asnumpy(values) if hasattr(values, "shape") else values)
            array[...] = cupy.asarray(host)

    def gather_taps(self, out, x, taps):
        _conv.gather_taps(out, x, taps)

    def add_taps(self, out, cols, starts):
        _conv.add_taps(out, cols, starts)

    def frexp(self, array):
        return _exact.frexp(array)

    def nextafter(self, a, b):
        return _exact.nextafter(a, b)

    def linalg(self, name, *arrays, **kwargs):
        """CuPy's linalg, raising numpy's ``LinAlgError`` where cuSOLVER reports a failure (as torch does).

        Checking the status waits for the GPU, as torch's linalg functions do (their ``_ex`` forms
        report it instead). ``solve`` gets operands with broadcast batch dimensions, which CuPy requires.
        """
        if name == "solve" and arrays[1].ndim >= 2:
            a, b = arrays
            batch = numpy.broadcast_shapes(a.shape[:-2], b.shape[:-2])
            arrays = (cupy.broadcast_to(a, batch + a.shape[-2:]), cupy.broadcast_to(b, batch + b.shape[-2:]))
        with cupyx.errstate(linalg="raise"):
            return super().linalg(name, *arrays, **kwargs)

    def sliding_windows(self, x, window, step, dilation):
        nsp = len(window)
        lead = x.ndim - nsp
        out = [(x.shape[lead + i] - dilation[i] * (window[i] - 1) - 1) // step[i] + 1 for i in range(nsp)]
        st = x.strides
        shape = tuple(x.shape[:lead]) + tuple(out) + tuple(window)
        strides = (
            tuple(st[:lead])
            + tuple(st[lead + i] * step[i] for i in range(nsp))
            + tuple(st[lead + i] * dilation[i] for i in range(nsp))
        )
        return cupy.lib.stride_tricks.as_strided(x, shape=shape, strides=strides)  # CuPy: no ``writeable``
