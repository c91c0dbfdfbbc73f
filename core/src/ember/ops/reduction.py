"""Reductions over dimensions: sums and means, extremes, statistics, scans and logical tests."""

from __future__ import annotations

import warnings
from collections import namedtuple

from .._dtype import scalar_name
from .. import _dtype
from .._tensor import Tensor, _make, apply
from ..autograd.node import Op, named
from ._registry import FUNCTIONS, export
from ._util import cast, promote, wrap_dim, wrap_dims
from .. import _autocast


# --- helpers ---------------------------------------------------------------------------------
def return_type(name, fields):
    """A namedtuple class printed like ``torch.return_types.<name>``.

    Example:
        >>> from ember.ops.reduction import return_type
        >>> return_type("pair", ["a", "b"])(1, 2)
        ember.return_types.pair(
        a=1,
        b=2)
    """
    cls = namedtuple(name, fields)

    def __repr__(self):
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"ember.return_types.{name}(\n{body})"

    cls.__repr__ = __repr__
    cls.__module__ = "ember.return_types"
    return cls


_max_t, _min_t = return_type("max", ["values", "indices"]), return_type("min", ["values", "indices"])
_cummax_t, _cummin_t = return_type("cummax", ["values", "indices"]), return_type("cummin", ["values", "indices"])
_median_t, _nanmedian_t = return_type("median", ["values", "indices"]), return_type("nanmedian", ["values", "indices"])
_mode_t = return_type("mode", ["values", "indices"])
_aminmax_t = return_type("aminmax", ["min", "max"])


def _dims(input, dim, op):
    """Reduced axes of ``input`` as a sorted tuple (a 0-d tensor has none)."""
    dims = wrap_dims(dim, input.ndim, op)
    return dims if input.ndim else ()


def _kept(t, in_shape, dims):
    """``t`` (reduced without keepdim) reshaped with size-1 axes at ``dims``."""
    shape = list(in_shape)
    for d in dims:
        shape[d] = 1
    return t.reshape(shape)


def _count(input, dims):
    n = 1
    for d in dims:
        n *= input.shape[d]
    return n


def _isnan(x):
    return x != x


def _where(cond, a, b):
    from .elementwise import where

    return where(cond, a, b)


def _const(array, like):
    """A backend array as a tensor (no graph) on ``like``'s device."""
    be = like._be
    return _make(array, be, like._device, be.dtype_of(array))


def _arange_along(n, dim, ndim, like):
    """``0..n-1`` shaped to broadcast along ``dim`` of an ``ndim``-d tensor."""
    xp = like._be.xp
    shape = [1] * ndim
    shape[dim] = n
    return _const(xp.reshape(xp.arange(n, dtype=like._be.native_dtype(_dtype.int64)), tuple(shape)), like)


def _check_nonempty(input, dims, op, dim):
    if input.numel():
        return
    if dim is None:
        raise RuntimeError(f"{op}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.")
    for d in dims:
        if input.shape[d] == 0:
            raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")


def _values_at(input, index, dim, keepdim):
    """Values of ``input`` at array ``index`` (keepdim layout) along ``dim``, plus the index tensor."""
    idx = _const(index, input)
    values = input.gather(dim, idx) if input.ndim else input.clone()
    if not keepdim and input.ndim:
        values, idx = values.squeeze(dim), idx.squeeze(dim)
    return values, idx


# --- sums and means ----------------------------------------------------------------------------
class Sum(Op):
    def forward(self, be, a, dims, keepdim):
        self.in_shape, self.dims, self.keepdim = a.shape, dims, keepdim
        return be.xp.sum(a, axis=dims, keepdims=keepdim, dtype=a.dtype)

    def backward(self, g):
        if not self.keepdim:
            g = _kept(g, self.in_shape, self.dims)
        return (g.expand(self.in_shape),)


def _sum_dtype(input, dtype):
    if dtype is not None:
        return dtype
    return _dtype.int64 if input.dtype.category < 2 else input.dtype


