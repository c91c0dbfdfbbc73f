"""The traced graph: values, nodes, symbolic sizes and the argument markers that tie them together.

A :class:`Graph` is a straight-line program. Its values are the graph inputs, the
parameters and buffers (named by their ``state_dict`` key), constants (tensors made
inside ``forward``) and node outputs. A node is one primitive op (``kind == "op"``,
run with ``apply(op, inputs, *args)``), one *leaf function* (``"call"``: a public
function whose internals are data dependent, such as max pooling, run as a whole)
or a ``"full"`` tensor (a constant whose shape depends on the batch size).

Non-tensor arguments are kept as Python values, except for three markers:
:class:`Ref` (the array or tensor of another value), :class:`Sym` (an integer that
depends on input sizes) and :class:`Struct` (an object rebuilt from its
constructor arguments, e.g. a convolution geometry).
"""

from __future__ import annotations

import itertools


class Value:
    """One tensor in the graph: an input, a parameter or buffer, a constant or a node output."""

    __slots__ = ("id", "kind", "name", "node", "index", "shape", "dtype", "tensor", "slot")

    def __init__(self, id, kind, name=None, shape=(), dtype=None, tensor=None, node=None, index=0):
        self.id, self.kind, self.name = id, kind, name
        self.shape, self.dtype, self.tensor = tuple(shape), dtype, tensor
        self.node, self.index = node, index
        self.slot = None

    def label(self):
        return f"%{self.name}" if self.kind in ("input", "param") else f"%{self.id}"

    def __repr__(self):
        return f"Value({self.label()})"


class Node:
    """One step of the program: ``outputs = target(inputs, *args)``."""

    __slots__ = ("kind", "target", "fn", "inputs", "args", "outputs", "scope")

    def __init__(self, kind, target, fn, inputs, args, outputs=(), scope=""):
        self.kind, self.target, self.fn = kind, target, fn
        self.inputs, self.args, self.outputs, self.scope = list(inputs), args, list(outputs), scope

    @property
    def short(self):
        return self.target.rsplit(".", 1)[-1]


class Ref:
    """An argument that is another value: its backend array (``tensor=False``) or the tensor itself."""

    __slots__ = ("value", "tensor")

    def __init__(self, value, tensor=False):
        self.value, self.tensor = value, tensor

    def __repr__(self):
        return self.value.label()


class Sym:
    """An integer ``sum(coef * prod(symbol sizes))`` over the graph's size symbols (multilinear)."""

    __slots__ = ("terms",)

    def __init__(self, terms):
        self.terms = tuple((int(c), tuple(s)) for c, s in terms if c)

    def __eq__(self, other):
        return type(other) is Sym and other.terms == self.terms

    def __hash__(self):
        return hash(self.terms)

    def eval(self, sizes):
        total = 0
        for c, syms in self.terms:
            for s in syms:
                c *= sizes[s]
            total += c
        return total

    def __repr__(self):
        parts = []
        for c, syms in self.terms:
            names = "*".join(f"s{s}" for s in syms)
            parts.append(names if c == 1 and names else f"{c}*{names}" if names else str(c))
        return " + ".join(parts) or "0"


class Struct:
    """An argument object rebuilt as ``cls(*args)`` (``kind`` names ``cls`` in :data:`STRUCTS`)."""

    __slots__ = ("kind", "args", "_cache")

    def __init__(self, kind, args):
        self.kind, self.args, self._cache = kind, tuple(args), {}

    def __repr__(self):
        return f"{self.kind}{self.args!r}"


def _geometry_args(geo):
    """Constructor arguments of a conv :class:`~ember.ops.conv.Geometry` (``hi`` as the smallest padding that
    gives the same output size: everything else the geometry holds follows from the output size)."""
    hi = tuple((o - 1) * s + d * (k - 1) + 1 - i - lo
               for o, s, d, k, i, lo in zip(geo.out_sp, geo.stride, geo.dilation, geo.kernel, geo.in_sp, geo.lo))
    return (geo.n, geo.groups, geo.cg, geo.og, tuple(geo.in_sp), tuple(geo.kernel), tuple(geo.stride),
            tuple(geo.dilation), tuple(geo.lo), hi)


