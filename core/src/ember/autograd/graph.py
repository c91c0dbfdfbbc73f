"""The autograd graph as objects: node types, gradient edges, hooks on saved tensors and on groups of gradients.

``saved_tensors_hooks`` route every tensor an op keeps for backward through a ``pack`` hook
when the op runs and an ``unpack`` hook when backward reads it. Ember packs what its ops keep:
all inputs of an op that saves its inputs (Python numbers it wrapped as 0-d tensors included)
and the output of an op that saves its output, plus a custom Function's ``save_for_backward``
tensors. torch sometimes keeps fewer (``a * b`` keeps only the factor the other one's gradient
needs), so a pack hook may see more calls than under torch.

Example:
    >>> import ember
    >>> from ember.autograd.graph import saved_tensors_hooks
    >>> x = ember.tensor([1.0, 2.0], requires_grad=True)
    >>> with saved_tensors_hooks(lambda t: t.detach() * 1, lambda t: t):
    ...     y = x.exp()
    >>> y.sum().backward(); x.grad
    tensor([2.7183, 7.3891])
"""

from __future__ import annotations

import abc
import contextlib
from typing import NamedTuple

from . import _engine, _state
from .node import AccumulateGrad, Op

__all__ = ["saved_tensors_hooks", "save_on_cpu", "disable_saved_tensors_hooks", "register_multi_grad_hook",
           "allow_mutation_on_saved_tensors", "Node", "GradientEdge", "get_gradient_edge", "increment_version"]


class Node(abc.ABC):
    """The abstract type of graph nodes: every ``grad_fn`` (and ``AccumulateGrad``) is an instance.

    Example:
        >>> import ember
        >>> x = ember.ones(2, requires_grad=True)
        >>> isinstance((x * 2).grad_fn, ember.autograd.graph.Node)
        True
    """

    @abc.abstractmethod
    def name(self):
        """The node's name, e.g. ``MulBackward0``."""

    @property
    @abc.abstractmethod
    def next_functions(self):
        """``(node, output index)`` for each input of the node (``(None, 0)`` where none)."""

    @property
    @abc.abstractmethod
    def metadata(self):
        """A dict for your own annotations."""

    @abc.abstractmethod
    def register_hook(self, fn):
        """Call ``fn(grad_inputs, grad_outputs)`` after the node's backward."""

    @abc.abstractmethod
    def register_prehook(self, fn):
        """Call ``fn(grad_outputs)`` before the node's backward."""


Node.register(Op)
Node.register(AccumulateGrad)


class GradientEdge(NamedTuple):
    """Output ``output_nr`` of graph node ``node``: where a tensor's gradient is computed.

    Usable in place of the tensor in ``autograd.grad`` (inputs and outputs) and ``backward(inputs=...)``.

    Example:
        >>> import ember
        >>> x = ember.ones(2, requires_grad=True); y = x * 3
        >>> edge = ember.autograd.graph.get_gradient_edge(y)
        >>> ember.autograd.grad((y * y).sum(), edge)
        (tensor([6., 6.]),)
    """

    node: object
    output_nr: int
    ownership_token: object = None


def get_gradient_edge(tensor):
    """The :class:`GradientEdge` where ``tensor``'s gradient is computed (its ``AccumulateGrad`` for a leaf).

    Example:
        >>> import ember
        >>> x = ember.ones(2, requires_grad=True)
        >>> ember.autograd.graph.get_gradient_edge(x).node.name()
        'torch::autograd::AccumulateGrad'
    """
    if not tensor.requires_grad:
        raise RuntimeError("It is not possible to get the gradient edge for a Tensor that does not require gradients")
    if tensor.grad_fn is None:
        return GradientEdge(AccumulateGrad(tensor), 0)
    return GradientEdge(tensor.grad_fn, tensor._idx())


