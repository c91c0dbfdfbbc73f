"""The backward pass: an iterative walk of the graph in reverse creation order."""

from __future__ import annotations

import itertools

from . import _state

_handle_ids = itertools.count()


class RemovableHandle:
    """Returned by ``register_*hook``; ``remove()`` unregisters the hook.

    Example:
        >>> import ember
        >>> x = ember.ones(1, requires_grad=True)
        >>> h = x.register_hook(lambda g: g * 0); h.remove()
        >>> x.sum().backward(); x.grad
        tensor([1.])
    """

    def __init__(self, hooks, hook):
        self.hooks, self.id = hooks, next(_handle_ids)
        hooks[self.id] = hook

    def remove(self):
        self.hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _as_tuple(x):
    if x is None:
        return None
    from .._tensor import Tensor

    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _initial_grads(outputs, grad_outputs):
    from .._creation import ones_like

    grads = []
    for i, out in enumerate(outputs):
        g = None if grad_outputs is None else grad_outputs[i]
        if g is None:
            if out.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            g = ones_like(out)
        elif g.shape != out.shape:
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {tuple(g.shape)} and output[{i}] has a shape of {tuple(out.shape)}."
            )
        grads.append(g)
    return grads


def _collect(roots):
    """All nodes reachable from ``roots``, sorted so each comes before its inputs."""
    from .._tensor import Tensor

    seen = set()
    order = []
    stack = [fn for fn in roots if fn is not None]
    while stack:
        fn = stack.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        order.append(fn)
        for edge in fn.next:
            if edge is not None:
                nxt = edge[0]
                if id(nxt) not in seen and not isinstance(nxt, Tensor):
                    stack.append(nxt)
    order.sort(key=_seq_of, reverse=True)
    return order


def _seq_of(fn):
    return fn.seq


def _add(a, b):
    return b if a is None else a + b


def run_backward(outputs, grad_outputs, retain_graph, create_graph, capture=None):
    """Propagate gradients from ``outputs``.

    Returns a dict ``id(leaf) -> (leaf, grad)`` for leaves reached, and fills
    ``capture`` (key -> grad) for non-leaf tensors named there by ``(node, idx)``.
    """
    if retain_graph is None:
        retain_graph = create_graph
    from .._tensor import Tensor

    buffers = {}  # id(node) -> list of per-output grads
    leaf_grads = {}
    roots = []
    for out, g in zip(outputs, grad_outputs):
        if not out.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
        fn = out.grad_fn
        if fn is None:
            prev = leaf_grads.get(id(out))
            leaf_grads[id(out)] = (out, g if prev is None else prev[1] + g)
            continue
        idx = out._idx()
        buf = buffers.setdefault(id(fn), [None] * getattr(fn, "n_outputs", 1))
        buf[idx] = _add(buf[idx], g)
        roots.append(fn)

    prev_mode = _state.grad_enabled
    _state.grad_enabled = create_graph
    try:
        for fn in _collect(roots):
            grads = buffers.pop(id(fn), None)
            if grads is None:
                continue
            if fn.released:
                fn.saved()  # raises the "backward through the graph a second time" error
            hooks = fn.__dict__.get("_out_hooks")
            if hooks:
                for idx, hs in hooks.items():
                    for h in list(hs.values()):
                        if grads[idx] is not None:
                            r = h(grads[idx])
                            if r is not None:
                                grads[idx] = r
            if capture is not None:
                for idx, g in enumerate(grads):
                    key = (id(fn), idx)
                    if key in capture:
                        capture[key] = g
            n = getattr(fn, "n_outputs", 1)
            if n == 1:
                in_grads = fn.backward(grads[0])
            else:
                in_grads = fn.backward(*grads)
            if type(in_grads) is not tuple:
                in_grads = (in_grads,)
            if _state.anomaly:
                _check_anomaly(fn, in_grads)
            for edge, g in zip(fn.next, in_grads):
                if edge is None or g is None:
                    continue
                target, idx = edge
                if isinstance(target, Tensor):
                    prev = leaf_grads.get(id(target))
                    leaf_grads[id(target)] = (target, g if prev is None else prev[1] + g)
                else:
                    buf = buffers.get(id(target))
                    if buf is None:
                        buf = buffers[id(target)] = [None] * getattr(target, "n_outputs", 1)
                    buf[idx] = _add(buf[idx], g)
            if not retain_graph:
                fn.release()
    finally:
        _state.grad_enabled = prev_mode
    return leaf_grads


