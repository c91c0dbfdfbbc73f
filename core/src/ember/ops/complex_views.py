"""Complex numbers from and as real parts: ``view_as_real``, ``view_as_complex``, ``complex``, ``polar``.

On numpy-like backends the two ``view_as_*`` functions return views sharing memory (writes show through);
on backends without strided memory they return copies. Gradients follow torch's convention for complex
autograd (``d/dx + i d/dy``), so real pairs and complex numbers exchange gradients unchanged.
"""

from __future__ import annotations

from .._dtype import scalar_name
from .. import _dtype
from .._tensor import Tensor, apply
from ..autograd.node import Op
from ._registry import export
from ._util import sum_to

_COMPLEX_OF = {_dtype.float32: _dtype.complex64, _dtype.float64: _dtype.complex128}


class ViewAsReal(Op):
    view = True  # a view on numpy-like backends, a copy on the others

    def forward(self, be, z):
        return be.view_as_real(z)

    def backward(self, g):
        return (complex(g[..., 0], g[..., 1]),)


class ViewAsComplex(Op):
    view = True

    def forward(self, be, x):
        return be.view_as_complex(x)

    def backward(self, g):
        return (view_as_real(g),)


class Complex(Op):
    def forward(self, be, re, im):
        self.shapes = (re.shape, im.shape)
        return be.complex(re, im)

    def backward(self, g):
        from .elementwise import imag, real

        re_shape, im_shape = self.shapes
        return (sum_to(real(g), re_shape) if self.next[0] else None,
                sum_to(imag(g), im_shape) if self.next[1] else None)


@export(method=False)
def view_as_real(input):
    """A complex tensor as real ``(..., 2)`` pairs (real, imaginary), sharing memory where the backend can.

    Example:
        >>> import ember
        >>> ember.view_as_real(ember.tensor([1 + 2j, 3 - 4j]))
        tensor([[ 1.,  2.],
                [ 3., -4.]])
    """
    if not input.is_complex():
        raise RuntimeError("view_as_real is only supported for complex tensors")
    return apply(ViewAsReal, (input,))


@export(method=False)
def view_as_complex(input):
    """Real ``(..., 2)`` pairs as a complex tensor, sharing memory where the backend can.

    The last dimension must have size 2 and stride 1, the other strides and the storage offset must be even.

    Example:
        >>> import ember
        >>> ember.view_as_complex(ember.tensor([[1.0, 2.0], [3.0, -4.0]]))
        tensor([1.+2.j, 3.-4.j])
    """
    if input.dtype not in _COMPLEX_OF:
        if input.dtype is _dtype.float16:
            raise RuntimeError("view_as_complex: Ember has no complex32 dtype for half tensors")
        raise RuntimeError(f"view_as_complex is only supported for half, float and double tensors, but got a tensor "
                           f"of scalar type: {scalar_name(input.dtype)}")
    if not input.ndim:
        raise RuntimeError("Input tensor must have one or more dimensions")
    if input.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    data = input._data
    if hasattr(data, "strides"):  # strided memory: torch's layout rules for reinterpreting pairs
        strides = [s // data.itemsize for s in data.strides]
        if strides[-1] != 1:
            raise RuntimeError("Tensor must have a last dimension with stride 1")
        if any(s % 2 for s in strides[:-1]):
            raise RuntimeError("Tensor must have a stride divisible by 2 for all but last dimension")
        if input._be.storage(data, "view_as_complex")[1] % 2:
            raise RuntimeError("Tensor must have a storage_offset divisible by 2")
    return apply(ViewAsComplex, (input,))


def _check_parts(real, imag, names):
    for position, (name, value) in enumerate(zip(names, (real, imag)), 1):
        if not isinstance(value, Tensor):
            raise TypeError(f"complex(): argument '{name}' (position {position}) must be Tensor, not {type(value).__name__}")
    if real.dtype not in _COMPLEX_OF or imag.dtype not in _COMPLEX_OF:
        if real.dtype is imag.dtype is _dtype.float16:
            raise RuntimeError("complex: Ember has no complex32 dtype for half tensors")
        raise RuntimeError(f"Expected both inputs to be Half, Float or Double tensors but got {scalar_name(real.dtype)} "
                           f"and {scalar_name(imag.dtype)}")
    if real.dtype is not imag.dtype:
        raise RuntimeError(f"Expected object of scalar type {scalar_name(real.dtype)} but got scalar type "
                           f"{scalar_name(imag.dtype)} for second argument")


@export(method=False)
def complex(real, imag):
    """The complex tensor ``real + i * imag`` (float32 -> complex64, float64 -> complex128; broadcasts).

    Infinite and NaN parts stay where they are: ``complex(1, inf)`` is ``1 + inf j``.

    Example:
        >>> import ember
        >>> ember.complex(ember.tensor([1.0, 2.0]), ember.tensor([3.0, -1.0]))
        tensor([1.+3.j, 2.-1.j])
    """
    _check_parts(real, imag, ("real", "imag"))
    return apply(Complex, (real, imag))


@export(method=False)
def polar(abs, angle):
    """The complex tensor with modulus ``abs`` and argument ``angle``: ``abs * (cos(angle) + i sin(angle))``.

    Example:
        >>> import ember, math
        >>> ember.polar(ember.tensor([2.0]), ember.tensor([math.pi / 2])).imag
        tensor([2.])
    """
    _check_parts(abs, angle, ("abs", "angle"))
    return complex(abs * angle.cos(), abs * angle.sin())
