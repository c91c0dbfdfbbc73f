"""``grad``, ``grad_and_value``, ``vjp``, ``jvp``, ``jacrev``, ``jacfwd`` and ``hessian`` on Ember's autograd graph.

Each transform runs ``func`` once on stand-ins for the differentiated arguments: a fresh
leaf for a tensor that needs no gradient, a view (which keeps its graph) for one that does.
Derivatives are taken with :func:`ember.autograd.grad`. They keep a graph only when
something outside the transform can differentiate them: an argument that already requires
grad (an enclosing transform, or ordinary autograd) or a tensor ``func`` closes over that
does, while grad mode is on where the transform is called. Otherwise results come back
plain, as torch's do (inside ``func`` gradients are always recorded, as in torch.func). That is what lets transforms nest
(``grad(grad(f))``, ``hessian``, ``vmap(grad(f))``).

Forward-mode products (``jvp``, ``jacfwd``) are computed in reverse mode: ``jvp`` by
differentiating a vector-Jacobian product with respect to its vector, ``jacfwd`` as
``jacrev``. Values agree with torch's; costs follow reverse mode.
"""

from __future__ import annotations

import functools

from .._tensor import Tensor
from ..autograd import _state
from ..autograd._engine import grad as _autograd_grad
from ..autograd.grad_mode import enable_grad
from ..autograd.node import Op
from ._pytree import describe, flatten, unflatten

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian"]


# --- the shared machinery -----------------------------------------------------------
def _lift(x):
    """A differentiable stand-in for tensor ``x`` (a view when ``x`` is part of an outer graph)."""
    if not isinstance(x, Tensor):
        raise ValueError(f"Thing passed to transform API must be Tensor, got {type(x)}")
    return x.view_as(x) if x.requires_grad else x.detach().requires_grad_()


class _Trace:
    """One run of ``func`` on lifted arguments: its flat outputs and what derivatives need to know."""

    def __init__(self, lifted, outputs, recording):
        self.lifted = lifted
        self.outputs = outputs
        self.recording = recording  # whether grad mode was on where the transform was called
        self._outer = None

    def outer(self):
        """Whether an enclosing graph is being recorded and something in it reaches the outputs."""
        if self._outer is None:
            self._outer = self.recording and _reaches_outside(self.outputs, self.lifted)
        return self._outer

    def pull(self, cotangents, outputs=None, retain=True, batched=False):
        """Gradients of ``outputs`` (all by default) wrt the lifted inputs, weighted by ``cotangents``.

        Inputs the outputs do not reach get zeros. ``batched``: each cotangent has a leading
        dimension of vectors, and so does each result.
        """
        from .._creation import zeros, zeros_like

        outputs = self.outputs if outputs is None else outputs
        pairs = [(o, c) for o, c in zip(outputs, cotangents) if o.requires_grad]
        if pairs and self.lifted:
            create = self.outer() or (self.recording and any(c.requires_grad for _, c in pairs))
            grads = _autograd_grad([o for o, _ in pairs], self.lifted, [c for _, c in pairs],
                                   retain_graph=retain or create, create_graph=create, allow_unused=True,
                                   is_grads_batched=batched)
        else:
            grads = (None,) * len(self.lifted)
        if not batched:
            return [zeros_like(x) if g is None else g for x, g in zip(self.lifted, grads)]
        n = cotangents[0].shape[0]
        return [zeros((n, *x.shape), dtype=x.dtype, device=x.device) if g is None else g
                for x, g in zip(self.lifted, grads)]

    def plain(self, tree):
        """``tree`` as a transform returns it: detached unless an outer graph needs it."""
        if self.outer():
            return tree
        leaves, spec = flatten(tree)
        return unflatten([t.detach() if isinstance(t, Tensor) else t for t in leaves], spec)


def _reaches_outside(outputs, lifted):
    """Whether the graph of ``outputs`` reaches a tensor requiring grad other than the fresh ``lifted`` leaves."""
    if any(x.grad_fn is not None for x in lifted):
        return True  # a lifted view: an enclosing level differentiates through us
    own = {id(x) for x in lifted}
    stack = [o.grad_fn for o in outputs if o.grad_fn is not None]
    seen = set(stack)
    if any(o.requires_grad and o.grad_fn is None and id(o) not in own for o in outputs):
        return True
    while stack:
        for edge in stack.pop().next:
            if edge is None:
                continue
            nxt = edge[0]
            if not isinstance(nxt, Op):
                if id(nxt) not in own:
                    return True
            elif nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return False


def _argnums(argnums, args):
    """Validated ``argnums`` as a tuple of non-negative positions."""
    many = isinstance(argnums, tuple)
    nums = argnums if many else (argnums,)
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in nums):
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    if not nums:
        raise RuntimeError("argnums must be non-empty")
    for i in nums:
        if not -len(args) <= i < len(args):
            raise RuntimeError(f"Got argnum={i}, but only {len(args)} positional inputs")
    positions = tuple(i % len(args) for i in nums)
    if len(set(positions)) != len(positions):
        raise RuntimeError(f"argnums elements must be unique, got {argnums}")
    return positions, many


