"""Graph passes for inference: freezing, dead code, constant folding, common subexpressions,
folding per-channel affine maps (batch norm) into convolutions and linear layers, and fusing
the bias and rectifier into them.

Every pass takes a :class:`~ember.jit._graph.Graph` and rewrites it in place; the public
entry points copy the graph of a :class:`GraphModule` first and return a new module.
"""

from __future__ import annotations

from .._tensor import apply
from ..autograd.grad_mode import no_grad
from ._graph import Graph, Node, Ref, Struct, Sym, Value, build, map_leaves, node_reads, walk
from ._module import GraphModule, _prebuild

_ELEMENTWISE_LIMIT = 1 << 16  # don't fold ops that blow small constants up into large ones (expand, broadcast)


# --- copying -----------------------------------------------------------------------------------
def copy_graph(g):
    """A copy of ``g`` sharing tensors but not values or nodes (passes can then rewrite it freely)."""
    new = Graph()
    new._ids = g._ids
    vmap = {}

    def cp(v):
        w = Value(v.id, v.kind, v.name, v.shape, v.dtype, v.tensor)
        vmap[v.id] = w
        return w

    def remap(a):
        return map_leaves(a, lambda x: Ref(vmap[x.value.id], x.tensor) if type(x) is Ref else vmap[x.id] if type(x) is Value else x)

    new.inputs = [cp(v) for v in g.inputs]
    new.params = [cp(v) for v in g.params]
    new.consts = [cp(v) for v in g.consts]
    for n in g.nodes:
        ins = [vmap[v.id] for v in n.inputs]
        args = remap(n.args)
        new.add_node(Node(n.kind, n.target, n.fn, ins, args, [cp(v) for v in n.outputs], n.scope))
    new.output = remap(g.output)
    new.input_spec, new.symbols, new.input_shapes = g.input_spec, g.symbols, g.input_shapes
    return new


def _module_tensors(m):
    fixed = m._fixed_values()
    return {v.name: t for v, t in zip(m.graph.params, fixed)}, fixed[len(m.graph.params):]


# --- freezing ------------------------------------------------------------------------------------
def freeze(mod, preserved_attrs=None, optimize_numerics=True):
    """A copy of a graph module whose parameters and buffers are constants (so passes can fold them).

    Like torch, the module must be in eval mode; the frozen module has no parameters.

    Example:
        >>> import ember
        >>> m = ember.jit.trace(ember.nn.Linear(2, 2).eval(), ember.ones(1, 2))
        >>> len(list(ember.jit.freeze(m).parameters()))
        0
    """
    if not isinstance(mod, GraphModule):
        raise TypeError(f"ember.jit.freeze expects a traced or scripted module, got {type(mod).__name__}")
    if mod.training:
        raise RuntimeError("Freezing is currently only implemented for modules in eval mode. Please call .eval() on "
                           "your module before freezing.")
    keep = set(preserved_attrs or ())
    g = copy_graph(mod.graph)
    tensors, consts = _module_tensors(mod)
    for c, t in zip(g.consts, consts):
        c.tensor = t
    params = []
    for v in g.params:
        if v.name in keep:
            params.append(v)
            continue
        v.kind, v.tensor = "const", tensors[v.name].detach()
        g.consts.append(v)
    g.params = params
    out = GraphModule(g, {v.name: tensors[v.name] for v in params}, mod.original_name)
    return out.eval()


# --- the passes ----------------------------------------------------------------------------------
def _replace_uses(g, subst):
    """Make every reader of value ``old`` read ``subst[old.id]`` instead."""
    if not subst:
        return

    def fix(x):
        if type(x) is Ref and x.value.id in subst:
            return Ref(subst[x.value.id], x.tensor)
        if type(x) is Value and x.id in subst:
            return subst[x.id]
        return x

    for n in g.nodes:
        n.inputs = [subst.get(v.id, v) for v in n.inputs]
        n.args = map_leaves(n.args, fix)
    g.output = map_leaves(g.output, fix)


