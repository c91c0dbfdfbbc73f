"""Joining and reordering: cat/stack and friends, flip, roll, rot90, repeat, tile, tril/triu, diag."""

from __future__ import annotations

import functools

from .. import _dtype
from .._tensor import Tensor, _make, apply
from ..autograd.node import Op
from ._registry import export
from ._util import cast, wrap_dim
from .shape import atleast_1d, atleast_2d, atleast_3d, diagonal_scatter, meshgrid, transpose
from .shape import diagonal as _diagonal  # ``diag`` has a parameter named ``diagonal``


# --- cat and stack ---------------------------------------------------------------------------
class Concat(Op):
    """Arrays joined along an existing axis (``xp.concat``) or a new one (``xp.stack``)."""

    def forward(self, be, *parts):
        *arrays, dim, new_axis = parts
        self.dim, self.new_axis = dim, new_axis
        self.torch_name = "StackBackward0" if new_axis else "CatBackward0"
        self.sizes = [a.shape[dim] for a in arrays] if not new_axis else None
        return (be.xp.stack if new_axis else be.xp.concat)(arrays, axis=dim)

    def backward(self, g):
        pieces = g.unbind(self.dim) if self.new_axis else g.split(self.sizes, self.dim)
        return tuple(p if n is not None else None for p, n in zip(pieces, self.next))


def _tensor_list(op, tensors):
    if isinstance(tensors, Tensor):
        raise TypeError(f"{op}(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor")
    tensors = list(tensors)
    if not tensors:
        raise ValueError(f"torch.{op}(): expected a non-empty list of Tensors")
    dt = functools.reduce(_dtype.promote_types, (t.dtype for t in tensors))
    return [cast(t, dt) for t in tensors]


@export()
def cat(tensors, dim=0, *, out=None):
    """Join tensors along an existing dimension ``dim`` (dtypes promote; legacy empty 1-D tensors are skipped).

    Example:
        >>> import ember
        >>> ember.cat([ember.zeros(1, 2), ember.ones(1, 3)], dim=1)
        tensor([[0., 0., 1., 1., 1.]])
    """
    tensors = _tensor_list("cat", tensors)
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    parts = [t for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)] or tensors[:1]
    ref = parts[0]
    d = wrap_dim(dim, ref.ndim, "cat")
    for i, t in enumerate(tensors):
        if t is not ref and not (t.ndim == 1 and t.shape[0] == 0):
            if t.ndim != ref.ndim:
                raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.ndim} and {t.ndim}")
            for k in range(ref.ndim):
                if k != d and t.shape[k] != ref.shape[k]:
                    raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected size {ref.shape[k]} but got size {t.shape[k]} for tensor number {i} in the list.")
    if len(parts) == 1:
        return _out(parts[0].clone(), out)
    return _out(apply(Concat, tuple(parts), d, False), out)


export("concat", "concatenate")(cat)


def _out(result, out):
    if out is None:
        return result
    if out.shape != result.shape:
        out.data = result.detach()  # torch resizes ``out`` to fit
        return out
    return out.copy_(result)


@export()
def stack(tensors, dim=0, *, out=None):
    """Join equally shaped tensors along a new dimension ``dim``.

    Example:
        >>> import ember
        >>> ember.stack([ember.tensor([1, 2]), ember.tensor([3, 4])], dim=1)
        tensor([[1, 3],
                [2, 4]])
    """
    tensors = _tensor_list("stack", tensors)
    shape = tensors[0].shape
    for i, t in enumerate(tensors):
        if t.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 and {list(t.shape)} at entry {i}")
    d = wrap_dim(dim, len(shape) + 1, "stack")
    return _out(apply(Concat, tuple(tensors), d, True), out)


def _stacker(name, pad, dim_of, doc_result):
    def fn(tensors, *, out=None):
        ts = pad(list(tensors))
        return cat(ts, dim_of(ts), out=out)

    fn.__name__ = name
    fn.__doc__ = f"""``cat`` after padding each tensor's dimensions ({name} of numpy).

    Example:
        >>> import ember
        >>> ember.{name}([ember.tensor([1, 2]), ember.tensor([3, 4])]).shape
        ember.Size({doc_result})
    """
    return export(name, method=False)(fn)


