"""Symbolic sizes: which integers of a trace follow the input sizes, found by tracing at several sizes.

The function is traced at the example sizes ``b`` and again with each *size symbol*
(e.g. the batch dimension) doubled, in every combination. When all traces have
the same structure, every integer argument that changes is fitted exactly as a
multilinear polynomial in the symbols (``reshape(-1, 16)`` on batch ``s0`` gives
``16 * s0``; a convolution geometry's row count ``s0``), and the fit is checked
against one more trace at three times the sizes. Constants whose shape follows
the symbols and that hold one repeated value (``zeros(batch, hidden)``) become
``full`` nodes. When anything does not fit, the graph keeps fixed shapes.
"""

from __future__ import annotations

from fractions import Fraction

from .._tensor import Tensor
from ._graph import Node, Ref, Struct, Sym, Value


STRUCTURE_CHANGES = "the trace changes structure with the input sizes"


def default_symbols(leaves):
    """One batch symbol over dim 0 of every input with dims, when they all share that size."""
    places = [(i, 0) for i, t in enumerate(leaves) if t.ndim >= 1]
    sizes = {leaves[i].shape[0] for i, _ in places}
    if not places or len(sizes) != 1 or 0 in sizes:
        return []
    return [places]


def scaled_inputs(inputs, leaves, symbols, factors):
    """The inputs with each symbol's dims repeated ``factors[k]`` times (same nesting)."""
    from ..ops.join import cat

    scaled = list(leaves)
    for places, f in zip(symbols, factors):
        for i, d in places:
            scaled[i] = cat([scaled[i]] * f, d) if f != 1 else scaled[i]
    it = iter(scaled)

    def rebuild(obj):
        if isinstance(obj, Tensor):
            return next(it)
        if type(obj) in (tuple, list):
            return type(obj)(rebuild(x) for x in obj)
        if type(obj) is dict:
            return {k: rebuild(x) for k, x in obj.items()}
        return obj

    return rebuild(tuple(inputs))


# --- walking every integer of a graph in a fixed order -------------------------------------------
def _map_ints(a, fn):
    t = type(a)
    if t is int:
        return fn(a)
    if t in (tuple, list):
        return t(_map_ints(x, fn) for x in a)
    if t is dict:
        return {k: _map_ints(x, fn) for k, x in a.items()}
    if t is Struct:
        return Struct(a.kind, _map_ints(a.args, fn))
    return a


def _map_graph_ints(g, fn):
    for n in g.nodes:
        n.args = _map_ints(n.args, fn)
        for v in n.outputs:
            v.shape = _map_ints(v.shape, fn)
    for c in g.consts:
        c.shape = _map_ints(c.shape, fn)
    g.input_shapes = [_map_ints(s, fn) for s in g.input_shapes]
    for v, s in zip(g.inputs, g.input_shapes):
        v.shape = s


def _sig(a):
    t = type(a)
    if t is int:
        return "#"
    if t in (tuple, list):
        return (t.__name__,) + tuple(_sig(x) for x in a)
    if t is dict:
        return ("dict",) + tuple((k, _sig(x)) for k, x in a.items())
    if t is Struct:
        return ("struct", a.kind, _sig(a.args))
    if t is Ref:
        return ("ref", a.value.id, a.tensor)
    if t is Value:
        return ("value", a.id)
    if t in (bool, str, type(None)):
        return a
    return (t.__name__, repr(a))


def skeleton(g):
    """``(signature, ints)``: the graph's structure with integers masked, and the integers in order."""
    ints = []

    def take(i):
        ints.append(i)
        return i

    _map_graph_ints(g, take)
    sig = (tuple((n.kind, n.target, tuple(v.id for v in n.inputs), _sig(n.args), len(n.outputs)) for n in g.nodes),
           tuple((c.id, c.dtype.name, len(c.shape)) for c in g.consts), _sig(g.output), tuple(len(s) for s in g.input_shapes))
    return sig, ints


# --- fitting ----------------------------------------------------------------------------------
def _fit(values, base):
    """Multilinear coefficients ``{subset mask: coef}`` from values at sizes ``b`` / ``2b`` (index: mask)."""
    f = [Fraction(v) for v in values]
    for k, b in enumerate(base):
        bit = 1 << k
        for m in range(len(f)):
            if not m & bit:
                lo, hi = f[m], f[m | bit]
                f[m], f[m | bit] = 2 * lo - hi, (hi - lo) / b
    return f


def _predict(coefs, sizes):
    total = Fraction(0)
    for m, c in enumerate(coefs):
        for k, s in enumerate(sizes):
            if m >> k & 1:
                c *= s
        total += c
    return total


def make_symbolic(graphs, check, base):
    """Rewrite ``graphs[0]`` in place with symbolic sizes; ``graphs[m]`` was traced with the symbols in mask ``m``
    doubled and ``check`` at three times the sizes. Returns a reason string when the sizes don't fit (the graph is
    then left with fixed sizes), else None."""
    g = graphs[0]
    sks = [skeleton(x) for x in graphs + [check]]
    if any(s[0] != sks[0][0] for s in sks):
        return STRUCTURE_CHANGES
    tripled = [3 * b for b in base]
    fitted = []
    for j, v0 in enumerate(sks[0][1]):
        values = [s[1][j] for s in sks[:-1]]
        if all(v == v0 for v in values) and sks[-1][1][j] == v0:
            fitted.append(v0)
            continue
        coefs = _fit(values, base)
        if any(c.denominator != 1 for c in coefs) or _predict(coefs, tripled) != sks[-1][1][j]:
            return f"a size argument ({values[0]}, then {values[1:]}) is not a polynomial in the input sizes"
        fitted.append(Sym([(int(c), [k for k in range(len(base)) if m >> k & 1]) for m, c in enumerate(coefs)]))
    reason = _constants_to_full(graphs, check)
    if reason:
        return reason
    it = iter(fitted)
    _map_graph_ints(g, lambda i: next(it))
    _finish_full(g)
    return None


def _host(t):
    return t._be.to_host(t._data)


def _constants_to_full(graphs, check):
    """Check that constants agree across traces; mark those whose shape varies (and that are uniform) as ``full``."""
    import numpy as np

    g = graphs[0]
    g._full = []
    for idx, c in enumerate(g.consts):
        others = [x.consts[idx] for x in graphs[1:] + [check]]
        a = _host(c.tensor)
        if all(tuple(o.shape) == tuple(c.shape) for o in others):
            if all(np.array_equal(a, _host(o.tensor), equal_nan=a.dtype.kind in "fc") for o in others):
                continue
            return "a constant made inside forward changes with the input values"
        fills = [a] + [_host(o.tensor) for o in others]
        if any(f.size == 0 for f in fills):
            return "an empty constant changes shape with the input sizes"
        v0 = fills[0].reshape(-1)[0]
        if any(not (f == v0).all() for f in fills):
            return "a constant whose shape follows the input sizes is not a single repeated value"
        g._full.append((idx, v0.item()))
    return None


def _finish_full(g):
    """Turn the constants marked by :func:`_constants_to_full` into ``full`` nodes at the top of the graph."""
    nodes = []
    for idx, fill in g._full:
        c = g.consts[idx]
        c.kind, c.tensor = "node", None
        nodes.append(Node("full", "full", None, [], (c.shape, fill, c.dtype), [c]))
    drop = {idx for idx, _ in g._full}
    g.consts = [c for i, c in enumerate(g.consts) if i not in drop]
    for n in reversed(nodes):
        g.nodes.insert(0, n)
        n.outputs[0].node, n.outputs[0].index = n, 0
    del g._full