def eliminate_dead_code(g):
    """Drop nodes none of whose outputs reach the graph's outputs, and constants nothing reads.

    Example:
        >>> import ember
        >>> g = ember.jit.trace(lambda x: (x + 1, x * 2)[0], ember.ones(2), check_trace=False).graph
        >>> _ = eliminate_dead_code(g); [n.short for n in g.nodes]
        ['Add']
    """
    live = {v.id for v in g.output_values()}
    kept = []
    for n in reversed(g.nodes):
        if any(v.id in live for v in n.outputs):
            kept.append(n)
            live.update(v.id for v in node_reads(n))
    removed = len(g.nodes) - len(kept)
    g.nodes = kept[::-1]
    g.consts = [c for c in g.consts if c.id in live]
    return removed


def _foldable(n, const_ids):
    reads = node_reads(n)
    if n.kind == "full" or not reads or not all(v.id in const_ids for v in reads):
        return False
    if any(type(x) is Sym for x in walk(n.args)):
        return False
    return True


def _run_node(n, tensor_of):
    """Evaluate node ``n`` now on concrete tensors (``tensor_of(value)``)."""
    def concrete(x):
        if type(x) is Ref:
            t = tensor_of(x.value)
            return t if x.tensor else t._data
        return x

    args = build(_prebuild(map_leaves(n.args, concrete)), None, ())
    with no_grad():
        if n.kind == "op":
            r = apply(n.fn, [tensor_of(v) for v in n.inputs], *args)
        else:
            r = n.fn(*args[0], **args[1])
    return r if type(r) is tuple else (r,)


def fold_constants(g):
    """Evaluate every node whose inputs are all constants; its outputs become constants.

    Example:
        >>> import ember
        >>> g = ember.jit.trace(lambda x: x + ember.ones(2) * 3, ember.ones(2)).graph
        >>> _ = fold_constants(g); _ = eliminate_dead_code(g); [n.short for n in g.nodes]
        ['Add']
    """
    const_ids = {c.id: c for c in g.consts}
    kept, folded = [], 0
    for n in g.nodes:
        if not _foldable(n, const_ids):
            kept.append(n)
            continue
        size_in = sum(_numel(v.shape) for v in node_reads(n))
        if any(_numel(v.shape) > max(_ELEMENTWISE_LIMIT, 4 * size_in) for v in n.outputs):
            kept.append(n)
            continue
        outs = _run_node(n, lambda v: const_ids[v.id].tensor)
        for v, t in zip(n.outputs, outs):
            v.kind, v.tensor, v.node = "const", t.detach(), None
            g.consts.append(v)
            const_ids[v.id] = v
        folded += 1
    g.nodes = kept
    return folded


def _numel(shape):
    n = 1
    for s in shape:
        n *= s if type(s) is int else 1 << 20
    return n


def _arg_key(a):
    t = type(a)
    if t in (tuple, list):
        return (t.__name__,) + tuple(_arg_key(x) for x in a)
    if t is dict:
        return ("dict",) + tuple((k, _arg_key(x)) for k, x in a.items())
    if t is Ref:
        return ("ref", a.value.id, a.tensor)
    if t is Struct:
        return ("struct", a.kind, _arg_key(a.args))
    if t is Sym:
        return ("sym", a.terms)
    if t is float:
        return ("float", repr(a))
    try:
        hash(a)
        return (t.__name__, a)
    except TypeError:
        return ("id", id(a))


def eliminate_common_subexpressions(g):
    """Merge nodes that compute the same op on the same values with the same arguments, and equal small constants.

    Example:
        >>> import ember
        >>> g = ember.jit.trace(lambda x: x.exp() + x.exp(), ember.ones(2)).graph
        >>> _ = eliminate_common_subexpressions(g); [n.short for n in g.nodes]
        ['Exp', 'Add']
    """
    subst, seen_consts = {}, {}
    for c in g.consts:
        if c.tensor is not None and c.tensor.numel() <= 16:
            key = (c.dtype.name, tuple(c.shape), str(c.tensor.device), c.tensor._be.to_host(c.tensor._data).tobytes())
            if key in seen_consts:
                subst[c.id] = seen_consts[key]
            else:
                seen_consts[key] = c
    _replace_uses(g, subst)
    g.consts = [c for c in g.consts if c.id not in subst]
    merged = len(subst)
    seen, kept = {}, []
    for n in g.nodes:
        if subst:
            n.inputs = [subst.get(v.id, v) for v in n.inputs]
            n.args = map_leaves(n.args, lambda x: Ref(subst[x.value.id], x.tensor)
                                if type(x) is Ref and x.value.id in subst else x)
        key = (n.kind, n.target, tuple(v.id for v in n.inputs), _arg_key(n.args))
        prev = seen.get(key)
        if prev is not None and len(prev.outputs) == len(n.outputs):
            for a, b in zip(n.outputs, prev.outputs):
                subst[a.id] = b
            merged += 1
            continue
        seen[key] = n
        kept.append(n)
    g.nodes = kept
    g.output = map_leaves(g.output, lambda x: subst.get(x.id, x) if type(x) is Value else x)
    return merged  # merged nodes and constants


