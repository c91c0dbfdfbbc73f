"""Checking gradients against finite differences: gradcheck and gradgradcheck."""

from __future__ import annotations

import numpy as _np  # host-side: comparing numbers

from ._engine import grad as _grad


class GradcheckError(RuntimeError):
    """Raised by :func:`gradcheck` when analytical and numerical gradients differ."""


def _as_tuple(x):
    from .._tensor import Tensor

    return (x,) if isinstance(x, Tensor) else tuple(x)


def _numerical_jacobian(fn, inputs, outputs, i, eps):
    """d outputs / d inputs[i] by central differences, as host arrays (out_numel x in_numel) per output."""
    x = inputs[i]
    flat = x.detach().reshape(-1)
    n = flat.numel()
    cols = [[] for _ in outputs]
    from ..autograd.grad_mode import no_grad

    base = x.detach().clone()
    for k in range(n):
        vals = []
        for sign in (1, -1):
            with no_grad():
                p = base.clone().reshape(-1)
                p[k] = p[k] + sign * eps
            args = list(inputs)
            args[i] = p.reshape(x.shape).requires_grad_(x.requires_grad)
            vals.append(_as_tuple(fn(*args)))
        for j, (plus, minus) in enumerate(zip(*vals)):
            d = (plus.detach()._host().astype(_np.complex128 if plus.is_complex() else _np.float64)
                 - minus.detach()._host()) / (2 * eps)
            cols[j].append(d.reshape(-1))
    return [_np.stack(c, axis=1) if c else _np.zeros((o.numel(), 0)) for c, o in zip(cols, outputs)]


def _analytical_jacobian(outputs, inputs, i):
    from .._creation import zeros_like

    jac = []
    for out in outputs:
        rows = []
        for k in range(out.numel()):
            go = zeros_like(out).reshape(-1)
            go[k] = 1
            if not out.requires_grad:
                rows.append(_np.zeros(inputs[i].numel()))
                continue
            (g,) = _grad(out, inputs[i], grad_outputs=go.reshape(out.shape), retain_graph=True, allow_unused=True)
            rows.append(_np.zeros(inputs[i].numel()) if g is None else g.detach()._host().reshape(-1).astype(_np.float64))
        jac.append(_np.stack(rows, axis=0) if rows else _np.zeros((0, inputs[i].numel())))
    return jac


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, **_ignored):
    """Compare the gradients autograd computes with finite differences (use float64 inputs).

    Example:
        >>> import ember
        >>> x = ember.randn(3, dtype=ember.float64, requires_grad=True)
        >>> ember.autograd.gradcheck(lambda t: (t * t).exp(), (x,))
        True
    """
    inputs = _as_tuple(inputs)
    outputs = _as_tuple(func(*inputs))
    for i, x in enumerate(inputs):
        if not getattr(x, "requires_grad", False):
            continue
        if x.dtype.itemsize < 8 and not x.is_complex():
            import warnings

            warnings.warn(f"gradcheck: input {i} is {x.dtype}, not float64; the check may fail for precision reasons", UserWarning, stacklevel=2)
        num = _numerical_jacobian(func, inputs, outputs, i, eps)
        ana = _analytical_jacobian(outputs, inputs, i)
        for j, (n, a) in enumerate(zip(num, ana)):
            if not _np.allclose(a, n, rtol=rtol, atol=atol):
                if not raise_exception:
                    return False
                worst = _np.unravel_index(_np.argmax(_np.abs(a - n)), a.shape) if a.size else ()
                raise GradcheckError(
                    f"Jacobian mismatch for output {j} with respect to input {i},\n"
                    f"numerical:{n}\nanalytical:{a}\nlargest difference at {worst}"
                )
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, **_ignored):
    """Check second derivatives: gradcheck of the gradient function itself.

    Example:
        >>> import ember
        >>> x = ember.randn(3, dtype=ember.float64, requires_grad=True)
        >>> ember.autograd.gradgradcheck(lambda t: (t ** 3).sum(), (x,))
        True
    """
    inputs = _as_tuple(inputs)
    outs = _as_tuple(func(*inputs))
    from .._random import randn

    if grad_outputs is None:
        grad_outputs = tuple(randn(*o.shape, dtype=o.dtype, device=o.device, requires_grad=True) for o in outs)
    grad_outputs = _as_tuple(grad_outputs)
    diff_inputs = [x for x in inputs if getattr(x, "requires_grad", False)]
    n_in = len(inputs)

    def first_grads(*args):
        xs, gos = args[:n_in], args[n_in:]
        o = _as_tuple(func(*xs))
        req = [x for x in xs if getattr(x, "requires_grad", False)]
        gs = _grad([t for t in o if t.requires_grad], req, grad_outputs=[g for t, g in zip(o, gos) if t.requires_grad],
                   create_graph=True, allow_unused=True, materialize_grads=True)
        return gs

    return gradcheck(first_grads, tuple(inputs) + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception) if diff_inputs else True
