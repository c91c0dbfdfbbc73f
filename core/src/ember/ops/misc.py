"""Assorted torch functions and Tensor methods composed from existing ops: numeric helpers
(diff, cov, quantile, gcd, ...), torch-level aliases of ``ember.linalg`` and
``ember.nn.functional``, in-place shape changes (``squeeze_``, ``t_``, ``resize_``, ...),
and predicates (``is_signed``, ``is_nonzero``, ...). Everything here is a composition:
gradients come from the ops it is built on.
"""

from __future__ import annotations

import importlib
import math

from .. import _dtype
from .._tensor import Tensor
from ..autograd import _state
from ._registry import FUNCTIONS, METHODS, export
from ._util import promote, to_tensor, wrap_dim


def _lazy(module):
    return importlib.import_module(module)


def _method(fn):
    """Register ``fn`` as a Tensor method only (torch has no function of that name)."""
    return export(function=False)(fn)


# --- conversions and predicates -------------------------------------------------------
@_method
def type_as(input, other):
    """``input`` cast to ``other``'s dtype and moved to its device.

    Example:
        >>> import ember
        >>> ember.tensor([1, 2]).type_as(ember.zeros(1)).dtype
        ember.float32
    """
    return input.to(device=other.device, dtype=other.dtype)


@export()
def is_signed(input):
    """Whether ``input``'s dtype is signed (bool and uint8 are not).

    Example:
        >>> import ember
        >>> ember.tensor([1]).is_signed(), ember.tensor([True]).is_signed()
        (True, False)
    """
    return input.dtype.is_signed


@export(method=False)
def is_complex(input):
    """Whether ``input`` has a complex dtype.

    Example:
        >>> import ember
        >>> ember.is_complex(ember.zeros(1)), ember.is_complex(ember.zeros(1, dtype=ember.complex64))
        (False, True)
    """
    return input.dtype.is_complex


@export()
def is_nonzero(input):
    """Whether the single value of a one-element tensor is nonzero.

    Example:
        >>> import ember
        >>> ember.is_nonzero(ember.tensor([0.5])), ember.is_nonzero(ember.tensor(0))
        (True, False)
    """
    n = input.numel()
    if n == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if n > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(input.item())


@export()
def is_same_size(input, other):
    """Whether ``input`` and ``other`` have the same shape.

    Example:
        >>> import ember
        >>> ember.zeros(2, 3).is_same_size(ember.ones(2, 3))
        True
    """
    return input.shape == other.shape


def _constant_predicate(name, value, doc):
    def predicate(input):
        return value

    predicate.__name__ = predicate.__qualname__ = name
    predicate.__doc__ = f"""{doc}

    Example:
        >>> import ember
        >>> ember.zeros(1).{name}()
        {value}
    """
    return predicate


# torch features Ember does not have (conjugate/negative views, inference tensors, pinned or
# shared memory): their predicates are constantly False.
for _name, _doc, _fn in (
    ("is_conj", "Whether this is a lazily conjugated view (never, in Ember).", True),
    ("is_neg", "Whether this is a lazily negated view (never, in Ember).", True),
    ("is_inference", "Whether this tensor was made in inference mode as an inference tensor (never, in Ember).", True),
    ("is_shared", "Whether this tensor lives in shared memory (never, in Ember).", False),
):
    export(_name, function=_fn)(_constant_predicate(_name, False, _doc))


def _false_property(name):
    def getter(self):
        return False

    getter.__name__ = name
    return property(getter, doc=f"False: Ember has no {name[3:]} tensors (torch's ``Tensor.{name}``).")


# torch's device/layout properties for kinds of tensor Ember does not have
for _name in ("is_meta", "is_mps", "is_xpu", "is_ipu", "is_xla", "is_mtia", "is_maia", "is_vulkan", "is_mkldnn",
              "is_nested", "is_quantized", "is_sparse_csr"):
    METHODS[_name] = _false_property(_name)


@_method
def share_memory_(input):
    """``input`` itself: worker processes receive tensors by pickling, so this is a no-op.

    Example:
        >>> import ember
        >>> x = ember.zeros(2); x.share_memory_() is x
        True
    """
    return input


