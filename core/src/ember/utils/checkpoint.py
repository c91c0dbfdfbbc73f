"""``ember.utils.checkpoint``: activation checkpointing, as ``torch.utils.checkpoint``.

A checkpointed function keeps only its inputs after the forward pass; the backward pass runs
it again (with the random streams it saw the first time, so dropout masks repeat) and
differentiates that. ``use_reentrant=True`` is torch's older form: the forward runs without a
graph, gradients reach parameters by a nested backward, and nothing flows when no tensor input
requires grad. ``use_reentrant=False`` (recommended) runs the forward with a graph once, records
which leaves it reaches, keeps none of its activations, and returns the gradients of inputs and
leaves through the engine, so ``autograd.grad`` works through it too.

Example:
    >>> import ember
    >>> from ember.utils.checkpoint import checkpoint
    >>> lin = ember.nn.Linear(3, 2)
    >>> x = ember.ones(4, 3, requires_grad=True)
    >>> checkpoint(lin, x, use_reentrant=False).sum().backward()
    >>> x.grad.shape, lin.weight.grad.shape
    (ember.Size([4, 3]), ember.Size([2, 3]))
"""

from __future__ import annotations

import warnings

from .. import autograd
from .._random import default_generator
from .._tensor import Tensor
from ..autograd import node as _node
from ..autograd.function import Function
from ..autograd.grad_mode import enable_grad, is_grad_enabled, no_grad
from ..random import fork_rng

__all__ = ["checkpoint", "checkpoint_sequential"]

_MISSING_FLAG = ("torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. Starting in "
                 "PyTorch 2.9, calling checkpoint without use_reentrant will raise an exception. use_reentrant=False "
                 "is recommended, but if you need to preserve the current default behavior, you can pass "
                 "use_reentrant=True. Refer to docs for more details on the differences between the two variants.")


class _RandomState:
    """The states of the CPU generator and of the default generators of the inputs' devices."""

    def __init__(self, tensors):
        devices = {t.device for t in tensors if t.device.type != "cpu"}
        self.generators = [default_generator("cpu")] + [default_generator(d) for d in devices]
        self.states = [g.get_state() for g in self.generators]

    def replay(self, fn):
        """``fn()`` drawing the same numbers as when this state was taken; the streams are left as they were."""
        with fork_rng([g.device for g in self.generators[1:]]):
            for g, s in zip(self.generators, self.states):
                g.set_state(s)
            return fn()


def _replace_tensors(args, detached):
    it = iter(detached)
    return tuple(next(it) if isinstance(a, Tensor) else a for a in args)


def _as_tuple(out):
    return out if isinstance(out, tuple) else (out,)


class _Checkpoint(Function):
    """One checkpointed call: inputs ``(plan, *tensors)``; ``plan`` holds the function, the other
    arguments, the random state, the outputs of the forward pass when they were computed already, and
    which of ``tensors`` are the call's own tensor arguments (the rest are leaves it reaches)."""

    @staticmethod
    def forward(ctx, plan, *tensors):
        ctx.plan = plan
        ctx.save_for_backward(*tensors)
        if plan["outputs"] is None:  # reentrant: the forward pass runs here, without a graph
            plan["outputs"] = _as_tuple(plan["function"](*plan["args"], **plan["kwargs"]))
        outs = tuple(o.detach() if isinstance(o, Tensor) else o for o in plan["outputs"])
        plan["outputs"] = None  # keep no activations
        return outs if plan["tuple"] else outs[0]

    @staticmethod
    def backward(ctx, *grads):
        plan, saved = ctx.plan, ctx.saved_tensors
        n_args = plan["n_args"]
        inputs = [t.detach().requires_grad_(t.requires_grad) for t in saved[:n_args]]

        def rerun():
            with enable_grad():
                return _as_tuple(plan["function"](*_replace_tensors(plan["args"], inputs), **plan["kwargs"]))

        outs = plan["rng"].replay(rerun) if plan["rng"] is not None else rerun()
        pairs = [(o, g) for o, g in zip(outs, grads) if isinstance(o, Tensor) and o.requires_grad and g is not None]
        if not pairs:
            return (None,) * (1 + len(saved))
        if plan["reentrant"]:  # parameters get their gradients from a nested backward, as in torch
            autograd.backward([o for o, _ in pairs], [g for _, g in pairs])
            return (None,) + tuple(t.grad if t.requires_grad else None for t in inputs)
        wanted = inputs + list(saved[n_args:])
        targets = [t for t in wanted if t.requires_grad]
        got = iter(autograd.grad([o for o, _ in pairs], targets, [g for _, g in pairs], allow_unused=True))
        return (None,) + tuple(next(got) if t.requires_grad else None for t in wanted)


