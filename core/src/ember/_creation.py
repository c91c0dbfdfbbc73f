"""Creating tensors: from data, filled, ranges, and the ``*_like`` forms."""

from __future__ import annotations

import math

import numpy as _np  # host-side only: turning Python data into a host buffer

from . import _dtype
from ._runtime import preserve_format
from ._tensor import Tensor, _make, default_device, resolve_device
from .ops._registry import export


def _target(device, dtype_default=None, dtype=None):
    be, dev = resolve_device(device) if device is not None else default_device()
    return be, dev


def _host_array(data, dtype):
    """Nested Python data (or numpy/array-API arrays, tensors) as a numpy array with torch's dtype inference."""
    if isinstance(data, Tensor):
        return data.detach()._host(), data.dtype
    if isinstance(data, _np.ndarray) or hasattr(data, "__array_interface__"):
        arr = _np.asarray(data)
        return arr, _dtype.to_dtype(arr.dtype)
    if isinstance(data, (list, tuple)):
        data = _flatten_tensors(data)
    arr = _np.asarray(data)
    if arr.dtype == object:
        raise TypeError(f"tensor(): could not infer a dtype for {type(data).__name__} data of this structure (ragged nested sequences are not tensors)")
    kind = arr.dtype.kind
    if kind == "f":
        inferred = _dtype.get_default_dtype() if not hasattr(data, "dtype") else _dtype.to_dtype(arr.dtype)
    elif kind in "iu":
        inferred = _dtype.int64 if not hasattr(data, "dtype") else _dtype.to_dtype(arr.dtype)
    elif kind == "b":
        inferred = _dtype.bool
    elif kind == "c":
        inferred = _dtype.get_default_dtype().to_complex()
    elif kind in "US":
        raise TypeError(f"new(): invalid data type '{type(data).__name__}' with strings")
    else:
        inferred = _dtype.to_dtype(arr.dtype)
    return arr, inferred


def _flatten_tensors(data):
    if isinstance(data, Tensor):
        return data.detach()._host()
    if isinstance(data, (list, tuple)):
        return [_flatten_tensors(d) for d in data]
    return data


def _from_host(arr, dtype, be, dev):
    native = be.native_dtype(dtype)
    if be.xp is _np:
        out = _np.array(arr, dtype=native, copy=True)
    else:
        host = arr.astype(_np.dtype(dtype.name)) if dtype is not _dtype.bfloat16 else arr
        out = be.xp.astype(be.from_host(_np.asarray(host, order="C"), dev.index), native)
    return _make(out, be, dev, dtype)