@_method
def stride(input, dim=None):
    """The element strides of ``input``'s array (C-contiguous strides where the backend has no strides).

    Example:
        >>> import ember
        >>> ember.zeros(2, 3).stride(), ember.zeros(2, 3).t().stride(0)
        ((3, 1), 1)
    """
    strides = getattr(input._data, "strides", None)
    if strides is not None:
        size = input.element_size()
        strides = tuple(s // size for s in strides)
    else:
        strides, step = [], 1
        for n in reversed(input.shape):
            strides.insert(0, step)
            step *= n
        strides = tuple(strides)
    return strides if dim is None else strides[wrap_dim(dim, input.ndim, "stride")]


@_method
def storage_offset(input):
    """The offset of the first element in the underlying storage, in elements (0 on backends without strides).

    Example:
        >>> import ember
        >>> ember.zeros(3)[1:].storage_offset()
        1
    """
    try:
        return input._be.storage(input._data, "storage_offset")[1]
    except NotImplementedError:
        return 0


# --- in-place shape changes -----------------------------------------------------------
def _rebind(self, result, op):
    """Make ``self`` take ``result``'s shape and value (and history) in place."""
    if _state.grad_enabled and self.requires_grad and self.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    self._data = result._data
    self.grad_fn = result.grad_fn
    if result.grad_fn is not None:
        self._out_idx = result._idx()
    self._version[0] += 1
    self._version[1] = op
    return self


def _shape_inplace(name, transform, doc):
    def inplace(self, *args, **kwargs):
        return _rebind(self, transform(self, *args, **kwargs), name)

    inplace.__name__ = inplace.__qualname__ = name
    inplace.__doc__ = doc
    return inplace


_SHAPE_INPLACE = {
    "squeeze_": (lambda t, *a, **k: t.squeeze(*a, **k), ">>> ember.zeros(1, 3).squeeze_().shape\n        ember.Size([3])"),
    "unsqueeze_": (lambda t, d: t.unsqueeze(d), ">>> ember.zeros(3).unsqueeze_(0).shape\n        ember.Size([1, 3])"),
    "t_": (lambda t: t.t(), ">>> ember.zeros(2, 3).t_().shape\n        ember.Size([3, 2])"),
    "transpose_": (lambda t, d0, d1: t.transpose(d0, d1), ">>> ember.zeros(2, 3).transpose_(0, 1).shape\n        ember.Size([3, 2])"),
    "swapaxes_": (lambda t, d0, d1: t.transpose(d0, d1), ">>> ember.zeros(2, 3).swapaxes_(0, 1).shape\n        ember.Size([3, 2])"),
    "swapdims_": (lambda t, d0, d1: t.transpose(d0, d1), ">>> ember.zeros(2, 3).swapdims_(0, 1).shape\n        ember.Size([3, 2])"),
}
for _name, (_transform, _example) in _SHAPE_INPLACE.items():
    METHODS[_name] = _shape_inplace(
        _name, _transform,
        f"In-place version of :meth:`Tensor.{_name[:-1]}` (changes this tensor's shape).\n\n"
        f"    Example:\n        >>> import ember\n        {_example}\n    ",
    )


@_method
def resize_(input, *sizes, memory_format=None):
    """Give ``input`` shape ``sizes`` in place, keeping its leading elements (new ones are zero).

    Example:
        >>> import ember
        >>> ember.arange(6.0).resize_(2, 2)
        tensor([[0., 1.],
                [2., 3.]])
    """
    from .join import cat

    shape = tuple(sizes[0]) if len(sizes) == 1 and not isinstance(sizes[0], int) else sizes
    if _state.grad_enabled and input.requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    n = math.prod(shape)
    flat = input.detach().reshape(-1)
    if n > flat.numel():
        flat = cat([flat, flat.new_zeros(n - flat.numel())])
    input._data = input._be.xp.asarray(flat[:n].reshape(shape)._data, copy=True)
    input._version[0] += 1
    return input


@_method
def resize_as_(input, the_template, memory_format=None):
    """:meth:`resize_` to ``the_template``'s shape.

    Example:
        >>> import ember
        >>> ember.zeros(4).resize_as_(ember.ones(2, 2)).shape
        ember.Size([2, 2])
    """
    return input.resize_(the_template.shape)


@_method
def new(input, *args, device=None):
    """Legacy constructor of a tensor with ``input``'s dtype and device: ``x.new(*sizes)`` (uninitialised),
    ``x.new(data)`` or ``x.new()`` (empty).

    Example:
        >>> import ember
        >>> x = ember.zeros(1, dtype=ember.float64)
        >>> x.new([1, 2]), x.new(2, 3).shape, x.new().shape
        (tensor([1., 2.], dtype=ember.float64), ember.Size([2, 3]), ember.Size([0]))
    """
    dev = device if device is not None else input.device
    if len(args) == 1 and not isinstance(args[0], int):
        return input.new_tensor(args[0]).to(dev)
    return input.new_empty(args or (0,), device=dev)


@_method
def sum_to_size(input, *size):
    """Sum ``input`` down to ``size`` (which ``input`` must broadcast from).

    Example:
        >>> import ember
        >>> ember.ones(2, 3).sum_to_size(1, 3)
        tensor([[2., 2., 2.]])
    """
    from ._util import sum_to

    shape = tuple(size[0]) if len(size) == 1 and not isinstance(size[0], int) else size
    lead = input.ndim - len(shape)
    if lead < 0 or any(s != 1 and s != g for s, g in zip(shape, input.shape[lead:])):
        raise RuntimeError(f"sum_to_size: size {list(shape)} is not expandable to size {list(input.shape)}")
    return sum_to(input, tuple(shape))


@_method
def fill_diagonal_(input, fill_value, wrap=False):
    """Fill the main diagonal of a 2-d (or all-equal-sides) tensor with ``fill_value`` in place.

    ``wrap=True`` restarts the diagonal every ``ncols + 1`` rows of a tall matrix, as torch does.

    Example:
        >>> import ember
        >>> ember.zeros(2, 3).fill_diagonal_(7)
        tensor([[7., 0., 0.],
                [0., 7., 0.]])
    """
    shape = input.shape
    if input.ndim < 2 or (input.ndim > 2 and len(set(shape)) != 1):
        raise RuntimeError("fill_diagonal_: dimensions must larger than 1 and all of equal length")
    from .._creation import arange

    dev = input.device
    if input.ndim == 2:
        rows, cols = shape
        n = rows if wrap and rows > cols else min(rows, cols)
        r = arange(n, device=dev)
        if wrap and rows > cols:
            keep = (r % (cols + 1)) < cols
            r = r[keep]
        mask = input.new_zeros(shape, dtype=_dtype.bool)
        mask[r, r % (cols + 1) if wrap and rows > cols else r] = True
    else:
        r = arange(shape[0], device=dev)
        mask = input.new_zeros(shape, dtype=_dtype.bool)
        mask[(r,) * input.ndim] = True
    return input.masked_fill_(mask, fill_value)


@_method
def apply_(input, callable):
    """Replace each element ``x`` with ``callable(x)`` in place (a slow Python loop, CPU tensors, as in torch).

    Example:
        >>> import ember
        >>> ember.tensor([1.0, 2.0]).apply_(lambda v: v * 10)
        tensor([10., 20.])
    """
    return _map_host(input, (input,), callable, "apply_")


@_method
def map_(input, tensor, callable):
    """Replace each ``x`` with ``callable(x, y)`` for ``y`` the matching element of ``tensor`` (broadcast), in place.

    Example:
        >>> import ember
        >>> ember.tensor([1.0, 2.0]).map_(ember.tensor([3.0, 4.0]), lambda a, b: a * b)
        tensor([3., 8.])
    """
    return _map_host(input, (input, tensor.expand_as(input)), callable, "map_")


def _map_host(target, sources, fn, op):
    if target.device.type != "cpu":
        raise TypeError(f"{op} is only implemented on CPU tensors")
    from .._creation import tensor

    values = zip(*(s.detach().reshape(-1).tolist() for s in sources))
    result = tensor([fn(*v) for v in values], dtype=target.dtype, device=target.device).reshape(target.shape)
    return target.copy_(result)


# --- random fills: the engine's sampler, else composed from uniform samples ------------
def _random_fill(self, op, generator, sampler, params, transform):
    """Fill with the generator engine's ``sampler(shape, dtype, *params)`` (torch's CPU sampler on the host,
    in memory order); an engine without it gives ``transform(u)`` of one double uniform per element."""
    from .._random import _fill, _gen

    if hasattr(_gen(generator, self.device)._engine, sampler):
        return _fill(self, op, generator, lambda e, shape, _: getattr(e, sampler)(shape, self.dtype, *params))
    u = self.detach().new_empty(self.shape, dtype=_dtype.float64).uniform_(generator=generator)
    return self._fill_from(transform(u).to(self.dtype)._data, op)


@_method
def cauchy_(input, median=0.0, sigma=1.0, *, generator=None):
    """Fill in place with samples of the Cauchy distribution.

    Example:
        >>> import ember
        >>> ember.empty(3).cauchy_().shape
        ember.Size([3])
    """
    return _random_fill(input, "cauchy_", generator, "cauchy", (median, sigma),
                        lambda u: median + sigma * (math.pi * (u - 0.5)).tan())


@_method
def log_normal_(input, mean=1.0, std=2.0, *, generator=None):
    """Fill in place with samples whose logarithm is normal(``mean``, ``std``).

    Example:
        >>> import ember
        >>> bool((ember.empty(4).log_normal_() > 0).all())
        True
    """
    from .._random import _gen

    if hasattr(_gen(generator, input.device)._engine, "log_normal"):
        return _random_fill(input, "log_normal_", generator, "log_normal", (mean, std), None)
    z = input.detach().new_empty(input.shape).normal_(mean, std, generator=generator)
    return input._fill_from(z.exp().to(input.dtype)._data, "log_normal_")


@_method
def geometric_(input, p, *, generator=None):
    """Fill in place with the number of Bernoulli(``p``) trials up to the first success (1, 2, ...).

    Example:
        >>> import ember
        >>> bool((ember.empty(5).geometric_(0.5) >= 1).all())
        True
    """
    return _random_fill(input, "geometric_", generator, "geometric", (p,),
                        lambda u: (u.log() / math.log1p(-p)).ceil())


# --- numeric helpers ---------------------------------------------------------------------
@export()
def diff(input, n=1, dim=-1, prepend=None, append=None):
    """The ``n``-th forward difference along ``dim`` (after adding ``prepend``/``append``).

    Example:
        >>> import ember
        >>> ember.diff(ember.tensor([1, 3, 6, 10])), ember.diff(ember.tensor([1, 3, 6, 10]), n=2)
        (tensor([2, 3, 4]), tensor([1, 1]))
    """
    from .join import cat

    dim = wrap_dim(dim, input.ndim, "diff")
    parts = [p for p in (prepend, input, append) if p is not None]
    if len(parts) > 1:
        parts = [p if isinstance(p, Tensor) and p.ndim else _edge_like(input, p, dim) for p in parts]
        input = cat(parts, dim)
    for _ in range(n):
        length = input.shape[dim]
        later, earlier = input.narrow(dim, 1, max(length - 1, 0)), input.narrow(dim, 0, max(length - 1, 0))
        input = later.logical_xor(earlier) if input.dtype is _dtype.bool else later - earlier
    return input


def _edge_like(input, value, dim):
    shape = list(input.shape)
    shape[dim] = 1
    return to_tensor(value, like=input).to(input.dtype).expand(shape)


@export()
def cov(input, *, correction=1, fweights=None, aweights=None):
    """Covariance matrix of the variables in the rows of ``input`` (observations in columns).

    Example:
        >>> import ember
        >>> ember.cov(ember.tensor([[1.0, 2.0, 4.0], [3.0, 1.0, 0.0]]))
        tensor([[ 2.3333, -2.1667],
                [-2.1667,  2.3333]])
    """
    if input.ndim > 2:
        raise ValueError(f"cov(): expected input to have two or fewer dimensions but got an input with {input.ndim} dimensions")
    x = input.reshape(1, -1) if input.ndim < 2 else input
    if not x.dtype.is_floating_point and not x.dtype.is_complex:
        x = x.to(_dtype.get_default_dtype())
    w = None
    if fweights is not None:
        w = fweights.to(x.dtype)
    if aweights is not None:
        w = aweights.to(x.dtype) if w is None else w * aweights.to(x.dtype)
    if w is None:
        total = x.shape[1]
        mean = x.mean(dim=1, keepdim=True)
        norm = total - correction
    else:
        total = w.sum()
        mean = (x * w).sum(dim=1, keepdim=True) / total
        norm = total - correction * ((w * aweights.to(x.dtype)).sum() / total if aweights is not None else 1)
    xc = x - mean
    xw = xc if w is None else xc * w
    out = (xw @ xc.conj().t()) / (norm.clamp(min=0) if isinstance(norm, Tensor) else max(norm, 0))
    return out.squeeze() if input.ndim < 2 else out


@export()
def corrcoef(input):
    """Pearson correlation coefficients of the variables in the rows of ``input``.

    Example:
        >>> import ember
        >>> ember.corrcoef(ember.tensor([[1.0, 2.0, 3.0], [2.0, 4.0, 7.0]]))
        tensor([[1.0000, 0.9934],
                [0.9934, 1.0000]])
    """
    c = cov(input)
    if c.ndim == 0:
        return c / c
    d = c.diagonal().sqrt()
    return (c / d[:, None] / d[None, :]).clamp(-1, 1)


@export()
def dist(input, other, p=2):
    """The ``p``-norm of ``input - other``.

    Example:
        >>> import ember
        >>> ember.dist(ember.tensor([0.0, 0.0]), ember.tensor([3.0, 4.0]))
        tensor(5.)
    """
    return _lazy("ember.linalg").vector_norm(input - other, p)


@export(inplace=True)
def renorm(input, p, dim, maxnorm):
    """Rescale each slice along ``dim`` whose ``p``-norm exceeds ``maxnorm`` to norm ``maxnorm``.

    Example:
        >>> import ember
        >>> ember.renorm(ember.tensor([[1.0, 1.0], [3.0, 4.0]]), 2, 0, 1.0)
        tensor([[0.7071, 0.7071],
                [0.6000, 0.8000]])
    """
    if input.ndim < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.ndim} dimensions")
    dim = wrap_dim(dim, input.ndim, "renorm")
    others = tuple(d for d in range(input.ndim) if d != dim)
    norms = _lazy("ember.linalg").vector_norm(input, p, dim=others, keepdim=True)
    scale = (maxnorm / (norms + 1e-7)).where(norms > maxnorm, norms.new_ones(()))
    return input * scale


