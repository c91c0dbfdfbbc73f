"""Cross-entropy of ``(N, C)`` logits against class indices in two launches forward, one backward.

Forward: one block per row computes the row's softmax (kept for the backward), the loss of
its target and whether it counts (``ignore_index``); one block then sums the losses and the
counted rows (a fixed order: the same bits every run). Backward: one elementwise kernel,
``g * a_i * (softmax_ic - [c == target_i])`` with ``a_i`` the row's weight over the count.

The common case takes these kernels: contiguous float32/float64 logits without class weights
or label smoothing. Others take the op's portable forward and backward. A target out of range
gives a NaN loss (the GPU does not stop to check it, as torch's assertion would).
"""

from __future__ import annotations

import cupy
import numpy

from ._rows import REDUCE, THREADS, compiled, rows_fit

SOURCE = REDUCE + r"""
template <typename T>
__device__ void ce_rows(const T* x, const long long* target, long long C, long long ignore,
                        T* probs, T* loss, T* counted, long long* safe) {
    __shared__ T buf[256];
    long long row = blockIdx.x;
    const T* xr = x + row * C;
    T* pr = probs + row * C;
    int tid = threadIdx.x;

    T m = neg_inf<T>();
    for (long long j = tid; j < C; j += blockDim.x) m = max_nan(m, xr[j]);
    m = block_max(m, buf);
    if (!isfinite(m)) m = 0;

    T total = 0;
    for (long long j = tid; j < C; j += blockDim.x) total += exp(xr[j] - m);
    total = block_sum(total, buf);
    for (long long j = tid; j < C; j += blockDim.x) pr[j] = exp(xr[j] - m) / total;
    if (tid == 0) {
        long long t = target[row];
        bool valid = t != ignore;
        long long s = valid ? t : 0;
        T w = valid ? (T)1 : (T)0;
        T picked = (s >= 0 && s < C) ? (xr[s] - m) - log(total) : neg_inf<T>() - neg_inf<T>();  // NaN out of range
        loss[row] = ((T)0 - picked) * w;  // 0 - picked: a zero loss is +0, as in torch
        counted[row] = w;
        safe[row] = s;
    }
}

template <typename T>
__device__ void ce_total(const T* loss, const T* counted, long long n, int mean, T* out, T* denom) {
    __shared__ T buf[256];
    T l = 0, c = 0;
    for (long long i = threadIdx.x; i < n; i += blockDim.x) { l += loss[i]; c += counted[i]; }
    l = block_sum(l, buf);
    c = block_sum(c, buf);
    if (threadIdx.x == 0) {
        denom[0] = c;
        out[0] = mean ? l / c : l;
    }
}

template <typename T>
__device__ void ce_grad(const T* probs, const long long* safe, const T* counted, const T* g, int per_row,
                        const T* denom, int mean, long long C, long long size, T* out) {
    for (long long k = blockIdx.x * (long long)blockDim.x + threadIdx.x; k < size; k += (long long)gridDim.x * blockDim.x) {
        long long row = k / C, c = k - row * C;
        T a = mean ? counted[row] / denom[0] : counted[row];
        T q = (c == safe[row]) ? a : (T)0;
        out[k] = g[per_row ? row : 0] * (a * probs[k] - q);
    }
}

#define CE_KERNELS(T)                                                                                          \
extern "C" __global__ void ce_rows_##T(const T* x, const long long* t, long long C, long long ignore,         \
        T* probs, T* loss, T* counted, long long* safe) { ce_rows<T>(x, t, C, ignore, probs, loss, counted, safe); } \
extern "C" __global__ void ce_total_##T(const T* loss, const T* counted, long long n, int mean, T* out,        \
        T* denom) { ce_total<T>(loss, counted, n, mean, out, denom); }                                         \
extern "C" __global__ void ce_grad_##T(const T* probs, const long long* safe, const T* counted, const T* g,   \
        int per_row, const T* denom, int mean, long long C, long long size, T* out) {                          \
    ce_grad<T>(probs, safe, counted, g, per_row, denom, mean, C, size, out); }
CE_KERNELS(float)
CE_KERNELS(double)
"""

_I64 = numpy.dtype(numpy.int64)


def _threads(n):
    """A power of two from 32 to THREADS covering ``n`` items per row (small rows: small blocks)."""
    t = 32
    while t < n and t < THREADS:
        t *= 2
    return t


def forward(node, be, x, target, weight, ignore_index, reduction, smoothing):
    kernel = None
    if (weight is None and not smoothing and x.ndim == 2 and target.ndim == 1 and target.dtype == _I64
            and target.flags.c_contiguous and rows_fit(x, 1)):
        kernel = compiled("ce", SOURCE, "ce_rows", x.dtype)
    if kernel is None:
        return type(node).forward(node, be, x, target, weight, ignore_index, reduction, smoothing)
    n, c = x.shape
    probs = cupy.empty_like(x)
    loss, counted = cupy.empty(n, dtype=x.dtype), cupy.empty(n, dtype=x.dtype)
    safe = cupy.empty(n, dtype=_I64)
    kernel((n,), (_threads(c),), (x, target, numpy.int64(c), numpy.int64(ignore_index), probs, loss, counted, safe))
    node.probs = probs  # what the op's backward reads
    node.stash = (target, safe, counted, counted, None, 0.0, reduction, be, None)
    node.ce_fused = True
    if reduction == "none":
        return loss
    out, denom = cupy.empty((), dtype=x.dtype), cupy.empty((), dtype=x.dtype)
    total = compiled("ce", SOURCE, "ce_total", x.dtype)
    total((1,), (THREADS,), (loss, counted, numpy.int64(n), numpy.int32(reduction == "mean"), out, denom))
    node.denom = denom
    return out


def backward(node, g):
    """The gradient array of the logits, or None where the op's own backward applies."""
    if not getattr(node, "ce_fused", False):
        return None
    _, safe, counted, _, _, _, reduction = node.stash[:7]
    probs = node.probs
    kernel = compiled("ce", SOURCE, "ce_grad", probs.dtype)
    g = cupy.ascontiguousarray(g, dtype=probs.dtype)
    denom = node.denom if reduction == "mean" else g  # not read unless mean
    out = cupy.empty_like(probs)
    blocks = min(4096, (probs.size + THREADS - 1) // THREADS)
    kernel((max(blocks, 1),), (THREADS,), (probs, safe, counted, g, numpy.int32(reduction == "none"), denom,
                                          numpy.int32(reduction == "mean"), numpy.int64(probs.shape[1]),
                                          numpy.int64(probs.size), out))
    return out
