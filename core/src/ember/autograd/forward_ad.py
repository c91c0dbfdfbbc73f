"""Forward-mode AD with torch's API: dual tensors carry a tangent, ``unpack_dual`` reads the result's tangent.

Ember computes forward derivatives in reverse mode. ``make_dual`` returns a tensor that takes part
in the autograd graph (it requires grad even when the primal does not) and remembers its tangent;
``unpack_dual(out)`` then finds the dual tensors ``out`` depends on and computes ``J t`` by the
double-vjp trick: ``g = grad(out, duals, v, create_graph=True)`` for a stand-in ``v`` (``g`` is linear
in ``v``), then ``grad(g, v, tangents)``. That costs two backward passes per output, done once:
the tangent is cached on ``out``.

Differences from torch: tangents are found through the graph, so results computed under ``no_grad``
carry none; the tensors involved require grad; tensor hooks in the graph see the two passes.

Example:
    >>> import ember
    >>> import ember.autograd.forward_ad as fwAD
    >>> x, t = ember.tensor([0.0, 1.0]), ember.tensor([1.0, 2.0])
    >>> with fwAD.dual_level():
    ...     y = fwAD.make_dual(x, t).exp()
    ...     fwAD.unpack_dual(y).tangent
    tensor([1.0000, 5.4366])
"""

from __future__ import annotations

import contextlib
from typing import NamedTuple

from . import _state
from ._engine import _reachable, grad
from .graph import GradientEdge
from .node import Op

__all__ = ["UnpackedDualTensor", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual", "dual_level"]

_current_level = -1
_active = None  # the _Level of the current level, or None


class _Level:
    """One entered level: its dual tensors as ``(anchor node, tangent)`` and the hidden leaves behind them."""

    def __init__(self):
        self.duals = []
        self.hidden = set()


def enter_dual_level():
    """Enter a forward-AD level (only one at a time, as in torch) and return its number.

    Example:
        >>> import ember.autograd.forward_ad as fwAD
        >>> fwAD.enter_dual_level()
        0
        >>> fwAD.exit_dual_level()
    """
    global _current_level, _active
    if _current_level >= 0:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _current_level, _active = 0, _Level()
    return 0


def exit_dual_level(*, level=None):
    """Leave the current forward-AD level; the tangents made in it are dropped.

    Example:
        >>> import ember.autograd.forward_ad as fwAD
        >>> lvl = fwAD.enter_dual_level(); fwAD.exit_dual_level(level=lvl)
    """
    global _current_level, _active
    if level is None:
        level = _current_level
    if level != _current_level:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that was created. "
                           "This is not supported.")
    if level < 0:
        raise RuntimeError("Dual level must be a positive number.")
    _current_level, _active = -1, None


class dual_level(contextlib.ContextDecorator):
    """Context manager (and decorator) around a forward-AD level; ``as`` gives the level number.

    Example:
        >>> import ember
        >>> import ember.autograd.forward_ad as fwAD
        >>> with fwAD.dual_level() as lvl:
        ...     d = fwAD.make_dual(ember.tensor(3.0), ember.tensor(1.0))
        ...     lvl, fwAD.unpack_dual(d * d).tangent
        (0, tensor(6.))
    """

    def __enter__(self):
        return enter_dual_level()

    def __exit__(self, *exc):
        exit_dual_level()


class UnpackedDualTensor(NamedTuple):
    """What :func:`unpack_dual` returns: the ``primal`` value and its ``tangent`` (None without one).

    Example:
        >>> import ember
        >>> from ember.autograd.forward_ad import UnpackedDualTensor
        >>> UnpackedDualTensor(ember.ones(1), None).tangent is None
        True
    """

    primal: object
    tangent: object


