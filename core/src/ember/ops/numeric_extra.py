"""Sampling and floating-point helpers: ``poisson``, ``binomial``, ``_standard_gamma``, ``_sample_dirichlet``,
``nextafter``, ``frexp``, ``histogram(dd)``.

The samplers draw through the device generator's engine (``poisson``, ``gamma``, ``binomial``): on the host
these are torch's CPU kernels, draw for draw. The histograms count (or weight) ``lo <= x <= hi``, the last
bin closed on the right, like torch; they are not differentiable.
"""

from __future__ import annotations

import numpy as _np  # host-side: count validation

from .._dtype import scalar_name
from .. import _dtype
from .._tensor import Tensor, _make, apply
from ..autograd.node import Op
from ._registry import export
from .reduction import return_type

frexp_result = return_type("frexp", ["mantissa", "exponent"])
histogram_result = return_type("histogram", ["hist", "bin_edges"])
histogramdd_result = return_type("histogramdd", ["hist", "bin_edges"])

def _engine(generator, like):
    from .._random import _gen

    return _gen(generator, like.device)._engine


# --- sampling -------------------------------------------------------------------------------------------
class Poisson(Op):
    def forward(self, be, rates, engine, dtype):
        return engine.poisson(be.to_host(rates), dtype)

    def backward(self, g):
        return (g * 0,)  # a sample does not move with its rate (torch's PoissonBackward0 is zero too)


@export(method=False)
def poisson(input, generator=None):
    """Samples from Poisson distributions with rates ``input`` (same dtype and shape).

    On the host the draws are torch's: the same seed gives the same counts.

    Example:
        >>> import ember
        >>> _ = ember.manual_seed(0)
        >>> ember.poisson(ember.tensor([0.0, 4.0, 40.0]))
        tensor([ 0.,  7., 41.])
    """
    if input.dtype.category != 2:
        raise NotImplementedError(f"\"poisson_cpu\" not implemented for '{scalar_name(input.dtype)}'")
    return apply(Poisson, (input,), _engine(generator, input), input.dtype)


@export(method=False)
def binomial(count, prob, generator=None):
    """Samples from binomial distributions: successes in ``count`` trials of probability ``prob`` (broadcast).

    Probabilities at or below 0 give 0 and at or above 1 give ``count``, as torch does; counts must be
    non-negative and finite. On the host the draws are torch's.

    Example:
        >>> import ember
        >>> ember.binomial(ember.tensor([10.0, 5.0]), ember.tensor([1.0, 0.0]))
        tensor([10.,  0.])
    """
    if count.dtype.category != 2:
        raise ValueError(f"binomial only supports floating-point dtypes for count, got: {scalar_name(count.dtype)}")
    if prob.dtype is not count.dtype:
        raise RuntimeError(f"Found dtype {scalar_name(prob.dtype)} but expected {scalar_name(count.dtype)}")
    shape = _np.broadcast_shapes(tuple(count.shape), tuple(prob.shape))
    n = _np.broadcast_to(count.detach()._host(), shape)
    if not (n >= 0).all() or not _np.isfinite(n).all():
        raise RuntimeError("binomial: count must be non-negative and finite")
    p = _np.broadcast_to(prob.detach()._host(), shape)
    return _make(_engine(generator, count).binomial(n, p, count.dtype), count._be, count.device, count.dtype)


@export(method=False)
def _standard_gamma(input, generator=None):
    """Samples of ``Gamma(input, 1)``, differentiable in ``input`` (implicit reparameterisation).

    Example:
        >>> import ember
        >>> _ = ember.manual_seed(0)
        >>> ember._standard_gamma(ember.tensor([0.5, 2.0, 9.0], dtype=ember.float64))
        tensor([7.8936e-04, 6.3154e-01, 9.1474e+00], dtype=ember.float64)
    """
    from ..distributions.gamma import standard_gamma

    return standard_gamma(input, generator)


