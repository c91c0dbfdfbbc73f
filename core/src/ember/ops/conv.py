"""Convolution primitives: one N-d correlation with its input and weight gradients.

The three ops below (``Conv``, ``ConvInput`` = transposed convolution, ``ConvWeight``)
are each other's derivatives, so backward of any of them is a call to the others and
double backward works to any order.

Speed: the input is laid out once on a *phase grid* (padded, split by stride phase,
spatial dims flattened per sample). On that grid every kernel tap of a stride-1
correlation over a phase is a contiguous slice at a fixed flat offset. The taps of a
few samples at a time are stacked into one reused, cache-sized buffer (im2col on the
grid), so each chunk is a single matmul with a ``prod(kernel) * channels`` contraction;
single-channel taps (depthwise, pooling) are broadcast products per tap instead.
Outputs that straddle a row end are computed and dropped (a few percent of extra work).
Everything is plain array API (slicing, matmul, reshape) so it runs on any backend.
"""

from __future__ import annotations

import itertools
import math

from .._dtype import scalar_name
from .._tensor import _make, apply
from ..autograd import _state
from ..autograd.node import Op
from ._registry import export
from .. import _autocast

__all__ = []


class Geometry:
    """Where the windows of an N-d correlation lie, and the phase grid that makes each tap a slice.

    Input ``(n, groups * cg, *in_sp)`` padded by ``lo``/``hi`` on each spatial side, weight
    ``(groups * og, cg, *kernel)``. On the grid a sample is ``(S, P)``: ``S = prod(stride)``
    phases of ``P = prod(grid)`` flat positions; tap ``k`` reads phase ``taps[k][0]`` at
    offset ``taps[k][1]`` for ``taps[k][2]`` positions; output ``u`` (flat on the grid) needs
    positions ``u + offset``. Outputs are computed for whole grid rows (``span`` positions).

    Example:
        >>> g = Geometry(1, 1, 1, 1, (5,), (3,), (1,), (1,), (0,), (0,))
        >>> g.out_sp, g.taps
        ((3,), [(0, 0, 3), (0, 1, 3), (0, 2, 3)])
    """

    __slots__ = ("n", "groups", "cg", "og", "in_sp", "kernel", "stride", "dilation", "lo", "out_sp",
                 "grid", "taps", "span", "phases")

    def __init__(self, n, groups, cg, og, in_sp, kernel, stride, dilation, lo, hi):
        self.n, self.groups, self.cg, self.og = n, groups, cg, og
        self.in_sp, self.kernel, self.stride, self.dilation, self.lo = in_sp, kernel, stride, dilation, lo
        self.out_sp = tuple((i + a + b - d * (k - 1) - 1) // s + 1
                            for i, a, b, k, s, d in zip(in_sp, lo, hi, kernel, stride, dilation))
        used = [(o - 1) * s + d * (k - 1) + 1 for o, k, s, d in zip(self.out_sp, kernel, stride, dilation)]
        self.grid = tuple(-(-u // s) for u, s in zip(used, stride))
        flat = [math.prod(self.grid[j + 1:]) for j in range(len(self.grid))]
        self.taps = []
        for k in itertools.product(*(range(k) for k in kernel)):
            phase = off = 0
            for j, kj in enumerate(k):
                q, r = divmod(kj * dilation[j], stride[j])
                phase = phase * stride[j] + r
                off += q * flat[j]
            self.taps.append((phase, off))
        self.span = self.out_sp[0] * flat[0]  # flat outputs to compute: whole grid rows
        size = math.prod(self.grid)
        self.taps = [(phase, off, min(self.span, size - off)) for phase, off in self.taps]
        # per phase: (phase index, grid slices, input slices) - the copy between input and grid
        self.phases = []
        for idx, a in enumerate(itertools.product(*(range(s) for s in stride))):
            gs, xs = [], []
            for aj, s, i, l, u in zip(a, stride, in_sp, lo, used):
                h0 = (aj - l) % s
                cnt = max(0, -(-(min(i, u - l) - h0) // s))
                g0 = (h0 + l) // s
                gs.append(slice(g0, g0 + cnt))
                xs.append(slice(h0, h0 + s * (cnt - 1) + 1, s))
            if all(g.stop > g.start for g in gs):
                self.phases.append((idx, tuple(gs), tuple(xs)))

    @property
    def identity_grid(self):
        """Stride 1, no padding, every input position used: the grid is the input itself (no copy)."""
        return self.n_phases == 1 and tuple(self.grid) == tuple(self.in_sp) and not any(self.lo)

    @property
    def rows(self):
        """The shape of the whole grid rows computed: ``(out_sp[0], *grid[1:])``, ``span`` positions."""
        return (self.out_sp[0],) + self.grid[1:]

    @property
    def n_phases(self):
        return math.prod(self.stride)

    @property
    def grid_size(self):
        return math.prod(self.grid)


# --- array-level kernels (backend namespace ``be.xp``) ---------------------------------
def to_grid(be, x, geo, fill=0):
    """Input ``(n, c, *sp)`` on the phase grid: ``(n, groups, cg, S, P)`` (``fill`` pads)."""
    xp = be.xp
    n, g, cg = geo.n, geo.groups, geo.cg
    if geo.identity_grid:
        return xp.reshape(x, (n, g, cg, 1, geo.grid_size))
    buf = xp.full((n, g, cg, geo.n_phases) + geo.grid, fill, dtype=x.dtype)
    xv = xp.reshape(x, (n, g, cg) + tuple(geo.in_sp))
    lead = (slice(None),) * 3
    for idx, gs, xs in geo.phases:
        buf[lead + (idx,) + gs] = xv[lead + xs]
    return xp.reshape(buf, (n, g, cg, geo.n_phases, geo.grid_size))


def from_grid(be, buf, geo):
    """Inverse of :func:`to_grid` for gradients: ``(n, groups, cg, S, P)`` -> ``(n, c, *sp)``."""
    xp = be.xp
    n, g, cg = geo.n, geo.groups, geo.cg
    if geo.identity_grid:
        return xp.reshape(buf, (n, g * cg) + tuple(geo.in_sp))
    buf = xp.reshape(buf, (n, g, cg, geo.n_phases) + geo.grid)
    out = xp.zeros((n, g, cg) + tuple(geo.in_sp), dtype=buf.dtype)
    lead = (slice(None),) * 3
    for idx, gs, xs in geo.phases:
        out[lead + xs] = buf[lead + (idx,) + gs]
    return xp.reshape(out, (n, g * cg) + tuple(geo.in_sp))


def out_to_rows(be, y, geo):
    """An output-shaped gradient ``(n, o, *out)`` on the grid as ``(groups, og, n, P)``, zeros at every grid
    position that is not an output (the per-tap adjoints read the first ``span`` positions of each sample)."""
    xp = be.xp
    n, g, og = geo.n, geo.groups, geo.og
    buf = xp.zeros((g, og, n) + geo.grid, dtype=y.dtype)
    _put_rows(be, buf, y, geo)
    return xp.reshape(buf, (g, og, n, geo.grid_size))


def _put_rows(be, buf, y, geo):
    """Write the outputs ``y`` ``(b, o, *out)`` into their places in grid rows ``buf`` ``(groups, og, b, *grid)``
    (or just the computed rows, ``(groups, og, b, *rows)``)."""
    xp = be.xp
    nd = len(geo.out_sp)
    y = xp.permute_dims(xp.reshape(y, (y.shape[0], geo.groups, geo.og) + geo.out_sp), (1, 2, 0) + tuple(range(3, 3 + nd)))
    buf[(slice(None),) * 3 + tuple(slice(0, o) for o in geo.out_sp)] = y


def grid_to_out(be, rows, geo):
    """The valid outputs of grid rows ``(b, groups, og, span)`` as ``(b, o, *out)``: a view."""
    xp = be.xp
    y = xp.reshape(rows, (rows.shape[0], geo.groups * geo.og) + geo.rows)
    if geo.rows == geo.out_sp:
        return y
    return y[(slice(None),) * 2 + tuple(slice(0, o) for o in geo.out_sp)]


def _mm(xp, a, b):
    """Batched matrix product; a contraction of length 1 is a broadcast multiply (depthwise, pooling)."""
    return a * b if a.shape[-1] == 1 else xp.matmul(a, b)


def taps_first(be, w, geo):
    """Weight ``(o, cg, *k)`` as ``(K, groups, og, cg)``: one matrix per kernel tap."""
    xp = be.xp
    w = xp.reshape(w, (geo.groups, geo.og, geo.cg, len(geo.taps)))
    return xp.permute_dims(w, (3, 0, 1, 2))


def _stacked(geo):
    """Matmuls over stacked taps (im2col) unless every tap is a single-channel product (depthwise, pooling)."""
    return geo.cg > 1 or 4 <= geo.og


# Stacked taps are built a few samples at a time in one reused buffer that stays in cache:
# a single matmul with a K * cg contraction per chunk then replaces K accumulating passes
# over the whole output (which cost more memory traffic than the products themselves).
# The buffer is laid out (groups, cg, K, samples, span), so every chunk is one plain
# matrix product per group whatever the number of positions per sample, with the
# weight (o, cg, *kernel) itself as the matrix (groups, og, cg * K): no copy of it.
def _chunks(be, geo):
    """Sample ranges whose stacked taps fill a buffer of ``be.conv_block`` elements (CPU: cache-sized), and their size."""
    per = len(geo.taps) * geo.groups * geo.cg * geo.span
    step = max(1, min(geo.n, be.conv_block // per))
    return [(s, min(geo.n, s + step)) for s in range(0, geo.n, step)], step


def _stacked_taps(be, xg, geo, ones=False):
    """Per chunk of samples ``(s, e, buf)``: every tap's input slice stacked, ``(groups, cg * K (+ 1), (e - s) * span)``.

    The buffer is reused; zeros stay where a tap's slice runs past the grid (outputs that are dropped).
    ``ones`` appends a row of ones per group, so a bias column of the weight matrix adds the bias
    inside the product (no pass over the output).
    """
    xp = be.xp
    chunks, step = _chunks(be, geo)
    rows = geo.cg * len(geo.taps)
    buf = None
    for s, e in chunks:
        if buf is None or e - s != step:
            buf = xp.zeros((geo.groups, rows + ones, (e - s) * geo.span), dtype=xg.dtype)
            if ones:
                buf[:, rows, :] = 1
            taps = xp.reshape(buf[:, :rows, :], (geo.groups, geo.cg, len(geo.taps), e - s, geo.span))
        be.gather_taps(taps, xg[s:e, ...], geo.taps)
        yield s, e, buf


def _weight_matrix(be, w, geo):
    """The weight ``(o, cg, *k)`` as one matrix per group ``(groups, og, cg * K)``: a view."""
    return be.xp.reshape(w, (geo.groups, geo.og, geo.cg * len(geo.taps)))


def correlate(be, xg, w, geo, bias=None):
    """``y = sum_k W_k @ x[u + off_k] (+ bias)`` at the valid outputs: ``(n, o, *out)``; ``w`` is ``(o, cg, *k)``.

    Stacked taps give each chunk's whole grid rows in one product per group, whose valid
    outputs are copied into a contiguous result (with the bias) while they are in cache.
    """
    xp = be.xp
    if _stacked(geo):
        y = xp.empty((geo.n, geo.groups * geo.og) + geo.out_sp, dtype=xg.dtype)
        wm = _weight_matrix(be, w, geo)
        if bias is not None:
            wm = xp.concat([wm, xp.reshape(bias, (geo.groups, geo.og, 1))], axis=2)
        for s, e, buf in _stacked_taps(be, xg, geo, ones=bias is not None):
            rows = xp.reshape(xp.matmul(wm, buf), (geo.groups, geo.og, e - s, geo.span))
            y[s:e, ...] = grid_to_out(be, xp.permute_dims(rows, (2, 0, 1, 3)), geo)
        return y
    rows = xp.zeros((geo.n, geo.groups, geo.og, geo.span), dtype=xg.dtype)
    wt = taps_first(be, w, geo)
    for k, (phase, off, length) in enumerate(geo.taps):
        rows[..., :length] += _mm(xp, wt[k, ...], xg[:, :, :, phase, off:off + length])
    y = grid_to_out(be, rows, geo)
    return y if bias is None else y + xp.reshape(bias, (geo.groups * geo.og,) + (1,) * len(geo.out_sp))


def correlate_adjoints(be, y, geo, w=None, xg=None, bias=False):
    """The adjoints of :func:`correlate` from its output gradient ``y`` ``(n, o, *out)``: the input gradient on the
    grid ``(n, groups, cg, S, P)`` if the weight ``w`` is given, the weight gradient ``(o, cg, *k)`` if the grid
    input ``xg`` is given, and the bias gradient ``(o,)`` if ``bias`` (None for each one not asked for).

    Stacked taps: one pass over chunks of ``b`` samples. Each chunk's gradient is laid on grid rows
    ``(groups, og, b, P)`` once (zeros where no output lies) and feeds both products while it is in
    cache. The input gradient: one product per chunk gives every tap's contribution over whole grid
    rows of all channels and samples, ``(K, cg * b * P)`` per group (the weight is read once per
    chunk, not once per sample: small images have few positions per sample), accumulated
    phase-major ``(S, cg, b, P)`` so that each tap adds one contiguous run at a flat offset (a run
    past a row end lands in the next row's first positions, but there it is zero: it comes from grid
    positions that are not outputs). On a grid that is mostly padding the product covers the
    outputs alone and each tap adds a block instead. A chunk of one sample accumulates in place; a
    larger one is then moved to sample-major order. The weight gradient contracts the stacked taps
    with the rows; a row of ones among the taps gives the bias gradient in the same product.
    """
    if not _stacked(geo):
        return _adjoints_per_tap(be, y, geo, w, xg, bias)
    xp = be.xp
    n, g, cg, og, K, P, S = geo.n, geo.groups, geo.cg, geo.og, len(geo.taps), geo.grid_size, geo.n_phases
    dx = dw = db = None
    if w is not None:
        dx = xp.zeros((n, g, S * cg * P), dtype=y.dtype)
        # the weight as (groups, K * cg, og), tap-major: each tap's block of a product is contiguous (a copy that
        # moves each output channel's taps in front of its input channels, then a transposed view: moving the
        # output channels innermost in one copy costs about 10x more for wide layers)
        wt = xp.permute_dims(xp.reshape(xp.permute_dims(xp.reshape(w, (g, og, cg, K)), (0, 1, 3, 2)), (g, og, K * cg)),
                             (0, 2, 1))
    with_b = bias and xg is not None  # the bias rides on the weight product; alone it is a plain sum
    chunks = _stacked_taps(be, xg, geo, ones=with_b) if xg is not None else ((s, e, None) for s, e in _chunks(be, geo)[0])
    rows = None
    grid = geo.grid if w is not None else geo.rows  # the weight product alone reads the first span positions
    # the input gradient's product over whole grid rows, each tap then one flat run, unless a third or more of the
    # grid is padding (small images, e.g. 4x4 and smaller with padding 1): then over the outputs alone (up to 3x
    # fewer columns), each tap added as a block
    runs = 3 * geo.span > 2 * P
    for s, e, taps in chunks:
        if rows is None or rows.shape[2] != e - s:
            rows = xp.zeros((g, og, e - s) + grid, dtype=y.dtype)
        _put_rows(be, rows, y[s:e, ...], geo)
        b = e - s
        flat = xp.reshape(rows, (g, og, b, math.prod(grid)))
        outs = _rows_of(be, flat, geo.span) if taps is not None or not runs else None  # (groups, og, b * span)
        if taps is not None:
            # contract over samples and positions at once: one (cg*K x b*span) @ (b*span x og) product per group
            # (the transposed gradient: BLAS runs this operand order about 15% faster)
            part = xp.matmul(taps, xp.permute_dims(outs, (0, 2, 1)))
            if dw is None:
                dw = part
            else:
                dw += part  # in place: a wide layer's weight gradient is larger than a chunk's inputs
        if w is not None:
            acc = dx[s:e, ...] if b == 1 else xp.zeros((1, g, S * cg * b * P), dtype=y.dtype)
            if runs:
                cols = xp.reshape(xp.matmul(wt, xp.reshape(flat, (g, og, b * P))), (1, g, K, cg * b * P))
                be.add_taps(acc, cols, [phase * cg * b * P + off for phase, off, _ in geo.taps])
            else:
                cols = xp.reshape(xp.matmul(wt, outs), (g, K, cg, b, geo.span))
                blocks = xp.reshape(acc, (g, S, cg, b, P))
                for k, (phase, off, length) in enumerate(geo.taps):
                    blocks[:, phase, :, :, off:off + length] += cols[:, k, :, :, :length]
            if b > 1:
                dx[s:e, ...] = xp.reshape(xp.permute_dims(xp.reshape(acc, (g, S, cg, b, P)), (3, 0, 1, 2, 4)),
                                          (b, g, S * cg * P))
    if dx is not None:
        dx = xp.permute_dims(xp.reshape(dx, (n, g, S, cg, P)), (0, 1, 3, 2, 4))
    if dw is not None:
        if with_b:
            db, dw = xp.reshape(dw[:, cg * K, :], (g * og,)), dw[:, :cg * K, :]
        dw = xp.reshape(xp.permute_dims(dw, (0, 2, 1)), (g * og, cg) + tuple(geo.kernel))
    if bias and db is None:
        db = xp.sum(y, axis=(0,) + tuple(range(2, y.ndim)))
    return dx, dw, db


def _rows_of(be, flat, span):
    """The first ``span`` positions of grid rows ``(groups, og, b, P)`` as one matrix per group ``(groups, og, b * span)``
    (a view for one sample)."""
    g, og, b = flat.shape[:3]
    return be.xp.reshape(flat[..., :span], (g, og, b * span))


def _adjoints_per_tap(be, y, geo, w, xg, bias):
    """:func:`correlate_adjoints` tap by tap, when each tap is a single-channel product (depthwise, pooling)."""
    xp = be.xp
    gr = out_to_rows(be, y, geo)
    gg = xp.permute_dims(gr[..., :geo.span], (2, 0, 1, 3))  # (n, groups, og, span): a view
    dx = dw = db = None
    if w is not None:
        dx = xp.zeros((geo.n, geo.groups, geo.cg, geo.n_phases, geo.grid_size), dtype=y.dtype)
        wtt = xp.permute_dims(taps_first(be, w, geo), (0, 1, 3, 2))
        for k, (phase, off, length) in enumerate(geo.taps):
            dx[:, :, :, phase, off:off + length] += _mm(xp, wtt[k, ...], gg[..., :length])
    if xg is not None:
        parts = []
        for phase, off, length in geo.taps:
            xt = xp.permute_dims(xg[:, :, :, phase, off:off + length], (0, 1, 3, 2))
            parts.append(xp.sum(xp.matmul(gg[..., :length], xt), axis=0))
        dw = xp.reshape(xp.stack(parts, axis=-1), (geo.groups * geo.og, geo.cg) + tuple(geo.kernel))  # (groups, og, cg, K)
    if bias:
        db = xp.sum(y, axis=(0,) + tuple(range(2, y.ndim)))
    return dx, dw, db


# --- the three primitives ---------------------------------------------------------------------
class Conv(Op):
    """``y = correlate(x, w) (+ b)``; inputs ``(x, w)`` or ``(x, w, b)``, then the geometry.

    The bias is added while each chunk of the output is in cache. Backward: every gradient in
    one pass of :func:`correlate_adjoints`; a backward that must itself be differentiable
    (``create_graph=True``) is ``ConvInput``, ``ConvWeight`` and a sum for the bias instead.
    """

    save_inputs = True

    def forward(self, be, x, w, b, geo=None):
        if geo is None:  # no bias: the third argument is the geometry
            b, geo = None, b
        self.geo = geo
        self.xg = to_grid(be, x, geo)  # kept for the weight gradient
        return correlate(be, self.xg, w, geo, b)

    def backward(self, g):
        x, w = self.saved()[:2]
        nx, nw = self.next[:2]
        nb = len(self.next) == 3 and self.next[2] is not None
        if _state.grad_enabled:
            gx = apply(ConvInput, (g, w), self.geo) if nx else None
            gw = apply(ConvWeight, (x, g), self.geo, self.xg) if nw else None
            gb = g.sum((0,) + tuple(range(2, g.ndim))) if nb else None
        else:
            be = g._be
            dx, dw, db = correlate_adjoints(be, g._data, self.geo, w._data if nx else None, self.xg if nw else None, nb)
            gx, gw, gb = (None if a is None else _make(a, be, g._device, g.dtype)
                          for a in (None if dx is None else from_grid(be, dx, self.geo), dw, db))
        return (gx, gw) if len(self.next) == 2 else (gx, gw, gb)

    def name(self):
        return "ConvolutionBackward0"


class ConvInput(Op):
    """``dx = correlate^T(g, w)``: the input gradient of a convolution, i.e. a transposed convolution."""

    save_inputs = True

    def forward(self, be, g, w, geo):
        self.geo = geo
        return from_grid(be, correlate_adjoints(be, g, geo, w=w)[0], geo)

    def backward(self, h):
        g, w = self.saved()
        ng, nw = self.next
        gg = apply(Conv, (h, w), self.geo) if ng else None
        gw = apply(ConvWeight, (h, g), self.geo) if nw else None
        return gg, gw

    def name(self):
        return "ConvolutionBackward0"


class ConvWeight(Op):
    """``dw``: the weight gradient of a convolution from its input ``x`` and output gradient ``g``."""

    save_inputs = True

    def forward(self, be, x, g, geo, xg=None):
        self.geo = geo
        return correlate_adjoints(be, g, geo, xg=to_grid(be, x, geo) if xg is None else xg)[1]

    def backward(self, h):
        x, g = self.saved()
        nx, ng = self.next
        gx = apply(ConvInput, (g, h), self.geo) if nx else None
        gg = apply(Conv, (x, h), self.geo) if ng else None
        return gx, gg


# --- argument handling shared by the public functions ----------------------------------
def ntuple(value, n, name, op="convolution"):
    """``value`` as an ``n``-tuple of ints (an int repeats), with torch's error for a wrong length.

    Example:
        >>> ntuple(2, 3, "stride"), ntuple((1, 2), 2, "padding")
        ((2, 2, 2), (1, 2))
    """
    if isinstance(value, int) or hasattr(value, "__index__") and not isinstance(value, (tuple, list)):
        return (int(value),) * n
    value = tuple(int(v) for v in value)
    if len(value) == 1:
        return value * n
    if len(value) != n:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} values to match the "
                           f"{op} dimensions, but got {name}={list(value)}")
    return value


def _batched(input, nd, op):
    """``(input with a batch dim, whether one was added)``; torch accepts unbatched inputs too."""
    if input.ndim == nd + 2:
        return input, False
    if input.ndim == nd + 1:
        return input.unsqueeze(0), True
    raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {op}, but got input of size: "
                       f"{list(input.shape)}")


def _check_conv(input, weight, bias, groups, transposed):
    ws = list(weight.shape)
    if weight.ndim != input.ndim:
        raise RuntimeError(f"Expected {weight.ndim - 1}D (unbatched) or {weight.ndim}D (batched) input to conv{weight.ndim - 2}d, "
                           f"but got input of size: {list(input.shape)}")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if ws[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but got "
                           f"weight of size [{ws}] instead")
    want = ws[0] if transposed else ws[1] * groups
    if input.shape[1] != want:
        head = f"Given transposed=1, weight of size {ws}" if transposed else f"Given groups={groups}, weight of size {ws}"
        raise RuntimeError(f"{head}, expected input{list(input.shape)} to have {want} channels, but got "
                           f"{input.shape[1]} channels instead")
    nout = ws[1] * groups if transposed else ws[0]
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != nout):
        raise RuntimeError(f"Given weight of size {ws}, expected bias to be 1-dimensional with {nout} elements, but got "
                           f"bias of size {list(bias.shape)} instead")
    if bias is not None and bias.dtype is not input.dtype and not transposed:  # torch checks the bias first here
        raise RuntimeError(f"Input type ({scalar_name(input.dtype).lower()}) and bias type ({scalar_name(bias.dtype).lower()}) "
                           "should be the same")
    if input.dtype is not weight.dtype:
        raise RuntimeError(f"expected scalar type {scalar_name(input.dtype)} but found {scalar_name(weight.dtype)}")
    if bias is not None and bias.dtype is not input.dtype:
        raise RuntimeError(f"expected scalar type {scalar_name(input.dtype)} but found {scalar_name(bias.dtype)}")


def _positive(values, name):
    if any(v <= 0 for v in values):
        raise RuntimeError(f"non-positive {name} is not supported")


def _add_bias(y, bias, nd):
    return y if bias is None else y + bias.reshape((1, -1) + (1,) * nd)


def _conv(nd, input, weight, bias, stride, padding, dilation, groups):
    op = f"conv{nd}d"
    if _autocast.active:
        input, weight, bias = _autocast.low(input, weight, bias)
    x, unbatched = _batched(input, nd, op)
    _check_conv(x, weight, bias, groups, False)
    stride, dilation = ntuple(stride, nd, "stride"), ntuple(dilation, nd, "dilation")
    _positive(stride, "stride")
    _positive(dilation, "dilation")
    k = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            lo = hi = (0,) * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            total = [d * (kk - 1) for d, kk in zip(dilation, k)]
            lo = tuple(t // 2 for t in total)
            hi = tuple(t - t // 2 for t in total)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        lo = hi = ntuple(padding, nd, "padding")
        if any(p < 0 for p in lo):
            raise RuntimeError("negative padding is not supported")
    sp = tuple(x.shape[2:])
    padded = [s + a + b for s, a, b in zip(sp, lo, hi)]
    if any(p < d * (kk - 1) + 1 for p, d, kk in zip(padded, dilation, k)):
        raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, k))}). Kernel size can't be greater than actual input size")
    geo = Geometry(x.shape[0], groups, weight.shape[1], weight.shape[0] // groups, sp, k, stride, dilation, lo, hi)
    y = apply(Conv, (x, weight) if bias is None else (x, weight, bias), geo)
    return y.squeeze(0) if unbatched else y


def transposed_size(in_sp, kernel, stride, padding, output_padding, dilation):
    """Spatial output size of a transposed convolution.

    Example:
        >>> transposed_size((4,), (3,), (2,), (1,), (1,), (1,))
        (8,)
    """
    return tuple((i - 1) * s - 2 * p + d * (k - 1) + op + 1
                 for i, k, s, p, op, d in zip(in_sp, kernel, stride, padding, output_padding, dilation))


def _conv_transpose(nd, input, weight, bias, stride, padding, output_padding, groups, dilation):
    op = f"conv_transpose{nd}d"
    if _autocast.active:
        input, weight, bias = _autocast.low(input, weight, bias)
    if isinstance(padding, str):
        raise TypeError(f"{op}(): argument 'padding' must be tuple of ints, not str")
    x, unbatched = _batched(input, nd, op)
    _check_conv(x, weight, bias, groups, True)
    stride, dilation = ntuple(stride, nd, "stride"), ntuple(dilation, nd, "dilation")
    padding, output_padding = ntuple(padding, nd, "padding"), ntuple(output_padding, nd, "output_padding")
    _positive(stride, "stride")
    _positive(dilation, "dilation")
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
        raise RuntimeError(f"output padding must be smaller than either stride or dilation, but got "
                           f"output_padding={list(output_padding)} stride={list(stride)} dilation={list(dilation)}")
    k = tuple(weight.shape[2:])
    out_sp = transposed_size(tuple(x.shape[2:]), k, stride, padding, output_padding, dilation)
    if any(o <= 0 for o in out_sp):
        raise RuntimeError(f"{op}: calculated output size {list(out_sp)} is too small for input of size "
                           f"{list(x.shape)} and weight of size {list(weight.shape)}")
    # the convolution this one transposes, seen from the output: the output padding lies past every window (its end
    # padding shrinks by it, below zero when it exceeds the padding), so that convolution maps out_sp back onto x
    hi = tuple(p - o for p, o in zip(padding, output_padding))
    geo = Geometry(x.shape[0], groups, weight.shape[1], weight.shape[0] // groups, out_sp, k, stride, dilation, padding, hi)
    y = _add_bias(apply(ConvInput, (x, weight), geo), bias, nd)
    return y.squeeze(0) if unbatched else y


# --- public functions ---------------------------------------------------------------------------
@export(method=False)
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution (cross-correlation) of ``(N, C, L)`` input with ``(O, C/groups, k)`` weight.

    ``padding`` is an int, a tuple, ``'valid'`` or ``'same'``.

    Example:
        >>> import ember
        >>> ember.conv1d(ember.ones(1, 1, 4), ember.ones(1, 1, 2)).tolist()
        [[[2.0, 2.0, 2.0]]]
    """
    return _conv(1, input, weight, bias, stride, padding, dilation, groups)


@export(method=False)
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation) of ``(N, C, H, W)`` input with ``(O, C/groups, kh, kw)`` weight.

    Example:
        >>> import ember
        >>> ember.conv2d(ember.ones(1, 1, 3, 3), ember.ones(2, 1, 2, 2), padding="same").shape
        ember.Size([1, 2, 3, 3])
    """
    return _conv(2, input, weight, bias, stride, padding, dilation, groups)


@export(method=False)
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution (cross-correlation) of ``(N, C, D, H, W)`` input.

    Example:
        >>> import ember
        >>> ember.conv3d(ember.ones(1, 1, 3, 3, 3), ember.ones(1, 1, 2, 2, 2), stride=2).tolist()
        [[[[[8.0]]]]]
    """
    return _conv(3, input, weight, bias, stride, padding, dilation, groups)


@export(method=False)
def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """1-D transposed convolution ("deconvolution"): the input gradient of :func:`conv1d`.

    Weight shape ``(C, O/groups, k)``.

    Example:
        >>> import ember
        >>> ember.conv_transpose1d(ember.ones(1, 1, 2), ember.ones(1, 1, 2)).tolist()
        [[[1.0, 2.0, 1.0]]]
    """
    return _conv_transpose(1, input, weight, bias, stride, padding, output_padding, groups, dilation)


@export(method=False)
def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-D transposed convolution; output size ``(in - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1``.

    Example:
        >>> import ember
        >>> ember.conv_transpose2d(ember.ones(1, 1, 4, 4), ember.ones(1, 3, 3, 3), stride=2, padding=1, output_padding=1).shape
        ember.Size([1, 3, 8, 8])
    """
    return _conv_transpose(2, input, weight, bias, stride, padding, output_padding, groups, dilation)


@export(method=False)
def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """3-D transposed convolution.

    Example:
        >>> import ember
        >>> ember.conv_transpose3d(ember.ones(1, 1, 1, 1, 1), ember.ones(1, 1, 2, 2, 2)).shape
        ember.Size([1, 1, 2, 2, 2])
    """
    return _conv_transpose(3, input, weight, bias, stride, padding, output_padding, groups, dilation)


# --- im2col / col2im ----------------------------------------------------------------------------
class Unfold(Op):
    """Sliding blocks of a batched input as columns ``(n, c * K, L)``; backward: :class:`Fold`."""

    def forward(self, be, x, geo):
        self.geo = geo
        xp = be.xp
        xg = to_grid(be, x, geo)  # groups = c, one channel per group
        n, c, K, span = geo.n, geo.groups, len(geo.taps), geo.span
        cols = xp.zeros((n, c, K, span), dtype=x.dtype)
        for k, (phase, off, length) in enumerate(geo.taps):
            cols[:, :, k, :length] = xg[:, :, 0, phase, off:off + length]
        cols = xp.reshape(cols, (n, c * K) + geo.rows)
        if geo.rows != geo.out_sp:
            cols = cols[(slice(None),) * 2 + tuple(slice(0, o) for o in geo.out_sp)]
        return xp.reshape(cols, (n, c * K, math.prod(geo.out_sp)))

    def backward(self, g):
        return (apply(Fold, (g,), self.geo),)


class Fold(Op):
    """Sum columns ``(n, c * K, L)`` back into their blocks: the adjoint of :class:`Unfold`."""

    def forward(self, be, cols, geo):
        self.geo = geo
        xp = be.xp
        n, c, K, span = geo.n, geo.groups, len(geo.taps), geo.span
        rows = xp.zeros((n, c, K) + geo.rows, dtype=cols.dtype)
        rows[(slice(None),) * 3 + tuple(slice(0, o) for o in geo.out_sp)] = xp.reshape(cols, (n, c, K) + geo.out_sp)
        rows = xp.reshape(rows, (n, c, K, span))
        out = xp.zeros((n, c, 1, geo.n_phases, geo.grid_size), dtype=cols.dtype)
        for k, (phase, off, length) in enumerate(geo.taps):
            out[:, :, 0, phase, off:off + length] += rows[:, :, k, :length]
        return from_grid(be, out, geo)

    def backward(self, g):
        return (apply(Unfold, (g,), self.geo),)


def block_geometry(n, c, sp, kernel_size, dilation, padding, stride):
    """The :class:`Geometry` of ``unfold``/``fold``: every channel its own group.

    Example:
        >>> block_geometry(1, 2, (4, 4), 2, 1, 0, 2).out_sp
        (2, 2)
    """
    nd = len(sp)
    k = ntuple(kernel_size, nd, "kernel_size", "unfold")
    d, p, s = (ntuple(v, nd, name, "unfold") for v, name in ((dilation, "dilation"), (padding, "padding"), (stride, "stride")))
    return Geometry(n, c, 1, 1, tuple(sp), k, s, d, p, p)