@export(inplace=True)
def heaviside(input, values):
    """The Heaviside step: 0 below zero, 1 above, ``values`` at zero.

    Example:
        >>> import ember
        >>> ember.heaviside(ember.tensor([-1.0, 0.0, 2.0]), ember.tensor([0.5]))
        tensor([0.0000, 0.5000, 1.0000])
    """
    input, values = promote("heaviside", input, values)
    one, zero = input.new_ones(()), input.new_zeros(())
    return values.where(input == 0, one.where(input > 0, zero))


def _euclid(a, b):
    """gcd of integer tensors by Euclid's algorithm, elementwise (|a|, |b| in, loop until all b are 0)."""
    a, b = a.abs(), b.abs()
    a, b = a.broadcast_to(_broadcast(a, b)), b.broadcast_to(_broadcast(a, b))
    while bool((b != 0).any()):
        nonzero = b != 0
        safe = b.where(nonzero, b.new_ones(()))
        a, b = b.where(nonzero, a), (a % safe).where(nonzero, b)
    return a


def _broadcast(a, b):
    from .shape import broadcast_shapes

    return broadcast_shapes(a.shape, b.shape)


def _check_integral(op, a, b):
    for t in (a, b):
        if t.dtype.is_floating_point or t.dtype.is_complex or t.dtype is _dtype.bool:
            raise RuntimeError(f"{op}: expected integer tensors, got {t.dtype}")


