"""Dtype casts, views and reshaping: cast, reshape/view, permute, expand, squeeze."""

from __future__ import annotations

from .. import _dtype
from .._tensor import Tensor, apply
from ..autograd.node import Op, named
from . import _util
from ._registry import export
from ._util import sum_to, wrap_dim


class Cast(Op):
    torch_name = "ToCopyBackward0"

    def forward(self, be, a, dtype):
        self.src = be.dtype_of(a)
        return be.xp.astype(a, be.native_dtype(dtype))

    def backward(self, g):
        if self.src.category < 2:
            return (None,)
        if g.dtype.category == 3 and self.src.category == 2:  # real -> complex: the gradient is the real part
            from .elementwise import real

            g = real(g)
        return (g.to(self.src),)


_util._Cast.append(Cast)


class Reshape(Op):
    view = True
    torch_name = "ViewBackward0"

    def forward(self, be, a, shape):
        self.in_shape = a.shape
        return be.xp.reshape(a, shape)

    def backward(self, g):
        return (g.reshape(self.in_shape),)


class Permute(Op):
    view = True

    def forward(self, be, a, dims):
        self.dims = dims
        return be.xp.permute_dims(a, dims)

    def backward(self, g):
        inv = [0] * len(self.dims)
        for i, d in enumerate(self.dims):
            inv[d] = i
        return (g.permute(inv),)


class Expand(Op):
    view = True

    def forward(self, be, a, shape):
        self.in_shape = tuple(a.shape)
        return be.xp.broadcast_to(a, shape)

    def backward(self, g):
        return (sum_to(g, self.in_shape),)


def _infer_shape(shape, numel, op):
    shape = list(shape)
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError(f"{op}: only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"{op}: invalid shape dimension {s}")
            known *= s
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape[neg[0]] = numel // known
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return tuple(shape)


def _shape_args(shape):
    if len(shape) == 1 and not isinstance(shape[0], int):
        shape = shape[0]
    return tuple(int(s) for s in shape)


@export()
def reshape(input, *shape_args, shape=None):
    """The same data with a new shape (one dimension may be -1).

    Example:
        >>> import ember
        >>> ember.arange(6).reshape(2, -1).shape
        ember.Size([2, 3])
    """
    shape = _infer_shape(_shape_args(shape_args if shape is None else (shape,)), input.numel(), "reshape")
    if shape == input._data.shape:
        return input if input.grad_fn is None and not input.requires_grad else apply(Reshape, (input,), shape)
    return apply(Reshape, (input,), shape)


@export(function=False)
def view(self, *shape, size=None, dtype=None):
    """A view with a new shape (or a reinterpretation as another dtype of the same size).

    Example:
        >>> import ember
        >>> ember.arange(4).view(2, 2).tolist()
        [[0, 1], [2, 3]]
    """
    if size is not None or dtype is not None:  # torch's keyword forms: view(size=...), view(dtype=...)
        shape = (size if dtype is None else dtype,)
    if len(shape) == 1 and isinstance(shape[0], _dtype.dtype):
        if shape[0].itemsize != self.dtype.itemsize:
            raise RuntimeError("view(dtype): only dtypes of the same size are supported")
        from .._tensor import _make

        be = self._be
        return _make(self._data.view(be.native_dtype(shape[0])), be, self._device, shape[0])
    size = _infer_shape(_shape_args(shape), self.numel(), "view")
    be = self._be
    if not be.is_contiguous(self._data) and be.reshape_view(self._data, size) is None:
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at least one dimension "
                           "spans across two contiguous subspaces). Use .reshape(...) instead.")
    return apply(Reshape, (self,), size)


@export(function=False)
def view_as(self, other):
    """``self.view(other.shape)``.

    Example:
        >>> import ember
        >>> ember.arange(4).view_as(ember.zeros(2, 2)).shape
        ember.Size([2, 2])
    """
    return view(self, other.shape)


@export(function=False)
def reshape_as(self, other):
    """``self.reshape(other.shape)``.

    Example:
        >>> import ember
        >>> ember.arange(4).reshape_as(ember.zeros(2, 2)).shape
        ember.Size([2, 2])
    """
    return reshape(self, other.shape)


@export()
def permute(input, *dims_args, dims=None):
    """Reorder the dimensions.

    Example:
        >>> import ember
        >>> ember.zeros(2, 3, 4).permute(2, 0, 1).shape
        ember.Size([4, 2, 3])
    """
    dims = _shape_args(dims_args if dims is None else (dims,))
    nd = input.ndim
    if len(dims) != nd:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = {nd} is not equal to len(dims) = {len(dims)}")
    dims = tuple(wrap_dim(d, nd, "permute") for d in dims)
    if len(set(dims)) != nd:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return apply(Permute, (input,), dims)


