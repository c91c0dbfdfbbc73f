"""Indexing: ``x[...]``, ``x[...] = v``, gather/scatter, the index_*, masked_* and put/take ops, nonzero.

Three primitives carry everything here:

* :class:`Index` / :class:`Slice` read ``a[index]`` (``Slice``, for basic indices, is a view);
* :class:`IndexAdjoint` writes a gradient back into zeros (repeated indices accumulate);
* :class:`IndexPut` is the functional ``out = base.clone(); out[index] = values`` (or ``+=``).

Gather and scatter become indexing with a grid of index arrays (:func:`_grid`), so their
gradients are exact for repeated indices and boolean masks alike.
"""

from __future__ import annotations

import warnings

from .. import _dtype
from .._tensor import Tensor, _make, apply
from ..autograd import _state
from ..autograd.node import Op
from ._registry import export
from ._util import scalar_like, sum_to, wrap_dim


# --- primitives ----------------------------------------------------------------------------
class Index(Op):
    """``a[index]`` for an advanced index (a copy)."""

    def forward(self, be, a, index):
        self.shape, self.index = a.shape, index
        return be.getitem(a, index)

    def backward(self, g):
        return (apply(IndexAdjoint, (g,), self.shape, self.index, not self.view),)


class Slice(Index):
    """``a[index]`` for a basic index (ints, slices, None, Ellipsis): a view."""

    view = True

    def name(self):
        """torch's node name: that of the last step torch applies (``select`` for an int, ``unsqueeze`` for
        None, ``slice``; full slices inside a tuple are skipped), ``AliasBackward0`` when none is left."""
        if self.torch_name:
            return self.torch_name
        index, shape = self.index, self.shape
        lone = len(index) == 2 and isinstance(index[0], slice)  # ``x[a:b]``: torch always slices
        rest = len(shape) - sum(1 for i in index if i is not None and i is not Ellipsis)
        name, dim = "AliasBackward0", 0
        for i in index:
            if i is Ellipsis:
                dim += rest
            elif i is None:
                name = "UnsqueezeBackward0"
            else:
                if isinstance(i, int):
                    name = "SelectBackward0"
                elif lone or i.indices(shape[dim]) != (0, shape[dim], 1):
                    name = "SliceBackward0"
                dim += 1
        return name


class IndexAdjoint(Op):
    """Zeros of ``shape`` with ``g`` added at ``index``: the adjoint of indexing."""

    def forward(self, be, g, shape, index, advanced):
        self.index, self.advanced = index, advanced
        out = be.full(shape, 0, g.dtype, be.index_of(g))
        if advanced:
            be.accumulate_at(out, index, g)
        else:
            be.setitem(out, index, g)
        return out

    def backward(self, gg):
        return (take_index(gg, self.index, self.advanced),)


class IndexPut(Op):
    """``out = base.clone(); out[index] = values`` (``+=`` when ``accumulate``; repeats add up)."""

    def forward(self, be, base, values, index, advanced, accumulate):
        self.index, self.advanced, self.accumulate, self.vshape = index, advanced, accumulate, values.shape
        out = be.copy(base)
        if accumulate:
            be.accumulate_at(out, index, values)
        else:
            be.setitem(out, index, values)
        return out

    def backward(self, g):
        nb, nv = self.next
        gb = gv = None
        if nb:
            gb = g if self.accumulate else apply(IndexPut, (g, scalar_like(0, g.dtype, g)), self.index, self.advanced, False)
        if nv:
            gv = sum_to(take_index(g, self.index, self.advanced), self.vshape)
        return gb, gv


class ScatterExtreme(Op):
    """``out = base.clone()`` then ``out[index] = op(out[index], src)`` for op maximum/minimum/multiply.

    A primitive because numpy's ``ufunc.at`` is the only exact forward for repeated indices.
    """

    save_inputs = True
    save_output = True

    def forward(self, be, base, src, index, op):
        self.index, self.op = index, op
        out = be.copy(base)
        be.accumulate_at(out, index, src, op)
        return out

    def backward(self, g):
        base, src = self.saved()
        out, idx = self.output, self.index
        if self.op == "multiply":
            return _prod_grads(g, base, src, idx)
        # ties share the gradient equally, as in torch
        w_base = (base == out).to(g.dtype)
        w_src = (src == take_index(out, idx, True)).to(g.dtype)
        count = apply(IndexPut, (w_base, w_src), idx, True, True)
        share = g / count
        return share * w_base, take_index(share, idx, True) * w_src