def _column(ts):
    return [t.reshape(t.numel(), 1) if t.ndim <= 1 else t for t in ts]


hstack = _stacker("hstack", atleast_1d, lambda ts: 0 if ts[0].ndim == 1 else 1, [4])
vstack = _stacker("vstack", atleast_2d, lambda ts: 0, [2, 2])
row_stack = _stacker("row_stack", atleast_2d, lambda ts: 0, [2, 2])
dstack = _stacker("dstack", atleast_3d, lambda ts: 2, [1, 2, 2])
column_stack = _stacker("column_stack", _column, lambda ts: 1, [2, 2])


# --- reordering ---------------------------------------------------------------------------------------
class Flip(Op):
    def forward(self, be, a, dims):
        self.dims = dims
        return be.copy(be.xp.flip(a, axis=dims))  # numpy-like flips are views; torch's flip is a copy

    def backward(self, g):
        return (apply(Flip, (g,), self.dims),)


def _dims_arg(dims):
    if len(dims) == 1 and not isinstance(dims[0], int):
        return tuple(dims[0])
    return tuple(dims)


@export()
def flip(input, *dims_args, dims=None):
    """Reverse the order of elements along ``dims`` (a copy).

    Example:
        >>> import ember
        >>> ember.tensor([[1, 2], [3, 4]]).flip(0, 1).tolist()
        [[4, 3], [2, 1]]
    """
    dims = _dims_arg(dims_args if dims is None else (dims,))
    axes = tuple(wrap_dim(d, input.ndim, "flip") for d in dims)
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"dims has duplicates, original flip dims size={len(dims)}, but unique flip dims size={len(set(axes))}")
    if not axes or input.ndim == 0:
        return input.clone()
    return apply(Flip, (input,), axes)


@export()
def fliplr(input):
    """Flip the columns (dimension 1).

    Example:
        >>> import ember
        >>> ember.fliplr(ember.tensor([[1, 2], [3, 4]])).tolist()
        [[2, 1], [4, 3]]
    """
    if input.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, 1)


@export()
def flipud(input):
    """Flip the rows (dimension 0).

    Example:
        >>> import ember
        >>> ember.flipud(ember.tensor([1, 2, 3])).tolist()
        [3, 2, 1]
    """
    if input.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, 0)


class Roll(Op):
    def forward(self, be, a, shifts, dims):
        self.shifts, self.dims = shifts, dims
        return be.xp.roll(a, shifts, axis=dims)

    def backward(self, g):
        return (apply(Roll, (g,), tuple(-s for s in self.shifts) if self.dims is not None else -self.shifts, self.dims),)


@export()
def roll(input, shifts, dims=None):
    """Shift elements cyclically by ``shifts`` along ``dims`` (the flattened tensor when ``dims`` is None).

    Example:
        >>> import ember
        >>> ember.arange(5).roll(2).tolist()
        [3, 4, 0, 1, 2]
    """
    if dims is None:
        if not isinstance(shifts, int):
            if len(shifts) != 1:
                raise RuntimeError(f"roll: shifts must be a scalar or a sequence of size 1 when dims is not given, got {len(shifts)}")
            shifts = shifts[0]
        return apply(Roll, (input,), int(shifts), None)
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    dims = tuple(wrap_dim(d, input.ndim, "roll") for d in dims)
    return apply(Roll, (input,), tuple(int(s) for s in shifts), dims)


@export()
def rot90(input, k=1, dims=(0, 1)):
    """Rotate by 90 degrees ``k`` times in the plane ``dims`` (from the first axis towards the second).

    Example:
        >>> import ember
        >>> ember.rot90(ember.tensor([[1, 2], [3, 4]])).tolist()
        [[2, 4], [1, 3]]
    """
    dims = tuple(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.ndim}")
    d0, d1 = (wrap_dim(d, input.ndim, "rot90") for d in dims)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} and dim1 = {dims[1]}")
    k %= 4
    if k == 1:
        return transpose(flip(input, d1), d0, d1)
    if k == 2:
        return flip(input, d0, d1)
    if k == 3:
        return transpose(flip(input, d0), d0, d1)
    return input.clone()


