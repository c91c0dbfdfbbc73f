"""``Variable``: the pre-0.4 wrapper, kept like torch keeps it for old code."""

from __future__ import annotations

__all__ = ["Variable"]


class _VariableMeta(type):
    def __instancecheck__(cls, obj):
        from .._tensor import Tensor

        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableMeta):
    """``Variable(tensor, requires_grad=False)``: a tensor sharing ``tensor``'s data (every tensor is a Variable).

    Example:
        >>> import ember
        >>> from ember.autograd import Variable
        >>> t = ember.ones(2)
        >>> v = Variable(t, requires_grad=True)
        >>> v.requires_grad, t.requires_grad, isinstance(t, Variable), type(v).__name__
        (True, False, True, 'Tensor')
    """

    def __new__(cls, data, requires_grad=False, volatile=False):
        from .._tensor import Tensor

        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        return data.detach().requires_grad_(requires_grad)