def _prod_grads(g, base, src, idx):
    """Gradients of a scatter-product: the product of the other members of each group (zeros handled)."""
    from .elementwise import where

    def put(b, s):
        return apply(ScatterExtreme, (b, s), idx, "multiply")

    zb, zs = base == 0, src == 0
    one = scalar_like(1, base.dtype, base)
    nz_prod = put(where(zb, one, base), where(zs, one, src))
    zeros = apply(IndexPut, (zb.to(g.dtype), zs.to(g.dtype)), idx, True, True)

    def others(x, zx, prod, nzero):
        zero = scalar_like(0, x.dtype, x)
        nonzero_x = where(nzero == 0, prod / where(zx, one, x), zero)
        return where(zx, where(nzero == 1, prod, zero), nonzero_x)

    g_base = g * others(base, zb, nz_prod, zeros)
    g_src = take_index(g, idx, True) * others(src, zs, take_index(nz_prod, idx, True), take_index(zeros, idx, True))
    return g_base, g_src


def take_index(x, index, advanced):
    """``x[index]`` for an already converted index (a view when ``advanced`` is False)."""
    return apply(Index if advanced else Slice, (x,), index)


def put_index(x, index, values, advanced, accumulate=False):
    """Functional ``x[index] = values`` (``+=`` when ``accumulate``) for a converted index."""
    if values.dtype is not x.dtype:
        values = values.to(x.dtype)
    return apply(IndexPut, (x, values), index, advanced, accumulate)


# --- x[index] and x[index] = v --------------------------------------------------------------------
def _index_array(i, device):
    """An index tensor's backend array on ``device`` (uint8 masks become bool, as in torch)."""
    if i._device != device:
        if i.ndim == 0 or i._device.type == "cpu":
            i = i.to(device)
        else:
            raise RuntimeError(f"indices should be either on cpu or on the same device as the indexed tensor ({device})")
    if i.dtype is _dtype.uint8:
        warnings.warn("indexing with dtype torch.uint8 is now deprecated, please use a dtype torch.bool instead.", UserWarning, stacklevel=4)
        i = i.to(_dtype.bool)
    elif i.dtype.category > 1:
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    return i._data


def convert_index(index, be, device):
    """``(backend index tuple ending in Ellipsis, advanced?)`` for a Python index expression."""
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    advanced = False
    for i in index:
        if isinstance(i, Tensor):
            out.append(_index_array(i, device))
            advanced = True
        elif isinstance(i, slice):
            if i.step is not None and int(i.step) <= 0:
                raise ValueError("step must be greater than zero")
            out.append(slice(*(None if v is None else int(v) for v in (i.start, i.stop, i.step))))
        elif i is None or i is Ellipsis:
            out.append(i)
        elif isinstance(i, bool):
            out.append(be.xp.asarray(i))
            advanced = True
        elif isinstance(i, int) or (hasattr(i, "__index__") and getattr(i, "ndim", 0) == 0):
            out.append(i.__index__())
        elif isinstance(i, (list, tuple)) or hasattr(i, "__array__"):
            from .._creation import tensor

            out.append(_index_array(tensor(i, device=device) if len(i) else tensor(i, dtype=_dtype.int64, device=device), device))
            advanced = True
        else:
            raise IndexError(f"only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices (got {type(i).__name__})")
    if not any(i is Ellipsis for i in out):
        out.append(Ellipsis)  # numpy returns 0-d arrays (not scalars) and strict accepts partial indices
    return tuple(out), advanced


def _check_bounds(shape, index):
    nd = len(shape)
    used = sum(1 for i in index if i is not None and i is not Ellipsis)
    if used > nd:
        raise IndexError(f"too many indices for tensor of dimension {nd}")
    dim = 0
    for i in index:
        if i is Ellipsis:
            dim = nd - sum(1 for j in index[index.index(i) + 1:] if j is not None and j is not Ellipsis)
        elif isinstance(i, int):
            n = shape[dim]
            if not -n <= i < n:
                raise IndexError(f"index {i} is out of bounds for dimension {dim} with size {n}")
            dim += 1
        elif i is not None:
            dim += 1