def _run(func, args, kwargs, argnums, has_aux, name):
    """Call ``func`` with ``args[argnums]`` lifted: ``(lifted leaves, output, aux, spec of the lifted args)``."""
    positions, many = _argnums(argnums, args)
    chosen = tuple(args[i] for i in positions) if many else args[positions[0]]
    leaves, spec = flatten(chosen)
    lifted = [_lift(x) for x in leaves]
    new = unflatten(lifted, spec)
    call_args = list(args)
    for k, i in enumerate(positions):
        call_args[i] = new[k] if many else new
    out = func(*call_args, **kwargs)
    out, aux = _split_aux(out, has_aux, name)
    return lifted, out, aux, spec


def _run_all(func, primals, has_aux, name):
    """:func:`_run` differentiating every positional argument (there may be none)."""
    if primals:
        return _run(func, primals, {}, tuple(range(len(primals))), has_aux, name)
    out, aux = _split_aux(func(), has_aux, name)
    return [], out, aux, flatten(())[1]


def _split_aux(out, has_aux, name):
    if not has_aux:
        return out, None
    if not (isinstance(out, tuple) and len(out) == 2):
        raise RuntimeError(f"{name}: output of function f should be a tuple: (output, aux) if has_aux is True")
    return out


def _tensor_leaves(tree, name):
    leaves, spec = flatten(tree)
    for t in leaves:
        if not isinstance(t, Tensor):
            raise RuntimeError(f"{name}: expected f(*primals) to return only tensors, got unsupported type {type(t)}")
    return leaves, spec


# --- the transforms -------------------------------------------------------------------
def grad_and_value(func, argnums=0, has_aux=False):
    """A function returning ``(gradient, value)`` of scalar ``func`` (``(gradient, (value, aux))`` with ``has_aux``).

    The gradient has the structure of ``args[argnums]`` (a tuple of those for tuple ``argnums``).

    Example:
        >>> import ember
        >>> from ember.func import grad_and_value
        >>> grad_and_value(lambda x: (x ** 2).sum())(ember.tensor([1.0, 2.0]))
        (tensor([2., 4.]), tensor(5.))
    """
    name = "grad_and_value(f)(*args)"

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        recording = _state.grad_enabled
        with enable_grad():
            lifted, out, aux, spec = _run(func, args, kwargs, argnums, has_aux, name)
            if not isinstance(out, Tensor):
                raise RuntimeError(f"{name}: Expected f(*args) to return a Tensor, got {type(out)}")
            if out.ndim != 0:
                raise RuntimeError(f"{name}: Expected f(*args) to return a scalar Tensor, got tensor with {out.ndim} "
                                   "dims. Maybe you wanted to use the vjp or jacrev APIs instead?")
            trace = _Trace(lifted, [out], recording)
            grads = trace.pull([_ones_like(out)], retain=False)
            value = trace.plain(out if not has_aux else (out, aux))
        return unflatten(grads, spec), value

    return wrapper


def _ones_like(t):
    from .._creation import ones_like

    return ones_like(t)


