"""Tensor methods that are not ops: moving, casting, in-place assignment, operators."""

from __future__ import annotations

from . import _dtype, _tensor as _tensor_mod
from ._device import device as _device_cls
from ._tensor import Tensor, _make, apply, resolve_device
from .autograd import _state
from .ops import elementwise as E
from .ops._util import cast


from .autograd.node import Op  # noqa: E402


class Transfer(Op):
    transfer = True

    def forward(self, be, a, src_be, src_dev, dst_be, dst_dev, non_blocking):
        self.src = (src_be, src_dev)
        self.dest = (dst_be, dst_dev)
        return _move(a, src_be, dst_be, dst_dev, non_blocking)

    def backward(self, g):
        return (g.to(self.src[1]),)


class Overwrite(Op):
    """An in-place write of a value that needs no gradient into a tensor that had a history."""

    def forward(self, be, old, new):
        return new

    def backward(self, g):
        return (g * 0,)


class CopySlices(Op):
    """An in-place write into a view: the base's new value is its old value with the view's region
    (``size``/``stride``/``offset`` in elements from the base's first element) replaced by ``new``.

    Forward writes ``new`` into the region (the view's own memory) and returns the base's array;
    backward gives the base the gradient outside the region and ``new`` the region's gradient.
    """

    def forward(self, be, base, new, region, size, stride, offset):
        self.geometry, self.shape = (size, stride, offset), tuple(base.shape)
        be.assign(region, new)
        return base

    def backward(self, g):
        size, stride, offset = self.geometry
        g = g.contiguous()
        g_base = g_new = None
        if self.next[0]:
            keep = g.new_ones(self.shape)
            keep.as_strided(size, stride, offset).zero_()
            g_base = g * keep
        if self.next[1]:
            g_new = g.as_strided(size, stride, offset).clone()
        return g_base, g_new


def _write_view(self, base, result, op):
    """``self`` (a view of ``base``) takes ``result`` in place, with torch's autograd: ``base`` gets a
    ``CopySlices`` history and ``self`` becomes a view of it. Needs strided memory and a contiguous base."""
    be = self._be
    if base.requires_grad and base.grad_fn is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")
    try:
        _, base_at = be.storage(base._data, op)
        _, view_at = be.storage(self._data, op)
    except NotImplementedError:
        base_at = None
    if base_at is None or not base.is_contiguous():
        raise RuntimeError(f"{op}: in-place change of a view of a tensor that requires grad needs strided memory and "
                           f"a contiguous base here; use the out-of-place form or clone() the view first")
    size, stride = tuple(self.shape), tuple(self.stride())
    new_base = apply(CopySlices, (base, result), self._data, size, stride, view_at - base_at)
    base.grad_fn, base.requires_grad, base._out_idx = new_base.grad_fn, True, 0
    for view in {self, *base.__dict__.get("_views", ())}:  # every live view now reads the new base
        node = new_base.as_strided(tuple(view.shape), tuple(view.stride()), be.storage(view._data, op)[1])
        view.grad_fn, view.requires_grad, view._out_idx = node.grad_fn, True, 0


def _move(arr, src_be, dst_be, dst_dev, non_blocking=False):
    if src_be is dst_be and src_be.index_of(arr) == dst_dev.index:
        return arr
    host = src_be.to_host(arr)
    return dst_be.from_host(host, dst_dev.index)


def _parse_to(args, kwargs):
    dev = kwargs.pop("device", None)
    dt = kwargs.pop("dtype", None)
    non_blocking = kwargs.pop("non_blocking", False)
    copy = kwargs.pop("copy", False)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, _dtype.dtype):
            dt = a
        elif isinstance(a, (str, _device_cls)):
            dev = a
        elif isinstance(a, Tensor):
            dev, dt = a.device, a.dtype
        elif isinstance(a, bool):
            non_blocking = a
        elif isinstance(a, int):
            dev = f"cuda:{a}"
        elif a is None:
            continue
        else:
            raise TypeError(f"to() received an invalid combination of arguments: {type(a).__name__}")
    return dev, dt, non_blocking, copy


def to(self, *args, **kwargs):
    """Move to a device and/or cast to a dtype; returns self if nothing changes.

    Example:
        >>> import ember
        >>> ember.ones(2).to(ember.float64).dtype, ember.ones(2).to("cpu").device
        (ember.float64, device(type='cpu'))
    """
    dev, dt, non_blocking, copy = _parse_to(args, kwargs)
    out = self
    if dev is not None:
        be, d = resolve_device(dev)
        if d != self._device:
            out = apply(Transfer, (self,), self._be, self._device, be, d, non_blocking)
    if dt is not None:
        dt = _dtype.to_dtype(dt)
        if dt is not out.dtype:
            out = cast(out, dt)
    if copy and out is self:
        out = self.clone()
    return out