def getitem(self, index):
    idx, advanced = convert_index(index, self._be, self._device)
    if not advanced:
        _check_bounds(self.shape, idx)
    return take_index(self, idx, advanced)


def setitem(self, index, value):
    idx, advanced = convert_index(index, self._be, self._device)
    if not advanced:
        _check_bounds(self.shape, idx)
    if not isinstance(value, Tensor):
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
    if not (_state.grad_enabled and (self.requires_grad or value.requires_grad)):
        self._check_writable("__setitem__")
        self._be.setitem(self._data, idx, value._data)
        self._version[0] += 1
        self._version[1] = "__setitem__"
        return
    self._assign(put_index(self, idx, value, advanced), "__setitem__")


Tensor.__getitem__ = getitem
Tensor.__setitem__ = setitem


# --- gather / scatter ---------------------------------------------------------------------------------
def _check_index(op, input, dim, index, src=None):
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index.dtype not in (_dtype.int64, _dtype.int32):
        raise RuntimeError(f"{op}(): Expected dtype int32/int64 for index")
    nd = max(input.ndim, 1)
    if max(index.ndim, 1) != nd:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    d = wrap_dim(dim, input.ndim, op)
    ishape, sshape = index.shape, input.shape
    for k in range(index.ndim):
        if k != d and ishape[k] > sshape[k]:
            raise RuntimeError(f"Size does not match at dimension {k} expected index {list(ishape)} to be no larger than self {list(sshape)} apart from dimension {d}")
        if src is not None and ishape[k] > src.shape[k]:
            raise RuntimeError(f"Size does not match at dimension {k} expected index {list(ishape)} to be no larger than src {list(src.shape)}")
    return d


def _grid(input, index, dim):
    """Index arrays selecting ``index`` along ``dim`` and the matching position along every other dim."""
    xp = input._be.xp
    arr = _index_array(index, input._device)
    nd = arr.ndim
    out = []
    for d, n in enumerate(arr.shape):
        if d == dim:
            out.append(arr)
        else:
            out.append(xp.reshape(xp.arange(n, dtype=arr.dtype), (1,) * d + (n,) + (1,) * (nd - d - 1)))
    return tuple(out)


def _crop(src, shape):
    """``src`` restricted to the leading ``shape`` block (a view)."""
    if tuple(src.shape) == tuple(shape):
        return src
    return take_index(src, tuple(slice(0, n) for n in shape) + (Ellipsis,), False)


def _as_1d(t):
    return t.reshape(1) if t.ndim == 0 else t


@export()
def gather(input, dim, index, *, sparse_grad=False):
    """Values along ``dim`` at ``index``: ``out[i][j] = input[index[i][j]][j]`` for ``dim=0``.

    Example:
        >>> import ember
        >>> ember.tensor([[1, 2], [3, 4]]).gather(1, ember.tensor([[0, 0], [1, 0]]))
        tensor([[1, 1],
                [4, 3]])
    """
    d = _check_index("gather", input, dim, index)
    out = take_index(_as_1d(input), _grid(input, _as_1d(index), d), True)
    return out.reshape(()) if index.ndim == 0 else out


def _scatter_parts(op, input, dim, index, src):
    d = _check_index(op, input, dim, index, src if isinstance(src, Tensor) else None)
    if isinstance(src, Tensor):
        if src.dtype is not input.dtype:
            raise RuntimeError(f"{op}(): Expected self.dtype to be equal to src.dtype")
        src = _crop(_as_1d(src), _as_1d(index).shape)
    else:
        src = scalar_like(src, input.dtype, input)
    return _as_1d(input), _grid(input, _as_1d(index), d), src


_LEGACY_REDUCE = {"add": "sum", "multiply": "prod"}


@export(inplace=True)
def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """``input`` with ``src`` (a tensor or a number) written along ``dim`` at ``index``.

    Example:
        >>> import ember
        >>> ember.zeros(2, 3).scatter(1, ember.tensor([[2], [0]]), 1.0)
        tensor([[0., 0., 1.],
                [1., 0., 0.]])
    """
    src = value if src is None else src
    if reduce is not None:
        if reduce not in _LEGACY_REDUCE:
            raise RuntimeError(f"reduce argument must be either add or multiply. Got {reduce}")
        if not isinstance(src, Tensor):
            src = scalar_like(src, input.dtype, input).expand(index.shape)
        return scatter_reduce(input, dim, index, src, _LEGACY_REDUCE[reduce])
    x, grid, src = _scatter_parts("scatter", input, dim, index, src)
    return apply(IndexPut, (x, src), grid, True, False).reshape(input.shape)


