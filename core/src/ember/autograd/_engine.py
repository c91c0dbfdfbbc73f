"""The backward pass: an iterative walk of the graph, newest node first.

Every node gets a sequence number when it is recorded, and a node is always
newer than the nodes of its inputs. Popping the newest pending node from a heap
therefore runs each node after every consumer that can still send it a
gradient - a topological order found lazily, in one pass, without recursion.
"""

from __future__ import annotations

import heapq
import itertools
from sys import getrefcount as _refcount

from .. import _autocast
from . import _state
from .node import Op, _raise_freed

_handle_ids = itertools.count()
_task_ids = itertools.count()
task = None
"""The running backward pass (until ``backward``/``grad`` return) as ``(id, outputs, leaf_ids, wanted)`` (see :func:`run_backward`), else None;
``graph.register_multi_grad_hook`` reads it to tell passes apart and to know which nodes will run."""
_make = None  # ember._tensor._make, bound on first use (ember._tensor imports this package)
_heappush = heapq.heappush
_heappop = heapq.heappop


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
    if type(x) is tuple or type(x) is list or (isinstance(x, (tuple, list)) and not hasattr(x, "output_nr")):
        return tuple(x)  # (a GradientEdge, a named tuple, is one item)
    return (x,)


class _EdgeInput:
    """A ``GradientEdge`` to a node's output, standing in for a tensor among the inputs of a pass."""

    __slots__ = ("grad_fn", "_out_idx")
    requires_grad = True

    def __init__(self, node, idx):
        self.grad_fn, self._out_idx = node, idx

    def _idx(self):
        return self._out_idx


def _edge_inputs(inputs):
    """``inputs`` with each ``GradientEdge`` (a tuple) replaced by its leaf or an :class:`_EdgeInput`."""
    for t in inputs:
        if isinstance(t, tuple):
            break
    else:
        return inputs
    return tuple((_EdgeInput(t[0], t[1]) if isinstance(t[0], Op) else t[0].variable) if isinstance(t, tuple) else t
                 for t in inputs)


def _edge_outputs(outputs, grad_outputs):
    """``outputs`` with each ``GradientEdge`` replaced by a tensor on that edge shaped like its grad_output."""
    for t in outputs:
        if isinstance(t, tuple):
            break
    else:
        return outputs
    if _make is None:
        _bind()
    result = []
    for i, t in enumerate(outputs):
        if isinstance(t, tuple):
            node, idx = t[0], t[1]
            if not isinstance(node, Op):
                t = node.variable
            else:
                like = None if grad_outputs is None else grad_outputs[i]
                if like is None:
                    raise RuntimeError("grad can be implicitly created only for scalar outputs")
                t = _make(like._data, like._be, like._device, like.dtype)
                t.requires_grad, t.grad_fn, t._out_idx = True, node, idx
        result.append(t)
    return tuple(result)


def _initial_grads(outputs, grad_outputs):
    """The gradients the pass starts from: ``grad_outputs``, or ones for scalar outputs."""
    if _make is None:
        _bind()
    grads = []
    for i, out in enumerate(outputs):
        g = None if grad_outputs is None else grad_outputs[i]
        if g is None:
            if out.requires_grad:
                g = _ones_for(out)
        elif g.shape != out.shape:
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {tuple(g.shape)} and output[{i}] has a shape of {tuple(out.shape)}."
            )
        grads.append(g)
    return grads


def _ones_for(out):
    data = out._data
    if data.size != 1:
        raise RuntimeError("grad can be implicitly created only for scalar outputs")
    if out.dtype.category == 3:
        raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got {out.dtype}")
    be = out._be
    return _make(be.full(data.shape, 1, data.dtype, out._device.index), be, out._device, out.dtype)


def _sum(a, b, create_graph, owned):
    """``a + b`` for two gradients: plain arrays unless building a differentiable graph.

    ``owned`` holds the ids of sums made by this pass that sit in its buffers and nowhere else;
    adding into one of those again happens in place.
    """
    if create_graph or a.dtype is not b.dtype or a.requires_grad or b.requires_grad:
        return a + b
    if id(a) in owned and a._data.shape == b._data.shape:
        a._data += b._data
        return a
    owned.discard(id(a))
    total = _make(a._data + b._data, a._be, a._device, a.dtype)
    owned.add(id(total))
    return total


