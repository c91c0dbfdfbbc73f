"""Dtype casts, views and reshaping: cast, reshape/view, permute, expand, squeeze."""

from __future__ import annotations

from .. import _dtype
from .._tensor import Tensor, apply
from ..autograd.node import Op
from ._registry import export
from ._util import sum_to, wrap_dim


class Cast(Op):
    def forward(self, be, a, dtype):
        self.src = be.dtype_of(a)
        return be.xp.astype(a, be.native_dtype(dtype))

    def backward(self, g):
        return (g.to(self.src) if self.src.category >= 2 else None,)


class Reshape(Op):
    view = True

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
def reshape(input, *shape):
    """The same data with a new shape (one dimension may be -1).

    Example:
        >>> import ember
        >>> ember.arange(6).reshape(2, -1).shape
        ember.Size([2, 3])
    """
    shape = _infer_shape(_shape_args(shape), input.numel(), "reshape")
    if shape == input._data.shape:
        return input if input.grad_fn is None and not input.requires_grad else apply(Reshape, (input,), shape)
    return apply(Reshape, (input,), shape)


@export(function=False)
def view(self, *shape):
    """A view with a new shape (or a reinterpretation as another dtype of the same size).

    Example:
        >>> import ember
        >>> ember.arange(4).view(2, 2).tolist()
        [[0, 1], [2, 3]]
    """
    if len(shape) == 1 and isinstance(shape[0], _dtype.dtype):
        if shape[0].itemsize != self.dtype.itemsize:
            raise RuntimeError("view(dtype): only dtypes of the same size are supported")
        from .._tensor import _make

        be = self._be
        return _make(self._data.view(be.native_dtype(shape[0])), be, self._device, shape[0])
    return apply(Reshape, (self,), _infer_shape(_shape_args(shape), self.numel(), "view"))


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
def permute(input, *dims):
    """Reorder the dimensions.

    Example:
        >>> import ember
        >>> ember.zeros(2, 3, 4).permute(2, 0, 1).shape
        ember.Size([4, 2, 3])
    """
    dims = _shape_args(dims)
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
    return apply(Permute, (input,), tuple(perm))


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
    return transpose(input, 0, 1) if input.ndim == 2 else input


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
def expand(input, *sizes):
    """Broadcast singleton dimensions to a larger size without copying (-1 keeps a size).

    Example:
        >>> import ember
        >>> ember.tensor([[1], [2]]).expand(2, 3).tolist()
        [[1, 1, 1], [2, 2, 2]]
    """
    sizes = _shape_args(sizes)
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
    if new == tuple(shape):
        return input if not input.requires_grad else apply(Reshape, (input,), new)
    return apply(Reshape, (input,), new)


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
    return apply(Reshape, (input,), tuple(shape))


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
