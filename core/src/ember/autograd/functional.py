"""Higher-level derivatives built on :func:`ember.autograd.grad`: vjp, jvp, jacobian, hessian, hvp, vhp.

Inputs and outputs may be a tensor or a tuple of tensors, as in ``torch.autograd.functional``.
"""

from __future__ import annotations

from ._engine import grad as _grad
from .grad_mode import enable_grad

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


def _tuple(x):
    return (tuple(x), True) if isinstance(x, (tuple, list)) else ((x,), False)


def _prepare(inputs, create_graph):
    """Inputs as differentiable tensors of a fresh graph (kept attached when building a graph)."""
    return tuple(x if create_graph and x.requires_grad else x.detach().requires_grad_() for x in inputs)


def _finish(values, is_tuple, create_graph):
    values = tuple(v if v is None or create_graph else v.detach() for v in values)
    return values if is_tuple else values[0]


def _grads(outputs, inputs, grad_outputs, create_graph, strict):
    """Gradients of ``outputs`` wrt ``inputs``; zeros for inputs the outputs do not depend on."""
    from .._creation import zeros_like

    diff = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if not diff:
        gs = (None,) * len(inputs)
    else:
        gs = _grad([o for o, _ in diff], inputs, [g for _, g in diff], retain_graph=True, create_graph=create_graph,
                   allow_unused=True)
    if strict and any(g is None for g in gs):
        i = next(i for i, g in enumerate(gs) if g is None)
        raise RuntimeError(f"The output of the user-provided function is independent of input {i}. This is not "
                           "allowed in strict mode.")
    return tuple(zeros_like(x) if g is None else g for x, g in zip(inputs, gs))


