"""A convolution's stacked taps (im2col) and their adjoint, each one launch instead of one per tap.

``gather_taps`` and ``add_taps`` are the backend methods ``ember.ops.conv`` builds its matrix
products with (see ``ember.backends.Backend``); the portable forms copy or add one kernel tap
at a time. Here one thread per output element finds its tap's input element (``gather_taps``)
or sums every tap that lands on it (``add_taps``, in tap order: no atomics, the same bits
every run). The tap table lives on the GPU, one copy per geometry and device.
"""

from __future__ import annotations

import cupy
import numpy

_gather = cupy.ElementwiseKernel(
    "raw T x, raw int64 taps, int64 groups, int64 cg, int64 K, int64 nb, int64 span, int64 S, int64 P",
    "T out",
    """
    long long p = i % span, r = i / span;  // out: (groups, cg, K, nb, span)
    long long b = r % nb; r /= nb;
    long long k = r % K; r /= K;
    long long c = r % cg, g = r / cg;
    long long phase = taps[3 * k], off = taps[3 * k + 1], len = taps[3 * k + 2];
    if (p < len) out = x[(((b * groups + g) * cg + c) * S + phase) * P + off + p];  // x: (nb, groups, cg, S, P)
    """,
    "ember_gather_taps")

_add = cupy.ElementwiseKernel(
    "raw T cols, raw int64 starts, int64 K, int64 width, int64 size",
    "T out",
    """
    long long f = i % size, bg = i / size;  // out: (b, groups, size); cols: (b, groups, K, width)
    T acc = 0;
    for (long long k = 0; k < K; ++k) {
        long long d = f - starts[k];
        if (d >= 0 && d < width) acc += cols[(bg * K + k) * width + d];
    }
    out += acc;
    """,
    "ember_add_taps")

_tables = {}  # (device id, values) -> the int64 table on that device


def _table(values):
    key = (cupy.cuda.runtime.getDevice(), values)
    table = _tables.get(key)
    if table is None:
        table = _tables[key] = cupy.asarray(numpy.array(values, dtype=numpy.int64))
    return table


def gather_taps(out, x, taps):
    groups, cg, K, nb, span = out.shape
    flat = tuple(v for tap in taps for v in tap)
    _gather(x, _table(flat), groups, cg, K, nb, span, x.shape[3], x.shape[4], out)


def add_taps(out, cols, starts):
    _add(cols, _table(tuple(starts)), cols.shape[2], cols.shape[3], out.shape[2], out)
