"""The backend contract: a namespace, a dtype map, devices, randomness, kernels.

A backend built on any array-API-compatible namespace only names it::

    class StrictBackend(ember.backends.Backend):
        xp = array_api_strict

Everything an op needs beyond the array API standard (scatter-add, special
functions, convolution helpers) has a portable default here; a backend
overrides the methods it can do faster, or an op's whole forward through
``kernels`` (op name -> ``fn(op, backend, *arrays_and_args)``).
"""

from __future__ import annotations

import numpy as _np  # host-side chores only: moving data to and from the host

from .. import _dtype

_HOST = {d: _np.dtype(d.name) for d in _dtype.ALL if d is not _dtype.bfloat16}


class Backend:
    """Base class of every device backend.

    Class attributes a subclass sets:
        xp: the array namespace (numpy, cupy, array_api_strict, ...).
        indexed: whether devices carry an index (``cuda:0``) or not (``cpu``).
        kernels: op name -> faster forward implementation.

    Example:
        >>> import numpy, ember
        >>> class MyCPU(ember.backends.Backend):
        ...     xp = numpy
        >>> MyCPU().native_dtype(ember.float32)
        dtype('float32')
    """

    xp = None
    indexed = False
    kernels: dict = {}
    device_type = None  # set by the registry when loaded
    plugin = None

    def __init__(self):
        xp = self.xp
        self._native = {}
        self._ember = {}
        for d in _dtype.ALL:
            nd = self.lookup_native_dtype(d)
            if nd is not None:
                self._native[d] = nd
                self._ember[nd] = d

    # --- dtypes -------------------------------------------------------------
    def lookup_native_dtype(self, d):
        """The namespace's dtype object for ember dtype ``d``, or None."""
        return getattr(self.xp, d.name, None)

    def native_dtype(self, d):
        try:
            return self._native[d]
        except KeyError:
            raise TypeError(f"the '{self.device_type}' backend does not support dtype {d}") from None

    def dtype_of(self, array):
        try:
            return self._ember[array.dtype]
        except KeyError:
            raise TypeError(f"the '{self.device_type}' backend produced an unsupported dtype {array.dtype}") from None

    # --- devices ------------------------------------------------------------
    def device_count(self):
        return 1

    def current_index(self):
        return 0 if self.indexed else None

    def canonical_index(self, index):
        if not self.indexed:
            if index not in (None, 0):
                raise RuntimeError(f"device '{self.device_type}' has no index {index}; use '{self.device_type}'")
            return None
        index = self.current_index() if index is None else index
        if not 0 <= index < self.device_count():
            raise RuntimeError(f"invalid device ordinal: {self.device_type}:{index} ({self.device_count()} device(s) available)")
        return index

    def describe(self):
        """A short human description of the devices (for ``python -m ember``)."""
        return f"{self.device_count()} device(s)"

    # --- moving data ----------------------------------------------------------
    def from_host(self, array, index=None):
        """Put a numpy array (or nested Python data) on device ``index``."""
        return self.xp.asarray(array)

    def to_host(self, array):
        """A numpy array with the contents of ``array``."""
        try:
            return _np.from_dlpack(array)
        except (TypeError, AttributeError, BufferError, RuntimeError):
            return _np.asarray(array)

    def index_of(self, array):
        return self.current_index()

    def copy(self, array):
        return self.xp.asarray(array, copy=True)

    def full(self, shape, value, dtype, index=None):
        """A new array of ``shape`` filled with ``value`` on device ``index``."""
        return self.xp.full(shape, value, dtype=dtype)

    def assign(self, dst, src):
        """Write ``src`` into ``dst`` in place (same shape, castable dtype)."""
        dst[...] = src

    def shares_memory(self, a, b):
        return False

    def is_contiguous(self, array):
        return True

    def synchronize(self, index=None):
        pass

    # --- randomness -------------------------------------------------------------
    def generator_engine(self, seed, index=None):
        """A random engine for this device; the default draws on the host."""
        return HostEngine(self, seed, index)

    # --- kernels beyond the array API standard (portable defaults) --------------
    def _host_roundtrip(self, fn, *arrays, index=None):
        out = fn(*[self.to_host(a) if hasattr(a, "shape") else a for a in arrays])
        return self.from_host(_np.ascontiguousarray(out), index)

    def scatter_add(self, target, dim, index, src):
        """Return a copy of ``target`` with ``src`` added at ``index`` along ``dim``."""

        def host(t, i, s):
            out = t.copy()
            idx = list(_np.indices(i.shape, sparse=True))
            idx[dim] = i
            _np.add.at(out, tuple(idx), s)
            return out

        return self._host_roundtrip(host, target, index, src)

    def index_add(self, target, dim, index, src):
        """Return a copy of ``target`` with slices of ``src`` added at ``index`` along ``dim``."""

        def host(t, i, s):
            out = t.copy()
            sl = (slice(None),) * dim
            _np.add.at(out, sl + (i,), s)
            return out

        return self._host_roundtrip(host, target, index, src)

    def einsum(self, equation, *operands):
        return self._host_roundtrip(lambda *ops: _np.einsum(equation, *ops, optimize=True), *operands)

    def sliding_windows(self, x, window, step, dilation):
        """Windows over the trailing ``len(window)`` axes: shape ``(..., out..., k...)``.

        A copy here; numpy-like backends return a strided view instead.
        """
        xp = self.xp
        nsp = len(window)
        lead = x.ndim - nsp
        out = [(x.shape[lead + i] - dilation[i] * (window[i] - 1) - 1) // step[i] + 1 for i in range(nsp)]
        pieces = []
        for k in _np.ndindex(*window):
            sl = [slice(None)] * lead
            for i in range(nsp):
                start = k[i] * dilation[i]
                sl.append(slice(start, start + step[i] * (out[i] - 1) + 1, step[i]))
            pieces.append(x[tuple(sl)])
        stacked = xp.stack(pieces, axis=-1)
        return xp.reshape(stacked, tuple(x.shape[:lead]) + tuple(out) + tuple(window))


class HostEngine:
    """Random numbers drawn with numpy's PCG64 on the host, then moved to the device."""

    def __init__(self, backend, seed, index):
        self.backend, self.index = backend, index
        self.seed(seed)

    def seed(self, seed):
        self.rng = _np.random.Generator(_np.random.PCG64(seed))

    def get_state(self):
        return dict(self.rng.bit_generator.state)

    def set_state(self, state):
        self.rng.bit_generator.state = state

    def _out(self, a, dtype):
        nd = _HOST.get(dtype)
        a = _np.asarray(a, dtype=nd) if nd is not None else a
        return self.backend.from_host(a, self.index)

    def uniform(self, shape, dtype, low=0.0, high=1.0):
        return self._out(self.rng.uniform(low, high, size=shape), dtype)

    def normal(self, shape, dtype, mean=0.0, std=1.0):
        return self._out(self.rng.normal(mean, std, size=shape), dtype)

    def integers(self, low, high, shape, dtype):
        return self._out(self.rng.integers(low, high, size=shape), dtype)

    def permutation(self, n, dtype):
        return self._out(self.rng.permutation(n), dtype)

    def host(self):
        """The numpy Generator itself, for samplers that draw on the host."""
        return self.rng