def _stack(tensors):
    import ember

    if hasattr(ember, "stack"):
        return ember.stack(tensors)
    # composition for builds without a stack op: sum of one-hot rows (differentiable)
    n = len(tensors)
    eye = ember.eye(n, dtype=tensors[0].dtype, device=tensors[0].device)
    out = None
    for k, t in enumerate(tensors):
        row = eye[k].reshape((n,) + (1,) * t.ndim) * t.unsqueeze(0)
        out = row if out is None else out + row
    return out


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T J)``: the vector-Jacobian product.

    Example:
        >>> import ember
        >>> from ember.autograd.functional import vjp
        >>> vjp(lambda x: x ** 2, ember.tensor([1.0, 2.0]), ember.tensor([1.0, 1.0]))
        (tensor([1., 4.]), tensor([2., 4.]))
    """
    inputs, in_tuple = _tuple(inputs)
    with enable_grad():
        xs = _prepare(inputs, create_graph)
        out, out_tuple = _tuple(func(*xs))
        if v is None:
            from .._creation import ones_like

            if any(o.numel() != 1 for o in out):
                raise RuntimeError("The vector v can only be None if the user-provided function returns a single "
                                   "Tensor with a single element.")
            vs = tuple(ones_like(o) for o in out)
        else:
            vs, _ = _tuple(v)
        gs = _grads(out, xs, vs, create_graph, strict)
    return _finish(out, out_tuple, create_graph), _finish(gs, in_tuple, create_graph)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J v)``: the Jacobian-vector product (by differentiating a vjp).

    Example:
        >>> import ember
        >>> from ember.autograd.functional import jvp
        >>> jvp(lambda x: x ** 2, ember.tensor([1.0, 2.0]), ember.tensor([1.0, 0.0]))
        (tensor([1., 4.]), tensor([2., 0.]))
    """
    from .._creation import ones_like, zeros_like

    inputs, in_tuple = _tuple(inputs)
    with enable_grad():
        xs = _prepare(inputs, create_graph)
        out, out_tuple = _tuple(func(*xs))
        if v is None:
            if any(x.numel() != 1 for x in xs):
                raise RuntimeError("The vector v can only be None if the input to the user-provided function is a "
                                   "single Tensor with a single element.")
            vs = tuple(ones_like(x) for x in xs)
        else:
            vs, _ = _tuple(v)
        dummies = tuple(zeros_like(o).requires_grad_() for o in out)
        gs = _grads(out, xs, dummies, True, strict)
        used = [(g, vv) for g, vv in zip(gs, vs) if g.requires_grad]
        if used:
            jv = _grad([g for g, _ in used], dummies, [vv for _, vv in used], create_graph=create_graph,
                       allow_unused=True, retain_graph=create_graph)
        else:
            jv = (None,) * len(out)
        jv = tuple(zeros_like(o) if g is None else g for o, g in zip(out, jv))
    return _finish(out, out_tuple, create_graph), _finish(jv, out_tuple, create_graph)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: shape ``output.shape + input.shape`` per (output, input) pair.

    Example:
        >>> import ember
        >>> from ember.autograd.functional import jacobian
        >>> jacobian(lambda x: x ** 2, ember.tensor([1.0, 2.0]))
        tensor([[2., 0.],
                [0., 4.]])
    """
    if strategy != "reverse-mode":
        raise NotImplementedError("jacobian: Ember computes Jacobians in reverse mode only (strategy='reverse-mode')")
    inputs, in_tuple = _tuple(inputs)
    with enable_grad():
        xs = _prepare(inputs, create_graph)
        out, out_tuple = _tuple(func(*xs))
        blocks = []
        for o in out:
            flat = o.reshape(-1)
            rows = [_grads((flat[k],), xs, (None,), create_graph, strict) if o.requires_grad
                    else _grads((), xs, (), create_graph, strict) for k in range(flat.numel())]
            per_input = []
            for j, x in enumerate(xs):
                if rows:
                    block = _stack([r[j] for r in rows]).reshape(tuple(o.shape) + tuple(x.shape))
                else:
                    from .._creation import zeros

                    block = zeros(tuple(o.shape) + tuple(x.shape), dtype=x.dtype, device=x.device)
                per_input.append(block)
            blocks.append(_finish(per_input, in_tuple, create_graph))
    return tuple(blocks) if out_tuple else blocks[0]


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """The Hessian of scalar ``func`` at ``inputs``: shape ``input.shape + input.shape``.

    Example:
        >>> import ember
        >>> from ember.autograd.functional import hessian
        >>> hessian(lambda x: (x ** 3).sum(), ember.tensor([1.0, 2.0]))
        tensor([[ 6.,  0.],
                [ 0., 12.]])
    """
    inputs, in_tuple = _tuple(inputs)

    def gradient(*xs):
        out = func(*xs)
        if isinstance(out, (tuple, list)) or out.numel() != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor with a single element")
        return _grads((out.reshape(()),), xs, (None,), True, strict)

    res = jacobian(gradient, inputs, create_graph=create_graph, strict=strict, strategy=outer_jacobian_strategy)
    return res if in_tuple else res[0][0]


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T H)``: vector-Hessian product of scalar ``func``.

    Example:
        >>> import ember
        >>> from ember.autograd.functional import vhp
        >>> vhp(lambda x: (x ** 3).sum(), ember.tensor([1.0, 2.0]), ember.tensor([1.0, 0.0]))
        (tensor(9.), tensor([6., 0.]))
    """
    inputs, in_tuple = _tuple(inputs)
    vs, _ = _tuple(v) if v is not None else (None, None)
    with enable_grad():
        xs = _prepare(inputs, create_graph)
        out = func(*xs)
        if isinstance(out, (tuple, list)) or out.numel() != 1:
            raise RuntimeError("The function given to vhp/hvp should return a single Tensor with a single element")
        gs = _grads((out,), xs, (None,), True, strict)
        if vs is None:
            from .._creation import ones_like

            vs = tuple(ones_like(x) for x in xs)
        res = _grads(gs, xs, vs, create_graph, strict)
    return _finish((out,), False, create_graph), _finish(res, in_tuple, create_graph)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), H v)``: Hessian-vector product (equal to :func:`vhp` for the symmetric Hessian).

    Example:
        >>> import ember
        >>> from ember.autograd.functional import hvp
        >>> hvp(lambda x: (x ** 3).sum(), ember.tensor([1.0, 2.0]), ember.tensor([1.0, 0.0]))
        (tensor(9.), tensor([6., 0.]))
    """
    return vhp(func, inputs, v, create_graph=create_graph, strict=strict)