@export()
def sum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum over ``dim`` (all dimensions by default); integers sum as int64.

    Example:
        >>> import ember
        >>> x = ember.tensor([[1, 2], [3, 4]])
        >>> ember.sum(x), x.sum(dim=0), x.sum(1, keepdim=True).shape
        (tensor(10), tensor([4, 6]), ember.Size([2, 1]))
    """
    if _autocast.active and dtype is None:
        input, = _autocast.full("sum", input)
    dims = wrap_dims(dim, input.ndim, "sum")
    x = cast(input, _sum_dtype(input, dtype))
    if input.ndim == 0:
        return x if not x.requires_grad else x.clone() if x is input else x
    out = apply(Sum, (x,), dims, keepdim)
    return out if dim is None else named(out, "SumBackward1")  # torch's name for the dim overload


@export()
def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum over ``dim`` treating NaN as zero.

    Example:
        >>> import ember
        >>> ember.nansum(ember.tensor([1.0, float("nan"), 2.0]))
        tensor(3.)
    """
    if input.dtype.category >= 2:
        input = _where(_isnan(input), 0, input)
    return sum(input, dim, keepdim, dtype=dtype)


def _float_only(input, op):
    if input.dtype.category < 2:
        raise RuntimeError(f"{op}(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: {scalar_name(input.dtype)}")


@export()
def mean(input, dim=None, keepdim=False, *, dtype=None):
    """Arithmetic mean over ``dim`` (floating point and complex inputs only).

    Example:
        >>> import ember
        >>> ember.tensor([[1.0, 2.0], [3.0, 4.0]]).mean(dim=1)
        tensor([1.5000, 3.5000])
    """
    if dtype is not None:
        input = cast(input, dtype)
    _float_only(input, "mean")
    n = _count(input, _dims(input, dim, "mean"))
    out = sum(input, dim, keepdim) / n if n else sum(input, dim, keepdim) * float("nan")
    return named(out, "MeanBackward0" if dim is None else "MeanBackward1")


@export()
def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """Mean over ``dim`` of the non-NaN elements.

    Example:
        >>> import ember
        >>> ember.nanmean(ember.tensor([1.0, float("nan"), 2.0]))
        tensor(1.5000)
    """
    if dtype is not None:
        input = cast(input, dtype)
    _float_only(input, "nanmean")
    keep = input == input
    return nansum(input, dim, keepdim) / sum(keep, dim, keepdim)


# --- products ---------------------------------------------------------------------------------
class Prod(Op):
    save_inputs = True
    save_output = True

    def forward(self, be, a, dims, keepdim):
        self.dims, self.keepdim = dims, keepdim
        return be.xp.prod(a, axis=dims, keepdims=keepdim, dtype=a.dtype)

    def backward(self, g):
        (a,) = self.saved()
        out, dims = self.output, self.dims
        if not self.keepdim:
            g, out = _kept(g, a.shape, dims), _kept(out, a.shape, dims)
        # d out / d a_i is the product of the other elements; zeros are counted, not divided by.
        zero = a == 0
        nzeros = zero.sum(dims, keepdim=True)
        safe = _where(zero, 1, a)
        rest = prod_dims(safe, dims)  # product of the non-zero elements
        the_zero = (a * zero).sum(dims, keepdim=True)  # 0, but carries the zero's gradient
        one_zero = _where(zero, rest, the_zero * rest / safe)
        grad = _where(nzeros == 0, out / safe, _where(nzeros == 1, one_zero, 0.0))
        return (g * grad,)


def prod_dims(input, dims):
    """Product over a tuple of axes, keeping them (shared by prod's gradient)."""
    return apply(Prod, (input,), dims, True)