@export()
def transpose(input, dim0, dim1):
    """Swap two dimensions.

    Example:
        >>> import ember
        >>> ember.zeros(2, 3).transpose(0, 1).shape
        ember.Size([3, 2])
    """
    nd = input.ndim
    if nd == 0:
        return input
    d0, d1 = wrap_dim(dim0, nd, "transpose"), wrap_dim(dim1, nd, "transpose")
    perm = list(range(nd))
    perm[d0], perm[d1] = perm[d1], perm[d0]
    return named(apply(Permute, (input,), tuple(perm)), "TransposeBackward0")


export("swapaxes", "swapdims")(transpose)


@export()
def t(input):
    """Transpose a tensor of at most 2 dimensions.

    Example:
        >>> import ember
        >>> ember.zeros(2, 3).t().shape
        ember.Size([3, 2])
    """
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return named(transpose(input, 0, 1), "TBackward0") if input.ndim == 2 else input


def _T(self):
    if self.ndim > 2:
        import warnings

        warnings.warn("The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated.", UserWarning, stacklevel=2)
    return apply(Permute, (self,), tuple(range(self.ndim - 1, -1, -1)))


def _mT(self):
    if self.ndim < 2:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor.")
    return transpose(self, -2, -1)


Tensor.T = property(_T)
Tensor.mT = property(_mT)
Tensor.H = property(lambda self: _T(self).conj() if self.is_complex() else _T(self))
Tensor.mH = property(lambda self: _mT(self).conj() if self.is_complex() else _mT(self))


@export()
def expand(input, *sizes, size=None):
    """Broadcast singleton dimensions to a larger size without copying (-1 keeps a size).

    Example:
        >>> import ember
        >>> ember.tensor([[1], [2]]).expand(2, 3).tolist()
        [[1, 1, 1], [2, 2, 2]]
    """
    sizes = _shape_args(sizes if size is None else (size,))
    shape = input.shape
    if len(sizes) < len(shape):
        raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to the number of dimensions in the tensor ({len(shape)})")
    lead = len(sizes) - len(shape)
    out = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"expand: -1 is not allowed in a leading, non-existing dimension {i}")
            out.append(s)
        else:
            cur = shape[i - lead]
            if s == -1:
                s = cur
            elif cur != 1 and s != cur:
                raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: {list(shape)}")
            out.append(s)
    out = tuple(out)
    if out == tuple(shape):
        return input
    return apply(Expand, (input,), out)


@export(function=False)
def expand_as(self, other):
    """``self.expand(other.size())``.

    Example:
        >>> import ember
        >>> ember.tensor([1]).expand_as(ember.zeros(3)).tolist()
        [1, 1, 1]
    """
    return expand(self, other.shape)


@export()
def broadcast_to(input, size):
    """Broadcast ``input`` to ``size``.

    Example:
        >>> import ember
        >>> ember.broadcast_to(ember.tensor([1, 2]), (2, 2)).tolist()
        [[1, 2], [1, 2]]
    """
    return expand(input, tuple(size))


@export()
def squeeze(input, dim=None):
    """Remove dimensions of size 1 (all of them, or those in ``dim``).

    Example:
        >>> import ember
        >>> ember.zeros(1, 2, 1).squeeze().shape
        ember.Size([2])
    """
    shape = input.shape
    if dim is None:
        new = tuple(s for s in shape if s != 1)
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        dims = {wrap_dim(d, input.ndim, "squeeze") for d in dims}
        new = tuple(s for i, s in enumerate(shape) if not (i in dims and s == 1))
    if new == tuple(shape) and not input.requires_grad:
        return input
    return named(apply(Reshape, (input,), new), "SqueezeBackward0" if dim is None else "SqueezeBackward1")


@export()
def unsqueeze(input, dim):
    """Insert a dimension of size 1 at ``dim``.

    Example:
        >>> import ember
        >>> ember.zeros(2).unsqueeze(0).shape
        ember.Size([1, 2])
    """
    d = wrap_dim(dim, input.ndim + 1, "unsqueeze")
    shape = list(input.shape)
    shape.insert(d, 1)
    return named(apply(Reshape, (input,), tuple(shape)), "UnsqueezeBackward0")