@export(inplace=True)
def gcd(input, other):
    """Elementwise greatest common divisor of integer tensors (non-negative; gcd(0, 0) = 0).

    Example:
        >>> import ember
        >>> ember.gcd(ember.tensor([-4, 6, 0]), ember.tensor([6, -4, 0]))
        tensor([2, 2, 0])
    """
    input, other = promote("gcd", input, other)
    _check_integral("gcd", input, other)
    return _euclid(input, other)


@export(inplace=True)
def lcm(input, other):
    """Elementwise least common multiple of integer tensors (non-negative; 0 if either is 0).

    Example:
        >>> import ember
        >>> ember.lcm(ember.tensor([4, 6, 0]), ember.tensor([6, 4, 3]))
        tensor([12, 12,  0])
    """
    input, other = promote("lcm", input, other)
    _check_integral("lcm", input, other)
    g = _euclid(input, other)
    return (input.abs() // g.where(g != 0, g.new_ones(())) * other.abs()).where(g != 0, g)


@export(inplace=True)
def ldexp(input, other):
    """``input * 2 ** other`` (a floating result).

    Example:
        >>> import ember
        >>> ember.ldexp(ember.tensor([1.0, 3.0]), ember.tensor([3, -1]))
        tensor([8.0000, 1.5000])
    """
    if not input.dtype.is_floating_point and not input.dtype.is_complex:
        input = input.to(_dtype.get_default_dtype())
    return input * (2.0 ** other.to(input.dtype) if isinstance(other, Tensor) else 2.0 ** other)


@export()
def logcumsumexp(input, dim):
    """``log(cumsum(exp(input), dim))`` computed without overflow.

    Example:
        >>> import ember
        >>> ember.logcumsumexp(ember.tensor([0.0, 1.0, 2.0]), 0)
        tensor([0.0000, 1.3133, 2.4076])
    """
    dim = wrap_dim(dim, input.ndim, "logcumsumexp")
    if input.numel() == 0:
        return input.clone()
    m = input.detach().amax(dim=dim, keepdim=True) if input.ndim else input.detach()
    m = m.where(m.isfinite(), m.new_zeros(()))
    return (input - m).exp().cumsum(dim).log() + m


@export(method=False)
def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Whether each element of ``elements`` occurs in ``test_elements``.

    Example:
        >>> import ember
        >>> ember.isin(ember.tensor([[1, 2], [3, 4]]), ember.tensor([2, 3]))
        tensor([[False,  True],
                [ True, False]])
    """
    elements, test_elements = promote("isin", elements, test_elements)
    hit = (elements.unsqueeze(-1) == test_elements.reshape(-1)).any(dim=-1)
    return hit.logical_not() if invert else hit


_QUANTILE_MODES = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(op, input, q, dim, keepdim, interpolation, ignore_nan):
    if interpolation not in _QUANTILE_MODES:
        raise ValueError(f"{op}() interpolation must be one of {', '.join(_QUANTILE_MODES)}. Got {interpolation}")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"{op}() input tensor must be either float or double dtype, got {input.dtype}")
    scalar_q = not isinstance(q, Tensor)
    qt = to_tensor(q, like=input, dtype=input.dtype).to(input.dtype) if scalar_q else q.to(input.dtype)
    if qt.ndim > 1:
        raise RuntimeError(f"{op}() q must be a scalar or 1D tensor")
    if bool(((qt < 0) | (qt > 1)).any()):
        raise RuntimeError(f"{op}() q values must be in the range [0, 1]")
    if dim is None:
        x, dim_, out_shape = input.reshape(-1), 0, [1] * input.ndim if keepdim else []
    else:
        dim_ = wrap_dim(dim, input.ndim, op)
        x = input if input.ndim else input.reshape(1)
        out_shape = list(input.shape)
        if keepdim:
            out_shape[dim_] = 1
        elif input.ndim:
            del out_shape[dim_]
    x = x.movedim(dim_ if x.ndim > 1 else 0, -1)
    values = x.sort(dim=-1).values  # NaN sorts last
    nan = values.isnan()
    count = (~nan).sum(dim=-1, keepdim=True) if ignore_nan else values.new_full(values.shape[:-1] + (1,), values.shape[-1])
    qv = qt.reshape(-1)
    rank = qv * (count.to(input.dtype) - 1).clamp(min=0)  # (..., nq)
    if interpolation == "lower":
        rank = rank.floor()
    elif interpolation == "higher":
        rank = rank.ceil()
    elif interpolation == "nearest":
        rank = rank.round()
    lo = rank.floor().long().clamp(min=0)
    hi = rank.ceil().long().clamp(min=0)
    lo_v, hi_v = values.gather(-1, lo), values.gather(-1, hi)
    weight = 0.5 if interpolation == "midpoint" else rank - lo.to(rank.dtype)
    out = lo_v + (hi_v - lo_v) * weight if interpolation in ("linear", "midpoint") else lo_v
    if interpolation == "midpoint":
        out = out.where(lo != hi, lo_v)
    bad = (count == 0) if ignore_nan else nan.any(dim=-1, keepdim=True)
    out = out.masked_fill(bad.expand_as(out), math.nan)
    out = out.movedim(-1, 0).reshape(tuple(qv.shape) + tuple(out_shape))
    return out[0] if scalar_q or qt.ndim == 0 else out


@export()
def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """The ``q``-quantiles of ``input`` (all elements, or along ``dim``); a NaN in a slice gives NaN.

    A 1-d ``q`` puts the quantiles in a new leading dimension.

    Example:
        >>> import ember
        >>> ember.quantile(ember.tensor([1.0, 2.0, 3.0, 4.0]), 0.5)
        tensor(2.5000)
    """
    return _quantile("quantile", input, q, dim, keepdim, interpolation, False)


@export()
def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """:func:`quantile` ignoring NaNs (an all-NaN slice gives NaN).

    Example:
        >>> import ember
        >>> ember.nanquantile(ember.tensor([1.0, float("nan"), 3.0]), 0.5)
        tensor(2.)
    """
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, True)


@export(method=False)
def block_diag(*tensors):
    """A block-diagonal matrix with the given (0-, 1- or 2-d) tensors as blocks.

    Example:
        >>> import ember
        >>> ember.block_diag(ember.tensor([[1, 2]]), ember.tensor([[3], [4]]))
        tensor([[1, 2, 0],
                [0, 0, 3],
                [0, 0, 4]])
    """
    from .join import cat

    blocks = [t.reshape(1, -1) if t.ndim < 2 else t for t in tensors]
    if any(b.ndim != 2 for b in blocks):
        raise RuntimeError("torch.block_diag: Input tensors must have 2 or fewer dimensions")
    if not blocks:
        from .._creation import empty

        return empty(1, 0)
    dt = _dtype.result_type(*blocks)
    width = sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        b = b.to(dt)
        pad_l = b.new_zeros((b.shape[0], left))
        pad_r = b.new_zeros((b.shape[0], width - left - b.shape[1]))
        rows.append(cat([pad_l, b, pad_r], 1))
        left += b.shape[1]
    return cat(rows, 0)


@export(method=False)
def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of 1-d ``x``: columns are powers of ``x`` (decreasing unless ``increasing``).

    Example:
        >>> import ember
        >>> ember.vander(ember.tensor([1, 2, 3]), N=3)
        tensor([[1, 1, 1],
                [4, 2, 1],
                [9, 3, 1]])
    """
    from .._creation import arange

    if x.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    dt = _dtype.promote_types(x.dtype, _dtype.int64)
    powers = arange(n, device=x.device)
    if not increasing:
        powers = powers.flip(0)
    return x.to(dt).unsqueeze(-1) ** powers.to(dt)


@export(method=False)
def trapezoid(y, x=None, *, dx=None, dim=-1):
    """Integral of ``y`` along ``dim`` by the trapezoid rule, at points ``x`` or spacing ``dx`` (default 1).

    Example:
        >>> import ember
        >>> ember.trapezoid(ember.tensor([1.0, 2.0, 3.0])), ember.trapezoid(ember.tensor([1.0, 2.0, 3.0]), dx=0.5)
        (tensor(4.), tensor(2.))
    """
    dim = wrap_dim(dim, y.ndim, "trapezoid")
    n = y.shape[dim]
    if n == 0:
        return y.sum(dim) * 0
    mid = (y.narrow(dim, 1, n - 1) + y.narrow(dim, 0, n - 1)) / 2
    if isinstance(x, Tensor):
        step = diff(x, dim=-1 if x.ndim == 1 else dim)
        if x.ndim == 1:
            step = step.reshape((-1,) + (1,) * (y.ndim - dim - 1))
        return (mid * step).sum(dim)
    return mid.sum(dim) * (1 if dx is None and x is None else (dx if dx is not None else x))


export("trapz", method=False)(trapezoid)


@export(method=False)
def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """Running trapezoid-rule integral of ``y`` along ``dim`` (one element shorter than ``y``).

    Example:
        >>> import ember
        >>> ember.cumulative_trapezoid(ember.tensor([1.0, 2.0, 3.0]))
        tensor([1.5000, 4.0000])
    """
    dim = wrap_dim(dim, y.ndim, "cumulative_trapezoid")
    n = y.shape[dim]
    mid = (y.narrow(dim, 1, max(n - 1, 0)) + y.narrow(dim, 0, max(n - 1, 0))) / 2
    if isinstance(x, Tensor):
        step = diff(x, dim=-1 if x.ndim == 1 else dim)
        if x.ndim == 1:
            step = step.reshape((-1,) + (1,) * (y.ndim - dim - 1))
        return (mid * step).cumsum(dim)
    return mid.cumsum(dim) * (dx if dx is not None else (1 if x is None else x))


@export(method=False)
def unravel_index(indices, shape):
    """Convert flat indices into a tuple of coordinate tensors for an array of ``shape``.

    Example:
        >>> import ember
        >>> ember.unravel_index(ember.tensor([4, 1]), (2, 3))
        (tensor([1, 0]), tensor([1, 1]))
    """
    indices = to_tensor(indices)
    if indices.dtype.is_floating_point or indices.dtype.is_complex or indices.dtype is _dtype.bool:
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    total = math.prod(shape)
    if bool(((indices < -total) | (indices >= total)).any()):
        raise ValueError(f"unravel_index: index out of bounds for shape {list(shape)}")
    flat = indices.long() % total if total else indices.long()
    coords = []
    for n in reversed(shape):
        coords.insert(0, flat % n)
        flat = flat // n
    return tuple(coords)


@export(method=False)
def rsub(input, other, *, alpha=1):
    """``other - alpha * input``.

    Example:
        >>> import ember
        >>> ember.rsub(ember.tensor([1.0, 2.0]), 5)
        tensor([4., 3.])
    """
    return to_tensor(other, like=input) - input * alpha if alpha != 1 else other - input


@export(method=False)
def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False):
    """A 0-d tensor holding number ``s`` (default float dtype unless ``dtype``).

    Example:
        >>> import ember
        >>> ember.scalar_tensor(3)
        tensor(3.)
    """
    from .._creation import tensor

    return tensor(s, dtype=dtype or _dtype.get_default_dtype(), device=device, requires_grad=requires_grad)


