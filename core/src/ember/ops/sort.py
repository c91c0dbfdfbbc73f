"""Sorting and searching: sort, argsort, topk, kthvalue, unique, searchsorted, bucketize, histc, bincount.

Values are gathered at the sorting indices with :func:`ember.gather`, so their gradients
flow back to the source positions with no backward of their own.
"""

from __future__ import annotations

from collections import namedtuple

from .. import _dtype
from .._tensor import Tensor, _make
from ._registry import export
from ._util import cast, scalar_like, wrap_dim
from .indexing import gather, put_index


def _return_type(name, fields):
    """A namedtuple printed like torch's ``torch.return_types.<name>``."""
    base = namedtuple(name, fields)

    def __repr__(self):
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self))
        return f"ember.return_types.{name}(\n{body})"

    return type(name, (base,), {"__slots__": (), "__repr__": __repr__, "__module__": "ember.return_types"})


sort_result = _return_type("sort", ("values", "indices"))
topk_result = _return_type("topk", ("values", "indices"))
kthvalue_result = _return_type("kthvalue", ("values", "indices"))


def _wrap(array, like, dtype=_dtype.int64):
    """A non-differentiable result array as a tensor on ``like``'s device."""
    be = like._be
    native = be.native_dtype(dtype)
    if array.dtype != native:
        array = be.xp.astype(array, native)
    return _make(array, be, like._device, dtype)


def _argsort(input, dim, descending, stable):
    if input.ndim == 0:
        return _wrap(input._be.xp.zeros((), dtype=input._be.native_dtype(_dtype.int64)), input)
    return _wrap(input._be.argsort(input._data, dim, descending, stable), input)


@export()
def argsort(input, dim=-1, descending=False, stable=False):
    """Indices that sort ``input`` along ``dim`` (NaN counts as the largest value).

    Example:
        >>> import ember
        >>> ember.argsort(ember.tensor([3.0, 1.0, 2.0]))
        tensor([1, 2, 0])
    """
    return _argsort(input, wrap_dim(dim, input.ndim, "argsort"), descending, stable)


@export()
def sort(input, dim=-1, descending=False, stable=False):
    """Sorted values along ``dim`` and the indices they came from: ``(values, indices)``.

    Example:
        >>> import ember
        >>> ember.sort(ember.tensor([3.0, 1.0, 2.0]), descending=True).values
        tensor([3., 2., 1.])
    """
    d = wrap_dim(dim, input.ndim, "sort")
    idx = _argsort(input, d, descending, stable)
    return sort_result(gather(input, d, idx), idx)


@export()
def msort(input):
    """``input`` sorted along its first dimension.

    Example:
        >>> import ember
        >>> ember.msort(ember.tensor([[2, 1], [1, 3]])).tolist()
        [[1, 1], [2, 3]]
    """
    return sort(input, 0).values


@export()
def topk(input, k, dim=-1, largest=True, sorted=True):
    """The ``k`` largest (or smallest) elements along ``dim`` and their indices.

    Example:
        >>> import ember
        >>> ember.topk(ember.tensor([1.0, 5.0, 3.0]), 2).indices
        tensor([1, 2])
    """
    d = wrap_dim(dim, input.ndim, "topk")
    n = input.shape[d] if input.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    idx = _argsort(input, d, largest, False)
    if input.ndim:
        idx = idx.narrow(d, 0, k)
    return topk_result(gather(input, d, idx), idx)


@export()
def kthvalue(input, k, dim=-1, keepdim=False):
    """The ``k``-th smallest element along ``dim`` and its index.

    Example:
        >>> import ember
        >>> ember.kthvalue(ember.tensor([3.0, 1.0, 2.0]), 2)
        ember.return_types.kthvalue(
        values=tensor(2.),
        indices=tensor(2))
    """
    d = wrap_dim(dim, input.ndim, "kthvalue")
    n = input.shape[d] if input.ndim else 1
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    idx = _argsort(input, d, False, False)
    if input.ndim:
        idx = idx.narrow(d, k - 1, 1)
    values = gather(input, d, idx)
    if not keepdim and input.ndim:
        values, idx = values.squeeze(d), idx.squeeze(d)
    return kthvalue_result(values, idx)