@export(method=False)
def _sample_dirichlet(input, generator=None):
    """Samples of ``Dirichlet(input)`` along the last dim, differentiable in ``input``.

    Example:
        >>> import ember
        >>> x = ember._sample_dirichlet(ember.tensor([[1.0, 2.0, 3.0]]))
        >>> x.shape, round(x.sum().item(), 5)
        (ember.Size([1, 3]), 1.0)
    """
    from ..distributions.dirichlet import dirichlet_sample

    return dirichlet_sample(input, generator)


# --- floating-point representation ------------------------------------------------------------------------
class NextAfter(Op):
    def forward(self, be, a, b):
        return be.nextafter(a, b)

    def backward(self, g):
        raise RuntimeError("the derivative for 'nextafter' is not implemented.")


@export(inplace=True)
def nextafter(input, other):
    """The next floating-point value after ``input`` towards ``other``, elementwise (broadcasts).

    Example:
        >>> import ember
        >>> ember.nextafter(ember.tensor([1.0], dtype=ember.float64), ember.tensor([2.0], dtype=ember.float64)) - 1
        tensor([2.2204e-16], dtype=ember.float64)
    """
    from ._util import promote

    for position, (name, value) in enumerate((("input", input), ("other", other)), 1):
        if not isinstance(value, Tensor):
            raise TypeError(f"nextafter(): argument '{name}' (position {position}) must be Tensor, not {type(value).__name__}")
    a, b = promote("nextafter", input, other)
    if a.dtype.category != 2:
        raise NotImplementedError(f"\"nextafter_cpu\" not implemented for '{scalar_name(a.dtype)}'")
    return apply(NextAfter, (a, b))


class Frexp(Op):
    nondiff_outputs = (1,)

    def forward(self, be, a):
        mantissa, self.exponent = be.frexp(a)
        return mantissa, self.exponent

    def backward(self, g, _g_exponent):
        from .elementwise import exp2

        exponent = _make(self.exponent, g._be, g._device, _dtype.int32)
        return (g / exp2(exponent.to(g.dtype)),)  # d mantissa / d x = 2**-exponent


@export()
def frexp(input):
    """Split floats into ``(mantissa, exponent)``: ``input == mantissa * 2**exponent``, ``0.5 <= |mantissa| < 1``.

    The exponent is int32; zeros, infinities and NaN keep their value as mantissa with exponent 0.

    Example:
        >>> import ember
        >>> m, e = ember.frexp(ember.tensor([8.0, -3.0]))
        >>> m, e
        (tensor([ 0.5000, -0.7500]), tensor([4, 2], dtype=ember.int32))
    """
    if input.dtype.category != 2:
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    return frexp_result(*apply(Frexp, (input,)))


# --- histograms ----------------------------------------------------------------------------------------------
def _edges(column, bins, lo_hi, dim, like):
    """The bin edges for one dimension: ``bins`` (an edges tensor) or ``bins`` equal bins over the range."""
    from .._creation import linspace

    if isinstance(bins, Tensor):
        return bins.detach().to(like.dtype)
    if bins <= 0:
        raise RuntimeError(f"torch.histogramdd(): bins must be > 0, but got {bins} for dimension {dim}")
    if lo_hi is not None:
        lo, hi = float(lo_hi[0]), float(lo_hi[1])
    elif column.numel():
        lo, hi = column.min().item(), column.max().item()
    else:
        lo, hi = 0.0, 1.0
    if lo > hi:
        raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min {lo:g} max {hi:g} for dimension {dim}")
    if not (_np.isfinite(lo) and _np.isfinite(hi)):
        raise RuntimeError(f"torch.histogramdd: dimension {dim}'s range [{lo:g}, {hi:g}] is not finite")
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    return linspace(lo, hi, bins + 1, dtype=like.dtype, device=like.device)