def _reachable(roots):
    """Every node reachable from ``roots``."""
    seen = set(roots)
    stack = list(seen)
    while stack:
        for edge in stack.pop().next:
            if edge is not None:
                nxt = edge[0]
                if nxt not in seen and isinstance(nxt, Op):
                    seen.add(nxt)
                    stack.append(nxt)
    return seen


def _needed(roots, leaf_ids, capture):
    """The nodes that lead to a wanted leaf or captured gradient: the only ones worth running."""
    captured = {key[0] for key in capture}
    order = sorted(_reachable(roots), key=_seq_of)  # inputs before the nodes that consume them
    needed = set()
    for fn in order:
        for edge in fn.next:
            if edge is None:
                continue
            t = edge[0]
            if (t in needed or t in captured) if isinstance(t, Op) else id(t) in leaf_ids:
                needed.add(fn)
                break
    return needed


def _seq_of(fn):
    return fn.seq


def run_backward(outputs, grad_outputs, retain_graph, create_graph, capture=None, leaf_ids=None):
    """Propagate gradients from ``outputs``.

    Returns a dict ``id(leaf) -> (leaf, grad)`` for the leaves reached and fills
    ``capture`` (``(node, output index) -> grad``) for non-leaf tensors. When
    ``leaf_ids`` is given (``autograd.grad``, ``backward(inputs=...)``) only the
    nodes leading to those leaves or to the captured tensors run.
    """
    if _autocast.active:  # backward runs with autocast off, as in torch
        with _autocast.suspended():
            return run_backward(outputs, grad_outputs, retain_graph, create_graph, capture, leaf_ids)
    if retain_graph is None:
        retain_graph = create_graph
    if _make is None:
        _bind()
    buffers = {}  # node -> gradient (a list of per-output gradients for multi-output nodes)
    leaf_grads = {}
    owned = set()  # see _sum
    heap = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        fn = out.grad_fn
        if fn is None:
            if not out.requires_grad:
                raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
            if leaf_ids is None or id(out) in leaf_ids:
                prev = leaf_grads.get(id(out))
                leaf_grads[id(out)] = (out, g if prev is None else _sum(prev[1], g, create_graph, owned))
            continue
        _deposit(buffers, heap, fn, out._idx(), g, create_graph, owned)
    needed = wanted = None
    if leaf_ids is not None:
        needed = _needed([entry[1] for entry in heap], leaf_ids, capture)
        wanted = needed.union(key[0] for key in capture)

    global task  # left set for the leaf hooks run after this returns: backward() and grad() restore it
    task = (next(_task_ids), outputs, leaf_ids, wanted)
    prev_mode = _state.grad_enabled
    _state.grad_enabled = create_graph
    anomaly = _state.anomaly
    try:
        while heap:
            fn = _heappop(heap)[1]
            grads = buffers.pop(fn)
            if owned:  # handed on from here: the backward may return it or keep it
                for g in (grads if type(grads) is list else (grads,)):
                    owned.discard(id(g))
            d = fn.__dict__
            if d and ("_out_hooks" in d or "_node_prehooks" in d):
                grads = _pre_hooks(fn, d, grads)
            if capture is not None:
                _capture(fn, grads, capture)
                if fn not in needed:
                    continue
            if fn.released:
                _raise_freed(fn)
            if anomaly:
                in_grads = _run_anomalous(fn, grads)
            elif type(grads) is list:
                in_grads = fn.backward(*grads)
            else:
                in_grads = fn.backward(grads)
            if type(in_grads) is not tuple:
                in_grads = tuple(in_grads) if type(in_grads) is list else (in_grads,)
            if d and "_node_hooks" in d:
                in_grads = _post_hooks(d["_node_hooks"], in_grads, grads)
            for edge, g in zip(fn.next, in_grads):
                if edge is None or g is None:
                    continue
                target = edge[0]
                if isinstance(target, Op):
                    if wanted is None or target in wanted:
                        if target.n_outputs == 1:
                            prev = buffers.get(target)
                            if prev is None:
                                buffers[target] = g
                                _heappush(heap, (-target.seq, target))
                            else:
                                buffers[target] = _sum(prev, g, create_graph, owned)
                        else:
                            _deposit(buffers, heap, target, edge[1], g, create_graph, owned)
                elif leaf_ids is None or id(target) in leaf_ids:
                    prev = leaf_grads.get(id(target))
                    leaf_grads[id(target)] = (target, g if prev is None else _sum(prev[1], g, create_graph, owned))
            if not retain_graph:
                fn.release()
    finally:
        _state.grad_enabled = prev_mode
    return leaf_grads