# --- unique ---------------------------------------------------------------------------------------------
def _unique_rows(be, rows, sort):
    """Distinct rows of a 2-D array (lexicographically sorted when ``sort``), inverse and counts."""
    xp = be.xp
    n = rows.shape[0]
    long = be.native_dtype(_dtype.int64)
    order = None
    if sort and n:
        order = xp.arange(n, dtype=long)
        for j in range(rows.shape[1] - 1, -1, -1):  # stable sorts, last key first: lexicographic order
            order = xp.take(order, be.argsort(xp.take(rows[:, j], order), 0, False, True))
        rows = xp.take(rows, order, axis=0)
    new = xp.ones((n,), dtype=be.native_dtype(_dtype.bool))
    if n > 1:
        new = xp.concat([new[:1], xp.any(rows[1:, ...] != rows[:-1, ...], axis=1)])
    starts = xp.astype(xp.nonzero(new)[0], long)
    values = xp.take(rows, starts, axis=0)
    group = xp.searchsorted(starts, xp.arange(n, dtype=long), side="right") - 1
    inverse = group if order is None else xp.take(group, be.argsort(order, 0, False, False))
    counts = xp.diff(xp.concat([starts, xp.asarray([n], dtype=long)]))
    return values, inverse, counts


def _unique(input, sort, return_inverse, return_counts, dim):
    be, xp = input._be, input._be.xp
    if dim is None:
        rows = xp.reshape(input._data, (-1, 1))
        values, inverse, counts = _unique_rows(be, rows, sort)
        values = xp.reshape(values, (-1,))
        inverse = xp.reshape(inverse, tuple(input.shape))
    else:
        d = wrap_dim(dim, input.ndim, "unique")
        moved = xp.permute_dims(input._data, (d,) + tuple(i for i in range(input.ndim) if i != d))
        rest = tuple(moved.shape[1:])
        values, inverse, counts = _unique_rows(be, xp.reshape(moved, (moved.shape[0], -1)), sort)
        values = xp.reshape(values, (values.shape[0],) + rest)
        perm = tuple(range(1, d + 1)) + (0,) + tuple(range(d + 1, input.ndim))
        values = xp.permute_dims(values, perm)
    out = (_wrap(values, input, input.dtype),)
    if return_inverse:
        out += (_wrap(inverse, input),)
    if return_counts:
        out += (_wrap(counts, input),)
    return out[0] if len(out) == 1 else out


@export()
def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct elements (or slices along ``dim``), sorted; optionally inverse indices and counts.

    Example:
        >>> import ember
        >>> ember.unique(ember.tensor([3, 1, 3, 2]), return_counts=True)
        (tensor([1, 2, 3]), tensor([1, 1, 2]))
    """
    return _unique(input, True, return_inverse, return_counts, dim)


@export()
def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Collapse runs of equal consecutive elements (or slices along ``dim``).

    Example:
        >>> import ember
        >>> ember.unique_consecutive(ember.tensor([1, 1, 2, 2, 1]))
        tensor([1, 2, 1])
    """
    return _unique(input, False, return_inverse, return_counts, dim)