def cpu(self, memory_format=None):
    """A copy in host memory (self if already there).

    Example:
        >>> import ember
        >>> ember.ones(1).cpu().device.type
        'cpu'
    """
    return to(self, "cpu")


def cuda(self, device=None, non_blocking=False, memory_format=None):
    """A copy on a CUDA device.

    Example:
        >>> import ember
        >>> ember.cuda.is_available() or True
        True
    """
    return to(self, "cuda" if device is None else (f"cuda:{device}" if isinstance(device, int) else device), non_blocking=non_blocking)


def type_(self, dtype=None, non_blocking=False):
    """The dtype's name (no argument), or a cast to ``dtype``.

    Example:
        >>> import ember
        >>> ember.ones(1).type()
        'ember.FloatTensor'
    """
    if dtype is None:
        return f"ember.{_dtype.scalar_name(self.dtype)}Tensor"
    if isinstance(dtype, type) and isinstance(getattr(dtype, "dtype", None), _dtype.dtype):
        dtype = dtype.dtype  # a legacy type such as ember.FloatTensor
    if isinstance(dtype, str):
        for n, d in (("Float", _dtype.float32), ("Double", _dtype.float64), ("Long", _dtype.int64), ("Int", _dtype.int32),
                     ("Half", _dtype.float16), ("Bool", _dtype.bool), ("Byte", _dtype.uint8)):
            if dtype.endswith(n + "Tensor"):
                dtype = d
                break
    return to(self, dtype)


def _caster(name, d):
    def conv(self, memory_format=None):
        return cast(self, d)

    conv.__name__ = name
    conv.__doc__ = f"""``self.to(ember.{d.name})``.

    Example:
        >>> import ember
        >>> ember.tensor([1]).{name}().dtype
        ember.{d.name}
    """
    return conv


def _check_writable(self, op):
    if self.requires_grad and self.grad_fn is None and _state.grad_enabled:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")


def _assign(self, result, op):
    """Make ``result`` the new value of ``self`` in place (the engine of every ``x.op_()``)."""
    if result.shape != self.shape:
        raise RuntimeError(f"{op}: output with shape {list(self.shape)} doesn't match the broadcast shape {list(result.shape)}")
    if result.dtype is not self.dtype:
        if result.dtype.category > self.dtype.category:
            raise RuntimeError(f"{op}: result type {_dtype.scalar_name(result.dtype)} can't be cast to the desired output type {_dtype.scalar_name(self.dtype)}")
        result = cast(result, self.dtype)
    recording = _state.grad_enabled and result.requires_grad
    if not recording and _state.grad_enabled and self.requires_grad:
        _check_writable(self, op)  # a leaf: torch's error
        result = apply(Overwrite, (self,), result._data)  # the old history now gets a zero gradient
        recording = True
    base = getattr(self, "_base", None) if recording else None
    if recording:
        _check_writable(self, op)
        node = result.grad_fn
        if node is not None and getattr(node, "inputs", None):
            # the node saw the old value of self: give it a snapshot before we overwrite it
            node.inputs = tuple(_snapshot(t) if t is self else t for t in node.inputs)
    if base is not None:
        _write_view(self, base, result, op)  # writes the data and rebases both histories
    else:
        self._be.assign(self._data, result._data)
    if _tensor_mod._tracer is not None:
        _tensor_mod._tracer.assigned(self, result)
    ver = self._version
    ver[0] += 1
    ver[1] = op
    if recording and base is None:
        self.grad_fn = result.grad_fn
        self.requires_grad = True
        if hasattr(result, "_out_idx"):
            self._out_idx = result._out_idx
        if self.grad_fn.save_output and getattr(self.grad_fn, "_out", None) is not None:
            o = self.grad_fn._out
            self.grad_fn._out = (self._data,) + o[1:4] + (ver, ver[0])
    elif self.grad_fn is not None and not _state.grad_enabled:
        pass
    return self


def _snapshot(t):
    s = _make(t._be.copy(t._data), t._be, t._device, t.dtype)
    s.requires_grad, s.grad_fn = t.requires_grad, t.grad_fn
    s._version = [t._version[0], None]  # frozen at the version the node saw
    if hasattr(t, "_out_idx"):
        s._out_idx = t._out_idx
    return s


def _fill_from(self, array, op):
    _check_writable(self, op)
    self._be.assign(self._data, array)
    self._version[0] += 1
    self._version[1] = op
    return self