# --- repetition ---------------------------------------------------------------------------------------
class Tile(Op):
    def forward(self, be, a, reps):
        self.shape, self.reps = a.shape, reps
        return be.xp.tile(a, reps)

    def backward(self, g):
        padded = (1,) * (len(self.reps) - len(self.shape)) + tuple(self.shape)
        split = [n for r, s in zip(self.reps, padded) for n in (r, s)]
        summed = g.reshape(split).sum(tuple(range(0, len(split), 2)))
        return (summed.reshape(self.shape),)


@export(function=False)
def repeat(self, *sizes, repeats=None):
    """Tile the tensor ``sizes[i]`` times along each dimension (new leading dimensions allowed).

    Example:
        >>> import ember
        >>> ember.tensor([1, 2]).repeat(2, 2).tolist()
        [[1, 2, 1, 2], [1, 2, 1, 2]]
    """
    reps = _dims_arg(sizes if repeats is None else (repeats,))
    if len(reps) < self.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor")
    if any(r < 0 for r in reps):
        raise RuntimeError(f"Trying to create tensor with negative dimension: {list(reps)}")
    return apply(Tile, (self,), tuple(int(r) for r in reps))


@export()
def tile(input, dims):
    """Repeat ``input`` along each dimension; ``dims`` shorter than the tensor's rank is padded with 1s.

    Example:
        >>> import ember
        >>> ember.tile(ember.tensor([[1], [2]]), (2,)).tolist()
        [[1, 1], [2, 2]]
    """
    dims = tuple(dims)
    return repeat(input, (1,) * (input.ndim - len(dims)) + dims)