def _bind():
    global _make
    from .._tensor import _make


def _deposit(buffers, heap, fn, idx, g, create_graph, owned):
    """Add gradient ``g`` for output ``idx`` of ``fn``, scheduling ``fn`` on its first gradient."""
    n = fn.n_outputs
    prev = buffers.get(fn)
    if prev is None:
        _heappush(heap, (-fn.seq, fn))
        if n == 1:
            buffers[fn] = g
            return
        prev = buffers[fn] = [None] * n
    elif n == 1:
        buffers[fn] = _sum(prev, g, create_graph, owned)
        return
    prev[idx] = g if prev[idx] is None else _sum(prev[idx], g, create_graph, owned)


def _pre_hooks(fn, d, grads):
    """Tensor hooks on ``fn``'s outputs (retain_grad last), then the node's pre-hooks."""
    multi = type(grads) is list
    glist = list(grads) if multi else [grads]
    for idx, hs in (d.get("_out_hooks") or {}).items():
        hooks = list(hs.values())
        hooks.sort(key=_retains_last)
        for h in hooks:
            if glist[idx] is not None:
                r = h(glist[idx])
                if r is not None:
                    glist[idx] = r
    for h in list((d.get("_node_prehooks") or {}).values()):
        r = h(tuple(glist))
        if r is not None:
            glist = list(r)
    return glist if multi else glist[0]


def _retains_last(hook):
    return bool(getattr(hook, "retains_grad", False))


def _post_hooks(hooks, in_grads, grads):
    outs = tuple(grads) if type(grads) is list else (grads,)
    for h in list(hooks.values()):
        r = h(in_grads, outs)
        if r is not None:
            in_grads = tuple(r)
    return in_grads


def _capture(fn, grads, capture):
    if type(grads) is list:
        for idx, g in enumerate(grads):
            if (fn, idx) in capture:
                capture[(fn, idx)] = g
    elif (fn, 0) in capture:
        capture[(fn, 0)] = grads