@export(method=False)
def detach(input):
    """``input.detach()``: a tensor sharing ``input``'s data, cut from the graph.

    Example:
        >>> import ember
        >>> ember.detach(ember.ones(1, requires_grad=True)).requires_grad
        False
    """
    return input.detach()


@export(method=False)
def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    """``obj`` (a tensor, array, number or nested sequence) as a tensor, sharing data where possible unless ``copy``.

    Example:
        >>> import ember
        >>> t = ember.zeros(2); ember.asarray(t) is t, ember.asarray([1, 2], dtype=ember.float64)
        (True, tensor([1., 2.], dtype=ember.float64))
    """
    from .._creation import as_tensor, tensor

    if isinstance(obj, Tensor):
        out = obj.to(device=device if device is not None else obj.device, dtype=dtype or obj.dtype, copy=bool(copy))
    elif copy:
        out = tensor(obj, dtype=dtype, device=device)
    else:
        out = as_tensor(obj, dtype=dtype, device=device)
    return out.requires_grad_() if requires_grad else out


@export(method=False)
def fill(input, value):
    """A tensor like ``input`` filled with ``value``.

    Example:
        >>> import ember
        >>> ember.fill(ember.zeros(2), 3)
        tensor([3., 3.])
    """
    from .._creation import full_like

    return full_like(input, value.item() if isinstance(value, Tensor) else value)