def _structs():
    from ..ops.conv import Geometry

    return {"Geometry": (Geometry, _geometry_args), "slice": (slice, lambda s: (s.start, s.stop, s.step))}


STRUCTS = {}  # kind -> (class, to_args): filled on first use (ops import late)


def structs():
    if not STRUCTS:
        STRUCTS.update(_structs())
    return STRUCTS


def build(a, vals, sizes):
    """The concrete argument for marker tree ``a`` (``vals``: tensors by slot, ``sizes``: symbol sizes)."""
    t = type(a)
    if t is tuple:
        return tuple([build(x, vals, sizes) for x in a])
    if t is Ref:
        v = vals[a.value.slot]
        return v if a.tensor else v._data
    if t is Sym:
        return a.eval(sizes)
    if t is list:
        return [build(x, vals, sizes) for x in a]
    if t is dict:
        return {k: build(x, vals, sizes) for k, x in a.items()}
    if t is Struct:
        args = build(a.args, vals, sizes)
        hit = a._cache.get(args)
        if hit is None:
            hit = a._cache[args] = structs()[a.kind][0](*args)
        return hit
    return a


def is_static(a):
    """True when ``build(a, ...)`` is ``a`` itself (no markers anywhere)."""
    t = type(a)
    if t in (tuple, list):
        return all(is_static(x) for x in a)
    if t is dict:
        return all(is_static(x) for x in a.values())
    return t not in (Ref, Sym, Struct)


def walk(a):
    """Every leaf of an argument tree (markers included, Struct arguments walked)."""
    t = type(a)
    if t in (tuple, list):
        for x in a:
            yield from walk(x)
    elif t is dict:
        for x in a.values():
            yield from walk(x)
    elif t is Struct:
        yield a
        yield from walk(a.args)
    else:
        yield a


def map_leaves(a, fn):
    """The argument tree with every non-container leaf replaced by ``fn(leaf)``."""
    t = type(a)
    if t in (tuple, list):
        return t(map_leaves(x, fn) for x in a)
    if t is dict:
        return {k: map_leaves(x, fn) for k, x in a.items()}
    if t is Struct:
        return Struct(a.kind, map_leaves(a.args, fn))
    return fn(a)


class Graph:
    """A traced program: ``inputs``, ``params`` (state_dict-named), ``consts``, ``nodes`` and ``output``.

    ``output`` is a nested tuple/list/dict whose tensor leaves are Values. ``symbols`` lists, per size
    symbol, the ``(input index, dim)`` places it is read from; ``input_shapes`` the traced input shapes
    with :class:`Sym` where a size is symbolic.

    Example:
        >>> import ember
        >>> g = ember.jit.trace(lambda x: x * 2 + 1, ember.ones(3)).graph
        >>> [n.short for n in g.nodes]
        ['Mul', 'Add']
    """

    def __init__(self):
        self.inputs, self.params, self.consts, self.nodes = [], [], [], []
        self.output = None
        self.input_spec = None  # the nesting of the inputs: a tree with None at tensor leaves
        self.symbols = []  # per symbol: [(input index, dim), ...]
        self.input_shapes = []
        self._ids = itertools.count(1)

    def new_value(self, kind, **kw):
        return Value(next(self._ids), kind, **kw)

    def add_node(self, node):
        self.nodes.append(node)
        for i, v in enumerate(node.outputs):
            v.node, v.index = node, i
        return node

    def output_values(self):
        return [v for v in walk(self.output) if isinstance(v, Value)]

    def users(self):
        """``{value id: [nodes reading it]}``."""
        out = {}
        for n in self.nodes:
            for v in node_reads(n):
                out.setdefault(v.id, []).append(n)
        return out

    def __str__(self):
        return format_graph(self)


def node_reads(node):
    """Every value a node reads: its inputs and the values its arguments refer to."""
    seen = list(node.inputs)
    for leaf in walk(node.args):
        if type(leaf) is Ref:
            seen.append(leaf.value)
    return seen


