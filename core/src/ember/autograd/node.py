"""Graph nodes. Every primitive op is a subclass of :class:`Op`: its forward on
backend arrays and its backward in Ember ops, side by side. An instance of the
op is the node that records one call in the autograd graph.
"""

from __future__ import annotations

import itertools

from . import _state

_seq = itertools.count()


class Op:
    """Base class of primitive ops.

    Subclasses define ``forward(self, be, *arrays_and_args)`` returning an array
    (or a tuple of arrays) computed with ``be.xp``, and ``backward(self, grad)``
    returning one gradient (Tensor or None) per tensor input, computed with Ember
    ops so that double backward works. They may stash arrays on ``self`` in
    forward for use in backward.

    Class attributes:
        save_inputs: keep the input tensors as ``self.inputs`` for backward.
        save_output: keep the output, read back as ``self.output``.
        view: the output shares the input's storage (and version counter).
        nondiff_outputs: indices of outputs that never require grad.
    """

    save_inputs = False
    save_output = False
    view = False
    nondiff_outputs = ()
    transfer = False  # the output lives on another device: forward sets self.dest = (backend, device)
    n_outputs = 1  # multi-output nodes set their own count when recorded

    __slots__ = ("next", "seq", "inputs", "_versions", "_out", "out_hooks", "released", "trace", "__dict__")

    def forward(self, be, *args):
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError(f"{type(self).__name__} has no backward")

    # --- torch-compatible introspection -------------------------------------
    torch_name = None  # torch's name for the node where it differs from ``<class>Backward0`` (see :func:`named`)

    def name(self):
        return self.torch_name or f"{type(self).__name__}Backward0"

    def __repr__(self):
        return f"<{self.name()} object at {id(self):#x}>"

    @property
    def next_functions(self):
        return tuple((None, 0) if e is None else (e[0] if isinstance(e[0], Op) else AccumulateGrad(e[0]), e[1])
                     for e in self.next)

    @property
    def metadata(self):
        """A dict for your own annotations of this node (kept until the graph is freed)."""
        return self.__dict__.setdefault("_metadata", {})

    def register_hook(self, hook):
        """Call ``hook(grad_inputs, grad_outputs)`` after this node's backward; it may return new grad_inputs.

        Example:
            >>> import ember
            >>> x = ember.ones(2, requires_grad=True); y = x * 2
            >>> h = y.grad_fn.register_hook(lambda gi, go: (gi[0] * 10, None))
            >>> y.sum().backward(); x.grad
            tensor([20., 20.])
        """
        from ._engine import RemovableHandle

        return RemovableHandle(self.__dict__.setdefault("_node_hooks", {}), hook)

    def register_prehook(self, hook):
        """Call ``hook(grad_outputs)`` before this node's backward; it may return new grad_outputs.

        Example:
            >>> import ember
            >>> x = ember.ones(2, requires_grad=True); y = x * 2
            >>> h = y.grad_fn.register_prehook(lambda go: (go[0] * 0,))
            >>> y.sum().backward(); x.grad
            tensor([0., 0.])
        """
        from ._engine import RemovableHandle

        return RemovableHandle(self.__dict__.setdefault("_node_prehooks", {}), hook)

    # --- saved values -----------------------------------------------------------
    def saved(self):
        """The saved input tensors, checked against in-place changes since forward."""
        if self.released:
            _raise_freed(self)
        inputs = self.inputs
        if inputs is None:  # packed by saved_tensors_hooks: unpacked on each access, as torch (no version check)
            unpack, packed, _ = self.__dict__["_packed"]
            return tuple([_restore(unpack(p), e) for p, e in zip(packed, self.next)])
        for t, v in zip(inputs, self._versions):
            if t._version[0] != v:
                _raise_modified(self, t, v)
        return inputs

    @property
    def output(self):
        """The op's output as a tensor whose grad_fn is this node (for double backward)."""
        if self.released:
            _raise_freed(self)
        from .._tensor import _make

        if self._out is None:  # packed by saved_tensors_hooks
            unpack, _, packed = self.__dict__["_packed"]
            return _restore(unpack(packed), (self, 0))
        data, be, dev, dtype, version, snapshot = self._out
        t = _make(data, be, dev, dtype)
        if version[0] != snapshot:
            t._version = version
            _raise_modified(self, t, snapshot, what="output")
        t.requires_grad = True
        t.grad_fn = self
        return t

    def _pack_saved(self, out):
        """Hand what this node saves (its inputs, its output ``out``) to the active ``saved_tensors_hooks``.

        Called by ``apply`` only while hooks are active; the node then keeps the packed values
        and calls the unpack hook whenever backward reads them.
        """
        if not (self.save_inputs or self.save_output):
            return
        pack, unpack = _state.saved_hooks
        packed_inputs = packed_out = None
        if self.save_inputs:
            packed_inputs = [_pack_tensor(pack, t) for t in self.inputs]
            self.inputs = None
        if self.save_output and out is not None:
            packed_out = _pack_tensor(pack, out)
            self._out = None
        self.__dict__["_packed"] = (unpack, packed_inputs, packed_out)

    def release(self):
        self.inputs = None
        self._out = None
        self.released = True
        d = self.__dict__
        if d:
            name = d.get("torch_name")
            d.clear()
            if name:  # the node keeps its torch name after backward, like torch's
                self.torch_name = name