# --- torch-level aliases of linalg (older spellings) -------------------------------------
def _linalg(name):
    return getattr(_lazy("ember.linalg"), name)


@export()
def det(input):
    """Determinant of (a batch of) square matrices; same as :func:`ember.linalg.det`.

    Example:
        >>> import ember
        >>> ember.det(ember.tensor([[2.0, 1.0], [1.0, 3.0]]))
        tensor(5.)
    """
    return _linalg("det")(input)


@export()
def slogdet(input):
    """Sign and log-absolute-determinant; same as :func:`ember.linalg.slogdet`.

    Example:
        >>> import ember
        >>> ember.slogdet(ember.tensor([[2.0, 0.0], [0.0, -3.0]])).sign
        tensor(-1.)
    """
    return _linalg("slogdet")(input)


@export()
def logdet(input):
    """Log-determinant (NaN for a negative determinant, -inf for a singular matrix).

    Example:
        >>> import ember
        >>> ember.logdet(ember.tensor([[2.0, 0.0], [0.0, 3.0]]))
        tensor(1.7918)
    """
    sign, logabs = _linalg("slogdet")(input)
    return logabs.where(sign >= 0, logabs.new_full((), math.nan)).where(sign != 0, logabs.new_full((), -math.inf))


@export()
def inverse(input):
    """Matrix inverse; same as :func:`ember.linalg.inv`.

    Example:
        >>> import ember
        >>> ember.inverse(ember.tensor([[2.0, 0.0], [0.0, 4.0]]))
        tensor([[0.5000, 0.0000],
                [0.0000, 0.2500]])
    """
    return _linalg("inv")(input)