@export(method=False)
def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of ``data`` (numbers, nested lists, numpy arrays).

    Python floats become the default dtype, ints int64, bools bool.

    Example:
        >>> import ember
        >>> ember.tensor([[1, 2], [3, 4]]).dtype, ember.tensor([1.5]).dtype
        (ember.int64, ember.float32)
    """
    if isinstance(data, Tensor):
        import warnings

        warnings.warn("To copy construct from a tensor, it is recommended to use sourceTensor.clone().detach() or sourceTensor.clone().detach().requires_grad_(True), rather than ember.tensor(sourceTensor).", UserWarning, stacklevel=2)
    arr, inferred = _host_array(data, dtype)
    dtype = _dtype.to_dtype(dtype) if dtype is not None else inferred
    be, dev = _target(device)
    t = _from_host(arr, dtype, be, dev)
    if requires_grad:
        t.requires_grad_(True)
    return t


@export(method=False)
def as_tensor(data, dtype=None, device=None):
    """Like :func:`tensor`, but shares memory with a CPU numpy array or tensor when it can.

    Example:
        >>> import ember, numpy
        >>> a = numpy.zeros(2); t = ember.as_tensor(a); a[0] = 5; t
        tensor([5., 0.], dtype=ember.float64)
    """
    if isinstance(data, Tensor):
        out = data
        if device is not None:
            out = out.to(device)
        return out.to(dtype) if dtype is not None else out
    if isinstance(data, _np.ndarray) and (device is None or str(device) == "cpu"):
        be, dev = _target(device)
        d = _dtype.to_dtype(data.dtype)
        t = _make(data, be, dev, d) if be.xp is _np else tensor(data)
        return t.to(dtype) if dtype is not None else t
    return tensor(data, dtype=dtype, device=device)


@export(method=False)
def from_numpy(ndarray):
    """A CPU tensor sharing memory with ``ndarray``.

    Example:
        >>> import ember, numpy
        >>> ember.from_numpy(numpy.arange(3)).dtype
        ember.int64
    """
    if not isinstance(ndarray, _np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    be, dev = resolve_device("cpu")
    return _make(ndarray, be, dev, _dtype.to_dtype(ndarray.dtype))


@export(method=False)
def from_dlpack(ext_tensor):
    """A tensor sharing memory with any DLPack-capable array on a device Ember has.

    Example:
        >>> import ember, numpy
        >>> ember.from_dlpack(numpy.ones(2)).tolist()
        [1.0, 1.0]
    """
    if isinstance(ext_tensor, Tensor):
        return ext_tensor
    dev_type, dev_id = ext_tensor.__dlpack_device__()
    name = {1: "cpu", 2: "cuda", 3: "cpu"}.get(int(dev_type))
    if name is None:
        raise RuntimeError(f"from_dlpack: unsupported DLPack device type {dev_type}")
    be, dev = resolve_device(name if name == "cpu" else f"{name}:{dev_id}")
    arr = be.xp.from_dlpack(ext_tensor)
    return _make(arr, be, dev, be.dtype_of(arr))


def _size(size):
    if len(size) == 1 and not isinstance(size[0], int):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, int) and not hasattr(s, "__index__"):
            raise TypeError(f"size must be a sequence of ints, got {type(s).__name__}")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
    return tuple(int(s) for s in size)


def _fill(size, value, dtype, device, requires_grad):
    be, dev = _target(device)
    arr = be.full(size, value, be.native_dtype(dtype), dev.index)
    t = _make(arr, be, dev, dtype)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _float_or(dtype):
    return _dtype.get_default_dtype() if dtype is None else _dtype.to_dtype(dtype)


@export(method=False)
def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """A tensor of zeros.

    Example:
        >>> import ember
        >>> ember.zeros(2, 3).shape
        ember.Size([2, 3])
    """
    return _fill(_size(size), 0, _float_or(dtype), device, requires_grad)


@export(method=False)
def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """A tensor of ones.

    Example:
        >>> import ember
        >>> ember.ones(2)
        tensor([1., 1.])
    """
    return _fill(_size(size), 1, _float_or(dtype), device, requires_grad)


@export(method=False)
def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False, memory_format=None):
    """An uninitialised tensor (Ember fills it with zeros).

    Example:
        >>> import ember
        >>> ember.empty(3).shape
        ember.Size([3])
    """
    return _fill(_size(size), 0, _float_or(dtype), device, requires_grad)


@export(method=False)
def full(size, fill_value, *, dtype=None, device=None, requires_grad=False):
    """A tensor filled with ``fill_value`` (its dtype inferred from the value).

    Example:
        >>> import ember
        >>> ember.full((2,), 7)
        tensor([7, 7])
    """
    if dtype is None:
        dtype = _dtype.result_type(fill_value) if not isinstance(fill_value, Tensor) else fill_value.dtype
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _fill(_size((size,) if isinstance(size, int) else tuple(size)), fill_value, _dtype.to_dtype(dtype), device, requires_grad)


def _like(input, dtype, device):
    return (input.dtype if dtype is None else _dtype.to_dtype(dtype)), (input.device if device is None else device)


def memory_order(input):
    """``input``'s dims from the largest stride to the smallest, or None when it is contiguous.

    Example:
        >>> import ember
        >>> memory_order(ember.zeros(2, 3).t())
        [1, 0]
    """
    if input._be.is_contiguous(input._data):
        return None
    strides = input.stride()
    return sorted(range(input.ndim), key=lambda d: -strides[d])


def _filled_like(input, value, dtype, device, requires_grad, memory_format):
    """``value`` in ``input``'s shape laid out in its stride order, as torch's ``preserve_format`` lays it."""
    d, dev = _like(input, dtype, device)
    order = memory_order(input) if memory_format in (None, preserve_format) else None
    if order is None:
        return _fill(tuple(input.shape), value, d, dev, requires_grad)
    t = _fill(tuple(input.shape[i] for i in order), value, d, dev, False)
    t = t.permute(*sorted(range(input.ndim), key=order.__getitem__))
    return t.requires_grad_() if requires_grad else t


@export(method=False)
def zeros_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    """Zeros with ``input``'s shape, dtype and device.

    Example:
        >>> import ember
        >>> ember.zeros_like(ember.ones(2, dtype=ember.int32))
        tensor([0, 0], dtype=ember.int32)
    """
    return _filled_like(input, 0, dtype, device, requires_grad, memory_format)


@export(method=False)
def ones_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    """Ones with ``input``'s shape, dtype and device.

    Example:
        >>> import ember
        >>> ember.ones_like(ember.zeros(2))
        tensor([1., 1.])
    """
    return _filled_like(input, 1, dtype, device, requires_grad, memory_format)


@export(method=False)
def empty_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    """An uninitialised tensor like ``input`` (zeros in Ember).

    Example:
        >>> import ember
        >>> ember.empty_like(ember.ones(2, 2)).shape
        ember.Size([2, 2])
    """
    return zeros_like(input, dtype=dtype, device=device, requires_grad=requires_grad, memory_format=memory_format)


@export(method=False)
def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    """``fill_value`` with ``input``'s shape, dtype and device.

    Example:
        >>> import ember
        >>> ember.full_like(ember.zeros(2), 3.5)
        tensor([3.5000, 3.5000])
    """
    return _filled_like(input, fill_value, dtype, device, requires_grad, memory_format)


def _new(self, size, value, dtype, device, requires_grad):
    return _fill(_size(size), value, self.dtype if dtype is None else _dtype.to_dtype(dtype),
                 self.device if device is None else device, requires_grad)


def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
    """Zeros of ``size`` with this tensor's dtype and device.

    Example:
        >>> import ember
        >>> ember.ones(1, dtype=ember.float64).new_zeros(2)
        tensor([0., 0.], dtype=ember.float64)
    """
    return _new(self, size, 0, dtype, device, requires_grad)


def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
    """Ones of ``size`` with this tensor's dtype and device.

    Example:
        >>> import ember
        >>> ember.zeros(1).new_ones(2)
        tensor([1., 1.])
    """
    return _new(self, size, 1, dtype, device, requires_grad)


def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
    """An uninitialised tensor (zeros) with this tensor's dtype and device.

    Example:
        >>> import ember
        >>> ember.zeros(1).new_empty(3).shape
        ember.Size([3])
    """
    return _new(self, size, 0, dtype, device, requires_grad)


def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    """``fill_value`` of ``size`` with this tensor's dtype and device.

    Example:
        >>> import ember
        >>> ember.zeros(1).new_full((2,), 4)
        tensor([4., 4.])
    """
    return _new(self, (tuple(size),), fill_value, dtype, device, requires_grad)


def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    """``ember.tensor(data)`` with this tensor's dtype and device by default.

    Example:
        >>> import ember
        >>> ember.zeros(1, dtype=ember.float64).new_tensor([1, 2])
        tensor([1., 2.], dtype=ember.float64)
    """
    return tensor(data, dtype=self.dtype if dtype is None else dtype,
                  device=self.device if device is None else device, requires_grad=requires_grad)


for _f in (new_zeros, new_ones, new_empty, new_full, new_tensor):
    setattr(Tensor, _f.__name__, _f)


@export(method=False)
def arange(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """Values from ``start`` to ``end`` (exclusive) by ``step``.

    Example:
        >>> import ember
        >>> ember.arange(5), ember.arange(0, 1, 0.25)
        (tensor([0, 1, 2, 3, 4]), tensor([0.0000, 0.2500, 0.5000, 0.7500]))
    """
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = vals
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if (end - start) * step < 0 and end != start:
        raise RuntimeError("arange: upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        dtype = _dtype.int64 if all(isinstance(v, int) for v in vals) else _dtype.get_default_dtype()
    dtype = _dtype.to_dtype(dtype)
    n = max(0, math.ceil((end - start) / step))
    be, dev = _target(device)
    host = (_np.arange(n, dtype=_np.float64) * step + start) if dtype.category >= 2 else _np.arange(start, end, step)
    t = _from_host(host[:n], dtype, be, dev)
    if requires_grad:
        t.requires_grad_()
    return t


@export(method=False)
def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive.

    Example:
        >>> import ember
        >>> ember.linspace(0, 1, 3)
        tensor([0.0000, 0.5000, 1.0000])
    """
    if steps < 0:
        raise RuntimeError("linspace: number of steps must be non-negative")
    dtype = _float_or(dtype)
    be, dev = _target(device)
    values = _torch_linspace(start, end, int(steps), dtype) if dtype.category == 2 else \
        _np.linspace(start, end, int(steps))
    t = _from_host(values, dtype, be, dev)
    return t.requires_grad_() if requires_grad else t