def fill_(self, value):
    """Fill with ``value`` in place.

    Example:
        >>> import ember
        >>> ember.zeros(2).fill_(3)
        tensor([3., 3.])
    """
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with {value.ndim} dimensions.")
        if value.requires_grad and _state.grad_enabled:
            return _assign(self, value.to(self.dtype).expand(self.shape) + 0, "fill_")
        value = value.item()
    if _state.grad_enabled and self.requires_grad:
        return _assign(self, self.detach().new_full(tuple(self.shape), value), "fill_")
    return _fill_from(self, self._be.full(tuple(self.shape), value, self._data.dtype, self._device.index), "fill_")


def zero_(self):
    """Fill with zeros in place.

    Example:
        >>> import ember
        >>> ember.ones(2).zero_()
        tensor([0., 0.])
    """
    return fill_(self, 0)


def copy_(self, src, non_blocking=False):
    """Copy ``src`` (broadcast, cast and moved as needed) into self.

    Example:
        >>> import ember
        >>> ember.zeros(2).copy_(ember.tensor([1, 2]))
        tensor([1., 2.])
    """
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'src' must be Tensor, not {type(src).__name__}")
    value = src.to(self._device).to(self.dtype)
    if value.shape != self.shape:
        value = value.expand(self.shape)
    if _state.grad_enabled and (value.requires_grad or self.requires_grad):
        return _assign(self, value + 0 if value is src else value * 1, "copy_")
    return _fill_from(self, value._data, "copy_")


def _binop(fn, swap=False):
    if swap:
        def op(self, other):
            return fn(other, self)
    else:
        def op(self, other):
            return fn(self, other)
    return op


def _iop(fn, name):
    def op(self, other):
        return _assign(self, fn(self, other), name)
    return op


def _rsub(self, other):
    return E.sub(other, self)


def _rpow(self, other):
    return E.pow(other, self)


def _invert(self):
    if self.dtype.category > 1:
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
    from .ops.bitwise import bitwise_not

    return bitwise_not(self)


def _matmul(self, other):
    from .ops.linalg import matmul

    return matmul(self, other)


def _rmatmul(self, other):
    from .ops.linalg import matmul

    return matmul(other, self)


def install():
    T = Tensor
    T.to, T.cpu, T.cuda, T.type = to, cpu, cuda, type_
    for name, d in (("float", _dtype.float32), ("double", _dtype.float64), ("half", _dtype.float16),
                    ("bfloat16", _dtype.bfloat16), ("long", _dtype.int64), ("int", _dtype.int32),
                    ("short", _dtype.int16), ("char", _dtype.int8), ("byte", _dtype.uint8), ("bool", _dtype.bool),
                    ("cfloat", _dtype.complex64), ("cdouble", _dtype.complex128)):
        setattr(T, name, _caster(name, d))
    T._assign, T._fill_from, T._check_writable = _assign, _fill_from, _check_writable
    T.fill_, T.zero_, T.copy_ = fill_, zero_, copy_
    T.__add__ = T.__radd__ = _binop(E.add)
    T.__sub__ = _binop(E.sub)
    T.__rsub__ = _rsub
    T.__mul__ = T.__rmul__ = _binop(E.mul)
    T.__truediv__ = _binop(E.div)
    T.__rtruediv__ = _binop(E.div, swap=True)
    T.__floordiv__ = _binop(E.floor_divide)
    T.__rfloordiv__ = _binop(E.floor_divide, swap=True)
    T.__pow__ = _binop(E.pow)
    T.__rpow__ = _rpow
    T.__matmul__ = _matmul
    T.__rmatmul__ = _rmatmul
    T.__neg__ = E.neg
    T.__pos__ = lambda self: self
    T.__abs__ = E.abs
    for name, fn in (("add", E.add), ("sub", E.sub), ("mul", E.mul), ("truediv", E.div), ("floordiv", E.floor_divide), ("pow", E.pow)):
        setattr(T, f"__i{name}__", _iop(fn, f"__i{name}__"))
    T.__imatmul__ = _iop(_matmul, "__imatmul__")
    for sym, name in (("eq", "eq"), ("ne", "ne"), ("lt", "lt"), ("le", "le"), ("gt", "gt"), ("ge", "ge")):
        setattr(T, f"__{sym}__", getattr(E, name))
    from .ops import bitwise as B

    for sym, fn in (("and", B.bitwise_and), ("or", B.bitwise_or), ("xor", B.bitwise_xor), ("mod", E.remainder),
                    ("lshift", B.bitwise_left_shift), ("rshift", B.bitwise_right_shift)):
        setattr(T, f"__{sym}__", _binop(fn))
        setattr(T, f"__r{sym}__", _binop(fn, swap=True))
        setattr(T, f"__i{sym}__", _iop(fn, f"__i{sym}__"))
    T.__invert__ = _invert
    T.__hash__ = object.__hash__