def make_dual(tensor, tangent, *, level=None):
    """A tensor with ``tensor``'s values carrying ``tangent`` as its forward derivative.

    Differentiable in reverse mode: gradients reach ``tensor`` when it requires grad.

    Example:
        >>> import ember
        >>> import ember.autograd.forward_ad as fwAD
        >>> with fwAD.dual_level():
        ...     d = fwAD.make_dual(ember.tensor([1.0, 2.0]), ember.tensor([1.0, 0.0]))
        ...     fwAD.unpack_dual((d ** 3).sum()).tangent
        tensor(3.)
    """
    if level is None:
        level = _current_level
    if level < 0:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, make sure to "
                           "enter_dual_level() first.")
    if tensor.dtype.category < 2:
        raise ValueError(f"Expected primal to be floating point or complex, but got: {tensor.dtype}")
    if tangent.dtype.category < 2:
        raise ValueError(f"Expected tangent to be floating point or complex, but got: {tangent.dtype}")
    if level != _current_level:
        raise RuntimeError("Invalid level given to _make_dual")
    if tangent.shape != tensor.shape:
        raise RuntimeError(f"Trying to set a forward gradient that has a different size than that of the original "
                           f"Tensor, this is not supported. Tensor is of size {list(tensor.shape)} while the given "
                           f"forward gradient is of size {list(tangent.shape)}.")
    if _cached(tensor) is not None or _anchors(tensor):
        raise RuntimeError(f"Making a dual Tensor based on a Tensor that already has a forward gradient at the same "
                           f"level {level} is not supported.")
    from .._tensor import apply
    from ..ops.shape import Reshape

    source = tensor
    if not tensor.requires_grad:  # a hidden leaf on the same data gives the dual a place in the graph
        source = tensor.detach().requires_grad_()
        _active.hidden.add(id(source))
    prev, _state.grad_enabled = _state.grad_enabled, True
    try:
        dual = apply(Reshape, (source,), tuple(tensor.shape))  # an alias whose node marks where the tangent enters
    finally:
        _state.grad_enabled = prev
    _active.duals.append((dual.grad_fn, tangent))
    dual.__dict__["_fw"] = (_active, dual.grad_fn, tangent)
    return dual


def unpack_dual(tensor, *, level=None):
    """``(primal, tangent)`` of ``tensor``: its forward derivative with respect to the level's dual tensors.

    The tangent is None when ``tensor`` does not depend on a dual tensor (or no level is active).

    Example:
        >>> import ember
        >>> import ember.autograd.forward_ad as fwAD
        >>> with fwAD.dual_level():
        ...     d = fwAD.make_dual(ember.tensor([0.0, 1.0]), ember.ones(2))
        ...     fwAD.unpack_dual(d.sin()).tangent, fwAD.unpack_dual(ember.ones(2)).tangent
        (tensor([1.0000, 0.5403]), None)
    """
    if level is None:
        level = _current_level
    if level < 0:
        return UnpackedDualTensor(tensor, None)
    if level > max(_current_level, 0):
        raise RuntimeError("Invalid level given to _fw_primal")
    if _active is None:
        return UnpackedDualTensor(tensor, None)
    tangent = _cached(tensor)
    if tangent is None:
        pairs = _anchors(tensor)
        if pairs:
            tangent = _jvp(tensor, pairs)
            tensor.__dict__["_fw"] = (_active, tensor.grad_fn, tangent)
    return UnpackedDualTensor(tensor, tangent)


def _cached(tensor):
    """The tangent already known for ``tensor`` at the current level, or None."""
    record = tensor.__dict__.get("_fw")
    if record is not None and record[0] is _active and record[1] is tensor.grad_fn:
        return record[2]
    return None


def _anchors(tensor):
    """The ``(anchor node, tangent)`` pairs of the current level that ``tensor``'s graph reaches."""
    if _active is None or tensor.grad_fn is None or not _active.duals:
        return []
    reached = _reachable([tensor.grad_fn])
    return [(node, t) for node, t in _active.duals if node in reached]


def _jvp(out, pairs):
    """``J t`` for ``out`` from its dual anchors: two reverse passes through the graph (see the module doc)."""
    from .._creation import zeros_like

    v = zeros_like(out).requires_grad_()
    gs = grad(out, [GradientEdge(node, 0) for node, _ in pairs], v, create_graph=True, allow_unused=True)
    used = [(g, t) for g, (_, t) in zip(gs, pairs)
            if g is not None and g.requires_grad]
    if not used:
        return zeros_like(out.detach())
    keep_graph = _state.grad_enabled and (any(t.requires_grad for _, t in used) or _reaches_real_leaf(out))
    (tangent,) = grad([g for g, _ in used], v, [t for _, t in used], allow_unused=True, create_graph=keep_graph)
    return zeros_like(out.detach()) if tangent is None else tangent


def _reaches_real_leaf(out):
    """Whether ``out`` depends on a leaf that requires grad other than the level's hidden ones."""
    hidden = _active.hidden
    for node in _reachable([out.grad_fn]):
        for edge in node.next:
            if edge is not None and not isinstance(edge[0], Op) and id(edge[0]) not in hidden:
                return True
    return False
