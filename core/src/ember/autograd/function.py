"""Custom differentiable functions: subclass :class:`Function` with static ``forward`` and ``backward``.

The ``ctx`` handed to both is the graph node itself (an :class:`~ember.autograd.Op`
made for the Function class), so the engine runs custom functions like any
primitive: ``forward`` runs on the caller's tensors with recording off, and the
node's backward calls the user's ``backward`` and checks what it returns.
"""

from __future__ import annotations

import functools

from . import _state
from .node import Op, _pack_tensor, _raise_freed, _raise_modified, _restore, _seq, anomaly_trace

_tensor = None  # ember._tensor, bound on first use (it imports this package)


def _tensor_module():
    global _tensor
    if _tensor is None:
        from .. import _tensor
    return _tensor


class FunctionCtx:
    """What ``ctx`` offers inside a custom :class:`Function`'s ``forward`` and ``backward``."""

    __slots__ = ()

    def save_for_backward(self, *tensors):
        """Keep ``tensors`` (or None) for backward, where ``ctx.saved_tensors`` returns them.

        They are checked there against in-place changes made since they were saved.
        """
        Tensor = _tensor_module().Tensor
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument {i} is of type {type(t).__name__}")
        self._to_save = tuple(None if t is None else (t, t._version[0]) for t in tensors)

    def mark_dirty(self, *tensors):
        """Declare the input tensors ``forward`` changed in place (it must return them)."""
        self._dirty = {id(t) for t in tensors}

    def mark_non_differentiable(self, *tensors):
        """Declare outputs that never require grad (backward still receives a gradient slot for them)."""
        self._non_differentiable = {id(t) for t in tensors}

    def set_materialize_grads(self, value):
        """Whether missing output gradients reach ``backward`` as zeros (default) or as None."""
        self.materialize_grads = bool(value)

    @property
    def saved_tensors(self):
        """The tensors given to ``save_for_backward``, checked against in-place changes."""
        if self.released:
            _raise_freed(self)
        packed = self.__dict__.get("_packed")
        if packed is not None:  # saved under saved_tensors_hooks: unpacked on each access
            unpack, entries = packed
            return tuple(None if e is None else _restore(unpack(e[0]), e[1]) for e in entries)
        out = []
        for entry in self.__dict__.get("_saved", ()):
            if entry is None:
                out.append(None)
                continue
            t, version = entry
            if type(t) is int:  # an output of this node, kept as its parts to avoid a reference cycle
                t = self._output(t)
            if t._version[0] != version:
                _raise_modified(self, t, version, what="saved tensor")
            out.append(t)
        return tuple(out)

    saved_variables = saved_tensors


class BackwardCFunction(Op, FunctionCtx):
    """The graph node (and ``ctx``) of one call of a custom :class:`Function`."""

    _forward_cls = None
    materialize_grads = True
    needs_input_grad = ()

    def name(self):
        return type(self).__name__

    def _output(self, i):
        data, be, dev, dtype, version = self._outputs[i]
        t = _tensor_module()._make(data, be, dev, dtype)
        t._version = version
        t.requires_grad, t.grad_fn, t._out_idx = True, self, i
        return t

    def backward(self, *grads):
        if self.materialize_grads:
            grads = tuple(self._zeros(i) if g is None else g for i, g in enumerate(grads))
        result = self._forward_cls.backward(self, *grads)
        if type(result) is not tuple:
            result = tuple(result) if type(result) is list else (result,)
        n = len(self.next)
        if len(result) != n:
            if len(result) < n or any(g is not None for g in result[n:]):
                raise RuntimeError(f"function {self.name()} returned an incorrect number of gradients (expected {n}, got {len(result)})")
            result = result[:n]
        return tuple(self._checked(i, g) for i, g in enumerate(result))

    def _zeros(self, i):
        meta = self._out_meta[i]
        if meta is None:
            return None
        shape, dtype, be, dev = meta
        return _tensor_module()._make(be.full(shape, 0, be.native_dtype(dtype), dev.index), be, dev, dtype)

    def _checked(self, i, g):
        """Gradient ``g`` for input ``i``, reduced, cast and validated against that input."""
        meta = self._in_meta[i]
        if g is None:
            return None
        if meta is None:
            raise RuntimeError(f"function {self.name()} returned a gradient different than None at position {i + 1}, "
                               f"but the corresponding forward input was not a Variable")
        if self.next[i] is None:
            return None
        shape, dtype, dev = meta
        if g.shape != shape:
            if not _expandable(shape, g.shape):
                raise RuntimeError(f"Function {self.name()} returned an invalid gradient at index {i} - got "
                                   f"{list(g.shape)} but expected shape compatible with {list(shape)}")
            from ..ops._util import sum_to

            g = sum_to(g, shape)
        if g._device != dev:
            raise RuntimeError(f"Function {self.name()} returned an invalid gradient at index {i} - expected device "
                               f"{dev} but got {g._device}")
        if g.dtype is not dtype:
            g = g.to(dtype)
        return g