@export()
def pinverse(input, rcond=1e-15):
    """Moore-Penrose pseudo-inverse with relative singular-value cutoff ``rcond``.

    Example:
        >>> import ember
        >>> ember.pinverse(ember.tensor([[1.0, 0.0], [0.0, 0.0]]))
        tensor([[1., 0.],
                [0., 0.]])
    """
    return _linalg("pinv")(input, rtol=rcond)


@export()
def cholesky(input, upper=False):
    """Cholesky factor of a positive-definite matrix (lower, or upper if ``upper``).

    Example:
        >>> import ember
        >>> ember.cholesky(ember.tensor([[4.0, 2.0], [2.0, 5.0]]))
        tensor([[2., 0.],
                [1., 2.]])
    """
    return _linalg("cholesky")(input, upper=upper)


def _gram(factor, upper):
    return factor.mT @ factor if upper else factor @ factor.mT


@export()
def cholesky_solve(input, input2, upper=False):
    """Solve ``A X = input`` given the Cholesky factor ``input2`` of ``A``.

    Example:
        >>> import ember
        >>> L = ember.tensor([[2.0, 0.0], [1.0, 2.0]])
        >>> ember.cholesky_solve(ember.tensor([[4.0], [7.0]]), L)
        tensor([[0.3750],
                [1.2500]])
    """
    return _linalg("solve")(_gram(input2, upper), input)