def _half_host(dtype):
    """The host numpy type of float16 or bfloat16 (``ml_dtypes``' where it is installed), else None."""
    if dtype is _dtype.float16:
        return _np.float16
    try:
        import ml_dtypes
    except ImportError:
        return None
    return ml_dtypes.bfloat16


def _torch_linspace(start, end, steps, dtype):
    """torch's float linspace, value for value: a step in the dtype, then ``start + step * i`` for the
    first half and ``end - step * (steps - 1 - i)`` for the rest (so both ends are exact); one step is ``start``."""
    if steps == 1:
        end = start
    low = _half_host(dtype) if dtype.itemsize == 2 else None
    if low is not None:  # float16/bfloat16: torch steps in the dtype itself, every operation rounding to it
        start, end, i = _np.array(start, dtype=low), _np.array(end, dtype=low), _np.arange(steps)
        step = (end - start) / _np.array(max(steps - 1, 1), dtype=low)
        return _np.where(i < steps // 2, start + step * i.astype(low), end - step * (steps - 1 - i).astype(low))
    real = _np.float64 if dtype is _dtype.float64 else _np.float32
    start, end = real(start), real(end)
    step = real(real(end - start) / real(max(steps - 1, 1)))
    # each value is rounded once (a fused multiply-add): the product is exact in extended precision
    i = _np.arange(steps, dtype=_np.longdouble)
    head = _np.longdouble(start) + _np.longdouble(step) * i
    tail = _np.longdouble(end) - _np.longdouble(step) * (steps - 1 - i)
    return _np.where(i < steps // 2, head, tail).astype(real)


@export(method=False)
def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    """``steps`` values spaced evenly on a log scale from ``base**start`` to ``base**end``.

    Example:
        >>> import ember
        >>> ember.logspace(0, 2, 3)
        tensor([  1.,  10., 100.])
    """
    dtype = _float_or(dtype)
    be, dev = _target(device)
    t = _from_host(_np.power(base, _np.linspace(float(start), float(end), int(steps))), dtype, be, dev)
    return t.requires_grad_() if requires_grad else t


@export(method=False)
def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    """The ``n x m`` identity matrix.

    Example:
        >>> import ember
        >>> ember.eye(2)
        tensor([[1., 0.],
                [0., 1.]])
    """
    dtype = _float_or(dtype)
    be, dev = _target(device)
    t = _make(be.xp.eye(n, m if m is not None else n, dtype=be.native_dtype(dtype)), be, dev, dtype)
    return t.requires_grad_() if requires_grad else t