def _run_anomalous(fn, grads):
    """Run ``fn``'s backward in anomaly mode: check for NaN and name the forward call on errors."""
    where = "".join(getattr(fn, "trace", None) or ["    (no forward trace was recorded)\n"])
    try:
        in_grads = fn.backward(*grads) if type(grads) is list else fn.backward(grads)
    except Exception as exc:
        exc.add_note(f"Error detected in {fn.name()}. Traceback of forward call that caused the error:\n{where}")
        raise
    if _state.anomaly_check_nan:
        for i, g in enumerate(in_grads if type(in_grads) in (tuple, list) else (in_grads,)):
            if g is not None and g.dtype.category >= 2 and bool((g != g).any()):
                raise RuntimeError(
                    f"Function '{fn.name()}' returned nan values in its {i}th output.\n"
                    f"Traceback of forward call that caused the error:\n{where}"
                )
    return in_grads


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate gradients of ``tensors`` into the ``.grad`` of graph leaves.

    Example:
        >>> import ember
        >>> x = ember.ones(3, requires_grad=True)
        >>> ember.autograd.backward([(x * 2).sum()]); x.grad
        tensor([2., 2., 2.])
    """
    global task
    outer = task
    try:
        _backward(tensors, grad_tensors, retain_graph, create_graph, inputs)
    finally:
        task = outer


def _backward(tensors, grad_tensors, retain_graph, create_graph, inputs):
    tensors = _as_tuple(tensors)
    grad_tensors = _as_tuple(grad_tensors)
    tensors = _edge_outputs(tensors, grad_tensors)
    grads = _initial_grads(tensors, grad_tensors)
    inputs = _as_tuple(inputs)
    if inputs is None:
        for leaf, g in run_backward(tensors, grads, retain_graph, create_graph).values():
            _accumulate(leaf, g, create_graph)
        return
    if len(inputs) == 0:
        raise RuntimeError("backward() received an empty list of inputs")
    inputs = _edge_inputs(inputs)
    leaf_ids = {id(t) for t in inputs if t.grad_fn is None}
    capture = {(t.grad_fn, t._idx()): None for t in inputs if t.grad_fn is not None}
    for leaf, g in run_backward(tensors, grads, retain_graph, create_graph, capture, leaf_ids).values():
        _accumulate(leaf, g, create_graph)
    for t in inputs:
        if t.grad_fn is not None and type(t) is not _EdgeInput:
            g = capture[(t.grad_fn, t._idx())]
            if g is not None:
                g = g if create_graph else g.detach()
                t._grad = g if t.grad is None else t.grad + g


def _leaf_hooks(leaf, g):
    hooks = leaf.__dict__.get("_leaf_hooks")
    if hooks:
        for h in list(hooks.values()):
            r = h(g)
            if r is not None:
                g = r
    return g


def _accumulate(leaf, g, create_graph):
    """Add ``g`` to ``leaf.grad`` (running the leaf's hooks first and its post-accumulate hooks after)."""
    d = leaf.__dict__
    if d:
        g = _leaf_hooks(leaf, g)
    old = leaf.grad
    if old is None:
        # own the gradient: the one handed in may alias another leaf's or be a broadcast view
        leaf._grad = g if create_graph else _owned(g)
    elif create_graph or old.requires_grad:
        leaf._grad = old + g
    else:
        old._data += g._data
        old._version[0] += 1
    if d:
        post = d.get("_post_hooks")
        if post:
            for h in list(post.values()):
                h(leaf)


def _owned(g):
    """``g`` itself when nothing but the engine can see it, else a copy (torch's AccumulateGrad steals too).

    Stolen: a tensor held only along the one path here (the leaf's entry, the loop variable and two
    parameters) whose array is referenced by that tensor alone and owns its writable memory, or is a
    whole-array view (a reshape) of a temporary that nothing else holds.
    """
    a = g._data
    if _refcount(g) <= 5 and _refcount(a) <= 3 and _sole_memory(a):
        return g
    return _make(g._be.copy(a), g._be, g._device, g.dtype)


def _sole_memory(a):
    base = getattr(a, "base", False)
    if base is not None and (base is False or _refcount(base) > 3 or getattr(base, "size", -1) != a.size):
        return False  # counted before reading flags below: ``a.flags`` refers to ``a`` as well
    owner = a if base is None else base
    flags = getattr(owner, "flags", None)
    return flags is not None and flags.owndata and getattr(flags, "writeable", True) and getattr(a.flags, "writeable", True)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Gradients of ``outputs`` with respect to ``inputs``, returned (not accumulated).

    Example:
        >>> import ember
        >>> x = ember.tensor(2.0, requires_grad=True)
        >>> (g,) = ember.autograd.grad(x * x * x, x, create_graph=True); g.item(), g.requires_grad
        (12.0, True)
        >>> ember.autograd.grad(g, x)[0]
        tensor(12.)
    """
    global task
    outer = task
    try:
        return _grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused, is_grads_batched,
                     materialize_grads)
    finally:
        task = outer


def _grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused, is_grads_batched, materialize_grads):
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, "
                         "but got: allow_unused=False.")
    grad_outputs = _as_tuple(grad_outputs)
    outputs = _edge_outputs(_as_tuple(outputs), grad_outputs)
    inputs = _edge_inputs(_as_tuple(inputs))
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    if is_grads_batched:
        return _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused, materialize_grads)
    grads = _initial_grads(outputs, grad_outputs)
    leaf_ids = {id(t) for t in inputs if t.grad_fn is None}
    capture = {(t.grad_fn, t._idx()): None for t in inputs if t.grad_fn is not None}
    leaf_grads = run_backward(outputs, grads, retain_graph, create_graph, capture, leaf_ids)
    result = []
    for i, t in enumerate(inputs):
        if t.grad_fn is None:
            g = leaf_grads.get(id(t))
            g = None if g is None else _leaf_hooks(t, g[1]) if t.__dict__ else g[1]
        else:
            g = capture[(t.grad_fn, t._idx())]
        if g is None:
            if materialize_grads:
                from .._creation import zeros_like

                g = zeros_like(t)
            elif not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in the graph. "
                    "Set allow_unused=True if this is the desired behavior."
                )
        elif not create_graph:
            g = g.detach()
        result.append(g)
    return tuple(result)


def _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused, materialize_grads):
    """``is_grads_batched``: one backward per row of the leading dimension of ``grad_outputs``, stacked."""
    import ember

    rows = []
    n = grad_outputs[0].shape[0]
    for k in range(n):
        rows.append(grad(outputs, inputs, [g[k] for g in grad_outputs], retain_graph=True if k < n - 1 else retain_graph,
                         create_graph=create_graph, allow_unused=allow_unused, materialize_grads=materialize_grads))
    return tuple(None if col[0] is None else ember.stack(col) for col in zip(*rows))