@export(inplace=True)
def scatter_add(input, dim, index, src):
    """``input`` with ``src`` added along ``dim`` at ``index`` (repeated indices accumulate).

    Example:
        >>> import ember
        >>> ember.zeros(3).scatter_add(0, ember.tensor([0, 0, 2]), ember.tensor([1.0, 2.0, 3.0]))
        tensor([3., 0., 3.])
    """
    x, grid, src = _scatter_parts("scatter_add", input, dim, index, src)
    return apply(IndexPut, (x, src), grid, True, True).reshape(input.shape)


_IDENTITY = {"sum": 0, "mean": 0, "prod": 1, "amax": float("-inf"), "amin": float("inf")}
_EXTREME = {"prod": "multiply", "amax": "maximum", "amin": "minimum"}


def _identity(reduce, dtype):
    v = _IDENTITY[reduce]
    if dtype.category < 2 and v in (float("-inf"), float("inf")):
        info = _dtype.iinfo(dtype) if dtype is not _dtype.bool else None
        return (v < 0) if info is None else (info.min if v < 0 else info.max)
    return v


@export(inplace=True)
def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """Reduce ``src`` into ``input`` along ``dim`` at ``index`` with sum, prod, mean, amax or amin.

    Example:
        >>> import ember
        >>> x = ember.tensor([1.0, 5.0])
        >>> x.scatter_reduce(0, ember.tensor([0, 0, 1]), ember.tensor([4.0, 2.0, 3.0]), "amax")
        tensor([4., 5.])
    """
    if reduce not in _IDENTITY:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    x, grid, s = _scatter_parts("scatter_reduce", input, dim, index, src)
    if not include_self:
        x = apply(IndexPut, (x, scalar_like(_identity(reduce, x.dtype), x.dtype, x)), grid, True, False)
    if reduce in _EXTREME:
        out = apply(ScatterExtreme, (x, s), grid, _EXTREME[reduce])
    else:
        out = apply(IndexPut, (x, s), grid, True, True)
        if reduce == "mean":
            ones = x.new_ones(())
            count = apply(IndexPut, (x.new_ones(x.shape), ones if include_self else x.new_zeros(())), grid, True, False)
            count = apply(IndexPut, (count, ones.expand(s.shape)), grid, True, True)
            out = out / count if out.dtype.category >= 2 else out.div(count, rounding_mode="floor")
    return out.reshape(input.shape)


# --- index_* ------------------------------------------------------------------------------------------------
def _dim_index(op, input, dim, index):
    """The converted index selecting ``index`` (a vector) along ``dim``."""
    if index.ndim > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector")
    if index.dtype not in (_dtype.int64, _dtype.int32):
        raise RuntimeError(f"{op}(): Expected dtype int32 or int64 for index")
    d = wrap_dim(dim, input.ndim, op)
    return (slice(None),) * d + (_index_array(_as_1d(index), input._device), Ellipsis)


@export()
def index_select(input, dim, index):
    """The slices of ``input`` along ``dim`` at the positions in ``index``.

    Example:
        >>> import ember
        >>> ember.tensor([[1, 2, 3], [4, 5, 6]]).index_select(1, ember.tensor([2, 0]))
        tensor([[3, 1],
                [6, 4]])
    """
    return take_index(_as_1d(input), _dim_index("index_select", input, dim, index), True)


@export(inplace=True)
def index_add(input, dim, index, source, *, alpha=1):
    """``input`` with ``alpha * source`` added to the slices along ``dim`` at ``index``.

    Example:
        >>> import ember
        >>> ember.zeros(3).index_add(0, ember.tensor([0, 0]), ember.tensor([1.0, 2.0]))
        tensor([3., 0., 0.])
    """
    if alpha != 1:
        source = source * alpha
    return put_index(input, _dim_index("index_add", input, dim, index), source, True, accumulate=True)