@export()
def flatten(input, start_dim=0, end_dim=-1):
    """Merge dimensions ``start_dim`` to ``end_dim`` into one.

    Example:
        >>> import ember
        >>> ember.zeros(2, 3, 4).flatten(1).shape
        ember.Size([2, 12])
    """
    nd = input.ndim
    if nd == 0:
        return reshape(input, 1)
    s, e = wrap_dim(start_dim, nd, "flatten"), wrap_dim(end_dim, nd, "flatten")
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = input.shape
    n = 1
    for x in shape[s:e + 1]:
        n *= x
    return reshape(input, tuple(shape[:s]) + (n,) + tuple(shape[e + 1:]))


@export()
def unflatten(input, dim, sizes):
    """Split dimension ``dim`` into ``sizes``.

    Example:
        >>> import ember
        >>> ember.zeros(2, 12).unflatten(1, (3, 4)).shape
        ember.Size([2, 3, 4])
    """
    d = wrap_dim(dim, input.ndim, "unflatten")
    shape = input.shape
    sizes = _infer_shape(tuple(sizes), shape[d], "unflatten")
    return reshape(input, tuple(shape[:d]) + sizes + tuple(shape[d + 1:]))


@export()
def movedim(input, source, destination):
    """Move dimension(s) ``source`` to position(s) ``destination``.

    Example:
        >>> import ember
        >>> ember.zeros(2, 3, 4).movedim(0, -1).shape
        ember.Size([3, 4, 2])
    """
    nd = input.ndim
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) should contain the same number of dims as destination ({dst} dims)")
    src = [wrap_dim(d, nd, "movedim") for d in src]
    dst = [wrap_dim(d, nd, "movedim") for d in dst]
    order = [None] * nd
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(i for i in range(nd) if i not in src)
    order = [o if o is not None else next(rest) for o in order]
    return permute(input, order)


export("moveaxis")(movedim)


@export(function=False)
def contiguous(self, memory_format=None):
    """A contiguous copy if needed, else self.

    Example:
        >>> import ember
        >>> ember.zeros(2, 3).t().contiguous().is_contiguous()
        True
    """
    if self.is_contiguous():
        return self
    return self.clone()


# --- views that pick out part of a tensor -----------------------------------------------------
class Split(Op):
    """Views of consecutive pieces of ``a`` along ``dim`` (single positions, dim dropped, when ``squeeze``)."""

    view = True

    def forward(self, be, a, dim, bounds, squeeze):
        self.dim, self.squeeze = dim, squeeze
        lead = (slice(None),) * dim
        if squeeze:
            outs = tuple(be.getitem(a, lead + (i, Ellipsis)) for i in range(a.shape[dim]))
        else:
            outs = tuple(be.getitem(a, lead + (slice(s, e), Ellipsis)) for s, e in bounds)
        self.shapes, self.bounds, self.in_shape = [o.shape for o in outs], bounds, a.shape
        return outs

    def backward(self, *grads):
        from .join import cat, stack

        like = next(g for g in grads if g is not None)
        if not self.squeeze and not _is_partition(self.bounds, self.in_shape[self.dim]):
            from .indexing import IndexAdjoint  # tensor_split at indices that step back: pieces overlap

            lead = (slice(None),) * self.dim
            parts = [apply(IndexAdjoint, (g,), self.in_shape, lead + (slice(s, e), Ellipsis), False)
                     for g, (s, e) in zip(grads, self.bounds) if g is not None]
            return (sum(parts[1:], parts[0]),)
        pieces = [g if g is not None else like.new_zeros(s) for g, s in zip(grads, self.shapes)]
        return ((stack if self.squeeze else cat)(pieces, self.dim),)


def _is_partition(bounds, n):
    ends = [0] + [e for _, e in bounds]
    return all(s == e0 and e >= s for (s, e), e0 in zip(bounds, ends)) and ends[-1] == n


def _split_at(input, dim, sizes):
    bounds, start = [], 0
    for s in sizes:
        bounds.append((start, start + s))
        start += s
    return apply(Split, (input,), dim, tuple(bounds), False)


@export()
def split(tensor, split_size_or_sections, dim=0):
    """Split into pieces of ``split_size`` (the last may be smaller) or of the listed sizes (views).

    Example:
        >>> import ember
        >>> [p.tolist() for p in ember.arange(5).split([2, 3])]
        [[0, 1], [2, 3, 4]]
    """
    d = wrap_dim(dim, tensor.ndim, "split")
    n = tensor.shape[d]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={size}")
        if size == 0:
            if n:
                raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
            return _split_at(tensor, d, [0])
        sizes = [size] * (n // size) + ([n % size] if n % size else [])
        return _split_at(tensor, d, sizes or [0])
    sizes = [int(s) for s in split_size_or_sections]
    if sum(sizes) != n or any(s < 0 for s in sizes):
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at dimension {d}), but got split_sizes={sizes}")
    return _split_at(tensor, d, sizes)