@export()
def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Repeat each element (or slice along ``dim``) ``repeats`` times, consecutively.

    Example:
        >>> import ember
        >>> ember.tensor([1, 2]).repeat_interleave(ember.tensor([1, 3])).tolist()
        [1, 2, 2, 2]
    """
    import numpy as _np  # the repeat counts are read on the host to size the result

    from .indexing import index_select

    if repeats is None:
        counts = input
        if counts.ndim != 1 or counts.dtype.category != 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        host = counts._host()
        if (host < 0).any():
            raise RuntimeError("repeats can not be negative")
        return _from_host(_np.repeat(_np.arange(len(host), dtype=_np.int64), host), counts)
    if dim is None:
        input, dim = input.reshape(-1), 0
    d = wrap_dim(dim, input.ndim, "repeat_interleave")
    n = input.shape[d] if input.ndim else 1
    if isinstance(repeats, Tensor) and repeats.numel() != 1:
        if repeats.ndim != 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        if repeats.shape[0] != n:
            raise RuntimeError(f"repeats must have the same size as input along dim, but got repeats.size(0) = {repeats.shape[0]} and input.size({d}) = {n}")
        index = repeat_interleave(repeats.to(input.device))
    else:
        r = int(repeats)
        if r < 0:
            raise RuntimeError("repeats can not be negative")
        index = _from_host(_np.repeat(_np.arange(n, dtype=_np.int64), r), input)
    return index_select(input, d, index)


def _from_host(array, like):
    be = like._be
    return _make(be.from_host(array, like._device.index), be, like._device, _dtype.int64)


# --- triangles and diagonals ---------------------------------------------------------------------------
def _triangle(name, upper):
    def fn(input, diagonal=0):
        from .elementwise import where

        if input.ndim < 2:
            raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
        be = input._be
        xp = be.xp
        m, n = input.shape[-2:]
        long = be.native_dtype(_dtype.int64)
        offset = xp.reshape(xp.arange(n, dtype=long), (1, n)) - xp.reshape(xp.arange(m, dtype=long), (m, 1))
        keep = offset >= diagonal if upper else offset <= diagonal
        mask = _make(keep, be, input._device, _dtype.bool)
        return where(mask, input, input.new_zeros(()))

    fn.__name__ = name
    fn.__doc__ = f"""The {'upper' if upper else 'lower'} triangle of the last two dimensions (other elements zeroed).

    Example:
        >>> import ember
        >>> ember.{name}(ember.ones(2, 2)).tolist()
        {[[1.0, 1.0], [0.0, 1.0]] if upper else [[1.0, 0.0], [1.0, 1.0]]}
    """
    return export(name, inplace=True)(fn)


tril = _triangle("tril", upper=False)
triu = _triangle("triu", upper=True)


def _triangle_indices(name, tri):
    def fn(row, col, offset=0, *, dtype=_dtype.int64, device=None, layout=None):
        from .._creation import ones

        mask = tri(ones(row, col, dtype=_dtype.bool, device=device), offset)
        return stack(mask.nonzero(as_tuple=True)).to(dtype)

    fn.__name__ = name
    fn.__doc__ = f"""The ``(2, N)`` coordinates of the {name[:4]} triangle of a ``row x col`` matrix.

    Example:
        >>> import ember
        >>> ember.{name}(2, 2).tolist()
        {[[0, 0, 1], [0, 1, 1]] if name == 'triu_indices' else [[0, 1, 1], [0, 0, 1]]}
    """
    return export(name, method=False)(fn)


tril_indices = _triangle_indices("tril_indices", tril)
triu_indices = _triangle_indices("triu_indices", triu)


@export()
def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Matrices (over ``dim1``, ``dim2``) whose ``offset`` diagonal holds the last dimension of ``input``.

    Example:
        >>> import ember
        >>> ember.diag_embed(ember.tensor([1, 2])).tolist()
        [[1, 0], [0, 2]]
    """
    nd = input.ndim + 1
    d1, d2 = wrap_dim(dim1, nd, "diag_embed"), wrap_dim(dim2, nd, "diag_embed")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = input.shape[-1] + abs(offset)
    shape = list(input.shape[:-1])
    for d in sorted((d1, d2)):
        shape.insert(d, n)
    return diagonal_scatter(input.new_zeros(shape), input, offset, d1, d2)


@export()
def diag(input, diagonal=0):
    """A square matrix with ``input`` (1-D) on its ``diagonal``, or the ``diagonal`` of a matrix (a copy).

    Example:
        >>> import ember
        >>> ember.diag(ember.tensor([[1, 2], [3, 4]])).tolist()
        [1, 4]
    """
    if input.ndim == 1:
        return diag_embed(input, diagonal, 0, 1)
    if input.ndim == 2:
        return _diagonal(input, diagonal).clone()
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")



@export()
def diagflat(input, offset=0):
    """A matrix with the flattened ``input`` on its ``offset`` diagonal.

    Example:
        >>> import ember
        >>> ember.diagflat(ember.tensor([[1, 2]])).tolist()
        [[1, 0], [0, 2]]
    """
    return diag_embed(input.reshape(-1), offset, 0, 1)


# --- products of index sets --------------------------------------------------------------------------------
@export(method=False)
def cartesian_prod(*tensors):
    """All combinations of one element from each 1-D tensor, as rows.

    Example:
        >>> import ember
        >>> ember.cartesian_prod(ember.tensor([1, 2]), ember.tensor([3, 4])).tolist()
        [[1, 3], [1, 4], [2, 3], [2, 4]]
    """
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], dim=1)


@export(method=False)
def combinations(input, r=2, with_replacement=False):
    """The length-``r`` combinations of the elements of a 1-D tensor, as rows.

    Example:
        >>> import ember
        >>> ember.combinations(ember.tensor([1, 2, 3])).tolist()
        [[1, 2], [1, 3], [2, 3]]
    """
    import itertools

    import numpy as _np  # the index table is built on the host

    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return input.new_zeros(0)
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = list(pick(range(input.shape[0]), r))
    index = _from_host(_np.asarray(rows, dtype=_np.int64).reshape(len(rows), r), input)
    return input[index]

