"""Small helpers the op modules share: scalar wrapping, promotion, gradient reduction."""

from __future__ import annotations

from .. import _dtype
from .._tensor import Tensor, _make, apply, default_device


def scalar_like(value, dtype, like):
    """A 0-d tensor holding Python number ``value`` on ``like``'s device."""
    be = like._be
    return _make(be.xp.asarray(value, dtype=be.native_dtype(dtype)), be, like._device, dtype)


def to_tensor(x, like=None, dtype=None):
    """``x`` as a Tensor (numbers and nested data go on ``like``'s device)."""
    if isinstance(x, Tensor):
        return x
    if like is not None and isinstance(x, (int, float, bool, complex)):
        return scalar_like(x, dtype or _dtype.result_type(x), like)
    from .._creation import tensor

    dev = like._device if like is not None else None
    return tensor(x, dtype=dtype, device=dev)


def promote(op_name, a, b):
    """``(a, b)`` as tensors of their torch result dtype."""
    ta = isinstance(a, Tensor)
    tb = isinstance(b, Tensor)
    if ta and tb:
        if a.dtype is b.dtype:
            return a, b
        dt = _dtype.result_type(a, b)
        return (a if a.dtype is dt else cast(a, dt)), (b if b.dtype is dt else cast(b, dt))
    if ta:
        dt = _dtype.result_type(a, b)
        return (a if a.dtype is dt else cast(a, dt)), scalar_like(b, dt, a)
    if tb:
        dt = _dtype.result_type(a, b)
        return scalar_like(a, dt, b), (b if b.dtype is dt else cast(b, dt))
    raise TypeError(f"{op_name}: expected at least one tensor, got {type(a).__name__} and {type(b).__name__}")


def cast(t, dtype):
    if t.dtype is dtype:
        return t
    return apply(_Cast[0], (t,), dtype)


_Cast = []  # filled by ops.shape on import (it imports this module)


def sum_to(g, shape):
    """Reduce gradient ``g`` to ``shape`` by summing broadcast dimensions."""
    gshape = g._data.shape  # the raw tuple: no Size built on the per-op backward path
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    dims = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape) if s == 1 and gshape[i + lead] != 1)
    if dims:
        g = g.sum(dim=dims, keepdim=True)
    if lead:
        g = g.reshape(shape)
    return g


def default_float():
    return _dtype.get_default_dtype()


def wrap_dim(dim, ndim, op="op"):
    n = ndim if ndim else 1
    if not -n <= dim < n:
        raise IndexError(f"{op}: Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim % n


def wrap_dims(dim, ndim, op="op"):
    """Normalise ``dim`` (None, an int or a sequence) to a sorted tuple of axes."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, int):
        return (wrap_dim(dim, ndim, op),)
    dims = tuple(wrap_dim(d, ndim, op) for d in dim)
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"{op}: dim {dims} appears multiple times in the list of dims")
    return tuple(sorted(dims)) if dims else tuple(range(ndim))


__all__ = ["scalar_like", "to_tensor", "promote", "cast", "sum_to", "default_float", "wrap_dim", "wrap_dims", "default_device"]