# --- affine folding (batch norm into conv / linear) ---------------------------------------------------
_OPS = {}


def _op(name):
    """Primitive op classes the rewrites match, by short name."""
    if not _OPS:
        from ..nn.functional._linear import Linear
        from ..ops.conv import Conv
        from ..ops.elementwise import Add, Mul, Relu
        from ..ops.shape import Reshape
        from ._fused import ConvBias, LinearRelu

        _OPS.update(Add=Add, Mul=Mul, Relu=Relu, Conv=Conv, Linear=Linear, Reshape=Reshape, ConvBias=ConvBias,
                    LinearRelu=LinearRelu)
    return _OPS[name]


def _is(n, name):
    return n.kind == "op" and n.fn is _op(name)


class _Rewriter:
    """Shared bookkeeping of the pattern rewrites: use counts, constants, new nodes."""

    def __init__(self, g):
        self.g = g
        self.consts = {c.id: c for c in g.consts}
        self.refresh()

    def refresh(self):
        self.uses = {}
        for n in self.g.nodes:
            for v in node_reads(n):
                self.uses[v.id] = self.uses.get(v.id, 0) + 1
        for v in self.g.output_values():
            self.uses[v.id] = self.uses.get(v.id, 0) + 1

    def const(self, v):
        c = self.consts.get(v.id)
        return None if c is None else c.tensor

    def single_use(self, v):
        return self.uses.get(v.id, 0) == 1 and v.node is not None

    def new_const(self, t):
        t = t.detach()
        v = self.g.new_value("const", shape=t.shape, dtype=t.dtype, tensor=t)
        self.g.consts.append(v)
        self.consts[v.id] = v
        return v

    def split(self, n):
        """``(value, constant tensor)`` of a binary node with exactly one constant operand, else None."""
        a, b = n.inputs
        ca, cb = self.const(a), self.const(b)
        if (ca is None) == (cb is None):
            return None
        return (b, ca) if ca is not None else (a, cb)


def _channel_vector(t, channels, ndim):
    """``t`` as a per-channel vector ``(C,)`` when it broadcasts along dim 1 of an ``ndim``-d output only."""
    shape = tuple(t.shape)
    if len(shape) > ndim or t.numel() != channels:
        return None
    full = (1,) * (ndim - len(shape)) + shape
    if ndim < 2 or full[1] != channels or any(s != 1 for i, s in enumerate(full) if i != 1):
        return None
    return t.reshape(channels)


def _feature_vector(t, features):
    """``t`` as a vector over the last dim ``(F,)`` when it broadcasts along the last dim only."""
    shape = tuple(t.shape)
    if t.numel() != features or (shape and shape[-1] != features):
        return None
    return t.reshape(features)


def fold_affine(g):
    """Fold per-channel scales and shifts that follow a convolution or linear layer into its weight and bias
    (this is Conv+BatchNorm / Linear+BatchNorm folding once the weights are constants).

    Rewrites, repeated until nothing changes: ``(y + a) * s -> y * s + a * s``, ``(y + a) + b -> y + (a + b)``,
    and for ``f`` a convolution or linear layer ``f(x, W, b) * s -> f(x, W * s, b * s)`` and
    ``f(x, W, b) + a -> f(x, W, b + a)``.

    Example:
        >>> import ember, ember.nn as nn
        >>> net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2)).eval()
        >>> g = freeze(ember.jit.trace(net, ember.randn(1, 1, 5, 5))).graph
        >>> _ = fold_constants(g); _ = fold_affine(g); _ = eliminate_dead_code(g)
        >>> [n.short for n in g.nodes]
        ['Conv']
    """
    total = 0
    while True:
        changed = _fold_affine_once(g)
        if not changed:
            return total
        total += changed
        eliminate_dead_code(g)


