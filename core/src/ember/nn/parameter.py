"""Parameter (a tensor a Module registers as learnable) and Buffer (a tensor it registers as state)."""

from __future__ import annotations

from .._tensor import Tensor, _make

__all__ = ["Parameter", "Buffer"]


def _empty():
    from .._creation import empty

    return empty(0)


class Parameter(Tensor):
    """A leaf tensor that a :class:`Module` registers as learnable when assigned as an attribute.

    It shares its data with ``data``; ops on it return plain tensors.

    Example:
        >>> import ember
        >>> p = ember.nn.Parameter(ember.tensor([1.0, 2.0]))
        >>> p
        Parameter containing:
        tensor([1., 2.], requires_grad=True)
        >>> isinstance(p, ember.Tensor), type(p * 2).__name__
        (True, 'Tensor')
    """

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = _empty()
        elif not isinstance(data, Tensor):
            raise TypeError(f"Parameter(): argument 'data' must be Tensor, not {type(data).__name__}")
        p = Tensor.__new__(cls)
        p._data, p._be, p._device, p.dtype = data._data, data._be, data._device, data.dtype
        p._version = data._version
        p.grad_fn = None
        p.requires_grad = False
        if requires_grad:
            p.requires_grad_(True)
        return p

    def __init__(self, data=None, requires_grad=True):
        pass

    @classmethod
    def _wrap_like(cls, t, like):
        """``t`` (a fresh copy of ``like``) as a Parameter, keeping ``like``'s flags and gradient."""
        p = cls(t, like.requires_grad)
        if t.grad is not None:
            p._grad = t.grad
        return p

    def __repr__(self):
        return "Parameter containing:\n" + Tensor.__repr__(self)

    __str__ = __repr__

    def __reduce_ex__(self, proto):
        return (_rebuild_parameter, (self.detach(), self.requires_grad))


def _rebuild_parameter(data, requires_grad):
    return Parameter(data, requires_grad)


class _BufferMeta(type):
    # a Buffer is a plain tensor carrying a flag: isinstance(t, Buffer) reads that flag
    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and "_buffer_persistent" in getattr(obj, "__dict__", {})


class Buffer(metaclass=_BufferMeta):
    """Marks a tensor as a buffer when assigned to a Module attribute (``persistent`` buffers are saved).

    Example:
        >>> import ember
        >>> m = ember.nn.Module()
        >>> m.running = ember.nn.Buffer(ember.zeros(2), persistent=False)
        >>> list(m.buffers()), list(m.state_dict())
        ([tensor([0., 0.])], [])
    """

    def __new__(cls, data=None, *, persistent=True):
        t = _empty() if data is None else data.detach()
        t.__dict__["_buffer_persistent"] = persistent
        return t


def is_lazy(module):
    """Whether ``module`` still has uninitialised (lazy) parameters.

    Example:
        >>> import ember
        >>> ember.nn.parameter.is_lazy(ember.nn.Linear(1, 1))
        False
    """
    return any(isinstance(p, UninitializedParameter) for p in module._parameters.values())


class _Uninitialized:
    """A tensor whose shape is not known yet: the ``Lazy*`` layers' parameters and buffers until their first call.

    ``materialize`` gives it a shape (uninitialised values) and turns it into the class it stands
    for; a copy (``copy.deepcopy``, pickling) stays uninitialised.
    """

    becomes = Tensor  # the class after materialize

    def __init__(self, requires_grad=None, device=None, dtype=None):
        pass

    def materialize(self, shape, device=None, dtype=None):
        """Give the tensor ``shape`` (uninitialised values) and turn it into a plain ``becomes``."""
        from .._creation import empty

        t = empty(*shape, device=device or self.device, dtype=dtype or self.dtype)
        self._data, self._be, self._device, self.dtype = t._data, t._be, t._device, t.dtype
        self.__class__ = self.becomes

    @classmethod
    def _wrap_like(cls, t, like):
        return cls(like.requires_grad, t.device, t.dtype)  # deepcopy: still uninitialised

    def __reduce_ex__(self, proto):
        return (type(self), (self.requires_grad, self.device, self.dtype))

    def __repr__(self):
        return f"<{type(self).__name__}>"

    __str__ = __repr__


class UninitializedParameter(_Uninitialized, Parameter):
    """A parameter whose shape is not known yet (used by the ``Lazy*`` layers until their first call).

    Example:
        >>> import ember
        >>> p = ember.nn.UninitializedParameter()
        >>> p
        <UninitializedParameter>
        >>> p.materialize((2, 3)); p.shape, type(p).__name__
        (ember.Size([2, 3]), 'Parameter')
    """

    becomes = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        from .._creation import empty

        return Parameter.__new__(cls, empty(0, device=device, dtype=dtype), requires_grad)


class UninitializedBuffer(_Uninitialized, Tensor):
    """A buffer whose shape is not known yet (the running statistics of the ``LazyBatchNorm*`` layers).

    Example:
        >>> import ember
        >>> b = ember.nn.UninitializedBuffer()
        >>> b
        <UninitializedBuffer>
        >>> b.materialize((2,)); b.shape, type(b).__name__
        (ember.Size([2]), 'Tensor')
    """

    def __new__(cls, requires_grad=False, device=None, dtype=None):
        from .._creation import empty

        t = empty(0, device=device, dtype=dtype)
        b = _make(t._data, t._be, t._device, t.dtype)
        b.__class__ = cls
        b.requires_grad = requires_grad
        return b


__all__ += ["UninitializedParameter", "UninitializedBuffer"]