def increment_version(tensor):
    """Count an in-place change of ``tensor`` (or of each tensor of an iterable) made behind autograd's back.

    Example:
        >>> import ember
        >>> x = ember.ones(2); ember.autograd.graph.increment_version(x); x._version[0]
        1
    """
    from .._tensor import Tensor

    if isinstance(tensor, Tensor):
        tensor = (tensor,)
    try:
        tensors = list(tensor)
    except TypeError:
        raise RuntimeError("increment_version expect a Iterable[Tensor] as input") from None
    for t in tensors:
        t._version[0] += 1


# --- hooks on saved tensors ----------------------------------------------------------------------------
_stack = []  # the entered saved_tensors_hooks pairs, innermost last
_disabled_message = [None]  # set inside disable_saved_tensors_hooks


class saved_tensors_hooks:
    """Context manager: ops recorded inside save ``pack_hook(tensor)`` and backward reads ``unpack_hook(packed)``.

    Only the innermost pair applies. Pack hooks run with recording off and must not change their
    input in place; the unpack hook must return a tensor with the original's values (its graph place is
    restored by autograd). As in torch, the in-place check on saved tensors is skipped for packed ones.

    Example:
        >>> import ember
        >>> from ember.autograd.graph import saved_tensors_hooks
        >>> seen = []
        >>> x = ember.tensor([0.0, 1.0], requires_grad=True)
        >>> with saved_tensors_hooks(lambda t: seen.append(t.shape) or t, lambda t: t):
        ...     y = x.sin()
        >>> seen
        [ember.Size([2])]
        >>> y.sum().backward(); x.grad
        tensor([1.0000, 0.5403])
    """

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self):
        if _disabled_message[0] is not None:
            raise RuntimeError(_disabled_message[0])
        _stack.append((self.pack_hook, self.unpack_hook))
        _state.saved_hooks = _stack[-1]

    def __exit__(self, *exc):
        _stack.pop()
        _state.saved_hooks = _stack[-1] if _stack else None


class save_on_cpu(saved_tensors_hooks):
    """Keep the tensors saved for backward in host memory, moving them back to their device in backward.

    CPU tensors stay as they are (``pin_memory=True`` keeps a copy, like torch).

    Example:
        >>> import ember
        >>> x = ember.tensor([1.0, 2.0], requires_grad=True)
        >>> with ember.autograd.graph.save_on_cpu():
        ...     y = (x * x).sum()
        >>> y.backward(); x.grad
        tensor([2., 4.])
    """

    def __init__(self, pin_memory=False, device_type="cuda"):
        def pack_to_cpu(tensor):
            host = tensor.cpu()
            if pin_memory and host is tensor:
                host = tensor.clone()
            return tensor.device, host.pin_memory()

        def unpack_from_cpu(packed):
            device, tensor = packed
            return tensor.to(device, non_blocking=pin_memory)

        super().__init__(pack_to_cpu, unpack_from_cpu)


@contextlib.contextmanager
def disable_saved_tensors_hooks(error_message):
    """Context manager inside which using saved-tensor hooks raises ``RuntimeError(error_message)``.

    Entering it while hooks are active raises too, as in torch.

    Example:
        >>> import ember
        >>> from ember.autograd.graph import disable_saved_tensors_hooks, save_on_cpu
        >>> with disable_saved_tensors_hooks("no hooks here"):
        ...     try:
        ...         with save_on_cpu():
        ...             pass
        ...     except RuntimeError as e:
        ...         print(e)
        no hooks here
    """
    if _stack:
        raise RuntimeError(error_message)
    prev, _disabled_message[0] = _disabled_message[0], error_message
    try:
        yield
    finally:
        _disabled_message[0] = prev


class _AllowMutationOnSavedContext:
    """The state of one ``allow_mutation_on_saved_tensors`` block (its saved copies)."""

    def __init__(self):
        self.open = True

    def clear(self):
        self.open = False


_mutation_allowed = [False]