@export()
def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Product over ``dim`` (all elements by default); integers multiply as int64.

    Example:
        >>> import ember
        >>> ember.prod(ember.tensor([[1, 2], [3, 4]]), 1)
        tensor([ 2, 12])
    """
    if _autocast.active and dtype is None:
        input, = _autocast.full("prod", input)
    x = cast(input, _sum_dtype(input, dtype))
    dims = _dims(input, dim, "prod")
    return apply(Prod, (x,), dims, keepdim)


# --- extremes ----------------------------------------------------------------------------------
class Extreme(Op):
    """amax/amin: the gradient is shared evenly by the elements equal to the extreme."""

    save_inputs = True
    save_output = True

    def forward(self, be, a, largest, dims, keepdim):
        self.dims, self.keepdim = dims, keepdim
        return (be.xp.max if largest else be.xp.min)(a, axis=dims, keepdims=keepdim)

    def backward(self, g):
        (a,) = self.saved()
        out = self.output
        if not self.keepdim:
            g, out = _kept(g, a.shape, self.dims), _kept(out, a.shape, self.dims)
        hit = a == out
        count = hit.sum(self.dims, keepdim=True)
        return (hit * (g / (count + (count == 0))),)


def _extreme(input, dim, keepdim, largest, op):
    dims = _dims(input, dim, op)
    _check_nonempty(input, dims, op, None if dim == () else dim)
    return apply(Extreme, (input,), largest, dims, keepdim)


@export()
def amax(input, dim=(), keepdim=False):
    """Largest value over ``dim`` (all dims by default); ties share the gradient evenly.

    Example:
        >>> import ember
        >>> ember.amax(ember.tensor([[1, 5], [7, 2]]), dim=1)
        tensor([5, 7])
    """
    return _extreme(input, dim, keepdim, True, "amax")


@export()
def amin(input, dim=(), keepdim=False):
    """Smallest value over ``dim`` (all dims by default); ties share the gradient evenly.

    Example:
        >>> import ember
        >>> ember.amin(ember.tensor([[1, 5], [7, 2]]), dim=0)
        tensor([1, 2])
    """
    return _extreme(input, dim, keepdim, False, "amin")


@export()
def aminmax(input, *, dim=None, keepdim=False):
    """``(min, max)`` over ``dim`` (or all elements) as a named tuple.

    Example:
        >>> import ember
        >>> ember.aminmax(ember.tensor([3, 1, 2]))
        ember.return_types.aminmax(
        min=tensor(1),
        max=tensor(3))
    """
    d = () if dim is None else dim
    return _aminmax_t(_extreme(input, d, keepdim, False, "aminmax"), _extreme(input, d, keepdim, True, "aminmax"))


def _arg_index(input, dim, largest, op):
    """Index array (keepdim layout) of the first extreme along ``dim``; NaN counts as extreme."""
    be = input._be
    fn = be.xp.argmax if largest else be.xp.argmin
    return fn(input._data, axis=dim, keepdims=True)


def _extreme_dim(input, dim, keepdim, largest, op):
    if input.ndim == 0:
        wrap_dim(dim, 0, op)
        return (_max_t if largest else _min_t)(input.clone(), _const(input._be.xp.zeros((), dtype=input._be.native_dtype(_dtype.int64)), input))
    d = wrap_dim(dim, input.ndim, op)
    _check_nonempty(input, (d,), op, d)
    values, idx = _values_at(input, _arg_index(input, d, largest, op), d, keepdim)
    return (_max_t if largest else _min_t)(values, idx)


def _binary_extreme(input, other, largest):
    name = "maximum" if largest else "minimum"
    fn = FUNCTIONS.get(name)
    if fn is not None:
        return fn(input, other)
    a, b = promote(name, input, other)  # ties share the gradient; NaN propagates
    first, second = (a > b, a < b) if largest else (a < b, a > b)
    return _where(first, a, _where(second, b, (a + b) / 2))


def _max_min(largest):
    op = "max" if largest else "min"

    def fn(input, dim=None, keepdim=False):
        if isinstance(dim, Tensor):
            return _binary_extreme(input, dim, largest)
        if dim is None:
            return _extreme(input, None, False, largest, op)
        return _extreme_dim(input, dim, keepdim, largest, op)

    word = "Largest" if largest else "Smallest"
    fn.__name__ = op
    fn.__doc__ = f"""{word} element, or ``({op} values, indices)`` along ``dim``, or the elementwise {op} of two tensors.

    Example:
        >>> import ember
        >>> x = ember.tensor([[1.0, 4.0], [3.0, 2.0]])
        >>> ember.{op}(x).item(), ember.{op}(x, 1).indices.tolist()
        ({4.0 if largest else 1.0}, {[1, 0] if largest else [0, 1]})
    """
    return fn


max = export("max")(_max_min(True))
min = export("min")(_max_min(False))


def _arg(largest):
    op = "argmax" if largest else "argmin"

    def fn(input, dim=None, keepdim=False):
        be = input._be
        f = be.xp.argmax if largest else be.xp.argmin
        if dim is None:
            if input.numel() == 0:
                raise RuntimeError(f"{op}(): Expected reduction dim to be specified for input.numel() == 0.")
            out = f(be.xp.reshape(input._data, (-1,)))
            if keepdim:
                out = be.xp.reshape(out, (1,) * input.ndim)
            return _const(be.xp.astype(out, be.native_dtype(_dtype.int64)), input)
        if input.ndim == 0:
            wrap_dim(dim, 0, op)
            return _const(be.xp.zeros((), dtype=be.native_dtype(_dtype.int64)), input)
        d = wrap_dim(dim, input.ndim, op)
        _check_nonempty(input, (d,), op, d)
        return _const(be.xp.astype(f(input._data, axis=d, keepdims=keepdim), be.native_dtype(_dtype.int64)), input)

    fn.__name__ = op
    fn.__doc__ = f"""Index of the {'largest' if largest else 'smallest'} element (of the flattened tensor when ``dim`` is None).

    Example:
        >>> import ember
        >>> ember.{op}(ember.tensor([[1, 9], [7, 0]])), ember.{op}(ember.tensor([[1, 9], [7, 0]]), dim=1)
        ({'tensor(1)' if largest else 'tensor(3)'}, {'tensor([1, 0])' if largest else 'tensor([0, 1])'})
    """
    return fn


argmax = export("argmax")(_arg(True))
argmin = export("argmin")(_arg(False))


# --- statistics --------------------------------------------------------------------------------
def _correction(unbiased, correction):
    if correction is not None:
        return correction
    return 1 if unbiased is None else int(bool(unbiased))


def _var_and_mean(input, dim, unbiased, keepdim, correction, op):
    if isinstance(dim, bool):  # legacy var(input, unbiased)
        dim, unbiased = None, dim
    if input.dtype.category < 2:
        raise RuntimeError("std and var only support floating point and complex dtypes")
    c = _correction(unbiased, correction)
    dims = _dims(input, dim, op)
    n = _count(input, dims)
    mu = mean(input, dims if dims else None, keepdim=True)
    d = input - mu
    sq = (d * d.conj()).real if input.is_complex() else d * d
    dof = n - c
    if dof <= 0:
        warnings.warn(f"{op}(): degrees of freedom is <= 0. Correction should be strictly less than the reduction factor (input numel divided by output numel).", UserWarning, stacklevel=3)
    total = sum(sq, dims if dims else None, keepdim)
    v = total / dof if dof > 0 else total * float("nan")
    return v, (mu if keepdim or not input.ndim else _squeeze(mu, dims))


def _squeeze(t, dims):
    return t.reshape([s for i, s in enumerate(t.shape) if i not in dims])


@export()
def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance over ``dim`` with Bessel's ``correction`` (1 by default; ``unbiased`` is the legacy flag).

    Example:
        >>> import ember
        >>> ember.var(ember.tensor([1.0, 2.0, 3.0, 4.0])), ember.var(ember.tensor([1.0, 2.0, 3.0, 4.0]), correction=0)
        (tensor(1.6667), tensor(1.2500))
    """
    return named(_var_and_mean(input, dim, unbiased, keepdim, correction, "var")[0], "VarBackward0")