def _type_str(v):
    dt = v.dtype.name if v.dtype is not None else "?"
    shape = ", ".join(str(s) for s in v.shape)
    return f"{dt}({shape})"


def _arg_str(a):
    if type(a) is Value:
        return a.label()
    if type(a) is tuple:
        return "(" + ", ".join(_arg_str(x) for x in a) + ("," if len(a) == 1 else "") + ")"
    if type(a) is list:
        return "[" + ", ".join(_arg_str(x) for x in a) + "]"
    if type(a) is dict:
        return "{" + ", ".join(f"{k!r}: {_arg_str(x)}" for k, x in a.items()) + "}"
    if type(a) is Struct:
        return f"{a.kind}{_arg_str(a.args)}"
    text = repr(a)
    return text if len(text) < 60 else text[:57] + "..."


def format_graph(g):
    """The graph as text, one node a line (``%out : dtype(shape) = Op(%in, args)  # module path``)."""
    sig = ", ".join(f"{v.label()} : {_type_str(v)}" for v in g.inputs + g.params)
    lines = [f"graph({sig}):"]
    for c in g.consts:
        lines.append(f"  {c.label()} : {_type_str(c)} = prim::Constant()")
    for n in g.nodes:
        outs = ", ".join(f"{v.label()} : {_type_str(v)}" for v in n.outputs)
        ins = [v.label() for v in n.inputs]
        ins += [_arg_str(a) for a in n.args] if type(n.args) is tuple else [_arg_str(n.args)]
        where = f"  # {n.scope}" if n.scope else ""
        lines.append(f"  {outs} = {n.short}({', '.join(i for i in ins if i)}){where}")
    lines.append(f"  return {_arg_str(g.output)}")
    return "\n".join(lines)


def _py_name(v):
    if v.kind == "input":
        return v.name
    if v.kind == "param":
        return "self." + v.name
    return f"_{v.id}"


def _py_arg(a):
    if type(a) is Ref:
        return _py_name(a.value) + ("" if a.tensor else ".data")
    if type(a) is Value:
        return _py_name(a)
    if type(a) is Sym:
        return repr(a)
    if type(a) in (tuple, list):
        inner = ", ".join(_py_arg(x) for x in a)
        return f"({inner}{',' if len(a) == 1 else ''})" if type(a) is tuple else f"[{inner}]"
    if type(a) is dict:
        return "{" + ", ".join(f"{k!r}: {_py_arg(x)}" for k, x in a.items()) + "}"
    if type(a) is Struct:
        return f"{a.kind}{_py_arg(a.args)}"
    return repr(a)


def python_code(g):
    """Readable Python for the graph (for people: it is never executed). Size symbols are ``s0, s1, ...``."""
    args = ", ".join(["self"] + [v.name for v in g.inputs])
    lines = [f"def forward({args}):"]
    for k, places in enumerate(g.symbols):
        i, d = places[0]
        lines.append(f"    s{k} = {g.inputs[i].name}.size({d})")
    for c in g.consts:
        lines.append(f"    _{c.id} = CONSTANTS[{g.consts.index(c)}]  # {_type_str(c)}")
    for n in g.nodes:
        outs = ", ".join(_py_name(v) for v in n.outputs) or "_"
        if n.kind == "op":
            parts = [_py_name(v) for v in n.inputs] + [_py_arg(a) for a in n.args]
            call = f"ops.{n.short}({', '.join(parts)})"
        elif n.kind == "call":
            pos, kw = n.args
            parts = [_py_arg(a) for a in pos] + [f"{k}={_py_arg(a)}" for k, a in kw.items()]
            call = f"{n.target}({', '.join(parts)})"
        else:
            call = f"ember.full({_py_arg(n.args[0])}, {n.args[1]!r}, dtype=ember.{n.args[2].name})"
        where = f"  # {n.scope}" if n.scope else ""
        lines.append(f"    {outs} = {call}{where}")
    lines.append(f"    return {_py_arg(g.output)}")
    return "\n".join(lines) + "\n"
