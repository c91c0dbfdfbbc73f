"""Matrix products: matmul with torch's broadcasting rules, mm, bmm, mv, dot."""

from __future__ import annotations

from .._tensor import apply
from ..autograd.node import Op
from ._registry import export
from ._util import promote, sum_to


class Matmul(Op):
    save_inputs = True

    def forward(self, be, a, b):
        return be.xp.matmul(a, b)

    def backward(self, g):
        a, b = self.saved()
        na, nb = self.next
        ga = gb = None
        # promote 1-D operands to matrices so the rules stay the same
        a2 = a.unsqueeze(0) if a.ndim == 1 else a
        b2 = b.unsqueeze(-1) if b.ndim == 1 else b
        g2 = g
        if a.ndim == 1:
            g2 = g2.unsqueeze(-2)
        if b.ndim == 1:
            g2 = g2.unsqueeze(-1)
        if na:
            ga = sum_to(g2 @ b2.mT, a2.shape)
            ga = ga.reshape(a.shape)
        if nb:
            gb = sum_to(a2.mT @ g2, b2.shape)
            gb = gb.reshape(b.shape)
        return ga, gb


def _shape_str(s):
    return "x".join(map(str, s))


@export()
def matmul(input, other):
    """Matrix product with torch's broadcasting rules for 1-D and batched operands.

    Example:
        >>> import ember
        >>> (ember.ones(2, 3) @ ember.ones(3)).tolist()
        [3.0, 3.0]
    """
    a, b = promote("matmul", input, other)
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and {b.ndim}D")
    k1 = a.shape[-1]
    k2 = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if k1 != k2:
        if a.ndim <= 2 and b.ndim <= 2:
            sa = a.shape if a.ndim == 2 else (1, k1)
            sb = b.shape if b.ndim == 2 else (k2, 1)
            raise RuntimeError(f"matmul: mat1 and mat2 shapes cannot be multiplied ({_shape_str(sa)} and {_shape_str(sb)})")
        raise RuntimeError(f"matmul: Expected size for first two dimensions of batch2 tensor to be: [{k1}] but got: [{k2}] (shapes {_shape_str(a.shape)} and {_shape_str(b.shape)})")
    return apply(Matmul, (a, b))


@export()
def mm(input, mat2):
    """Product of two matrices (2-D only).

    Example:
        >>> import ember
        >>> ember.mm(ember.eye(2), ember.ones(2, 3)).shape
        ember.Size([2, 3])
    """
    if input.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(f"mm: expected 2D tensors, got {input.ndim}D and {mat2.ndim}D")
    if input.shape[1] != mat2.shape[0]:
        raise RuntimeError(f"mm: mat1 and mat2 shapes cannot be multiplied ({_shape_str(input.shape)} and {_shape_str(mat2.shape)})")
    return matmul(input, mat2)


@export()
def bmm(input, mat2):
    """Batched product of 3-D tensors ``(b, n, m) @ (b, m, p)``.

    Example:
        >>> import ember
        >>> ember.bmm(ember.ones(4, 2, 3), ember.ones(4, 3, 5)).shape
        ember.Size([4, 2, 5])
    """
    if input.ndim != 3 or mat2.ndim != 3:
        raise RuntimeError(f"bmm: expected 3D tensors, got {input.ndim}D and {mat2.ndim}D")
    if input.shape[0] != mat2.shape[0] or input.shape[2] != mat2.shape[1]:
        raise RuntimeError(f"bmm: batch1 and batch2 shapes cannot be multiplied ({_shape_str(input.shape)} and {_shape_str(mat2.shape)})")
    return matmul(input, mat2)


@export()
def mv(input, vec):
    """Matrix-vector product.

    Example:
        >>> import ember
        >>> ember.mv(ember.eye(2), ember.tensor([1.0, 2.0]))
        tensor([1., 2.])
    """
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"mv: expected a 2D matrix and a 1D vector, got {input.ndim}D and {vec.ndim}D")
    return matmul(input, vec)


@export()
def dot(input, tensor):
    """Dot product of two 1-D tensors.

    Example:
        >>> import ember
        >>> ember.dot(ember.tensor([1, 2]), ember.tensor([3, 4]))
        tensor(11)
    """
    if input.ndim != 1 or tensor.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {tensor.ndim}D tensors")
    if input.shape[0] != tensor.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{input.shape[0]}] and src [{tensor.shape[0]}] to have the same number of elements, but got {input.shape[0]} and {tensor.shape[0]} elements respectively")
    return matmul(input, tensor)