@export(inplace=True)
def index_copy(input, dim, index, source):
    """``input`` with the slices along ``dim`` at ``index`` replaced by ``source``.

    Example:
        >>> import ember
        >>> ember.zeros(3).index_copy(0, ember.tensor([2]), ember.tensor([7.0]))
        tensor([0., 0., 7.])
    """
    return put_index(input, _dim_index("index_copy", input, dim, index), source, True)


@export(inplace=True)
def index_fill(input, dim, index, value):
    """``input`` with the slices along ``dim`` at ``index`` set to ``value``.

    Example:
        >>> import ember
        >>> ember.zeros(2, 2).index_fill(1, ember.tensor([1]), 5)
        tensor([[0., 5.],
                [0., 5.]])
    """
    value = value if isinstance(value, Tensor) else scalar_like(value, input.dtype, input)
    return put_index(input, _dim_index("index_fill", input, dim, index), value, True)


@export(inplace=True)
def index_put(input, indices, values, accumulate=False):
    """``input`` with ``values`` written (or added) at the advanced index ``indices``.

    Example:
        >>> import ember
        >>> ember.zeros(3).index_put((ember.tensor([0, 0]),), ember.tensor(1.0), accumulate=True)
        tensor([2., 0., 0.])
    """
    idx, _ = convert_index(tuple(indices), input._be, input._device)
    values = values if isinstance(values, Tensor) else scalar_like(values, input.dtype, input)
    return put_index(input, idx, values, True, accumulate)


# --- masks --------------------------------------------------------------------------------------------------
def _check_mask(op, mask):
    if mask.dtype is not _dtype.bool:
        raise RuntimeError(f"{op} only supports boolean masks, but got mask with dtype {_dtype_words(mask.dtype)}")


def _dtype_words(d):
    return {"int64": "long int", "int32": "int", "uint8": "unsigned char", "float32": "float", "float64": "double"}.get(d.name, d.name)


@export(inplace=True)
def masked_fill(input, mask, value):
    """``input`` with ``value`` where ``mask`` is True (``mask`` broadcasts).

    Example:
        >>> import ember
        >>> ember.tensor([1.0, 2.0]).masked_fill(ember.tensor([True, False]), 0.0)
        tensor([0., 2.])
    """
    from .elementwise import where

    _check_mask("masked_fill_", mask)
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with {value.ndim} dimension(s).")
        value = value.to(input.device).to(input.dtype)
    else:
        value = scalar_like(value, input.dtype, input)
    return where(mask, value, input)


@export()
def masked_select(input, mask):
    """The elements of ``input`` where ``mask`` is True, as a 1-D tensor (the two broadcast).

    Example:
        >>> import ember
        >>> ember.tensor([[1, 2], [3, 4]]).masked_select(ember.tensor([True, False]))
        tensor([1, 3])
    """
    from .shape import broadcast_tensors

    _check_mask("masked_select", mask)
    x, m = broadcast_tensors(input, mask) if input.shape != mask.shape else (input, mask)
    return take_index(x, (m._data, Ellipsis), True)


@export(inplace=True)
def masked_scatter(input, mask, source):
    """``input`` with consecutive elements of ``source`` written where ``mask`` is True.

    Example:
        >>> import ember
        >>> ember.zeros(3).masked_scatter(ember.tensor([True, False, True]), ember.tensor([1.0, 2.0]))
        tensor([1., 0., 2.])
    """
    _check_mask("masked_scatter_", mask)
    if mask.shape != input.shape:
        mask = mask.expand(input.shape)
    n = int(input._be.xp.count_nonzero(mask._data))
    if source.numel() < n:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    src = source.reshape(-1)
    return put_index(input, (mask._data, Ellipsis), src if src.shape[0] == n else src[:n], True)


# --- flat take / put ----------------------------------------------------------------------------------------
@export()
def take(input, index):
    """Elements of the flattened ``input`` at ``index`` (result has ``index``'s shape).

    Example:
        >>> import ember
        >>> ember.take(ember.tensor([[1, 2], [3, 4]]), ember.tensor([0, 3]))
        tensor([1, 4])
    """
    return take_index(input.reshape(-1), (_index_array(index, input._device), Ellipsis), True)