def _check_anomaly(fn, grads):
    for g in grads:
        if g is not None and g.dtype.category >= 2 and bool((g != g).any()):
            where = "".join(fn.__dict__.get("trace") or ["    (no forward trace was recorded)\n"])
            raise RuntimeError(
                f"Function '{fn.name()}' returned nan values in its 0th output.\n"
                f"Forward call that created it:\n{where}"
            )


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate gradients of ``tensors`` into the ``.grad`` of graph leaves.

    Example:
        >>> import ember
        >>> x = ember.ones(3, requires_grad=True)
        >>> ember.autograd.backward([(x * 2).sum()]); x.grad
        tensor([2., 2., 2.])
    """
    tensors = _as_tuple(tensors)
    grad_tensors = _as_tuple(grad_tensors)
    grads = _initial_grads(tensors, grad_tensors)
    inputs = _as_tuple(inputs)
    if inputs is not None and len(inputs) == 0:
        raise RuntimeError("backward() received an empty list of inputs")
    capture = None
    if inputs is not None:
        capture = {(id(t.grad_fn), t._idx()): None for t in inputs if t.grad_fn is not None}
    leaf_grads = run_backward(tensors, grads, retain_graph, create_graph, capture)
    allowed = None if inputs is None else {id(t) for t in inputs}
    for key, (leaf, g) in leaf_grads.items():
        if allowed is not None and key not in allowed:
            continue
        _accumulate(leaf, g, create_graph)
    if inputs is not None:
        for t in inputs:
            if t.grad_fn is not None:
                g = capture.get((id(t.grad_fn), t._idx()))
                if g is not None:
                    t._grad = g if t.grad is None else t.grad + g


def _accumulate(leaf, g, create_graph):
    hooks = leaf.__dict__.get("_leaf_hooks")
    if hooks:
        for h in list(hooks.values()):
            r = h(g)
            if r is not None:
                g = r
    old = leaf.grad
    if old is None:
        # own the gradient: the one handed in may alias another leaf's or be a broadcast view
        leaf._grad = g if create_graph else _owned(g)
    elif create_graph or old.requires_grad:
        leaf._grad = old + g
    else:
        old._data += g._data
        old._version[0] += 1
    post = leaf.__dict__.get("_post_hooks")
    if post:
        for h in list(post.values()):
            h(leaf)


def _owned(g):
    from .._tensor import _make

    return _make(g._be.copy(g._data), g._be, g._device, g.dtype)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Gradients of ``outputs`` with respect to ``inputs``, returned (not accumulated).

    Example:
        >>> import ember
        >>> x = ember.tensor(2.0, requires_grad=True)
        >>> (g,) = ember.autograd.grad(x ** 3, x, create_graph=True); g
        tensor(12., grad_fn=<MulBackward0>)
        >>> ember.autograd.grad(g, x)[0]
        tensor(12.)
    """
    outputs = _as_tuple(outputs)
    single = not isinstance(inputs, (tuple, list))
    inputs = _as_tuple(inputs)
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    grads = _initial_grads(outputs, _as_tuple(grad_outputs))
    capture = {(id(t.grad_fn), t._idx()): None for t in inputs if t.grad_fn is not None}
    leaf_grads = run_backward(outputs, grads, retain_graph, create_graph, capture)
    result = []
    for i, t in enumerate(inputs):
        if t.grad_fn is None:
            g = leaf_grads.get(id(t), (None, None))[1]
        else:
            g = capture.get((id(t.grad_fn), t._idx()))
        if g is None:
            if materialize_grads:
                from .._creation import zeros_like

                g = zeros_like(t)
            elif not allow_unused:
                raise RuntimeError(
                    f"One of the differentiated Tensors (input {i}) appears to not have been used in the graph. "
                    "Set allow_unused=True if this is the desired behavior."
                )
        elif not create_graph:
            g = g.detach()
        result.append(g)
    return tuple(result)