@export()
def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Standard deviation over ``dim`` (see :func:`var`).

    Example:
        >>> import ember
        >>> ember.std(ember.tensor([[1.0, 3.0], [2.0, 2.0]]), dim=1)
        tensor([1.4142, 0.0000])
    """
    return named(_var_and_mean(input, dim, unbiased, keepdim, correction, "std")[0].sqrt(), "StdBackward0")


@export()
def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(var, mean)`` over ``dim`` in one pass.

    Example:
        >>> import ember
        >>> ember.var_mean(ember.tensor([1.0, 3.0]))
        (tensor(2.), tensor(2.))
    """
    return _var_and_mean(input, dim, unbiased, keepdim, correction, "var_mean")


@export()
def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(std, mean)`` over ``dim``.

    Example:
        >>> import ember
        >>> ember.std_mean(ember.tensor([1.0, 3.0]))
        (tensor(1.4142), tensor(2.))
    """
    v, m = _var_and_mean(input, dim, unbiased, keepdim, correction, "std_mean")
    return v.sqrt(), m


@export()
def logsumexp(input, dim=(), keepdim=False):
    """``log(sum(exp(input)))`` over ``dim``, computed without overflow.

    Example:
        >>> import ember
        >>> ember.logsumexp(ember.tensor([1000.0, 1000.0]), 0)
        tensor(1000.6932)
    """
    if _autocast.active:
        input, = _autocast.full("logsumexp", input)
    if input.dtype.category < 2:
        input = cast(input, _dtype.get_default_dtype())
    dims = _dims(input, dim, "logsumexp")
    if not input.numel():
        return sum(input.exp(), dims, keepdim).log()
    xp = input._be.xp
    m = xp.max(input._data, axis=dims, keepdims=True)
    m = _const(xp.where(xp.isfinite(m), m, xp.zeros_like(m)), input)  # a constant shift
    out = sum((input - m).exp(), dims, True).log() + m
    return out if keepdim else _squeeze(out, dims)


# --- scans ---------------------------------------------------------------------------------------
class Cumsum(Op):
    def forward(self, be, a, dim):
        self.dim = dim
        return be.xp.cumulative_sum(a, axis=dim)

    def backward(self, g):
        return (_reverse_cumsum(g, self.dim),)


def _reverse_cumsum(g, dim):
    """``out[i] = sum_{j >= i} g[j]`` along ``dim``."""
    return g - cumsum(g, dim) + g.sum(dim, keepdim=True)


class Cumprod(Op):
    save_inputs = True
    save_output = True

    def forward(self, be, a, dim):
        self.dim = dim
        return be.xp.cumulative_prod(a, axis=dim)

    def backward(self, g):
        (a,) = self.saved()
        d = self.dim
        if not bool((a == 0).any()):
            return (_reverse_cumsum(g * self.output, d) / a,)
        # with zeros: grad_k = sum_{i>=k} g_i prod_{j<=i, j!=k} a_j, through an (n, n) table per row
        n = a.shape[d]
        x = a.movedim(d, -1)
        k = _arange_along(n, 0, 2, a)
        j = _arange_along(n, 1, 2, a)
        table = cumprod(_where(k == j, 1.0, x.unsqueeze(-2)), -1)  # [.., k, i]
        gi = g.movedim(d, -1).unsqueeze(-2)
        return ((_where(j >= k, gi * table, 0.0)).sum(-1).movedim(-1, d),)


def _scan(op_cls, name):
    def fn(input, dim, *, dtype=None):
        x = cast(input, dtype if dtype is not None else _sum_dtype(input, None))
        if x.ndim == 0:
            wrap_dim(dim, 0, name)
            return x.clone()
        return apply(op_cls, (x,), wrap_dim(dim, x.ndim, name))

    fn.__name__ = name
    sym = "sum" if name == "cumsum" else "product"
    fn.__doc__ = f"""Cumulative {sym} along ``dim``; integers accumulate as int64 unless ``dtype`` is given.

    Example:
        >>> import ember
        >>> ember.{name}(ember.tensor([1, 2, 3]), 0)
        tensor([{'1, 3, 6' if name == 'cumsum' else '1, 2, 6'}])
    """
    return fn


cumsum = export("cumsum", inplace=True)(_scan(Cumsum, "cumsum"))
cumprod = export("cumprod", inplace=True)(_scan(Cumprod, "cumprod"))


def _running(largest):
    op = "cummax" if largest else "cummin"

    def fn(input, dim):
        be = input._be
        xp = be.xp
        if input.ndim == 0:
            wrap_dim(dim, 0, op)
            return (_cummax_t if largest else _cummin_t)(input.clone(), _const(xp.zeros((), dtype=be.native_dtype(_dtype.int64)), input))
        d = wrap_dim(dim, input.ndim, op)
        a = input._data
        run = be.running_extreme(a, d, largest)
        n = a.shape[d]
        pos = xp.reshape(xp.arange(n, dtype=be.native_dtype(_dtype.int64)), tuple(n if i == d else 1 for i in range(a.ndim)))
        hit = (a == run) | (a != a)  # the newest element equal to the running extreme (or NaN)
        index = be.running_extreme(xp.where(hit, pos, xp.zeros_like(pos)), d, True)
        values, idx = _values_at(input, index, d, True)
        return (_cummax_t if largest else _cummin_t)(values, idx)

    fn.__name__ = op
    fn.__doc__ = f"""Running {'maximum' if largest else 'minimum'} along ``dim`` and the index where it was reached.

    Example:
        >>> import ember
        >>> ember.{op}(ember.tensor([2, 1, 3]), 0).values
        tensor([2, {'2, 3' if largest else '1, 1'}])
    """
    return fn


cummax = export("cummax")(_running(True))
cummin = export("cummin")(_running(False))


# --- logical tests and counting ----------------------------------------------------------------
def _logical(name):
    def fn(input, dim=None, keepdim=False):
        be = input._be
        dims = _dims(input, dim, name)
        out = getattr(be.xp, name)(be.xp.astype(input._data, be.native_dtype(_dtype.bool)) if input.dtype is not _dtype.bool else input._data, axis=dims, keepdims=keepdim)
        if input.dtype is _dtype.uint8:
            out = be.xp.astype(out, be.native_dtype(_dtype.uint8))
        return _const(out, input)

    fn.__name__ = name
    fn.__doc__ = f"""Whether {'all' if name == 'all' else 'any'} elements over ``dim`` are non-zero (bool; uint8 for uint8 input).

    Example:
        >>> import ember
        >>> ember.{name}(ember.tensor([[1, 0], [2, 3]]), dim=1)
        tensor([{'False,  True' if name == 'all' else 'True, True'}])
    """
    return fn


all = export("all")(_logical("all"))
any = export("any")(_logical("any"))


@export()
def count_nonzero(input, dim=None):
    """Number of non-zero elements over ``dim`` (an int or a tuple), as int64.

    Example:
        >>> import ember
        >>> ember.count_nonzero(ember.tensor([[0, 1], [2, 3]]), dim=0)
        tensor([1, 2])
    """
    return sum(input != 0, dim)


# --- order statistics ------------------------------------------------------------------------------
def _median_index(input, dim, skip_nan):
    """Index array (keepdim layout) of the lower median along ``dim``; NaN wins unless skipped."""
    xp, be = input._be.xp, input._be
    a = input._data
    n = a.shape[dim]
    order = be.argsort(a, dim, stable=True)  # NaN sorts last
    nans = xp.sum(xp.astype(a != a, be.native_dtype(_dtype.int64)), axis=dim, keepdims=True)
    if skip_nan:
        k = xp.where(nans == n, xp.zeros_like(nans), (n - nans - 1) // 2)
    else:
        k = xp.where(nans > 0, n - nans, xp.zeros_like(nans) + (n - 1) // 2)
    return xp.take_along_axis(order, k, axis=dim)


def _median(skip_nan):
    op = "nanmedian" if skip_nan else "median"

    def fn(input, dim=None, keepdim=False):
        rt = _nanmedian_t if skip_nan else _median_t
        if dim is None:
            if input.numel() == 0:
                return _make(input._be.xp.full((), float("nan"), dtype=input._data.dtype), input._be, input._device, input.dtype)
            flat = input.reshape(-1)
            return _values_at(flat, _median_index(flat, 0, skip_nan), 0, False)[0]
        if input.ndim == 0:
            wrap_dim(dim, 0, op)
            return rt(input.clone(), _const(input._be.xp.zeros((), dtype=input._be.native_dtype(_dtype.int64)), input))
        d = wrap_dim(dim, input.ndim, op)
        _check_nonempty(input, (d,), op, d)
        return rt(*_values_at(input, _median_index(input, d, skip_nan), d, keepdim))

    fn.__name__ = op
    fn.__doc__ = f"""Lower median of all elements, or ``(values, indices)`` along ``dim``{' ignoring NaN' if skip_nan else '; NaN propagates'}.

    Example:
        >>> import ember
        >>> ember.{op}(ember.tensor([4.0, 1.0, 3.0, 2.0]))
        tensor(2.)
    """
    return fn


median = export("median")(_median(False))
nanmedian = export("nanmedian")(_median(True))


def _mode_index(input, dim):
    """Index array (keepdim layout): last position of the smallest most frequent value along ``dim``."""
    xp, i64 = input._be.xp, input._be.native_dtype(_dtype.int64)
    a = xp.moveaxis(input._data, dim, -1)
    n = a.shape[-1]
    s = xp.sort(a, axis=-1)
    counts = xp.sum(xp.astype(s[..., :, None] == s[..., None, :], i64), axis=-1)
    first = xp.argmax(xp.astype(counts == xp.max(counts, axis=-1, keepdims=True), i64), axis=-1, keepdims=True)
    v = xp.take_along_axis(s, first, axis=-1)
    last = n - 1 - xp.argmax(xp.astype(xp.flip(a == v, axis=-1), i64), axis=-1, keepdims=True)
    return xp.moveaxis(xp.astype(last, i64), -1, dim)


@export()
def mode(input, dim=-1, keepdim=False):
    """``(values, indices)``: the most frequent value along ``dim`` (the smallest among ties) and its last index.

    Example:
        >>> import ember
        >>> ember.mode(ember.tensor([3, 1, 3, 1, 2])).values
        tensor(1)
    """
    if input.ndim == 0:
        wrap_dim(dim, 0, "mode")
        return _mode_t(input.clone(), _const(input._be.xp.zeros((), dtype=input._be.native_dtype(_dtype.int64)), input))
    d = wrap_dim(dim, input.ndim, "mode")
    _check_nonempty(input, (d,), "mode", d)
    return _mode_t(*_values_at(input, _mode_index(input, d), d, keepdim))


__all__ = ["return_type"]