@export(inplace=True)
def put(input, index, source, accumulate=False):
    """``input`` with ``source`` written (or added) at flat positions ``index``.

    Example:
        >>> import ember
        >>> ember.zeros(2, 2).put(ember.tensor([3]), ember.tensor([9.0]))
        tensor([[0., 0.],
                [0., 9.]])
    """
    idx = (_index_array(index.reshape(-1), input._device), Ellipsis)
    return put_index(input.reshape(-1), idx, source.reshape(-1), True, accumulate).reshape(input.shape)


@export()
def take_along_dim(input, indices, dim=None):
    """Values of ``input`` at ``indices`` along ``dim`` (broadcasting the other dims); flat when ``dim`` is None.

    Example:
        >>> import ember
        >>> x = ember.tensor([[10, 30, 20], [60, 40, 50]])
        >>> ember.take_along_dim(x, ember.tensor([[1], [0]]), 1)
        tensor([[30],
                [60]])
    """
    if dim is None:
        return take(input, indices.reshape(-1))
    from .shape import broadcast_shapes

    d = wrap_dim(dim, input.ndim, "take_along_dim")
    if input.ndim != indices.ndim:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same number of dimensions, but got {input.ndim} dimensions for input, and {indices.ndim} dimensions for indices")
    shape = list(broadcast_shapes(tuple(input.shape[:d]) + (1,) + tuple(input.shape[d + 1:]),
                                  tuple(indices.shape[:d]) + (1,) + tuple(indices.shape[d + 1:])))
    shape_in, shape_idx = list(shape), list(shape)
    shape_in[d], shape_idx[d] = input.shape[d], indices.shape[d]
    return gather(input.expand(shape_in), d, indices.expand(shape_idx))


# --- nonzero ------------------------------------------------------------------------------------------------
@export()
def nonzero(input, *, as_tuple=False):
    """Indices of the non-zero elements: an ``(n, ndim)`` tensor, or a tuple of 1-D tensors.

    Example:
        >>> import ember
        >>> ember.tensor([[0, 1], [2, 0]]).nonzero()
        tensor([[0, 1],
                [1, 0]])
    """
    be, dev, xp = input._be, input._device, input._be.xp
    data = input._data if input.ndim else xp.reshape(input._data, (1,))
    long = be.native_dtype(_dtype.int64)
    cols = [c if c.dtype == long else xp.astype(c, long) for c in xp.nonzero(data)]
    if as_tuple:
        return tuple(_make(c, be, dev, _dtype.int64) for c in cols)
    if input.ndim == 0:
        out = xp.zeros((cols[0].shape[0], 0), dtype=long)
    else:
        out = xp.stack(cols, axis=1)
    return _make(out, be, dev, _dtype.int64)


@export()
def argwhere(input):
    """Indices of the non-zero elements as an ``(n, ndim)`` tensor (``nonzero()``).

    Example:
        >>> import ember
        >>> ember.argwhere(ember.tensor([0, 3, 5]))
        tensor([[1],
                [2]])
    """
    return nonzero(input)


# --- functional writes into views ----------------------------------------------------------------------
@export()
def select_scatter(input, src, dim, index):
    """``input`` with the slice at ``index`` along ``dim`` replaced by ``src``.

    Example:
        >>> import ember
        >>> ember.select_scatter(ember.zeros(2, 2), ember.ones(2), 0, 1).tolist()
        [[0.0, 0.0], [1.0, 1.0]]
    """
    d = wrap_dim(dim, input.ndim, "select_scatter")
    n = input.shape[d]
    if not -n <= index < n:
        raise IndexError(f"select_scatter(): index {index} out of range for tensor of size {list(input.shape)} at dimension {d}")
    return put_index(input, (slice(None),) * d + (int(index), Ellipsis), src, False)


@export()
def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """``input`` with ``input[start:end:step]`` along ``dim`` replaced by ``src``.

    Example:
        >>> import ember
        >>> ember.slice_scatter(ember.zeros(4), ember.ones(2), start=2).tolist()
        [0.0, 0.0, 1.0, 1.0]
    """
    d = wrap_dim(dim, input.ndim, "slice_scatter")
    index = (slice(None),) * d + (slice(start, end, step), Ellipsis)
    target = take_index(input, index, False).shape
    if src.shape != target:
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = {list(src.shape)}, slice size = {list(target)}")
    return put_index(input, index, src, False)