def _histogramdd(points, bins, ranges, weight, density, op):
    """Counts of the ``(N, D)`` ``points`` in the grid of ``bins`` (per dimension) and the edges."""
    from .._creation import zeros
    from .elementwise import where
    from .sort import searchsorted

    if points.dtype.category != 2:
        raise NotImplementedError(f"\"histogramdd\" not implemented for '{scalar_name(points.dtype)}'")
    n, d = points.shape
    if weight is not None:
        if tuple(weight.shape) != (n,):
            raise RuntimeError(f"torch.histogramdd: if weight tensor is provided it should have the same shape as the "
                               f"input tensor excluding its innermost dimension, but got input with shape "
                               f"{list(points.shape)} and weight with shape {list(weight.shape)}")
        if weight.dtype is not points.dtype:
            raise RuntimeError(f"torch.histogramdd: if weight tensor is provided, input tensor and weight tensor should "
                               f"have the same dtype, but got input({_dtype_word(points.dtype)}), and "
                               f"weight({_dtype_word(weight.dtype)})")
    if ranges is not None and len(ranges) != 2 * d:
        raise RuntimeError(f"{op}: expected {2 * d} range values (min and max per dimension), got {len(ranges)}")
    points = points.detach()
    edges, flat, inside = [], 0, None
    for k in range(d):
        column = points[:, k]
        e = _edges(column, bins[k], None if ranges is None else ranges[2 * k:2 * k + 2], k, points)
        nbins = e.shape[0] - 1
        idx = (searchsorted(e, column.contiguous(), right=True) - 1).clamp(0, max(nbins - 1, 0))
        ok = (column >= e[0]) & (column <= e[-1]) if nbins > 0 else column != column
        inside = ok if inside is None else inside & ok
        flat = flat * nbins + idx
        edges.append(e)
    sizes = tuple(e.shape[0] - 1 for e in edges)
    w = weight.detach() if weight is not None else points.new_ones(n)
    w = where(inside, w, 0.0)
    total = 1
    for s in sizes:
        total *= s
    hist = zeros(total, dtype=points.dtype, device=points.device)
    if n and total:
        hist = hist.index_add(0, where(inside, flat, 0), w)
    hist = hist.reshape(sizes)
    if density:
        volume = None
        for k, e in enumerate(edges):
            width = (e[1:] - e[:-1]).reshape((-1,) + (1,) * (d - k - 1))
            volume = width if volume is None else volume * width
        hist = hist / (hist.sum() * volume)
    return hist, edges


def _dtype_word(d):
    return {"float32": "float", "float64": "double", "float16": "half"}.get(d.name, d.name)


@export()
def histogram(input, bins, *, range=None, weight=None, density=False):
    """A histogram of all elements of ``input``: ``(hist, bin_edges)``.

    ``bins`` is a number of equal bins over ``range`` (default: the data's min and max) or a 1-D tensor of
    edges. ``weight`` (same shape as ``input``) weighs each element; ``density`` normalises to unit area.

    Example:
        >>> import ember
        >>> ember.histogram(ember.tensor([1.0, 2.0, 1.0]), bins=4, range=(0.0, 3.0)).hist
        tensor([0., 2., 1., 0.])
    """
    if weight is not None:
        weight = weight.reshape(-1)
    hist, edges = _histogramdd(input.reshape(-1, 1), [bins], range, weight, density, "torch.histogram")
    return histogram_result(hist, edges[0])


@export()
def histogramdd(input, bins, *, range=None, weight=None, density=False):
    """A D-dimensional histogram of the points in the last dimension of ``input``: ``(hist, bin_edges)``.

    ``bins`` is one number, one number per dimension or one edges tensor per dimension; ``range`` lists
    ``min, max`` per dimension.

    Example:
        >>> import ember
        >>> pts = ember.tensor([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])
        >>> ember.histogramdd(pts, bins=2).hist
        tensor([[1., 0.],
                [0., 2.]])
    """
    if input.ndim < 2:
        raise RuntimeError("torch.histogramdd: input tensor should have at least 2 dimensions")
    d = input.shape[-1]
    points = input.reshape(-1, d)
    if isinstance(bins, int):
        bins = [bins] * d
    if len(bins) != d:
        raise RuntimeError(f"torch.histogramdd: expected {d} sequences of bin edges for each dimension, but got {len(bins)}")
    if weight is not None:
        weight = weight.reshape(-1) if tuple(weight.shape) == tuple(input.shape[:-1]) else weight
    hist, edges = _histogramdd(points, list(bins), range, weight, density, "torch.histogramdd")
    return histogramdd_result(hist, tuple(edges))
