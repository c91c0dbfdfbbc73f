"""Pooling primitives: gather/scatter at flat spatial positions, window arg-max, resampling taps.

Max pooling scans the kernel taps as strided views of the input (:func:`tap_windows`)
for each window's winning tap; :class:`TapGather` reads the winners and its adjoint
:class:`TapScatter` routes gradients back tap by tap with ``where`` - exact, and no
scatter-add (ties: the first maximum, NaN: the last NaN, like torch). Adaptive max
pooling uses :class:`FlatGather` / :class:`FlatScatter` at flat positions. Average pooling
is a convolution with a constant kernel; adaptive pooling and interpolation are separable
per-axis taps.
"""

from __future__ import annotations

import itertools
import math

import numpy as _np  # host-side index tables only

from .._tensor import _make, apply
from ..autograd.node import Op
from .conv import Conv, Geometry, ntuple

__all__ = []


class FlatGather(Op):
    """``out[r, i] = x[r, idx[r, i]]`` over the trailing spatial dims flattened; backward: :class:`FlatScatter`."""

    def forward(self, be, x, idx, nsp):
        xp = be.xp
        self.idx, self.sp = idx, tuple(x.shape[x.ndim - nsp:])
        rows = tuple(x.shape[:x.ndim - nsp])
        flat = xp.reshape(x, (math.prod(rows), math.prod(self.sp)))
        out = xp.take_along_axis(flat, xp.reshape(idx, (flat.shape[0], -1)), axis=1)
        return xp.reshape(out, idx.shape)

    def backward(self, g):
        return (apply(FlatScatter, (g,), self.idx, self.sp),)


class FlatScatter(Op):
    """Add ``g`` into zeros of trailing spatial shape ``sp`` at flat positions ``idx``: the adjoint of :class:`FlatGather`."""

    def forward(self, be, g, idx, sp):
        xp = be.xp
        self.idx, self.nsp = idx, len(sp)
        rows = tuple(g.shape[:g.ndim - len(sp)])
        n = math.prod(rows)
        zeros = xp.zeros((n, math.prod(sp)), dtype=g.dtype)
        out = be.scatter_add(zeros, 1, xp.reshape(idx, (n, -1)), xp.reshape(g, (n, -1)))
        return xp.reshape(out, rows + tuple(sp))

    def backward(self, h):
        return (apply(FlatGather, (h,), self.idx, self.nsp),)


# --- window geometry for pooling ------------------------------------------------------------
def pool_geometry(rows, sp, kernel, stride, padding, dilation, ceil_mode):
    """A single-channel :class:`Geometry` over ``rows`` samples, with torch's ``ceil_mode`` output size.

    Example:
        >>> pool_geometry(1, (5,), (2,), (2,), (0,), (1,), True).out_sp
        (3,)
    """
    his = []
    for i, k, s, p, d in zip(sp, kernel, stride, padding, dilation):
        span = i + 2 * p - d * (k - 1) - 1
        o = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and (o - 1) * s >= i + p:
            o -= 1
        his.append(max(0, (o - 1) * s + d * (k - 1) + 1 - i - p))
    return Geometry(rows, 1, 1, 1, tuple(sp), tuple(kernel), tuple(stride), tuple(dilation), tuple(padding), tuple(his))