@export()
def cholesky_inverse(input, upper=False):
    """Inverse of ``A`` given its Cholesky factor ``input``.

    Example:
        >>> import ember
        >>> ember.cholesky_inverse(ember.tensor([[2.0, 0.0], [0.0, 1.0]]))
        tensor([[0.2500, 0.0000],
                [0.0000, 1.0000]])
    """
    return _linalg("inv")(_gram(input, upper))


@export()
def svd(input, some=True, compute_uv=True):
    """Singular value decomposition ``(U, S, V)`` with ``input = U diag(S) V^H`` (torch's older API).

    Example:
        >>> import ember
        >>> ember.svd(ember.tensor([[3.0, 0.0], [0.0, 4.0]])).S
        tensor([4., 3.])
    """
    U, S, Vh = _linalg("svd")(input, full_matrices=not some)
    if not compute_uv:
        U, Vh = U.new_zeros(U.shape), Vh.new_zeros(Vh.shape)
    return _svd_t(U, S, Vh.mH)


@export()
def qr(input, some=True):
    """QR decomposition ``(Q, R)`` (reduced unless ``some=False``).

    Example:
        >>> import ember
        >>> Q, R = ember.qr(ember.tensor([[1.0, 0.0], [0.0, 2.0]])); R.abs()
        tensor([[1., 0.],
                [0., 2.]])
    """
    return _linalg("qr")(input, mode="reduced" if some else "complete")


def _bind_svd_type():
    from .reduction import return_type

    return return_type("svd", ["U", "S", "V"])


_svd_t = _bind_svd_type()


@export()
def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """Pairwise ``p``-norm distances between the rows of ``x1`` (..., P, M) and ``x2`` (..., R, M).

    Example:
        >>> import ember
        >>> ember.cdist(ember.tensor([[0.0, 0.0]]), ember.tensor([[3.0, 4.0], [1.0, 0.0]]))
        tensor([[5., 1.]])
    """
    if x1.ndim < 2 or x2.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.ndim}D, X2 got: {x2.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    diff_ = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    return _lazy("ember.linalg").vector_norm(diff_, p, dim=-1)


# --- torch-level aliases of nn.functional with the same argument order --------------------
def _functional_alias(name, fname=None, reorder=None):
    def alias(*args, **kwargs):
        fn = getattr(_lazy("ember.nn.functional"), fname or name)
        if reorder:
            args = reorder(args)
        return fn(*args, **kwargs)

    alias.__name__ = alias.__qualname__ = name
    alias.__doc__ = f"""Same as :func:`ember.nn.functional.{fname or name}`.

    Example:
        >>> import ember
        >>> callable(ember.{name})
        True
    """
    return alias


for _name in ("cosine_similarity", "pairwise_distance", "pdist", "pixel_shuffle", "pixel_unshuffle", "selu", "celu",
              "prelu", "rrelu", "hardshrink", "dropout", "alpha_dropout", "feature_alpha_dropout", "layer_norm",
              "group_norm", "rms_norm", "bilinear", "threshold", "channel_shuffle", "avg_pool1d", "adaptive_avg_pool1d",
              "max_pool1d", "max_pool2d", "max_pool3d"):
    export(_name, method=_name in ("prelu", "hardshrink"))(_functional_alias(_name))
export("embedding", method=False)(_functional_alias("embedding", reorder=lambda a: (a[1], a[0]) + tuple(a[2:])))


def _functional_inplace(name):
    def alias(*args, **kwargs):
        return getattr(_lazy("ember.nn.functional"), name[:-1])(*args, inplace=True, **kwargs)

    alias.__name__ = alias.__qualname__ = name
    alias.__doc__ = f"""In-place :func:`ember.{name[:-1]}` (``inplace=True``).

    Example:
        >>> import ember
        >>> callable(ember.{name})
        True
    """
    return alias


for _name in ("selu_", "celu_", "rrelu_", "dropout_", "alpha_dropout_", "feature_alpha_dropout_", "threshold_"):
    FUNCTIONS[_name] = _functional_inplace(_name)


def _inplace_function(name):
    def function(input, *args, **kwargs):
        return getattr(input, name)(*args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"""``input.{name}(...)``: the in-place :func:`ember.{name[:-1]}` as a function.

    Example:
        >>> import ember
        >>> callable(ember.{name})
        True
    """
    return function


# torch exposes these in-place methods as functions too (torch.relu_(x), torch.zero_(x), ...)
_INPLACE_FUNCTIONS = (
    "abs_ acos_ acosh_ arccos_ arccosh_ arcsin_ arcsinh_ arctan_ arctanh_ asin_ asinh_ atan_ atanh_ ceil_ clamp_ "
    "clamp_max_ clamp_min_ clip_ cos_ cosh_ deg2rad_ erf_ erfc_ exp2_ exp_ expm1_ fix_ floor_ frac_ i0_ log10_ log1p_ "
    "log2_ log_ logit_ nan_to_num_ neg_ negative_ rad2deg_ reciprocal_ relu_ round_ rsqrt_ sigmoid_ sin_ sinc_ sinh_ "
    "sqrt_ square_ tan_ tanh_ trunc_ xlogy_ zero_ fill_ gcd_ lcm_ ldexp_ detach_"
).split()


for _name in _INPLACE_FUNCTIONS:
    FUNCTIONS.setdefault(_name, _inplace_function(_name))