@export()
def split_with_sizes(input, split_sizes, dim=0):
    """Split into pieces of the given sizes along ``dim`` (views).

    Example:
        >>> import ember
        >>> [p.tolist() for p in ember.arange(5).split_with_sizes([2, 3])]
        [[0, 1], [2, 3, 4]]
    """
    return split(input, list(split_sizes), dim)


@export()
def chunk(input, chunks, dim=0):
    """Split into ``chunks`` pieces of equal size (the last may be smaller; fewer when they don't fill).

    Example:
        >>> import ember
        >>> [p.tolist() for p in ember.arange(5).chunk(3)]
        [[0, 1], [2, 3], [4]]
    """
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = wrap_dim(dim, input.ndim, "chunk")
    n = input.shape[d]
    if n == 0:
        return _split_at(input, d, [0] * chunks)
    return split(input, -(-n // chunks), d)


@export()
def tensor_split(input, indices_or_sections, dim=0):
    """Split into ``sections`` nearly equal pieces, or at the listed ``indices`` (views).

    Example:
        >>> import ember
        >>> [p.tolist() for p in ember.arange(5).tensor_split(3)]
        [[0, 1], [2, 3], [4]]
    """
    d = wrap_dim(dim, input.ndim, "tensor_split")
    n = input.shape[d]
    if isinstance(indices_or_sections, Tensor):
        if indices_or_sections.dtype.category > 1 or indices_or_sections.ndim > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a zero-dimensional or one-dimensional tensor with integer dtype")
        indices_or_sections = indices_or_sections.tolist()
    if isinstance(indices_or_sections, int):
        k = indices_or_sections
        if k <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {k}")
        q, r = divmod(n, k)
        return _split_at(input, d, [q + 1] * r + [q] * (k - r))
    cuts = [0] + [min(max(i + n if i < 0 else i, 0), n) for i in indices_or_sections] + [n]
    return apply(Split, (input,), d, tuple(zip(cuts[:-1], cuts[1:])), False)


def _split_family(name, dim, min_dims):
    def fn(input, indices_or_sections):
        if input.ndim < min_dims:
            raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dims} dimension, but got a tensor with {input.ndim} dimensions!")
        d = 0 if (name == "hsplit" and input.ndim == 1) else dim
        if isinstance(indices_or_sections, int) and indices_or_sections and input.shape[d] % indices_or_sections:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {d}, but the size of the dimension {input.shape[d]} is not divisible by the split_size {indices_or_sections}!")
        return tensor_split(input, indices_or_sections, d)

    fn.__name__ = name
    fn.__doc__ = f"""``tensor_split`` along dimension {dim} (sections must divide evenly).

    Example:
        >>> import ember
        >>> len(ember.{name}(ember.zeros(2, 2, 2), 2))
        2
    """
    return export(name)(fn)


hsplit = _split_family("hsplit", 1, 1)
vsplit = _split_family("vsplit", 0, 2)
dsplit = _split_family("dsplit", 2, 3)


@export()
def unbind(input, dim=0):
    """The slices along ``dim``, with that dimension removed (views).

    Example:
        >>> import ember
        >>> [r.tolist() for r in ember.tensor([[1, 2], [3, 4]]).unbind(1)]
        [[1, 3], [2, 4]]
    """
    return apply(Split, (input,), wrap_dim(dim, input.ndim, "unbind"), (), True)


def _slice(input, index):
    from .indexing import take_index

    return take_index(input, index + (Ellipsis,), False)


@export()
def narrow(input, dim, start, length):
    """The view of ``length`` elements from ``start`` along ``dim``.

    Example:
        >>> import ember
        >>> ember.arange(6).narrow(0, 2, 3).tolist()
        [2, 3, 4]
    """
    d = wrap_dim(dim, input.ndim, "narrow")
    n = input.shape[d]
    start = int(start)
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got {start})")
    start = start + n if start < 0 else start
    if length < 0 or start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return _slice(input, (slice(None),) * d + (slice(start, start + length),))