def _pack_tensor(pack, t):
    """``pack(t)`` with recording off, refusing a hook that changes ``t`` in place (as torch)."""
    version = t._version[0]
    prev, _state.grad_enabled = _state.grad_enabled, False
    try:
        packed = pack(t)
    finally:
        _state.grad_enabled = prev
    if t._version[0] != version:
        raise RuntimeError(
            "A saved tensor pack hook is modifying its input in place. Tensors provided as input to pack hook "
            "cannot be modified by in-place operations as this can lead to unexpected side-effects. Please open "
            "an issue if you need to perform in-place operations on the input to a pack hook."
        )
    return packed


def _restore(value, edge):
    """The unpack hook's result ``value`` given the graph place ``edge`` the saved tensor had (None: none).

    Like torch, only the data comes from the hook: the result routes gradients to the original
    node or leaf, so double backward through unpacked tensors reaches the original graph.
    """
    from .._tensor import Tensor, _make

    if not isinstance(value, Tensor):
        raise TypeError(f"Output of saved tensor unpack_hook expected to be a Tensor but got result of type "
                        f"{type(value).__name__}")
    if edge is None:
        return value.detach() if value.requires_grad else value
    source, idx = edge
    if value is source or (value.grad_fn is source and value._idx() == idx):
        return value
    t = _make(value._data, value._be, value._device, value.dtype)
    t.requires_grad = True
    if isinstance(source, Op):
        t.grad_fn, t._out_idx = source, idx
    else:  # a leaf: a pass-through node sends the gradient on to it
        node = _SavedLeaf()
        node.next, node.seq, node.released = (edge,), next(_seq), False
        t.grad_fn, t._out_idx = node, 0
    return t


class _SavedLeaf(Op):
    """The node behind an unpacked copy of a saved leaf: passes the gradient on to the leaf."""

    def backward(self, g):
        return (g,)


def _raise_freed(node):
    raise RuntimeError(
        f"Trying to backward through the graph a second time (or directly access saved tensors "
        f"after they have already been freed) in {node.name()}. Saved intermediate values of the "
        f"graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True "
        f"if you need to backward through the graph a second time or if you need to access saved "
        f"tensors after calling backward."
    )


class AccumulateGrad:
    """What ``next_functions`` shows for a leaf: ``.variable`` is the leaf tensor."""

    __slots__ = ("variable",)
    next_functions = ()

    def __init__(self, variable):
        self.variable = variable

    def name(self):
        return "torch::autograd::AccumulateGrad"

    def __repr__(self):
        return f"<AccumulateGrad object at {id(self):#x}>"

    @property
    def metadata(self):
        """A dict for your own annotations, kept with the leaf.

        Example:
            >>> import ember
            >>> x = ember.ones(1, requires_grad=True)
            >>> ember.autograd.graph.get_gradient_edge(x).node.metadata["tag"] = 1
            >>> ember.autograd.graph.get_gradient_edge(x).node.metadata
            {'tag': 1}
        """
        return self.variable.__dict__.setdefault("_acc_metadata", {})

    def register_prehook(self, hook):
        """Call ``hook((grad,))`` before the gradient is accumulated into the leaf; it may return ``(new_grad,)``.

        Example:
            >>> import ember
            >>> x = ember.ones(2, requires_grad=True)
            >>> acc = (x * 2).grad_fn.next_functions[0][0]
            >>> h = acc.register_prehook(lambda go: (go[0] * 10,))
            >>> (x * 2).sum().backward(); x.grad
            tensor([20., 20.])
        """
        def as_tensor_hook(grad):
            r = hook((grad,))
            return None if r is None else r[0]

        return self.variable.register_hook(as_tensor_hook)


def _raise_modified(node, t, expected, what="input"):
    ver = t._version
    by = f" by the in-place op '{ver[1]}'" if ver[1] else ""
    shape = "x".join(map(str, t.shape)) or "scalar"
    raise RuntimeError(
        f"one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: the {what} of shape [{shape}] saved by {node.name()} was modified{by}; it is at "
        f"version {ver[0]}; expected version {expected} instead. Hint: replace the in-place op with its "
        f"out-of-place form, or clone the tensor before changing it."
    )


def anomaly_trace():
    """The current Python stack as text lines, without Ember's own recording frames."""
    if not _state.anomaly:
        return None
    import traceback

    frames = traceback.extract_stack()[:-1]
    while frames and frames[-1].filename.endswith(_RECORDING_FILES):
        frames.pop()
    return traceback.format_list(frames)


_RECORDING_FILES = tuple(f"ember{sep}{name}" for sep in "/\\" for name in ("_tensor.py", "autograd" + sep + "function.py"))


def named(tensor, name):
    """Give ``tensor``'s graph node torch's name for it (``grad_fn.name()`` and the tensor's repr); returns ``tensor``.

    Functions composed of several primitives label their result like torch's single node,
    e.g. ``mse_loss`` -> ``MseLossBackward0``.

    Example:
        >>> import ember
        >>> x = ember.ones(2, requires_grad=True)
        >>> named(x * 2, "MyOpBackward0").grad_fn.name()
        'MyOpBackward0'
    """
    fn = tensor.grad_fn
    if fn is not None:
        fn.torch_name = name
    return tensor