def _fold_affine_once(g):
    rw = _Rewriter(g)
    Add, Mul = _op("Add"), _op("Mul")
    for n in g.nodes:
        if not (_is(n, "Mul") or _is(n, "Add")):
            continue
        pair = rw.split(n)
        if pair is None:
            continue
        y, c = pair
        prod = y.node
        if prod is None or not rw.single_use(y) or tuple(n.outputs[0].shape) != tuple(y.shape):
            continue
        if _is(prod, "Add") and rw.split(prod) is not None:
            y0, a = rw.split(prod)
            with no_grad():
                if _is(n, "Mul"):  # (y0 + a) * c -> y0 * c + a * c
                    inner = g.new_value("node", shape=y0.shape, dtype=n.outputs[0].dtype)
                    _swap(g, prod, [Node("op", _key(Mul), Mul, [y0, rw.new_const(c)], (), [inner], prod.scope),
                                    Node("op", _key(Add), Add, [inner, rw.new_const(a * c)], (), [prod.outputs[0]], prod.scope)])
                else:  # (y0 + a) + c -> y0 + (a + c)
                    _swap(g, prod, [Node("op", _key(Add), Add, [y0, rw.new_const(a + c)], (), [prod.outputs[0]], prod.scope)])
            _bypass(g, n, prod.outputs[0])
            return 1
        if _is(prod, "Conv") and all(rw.const(v) is not None for v in prod.inputs[1:]):
            w = rw.const(prod.inputs[1])
            s = _channel_vector(c, w.shape[0], len(y.shape))
            if s is None:
                continue
            b = rw.const(prod.inputs[2]) if len(prod.inputs) > 2 else None
            with no_grad():
                if _is(n, "Mul"):  # conv(x, W, b) * s -> conv(x, W * s, b * s)
                    prod.inputs[1] = rw.new_const(w * s.reshape((-1,) + (1,) * (w.ndim - 1)))
                    b2 = None if b is None else b * s
                else:  # conv(x, W, b) + a -> conv(x, W, b + a)
                    b2 = s if b is None else b + s
            if b2 is not None:
                if b is None:
                    prod.inputs.append(rw.new_const(b2))
                else:
                    prod.inputs[2] = rw.new_const(b2)
            _bypass(g, n, y)
            return 1
        if _is(prod, "Linear") and rw.const(prod.inputs[1]) is not None and all(rw.const(v) is not None for v in prod.inputs[2:]):
            w = rw.const(prod.inputs[1])
            s = _feature_vector(c, w.shape[0])
            if s is None:
                continue
            b = rw.const(prod.inputs[2]) if len(prod.inputs) > 2 else None
            with no_grad():
                if _is(n, "Mul"):
                    prod.inputs[1] = rw.new_const(w * s.reshape(-1, 1))
                    b2 = None if b is None else b * s
                else:
                    b2 = s if b is None else b + s
            if b2 is not None:
                if len(prod.inputs) > 2:
                    prod.inputs[2] = rw.new_const(b2)
                else:
                    prod.inputs.append(rw.new_const(b2))
            _bypass(g, n, y)
            return 1
    return 0


def _key(op):
    from ._tracer import op_key

    return op_key(op)


def _swap(g, old, new_nodes):
    i = g.nodes.index(old)
    g.nodes[i:i + 1] = new_nodes
    for n in new_nodes:
        for k, v in enumerate(n.outputs):
            v.node, v.index = n, k


def _bypass(g, n, replacement):
    """Remove node ``n``: its readers read ``replacement`` (default: its first input) instead."""
    out = n.outputs[0]
    src = replacement if replacement is not None else n.inputs[0]
    g.nodes.remove(n)
    _replace_uses(g, {out.id: src})


