"""Indexing and assignment: ``x[...]`` and ``x[...] = v``, differentiable."""

from __future__ import annotations

from .. import _dtype
from .._tensor import Tensor, _make, apply
from ..autograd.node import Op
from ._util import promote, sum_to


def _convert_index(index, be, device):
    """Turn an index expression into one the backend understands (tensors -> arrays)."""
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    advanced = False
    for i in index:
        if isinstance(i, Tensor):
            if i._device != device:
                if i.ndim == 0 or i._device.type == "cpu":
                    i = i.to(device)
                else:
                    raise RuntimeError(f"indices should be either on cpu or on the same device as the indexed tensor ({device})")
            if i.dtype.category > 1:
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            out.append(i._data)
            advanced = True
        elif isinstance(i, (list,)) or (hasattr(i, "__array__") and not isinstance(i, (int, slice))):
            import numpy as _np

            arr = _np.asarray(i)
            if arr.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            out.append(be.from_host(arr, device.index))
            advanced = True
        elif i is None or i is Ellipsis or isinstance(i, slice):
            if isinstance(i, slice):
                i = slice(*(int(v) if isinstance(v, Tensor) else v for v in (i.start, i.stop, i.step)))
                if i.step is not None and i.step <= 0:
                    raise ValueError("step must be greater than zero")
            out.append(i)
        elif isinstance(i, bool):
            out.append(be.xp.asarray(i))
            advanced = True
        elif isinstance(i, int) or hasattr(i, "__index__"):
            out.append(int(i))
        else:
            raise IndexError(f"only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices (got {type(i).__name__})")
    return tuple(out), advanced


def _check_bounds(x_shape, index):
    dim = 0
    for i in index:
        if i is None:
            continue
        if i is Ellipsis:
            dim = len(x_shape) - sum(1 for j in index if j is not None and j is not Ellipsis and not (hasattr(j, "dtype") and j.dtype == bool)) + 0
            continue
        if isinstance(i, int):
            if dim >= len(x_shape):
                raise IndexError(f"too many indices for tensor of dimension {len(x_shape)}")
            n = x_shape[dim]
            if not -n <= i < n:
                raise IndexError(f"index {i} is out of bounds for dimension {dim} with size {n}")
        dim += 1


class Getitem(Op):
    view = False

    def forward(self, be, a, index, advanced):
        self.in_shape, self.index, self.advanced, self.be = a.shape, index, advanced, be
        return a[index]

    def backward(self, g):
        be = self.be
        zeros = be.full(self.in_shape, 0, g._data.dtype, g._device.index)
        z = _make(zeros, be, g._device, g.dtype)
        return (apply(IndexPutAccumulate, (z, g), self.index),)


class IndexPutAccumulate(Op):
    """``out = base.clone(); out[index] += values`` (repeated indices accumulate)."""

    def forward(self, be, base, values, index):
        self.index = index
        if not any(hasattr(i, "shape") for i in index):
            out = be.copy(base)
            out[index] = out[index] + values
            return out
        import numpy as _np

        host = be.to_host(base).copy()
        idx = tuple(be.to_host(i) if hasattr(i, "shape") else i for i in index)
        _np.add.at(host, idx, be.to_host(values))
        return be.from_host(host, None)

    def backward(self, g):
        return g, g[self.index]


class IndexPut(Op):
    """``out = base.clone(); out[index] = values``."""

    def forward(self, be, base, values, index):
        self.index, self.shape = index, base.shape
        out = be.copy(base)
        out[index] = values
        self.be = be
        return out

    def backward(self, g):
        nb, nv = self.next
        gb = gv = None
        if nb:
            be = self.be
            mask = be.full(self.shape, 1, g._data.dtype, g._device.index)
            mask[self.index] = 0
            gb = g * _make(mask, be, g._device, g.dtype)
        if nv:
            gv = g[self.index]
        return gb, gv


def getitem(self, index):
    idx, advanced = _convert_index(index, self._be, self._device)
    if not advanced:
        _check_bounds(self.shape, idx)
    try:
        out = apply(Getitem, (self,), idx, advanced)
    except IndexError:
        raise
    except (ValueError, TypeError) as exc:
        raise IndexError(f"index {index!r} is not valid for a tensor of shape {tuple(self.shape)}: {exc}") from None
    if not advanced:
        out._version = self._version
        base = getattr(self, "_base", None)
        out._base = self if base is None else base
    return out


def setitem(self, index, value):
    idx, advanced = _convert_index(index, self._be, self._device)
    if not isinstance(value, Tensor):
        from ._util import scalar_like

        if isinstance(value, (int, float, bool, complex)):
            value = scalar_like(value, self.dtype, self)
        else:
            from .._creation import tensor

            value = tensor(value, dtype=self.dtype, device=self._device)
    elif value._device != self._device:
        if value.ndim == 0 and value._device.type == "cpu":
            value = value.to(self._device)
        else:
            raise RuntimeError(f"Expected all tensors to be on the same device, but found at least two devices, {self._device} and {value._device}! (when checking arguments for index_put_)")
    if value.dtype is not self.dtype:
        value = value.to(self.dtype)
    from ..autograd import _state

    if not (_state.grad_enabled and (self.requires_grad or value.requires_grad)):
        self._check_writable("__setitem__")
        self._data[idx] = value._data
        self._version[0] += 1
        self._version[1] = "__setitem__"
        return
    self._assign(apply(IndexPut, (self, value), idx), "__setitem__")


Tensor.__getitem__ = getitem
Tensor.__setitem__ = setitem