def _expandable(shape, target):
    if len(shape) > len(target):
        return False
    return all(s == t or s == 1 for s, t in zip(reversed(shape), reversed(target)))


class Function:
    """Base class of custom differentiable operations (``torch.autograd.Function``).

    Define static ``forward(ctx, *args, **kwargs)`` and ``backward(ctx, *grad_outputs)``
    (returning one gradient per ``forward`` argument, None for non-tensors), or a
    ``forward(*args)`` plus ``setup_context(ctx, inputs, output)``; call ``apply``.

    Example:
        >>> import ember
        >>> class Cube(ember.autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         ctx.save_for_backward(x)
        ...         return x ** 3
        ...     @staticmethod
        ...     def backward(ctx, g):
        ...         (x,) = ctx.saved_tensors
        ...         return 3 * x ** 2 * g
        >>> x = ember.tensor([1.0, 2.0], requires_grad=True)
        >>> y = Cube.apply(x); y
        tensor([1., 8.], grad_fn=<CubeBackward>)
        >>> y.sum().backward(); x.grad
        tensor([ 3., 12.])
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._backward_cls = type(f"{cls.__name__}Backward", (BackwardCFunction,),
                                 {"_forward_cls": cls, "__module__": cls.__module__, "__slots__": ()})

    def __call__(self, *args, **kwargs):
        raise RuntimeError("Legacy autograd function with non-static forward method is deprecated. "
                           "Please use new-style autograd function with static forward method. "
                           f"(Example: call {type(self).__name__}.apply(...) instead.)")

    @staticmethod
    def forward(ctx, *args, **kwargs):
        """Compute the outputs from the inputs (runs with gradient recording off)."""
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        """Optional: fill ``ctx`` from the inputs and output when ``forward`` does not take ``ctx``."""
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        """Gradients for each forward input from the gradients of each output."""
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError("Ember has no forward-mode AD: jvp is not supported for custom Functions.")

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run the function on ``args``, recording it in the graph when an input requires grad."""
        T = _tensor_module()
        Tensor = T.Tensor
        node = cls._backward_cls()
        node.released = False
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        record = _state.grad_enabled and any(needs)
        node.needs_input_grad = needs if record else (False,) * len(args)
        prev = _state.grad_enabled
        _state.grad_enabled = False
        try:
            if cls.setup_context is not Function.setup_context:
                out = cls.forward(*args, **kwargs)
                cls.setup_context(node, args, out)
            else:
                out = cls.forward(node, *args, **kwargs)
        finally:
            _state.grad_enabled = prev
        return _wrap_outputs(T, node, args, out, record)


def _alias(T, t):
    """A new tensor object over ``t``'s data and version counter."""
    a = T._make(t._data, t._be, t._device, t.dtype)
    a._version = t._version
    return a