# --- fusion -----------------------------------------------------------------------------------------------
def fuse_bias_relu(g):
    """Fuse ``conv -> + per-channel bias [-> relu]`` into :class:`~ember.jit._fused.ConvBias` and
    ``linear -> relu`` into :class:`~ember.jit._fused.LinearRelu` (inference only: no backward).

    Example:
        >>> import ember, ember.nn as nn
        >>> net = nn.Sequential(nn.Linear(2, 3), nn.ReLU()).eval()
        >>> g = ember.jit.trace(net, ember.randn(1, 2)).graph
        >>> _ = fuse_bias_relu(g); [n.short for n in g.nodes]
        ['LinearRelu']
    """
    fused = 0
    rw = _Rewriter(g)
    ConvBias, LinearRelu = _op("ConvBias"), _op("LinearRelu")
    for n in list(g.nodes):
        if n not in g.nodes:
            continue
        if _is(n, "Conv") and rw.single_use(n.outputs[0]):
            chain = [n]
            if len(n.inputs) > 2:  # the convolution adds its bias itself
                bias = rw.const(n.inputs[2])
            else:
                add = _only_reader(g, n.outputs[0])
                pair = rw.split(add) if add is not None and _is(add, "Add") else None
                bias = None if pair is None else _channel_vector(pair[1], n.inputs[1].shape[0], len(n.outputs[0].shape))
                if bias is not None and pair[1].dtype is n.outputs[0].dtype:
                    chain.append(add)
            if bias is None:
                continue
            nxt = _only_reader(g, chain[-1].outputs[0]) if rw.single_use(chain[-1].outputs[0]) else None
            relu = nxt is not None and _is(nxt, "Relu")
            if relu:
                chain.append(nxt)
            if len(chain) == 1:  # a convolution with its bias and no rectifier is one node already
                continue
            shaped = rw.new_const(bias.reshape((1, -1) + (1,) * (len(n.outputs[0].shape) - 2)))
            new = Node("op", _key(ConvBias), ConvBias, [n.inputs[0], n.inputs[1], shaped], (n.args[0], relu),
                       [chain[-1].outputs[0]], n.scope)
            _replace_chain(g, chain, new)
            fused += 1
            rw.refresh()
        elif _is(n, "Linear") and rw.single_use(n.outputs[0]):
            nxt = _only_reader(g, n.outputs[0])
            if nxt is not None and _is(nxt, "Relu"):
                new = Node("op", _key(LinearRelu), LinearRelu, list(n.inputs), (), [nxt.outputs[0]], n.scope)
                _replace_chain(g, [n, nxt], new)
                fused += 1
                rw.refresh()
    return fused


def _only_reader(g, v):
    readers = [n for n in g.nodes if any(r.id == v.id for r in node_reads(n))]
    return readers[0] if len(readers) == 1 else None


def _replace_chain(g, chain, new):
    i = g.nodes.index(chain[0])
    for n in chain:
        g.nodes.remove(n)
    g.nodes.insert(i, new)
    new.outputs[0].node, new.outputs[0].index = new, 0


PASSES = (("fold_constants", fold_constants), ("eliminate_common_subexpressions", eliminate_common_subexpressions),
          ("fold_affine", fold_affine), ("fold_constants", fold_constants), ("eliminate_dead_code", eliminate_dead_code),
          ("fuse_bias_relu", fuse_bias_relu), ("eliminate_dead_code", eliminate_dead_code))


def run_passes(mod, passes):
    """A new module from ``mod``'s graph after ``passes`` (``(name, fn)`` pairs) - each rewriting a copy in place."""
    g = copy_graph(mod.graph)
    tensors, consts = _module_tensors(mod)
    for c, t in zip(g.consts, consts):
        c.tensor = t
    for _, fn in passes:
        fn(g)
    out = GraphModule(g, {v.name: tensors[v.name] for v in g.params}, mod.original_name)
    out.train(mod.training)
    return out


def optimize_for_inference(mod, other_methods=None):
    """Freeze ``mod`` (eval mode) and run the inference passes: constant folding, common subexpression
    elimination, batch-norm folding into conv/linear, dead code elimination and bias/ReLU fusion.

    Accepts a graph module or a plain ``nn.Module`` (which is scripted first, like torch).

    Example:
        >>> import ember, ember.nn as nn
        >>> net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU()).eval()
        >>> fast = ember.jit.optimize_for_inference(ember.jit.trace(net, ember.randn(1, 1, 6, 6)))
        >>> [n.short for n in fast.graph.nodes]
        ['ConvBias']
    """
    if not isinstance(mod, GraphModule):
        from ._script import script

        mod = script(mod.eval())
    frozen = mod if not list(mod.parameters()) and not mod.training else freeze(mod.eval())
    return run_passes(frozen, PASSES)


__all__ = ["freeze", "optimize_for_inference", "eliminate_dead_code", "fold_constants",
           "eliminate_common_subexpressions", "fold_affine", "fuse_bias_relu", "copy_graph", "run_passes"]