# --- searching and counting -------------------------------------------------------------------------------
@export(method=False)
def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    """Insertion points of ``input`` into ``sorted_sequence`` (its last dimension) that keep it sorted.

    Example:
        >>> import ember
        >>> ember.searchsorted(ember.tensor([1, 3, 5]), ember.tensor([3, 6]))
        tensor([1, 3])
    """
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of left while right was True")
    side = side or ("right" if right else "left")
    scalar = not isinstance(input, Tensor)
    if scalar:
        input = scalar_like(input, _dtype.result_type(input), sorted_sequence)
    dt = _dtype.promote_types(sorted_sequence.dtype, input.dtype)
    seq, vals = cast(sorted_sequence, dt)._data, cast(input, dt)._data
    xp = sorted_sequence._be.xp
    order = None if sorter is None else sorter._data
    if seq.ndim <= 1:
        out = xp.searchsorted(xp.reshape(seq, (-1,)), vals, side=side, sorter=order)
    else:
        if tuple(seq.shape[:-1]) != tuple(vals.shape[:-1]):
            raise RuntimeError(f"torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries tensor and input value tensor must match, but we got boundaries tensor {list(seq.shape)} and input value tensor {list(vals.shape)}")
        lead = tuple(seq.shape[:-1])
        seq2, vals2 = xp.reshape(seq, (-1, seq.shape[-1])), xp.reshape(vals, (-1, vals.shape[-1]))
        ord2 = None if order is None else xp.reshape(order, (-1, order.shape[-1]))
        rows = [xp.searchsorted(seq2[i, ...], vals2[i, ...], side=side, sorter=None if ord2 is None else ord2[i, ...])
                for i in range(seq2.shape[0])]
        out = xp.reshape(xp.stack(rows), lead + (vals.shape[-1],))
    return _wrap(out, sorted_sequence, _dtype.int32 if out_int32 else _dtype.int64)


@export(method=False)
def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The index of the bucket (between consecutive ``boundaries``) holding each element of ``input``.

    Example:
        >>> import ember
        >>> ember.bucketize(ember.tensor([0.5, 3.0, 9.0]), ember.tensor([1.0, 3.0, 5.0]))
        tensor([0, 1, 3])
    """
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


@export()
def bincount(input, weights=None, minlength=0):
    """How often each non-negative integer occurs in ``input`` (summing ``weights`` instead of 1s).

    Example:
        >>> import ember
        >>> ember.bincount(ember.tensor([0, 2, 2]))
        tensor([1, 0, 2])
    """
    xp = input._be.xp
    if input.ndim != 1 or input.dtype.category != 1 or (input.numel() and int(xp.min(input._data)) < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError(f"minlength should be >= 0, got {minlength}")
    size = max(int(xp.max(input._data)) + 1 if input.numel() else 0, minlength)
    if weights is None:
        out_dtype, src = _dtype.int64, scalar_like(1, _dtype.int64, input)
    else:
        if weights.shape != input.shape:
            raise RuntimeError("weights should be 1-d and have the same length as input")
        out_dtype = weights.dtype if weights.dtype.category >= 2 else _dtype.float64
        src = weights
    zeros = _make(input._be.full((size,), 0, input._be.native_dtype(out_dtype), input._device.index), input._be, input._device, out_dtype)
    return put_index(zeros, (input._data, Ellipsis), src, True, accumulate=True)


@export()
def histc(input, bins=100, min=0, max=0):
    """A histogram of ``bins`` equal-width bins over ``[min, max]`` (the data's range when both are 0).

    Example:
        >>> import ember
        >>> ember.histc(ember.tensor([1.0, 2.0, 1.0]), bins=4, min=0, max=3)
        tensor([0., 2., 1., 0.])
    """
    if input.dtype.category != 2:
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{input.dtype}'")
    if bins <= 0:
        raise RuntimeError(f"torch.histc(): bins must be > 0, but got {bins} for dimension 0")
    xp = input._be.xp
    x = xp.reshape(input._data, (-1,))
    lo, hi = float(min), float(max)
    if lo == hi and x.shape[0]:
        lo, hi = float(xp.min(x)), float(xp.max(x))
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError(f"torch.histc(): max must be larger than min, but got min {lo} max {hi}")
    keep = x[(x >= lo) & (x <= hi)]
    long = input._be.native_dtype(_dtype.int64)
    b = xp.astype(xp.floor((keep - lo) * (bins / (hi - lo))), long)
    b = xp.clip(b, 0, bins - 1)
    counts = bincount(_wrap(b, input), minlength=bins)
    return cast(counts, input.dtype)