@contextlib.contextmanager
def allow_mutation_on_saved_tensors():
    """Context manager under which tensors saved for backward may be changed in place afterwards.

    Ember keeps a copy of each saved tensor when it is saved (torch copies lazily, on the first change),
    so backward sees the values from the forward pass. Run forward and backward inside the block.

    Example:
        >>> import ember
        >>> with ember.autograd.graph.allow_mutation_on_saved_tensors():
        ...     a = ember.ones(2, requires_grad=True)
        ...     b = a.clone()
        ...     out = (b ** 2).sum()
        ...     _ = b.sin_()
        ...     out.backward()
        >>> a.grad
        tensor([2., 2.])
    """
    if _mutation_allowed[0]:
        raise RuntimeError("allow_mutation_on_saved_tensors contexts cannot be nested")
    ctx = _AllowMutationOnSavedContext()

    def unpack(copy):
        if not ctx.open:
            raise AssertionError("Trying to backward outside of the 'allow_mutation_on_saved_tensors' context"
                                 "in which the graph was originally recorded.")
        return copy

    _mutation_allowed[0] = True
    try:
        with saved_tensors_hooks(lambda t: t.detach().clone(), unpack):
            yield ctx
    finally:
        ctx.clear()
        _mutation_allowed[0] = False


# --- hooks on several gradients ------------------------------------------------------------------------
class _MultiHandle(_engine.RemovableHandle):
    """The handle of :func:`register_multi_grad_hook`: ``remove()`` unregisters every per-tensor hook."""

    def __init__(self, handles):
        self.handles = handles

    def remove(self):
        for h in self.handles:
            h.remove()


def _will_run(tensor, pass_state, reached):
    """Whether the running backward pass computes ``tensor``'s gradient."""
    _, outputs, leaf_ids, wanted = pass_state
    fn = tensor.grad_fn
    if fn is not None:
        return fn in (reached if wanted is None else wanted)
    if leaf_ids is not None and id(tensor) not in leaf_ids:
        return False
    return any(o is tensor for o in outputs) or any(
        e is not None and e[0] is tensor for node in reached for e in node.next)


def register_multi_grad_hook(tensors, fn, *, mode="all"):
    """Call ``fn`` once per backward pass for the gradients of a group of ``tensors``.

    ``mode="all"``: after every gradient of ``tensors`` that the pass computes, with the list of
    gradients (None for those it does not compute). ``mode="any"``: on the first of them, with that gradient.

    Example:
        >>> import ember
        >>> a = ember.ones(2, requires_grad=True); b = ember.ones(2, requires_grad=True)
        >>> c = a * b
        >>> h = ember.autograd.graph.register_multi_grad_hook(
        ...     (a, b, c), lambda grads: print([g is not None for g in grads]))
        >>> c.sum().backward(inputs=(a,))
        [True, False, True]
    """
    if mode not in ("all", "any"):
        raise ValueError(f"Expects mode to be one of ('all', 'any') but got {mode}")
    tensors = tuple(tensors)
    if mode == "any":
        ran = set()

        def first_only(grad):
            pass_id = _engine.task[0]
            if pass_id not in ran:
                ran.add(pass_id)
                fn(grad)

        return _MultiHandle(tuple(t.register_hook(first_only) for t in tensors if t.requires_grad))

    for t in tensors:
        if not t.requires_grad:
            raise AssertionError("Expected gradient function to be set")
    pending = {}  # pass id -> [gradients, calls left]

    def hook_for(i):
        def collect(grad):
            state = _engine.task
            entry = pending.get(state[0])
            if entry is None:
                reached = _engine._reachable([o.grad_fn for o in state[1] if o.grad_fn is not None])
                entry = pending[state[0]] = [[None] * len(tensors), sum(_will_run(t, state, reached) for t in tensors)]
            entry[0][i] = grad
            entry[1] -= 1
            if entry[1] <= 0:
                del pending[state[0]]
                fn(entry[0])

        return collect

    return _MultiHandle(tuple(t.register_hook(hook_for(i)) for i, t in enumerate(tensors)))