def tap_windows(geo):
    """Per kernel tap: ``(tap, output slices, input slices)`` of the outputs whose tap lies inside the input.

    Example:
        >>> tap_windows(pool_geometry(1, (4,), (2,), (2,), (1,), (1,), False))
        [(0, (slice(1, 3, None),), (slice(1, 4, 2),)), (1, (slice(0, 2, None),), (slice(0, 3, 2),))]
    """
    out = []
    for k, kk in enumerate(itertools.product(*(range(n) for n in geo.kernel))):
        os_, is_ = [], []
        for kj, o, st, lo, d, n in zip(kk, geo.out_sp, geo.stride, geo.lo, geo.dilation, geo.in_sp):
            first = kj * d - lo  # input position read by output 0
            o0 = -(first // st) if first < 0 else 0
            o1 = min(o, (n - 1 - first) // st + 1)
            if o1 <= o0:
                break
            os_.append(slice(o0, o1))
            is_.append(slice(first + o0 * st, first + (o1 - 1) * st + 1, st))
        else:
            out.append((k, tuple(os_), tuple(is_)))
    return out


def _disjoint(geo):
    """Whether no input position is read by two (output, tap) pairs (windows don't overlap)."""
    return all(s >= d * (k - 1) + 1 for s, d, k in zip(geo.stride, geo.dilation, geo.kernel))


def _tiles(geo):
    """Whether the windows tile the input: every position in exactly one window (kernel = stride, no gaps or padding)."""
    return not any(geo.lo) and all((d == 1 or k == 1) and s == k and o * s == i
                                   for o, s, d, k, i in zip(geo.out_sp, geo.stride, geo.dilation, geo.kernel, geo.in_sp))


def window_max(be, x, geo, nan_aware=False):
    """Each window's maximum of ``x`` ``(rows, *sp)`` and its winning tap, both ``(rows, *out)``.

    Ties go to the first maximum, NaN to the last NaN, like torch. Every tap is a strided
    view of the input, so the scan touches output-sized arrays only. Taps come in
    increasing order, so a tap that takes the lead is the largest index so far and
    ``maximum`` records it (much faster than ``where`` with an unpredictable mask).
    ``maximum`` propagates NaN, so a result without NaN had none in any window: where the
    backend reads values back cheaply the scan compares plainly and is redone NaN-aware
    only if a NaN shows up (one test of each tap's NaN fewer on the common path).
    """
    if not nan_aware and not be.host_checks:
        nan_aware = True
    xp = be.xp
    small = xp.uint8 if len(geo.taps) < 2 ** 8 else xp.int64  # the winning tap: fewer bytes to move
    shape = (geo.n,) + geo.out_sp
    kbest = xp.zeros(shape, dtype=small)
    windows = tap_windows(geo)
    whole = tuple(slice(0, o) for o in geo.out_sp)
    lead = (slice(None),)
    if all(os_ == whole for _, os_, _ in windows):  # no padding: every window starts at its first tap
        best = x[lead + windows[0][2]]
        windows = windows[1:]
        if not windows:  # a single tap: the result must not share the input's storage
            best = xp.asarray(best, copy=True)
    else:  # padding: an all -inf window picks its first tap inside
        best = xp.full(shape, -float("inf"), dtype=x.dtype)
        first = _np.zeros(geo.out_sp, dtype=_np.int64)
        for k, os_, _ in reversed(windows):
            first[os_] = k
        kbest = kbest + xp.astype(be.from_host(first), small)
    for k, os_, is_ in windows:
        v = x[lead + is_]
        if os_ == whole:
            upd = (v > best) | xp.isnan(v) if nan_aware else v > best
            best = xp.maximum(best, v)  # NaN-propagating: the same as taking v where upd
            kbest = xp.maximum(kbest, be.masked(xp.asarray(k, dtype=small), upd))
        else:
            b, kb = best[lead + os_], kbest[lead + os_]
            upd = (v > b) | xp.isnan(v) if nan_aware else v > b
            best[lead + os_] = xp.maximum(b, v)
            kbest[lead + os_] = xp.maximum(kb, be.masked(xp.asarray(k, dtype=small), upd))
    if not nan_aware and bool(xp.any(xp.isnan(best))):
        return window_max(be, x, geo, nan_aware=True)
    return best, kbest


def tap_positions(be, kbest, geo):
    """Flat input positions ``(rows, *out)`` (int64) of the winning taps ``kbest`` ``(rows, *out)``."""
    xp = be.xp
    strides = [math.prod(geo.in_sp[j + 1:]) for j in range(len(geo.in_sp))]
    tap_off = [sum(i * d * st for i, d, st in zip(kk, geo.dilation, strides)) for kk in _np.ndindex(*geo.kernel)]
    base = _np.zeros(geo.out_sp, dtype=_np.int64)
    for j, (o, s, lo, st) in enumerate(zip(geo.out_sp, geo.stride, geo.lo, strides)):
        shape = [1] * len(geo.out_sp)
        shape[j] = o
        base = base + ((_np.arange(o) * s - lo) * st).reshape(shape)
    offs = xp.take(be.from_host(_np.asarray(tap_off, dtype=_np.int64)), xp.reshape(xp.astype(kbest, xp.int64), (-1,)), axis=0)
    return xp.reshape(offs, kbest.shape) + be.from_host(base)


class TapGather(Op):
    """``out[u]`` = the input at output ``u``'s chosen window tap ``kbest[u]`` (max pooling); backward: :class:`TapScatter`.

    Selection and its adjoint go tap by tap over strided views (``where``), so no index
    arithmetic or scatter-add is needed; ``vals`` passes values already selected.
    """

    def forward(self, be, x, geo, kbest, vals=None):
        self.geo, self.kbest = geo, kbest
        if vals is None:
            xp = be.xp
            lead = (slice(None),)
            vals = xp.zeros((geo.n,) + geo.out_sp, dtype=x.dtype)
            for k, os_, is_ in tap_windows(geo):
                vals[lead + os_] = xp.where(kbest[lead + os_] == k, x[lead + is_], vals[lead + os_])
        return vals

    def backward(self, g):
        return (apply(TapScatter, (g,), self.geo, self.kbest),)


class TapScatter(Op):
    """Route ``g`` ``(rows, *out)`` to the chosen taps' input positions ``(rows, *sp)``: the adjoint of :class:`TapGather`."""

    def forward(self, be, g, geo, kbest):
        self.geo, self.kbest = geo, kbest
        xp = be.xp
        lead = (slice(None),)
        zero = xp.zeros((), dtype=g.dtype)
        out = (xp.empty if _tiles(geo) else xp.zeros)((geo.n,) + geo.in_sp, dtype=g.dtype)  # tiles: each written once
        disjoint = _disjoint(geo)
        # finite: a 0/1 product selects exactly and runs faster than where on numpy (not worth a device sync)
        finite = be.host_checks and bool(xp.all(xp.isfinite(g)))
        for k, os_, is_ in tap_windows(geo):
            gk, hit = g[lead + os_], kbest[lead + os_] == k
            part = be.masked(gk, hit) if finite else xp.where(hit, gk, zero)
            if disjoint:
                out[lead + is_] = part
            else:
                out[lead + is_] += part
        return out

    def backward(self, h):
        return (apply(TapGather, (h,), self.geo, self.kbest),)


# --- separable resampling: each output reads a few weighted input positions per axis --------------
def resample_axis(x, axis, index, weight):
    """``sum_t x.take(index[:, t], axis) * weight[:, t]``: linear resampling along one axis.

    ``index`` and ``weight`` are host arrays ``(out, taps)``; a weight of None means a plain gather.

    Example:
        >>> import ember, numpy
        >>> resample_axis(ember.tensor([1.0, 3.0]), 0, numpy.array([[0, 1]]), numpy.array([[0.5, 0.5]])).tolist()
        [2.0]
    """
    from ..nn.functional._pad import AxisGather

    be, dev = x._be, x._device
    out = None
    shape = [1] * x.ndim
    shape[axis] = index.shape[0]
    for t in range(index.shape[1]):
        part = apply(AxisGather, (x,), axis, be.from_host(_np.ascontiguousarray(index[:, t])))
        if weight is not None:
            w = be.from_host(weight[:, t].reshape(shape).astype(x.dtype.name), dev.index)
            part = part * _make(w, be, dev, x.dtype)
        out = part if out is None else out + part
    return out


def adaptive_taps(n_in, n_out):
    """Index/weight tables ``(n_out, taps)`` of adaptive average pooling (torch's floor/ceil windows).

    Example:
        >>> adaptive_taps(3, 2)[0].tolist()
        [[0, 1], [1, 2]]
    """
    starts = [(i * n_in) // n_out for i in range(n_out)]
    ends = [-(-((i + 1) * n_in) // n_out) for i in range(n_out)]
    taps = max(e - s for s, e in zip(starts, ends))
    index = _np.zeros((n_out, taps), dtype=_np.int64)
    weight = _np.zeros((n_out, taps))
    for i, (s, e) in enumerate(zip(starts, ends)):
        for t in range(taps):
            index[i, t] = min(s + t, e - 1)
            weight[i, t] = 1.0 / (e - s) if s + t < e else 0.0
    return index, weight


# --- public functions (the ones torch also has at the top level are exported there) ---------------
def _pool_input(input, nd, op):
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{op}: Expected {nd + 1}D or {nd + 2}D (batch mode) tensor for input, but got: "
                           f"{list(input.shape)}")
    return input


def _pool_args(nd, kernel_size, stride, padding, dilation, op):
    k = ntuple(kernel_size, nd, "kernel_size", op)
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else ntuple(stride, nd, "stride", op)
    p, d = ntuple(padding, nd, "padding", op), ntuple(dilation, nd, "dilation", op)
    if any(v <= 0 for v in k + s + d):
        raise RuntimeError(f"{op}: kernel_size, stride and dilation must be greater than zero")
    for pp, kk, dd in zip(p, k, d):
        if pp < 0 or pp > (dd * (kk - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={pp}, "
                               f"kernel_size={kk} and dilation={dd}")
    return k, s, p, d


def _geometry(input, nd, k, s, p, d, ceil_mode):
    sp = tuple(input.shape[input.ndim - nd:])
    rows = math.prod(input.shape[:input.ndim - nd])
    geo = pool_geometry(rows, sp, k, s, p, d, ceil_mode)
    if any(o <= 0 for o in geo.out_sp):
        c = input.shape[-nd - 1]
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, (c,) + sp))}). Calculated output size: "
                           f"({'x'.join(map(str, (c,) + tuple(max(o, 0) for o in geo.out_sp)))}). Output size is too small")
    return geo


