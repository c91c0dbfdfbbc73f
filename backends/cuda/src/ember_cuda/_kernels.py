"""Op forwards the CUDA backend runs its own way (``Backend.kernels``: op class name -> fn).

Each entry has the signature of ``Op.forward`` (``fn(op_node, backend, *arrays, *args)``) and
leaves the backward to the op. Matrix products pick up ``ember.backends.cuda.matmul.allow_tf32``
(cuBLAS compute type) on every call.
"""

from __future__ import annotations

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


KERNELS = {"Matmul": _matrix_product, "Linear": _matrix_product}
