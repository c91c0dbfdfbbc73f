"""Op forwards the CUDA backend runs its own way (``Backend.kernels``: op class name -> fn).

Each entry has the signature of ``Op.forward`` (``fn(op_node, backend, *arrays, *args)``), leaves
on the node what the op's backward reads, and leaves the backward to the op.

- ``Matmul``/``Linear``: cuBLAS, switched to TF32 when ``ember.backends.cuda.matmul.allow_tf32``
  is set (checked on every call).
- ``Softmax``/``LogSoftmax`` over the last axis of a contiguous float32/float64 array: one CUDA
  block per row (max, sum of exponentials, output: three passes over the row, one kernel launch)
  instead of the seven array operations of the portable forward. Other cases take the op's forward.
  If the kernel cannot be compiled (no NVRTC), the op's forward is used from then on.
"""

from __future__ import annotations

import cupy
import numpy
from cupy._core import _routines_linalg as _blas

import ember.backends

_F32 = numpy.dtype(numpy.float32)
_tf32_state = {"on": False, "default": None}


def _sync_tf32():
    """Switch cuBLAS float32 products to TF32 (or back) when the torch-style flag changed."""
    want = bool(ember.backends.cuda.matmul.allow_tf32)
    if want is _tf32_state["on"]:
        return
    if _tf32_state["default"] is None:
        _tf32_state["default"] = _blas.get_compute_type(_F32)
    _blas.set_compute_type(_F32, _blas.COMPUTE_TYPE_TF32 if want else _tf32_state["default"])
    _tf32_state["on"] = want


def _matrix_product(node, be, *args):
    _sync_tf32()
    return type(node).forward(node, be, *args)


# --- softmax over rows ----------------------------------------------------------------------
_THREADS = 256  # a power of two: the tree reductions below halve it
SOFTMAX_SOURCE = r"""
template <typename T>
__device__ T neg_inf();
template <> __device__ float neg_inf<float>() { return __int_as_float(0xff800000); }
template <> __device__ double neg_inf<double>() { return __longlong_as_double(0xfff0000000000000ULL); }

template <typename T>
__device__ T max_nan(T a, T b) { return (b > a || b != b) ? b : a; }  // NaN wins, as the array max

template <typename T>
__device__ void softmax_rows(const T* x, T* y, long long n, int log_out) {
    __shared__ T buf[256];
    const T* xr = x + (long long)blockIdx.x * n;
    T* yr = y + (long long)blockIdx.x * n;
    int tid = threadIdx.x;

    T m = neg_inf<T>();
    for (long long j = tid; j < n; j += blockDim.x) m = max_nan(m, xr[j]);
    buf[tid] = m;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (tid < s) buf[tid] = max_nan(buf[tid], buf[tid + s]);
        __syncthreads();
    }
    m = buf[0];
    __syncthreads();
    if (!isfinite(m)) m = 0;  // an all -inf row stays -inf (not NaN) in the shifted values

    T total = 0;
    for (long long j = tid; j < n; j += blockDim.x) total += exp(xr[j] - m);
    buf[tid] = total;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (tid < s) buf[tid] += buf[tid + s];
        __syncthreads();
    }
    total = buf[0];

    if (log_out) {
        T log_total = log(total);
        for (long long j = tid; j < n; j += blockDim.x) yr[j] = (xr[j] - m) - log_total;
    } else {
        for (long long j = tid; j < n; j += blockDim.x) yr[j] = exp(xr[j] - m) / total;
    }
}

extern "C" __global__ void softmax_rows_float(const float* x, float* y, long long n, int log_out) {
    softmax_rows<float>(x, y, n, log_out);
}
extern "C" __global__ void softmax_rows_double(const double* x, double* y, long long n, int log_out) {
    softmax_rows<double>(x, y, n, log_out);
}
"""
_NAMES = {numpy.dtype(numpy.float32): "softmax_rows_float", numpy.dtype(numpy.float64): "softmax_rows_double"}
_module = {}  # "module" -> compiled RawModule, or None once compiling failed


def _softmax_kernel(dtype):
    if "module" not in _module:
        try:
            _module["module"] = cupy.RawModule(code=SOFTMAX_SOURCE)
            _module["module"].compile()
        except Exception:  # no NVRTC or a compiler problem: the portable forward stays correct
            _module["module"] = None
    mod = _module["module"]
    return None if mod is None else mod.get_function(_NAMES[dtype])


def _rows_fit(a, dim):
    return (dim == a.ndim - 1 and a.size > 0 and a.dtype in _NAMES and a.flags.c_contiguous
            and a.shape[-1] > 0)


def _softmax(log_out):
    def run(node, be, a, dim):
        kernel = _softmax_kernel(a.dtype) if _rows_fit(a, dim) else None
        if kernel is None:
            return type(node).forward(node, be, a, dim)
        node.dim = dim  # what the op's backward reads
        y = cupy.empty_like(a)
        n = a.shape[-1]
        kernel((a.size // n,), (_THREADS,), (a, y, numpy.int64(n), numpy.int32(log_out)))
        return y

    return run


KERNELS = {
    "Matmul": _matrix_product,
    "Linear": _matrix_product,
    "Softmax": _softmax(0),
    "LogSoftmax": _softmax(1),
}