def _wrap_outputs(T, node, args, out, record):
    """Attach the outputs of ``forward`` to ``node`` and turn the saved tensors into backward's form."""
    Tensor = T.Tensor
    single = not isinstance(out, tuple)
    outs = [out] if single else list(out)
    d = node.__dict__
    dirty = d.pop("_dirty", ())
    nondiff = d.pop("_non_differentiable", ())
    to_save = d.pop("_to_save", ())
    inputs = {id(a) for a in args if isinstance(a, Tensor)}
    if record:  # edges first: a dirty output is an input that is about to get this node as grad_fn
        node.next = tuple([T._edge(a) if isinstance(a, Tensor) else None for a in args])
        node._in_meta = tuple((a.shape, a.dtype, a._device) if isinstance(a, Tensor) else None for a in args)
    seen = set()
    out_meta = []
    out_ids = {}
    for i, o in enumerate(outs):
        if not isinstance(o, Tensor):
            out_meta.append(None)
            continue
        key = id(o)
        if key in dirty:
            if record and o.grad_fn is None and o.requires_grad:
                raise RuntimeError("a leaf Variable that requires grad has been used in an in-place operation.")
            o._version[0] += 1  # as torch: marking dirty counts as a modification
        elif key in inputs or key in seen:
            o = outs[i] = _alias(T, o)
        seen.add(id(o))
        out_ids.setdefault(key, i)
        out_meta.append((tuple(o._data.shape), o.dtype, o._be, o._device))
        if record and key not in nondiff and o.dtype.category >= 2:
            o.requires_grad, o.grad_fn, o._out_idx = True, node, i
    if record:
        node.seq = next(_seq)
        node._out_meta = out_meta
        if len(outs) > 1:
            node.n_outputs = len(outs)
        if _state.anomaly:
            node.trace = anomaly_trace()
    saved = []
    outputs = {}
    for entry in to_save:
        if entry is not None and record and id(entry[0]) in out_ids and outs[out_ids[id(entry[0])]].grad_fn is node:
            i = out_ids[id(entry[0])]
            o = outs[i]
            outputs[i] = (o._data, o._be, o._device, o.dtype, o._version)
            entry = (i, entry[1])
        saved.append(entry)
    if record and _state.saved_hooks is not None:
        node._packed = _packed(T, node, outs, saved)
        saved, outputs = (), {}
    node._saved = saved
    node._outputs = outputs
    return outs[0] if single else tuple(outs)


def _packed(T, node, outs, saved):
    """The saved tensors handed to the active ``saved_tensors_hooks``: ``(unpack, [(packed, edge) or None])``."""
    pack, unpack = _state.saved_hooks
    entries = []
    for entry in saved:
        if entry is None:
            entries.append(None)
        elif type(entry[0]) is int:  # one of this node's outputs
            entries.append((_pack_tensor(pack, outs[entry[0]]), (node, entry[0])))
        else:
            entries.append((_pack_tensor(pack, entry[0]), T._edge(entry[0])))
    return unpack, entries


class _DelayedError(Op):
    """The node behind a ``once_differentiable`` backward's outputs: differentiating it raises."""

    def name(self):
        return "Error"

    def backward(self, *grads):
        raise RuntimeError("trying to differentiate twice a function that was marked with @once_differentiable")


def once_differentiable(fn):
    """Decorate a custom Function's ``backward`` that is not itself differentiable.

    It runs with recording off; asking for a higher-order gradient through it raises.

    Example:
        >>> import ember
        >>> from ember.autograd.function import once_differentiable
        >>> class Square(ember.autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         ctx.save_for_backward(x)
        ...         return x * x
        ...     @staticmethod
        ...     @once_differentiable
        ...     def backward(ctx, g):
        ...         (x,) = ctx.saved_tensors
        ...         return 2 * x * g
        >>> x = ember.tensor(3.0, requires_grad=True)
        >>> ember.autograd.grad(Square.apply(x), x)
        (tensor(6.),)
    """

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        prev = _state.grad_enabled
        _state.grad_enabled = False
        try:
            outputs = fn(ctx, *args)
        finally:
            _state.grad_enabled = prev
        if not prev:
            return outputs
        T = _tensor_module()
        requiring = [a for a in args if isinstance(a, T.Tensor) and a.requires_grad]
        if not requiring:
            return outputs
        err = _DelayedError()
        err.next = tuple([T._edge(a) for a in requiring])
        err.seq = next(_seq)
        err.released = False
        single = not isinstance(outputs, tuple)
        outs = [outputs] if single else list(outputs)
        if len(outs) > 1:
            err.n_outputs = len(outs)
        for i, o in enumerate(outs):
            if isinstance(o, T.Tensor) and o.dtype.category >= 2:
                o = outs[i] = _alias(T, o)
                o.requires_grad, o.grad_fn, o._out_idx = True, err, i
        return outs[0] if single else tuple(outs)

    return wrapper