@export()
def select(input, dim, index):
    """The view at position ``index`` along ``dim``, which is removed.

    Example:
        >>> import ember
        >>> ember.tensor([[1, 2], [3, 4]]).select(1, 0).tolist()
        [1, 3]
    """
    d = wrap_dim(dim, input.ndim, "select")
    n = input.shape[d]
    index = int(index)
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(input.shape)} at dimension {d}")
    return _slice(input, (slice(None),) * d + (index,))


class Diagonal(Op):
    """The diagonal of the (dim1, dim2) planes as a last dimension: a view on numpy-like backends."""

    view = True

    def forward(self, be, a, offset, dim1, dim2):
        self.shape, self.args = a.shape, (offset, dim1, dim2)
        return be.diagonal(a, offset, dim1, dim2)

    def backward(self, g):
        return (diagonal_scatter(g.new_zeros(self.shape), g, *self.args),)


def _diag_dims(ndim, offset, dim1, dim2, op):
    d1, d2 = wrap_dim(dim1, ndim, op), wrap_dim(dim2, ndim, op)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


@export()
def diagonal(input, offset=0, dim1=0, dim2=1):
    """The ``offset`` diagonal of the ``(dim1, dim2)`` planes, appended as the last dimension (a view).

    Example:
        >>> import ember
        >>> ember.arange(9).reshape(3, 3).diagonal(1).tolist()
        [1, 5]
    """
    d1, d2 = _diag_dims(input.ndim, offset, dim1, dim2, "diagonal")
    return apply(Diagonal, (input,), offset, d1, d2)


@export()
def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """``input`` with its ``offset`` diagonal over ``(dim1, dim2)`` replaced by ``src``.

    Example:
        >>> import ember
        >>> ember.diagonal_scatter(ember.zeros(2, 2), ember.ones(2)).tolist()
        [[1.0, 0.0], [0.0, 1.0]]
    """
    from .indexing import put_index

    d1, d2 = _diag_dims(input.ndim, offset, dim1, dim2, "diagonal_scatter")
    keep = [d for d in range(input.ndim) if d not in (d1, d2)]
    perm = keep + [d1, d2]
    moved = permute(input, perm)
    m, n = moved.shape[-2:]
    r0, c0 = max(-offset, 0), max(offset, 0)
    k = max(min(m - r0, n - c0), 0)
    xp = input._be.xp
    i = xp.arange(k, dtype=input._be.native_dtype(_dtype.int64))
    out = put_index(moved, (Ellipsis, i + r0, i + c0), src, True)
    inv = [0] * len(perm)
    for pos, d in enumerate(perm):
        inv[d] = pos
    return permute(out, inv)


class Unfold(Op):
    """Windows of ``size`` every ``step`` along ``dim``, as a new last dimension (read-only view on numpy)."""

    view = True

    def forward(self, be, a, dim, size, step):
        nd = a.ndim
        self.to_end = tuple(d for d in range(nd) if d != dim) + (dim,)
        moved = be.xp.permute_dims(a, self.to_end)
        windows = be.sliding_windows(moved, (size,), (step,), (1,))
        self.moved_shape = moved.shape
        n_out = windows.shape[-2]
        xp = be.xp
        long = be.native_dtype(_dtype.int64)
        self.index = (Ellipsis, xp.reshape(xp.arange(n_out, dtype=long) * step, (n_out, 1)) + xp.arange(size, dtype=long))
        self.back = tuple(range(dim)) + (nd - 1,) + tuple(range(dim, nd - 1)) + (nd,)
        return be.xp.permute_dims(windows, self.back)

    def backward(self, g):
        from .indexing import IndexAdjoint

        inv = [0] * len(self.back)
        for pos, d in enumerate(self.back):
            inv[d] = pos
        moved = apply(IndexAdjoint, (g.permute(inv),), self.moved_shape, self.index, True)
        undo = [0] * len(self.to_end)
        for pos, d in enumerate(self.to_end):
            undo[d] = pos
        return (moved.permute(undo),)


@export(function=False)
def unfold(self, dimension, size, step):
    """Windows of ``size`` elements every ``step`` along ``dimension``, as a new last dimension.

    Example:
        >>> import ember
        >>> ember.arange(5).unfold(0, 2, 2).tolist()
        [[0, 1], [2, 3]]
    """
    x = self.reshape(1) if self.ndim == 0 else self
    d = wrap_dim(dimension, x.ndim, "unfold")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if size > x.shape[d]:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {x.shape[d]} but size is {size}")
    return apply(Unfold, (x,), d, size, step)


