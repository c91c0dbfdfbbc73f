"""Kernels that give numpy's exact results where CuPy's own differ.

- ``frexp`` and ``nextafter``: CuPy compiles every kernel with ``-ftz=true``, so its versions
  flush subnormal numbers (``frexp(1e-40)`` gives 0, ``nextafter(0, 1)`` the smallest normal
  number). These work on the bit patterns instead, as torch's CUDA kernels give.
- ``scatter_extreme``: ``out[index] = op(out[index], values)`` for maximum, minimum and multiply
  with repeated indices, by compare-and-swap loops. CuPy's ``maximum.at`` rounds float64 values
  through float32, and it has no ``multiply.at``.
"""

from __future__ import annotations

import cupy
import numpy

_BITS = r"""
__device__ void ember_frexp(float x, float& m, int& e) {
    unsigned int i = __float_as_uint(x), a = i & 0x7fffffffu;
    if (a == 0u || a >= 0x7f800000u) { m = x; e = 0; return; }  // zero, inf, nan: unchanged, exponent 0
    int biased = (int)(a >> 23);
    if (biased == 0) {  // subnormal: shift the leading bit into the implicit position
        int shift = __clz(a) - 8;
        a <<= shift;
        biased = 1 - shift;
    }
    e = biased - 126;
    m = __uint_as_float((i & 0x80000000u) | (126u << 23) | (a & 0x7fffffu));
}
__device__ void ember_frexp(double x, double& m, int& e) {
    unsigned long long i = (unsigned long long)__double_as_longlong(x), a = i & 0x7fffffffffffffffull;
    if (a == 0ull || a >= 0x7ff0000000000000ull) { m = x; e = 0; return; }
    int biased = (int)(a >> 52);
    if (biased == 0) {
        int shift = __clzll((long long)a) - 11;
        a <<= shift;
        biased = 1 - shift;
    }
    e = biased - 1022;
    m = __longlong_as_double((long long)((i & 0x8000000000000000ull) | (1022ull << 52) | (a & 0xfffffffffffffull)));
}
// the neighbour of x towards y, on sign-magnitude bit patterns (no float instruction: no flushing)
template <typename U>
__device__ U ember_next_bits(U x, U y, U sign, U inf) {
    U ax = x & ~sign, ay = y & ~sign;
    if (ax > inf || ay > inf) return ax > inf ? x : y;  // NaN
    if (x == y || (ax == 0 && ay == 0)) return y;
    if (ax == 0) return (y & sign) | (U)1;
    bool away = ((x & sign) == (y & sign)) && ay > ax;  // the magnitude grows
    return away ? x + 1 : x - 1;
}
__device__ float ember_nextafter(float x, float y) {
    return __uint_as_float(ember_next_bits<unsigned int>(__float_as_uint(x), __float_as_uint(y), 0x80000000u, 0x7f800000u));
}
__device__ double ember_nextafter(double x, double y) {
    return __longlong_as_double((long long)ember_next_bits<unsigned long long>(
        (unsigned long long)__double_as_longlong(x), (unsigned long long)__double_as_longlong(y),
        0x8000000000000000ull, 0x7ff0000000000000ull));
}
"""

_SCATTER = r"""
template <typename T, typename U>
__device__ void ember_cas_update(T* p, T v, int op) {  // op: 0 maximum, 1 minimum, 2 multiply
    U* word = reinterpret_cast<U*>(p);
    U old = *word, seen;
    do {
        seen = old;
        T cur = *reinterpret_cast<T*>(&seen);
        T r;
        if (op == 2) r = cur * v;
        else if (cur != cur) r = cur;  // NaN propagates, as numpy's maximum/minimum
        else if (v != v) r = v;
        else r = (op == 0) == (v > cur) ? v : cur;
        U bits = *reinterpret_cast<U*>(&r);
        if (bits == seen) return;
        old = atomicCAS(word, seen, bits);
    } while (old != seen);
}
__device__ void ember_update(float* p, float v, int op) { ember_cas_update<float, unsigned int>(p, v, op); }
__device__ void ember_update(double* p, double v, int op) { ember_cas_update<double, unsigned long long>(p, v, op); }
__device__ void ember_update(int* p, int v, int op) { ember_cas_update<int, unsigned int>(p, v, op); }
__device__ void ember_update(long long* p, long long v, int op) { ember_cas_update<long long, unsigned long long>(p, v, op); }
"""

_frexp = cupy.ElementwiseKernel("T x", "T m, int32 e", "int ex; ember_frexp(x, m, ex); e = ex;", "ember_frexp",
                                preamble=_BITS)
_nextafter = cupy.ElementwiseKernel("T x, T y", "T z", "z = ember_nextafter(x, y)", "ember_nextafter", preamble=_BITS)
_scatter = cupy.ElementwiseKernel("int64 pos, T v, int32 op", "raw T out", "ember_update(&out[pos], v, op)",
                                  "ember_scatter_extreme", preamble=_SCATTER)

_EXACT = (numpy.dtype(numpy.float32), numpy.dtype(numpy.float64))
SCATTER_TYPES = _EXACT + (numpy.dtype(numpy.int32), numpy.dtype(numpy.int64))
_OPS = {"maximum": 0, "minimum": 1, "multiply": 2}


def frexp(x):
    """``(mantissa, int32 exponent)`` exactly as numpy's, subnormals included (float16 through float32)."""
    if x.dtype in _EXACT:
        return _frexp(x)
    m, e = _frexp(x.astype(numpy.float32))  # float16's subnormals are normal float32 numbers
    return m.astype(x.dtype), e


def nextafter(x, y):
    """The next representable value after ``x`` towards ``y``, subnormals included."""
    if x.dtype in _EXACT:
        return _nextafter(x, y)
    return cupy.nextafter(x, y)


def scatter_extreme(array, index, values, op):
    """``array[index] = op(array[index], values)`` in place, each repeated index applied in turn.

    ``array`` is C-contiguous with a dtype in :data:`SCATTER_TYPES`; ``index`` is any numpy-style index.
    """
    pos = cupy.arange(array.size, dtype=numpy.int64).reshape(array.shape)[index]
    v = cupy.broadcast_to(cupy.asarray(values, dtype=array.dtype), pos.shape)
    _scatter(pos, v, numpy.int32(_OPS[op]), array)
