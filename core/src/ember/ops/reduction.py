"""Reductions over dimensions: sum, mean (the rest of the family builds on these)."""

from __future__ import annotations

from .. import _dtype
from .._tensor import apply
from ..autograd.node import Op
from ._registry import export
from ._util import cast, wrap_dims


class Sum(Op):
    def forward(self, be, a, dims, keepdim):
        self.in_shape, self.dims, self.keepdim = a.shape, dims, keepdim
        return be.xp.sum(a, axis=dims, keepdims=keepdim, dtype=a.dtype)

    def backward(self, g):
        if not self.keepdim:
            shape = list(self.in_shape)
            for d in self.dims:
                shape[d] = 1
            g = g.reshape(shape)
        return (g.expand(self.in_shape),)


def _sum_dtype(input, dtype):
    if dtype is not None:
        return dtype
    return _dtype.int64 if input.dtype.category < 2 else input.dtype


@export()
def sum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum over ``dim`` (all dimensions by default); integers sum as int64.

    Example:
        >>> import ember
        >>> x = ember.tensor([[1, 2], [3, 4]])
        >>> ember.sum(x), x.sum(dim=0), x.sum(1, keepdim=True).shape
        (tensor(10), tensor([4, 6]), ember.Size([2, 1]))
    """
    dims = wrap_dims(dim, input.ndim, "sum")
    x = cast(input, _sum_dtype(input, dtype))
    if input.ndim == 0:
        return x if not x.requires_grad else x.clone() if x is input else x
    return apply(Sum, (x,), dims, keepdim)


@export()
def mean(input, dim=None, keepdim=False, *, dtype=None):
    """Arithmetic mean over ``dim`` (floating point and complex inputs only).

    Example:
        >>> import ember
        >>> ember.tensor([[1.0, 2.0], [3.0, 4.0]]).mean(dim=1)
        tensor([1.5000, 3.5000])
    """
    if dtype is not None:
        input = cast(input, dtype)
    if input.dtype.category < 2:
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: {_dtype_name(input.dtype)}")
    dims = wrap_dims(dim, input.ndim, "mean")
    n = 1
    for d in dims:
        n *= input.shape[d] if input.ndim else 1
    return sum(input, dim, keepdim) / n if n else sum(input, dim, keepdim) * float("nan")


def _dtype_name(d):
    return {"float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int", "bool": "Bool",
            "float16": "Half", "uint8": "Byte", "int8": "Char", "int16": "Short"}.get(d.name, d.name)