def _reached_leaves(outputs, since, args):
    """The leaves requiring grad that the graph of ``outputs`` built after node ``since`` reaches, or None
    when it also reaches a non-leaf tensor made before (a captured intermediate: no checkpoint then)."""
    arg_nodes = {id(a.grad_fn) for a in args if a.grad_fn is not None}
    leaves, seen, todo = {}, set(), [o.grad_fn for o in outputs if isinstance(o, Tensor) and o.grad_fn is not None]
    while todo:
        fn = todo.pop()
        if fn is None or id(fn) in seen:
            continue
        seen.add(id(fn))
        variable = getattr(fn, "variable", None)
        if variable is not None:
            leaves[id(variable)] = variable
        elif id(fn) in arg_nodes:
            continue
        elif fn.seq < since:
            return None
        else:
            todo.extend(f for f, _ in fn.next_functions)
    return list(leaves.values())


def checkpoint(function, *args, use_reentrant=None, context_fn=None, determinism_check="default", debug=False,
               early_stop=True, preserve_rng_state=True, **kwargs):
    """Run ``function(*args, **kwargs)`` keeping no activations; the backward pass recomputes them.

    Example:
        >>> import ember
        >>> from ember.utils.checkpoint import checkpoint
        >>> x = ember.tensor([1.0, 2.0], requires_grad=True)
        >>> checkpoint(lambda t: (t * t).sum(), x, use_reentrant=True).backward(); x.grad
        tensor([2., 4.])
    """
    if use_reentrant is None:
        warnings.warn(_MISSING_FLAG, stacklevel=2)
        use_reentrant = True
    tensors = [a for a in args if isinstance(a, Tensor)]
    plan = {"function": function, "args": args, "kwargs": kwargs, "n_args": len(tensors), "reentrant": use_reentrant,
            "rng": _RandomState(tensors) if preserve_rng_state else None}
    if use_reentrant:
        if kwargs:
            raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
        if is_grad_enabled() and not any(t.requires_grad for t in tensors):
            warnings.warn("None of the inputs have requires_grad=True. Gradients will be None", stacklevel=2)
        with no_grad():
            probe = function(*args)  # the structure of the outputs (tuple or single); the values are reused
        plan.update(outputs=_as_tuple(probe), tuple=isinstance(probe, tuple))
        return _Checkpoint.apply(plan, *tensors)
    since = next(_node._seq)
    outputs = function(*args, **kwargs)
    if not is_grad_enabled():
        return outputs
    leaves = _reached_leaves(_as_tuple(outputs), since, tensors)
    if leaves is None:
        return outputs
    leaves = [leaf for leaf in leaves if not any(leaf is t for t in tensors)]
    plan.update(outputs=_as_tuple(outputs), tuple=isinstance(outputs, tuple))
    return _Checkpoint.apply(plan, *tensors, *leaves)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Run ``functions`` (a list or an ``nn.Sequential``) in ``segments`` parts, checkpointing all but the last.

    Example:
        >>> import ember
        >>> from ember.utils.checkpoint import checkpoint_sequential
        >>> model = ember.nn.Sequential(ember.nn.Linear(2, 4), ember.nn.ReLU(), ember.nn.Linear(4, 1))
        >>> checkpoint_sequential(model, 2, ember.ones(3, 2), use_reentrant=False).shape
        ember.Size([3, 1])
    """
    if use_reentrant is None:
        warnings.warn(_MISSING_FLAG.replace("torch.utils.checkpoint:", "torch.utils.checkpoint.checkpoint_sequential:"),
                      stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    functions = list(functions.children()) if hasattr(functions, "children") else list(functions)

    def run(start, end):
        def forward(x):
            for f in functions[start:end + 1]:
                x = f(x)
            return x
        return forward

    size = len(functions) // segments
    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant, preserve_rng_state=preserve)
    return run(end + 1, len(functions) - 1)(input)