# --- broadcasting and dimension padding ----------------------------------------------------------------
@export(method=False)
def broadcast_shapes(*shapes):
    """The shape that ``shapes`` broadcast to.

    Example:
        >>> import ember
        >>> ember.broadcast_shapes((2, 1), (3,))
        ember.Size([2, 3])
    """
    from .._tensor import Size

    shapes = [(s,) if isinstance(s, int) else tuple(s) for s in shapes]
    out = [1] * max((len(s) for s in shapes), default=0)
    for s in shapes:
        for i, n in enumerate(s, len(out) - len(s)):
            if n < 0:
                raise RuntimeError(f"Trying to create tensor with negative dimension {n}: {list(s)}")
            if n != 1:
                if out[i] not in (1, n):
                    raise RuntimeError("Shape mismatch: objects cannot be broadcast to a single shape.  Mismatch is between arg 0 and arg 1.")
                out[i] = n
    return Size(out)


@export(method=False)
def broadcast_tensors(*tensors):
    """The tensors expanded to their common broadcast shape (views).

    Example:
        >>> import ember
        >>> [t.shape for t in ember.broadcast_tensors(ember.zeros(2, 1), ember.zeros(3))]
        [ember.Size([2, 3]), ember.Size([2, 3])]
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    shapes = [t.shape for t in tensors]
    try:
        shape = broadcast_shapes(*shapes)
    except RuntimeError:
        a, b = next((x, y) for x in shapes for y in shapes if _clash(x, y) is not None)
        i = _clash(a, b)
        raise RuntimeError(f"The size of tensor a ({a[i]}) must match the size of tensor b ({b[i]}) at non-singleton dimension {max(len(a), len(b)) + i}") from None
    return tuple(expand(t, shape) for t in tensors)


def _clash(a, b):
    for i in range(-1, -min(len(a), len(b)) - 1, -1):
        if a[i] != b[i] and 1 not in (a[i], b[i]):
            return i
    return None


def _atleast(name, nd):
    def fn(*tensors):
        seq = len(tensors) == 1 and isinstance(tensors[0], (list, tuple))
        items = tensors[0] if seq else tensors
        out = tuple(_pad_dims(t, nd) for t in items)
        return out if seq or len(out) != 1 else out[0]

    fn.__name__ = name
    fn.__doc__ = f"""The tensor(s) viewed with at least {nd} dimension(s).

    Example:
        >>> import ember
        >>> ember.{name}(ember.tensor(1.0)).shape
        ember.Size({[1] * nd})
    """
    return export(name, method=False)(fn)


def _pad_dims(t, nd):
    if t.ndim >= nd:
        return t
    shape = tuple(t.shape)
    if nd == 3 and len(shape) == 2:
        return reshape(t, shape + (1,))
    if nd == 3 and len(shape) == 1:
        return reshape(t, (1,) + shape + (1,))
    return reshape(t, (1,) * (nd - len(shape)) + shape)


atleast_1d = _atleast("atleast_1d", 1)
atleast_2d = _atleast("atleast_2d", 2)
atleast_3d = _atleast("atleast_3d", 3)


@export(method=False)
def meshgrid(*tensors, indexing=None):
    """Coordinate grids from 1-D tensors (``indexing`` 'ij' or 'xy'); the grids are expanded views.

    Example:
        >>> import ember
        >>> ys, xs = ember.meshgrid(ember.arange(2), ember.arange(3), indexing="ij")
        >>> xs.tolist()
        [[0, 1, 2], [0, 1, 2]]
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        import warnings

        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {indexing}")
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t.ndim}D tensor")
    dims = list(range(len(tensors)))
    if indexing == "xy" and len(dims) >= 2:
        dims[0], dims[1] = 1, 0
    shape = [0] * len(tensors)
    for t, d in zip(tensors, dims):
        shape[d] = t.numel()
    out = []
    for t, d in zip(tensors, dims):
        view_shape = [1] * len(shape)
        view_shape[d] = -1
        out.append(expand(reshape(t, view_shape), shape))
    return tuple(out)


@export()
def ravel(input):
    """The elements as a 1-D tensor (a view when possible).

    Example:
        >>> import ember
        >>> ember.zeros(2, 3).ravel().shape
        ember.Size([6])
    """
    return reshape(input, -1)


@export()
def narrow_copy(input, dim, start, length):
    """Like :func:`narrow`, but a copy.

    Example:
        >>> import ember
        >>> ember.arange(5).narrow_copy(0, 1, 2).tolist()
        [1, 2]
    """
    return narrow(input, dim, start, length).clone()
