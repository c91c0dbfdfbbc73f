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

    __slots__ = ("next", "seq", "inputs", "_versions", "_out", "out_hooks", "released", "trace", "__dict__")

    def forward(self, be, *args):
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError(f"{type(self).__name__} has no backward")

    # --- torch-compatible introspection -------------------------------------
    def name(self):
        return f"{type(self).__name__}Backward0"

    def __repr__(self):
        return f"<{self.name()} object at {id(self):#x}>"

    @property
    def next_functions(self):
        return tuple((_torch_fn(fn), idx) if fn is not None else (None, 0) for fn, idx in self.next)

    def register_hook(self, hook):
        """Call ``hook(grad_inputs, grad_outputs)`` after this node's backward (not supported yet: raises)."""
        raise NotImplementedError("Node.register_hook is not supported; register hooks on tensors instead")

    # --- saved values -----------------------------------------------------------
    def saved(self):
        """The saved input tensors, checked against in-place changes since forward."""
        if self.released:
            raise RuntimeError(
                f"Trying to backward through the graph a second time (or directly access saved tensors "
                f"after they have already been freed) in {self.name()}. Saved intermediate values of the "
                f"graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True "
                f"if you need to backward through the graph a second time or if you need to access saved "
                f"tensors after calling backward."
            )
        inputs = self.inputs
        for t, v in zip(inputs, self._versions):
            if t._version[0] != v:
                _raise_modified(self, t, v)
        return inputs

    @property
    def output(self):
        """The op's output as a tensor whose grad_fn is this node (for double backward)."""
        if self.released:
            self.saved()  # raises the freed-graph error
        from .._tensor import _make

        data, be, dev, dtype, version, snapshot = self._out
        t = _make(data, be, dev, dtype)
        if version[0] != snapshot:
            t._version = version
            _raise_modified(self, t, snapshot, what="output")
        t.requires_grad = True
        t.grad_fn = self
        return t

    def release(self):
        self.inputs = None
        self._out = None
        self.released = True
        d = self.__dict__
        if d:
            d.clear()


def _torch_fn(fn):
    return fn.grad_accumulator() if hasattr(fn, "grad_accumulator") else fn


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
    if not _state.anomaly:
        return None
    import traceback

    return traceback.format_stack()[:-3]