def max_pool(nd, input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """N-d max pooling over the trailing ``nd`` dims (the shared body of ``max_pool1d/2d/3d``).

    Example:
        >>> import ember
        >>> max_pool(1, ember.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2, return_indices=True)
        (tensor([[[3., 2.]]]), tensor([[[1, 2]]]))
    """
    op = f"max_pool{nd}d"
    _pool_input(input, nd, op)
    k, s, p, d = _pool_args(nd, kernel_size, stride, padding, dilation, op)
    geo = _geometry(input, nd, k, s, p, d, ceil_mode)
    be = input._be
    lead = tuple(input.shape[:input.ndim - nd])
    x = input.reshape((geo.n,) + geo.in_sp)
    best, kbest = window_max(be, x._data, geo)
    out = apply(TapGather, (x,), geo, kbest, best).reshape(lead + geo.out_sp)
    if not return_indices:
        return out
    from .._dtype import int64

    idx = tap_positions(be, kbest, geo)
    return out, _make(be.xp.reshape(idx, lead + geo.out_sp), be, input._device, int64)


def avg_pool(nd, input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None):
    """N-d average pooling (the shared body of ``avg_pool1d/2d/3d``): a convolution with a constant kernel.

    Example:
        >>> import ember
        >>> avg_pool(1, ember.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2)
        tensor([[[2., 1.]]])
    """
    op = f"avg_pool{nd}d"
    _pool_input(input, nd, op)
    k, s, p, d = _pool_args(nd, kernel_size, stride, padding, 1, op)
    geo = _geometry(input, nd, k, s, p, d, ceil_mode)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    be, dev = input._be, input._device
    lead = tuple(input.shape[:input.ndim - nd])
    div = _divisors(geo, count_include_pad) if divisor_override is None else None
    uniform = divisor_override if divisor_override is not None else div.flat[0] if (div == div.flat[0]).all() else None
    w = be.full((1, 1) + k, 1.0 / uniform if uniform else 1.0, be.native_dtype(input.dtype), dev.index)
    x = input.reshape((geo.n, 1) + geo.in_sp)
    out = apply(Conv, (x, _make(w, be, dev, input.dtype)), geo)
    if not uniform:
        inv = be.from_host((1.0 / div).astype(input.dtype.name), dev.index)
        out = out * _make(inv, be, dev, input.dtype)
    return out.reshape(lead + geo.out_sp)


def _divisors(geo, count_include_pad):
    """Per-output window sizes (host): clipped to the padded input, or to the input without padding."""
    div = _np.ones(geo.out_sp)
    for j, (o, s, lo, k, n) in enumerate(zip(geo.out_sp, geo.stride, geo.lo, geo.kernel, geo.in_sp)):
        start = _np.arange(o) * s - lo
        end = _np.minimum(start + k, n + lo)
        if not count_include_pad:
            start, end = _np.maximum(start, 0), _np.minimum(end, n)
        shape = [1] * len(geo.out_sp)
        shape[j] = o
        div = div * (end - start).reshape(shape)
    return div


def adaptive_output(input, nd, output_size, op):
    """``output_size`` as an ``nd``-tuple (None keeps the input size), with torch's checks."""
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{op}(): Expected {nd + 1}D or {nd + 2}D tensor, but got {list(input.shape)}")
    if isinstance(output_size, int):
        output_size = (output_size,) * nd
    output_size = tuple(output_size)
    if len(output_size) != nd:
        raise RuntimeError(f"{op}: output_size must be {nd}")
    sp = input.shape[input.ndim - nd:]
    return tuple(sp[i] if o is None else int(o) for i, o in enumerate(output_size))


def adaptive_avg_pool(nd, input, output_size):
    """N-d adaptive average pooling: torch's floor/ceil windows, as separable per-axis averages.

    Example:
        >>> import ember
        >>> adaptive_avg_pool(1, ember.tensor([[[1.0, 2.0, 3.0]]]), 2)
        tensor([[[1.5000, 2.5000]]])
    """
    out = adaptive_output(input, nd, output_size, f"adaptive_avg_pool{nd}d")
    sp = input.shape[input.ndim - nd:]
    if all(o == 1 for o in out):
        return input.mean(dim=tuple(range(input.ndim - nd, input.ndim)), keepdim=True)
    x = input
    for j, (n, o) in enumerate(zip(sp, out)):
        if n != o:
            x = resample_axis(x, input.ndim - nd + j, *adaptive_taps(n, o))
    return x if x is not input else x.clone()  # a new tensor even when every size already matches


def adaptive_max_pool(nd, input, output_size, return_indices=False):
    """N-d adaptive max pooling (flat input indices like torch with ``return_indices``).

    Example:
        >>> import ember
        >>> adaptive_max_pool(1, ember.tensor([[[1.0, 3.0, 2.0]]]), 2, return_indices=True)
        (tensor([[[3., 3.]]]), tensor([[[1, 1]]]))
    """
    out_sp = adaptive_output(input, nd, output_size, f"adaptive_max_pool{nd}d")
    be = input._be
    xp = be.xp
    sp = tuple(input.shape[input.ndim - nd:])
    lead = tuple(input.shape[:input.ndim - nd])
    x = input.reshape((math.prod(lead),) + sp)
    vals = x._data
    pos = None  # flat input position of the running winner, reduced axis by axis from the last
    for j in reversed(range(nd)):
        index, weight = adaptive_taps(sp[j], out_sp[j])
        axis = 1 + j
        best = bidx = None
        for t in range(index.shape[1]):
            sel = be.from_host(_np.ascontiguousarray(index[:, t]))
            v = xp.take(vals, sel, axis=axis)
            shape = [1] * vals.ndim
            shape[axis] = index.shape[0]
            cand = xp.reshape(sel, tuple(shape)) * math.prod(sp[j + 1:])
            if pos is not None:
                cand = cand + xp.take(pos, sel, axis=axis)
            if best is None:
                best, bidx = v, cand + xp.zeros(v.shape, dtype=xp.int64)
                continue
            upd = (v > best) | xp.isnan(v)
            best, bidx = xp.where(upd, v, best), xp.where(upd, cand, bidx)
        vals, pos = best, bidx
    out = apply(FlatGather, (x,), pos, nd).reshape(lead + out_sp)
    if not return_indices:
        return out
    from .._dtype import int64

    return out, _make(xp.reshape(pos, lead + out_sp), be, input._device, int64)