def grad(func, argnums=0, has_aux=False):
    """A function returning the gradient of scalar ``func`` wrt ``args[argnums]`` (with ``has_aux``: ``(grad, aux)``).

    Example:
        >>> import ember
        >>> from ember.func import grad
        >>> grad(lambda x: (x ** 3).sum())(ember.tensor([1.0, 2.0]))
        tensor([ 3., 12.])
        >>> grad(grad(lambda x: x ** 3))(ember.tensor(2.0))
        tensor(12.)
    """
    inner = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        grads, value = inner(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads

    return wrapper


def vjp(func, *primals, has_aux=False):
    """``(func(*primals), vjp_fn)``: ``vjp_fn(cotangents)`` gives the vector-Jacobian products, one per primal.

    ``vjp_fn`` may be called many times. With ``has_aux``, ``func`` returns ``(output, aux)`` and
    ``aux`` comes third.

    Example:
        >>> import ember
        >>> from ember.func import vjp
        >>> out, vjp_fn = vjp(lambda x: x ** 2, ember.tensor([1.0, 2.0]))
        >>> out, vjp_fn(ember.tensor([1.0, 10.0]))
        (tensor([1., 4.]), (tensor([ 2., 40.]),))
    """
    name = "vjp(f, *primals)"
    recording = _state.grad_enabled
    with enable_grad():
        lifted, out, aux, spec = _run_all(func, primals, has_aux, name)
        outs, out_spec = _tensor_leaves(out, name)
        trace = _Trace(lifted, outs, recording)

    def vjp_fn(cotangents):
        cts, ct_spec = flatten(cotangents)
        if ct_spec != out_spec:
            raise RuntimeError("Expected pytree structure of cotangents to be the same as pytree structure of "
                               f"outputs to the function. cotangents: {describe(ct_spec)}, primal output: "
                               f"{describe(out_spec)}")
        with enable_grad():
            return unflatten(trace.pull(cts), spec)

    result = (trace.plain(out), vjp_fn)
    return result + (trace.plain(aux),) if has_aux else result


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """``(func(*primals), J @ tangents)``: the Jacobian-vector product (computed by differentiating a vjp).

    Example:
        >>> import ember
        >>> from ember.func import jvp
        >>> jvp(lambda x: x ** 2, (ember.tensor([1.0, 2.0]),), (ember.tensor([1.0, 0.0]),))
        (tensor([1., 4.]), tensor([2., 0.]))
    """
    from .._creation import zeros_like

    name = "jvp(f, primals, tangents)"
    if not isinstance(primals, tuple):
        raise RuntimeError(f"{name}: Expected primals to be a tuple. E.g. it should be valid to call f(*primals).")
    p_leaves, p_spec = flatten(primals)
    t_leaves, t_spec = flatten(tangents)
    if p_spec != t_spec:
        raise RuntimeError(f"{name}: Expected primals and tangents to have the same python structure. For example, "
                           "if primals is a tuple of 3 tensors, tangents also must be. Got primals with structure "
                           f"{describe(p_spec)} and tangents with structure {describe(t_spec)}")
    for p, t in zip(p_leaves, t_leaves):
        if isinstance(p, Tensor) and isinstance(t, Tensor) and p.shape != t.shape:
            raise RuntimeError("Trying to set a forward gradient that has a different size than that of the original "
                               f"Tensor, this is not supported. Tensor is of size {list(p.shape)} while the given "
                               f"forward gradient is of size {list(t.shape)}.")
    recording = _state.grad_enabled
    with enable_grad():
        lifted, out, aux, _ = _run_all(func, primals, has_aux, name)
        outs, out_spec = _tensor_leaves(out, name)
        trace = _Trace(lifted, outs, recording)
        # J^T u is linear in u, so its vjp with the tangents wrt u is J @ tangents
        dummies = [zeros_like(o).requires_grad_() if o.requires_grad else zeros_like(o) for o in outs]
        pairs = [(o, u) for o, u in zip(outs, dummies) if o.requires_grad]
        jt_u = _autograd_grad([o for o, _ in pairs], lifted, [u for _, u in pairs], create_graph=True,
                              allow_unused=True) if pairs and lifted else ()
        used = [(g, t) for g, t in zip(jt_u, t_leaves) if g is not None and g.requires_grad]
        wanted = [u for u in dummies if u.requires_grad]
        jv = iter(())
        if used and wanted:
            create = trace.outer() or (recording and any(t.requires_grad for _, t in used))
            jv = iter(_autograd_grad([g for g, _ in used], wanted, [t for _, t in used], create_graph=create,
                                     allow_unused=True))
        jv_out = []
        for o, u in zip(outs, dummies):
            g = next(jv, None) if u.requires_grad else None
            jv_out.append(zeros_like(o) if g is None else g)
        result = (trace.plain(out), unflatten(jv_out, out_spec))
    return result + (trace.plain(aux),) if has_aux else result


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    """A function returning the Jacobian of ``func`` wrt ``args[argnums]``, one backward pass per output element.

    Each output leaf maps to a block of shape ``output.shape + input.shape`` (a tuple of blocks for
    tuple ``argnums``); the result has the structure of ``func``'s output.

    Example:
        >>> import ember
        >>> from ember.func import jacrev
        >>> jacrev(lambda x: x ** 2)(ember.tensor([1.0, 2.0]))
        tensor([[2., 0.],
                [0., 4.]])
    """
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from .._creation import eye, zeros

        recording = _state.grad_enabled
        with enable_grad():
            lifted, out, aux, spec = _run(func, args, kwargs, argnums, has_aux, "jacrev(f, argnums)(*args)")
            outs, out_spec = _tensor_leaves(out, "vjp(f, *primals)")
            trace = _Trace(lifted, outs, recording)
            blocks = []
            for o in outs:
                n = o.numel()
                if n and o.requires_grad:
                    basis = eye(n, dtype=o.dtype, device=o.device).reshape((n, *o.shape))
                    rows = trace.pull([basis], [o], batched=True)
                    per_input = [r.reshape((*o.shape, *x.shape)) for r, x in zip(rows, lifted)]
                else:
                    per_input = [zeros((*o.shape, *x.shape), dtype=x.dtype, device=x.device) for x in lifted]
                blocks.append(unflatten(per_input, spec))
            jac = unflatten(blocks, out_spec)
            return (jac, trace.plain(aux)) if has_aux else jac

    return wrapper


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """The Jacobian of ``func`` wrt ``args[argnums]``, as :func:`jacrev` returns it (Ember computes it in reverse mode).

    Example:
        >>> import ember
        >>> from ember.func import jacfwd
        >>> jacfwd(lambda x: x.sin())(ember.tensor([0.0]))
        tensor([[1.]])
    """
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}")
    return jacrev(func, argnums, has_aux=has_aux)


def hessian(func, argnums=0):
    """The Hessian of scalar ``func`` wrt ``args[argnums]``: the Jacobian of its gradient.

    Example:
        >>> import ember
        >>> from ember.func import hessian
        >>> hessian(lambda x: (x ** 3).sum())(ember.tensor([1.0, 2.0]))
        tensor([[ 6.,  0.],
                [ 0., 12.]])
    """
    return jacfwd(jacrev(func, argnums), argnums)
