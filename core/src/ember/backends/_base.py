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
from ._host_random import HostEngine

# Torch follows IEEE 754 silently (log(0) = -inf, 0/0 = nan); numpy would warn on every such value.
_np.seterr(all="ignore")



class Backend:
    """Base class of every device backend.

    Class attributes a subclass sets:
        xp: the array namespace (numpy, cupy, array_api_strict, ...).
        indexed: whether devices carry an index (``cuda:0``) or not (``cpu``).
        kernels: op name -> faster forward implementation (``"<Op>.backward"``: a faster backward, where the op asks).

    Example:
        >>> import numpy, ember
        >>> class MyCPU(ember.backends.Backend):
        ...     xp = numpy
        >>> MyCPU().native_dtype(ember.float32) == numpy.float32
        True
    """

    xp = None
    indexed = False
    returns_scalars = False  # the namespace returns scalars, not 0-d arrays, from some 0-d ops (numpy)
    host_checks = True  # reading a value back is cheap: ops may check data (index bounds) and pick fast paths by it
    cache_block = 0  # elements of a cache-sized piece for chains of in-place steps (optimizers); 0: whole arrays
    conv_block = 1 << 18  # elements of the stacked-tap buffer a convolution fills per matrix product
    kernels: dict = {}
    device_type = None  # set by the registry when loaded
    plugin = None

    def __init__(self):
        self._native = {}
        self._ember = {}
        for d in _dtype.ALL:
            nd = self.lookup_native_dtype(d)
            if nd is not None:
                self._native[d] = nd
                self._ember[nd] = d

    # --- dtypes -------------------------------------------------------------
    def lookup_native_dtype(self, d):
        """The namespace's dtype for ember dtype ``d`` as its arrays report it (``array.dtype``), or None."""
        nd = getattr(self.xp, d.name, None)
        if nd is None:
            return None
        return self.xp.empty((0,), dtype=nd).dtype  # numpy-likes name scalar types, arrays report dtype objects

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

    def into(self, dst, fn, *args, **kwargs):
        """``fn(*args, **kwargs)`` written into ``dst`` (same shape and dtype), which is returned.

        ``fn`` is a function of the namespace that numpy gives an ``out=`` argument (an elementwise
        function, ``matmul``, ``concat``); namespaces that follow numpy compute straight into ``dst``
        instead of through a temporary.

        Example:
            >>> import numpy, ember
            >>> dst = numpy.zeros(2)
            >>> ember.backends.Backend().into(dst, numpy.add, numpy.ones(2), 1.0).tolist()
            [2.0, 2.0]
        """
        dst[...] = fn(*args, **kwargs)
        return dst

    def shares_memory(self, a, b):
        return False

    def is_contiguous(self, array):
        return True

    def reshape_view(self, array, shape):
        """``array`` reshaped without a copy, or None when its layout does not allow that (``Tensor.view``)."""
        try:
            return self.xp.reshape(array, shape, copy=False)
        except (ValueError, AttributeError):
            return None
        except TypeError:  # a namespace whose reshape has no ``copy`` argument (numpy < 2.1)
            view = array.view()
            try:
                view.shape = shape
            except AttributeError:
                return None
            return view

    def synchronize(self, index=None):
        pass

    # --- randomness -------------------------------------------------------------
    def generator_engine(self, seed, index=None):
        """A random engine for this device; the default draws on the host with torch's CPU algorithms."""
        return HostEngine(self, seed, index)

    # --- kernels beyond the array API standard (portable defaults) --------------
    def _host_roundtrip(self, fn, *arrays, index=None):
        out = fn(*[self.to_host(a) if hasattr(a, "shape") else a for a in arrays])
        out = _np.asarray(out)
        return self.from_host(_np.ascontiguousarray(out).reshape(out.shape), index)  # keeps 0-d results 0-d

    def masked(self, array, mask):
        """``array * mask`` for a bool ``mask`` (0 where it is False; NaN and inf times False give NaN, as a product)."""
        return array * self.xp.astype(mask, array.dtype)

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

    def getitem(self, array, index):
        """``array[index]`` for any numpy-style index; forms the namespace lacks go through the host."""
        try:
            return array[index]
        except (IndexError, TypeError):
            out = self.to_host(array)[self._host_index(index)]
            return self.from_host(_np.asarray(out, order="C"), self.index_of(array))

    def setitem(self, array, index, value):
        """``array[index] = value`` in place; forms the namespace lacks go through the host."""
        try:
            array[index] = value
        except (IndexError, TypeError):
            host = self.to_host(array).copy()
            host[self._host_index(index)] = self.to_host(value) if hasattr(value, "shape") else value
            array[...] = self.from_host(host, self.index_of(array))

    def accumulate_at(self, array, index, values, op="add"):
        """In place ``array[index] = op(array[index], values)``, repeated indices applied in turn.

        ``op`` names a numpy ufunc: add, multiply, maximum or minimum (numpy's ``ufunc.at``).
        """
        host = self.to_host(array).copy()
        getattr(_np, op).at(host, self._host_index(index), self.to_host(values) if hasattr(values, "shape") else values)
        array[...] = self.from_host(host, self.index_of(array))

    def _host_index(self, index):
        return tuple(self.to_host(i) if hasattr(i, "shape") else i for i in index)

    def diagonal(self, array, offset, dim1, dim2):
        """The ``offset`` diagonal of the ``(dim1, dim2)`` planes as a new last axis.

        A copy here (dims moved last, flattened, strided slice); numpy-like backends return a view.
        """
        xp = self.xp
        keep = [d for d in range(array.ndim) if d not in (dim1, dim2)]
        a = xp.permute_dims(array, tuple(keep) + (dim1, dim2))
        m, n = a.shape[-2:]
        a = a[..., min(max(-offset, 0), m):, min(max(offset, 0), n):]
        m, n = a.shape[-2:]
        k = min(m, n)
        flat = xp.reshape(a, tuple(a.shape[:-2]) + (m * n,))
        return flat[..., 0:(k - 1) * (n + 1) + 1:n + 1] if k else flat

    # --- strided memory and complex views (as_strided, data_ptr, view_as_real/complex) ---
    def storage(self, array, op):
        """``(flat, offset)``: a 1-D view, in ``array``'s dtype, of all the memory ``array`` lives in, and the
        element offset of its first element. Needs strided memory: the default raises for ``op``."""
        raise NotImplementedError(f"{op}: the '{self.device_type}' backend has no strided memory (its arrays expose "
                                  f"no strides or addresses)")

    def as_strided(self, flat, size, stride, offset):
        """A view of ``flat`` (from :meth:`storage`) with element ``size``/``stride`` starting at element ``offset``."""
        raise NotImplementedError(f"as_strided: the '{self.device_type}' backend has no strided memory")

    def data_ptr(self, array):
        """The address of ``array``'s first element (an int)."""
        raise NotImplementedError(f"data_ptr: the '{self.device_type}' backend exposes no memory addresses")

    def complex(self, real, imag):
        """The complex array ``real + i*imag`` (broadcast), exact for inf/nan parts (no ``imag * 1j``)."""
        return self._host_roundtrip(lambda r, i: build_complex(_np, r, i), real, imag, index=self.index_of(real))

    def view_as_real(self, array):
        """A complex array as real ``(..., 2)`` pairs: a copy here; numpy-like backends return a view."""
        return self.xp.stack([self.xp.real(array), self.xp.imag(array)], axis=-1)

    def view_as_complex(self, array):
        """Real ``(..., 2)`` pairs as a complex array: a copy here; numpy-like backends return a view."""
        return self.complex(array[..., 0], array[..., 1])

    def gather_taps(self, out, x, taps):
        """A convolution's stacked taps: ``out[:, :, k, :, :length] = x[:, :, :, phase, off:off + length]``
        for each tap ``k = (phase, off, length)``, with ``x`` ``(b, groups, cg, S, P)`` and ``out``
        ``(groups, cg, K, b, span)`` (a view; positions past a tap's length are left as they are).

        Example:
            >>> import numpy, ember
            >>> out = numpy.zeros((1, 1, 2, 1, 3))
            >>> ember.zeros(1)._be.gather_taps(out, numpy.arange(4.0).reshape(1, 1, 1, 1, 4), [(0, 0, 3), (0, 1, 3)])
            >>> out[0, 0, :, 0]
            array([[0., 1., 2.],
                   [1., 2., 3.]])
        """
        xs = self.xp.permute_dims(x, (1, 2, 0, 3, 4))
        for k, (phase, off, length) in enumerate(taps):
            out[:, :, k, :, :length] = xs[:, :, :, phase, off:off + length]

    def add_taps(self, out, cols, starts):
        """The adjoint of :meth:`gather_taps` on flat rows: ``out[..., s:s + w] += cols[:, :, k, :w]`` for each
        tap's start ``s`` (``w`` cut at the end of ``out``), with ``out`` ``(b, groups, size)`` and ``cols``
        ``(b, groups, K, width)``.

        Example:
            >>> import numpy, ember
            >>> out = numpy.zeros((1, 1, 4))
            >>> ember.zeros(1)._be.add_taps(out, numpy.ones((1, 1, 2, 3)), [0, 1])
            >>> out
            array([[[1., 2., 2., 1.]]])
        """
        size, width = out.shape[-1], cols.shape[-1]
        for k, start in enumerate(starts):
            stop = min(start + width, size)
            out[:, :, start:stop] += cols[:, :, k, :stop - start]

    def nextafter(self, a, b):
        """The next representable value after ``a`` towards ``b``, elementwise (same dtype).

        Example:
            >>> import numpy, ember
            >>> ember.zeros(1)._be.nextafter(numpy.float32([1.0]), numpy.float32([2.0])) - 1
            array([1.1920929e-07], dtype=float32)
        """
        return self.xp.nextafter(a, b)

    def frexp(self, array):
        """``(mantissa, exponent)`` with ``array == mantissa * 2**exponent``, ``0.5 <= |mantissa| < 1``; int32 exponent."""
        m, e = _np.frexp(self.to_host(array))
        index = self.index_of(array)
        return self.from_host(_np.asarray(m), index), self.from_host(_np.asarray(e, dtype=_np.int32), index)

    def argsort(self, array, axis, descending=False, stable=False):
        """Indices that sort ``array`` along ``axis`` (NaN sorts as the largest value)."""
        return self.xp.argsort(array, axis=axis, descending=descending, stable=stable)

    def matmul(self, a, b):
        """Matrix product with numpy's broadcasting rules."""
        return self.xp.matmul(a, b)

    def einsum(self, equation, *operands):
        return self._host_roundtrip(lambda *ops: _np.einsum(equation, *ops, optimize=True), *operands)

    def running_extreme(self, x, axis, largest):
        """Running maximum (or minimum) along ``axis``; NaN propagates."""
        fn = _np.maximum if largest else _np.minimum
        return self._host_roundtrip(lambda a: fn.accumulate(a, axis=axis), x)

    def linalg(self, name, *arrays, **kwargs):
        """``xp.linalg.<name>(*arrays, **kwargs)``, or numpy's on the host where the namespace lacks it."""
        fn = getattr(getattr(self.xp, "linalg", None), name, None)
        if fn is not None:
            return fn(*arrays, **kwargs)
        out = getattr(_np.linalg, name)(*[self.to_host(a) for a in arrays], **kwargs)
        if isinstance(out, tuple):
            return tuple(self.from_host(_np.array(o)) for o in out)
        return self.from_host(_np.array(out))

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


def build_complex(xp, real, imag):
    """``real + i*imag`` on a numpy-like namespace by writing both parts of a new complex array.

    Example:
        >>> import numpy
        >>> build_complex(numpy, numpy.array([1.0]), numpy.array([numpy.inf]))
        array([1.+infj])
    """
    real, imag = xp.broadcast_arrays(real, imag)
    out = xp.empty(real.shape, dtype=xp.result_type(real.dtype, xp.complex64))
    out.real, out.imag = real, imag
    return out
