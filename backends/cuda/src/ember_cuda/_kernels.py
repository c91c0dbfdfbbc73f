"""Op forwards the CUDA backend runs its own way (``Backend.kernels``: op class name -> fn).

Each entry has the signature of ``Op.forward`` (``fn(op_node, backend, *arrays, *args)``), leaves
on the node what the op's backward reads, and leaves the backward to the op.

- ``Matmul``/``Linear``: cuBLAS, switched to TF32 when ``ember.backends.cuda.matmul.allow_tf32``
  is set (checked on every call).
- ``Softmax``/``LogSoftmax`` over the last axis of a contiguous float32/float64 array: one CUDA
  block per row (max, sum of exponentials, output: three passes over the row, one kernel launch)
  instead of the seven array operations of the portable forward.
- ``NormAffine`` (layer norm) over trailing axes of a contiguous float32/float64 array with
  weight and bias of the row's size: one block per row computes the statistics (mean with the
  op's rounding correction, biased variance), the normalised row and the affine output.

- ``CrossEntropy`` (and its backward): ``_cross_entropy.py``.
- ``optim.sgd``/``optim.adam``: the optimizers' updates, one kernel per parameter (``_optim.py``).

Other cases take the op's forward. If the kernels cannot be compiled (no NVRTC), the ops'
forwards are used from then on.
"""

from __future__ import annotations

import cupy
import numpy
from cupy._core import _routines_linalg as _blas

import ember.backends

from . import _cross_entropy, _optim
from ._rows import REDUCE, THREADS, compiled, rows_fit

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


# --- row kernels: softmax and layer norm ------------------------------------------------------
SOURCE = REDUCE + r"""
template <typename T>
__device__ void softmax_rows(const T* x, T* y, long long n, int log_out) {
    __shared__ T buf[256];
    const T* xr = x + (long long)blockIdx.x * n;
    T* yr = y + (long long)blockIdx.x * n;
    int tid = threadIdx.x;

    T m = neg_inf<T>();
    for (long long j = tid; j < n; j += blockDim.x) m = max_nan(m, xr[j]);
    m = block_max(m, buf);
    if (!isfinite(m)) m = 0;  // an all -inf row stays -inf (not NaN) in the shifted values

    T total = 0;
    for (long long j = tid; j < n; j += blockDim.x) total += exp(xr[j] - m);
    total = block_sum(total, buf);

    if (log_out) {
        T log_total = log(total);
        for (long long j = tid; j < n; j += blockDim.x) yr[j] = (xr[j] - m) - log_total;
    } else {
        for (long long j = tid; j < n; j += blockDim.x) yr[j] = exp(xr[j] - m) / total;
    }
}

template <typename T>
__device__ void layer_norm_rows(const T* x, const T* w, const T* b, T eps, long long n,
                                T* y, T* xhat, T* mean_out, T* var_out, T* invstd_out) {
    __shared__ T buf[256];
    long long row = blockIdx.x;
    const T* xr = x + row * n;
    T* yr = y + row * n;
    T* hr = xhat + row * n;
    int tid = threadIdx.x;

    T acc = 0;
    for (long long j = tid; j < n; j += blockDim.x) acc += xr[j];
    T mean = block_sum(acc, buf) / (T)n;
    acc = 0;
    for (long long j = tid; j < n; j += blockDim.x) acc += xr[j] - mean;
    mean += block_sum(acc, buf) / (T)n;  // the rounding error of the first mean (large offsets)
    acc = 0;
    for (long long j = tid; j < n; j += blockDim.x) {
        T d = xr[j] - mean;
        acc += d * d;
    }
    T var = block_sum(acc, buf) / (T)n;
    T invstd = 1 / sqrt(var + eps);
    for (long long j = tid; j < n; j += blockDim.x) {
        T h = (xr[j] - mean) * invstd;
        hr[j] = h;
        yr[j] = h * w[j] + b[j];
    }
    if (tid == 0) {
        mean_out[row] = mean;
        var_out[row] = var;
        invstd_out[row] = invstd;
    }
}

#define ROW_KERNELS(T)                                                                              \
extern "C" __global__ void softmax_rows_##T(const T* x, T* y, long long n, int log_out) {          \
    softmax_rows<T>(x, y, n, log_out);                                                              \
}                                                                                                   \
extern "C" __global__ void layer_norm_rows_##T(const T* x, const T* w, const T* b, T eps,          \
        long long n, T* y, T* xhat, T* mean, T* var, T* invstd) {                                   \
    layer_norm_rows<T>(x, w, b, eps, n, y, xhat, mean, var, invstd);                                \
}
ROW_KERNELS(float)
ROW_KERNELS(double)
"""
def _softmax(log_out):
    def run(node, be, a, dim):
        kernel = compiled("rows", SOURCE, "softmax_rows", a.dtype) if dim == a.ndim - 1 and rows_fit(a, 1) else None
        if kernel is None:
            return type(node).forward(node, be, a, dim)
        node.dim = dim  # what the op's backward reads
        y = cupy.empty_like(a)
        n = a.shape[-1]
        kernel((a.size // n,), (THREADS,), (a, y, numpy.int64(n), numpy.int32(log_out)))
        return y

    return run


def _layer_norm(node, be, x, w, b, dims, eps):
    k = len(dims)
    n = 1
    for d in x.shape[x.ndim - k:]:
        n *= d
    row = x.shape[x.ndim - k:]
    fits = (tuple(dims) == tuple(range(x.ndim - k, x.ndim)) and rows_fit(x, k)
            and all(p.size == n and p.shape[p.ndim - k:] == row and p.dtype == x.dtype for p in (w, b)))
    kernel = compiled("rows", SOURCE, "layer_norm_rows", x.dtype) if fits else None
    if kernel is None:
        return type(node).forward(node, be, x, w, b, dims, eps)
    rows = x.size // n
    stat_shape = x.shape[:x.ndim - k] + (1,) * k
    w, b = cupy.ascontiguousarray(w), cupy.ascontiguousarray(b)
    y, xhat = cupy.empty_like(x), cupy.empty_like(x)
    mean, var, invstd = (cupy.empty(stat_shape, dtype=x.dtype) for _ in range(3))
    kernel((rows,), (THREADS,), (x, w, b, x.dtype.type(eps), numpy.int64(n), y, xhat, mean, var, invstd))
    node.dims, node.eps, node.xhat, node.invstd = dims, eps, xhat, invstd  # what the op's backward reads
    return y, mean, var


KERNELS = {
    "Matmul": _matrix_product,
    "Linear": _matrix_product,
    "Softmax": _softmax(0),
    "LogSoftmax": _softmax(1),
    "NormAffine": _layer_norm,
    "CrossEntropy": _cross_entropy.forward,
    "CrossEntropy.backward": _cross_entropy.backward,
    **_optim.KERNELS,
}
