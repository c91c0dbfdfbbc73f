"""Shared by the hand-written CUDA kernels: compiling them once, and which arrays they take.

Each source is compiled with NVRTC the first time one of its kernels is asked for. If it cannot be
compiled (no NVRTC, a compiler problem), :func:`compiled` warns once and gives None from then on,
and the ops take their portable forwards, which stay correct.
"""

from __future__ import annotations

import warnings

import cupy
import numpy

THREADS = 256  # threads per block at most; a power of two: the tree reductions halve it

# device helpers shared by the row kernels: one block reduces its threads' values through ``buf``
# (``__shared__ T buf[256]``); every thread gets the result, and ``buf`` is free again on return
REDUCE = r"""
template <typename T> __device__ T neg_inf();
template <> __device__ float neg_inf<float>() { return __int_as_float(0xff800000); }
template <> __device__ double neg_inf<double>() { return __longlong_as_double(0xfff0000000000000ULL); }

template <typename T>
__device__ T max_nan(T a, T b) { return (b > a || b != b) ? b : a; }  // NaN wins, as the array max

struct MaxNan { template <typename T> __device__ T operator()(T a, T b) const { return max_nan(a, b); } };
struct Plus { template <typename T> __device__ T operator()(T a, T b) const { return a + b; } };

template <typename T, typename Op>
__device__ T block_reduce(T v, T* buf, Op op) {
    int tid = threadIdx.x;
    buf[tid] = v;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (tid < s) buf[tid] = op(buf[tid], buf[tid + s]);
        __syncthreads();
    }
    T out = buf[0];
    __syncthreads();
    return out;
}
template <typename T> __device__ T block_max(T v, T* buf) { return block_reduce(v, buf, MaxNan()); }
template <typename T> __device__ T block_sum(T v, T* buf) { return block_reduce(v, buf, Plus()); }
"""
TYPES = {numpy.dtype(numpy.float32): "float", numpy.dtype(numpy.float64): "double"}
_modules = {}  # source name -> compiled RawModule, or None once compiling failed


def compiled(module, source, name, dtype):
    """The kernel ``<name>_<type>`` of ``source`` (compiled once as ``module``), or None where it cannot be."""
    if module not in _modules:
        try:
            _modules[module] = cupy.RawModule(code=source)
            _modules[module].compile()
        except Exception as exc:  # no NVRTC or a compiler problem: the portable forwards stay correct
            _modules[module] = None
            warnings.warn(f"ember_cuda: the fused '{module}' kernels could not be compiled ({type(exc).__name__}: "
                          f"{exc}); the ops they speed up run as separate array operations", RuntimeWarning,
                          stacklevel=2)
    mod = _modules[module]
    return None if mod is None or dtype not in TYPES else mod.get_function(f"{name}_{TYPES[dtype]}")


def rows_fit(a, n_axes):
    """Whether the last ``n_axes`` axes of ``a`` form contiguous, non-empty rows of a supported dtype."""
    return a.size > 0 and a.dtype in TYPES and a.flags.c_contiguous and 0 < n_axes <= a.ndim
