"""Views by explicit geometry: ``as_strided``, ``empty_strided`` and ``data_ptr``.

A tensor's *storage* is the memory its array lives in (the array owning it: a view's base). Geometry is
counted in elements, as in torch: ``size``, ``stride`` and a ``storage_offset`` from the storage's start.
These need strided memory (numpy, CuPy); on backends whose arrays have no strides (``strict``) they raise
``NotImplementedError`` naming the backend (``empty_strided`` falls back to a contiguous tensor there).
"""

from __future__ import annotations

from .. import _dtype
from .._tensor import Tensor, apply
from ..autograd.node import Op
from ._registry import export


def _check_geometry(size, stride, offset, storage_len, itemsize):
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got strides: {list(stride)}")
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    need = _extent(size, stride, offset)
    if need > storage_len:
        raise RuntimeError(
            f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, and itemsize {itemsize} "
            f"requiring a storage size of {need * itemsize} are out of bounds for storage of size {storage_len * itemsize}")


def _extent(size, stride, offset=0):
    """Elements of storage a geometry reaches (0 when it has no elements)."""
    if 0 in size:
        return 0
    return offset + 1 + sum((n - 1) * s for n, s in zip(size, stride))


def _overlaps(size, stride):
    """Whether two indices of the geometry can address the same element (e.g. an expanded tensor)."""
    reach = 0
    for s, n in sorted((s, n) for n, s in zip(size, stride) if n > 1):
        if s <= reach:
            return True
        reach += (n - 1) * s
    return False


def _positions(like, size, stride, offset):
    """int64 tensor of shape ``size``: the storage element each index addresses."""
    from .._creation import arange, full

    pos = full(tuple(size), offset, dtype=_dtype.int64, device=like.device)
    for d, (n, s) in enumerate(zip(size, stride)):
        pos = pos + (arange(n, device=like.device) * s).reshape((n,) + (1,) * (len(size) - d - 1))
    return pos


class AsStrided(Op):
    view = True

    def forward(self, be, a, size, stride, storage_offset):
        flat, own = be.storage(a, "as_strided")
        offset = own if storage_offset is None else storage_offset
        _check_geometry(size, stride, offset, flat.shape[0], flat.itemsize)
        self.inp = (tuple(a.shape), tuple(s // a.itemsize for s in a.strides), own)
        self.out = (size, stride, offset)
        return be.as_strided(flat, size, stride, offset)

    def backward(self, g):
        # torch's rule: scatter-add the gradient into the storage (overlapping windows accumulate), share it
        # out evenly where the input itself overlaps, then read it back at the input's positions
        from .._creation import zeros

        (shape, in_stride, in_offset), (size, stride, offset) = self.inp, self.out
        length = max(_extent(shape, in_stride, in_offset), _extent(size, stride, offset))
        store = zeros(length, dtype=g.dtype, device=g.device)
        store = store.index_add(0, _positions(g, size, stride, offset).reshape(-1), g.reshape(-1))
        at = _positions(g, shape, in_stride, in_offset)
        if _overlaps(shape, in_stride):
            count = zeros(length, dtype=g.dtype, device=g.device).index_add(0, at.reshape(-1), g.new_ones(at.numel()))
            store = store / count.clamp(min=1)
        return (store[at],)


def _ints(seq):
    if isinstance(seq, int):
        seq = (seq,)
    return tuple(int(v) for v in seq)


@export()
def as_strided(input, size, stride, storage_offset=None):
    """A view of ``input``'s storage with element ``size`` and ``stride`` (overlapping windows allowed).

    ``storage_offset`` counts elements from the start of the storage; it defaults to ``input``'s own.
    The gradient adds up over windows that share an element, as in torch.

    Example:
        >>> import ember
        >>> ember.arange(5.0).as_strided((3, 3), (1, 1))
        tensor([[0., 1., 2.],
                [1., 2., 3.],
                [2., 3., 4.]])
    """
    return apply(AsStrided, (input,), _ints(size), _ints(stride),
                 None if storage_offset is None else int(storage_offset))


def as_strided_(self, size, stride, storage_offset=None):
    """Give ``self`` the geometry ``size``/``stride``/``storage_offset`` over its storage, in place.

    Example:
        >>> import ember
        >>> x = ember.arange(4.0); x.as_strided_((2,), (2,))
        tensor([0., 2.])
    """
    from .misc import _rebind

    return _rebind(self, as_strided(self, size, stride, storage_offset), "as_strided_")


Tensor.as_strided_ = as_strided_


@export(method=False)
def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """An uninitialised tensor with the given element strides (contiguous on backends without strides).

    Example:
        >>> import ember
        >>> ember.empty_strided((2, 3), (1, 2)).stride()
        (1, 2)
    """
    from .._creation import empty

    size, stride = _ints(size), _ints(stride)
    if len(size) != len(stride):
        raise RuntimeError(f"dimensionality of sizes ({len(size)}) must match dimensionality of strides ({len(stride)})")
    storage = empty(_extent(size, stride), dtype=dtype, device=device)
    if not hasattr(storage._data, "strides"):
        out = empty(size, dtype=dtype, device=device)
    else:
        out = as_strided(storage, size, stride, 0)
        out._base = None  # the storage is private to the new tensor
    return out.requires_grad_() if requires_grad else out


def data_ptr(self):
    """The address of the first element: views at offset 0 share it, others differ by ``offset * itemsize``.

    Example:
        >>> import ember
        >>> x = ember.zeros(4)
        >>> x[1:].data_ptr() - x.data_ptr()
        4
    """
    return self._be.data_ptr(self._data)


Tensor.data_ptr = data_ptr


class UntypedStorage:
    """The memory a tensor's array lives in, as bytes with an address, like torch's ``untyped_storage()``.

    Views of one tensor report the same storage (same ``data_ptr`` and ``nbytes``). Only the queries are
    supported: Ember tensors own backend arrays, so a storage cannot be resized or re-used by ``set_``.

    Example:
        >>> import ember
        >>> x = ember.zeros(4)
        >>> s = x[2:].untyped_storage(); s.nbytes(), s.data_ptr() == x.data_ptr()
        (16, True)
    """

    def __init__(self, flat, backend, device):
        self._flat, self._be, self.device = flat, backend, device

    def data_ptr(self):
        """The address of the storage's first byte.

        Example:
            >>> import ember
            >>> x = ember.zeros(2); x.untyped_storage().data_ptr() == x.data_ptr()
            True
        """
        return self._be.data_ptr(self._flat)

    def nbytes(self):
        """The storage's size in bytes.

        Example:
            >>> import ember
            >>> ember.zeros(3, dtype=ember.float64).untyped_storage().nbytes()
            24
        """
        return self._flat.shape[0] * self._flat.itemsize

    size = nbytes

    def __len__(self):
        return self.nbytes()

    def element_size(self):
        """1: an untyped storage counts bytes.

        Example:
            >>> import ember
            >>> ember.zeros(3).untyped_storage().element_size()
            1
        """
        return 1

    def __repr__(self):
        return f"<ember.UntypedStorage of {self.nbytes()} bytes on {self.device}>"


def untyped_storage(self):
    """The storage ``self``'s elements live in (shared by all views of it).

    Example:
        >>> import ember
        >>> x = ember.zeros(2, 3)
        >>> x.t().untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
        True
    """
    return UntypedStorage(self._be.storage(self._data, "untyped_storage")[0], self._be, self._device)


Tensor.untyped_storage = untyped_storage
